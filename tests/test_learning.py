"""Barriers and solutions, FRAME adaptations, the vocabulary and the network meetings."""

import shutil

import pandas as pd
import pytest
import yaml

import implementere_kit as ik
from implementere_kit._data import package_file
from implementere_kit.errors import ValidationError
from implementere_kit.i18n import LANGS
from implementere_kit.learning.adaptations import (
    FRAME_DIMENSIONS,
    adaptation_summary,
    core_adaptations,
    frame_profile,
    uncoded,
)
from implementere_kit.learning.barriers import (
    advice_for,
    barrier_summary,
    recommendations,
    what_helped,
)
from implementere_kit.learning.meetings import MeetingLog, meeting_pack, meetings_path
from implementere_kit.learning.vocabulary import PREFIX, label_key, values


def test_every_coded_value_has_a_label_in_every_language():
    for lang in LANGS:
        with open(package_file("locales", f"{lang}.yaml"), encoding="utf-8") as fh:
            texts = yaml.safe_load(fh)
        for (table, column) in PREFIX:
            for v in values(table, column):
                assert label_key(table, column, v) in texts, (lang, table, column, v)
        for d in FRAME_DIMENSIONS:
            assert f"frame_{d}" in texts
    assert set(FRAME_DIMENSIONS) <= {c for t, c in PREFIX if t == "adaptations"}


def test_frame_categories_are_those_published():
    # FRAME (Wiltsey Stirman et al. 2019), restated in doi:10.1186/s13012-022-01218-3, Table 3
    assert values("adaptations", "planning") == ["planned_proactive", "planned_reactive",
                                                 "unplanned_reactive"]
    assert values("adaptations", "timing") == ["pre_implementation", "implementation",
                                               "scale_up", "maintenance"]
    assert len(values("adaptations", "decided_by")) == 11
    assert len(values("adaptations", "level")) == 7
    assert values("adaptations", "context_change") == ["format", "setting", "personnel",
                                                       "population"]
    assert values("adaptations", "fidelity") == ["consistent", "inconsistent", "unknown"]
    assert len(values("barriers", "strategy")) == 9  # the ERIC clusters (Waltz et al. 2015)


def _barriers():
    return pd.DataFrame({
        "barrier_id": ["b1", "b2", "b3", "b1", "b2", "b1"],
        "site": ["901", "901", "901", "902", "902", "903"],
        "date": ["2024-01-10", "2024-02-01", "2024-05-01", "2024-03-01", "2024-04-01",
                 "2024-06-01"],
        "phase": ["planlegge", "implementere", "implementere", "implementere", "planlegge",
                  "implementere"],
        "domain": ["bridging_factors", "innovation", "inner_context", "innovation",
                   "bridging_factors", "innovation"],
        "topic": ["recruitment", "attendance", "staffing", "attendance", "recruitment",
                  "attendance"],
        "description": ["too few referrals", "families cancel", "leader left", "absences",
                        "few families", "drop-outs"],
        "solution": ["info evening", "reminder texts", None, "flexible times", "leaflet", None],
        "strategy": ["engage_consumers", "engage_consumers", None, "adapt_tailor",
                     "stakeholder_interrelationships", None],
        "result": ["helped", "helped", None, "partly_helped", "did_not_help", None],
        "status": ["resolved", "resolved", "open", "resolved", "working_on_it", "open"],
        "resolved": ["2024-03-01", "2024-03-01", None, "2024-05-01", None, None]})


def test_barrier_summary_counts():
    s = barrier_summary(_barriers(), by=("topic",)).set_index("topic")
    assert s.loc["attendance", ["n", "n_open", "n_resolved", "n_helped"]].tolist() == [3, 1, 2, 2]
    assert s.loc["recruitment", "median_days_to_resolve"] == 51.0
    with pytest.raises(ValidationError):
        barrier_summary(_barriers(), by=("colour",))


def test_what_helped_lists_open_first():
    w = what_helped(_barriers())
    assert w["status"].tolist()[:2] == ["open", "open"]


def test_recommendations_rank_strategies_with_cases():
    r = recommendations(_barriers())
    att = r[r["topic"] == "attendance"]
    assert att["strategy"].tolist() == ["engage_consumers", "adapt_tailor"]
    top = att.iloc[0]
    assert (top["n_helped"], top["sites_helped"], top["share_helped"], top["recommended"]) == \
        (1, 1, 1.0, True)
    assert top["cases"] == ["901 (2024-02): reminder texts"]
    flop = r[r["strategy"] == "stakeholder_interrelationships"].iloc[0]
    assert flop["cases"] == [] and not flop["recommended"]
    # without free text (a network store carries none) a case still names site and month
    bare = recommendations(_barriers().drop(columns=["solution"]))
    assert bare.loc[bare["strategy"] == "adapt_tailor", "cases"].iloc[0] == ["902 (2024-03)"]
    assert recommendations(_barriers(), exclude_site="901")["strategy"].tolist() == [
        "adapt_tailor", "stakeholder_interrelationships"]


def test_advice_for_one_sites_open_barriers():
    b = _barriers()
    mine = b[b["site"] == "903"]
    a = advice_for(mine, b)
    assert a["strategy"].tolist() == ["engage_consumers", "adapt_tailor"]
    assert a["barrier_id"].unique().tolist() == ["b1"]


def _adaptations():
    return pd.DataFrame({
        "adaptation_id": ["a1", "a2", "a3"], "site": "901",
        "date": ["2024-01-05", "2024-03-01", "2024-04-01"],
        "component": ["role_play", "refreshments", "curriculum"],
        "what": ["content", "context", None], "nature": ["shortening", None, None],
        "planning": ["unplanned_reactive", "planned_proactive", None],
        "decided_by": ["practitioner", "programme_manager", None],
        "fidelity": ["inconsistent", "consistent", "unknown"],
        "national_transfer": [False, True, None]})


def test_frame_profile_includes_zero_counts_and_not_coded():
    p = frame_profile(_adaptations(), dimensions=("what",)).set_index("value")
    assert p.loc["content", "n"] == 1 and p.loc["training", "n"] == 0
    assert p.loc["not_coded", "n"] == 1
    assert p.loc["content", "share"] == 0.5
    with pytest.raises(ValidationError):
        frame_profile(_adaptations(), dimensions=("colour",))


def test_adaptation_summary_and_core_and_uncoded():
    keep = ik.load_intervention("keep")
    # `item` as in the report's summary: `measure` is a catalogue id (measures, issue 12)
    s = adaptation_summary(_adaptations(), keep).set_index("item")["value"]
    assert s["n_adaptations"] == 3 and s["n_core"] == 2 and s["n_uncoded"] == 1
    assert s["share_fidelity_inconsistent"] == 0.5
    assert s["share_national_transfer"] == 0.5
    core = core_adaptations(_adaptations(), keep)
    assert core["component"].tolist() == ["role_play", "curriculum"]  # inconsistent first
    assert uncoded(_adaptations())["adaptation_id"].tolist() == ["a3"]


def test_the_old_log_moves_in_without_guessing(network_dir, tmp_path):
    import json

    folder = tmp_path / "902"
    shutil.copytree(network_dir / "dk-902-keep", folder)
    have = ik.Project.open(folder).table("adaptations")
    kept = have[have["adaptation_id"] == "log-001"].iloc[0]  # already in the table
    meta = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    meta["intervention"]["adaptations"] = [  # as an old project held its log
        {"date": "2024-02-01", "component": kept["component"], "change": kept["description"],
         "reason": kept["reason"], "kind": "flexible", "decided_by": kept["decided_by_note"]},
        {"date": "2024-09-02", "component": "role_play", "change": "Kortere rollespil",
         "reason": "Tid", "kind": "core", "decided_by": ""}]
    (folder / "project.json").write_text(json.dumps(meta), encoding="utf-8")
    migrated = ik.Project.open(folder).table("adaptations")
    assert len(migrated) == len(have) + 1  # the entry already there is not added twice
    row = migrated[migrated["adaptation_id"] == "log-002"].iloc[0]
    assert (row["component"], row["description"], row["reason"]) == (
        "role_play", "Kortere rollespil", "Tid")
    assert pd.isna(row["decided_by_note"]) and pd.isna(row["decided_by"])
    assert row["fidelity"] == "unknown" and pd.isna(row["what"])  # nothing guessed
    assert len(uncoded(migrated)) >= 2
    assert len(ik.Project.open(folder).table("adaptations")) == len(migrated)  # once


def test_meeting_log(tmp_path):
    log = MeetingLog(tmp_path / "network.duckdb")
    assert log.path == meetings_path(tmp_path / "network.duckdb")
    assert log.table().empty
    log.add("m1", "2024-05-02", intervention="keep", sites=["901", "903"])
    log.add("m2", "2024-01-10", sites="9901", agreed_actions="share checklists",
            follow_up="2024-09-01")
    t = log.table()
    assert t["meeting_id"].tolist() == ["m2", "m1"]  # oldest first
    with pytest.raises(ValidationError, match="municipality code"):
        log.add("m3", "2024-06-01", sites=["Ålund"])
    with pytest.raises(ValidationError, match="duplicate primary key"):
        log.add("m1", "2024-06-01")
    assert len(log.table()) == 2  # nothing lost
    log.path.write_bytes(b"not parquet")
    with pytest.raises(ValidationError, match="damaged"):
        log.table()


def test_meeting_pack_from_projects(network_dir):
    folders = sorted(p.parent for p in network_dir.glob("dk-*/project.json"))
    pack = meeting_pack(folders, meetings=network_dir / "network.meetings.parquet",
                        as_of="2026-06-30", lang="en")
    assert set(pack) == {"sites", "barriers", "solutions", "adaptations", "core_adaptations",
                         "themes", "previous_actions"}
    sites = pack["sites"].set_index("site")
    assert sites.loc["905", "stage_reached"] == 3 and sites.loc["901", "stage_reached"] == 8
    order = ["forberede", "planlegge", "implementere", "viderefore"]
    # Kildeby is still preparing: its current phase comes before Ålund's
    assert order.index(sites.loc["905", "current_phase"]) < order.index(
        sites.loc["901", "current_phase"])
    assert (pack["barriers"]["n_sites"] >= 1).all()
    assert pack["previous_actions"]["meeting_id"].iloc[0].startswith("keep-2026")
    assert pack["themes"]["theme"].str.len().gt(10).all()
    kinds = set(pack["themes"]["kind"])
    assert "core_adapted" in kinds  # the example cuts role play at some sites


def test_meeting_pack_of_one_intervention_from_projects(network_dir):
    folders = sorted(p.parent for p in network_dir.glob("*/project.json"))
    pack = meeting_pack(folders, intervention="fft", lang="nb")
    assert set(pack["sites"]["intervention"]) == {"fft"}
    assert set(pack["sites"]["site"]) == {"9901", "9902", "9903", "9904"}


def test_meeting_pack_as_it_stood(network_dir):
    folders = sorted(p.parent for p in network_dir.glob("dk-*/project.json"))
    now = meeting_pack(folders, as_of="2026-06-30")
    then = meeting_pack(folders, as_of="2023-06-30")
    assert then["barriers"]["n"].sum() < now["barriers"]["n"].sum()
    b = pd.concat([ik.Project.open(f).table("barriers") for f in folders])
    early = b[pd.to_datetime(b["date"]) <= "2023-06-30"]
    assert then["barriers"]["n"].sum() == len(early)
    still_open = (early["status"] != "resolved") | (pd.to_datetime(early["resolved"])
                                                   > "2023-06-30")
    assert (then["barriers"]["n"] - then["barriers"]["n_resolved"]).sum() == still_open.sum()


def test_site_positions_stand_on_the_pack_date(network_dir):
    # the sites table of a pack "as it stood" must not see later SIC events, enrolments,
    # barriers or adaptations: its open barriers agree with the pack's barrier table
    folders = sorted(p.parent for p in network_dir.glob("dk-*/project.json"))
    when = pd.Timestamp("2023-06-30")
    then = meeting_pack(folders, as_of=when)
    sites = then["sites"].set_index("site")
    open_then = then["barriers"]["n"].sum() - then["barriers"]["n_resolved"].sum()
    assert sites["n_open_barriers"].sum() == open_then
    for f in folders:
        p = ik.Project.open(f)
        ev = p.table("sic_events")
        done = ev[ev["date"].notna() & (ev["date"] <= when)]
        want = int(done["stage"].max()) if len(done) else 0
        assert sites.loc[p.site, "stage_reached"] == want, p.site
        parts = p.table("participants")
        n = int((parts["enrolled"] <= when).sum())
        got = sites.loc[p.site, "n_participants"]
        assert (pd.isna(got) and not len(parts)) or got == n, p.site
        a = p.table("adaptations")
        assert sites.loc[p.site, "n_adaptations"] == int((a["date"] <= when).sum())
