import numpy as np
import pandas as pd
import pytest

from implementere_kit import Project, sic_summary
from implementere_kit.examples import SITES, make_network


def test_network_has_the_nine_sites(network_dir):
    projects = {p.parent.name: Project.open(p.parent) for p in network_dir.glob("*/project.json")}
    assert len(projects) == 9
    keep = sorted(p.site_name for p in projects.values() if p.intervention.id == "keep")
    assert keep == ["Bøgely", "Havnstrup", "Kildeby", "Mosebjerg", "Ålund"]
    fft = [p for p in projects.values() if p.intervention.id == "fft"]
    assert len(fft) == 4 and all(p.country == "NO" and len(p.site) == 4 for p in fft)


def test_sites_are_at_different_stages(network_dir):
    reached = {}
    for p in SITES:
        project = Project.open(network_dir / f"{p.country.lower()}-{p.site}-{p.intervention}")
        reached[p.site] = int(sic_summary(project.table("sic_events"))["stage_reached"].iloc[0])
        assert reached[p.site] == p.stage
    assert len(set(reached.values())) >= 4


def test_delivery_data_is_consistent(havnstrup):
    p = Project.open(havnstrup)
    att, sessions, parts = p.table("attendance"), p.table("sessions"), p.table("participants")
    assert len(att) > 100 and att["makeup"].any() and (~att["attended"]).any()
    assert set(att["participant_id"]) <= set(parts["participant_id"])
    assert (parts["end_reason"] == "dropped_out").any()
    assert sessions["session_no"].max() == 16
    assert (parts.groupby("group_id").size() > 6).any()  # Havnstrup sometimes over the rule
    assert sessions["date"].max() <= pd.Timestamp("2026-06-30")
    fid = p.table("fidelity_checks")
    assert set(fid["component"]) <= {c.id for c in p.intervention.components}
    rat = p.table("competence_ratings")
    assert (rat["rater_id"] == "R2").any()
    assert rat["score"].between(1, 9).all()
    surveys = p.table("survey_responses")
    assert set(surveys["instrument"]) == {"aim", "iam", "fim"}
    assert surveys["value"].between(1, 5).all()


def test_deterministic_by_seed(tmp_path):
    a = make_network(tmp_path / "a", seed=3, scale=0.2, sites=["902"])
    b = make_network(tmp_path / "b", seed=3, scale=0.2, sites=["902"])
    c = make_network(tmp_path / "c", seed=4, scale=0.2, sites=["902"])
    ta = Project.open(a["path"][0]).table("attendance")
    tb = Project.open(b["path"][0]).table("attendance")
    tc = Project.open(c["path"][0]).table("attendance")
    pd.testing.assert_frame_equal(ta, tb)
    assert not ta.equals(tc)


def test_scale_grows_the_data(tmp_path):
    small = make_network(tmp_path / "s", seed=1, scale=0.5, sites=["903"])
    big = make_network(tmp_path / "b", seed=1, scale=4, sites=["903"])
    n_small = len(Project.open(small["path"][0]).table("attendance"))
    n_big = len(Project.open(big["path"][0]).table("attendance"))
    assert n_big > 5 * n_small


@pytest.mark.parametrize("site,worse", [("902", "adherence"), ("904", "dropout")])
def test_built_in_variation(network_dir, site, worse):
    profile = {p.site: p for p in SITES}[site]
    others = [p for p in SITES if p.intervention == "keep" and p.site != site]
    if worse == "adherence":
        assert profile.adherence < min(p.adherence for p in others)
        p = Project.open(network_dir / "dk-902-keep")
        share_yes = (p.table("fidelity_checks")["delivered"] == "yes").mean()
        assert share_yes < 0.75
    else:
        assert profile.dropout > max(p.dropout for p in others)
        parts = Project.open(network_dir / "dk-904-keep").table("participants")
        assert np.mean(parts["end_reason"] == "dropped_out") > 0.2


def test_committed_example_data_is_current(tmp_path):
    """data/example is what the generator makes today (regenerate with `make example-data`)."""
    from pathlib import Path

    bundled = Path(__file__).resolve().parent.parent / "data" / "example"
    fresh = make_network(tmp_path, seed=2024, scale=1.0)
    for folder in fresh["path"]:
        name = Path(folder).name
        ours, theirs = Project.open(folder), Project.open(bundled / name)
        assert ours.table_names == theirs.table_names, name
        for table in ours.table_names:
            pd.testing.assert_frame_equal(ours.table(table), theirs.table(table), obj=f"{name}/{table}")
        assert ours.intervention == theirs.intervention
        assert ours.meta["synthetic"] is True and theirs.meta.get("synthetic") is True, name
