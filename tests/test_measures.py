"""The measures catalogue and its engine: hand-computed values, one definition of drop-out
and completion, no cap on session numbers, the generated docs, and every measure of the
example network equal from the project, its aggregate package and its pseudonymised one."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from implementere_kit import NetworkStore, Project
from implementere_kit.errors import UnknownNameError, ValidationError
from implementere_kit.exchange.package import export_package
from implementere_kit.measures import catalogue, engine
from implementere_kit.measures.catalogue import Rules, completion_rule, measure, measures
from implementere_kit.measures.summary import site_measures
from implementere_kit.plans.intervention import (
    Component,
    DosageRule,
    Intervention,
    load_intervention,
)

REPO = Path(__file__).resolve().parents[1]
KEEP = Rules("keep", sessions=16, to_graduate=13, makeups_count=True, completion="attendance",
             session_minutes=90, leaders_per_group=2, max_group_size=6)


def run(tables, rules=KEEP, ids=None, as_of="2025-06-30", **kw):
    with engine.from_tables(tables, rules) as src:
        out = engine.compute(src, as_of=as_of, ids=ids, **kw)
    return out.set_index("measure")


def families_table():
    """Seven KEEP families, one of each kind, counted by hand below."""
    parts = pd.DataFrame({
        "participant_id": list("abcdefg"), "site": "903", "group_id": "g1",
        "enrolled": "2024-01-08",
        "ended": [None, "2024-05-01", "2024-05-01", "2024-03-01", "2024-02-01", "2024-02-15",
                  None],
        "end_reason": [None, "graduated", "completed", "dropped_out", "moved",
                       "referred_elsewhere", "dropped_out"]})
    sessions = {"a": 10, "b": 14, "c": 9, "d": 4, "e": 2, "f": 13, "g": 13}
    att = pd.concat([pd.DataFrame({"participant_id": p, "session_no": range(1, n + 1),
                                   "attended": True, "makeup": False})
                     for p, n in sessions.items()], ignore_index=True)
    # b made up session 14 twice: still one session
    att = pd.concat([att, pd.DataFrame({"participant_id": ["b"], "session_no": [14],
                                        "attended": [True], "makeup": [True]})])
    return {"participants": parts, "attendance": att}


def test_completion_dropout_and_dose_by_hand():
    m = run(families_table())
    # ended: b c d e f g (g: a recorded end, no date); completed by attendance ≥ 13: b f g
    assert m.loc["completion", ["numerator", "denominator"]].tolist() == [3, 6]
    assert m.loc["completion_enrolled", ["numerator", "denominator"]].tolist() == [3, 7]
    # drop-outs: ended early without completing — d and e; f and g met the rule (not
    # drop-outs whatever was recorded), c ran to the end below 80 % (not a drop-out)
    assert m.loc["dropout", ["numerator", "denominator"]].tolist() == [2, 7]
    # dose over those who ended: (14 + 9 + 4 + 2 + 13 + 13) ÷ (6 × 16)
    assert m.loc["dose", ["numerator", "denominator", "n"]].tolist() == [55, 96, 6]
    assert m.loc["dose", "value"] == pytest.approx(55 / 96)


def test_a_reason_recorded_otherwise_gives_the_same_dropout():
    t = families_table()
    t["participants"]["end_reason"] = t["participants"]["end_reason"].replace(
        {"moved": "dropped_out", "referred_elsewhere": "other"})
    assert run(t).loc["dropout", "numerator"] == run(families_table()).loc["dropout",
                                                                          "numerator"]


def test_recorded_completion_follows_the_practitioner_not_the_sessions():
    fft = Rules("fft", sessions=12, to_graduate=12, completion="recorded")
    m = run(families_table(), fft)
    # b (graduated) and c (completed) ran to the end: completed; nothing counts sessions
    assert m.loc["completion", ["numerator", "denominator"]].tolist() == [2, 6]
    # ended without completing: d e f g
    assert m.loc["dropout", "numerator"] == 4


def test_completion_rule_is_read_from_the_intervention_data():
    assert completion_rule(load_intervention("keep")) == "attendance"
    told = SimpleNamespace(id="x", completion=None,
                           dosage=SimpleNamespace(completion={"rule": "therapist"}))
    assert completion_rule(told) == "recorded"
    assert completion_rule(SimpleNamespace(id="y", dosage=None)) == "recorded"
    with pytest.raises(ValidationError, match="unknown completion rule"):
        completion_rule(SimpleNamespace(id="z", completion="whenever", dosage=None))


def test_no_cap_on_session_numbers(tmp_path):
    """100 sessions, 80 to complete: the old network SQL counted 64 at most."""
    long = Intervention(id="long", name="Long", type="self-developed",
                        components=(Component("talk", "Talk"),),
                        dosage=DosageRule(sessions=100, min_attendance=0.8, makeups_count=True))
    parts = pd.DataFrame({"participant_id": ["a", "b"], "site": "101", "group_id": "g",
                          "enrolled": pd.Timestamp("2024-01-01"),
                          "ended": pd.Timestamp("2024-12-01"), "end_reason": "completed"})
    att = pd.DataFrame({"participant_id": ["a"] * 90 + ["b"] * 70,
                        "session_no": [*range(1, 91), *range(1, 71)], "attended": True,
                        "makeup": False})
    p = Project.create(tmp_path / "p", site="101", country="DK", intervention=long,
                       start="2024-01-01")
    p.set_table("participants", parts)
    p.set_table("attendance", att)
    p.save()
    own = site_measures(p, lang="en").set_index("measure")
    assert own.loc["completion", ["numerator", "denominator"]].tolist() == [1, 2]
    assert own.loc["dose", "numerator"] == 160
    pkg = export_package(p.path, tmp_path / "p.zip", level="pseudonymised")
    with NetworkStore(tmp_path / "n.duckdb") as store:
        store.merge([pkg])
        net = store.indicators().set_index("indicator")
    assert net.loc["completion", "numerator"] == 1 and net.loc["dose", "numerator"] == 160


def test_catalogue_is_complete_and_consistent():
    sums = catalogue.sums()
    used = {s for m in measures().values() for s in m.sums}
    assert used <= set(sums)
    for m in measures().values():
        assert all(m.label(lang) and m.definition(lang) for lang in ("nb", "da", "en"))
        assert set(m.tables) <= set(catalogue.families()[m.family]["tables"]), m.id
        assert m.threshold is None or m.threshold["source"]
        assert m.source
    # variants that legitimately differ have their own names, and the report says which
    assert measure("completion").label("en") != measure("completion_enrolled").label("en")
    assert not measure("completion_enrolled").report
    with pytest.raises(UnknownNameError, match="graduation"):
        measure("graduation")


def test_docs_are_generated_from_the_catalogue():
    from implementere_kit.measures._catalogue_docs import catalogue_markdown

    committed = (REPO / "docs" / "measures.md").read_text(encoding="utf-8")
    assert committed == catalogue_markdown(), (
        "docs/measures.md is stale: python -m implementere_kit.measures._catalogue_docs "
        "docs/measures.md")
    for m in measures().values():
        assert f"## `{m.id}`" in committed and m.definition("da") in committed


def test_dates_are_read_day_first_everywhere():
    from implementere_kit.charts._base import date_numbers, dates

    problems = []
    parsed = dates(pd.DataFrame({"d": ["03.02.2024", "2024-02-03"]}), "d", "x", problems)
    assert parsed.dt.month.tolist() == [2, 2] and parsed.dt.day.tolist() == [3, 3]
    assert date_numbers(["03.02.2024"])[0] == date_numbers(["2024-02-03"])[0]


def test_site_measures_rows_labels_and_targets(havnstrup):
    m = site_measures(havnstrup, as_of="2026-06-30", lang="nb")
    assert m["measure"].tolist() == list(measures())
    assert m["measure"].is_unique and (m["as_of"] == pd.Timestamp("2026-06-30")).all()
    row = m.set_index("measure").loc["adherence"]
    assert row["label"] == "Metodeintegritet i innholdet" and row["target"] == 0.8
    assert bool(row["meets"]) == (row["value"] >= 0.8)
    assert row["value"] == pytest.approx(row["numerator"] / row["denominator"])


def _network_values(network_dir, tmp_path, level, k):
    sites = tmp_path / f"sites-{level}"  # an export records itself: never in the shared copy
    shutil.copytree(network_dir, sites)
    pkgs = [export_package(f.parent, tmp_path / f"{f.parent.name}-{level}.zip", level=level,
                           k=k) for f in sorted(sites.glob("*/project.json"))]
    with NetworkStore(tmp_path / f"{level}.duckdb") as store:
        store.merge(pkgs)
        return store.indicators()


def test_every_site_and_measure_agree_from_project_and_both_packages(network_dir, tmp_path):
    """The example network: project, aggregate package and pseudonymised package give the
    same value for every site and network measure; a suppressed cell is marked."""
    pseudo = _network_values(network_dir, tmp_path, "pseudonymised", 5)
    agg = _network_values(network_dir, tmp_path, "aggregate", 5)
    ids = [i for i, m in measures().items() if m.network]
    checked = suppressed = 0
    for folder in sorted(network_dir.glob("*/project.json")):
        p = Project.open(folder.parent)
        own = site_measures(p, ids=ids, lang="en").set_index("measure")
        ps = pseudo[pseudo["site"] == p.site].set_index("indicator")
        ag = agg[agg["site"] == p.site].set_index("indicator")
        for i in ids:
            mine = own.loc[i, "value"]
            assert (np.isnan(mine) and (i not in ps.index or np.isnan(ps.loc[i, "value"]))) \
                or ps.loc[i, "value"] == pytest.approx(mine, abs=1e-12), (p.site, i)
            if i in ag.index and ag.loc[i, "suppressed"]:
                assert ag.loc[i, "reason"] in ("below_k", "small_count", "breakdown")
                assert np.isnan(ag.loc[i, "value"])
                suppressed += 1
                continue
            if np.isnan(mine):
                assert i not in ag.index or np.isnan(ag.loc[i, "value"]), (p.site, i)
            else:
                assert ag.loc[i, "value"] == pytest.approx(mine, abs=1e-12), (p.site, i)
                checked += 1
    assert checked > 100 and suppressed > 0


def test_engine_parses_text_tables_or_names_the_bad_cell():
    # tables handed to the engine (site_measures(tables=...)) as a spreadsheet gives them:
    # "ja" is attended, "x" in a session column is a row problem, not a crash nor a NaN
    from implementere_kit.errors import ValidationError
    from implementere_kit.measures.catalogue import Rules
    from implementere_kit.measures.engine import compute, from_tables

    rules = Rules("keep", sessions=16, to_graduate=13, completion="attendance")
    parts = pd.DataFrame({"participant_id": ["a", "b"], "site": "101", "group_id": "g",
                          "enrolled": ["03.02.2024", "2024-03-01"], "ended": None,
                          "end_reason": None})
    att = pd.DataFrame({"participant_id": ["a", "a"], "session_no": ["1", "2"],
                        "attended": ["ja", "nej"]})
    with from_tables({"participants": parts, "attendance": att}, rules) as src:
        m = compute(src, as_of="2024-12-31", ids=["participants"]).set_index("measure")
    assert m.loc["participants", "value"] == 2
    bad = att.assign(session_no=["1", "x"])
    with pytest.raises(ValidationError) as err:
        from_tables({"participants": parts, "attendance": bad}, rules)
    (p,) = err.value.problems
    assert (p.resource, p.row, p.column, p.found) == ("attendance", 2, "session_no", "'x'")
    with pytest.raises(ValidationError, match="must be a DataFrame"):
        from_tables({"participants": [1, 2]}, rules)
    with pytest.raises(ValidationError) as err:
        from_tables({"participants": parts.assign(enrolled=["31.02.2024", None])}, rules)
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "enrolled")]


def test_reach_by_year_adds_up_to_the_catalogues_reach(havnstrup):
    """The lessons' year-by-year reach is a breakdown of the one measure: the years from the
    first enrolment up to the as-of date add up to the catalogue's reach."""
    from implementere_kit.examples import AS_OF
    from implementere_kit.teaching.outcomes import reach_by_year

    project = Project.open(havnstrup)
    m = site_measures(project, as_of=AS_OF).set_index("measure").loc["reach"]
    years = reach_by_year(project, as_of=AS_OF)
    first = project.table("participants")["enrolled"].min().year
    years = years[(years["year"] >= first) & (years["year"] <= AS_OF.year)]
    assert (years["n_participants"].sum(), years["n_eligible"].sum()) == (
        m["numerator"], m["denominator"])
    assert m["value"] == pytest.approx(years["n_participants"].sum() / years["n_eligible"].sum())


def test_sic_summary_agrees_with_the_catalogue_at_every_site(network_dir):
    """sic_summary (SIC's own per-stage view) and the catalogue's SIC measures are one
    number: stage reached and the days in pre-implementation and implementation."""
    import implementere_kit as ik
    from implementere_kit.examples import AS_OF

    folders = sorted(f for f in Path(network_dir).iterdir() if (f / "project.json").exists())
    assert len(folders) >= 8
    for folder in folders:
        p = Project.open(folder)
        s = ik.sic_summary(p.sic_events()).iloc[0]
        m = site_measures(p, as_of=AS_OF).set_index("measure")["value"]
        for mine, theirs in (("stage_reached", "sic_stage"), ("pre_duration_days", "sic_pre_days"),
                             ("impl_duration_days", "sic_impl_days")):
            assert (pd.isna(s[mine]) and pd.isna(m[theirs])) or s[mine] == m[theirs], (
                folder.name, mine)
