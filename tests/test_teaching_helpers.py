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
