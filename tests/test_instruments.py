"""Tests for implementere_kit.measures.instruments: shipped definitions, scoring and validation."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest

from implementere_kit._data import LANGS
from implementere_kit.errors import UnknownNameError, ValidationError
from implementere_kit.measures.instruments import (
    Instrument,
    list_instruments,
    load_instrument,
    responses_from_long,
    score_instrument,
)

SHIPPED = ["aim", "ebpas", "fim", "fimp_like", "iam", "ics", "ils", "keep_fidelity", "oric"]


def ebpas_keys(*numbers):
    return [f"ebpas_{n}" for n in numbers]


# -- shipped definitions -------------------------------------------------------------------
def test_list_instruments_names_every_shipped_file():
    assert list_instruments() == SHIPPED


@pytest.mark.parametrize(
    "name, n_items, subscale_sizes, total, lo, hi",
    [
        # Weiner et al. 2017: four items each, 1-5, one scale each.
        ("aim", 4, {}, "acceptability", 1, 5),
        ("iam", 4, {}, "appropriateness", 1, 5),
        ("fim", 4, {}, "feasibility", 1, 5),
        # Shea et al. 2014: 12 items, commitment 5, efficacy 7, 1-5.
        ("oric", 12, {"change_commitment": 5, "change_efficacy": 7}, None, 1, 5),
        # Aarons, Ehrhart & Farahnak 2014: 12 items, four subscales of three, 0-4.
        ("ils", 12, {"proactive": 3, "knowledgeable": 3, "supportive": 3, "perseverant": 3},
         "total", 0, 4),
        # Ehrhart, Aarons & Farahnak 2014: 18 items, six subscales of three, 0-4.
        ("ics", 18, {"focus": 3, "educational_support": 3, "recognition": 3, "rewards": 3,
                     "selection_ebp": 3, "selection_openness": 3}, "total", 0, 4),
        # Aarons 2004: 15 items, 0-4.
        ("ebpas", 15, {"requirements": 3, "appeal": 4, "openness": 4, "divergence": 4},
         "total", 0, 4),
        ("fimp_like", 5, {}, "competence", 1, 9),
        ("keep_fidelity", 8, {"curriculum": 2, "role_play": 2, "home_practice": 2,
                              "positive_reinforcement": 2}, "adherence", 0, 1),
    ],
)
def test_shipped_definition_has_verified_counts(name, n_items, subscale_sizes, total, lo, hi):
    inst = load_instrument(name)
    assert inst.id == name
    assert len(inst.items) == n_items
    assert {k: len(v) for k, v in inst.subscales.items()} == subscale_sizes
    assert inst.total_name == total
    assert (inst.min, inst.max) == (lo, hi)
    assert list(inst.scales) == [*subscale_sizes, *([total] if total else [])]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_definition_is_complete_in_three_languages(name):
    inst = load_instrument(name)
    assert inst.source and inst.notes
    for lang in LANGS:
        assert inst.label(lang)
        labels = inst.item_labels(lang)
        assert list(labels) == inst.items and all(labels.values())
        assert all(inst.scale_label(s, lang) for s in inst.scales)
    # Every item counts somewhere, and the subscales do not overlap.
    in_subscales = [k for keys in inst.subscales.values() for k in keys]
    assert len(in_subscales) == len(set(in_subscales))
    assert inst.total_name is not None or set(in_subscales) == set(inst.items)


def test_oric_item_key_matches_published_form():
    oric = load_instrument("oric")
    assert oric.subscales["change_commitment"] == [f"oric_{i}" for i in (2, 4, 6, 9, 11)]
    assert oric.subscales["change_efficacy"] == [f"oric_{i}" for i in (1, 3, 5, 7, 8, 10, 12)]


def test_ebpas_subscales_and_total_reversal():
    ebpas = load_instrument("ebpas")
    assert ebpas.subscales == {"requirements": ebpas_keys(11, 12, 13),
                               "appeal": ebpas_keys(9, 10, 14, 15),
                               "openness": ebpas_keys(1, 2, 4, 8),
                               "divergence": ebpas_keys(3, 5, 6, 7)}
    assert ebpas.reverse == set()  # divergence keeps its direction as a subscale
    assert ebpas.total_reverse == set(ebpas_keys(3, 5, 6, 7))


def test_fidelity_and_competence_extras():
    keep = load_instrument("keep_fidelity")
    assert set(keep.components.values()) == {"curriculum", "role_play", "home_practice",
                                              "positive_reinforcement"}
    assert all(keep.components[k] == name for name, keys in keep.subscales.items()
               for k in keys)
    assert keep.codes == {"yes": 1.0, "partly": 0.5, "no": 0.0, "na": None}
    fimp = load_instrument("fimp_like")
    assert fimp.certification_level == 6
    assert fimp.items == ["knowledge", "structure", "teaching", "clinical_skill", "overall"]
    assert "not the FIMP itself" in fimp.notes
    assert load_instrument("aim").components == {} and load_instrument("ils").reverse == set()


def test_accessors_return_copies_of_a_cached_instrument():
    first = load_instrument("ils")
    first.items.append("extra")
    first.subscales["proactive"].append("extra")
    again = load_instrument("ils")
    assert again is first
    assert len(again.items) == 12 and len(again.subscales["proactive"]) == 3


def test_unknown_language_and_scale_are_named():
    aim = load_instrument("aim")
    with pytest.raises(UnknownNameError, match="language 'sv'"):
        aim.label("sv")
    with pytest.raises(UnknownNameError, match="acceptability"):
        aim.scale_label("nope", "en")


# -- loading by name or path ---------------------------------------------------------------
def test_unknown_instrument_lists_known_names():
    with pytest.raises(UnknownNameError) as err:
        load_instrument("sdq")
    assert err.value.known == SHIPPED


def test_missing_user_file_is_a_validation_error(tmp_path):
    with pytest.raises(ValidationError) as err:
        load_instrument(tmp_path / "none.yaml")
    assert err.value.problems[0].file.endswith("none.yaml")


USER_YAML = """
    id: local_survey
    name: Local
    label: {nb: Lokal, da: Lokal, en: Local}
    source: Our own survey, 2024.
    response: {min: 1, max: 4}
    items:
      - {key: q1, label: Q1}
      - {key: q2, label: Q2, reverse: true}
      - {key: q3, label: Q3}
      - {key: q4, label: Q4}
    subscales:
      first: {label: First, items: [q1, q2]}
      second: [q3, q4]
    scoring: {scoring}
    total: {total}
"""


def write_user(tmp_path, scoring="mean", total="{name: total, of: items}", **extra):
    text = textwrap.dedent(USER_YAML).replace("{scoring}", scoring).replace("{total}", total)
    text += "".join(f"{k}: {v}\n" for k, v in extra.items())
    path = tmp_path / "local.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_defined_instrument_from_yaml_file(tmp_path):
    inst = load_instrument(write_user(tmp_path))
    assert inst.id == "local_survey" and inst.reverse == {"q2"}
    assert inst.scale_label("second", "da") == "second"  # a bare item list gets its name
    answers = pd.DataFrame({"q1": [4], "q2": [1], "q3": [2], "q4": [3]})
    row = score_instrument(answers, inst).iloc[0]
    # q2 = 1 reversed on a 1-4 scale is 1 + 4 - 1 = 4.
    assert row["first"] == 4.0 and row["second"] == 2.5 and row["total"] == 3.25


# -- scoring by hand ---------------------------------------------------------------------
def test_reverse_items_mean_and_prorated_sum(tmp_path):
    answers = pd.DataFrame({"q1": [1, 2], "q2": [4, np.nan], "q3": [3, 4], "q4": [2, np.nan]})
    mean = score_instrument(answers, load_instrument(write_user(tmp_path)))
    # Row 1: q2 reversed 4 -> 1; first = (1+1)/2 = 1; total = (1+1+3+2)/4 = 1.75.
    assert mean.loc[0, ["first", "second", "total"]].tolist() == [1.0, 2.5, 1.75]
    summed = score_instrument(answers, load_instrument(write_user(tmp_path, scoring="sum")))
    assert summed.loc[0, ["first", "second", "total"]].tolist() == [2.0, 5.0, 7.0]
    # Row 2 answers half the items: every scale below 75 % is left out.
    assert summed.loc[1, ["first", "second", "total"]].isna().all()
    assert summed["n_answered"].tolist() == [4, 2]
    # Prorating: with 50 % allowed, the sum is the mean of answered items x number of items.
    half = score_instrument(answers, load_instrument(write_user(tmp_path, scoring="sum")),
                            min_answered=0.5)
    assert half.loc[1, "total"] == pytest.approx((2 + 4) / 2 * 4)
    assert half.loc[1, "first"] == pytest.approx(2 * 2)


def test_min_answered_boundary_is_inclusive_at_exactly_75_percent():
    aim = load_instrument("aim")
    answers = pd.DataFrame({"aim_1": [5, 5], "aim_2": [4, 4], "aim_3": [3, np.nan],
                            "aim_4": [np.nan, np.nan]})
    out = score_instrument(answers, aim)
    assert out.loc[0, "acceptability"] == 4.0  # 3 of 4 = 75 %: scored
    assert math.isnan(out.loc[1, "acceptability"])  # 2 of 4 = 50 %: not scored
    # ORIC efficacy has 7 items: 75 % of 7 = 5.25, so 6 answers are needed.
    oric = load_instrument("oric")
    row = {k: 5 for k in oric.items}
    eff = oric.subscales["change_efficacy"]
    five = pd.DataFrame([{**row, eff[0]: None, eff[1]: None}])
    six = pd.DataFrame([{**row, eff[0]: None}])
    assert math.isnan(score_instrument(five, oric).loc[0, "change_efficacy"])
    assert score_instrument(six, oric).loc[0, "change_efficacy"] == 5.0


def test_ebpas_total_reverses_divergence_only_in_the_total():
    ebpas = load_instrument("ebpas")
    values = {1: 4, 2: 3, 3: 1, 4: 4, 5: 0, 6: 2, 7: 1, 8: 3,
              9: 3, 10: 4, 11: 2, 12: 2, 13: 1, 14: 3, 15: 4}
    answers = pd.DataFrame([{f"ebpas_{i}": v for i, v in values.items()}])
    row = score_instrument(answers, ebpas).iloc[0]
    assert row["requirements"] == pytest.approx((2 + 2 + 1) / 3)
    assert row["appeal"] == pytest.approx((3 + 4 + 3 + 4) / 4)
    assert row["openness"] == pytest.approx((4 + 3 + 4 + 3) / 4)
    assert row["divergence"] == pytest.approx((1 + 0 + 2 + 1) / 4)  # not reversed
    reversed_div = [4 - values[i] for i in (3, 5, 6, 7)]
    others = [values[i] for i in (1, 2, 4, 8, 9, 10, 11, 12, 13, 14, 15)]
    assert row["total"] == pytest.approx((sum(others) + sum(reversed_div)) / 15)


def test_total_of_subscales_needs_every_subscale(tmp_path):
    inst = load_instrument(write_user(tmp_path, total="{name: total, of: subscales}"))
    answers = pd.DataFrame({"q1": [4, 4], "q2": [1, 1], "q3": [1, 1], "q4": [2, None]})
    out = score_instrument(answers, inst)
    assert out.loc[0, "total"] == pytest.approx((4.0 + 1.5) / 2)  # mean of subscale means
    assert math.isnan(out.loc[1, "second"]) and math.isnan(out.loc[1, "total"])


def test_ils_total_equals_mean_of_subscale_means_with_complete_answers():
    # Braathu et al. 2022 (Table 2) report subscale means 2.05, 2.21, 2.81, 2.49 and an
    # ILS total of 2.39: the mean of the four, as equal-sized subscales imply.
    assert round(np.mean([2.05, 2.21, 2.81, 2.49]), 2) == 2.39
    rng = np.random.default_rng(7)
    ils = load_instrument("ils")
    answers = pd.DataFrame(rng.integers(0, 5, size=(20, 12)), columns=ils.items)
    out = score_instrument(answers, ils)
    np.testing.assert_allclose(out["total"], out[list(ils.subscales)].mean(axis=1))


def test_scores_match_an_independent_reference_with_missing_answers():
    rng = np.random.default_rng(11)
    ebpas = load_instrument("ebpas")
    data = rng.integers(0, 5, size=(200, 15)).astype(float)
    data[rng.random(data.shape) < 0.15] = np.nan
    answers = pd.DataFrame(data, columns=ebpas.items)
    out = score_instrument(answers, ebpas)

    def reference(row, keys, flip=()):
        vals = [4 - row[k] if k in flip else row[k] for k in keys if not np.isnan(row[k])]
        return np.mean(vals) if len(vals) >= math.ceil(0.75 * len(keys)) else np.nan

    for i, row in answers.iterrows():
        for name, keys in ebpas.subscales.items():
            np.testing.assert_allclose(out.loc[i, name], reference(row, keys))
        np.testing.assert_allclose(out.loc[i, "total"],
                                   reference(row, ebpas.items, ebpas.total_reverse))


def test_id_columns_are_kept_in_front_in_their_order():
    fim = load_instrument("fim")
    answers = pd.DataFrame({"fim_2": [3], "site": ["9901"], "fim_1": [3], "respondent_id": ["x"],
                            "fim_3": [3], "fim_4": [3], "wave": [2]}, index=[41])
    out = score_instrument(answers, fim)
    assert list(out.columns) == ["site", "respondent_id", "wave", "feasibility", "n_answered"]
    assert out.index.tolist() == [0]
    assert out.loc[0, "site"] == "9901" and out.loc[0, "feasibility"] == 3.0


def test_numeric_text_and_fidelity_codes_are_read():
    aim = load_instrument("aim")
    text = pd.DataFrame({"aim_1": ["4"], "aim_2": [" 5 "], "aim_3": ["3,0"], "aim_4": [""]})
    assert score_instrument(text, aim).loc[0, "acceptability"] == 4.0
    keep = load_instrument("keep_fidelity")
    row = dict.fromkeys(keep.items, "yes") | {"role_play_done": "Partly", "role_play_all": "no",
                                               "home_practice_review": "na"}
    out = score_instrument(pd.DataFrame([row]), keep).iloc[0]
    assert out["role_play"] == 0.25 and out["home_practice"] == 1.0
    assert out["adherence"] == pytest.approx((5 + 0.5) / 7) and out["n_answered"] == 7


# -- bad responses -----------------------------------------------------------------------
def test_every_bad_answer_is_listed_with_row_and_item():
    aim = load_instrument("aim")
    answers = pd.DataFrame({
        "respondent_id": ["a", "b", "c", "d"],
        "aim_1": [3, 6, 0, 2],                     # rows 2 and 3 outside 1-5
        "aim_2": ["2", "x", "4", "010190-12345"],  # rows 2 and 4 not numbers
        "aim_3": [2.5, 3, 3, 3],                   # row 1 not whole
        "aim_4": [1, 2, 3, True],                  # row 4: True is not an answer
    })
    with pytest.raises(ValidationError) as err:
        score_instrument(answers, aim)
    found = {(p.row, p.column, p.message) for p in err.value.problems}
    assert found == {
        (2, "aim_1", "answer outside the response scale"),
        (3, "aim_1", "answer outside the response scale"),
        (2, "aim_2", "not a number"),
        (4, "aim_2", "not a number"),
        (1, "aim_3", "not a whole number"),
        (4, "aim_4", "not a number"),
    }
    by_cell = {(p.row, p.column): p for p in err.value.problems}
    assert by_cell[(2, "aim_1")].found == "6"  # the value as given, not a converted one
    assert by_cell[(2, "aim_1")].expected == "a whole number from 1 to 5"
    assert by_cell[(4, "aim_2")].found == "<masked: looks like a personal identifier>"
    assert "010190" not in str(err.value)


def test_boolean_answers_are_rejected():
    aim = load_instrument("aim")
    answers = pd.DataFrame({"aim_1": [True, False], "aim_2": [1, 1], "aim_3": [1, 1],
                            "aim_4": [1, 1]})
    with pytest.raises(ValidationError) as err:
        score_instrument(answers, aim)
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "aim_1"), (2, "aim_1")]


def test_fractions_allowed_only_when_the_instrument_says_so(tmp_path):
    inst = load_instrument(write_user(tmp_path, allow_fractional="true"))
    answers = pd.DataFrame({"q1": [2.5], "q2": [1.5], "q3": [3], "q4": [3]})
    assert score_instrument(answers, inst).loc[0, "first"] == pytest.approx((2.5 + 3.5) / 2)


def test_missing_item_columns_are_all_listed():
    with pytest.raises(ValidationError) as err:
        score_instrument(pd.DataFrame({"fim_2": [3], "id": [1]}), "fim")
    assert [p.column for p in err.value.problems] == ["fim_1", "fim_3", "fim_4"]


@pytest.mark.parametrize("bad", [0, 1.5, -0.2, True, "all"])
def test_invalid_min_answered_override(bad):
    answers = pd.DataFrame({f"fim_{i}": [3] for i in range(1, 5)})
    with pytest.raises(ValidationError) as err:
        score_instrument(answers, "fim", min_answered=bad)
    assert err.value.problems[0].column == "min_answered"


def test_an_id_column_named_like_a_score_is_refused():
    answers = pd.DataFrame({"feasibility": ["x"], **{f"fim_{i}": [3] for i in range(1, 5)}})
    with pytest.raises(ValidationError, match="feasibility"):
        score_instrument(answers, "fim")


# -- malformed definitions ---------------------------------------------------------------
def base_definition():
    return {
        "id": "t", "name": "T", "label": {"nb": "T", "da": "T", "en": "T"}, "source": "s",
        "response": {"min": 1, "max": 5},
        "items": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
        "subscales": {"s": {"label": "S", "items": ["a", "b"]}},
        "scoring": "mean",
    }


def broken(path, value):
    d = base_definition()
    *head, last = path
    target = d
    for part in head:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return d


@pytest.mark.parametrize(
    "path, value, key",
    [
        (["subscales", "s", "items"], ["a", "zz"], "subscales.s.items"),
        (["response", "min"], 5, "response.min"),
        (["response", "max"], "five", "response.max"),
        (["items"], KeyError, "items"),
        (["items"], [], "items"),
        (["items", 1, "key"], "a", "items[1].key"),
        (["scoring"], "median", "scoring"),
        (["label"], {"nb": "T", "en": "T"}, "label.da"),
        # What YAML makes of {nb: a, da: b, c, en: d}: a comma split the Danish label.
        (["label"], {"nb": "a", "da": "b", "c": None, "en": "d"}, "label.c"),
        (["items", 0, "reverse"], "yes", "items[0].reverse"),
        (["response", "codes"], {True: 1}, "response.codes.True"),
        (["response", "codes"], ["yes", "no"], "response.codes"),
        (["subscales", "s", "items"], ["a", {"b": 1}], "subscales.s.items"),
        (["total"], {"name": "t", "revers": ["a"]}, "total.revers"),
        (["total"], {"name": "s"}, "total.name"),
        (["subscales"], {}, "subscales"),
        (["min_answered"], 1.5, "min_answered"),
        (["certification_level"], 12, "certification_level"),
        (["subscale"], {}, "subscale"),
        (["source"], KeyError, "source"),
    ],
)
def test_malformed_definition_names_file_and_key(path, value, key):
    with pytest.raises(ValidationError) as err:
        Instrument.from_dict(broken(path, value), file="mine.yaml")
    keys = [p.column for p in err.value.problems]
    assert key in keys
    assert all(p.file == "mine.yaml" for p in err.value.problems)


def test_total_of_subscales_requires_subscales():
    d = broken(["subscales"], {})
    d["total"] = {"name": "t", "of": "subscales"}
    with pytest.raises(ValidationError) as err:
        Instrument.from_dict(d)
    assert [p.column for p in err.value.problems] == ["total.of"]


def test_every_definition_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""
        id: bad
        name: Bad
        label: Bad
        source: none
        response: {min: 4, max: 1}
        items:
          - {key: a, label: A}
          - {key: a, label: A again}
        subscales:
          one: [a, b]
        scoring: median
    """), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_instrument(path)
    assert {p.column for p in err.value.problems} == {"response.min", "items[1].key",
                                                      "subscales.one.items", "scoring"}
    assert all(p.file == str(path) for p in err.value.problems)


def test_a_definition_that_is_not_a_mapping():
    with pytest.raises(ValidationError, match="not a mapping"):
        Instrument.from_dict(["id", "x"], file="list.yaml")


# -- long to wide --------------------------------------------------------------------------
def long_table(rows):
    cols = ["respondent_id", "site", "instrument", "wave", "item", "value"]
    return pd.DataFrame(rows, columns=cols)


def test_responses_from_long_pivots_one_instrument():
    long = long_table([
        ("p1", "9901", "aim", 1, "aim_1", 4), ("p1", "9901", "aim", 1, "aim_2", 5),
        ("p1", "9901", "aim", 1, "aim_3", 3), ("p2", "101", "aim", 1, "aim_1", 2),
        ("p1", "9901", "aim", 2, "aim_1", 5), ("p1", "9901", "fim", 1, "fim_1", 9),
    ])
    wide = responses_from_long(long, "aim")
    assert list(wide.columns) == ["respondent_id", "site", "wave", "aim_1", "aim_2", "aim_3",
                                  "aim_4"]
    assert len(wide) == 3  # p1 wave 1, p1 wave 2, p2 wave 1; the fim row is ignored
    first = wide[(wide.respondent_id == "p1") & (wide.wave == 1)].iloc[0]
    assert first[["aim_1", "aim_2", "aim_3"]].tolist() == [4.0, 5.0, 3.0]
    assert math.isnan(first["aim_4"])
    assert wide.loc[wide.respondent_id == "p2", "site"].item() == "101"
    scores = score_instrument(wide, "aim")
    assert scores.loc[(scores.respondent_id == "p1") & (scores.wave == 1),
                      "acceptability"].item() == 4.0


def test_responses_from_long_reports_long_rows():
    long = long_table([
        ("p1", "9901", "aim", 1, "aim_1", 4), ("p1", "9901", "aim", 1, "aim_9", 4),
        ("p1", "9901", "aim", 1, "aim_2", 7), ("p1", "9901", "fim", 1, "fim_1", 7),
    ])
    with pytest.raises(ValidationError) as err:
        responses_from_long(long, "aim")
    assert {(p.row, p.column) for p in err.value.problems} == {(2, "item"), (3, "value")}


def test_responses_from_long_caps_bad_rows_of_its_own_instrument_only():
    from implementere_kit.store.tables import MAX_ROWS_LISTED

    other = [(f"q{i}", "9901", "fim", 1, "fim_1", 9) for i in range(3)]  # not aim: not reported
    mine = [(f"p{i}", "9901", "aim", 1, "aim_1", 9) for i in range(MAX_ROWS_LISTED + 2)]
    with pytest.raises(ValidationError) as err:
        responses_from_long(long_table(other + mine), "aim")
    probs = err.value.problems
    assert [p.row for p in probs[:MAX_ROWS_LISTED]] == list(range(4, 4 + MAX_ROWS_LISTED))
    assert probs[-1].message == "answer outside the response scale in 2 more rows"
    assert len(probs) == MAX_ROWS_LISTED + 1


def test_responses_from_long_checks_the_table_schema():
    long = long_table([("p1", "9901", "aim", 0, "aim_1", 4)]).drop(columns="site")
    with pytest.raises(ValidationError) as err:
        responses_from_long(long, "aim")
    assert {p.column for p in err.value.problems} >= {"site", "wave"}
