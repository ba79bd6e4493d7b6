"""Tests of the helpers in implementere_kit.teaching that the lessons call."""

from __future__ import annotations

import pandas as pd
import pytest

import implementere_kit as ik
from implementere_kit.errors import ValidationError
from implementere_kit.teaching import (
    compare_frameworks,
    double_rated,
    framework_parts,
    items_wide,
    makeup_effect,
    place_situations,
)


# -- compare_frameworks, place_situations, framework_parts ---------------------------------
def test_compare_frameworks_follows_the_crosswalk():
    cmp = compare_frameworks(lang="en")
    assert cmp["phase"].tolist() == ["forberede", "planlegge", "implementere", "viderefore"]
    # implementere.no builds on EPIS: one equivalent phase each
    assert cmp["epis"].tolist() == ["Exploration", "Preparation", "Implementation", "Sustainment"]
    assert cmp.loc[3, "nirn"] == "Full Implementation (partly)"
    nb = compare_frameworks(others=["nirn"], lang="nb")
    assert nb.loc[0, "label"] == "Forberede" and list(nb.columns) == ["phase", "label", "nirn"]


def test_place_situations_maps_through_the_base_phase():
    placed = place_situations({"x": "planlegge", "y": ..., "z": "viderefore"}, lang="en")
    assert placed["situation"].tolist() == ["x", "y", "z"]
    assert placed.loc[0, "epis"] == "Preparation" and placed.loc[0, "nirn"] == "Installation"
    assert placed.loc[1, ["phase", "epis"]].isna().all()


def test_place_situations_lists_every_wrong_answer():
    with pytest.raises(ValidationError) as err:
        place_situations({"a": "exploration", "b": "planlegge", "c": "fase 4"})
    assert [(p.row, p.found) for p in err.value.problems] == [(1, "'exploration'"),
                                                              (3, "'fase 4'")]
    assert "forberede" in err.value.problems[0].expected


def test_framework_parts():
    drivers = framework_parts("nirn", "drivers", lang="da")
    assert len(drivers) == 9
    assert drivers.set_index("id").loc["coaching", "group"] == "competency"
    assert framework_parts("epis", "domains")["id"].tolist()[:2] == ["outer_context",
                                                                    "inner_context"]
    assert len(framework_parts("epis", "drivers")) == 0
    with pytest.raises(ValidationError, match="unknown framework part"):
        framework_parts("nirn", "stages")


# -- makeup_effect -----------------------------------------------------------------------
def _attendance():
    # f1: 12 regular sessions + 1 make-up; f2: 13 regular; f3: 11 regular + 2 make-ups
    rows = [("f1", s, True, s == 13) for s in range(1, 14)]
    rows += [("f2", s, True, False) for s in range(1, 14)]
    rows += [("f3", s, True, s > 11) for s in range(1, 14)]
    return pd.DataFrame(rows, columns=["participant_id", "session_no", "attended", "makeup"])


def test_makeup_effect_keep_rule():
    keep = ik.load_intervention("keep").dosage  # 13 of 16 sessions, make-ups counting
    eff = makeup_effect(_attendance(), keep)
    assert eff["n_attended"].tolist() == [13, 13, 13]
    assert eff["n_attended_without_makeups"].tolist() == [12, 13, 11]
    assert eff["graduated"].tolist() == [True, True, True]
    assert eff["graduated_without_makeups"].tolist() == [False, True, False]
    assert eff["graduated_by_makeups"].tolist() == [True, False, True]


def test_makeup_effect_agrees_with_attendance_summary(tmp_path):
    from implementere_kit.examples import make_network

    path = make_network(tmp_path, seed=3, scale=0.3, sites=["903"])["path"].iloc[0]
    p = ik.Project.open(path)
    att, parts = p.table("attendance"), p.table("participants")
    strict = ik.DosageRule(sessions=16, min_attendance=0.8, makeups_count=False)
    eff = makeup_effect(att, strict, parts)  # the rule's own makeups_count is overridden
    plain = ik.attendance_summary(att, p.intervention.dosage, parts)
    pd.testing.assert_series_equal(eff["graduated"], plain["graduated"])
    assert (eff["graduated_without_makeups"]
            == ik.attendance_summary(att, strict, parts)["graduated"]).all()
    assert eff["graduated_by_makeups"].sum() == plain["graduated"].sum() \
        - eff["graduated_without_makeups"].sum()


# -- double_rated, items_wide --------------------------------------------------------------
def _ratings():
    return pd.DataFrame({
        "practitioner_id": ["p1"] * 4 + ["p2"] * 2,
        "date": ["2025-01-10"] * 6,
        "dimension": ["overall", "overall", "teaching", "teaching", "overall", "teaching"],
        "rater_id": ["R1", "R2", "R1", "R2", "R1", "R1"],
        "score": [6, 7, 5, 5, 4, 3],
    })


def test_double_rated_keeps_only_subjects_rated_twice():
    wide = double_rated(_ratings())
    assert list(wide.columns) == ["R1", "R2"]
    assert wide.index.get_level_values("dimension").tolist() == ["overall", "teaching"]
    assert wide.to_numpy().tolist() == [[6.0, 7.0], [5.0, 5.0]]


def test_double_rated_matches_long_format_icc():
    # Shrout & Fleiss (1979) Table 2 as long ratings: ICC(2,1) = 0.29
    sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    long = pd.DataFrame([(f"t{i}", "d", "x", f"J{j}", v) for i, row in enumerate(sf)
                         for j, v in enumerate(row, start=1)],
                        columns=["practitioner_id", "date", "dimension", "rater_id", "score"])
    wide = double_rated(long)
    assert wide.shape == (6, 4)
    assert round(ik.icc(wide).loc["ICC(2,1)", "icc"], 2) == 0.29


def test_double_rated_lists_every_problem():
    bad = _ratings().astype({"score": object})
    bad.loc[[1, 3], "rater_id"] = "R1"  # p1 rated twice by R1 on both dimensions
    bad.loc[5, "score"] = "good"
    with pytest.raises(ValidationError) as err:
        double_rated(bad)
    found = sorted((p.row, p.column) for p in err.value.problems)
    assert found == [(2, "rater_id"), (4, "rater_id"), (6, "score")]
    with pytest.raises(ValidationError) as err:
        double_rated(_ratings().drop(columns=["date", "score"]))
    assert [p.column for p in err.value.problems] == ["date", "score"]


def test_items_wide_one_rater():
    wide = items_wide(_ratings(), "R1")
    assert list(wide.columns) == ["overall", "teaching"]
    assert wide.to_numpy().tolist() == [[6.0, 5.0], [4.0, 3.0]]
    # without rater= the double-rated form has two scores per item: refused, rows as given
    with pytest.raises(ValidationError) as err:
        items_wide(_ratings())
    assert [p.row for p in err.value.problems] == [2, 4]
    assert "rater=" in err.value.problems[0].expected


def test_items_wide_reports_rows_of_the_table_given():
    bad = _ratings().astype({"score": object})
    bad.loc[1, "score"] = "n/a"  # R2's row: ignored when only R1 is wanted
    bad.loc[4, "score"] = "n/a"
    with pytest.raises(ValidationError) as err:
        items_wide(bad, "R1")
    assert [(p.row, p.column) for p in err.value.problems] == [(5, "score")]


def test_items_wide_feeds_cronbach_alpha():
    # the cronbach_alpha doctest data (alpha = 27/29) as long ratings
    x = [[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 4]]
    long = pd.DataFrame([(f"p{i}", "d", f"i{j}", "R1", v) for i, row in enumerate(x)
                         for j, v in enumerate(row)],
                        columns=["practitioner_id", "date", "dimension", "rater_id", "score"])
    assert ik.cronbach_alpha(items_wide(long, "R1")).value == pytest.approx(27 / 29)


# -- outcomes helpers ----------------------------------------------------------------------
def test_compare_waves_paired_interval_matches_scipy():
    from scipy import stats

    from implementere_kit.teaching import compare_waves

    a = [3.5, 3.75, 4.0, 2.75, 3.25, 4.5]
    b = [3.75, 3.5, 4.5, 3.25, 3.5, 4.25]
    s = pd.DataFrame({"respondent_id": list("uvwxyz") * 2, "wave": [1] * 6 + [2] * 6,
                      "x": a + b})
    row = compare_waves(s, "x").iloc[0]
    res = stats.ttest_rel(b, a)
    ci = res.confidence_interval(0.95)
    assert row["method"] == "paired" and row["n_paired"] == 6
    assert row["ci_low"] == pytest.approx(ci.low) and row["ci_high"] == pytest.approx(ci.high)
    assert row["verdict"] == ("no_clear_change" if ci.low <= 0 <= ci.high else "rise")


def test_compare_waves_unpaired_uses_welch_and_refuses_one_wave():
    from scipy import stats

    from implementere_kit.teaching import compare_waves

    a, b = [3.0, 3.5, 4.0, 3.25], [4.0, 4.5, 4.25, 4.75, 4.5]
    s = pd.DataFrame({"respondent_id": [f"a{i}" for i in range(4)] + [f"b{i}" for i in range(5)],
                      "wave": [1] * 4 + [2] * 5, "x": a + b})
    row = compare_waves(s, "x").iloc[0]
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert row["method"] == "welch"
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    with pytest.raises(ValidationError, match="two different waves"):
        compare_waves(s[s["wave"] == 1], "x")
    with pytest.raises(ValidationError, match="column missing"):
        compare_waves(s, "y")


def test_reaim_verdicts_on_every_pattern():
    from implementere_kit.teaching import reaim_verdicts

    t = pd.DataFrame({"dimension": ["Reach", "Adoption", "Adoption", "Implementation",
                                    "Maintenance", "Effectiveness", "Antecedents"],
                      "outcome": ["reach", "adoption", "penetration", "fidelity_adherence",
                                  "sustainability", "effectiveness", "feasibility"],
                      "A": [0.2, 0.5, 0.5, 0.7, 1.0, float("nan"), 1.0],
                      "B": [0.3, 0.4, 0.6, 0.7, float("nan"), float("nan"), 5.0]})
    v = reaim_verdicts(t, "A", "B")
    assert v["verdict"].to_dict() == {"Reach": "behind", "Adoption": "mixed",
                                      "Implementation": "level", "Maintenance": "no_data",
                                      "Effectiveness": "no_data"}
    assert "Antecedents" not in v.index


def test_reach_by_year_adds_up_to_the_reach_function():
    from implementere_kit.examples import AS_OF
    from implementere_kit.teaching import example_site, reach_by_year

    p = example_site("903")
    per_year = reach_by_year(p, as_of=AS_OF)
    assert per_year["year"].is_monotonic_increasing
    assert per_year["n_participants"].sum() == len(p.table("participants"))
    assert per_year["n_eligible"].sum() == p.table("eligible")["n_eligible"].sum()


# -- frameworks, planning --------------------------------------------------------------------
def test_responsibility_matrix_counts_owners_per_core_element():
    from implementere_kit.teaching import responsibility_matrix

    plan = ik.Plan.from_template(ik.load_intervention("keep"), start="2025-01-06", lang="en")
    m = responsibility_matrix(plan.activities, lang="en")
    acts = plan.activities
    assert m.to_numpy().sum() == len(acts)
    assert m.loc[3, "Service leader"] == ((acts["core_element"] == 3)
                                          & (acts["owner"] == "leader")).sum()
    assert list(m.columns[:5]) == ["Service leader", "Implementation team", "Coordinator",
                                   "Practitioners", "Intervention owner"]
    da = responsibility_matrix(plan.activities, lang="da")
    assert da.index.name == "Kerneopgave" and da.columns[4] == "Metodeejer"
    with pytest.raises(ValidationError, match="column missing"):
        responsibility_matrix(acts.drop(columns="owner"))


def test_checklists_and_tasks_in_each_language():
    from implementere_kit.teaching import checklist, raci_table

    assert len(checklist("utvikle_tiltak", lang="nb")) == 8
    assert len(checklist("implementere_tiltak", lang="da")) == 6
    with pytest.raises(ValidationError, match="unknown checklist"):
        checklist("ke10")
    t = raci_table({"training": "intervention_owner"}, lang="da")
    # headings in Danish, the role by its label, no ids; unanswered tasks a dash
    assert t.columns.tolist() == ["Opgave", "Ansvarlig (A)"] and t.index.name == "Nr."
    assert t.loc[1, "Ansvarlig (A)"] == "Metodeejer" and t["Ansvarlig (A)"].iloc[1:].eq("–").all()
    assert not {"training", "intervention_owner"} & {*t.to_numpy().ravel(), *t.columns}


def test_intervention_overview_and_measure_catalogue():
    from implementere_kit.teaching import intervention_overview, measure_catalogue

    ov = intervention_overview(lang="nb").set_index("id")
    assert set(ov["type"]) <= {"evidence-based", "ready-made", "self-developed"}
    assert ov.loc["keep", "core"] == len(ik.load_intervention("keep").core_components())
    # a Danish learner reads the type and the support in Danish, not as ids
    da = intervention_overview(lang="da").set_index("id")
    assert da.loc["keep", "type_label"] == "Evidensbaseret"
    assert da.loc["keep", "support"].startswith("Håndbog eller manual, Uddannelse og kurser")
    assert not any(k in text for text in da["support"] for k in ("handbook", "training"))
    cat = measure_catalogue(lang="da")
    arrows = {a for cell in cat["arrows"] for a in cell.split(", ")}
    links = ik.TheoryOfChange().links()
    assert arrows == {f"{s}->{t}" for s, t in zip(links["source"], links["target"], strict=True)}


# -- the model memo ------------------------------------------------------------------------
def test_memo_numbers_and_judgements_follow_the_data(monkeypatch):
    from implementere_kit.teaching import example_memo, memo

    real = memo.site_facts
    text = str(example_memo("904", lang="en"))
    facts = {s: real(ik.teaching.example_site(s)) for s in ("901", "902", "903", "904")}
    higher = facts["904"]["dropout"] > max(f["dropout"] for s, f in facts.items() if s != "904")
    assert ("than in any of the 3 other" in text) == higher
    assert f"{100 * facts['904']['dropout']:.0f} %" in text
    # flip the numbers: the judging sentences follow
    monkeypatch.setattr(memo, "site_facts", lambda p, as_of=None: {
        **real(p, as_of=as_of), "dropout": 0.0, "core_adherence": 0.5})
    flipped = str(example_memo("904", lang="nb"))
    assert "ligger innenfor spennet" in flipped and "under tiltakseiers terskel" in flipped


# -- the builder ---------------------------------------------------------------------------
def _source(tmp_path, py: str, yaml_text: str):
    src = tmp_path / "source"
    src.mkdir()
    (src / "_common.yaml").write_text(
        "solution_note: {nb: N, da: D, en: E}\nanswer_prompt: {nb: A, da: A, en: A}\n",
        encoding="utf-8")
    (src / "01_x.py").write_text(py, encoding="utf-8")
    (src / "01_x.yaml").write_text("_file: {nb: x, da: x, en: x}\n" + yaml_text,
                                   encoding="utf-8")
    return tmp_path


def test_builder_writes_six_notebooks_and_checks_them(tmp_path):
    from implementere_kit.teaching import build

    root = _source(tmp_path, '# %% [markdown]\n# {{t}}\n\n# %%\nlang = "{{@lang}}"\n'
                   '### BEGIN SOLUTION\nx = 1\n### BEGIN PROMPT\nx = ...\n### END\n',
                   "t: {nb: Tittel, da: Titel, en: Title}\n")
    written = build.build(root)
    assert len(written) == 6 and build.build(root, check=True) == []
    lesson = (root / "nb" / "x.ipynb").read_text(encoding="utf-8")
    solution = (root / "nb" / "losninger" / "x_losning.ipynb").read_text(encoding="utf-8")
    assert "Tittel" in lesson and 'lang = \\"nb\\"' in lesson and "x = ..." in lesson
    assert "x = 1" in solution and "x = ..." not in solution
    (root / "nb" / "x.ipynb").write_text("{}", encoding="utf-8")
    assert build.build(root, check=True) == [root / "nb" / "x.ipynb"]
    assert build.main(["--check"]) == 0  # the repository's own notebooks are up to date


@pytest.mark.parametrize(("py", "yaml_text", "message"), [
    ("# %% [markdown]\n# {{missing}}\n", "t: {nb: a, da: b, en: c}\n", "key not in the catalogue"),
    ("# %% [markdown]\n# {{t}}\n", "t: {nb: a, da: b, en: c}\nu: {nb: a, da: b, en: c}\n",
     "not used"),
    ("# %% [markdown]\n# {{t}}\n", "t: {nb: a, en: c}\n", "lacks a language"),
    ('# %%\nx = "{{t}}\n', "t: {nb: a, da: b, en: c}\n", "does not parse"),
])
def test_builder_refuses_a_broken_source(tmp_path, py, yaml_text, message):
    from implementere_kit.teaching import build

    root = _source(tmp_path, py, yaml_text)
    with pytest.raises(ValidationError, match=message):
        build.render_all(root)


# -- Binder / JupyterHub ---------------------------------------------------------------------
def test_binder_configuration_installs_the_toolkit_from_pyproject():
    import os
    import re
    import subprocess
    import tomllib
    from pathlib import Path

    import yaml
    from packaging.specifiers import SpecifierSet

    root = Path(__file__).resolve().parents[1]
    env = yaml.safe_load((root / ".binder" / "environment.yml").read_text(encoding="utf-8"))
    deps = [str(d) for d in env["dependencies"]]
    assert "pip" in deps
    # repo2docker cannot install the checkout from environment.yml (no `pip: -e .` here)
    assert all(isinstance(d, str) for d in env["dependencies"])
    pinned = next(re.fullmatch(r"python=(\d+\.\d+)", d).group(1) for d in deps
                  if d.startswith("python="))
    requires = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["requires-python"]
    assert f"{pinned}.0" in SpecifierSet(requires)
    post = root / ".binder" / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash") and "pip install --no-cache-dir ." in text
    subprocess.run(["bash", "-n", str(post)], check=True)


def test_eric_strategies_are_a_subset_in_the_barrier_tables_clusters():
    from implementere_kit.learning.strategies import eric_strategies
    from implementere_kit.learning.vocabulary import values

    for lang in ("nb", "da", "en"):
        s = eric_strategies(lang)
        assert s["strategy"].is_unique and s["label"].str.len().gt(0).all()
        assert set(s["cluster"]) == set(values("barriers", "strategy"))  # all nine clusters
    en = eric_strategies("en").set_index("strategy")
    # names as Powell et al. (2015) publish them; clusters as Waltz et al. (2015)
    assert en.loc["clinical_supervision", ["name", "cluster"]].tolist() == [
        "Provide clinical supervision", "interactive_assistance"]
    assert en.loc["revise_roles", "cluster"] == "support_clinicians"
    assert en.loc["access_funding", "cluster"] == "financial_strategies"


def test_add_strategies_checks_every_row_before_changing_the_plan():
    from implementere_kit.learning.strategies import add_strategies

    plan = ik.Plan.from_template("evidence-based", start="2025-01-06", lang="en")
    before = plan.activities.copy()
    barriers = pd.DataFrame({"barrier_id": ["B1", "B2"], "description": ["No time", None]})
    good = {"barrier": "B1", "strategy": "formal_commitments", "role": "leader",
            "measure": "ils", "due": "2025-06-01"}
    bad = [good, {**good, "barrier": "B9", "strategy": "nope", "role": "boss",
                  "measure": "pss", "colour": "red"}]
    with pytest.raises(ValidationError) as exc:
        add_strategies(plan, bad, barriers, lang="en")
    assert {(p.row, p.column) for p in exc.value.problems} == {(2, "colour")}
    with pytest.raises(ValidationError) as exc:
        add_strategies(plan, [good, {k: v for k, v in bad[1].items() if k != "colour"}],
                       barriers, lang="en")
    assert {(p.row, p.column) for p in exc.value.problems} == {
        (2, "barrier"), (2, "strategy"), (2, "role"), (2, "measure")}
    with pytest.raises(ValidationError) as exc:  # a bad date in the second row
        add_strategies(plan, [good, {**good, "due": "31.02.2025"}], barriers, lang="en")
    assert exc.value.problems[0].row == 2
    pd.testing.assert_frame_equal(plan.activities, before)  # nothing added
    ids = add_strategies(plan, [good, {**good, "barrier": "B2"}], barriers, lang="da")
    added = plan.activities.set_index("activity_id").loc[ids]
    assert added["core_element"].tolist() == [3, 3]
    assert added["title"].tolist() == ["Få skriftlige forpligtelser – No time",
                                       "Få skriftlige forpligtelser – B2"]
    assert added["notes"].str.contains("Obtain formal commitments").all()
