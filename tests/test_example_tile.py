"""The example network carries outcomes, barriers, adaptations, costs and meetings, with
the patterns the generator promises."""

import pandas as pd
from scipy import stats

import implementere_kit as ik
from implementere_kit.learning.meetings import MeetingLog
from implementere_kit.measures.components import component_data


def _projects(network_dir, prefix="*"):
    return sorted(p.parent for p in network_dir.glob(f"{prefix}-*/project.json"))


def test_every_site_has_the_tables(network_dir):
    for folder in _projects(network_dir):
        p = ik.Project.open(folder)
        for name in ("barriers", "adaptations", "costs"):
            assert len(p.table(name)), (folder.name, name)
        parts = p.table("participants")
        if len(parts):
            scores = p.table("outcome_scores")
            assert "pre" in set(scores["wave"]), folder.name
            if (parts["end_reason"].isin(["graduated", "completed"])).sum() >= 5:
                assert "post" in set(scores["wave"]), folder.name
            expected = {"pss", "sdq"} if p.intervention.id == "keep" else {"sdq"}
            assert set(scores["instrument"]) == expected
    kildeby = ik.Project.open(network_dir / "dk-905-keep")  # still preparing: no families
    assert kildeby.table("outcome_scores").empty


def test_outcomes_improve_with_dose(network_dir):
    for prefix, instrument in (("dk", "pss"), ("no", "sdq")):
        d = component_data(_projects(network_dir, prefix), instrument=instrument)
        rho, _ = stats.spearmanr(d["dose"], d["improvement"])
        assert rho > 0.1, prefix


def test_sdq_subscales_add_up_to_total_difficulties(network_dir):
    s = ik.Project.open(network_dir / "no-9901-fft").table("outcome_scores")
    wide = s[s["instrument"] == "sdq"].pivot_table(index=["participant_id", "wave"],
                                                   columns="scale", values="score")
    parts = wide[["emotional", "conduct", "hyperactivity", "peer"]].sum(axis=1)
    assert (parts == wide["total_difficulties"]).all()
    assert wide.stack().between(0, 40).all()


def test_barriers_cluster_in_the_phases_a_site_has_reached(network_dir):
    b = pd.concat([ik.Project.open(f).table("barriers") for f in _projects(network_dir)])
    counts = b["phase"].value_counts()
    assert counts["implementere"] > counts.get("viderefore", 0)
    first = b.groupby("phase")["date"].median()
    assert first["forberede"] < first["planlegge"] < first["implementere"]
    kildeby = ik.Project.open(network_dir / "dk-905-keep").table("barriers")
    assert set(kildeby["phase"]) <= {"forberede", "planlegge"}  # stage 3: not delivering yet


def test_the_network_keeps_a_meeting_record(network_dir):
    meetings = MeetingLog(network_dir / "network.duckdb").table()
    assert set(meetings["intervention"]) == {"keep", "fft"}
    sites = {s for row in meetings["sites"] for s in row.split(";")}
    assert sites <= {ik.Project.open(f).site for f in _projects(network_dir)}
    assert (meetings["follow_up"] > meetings["date"]).all()
