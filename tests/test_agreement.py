"""Tests of implementere_kit.measures.agreement against published worked examples.

Every value checked here is printed in a publication, never taken from the library we call
(statsmodels, krippendorff):

- Cohen (1960), Table 1: three categories, 200 subjects as proportions; p_o = .70,
  p_c = .41, kappa = .492.
- SAS/STAT PROC FREQ documentation, "Getting Started: Agreement Study": two dermatologists
  rate 88 patients terrible/poor/marginal/clear; simple kappa 0.3449, ASE 0.0724, 95 %
  limits 0.2030–0.4868 (ASE of Fleiss, Cohen & Everitt 1969).
- SAS PROC FREQ output for the 3 × 3 table [[0, 4, 1], [0, 8, 0], [0, 1, 5]] as quoted in
  statsmodels' test suite: kappa 0.4842, ASE 0.1380, limits 0.2137–0.7547; weighted with
  scores 0, 1, 2 (Cicchetti–Allison = linear weights) 0.4701, ASE 0.1457, 0.1845–0.7558.
- https://en.wikipedia.org/wiki/Cohen%27s_kappa: the 2 × 2 grant-proposal table, 0.40.
- Fleiss (1971), Table 1: 30 patients, 6 psychiatrists, 5 diagnoses; kappa = .430 (the
  same data ship with R as irr::diagnoses, kappam.fleiss 0.430).
- https://en.wikipedia.org/wiki/Fleiss%27_kappa: 10 subjects × 14 raters, 0.210.
- Krippendorff (2011), "Computing Krippendorff's alpha-reliability": A, binary data, two
  observers, 0.095; B, nominal, two observers, 0.692; C/D, 4 observers × 12 units with
  missing values, 0.743 nominal, 0.815 ordinal, 0.849 interval, 0.797 ratio.
- https://en.wikipedia.org/wiki/Krippendorff%27s_alpha, "A computational example":
  3 coders × 15 units, nominal alpha 0.691.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.measures.agreement import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    ratings_to_counts,
)

NAN = np.nan


def problems_of(excinfo) -> list:
    return excinfo.value.problems


def expand(table) -> tuple[list[int], list[int]]:
    """Two raters' ratings from a confusion table (row = rater a's category)."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * int(count)
            b += [j] * int(count)
    return a, b


# -------------------------------------------------------------------------- Cohen's kappa

WIKI_A = ["yes"] * 25 + ["no"] * 25
WIKI_B = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
COHEN_1960 = (np.array([[.44, .07, .09], [.05, .20, .05], [.01, .03, .06]]) * 200).round()
SKIN = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]  # SAS agreement study
SAS_3X3 = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]


def test_cohen_kappa_cohen_1960_table_1():
    r = cohen_kappa(*expand(COHEN_1960))
    assert round(r.value, 3) == 0.492
    assert r.details["observed_agreement"] == pytest.approx(0.70)
    assert r.n == 200 and not r.meets_criterion and r.criterion == 0.60


def test_cohen_kappa_textbook_2x2():
    r = cohen_kappa(WIKI_A, WIKI_B)
    assert r.value == pytest.approx(0.4)  # po = 0.70, pe = 0.50
    assert r.details["observed_agreement"] == pytest.approx(0.70)


@pytest.mark.parametrize("table, kappa, ase, low, high", [
    (SKIN, 0.3449, 0.0724, 0.2030, 0.4868),
    (SAS_3X3, 0.4842, 0.1380, 0.2137, 0.7547),
])
def test_cohen_kappa_standard_error_and_interval_as_sas_prints_them(table, kappa, ase, low,
                                                                     high):
    r = cohen_kappa(*expand(table))
    assert [round(v, 4) for v in (r.value, r.details["se"], r.ci_low, r.ci_high)] == [
        kappa, ase, low, high]
    narrow = cohen_kappa(*expand(table), ci=0.80)
    assert r.ci_low < narrow.ci_low < narrow.value < narrow.ci_high < r.ci_high


def test_weighted_kappa_as_sas_prints_it_and_by_the_weights_formula():
    r = cohen_kappa(*expand(SAS_3X3), weights="linear")
    assert [round(v, 4) for v in (r.value, r.details["se"], r.ci_low, r.ci_high)] == [
        0.4701, 0.1457, 0.1845, 0.7558]
    # kappa_w = 1 − Σ w·observed / Σ w·expected, with disagreement weights |i − j|, (i − j)²
    table = np.asarray(SKIN, dtype=float)
    i, j = np.indices(table.shape)
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    for weights, w in (("linear", np.abs(i - j)), ("quadratic", (i - j) ** 2.0)):
        r = cohen_kappa(*expand(SKIN), weights=weights)
        assert r.value == pytest.approx(1 - (w * table).sum() / (w * expected).sum(), abs=1e-12)


def test_cohen_kappa_numeric_categories_sort_numerically_and_score_the_weights():
    a, b = [1, 2, 10, 2, 1, 10, 2], [1, 2, 10, 10, 1, 2, 2]
    r = cohen_kappa(a, b, weights="linear")
    assert r.details["categories"] == [1, 2, 10]
    # table [[2, 0, 0], [0, 2, 1], [0, 1, 1]] with scores 1, 2, 10: weights |si − sj|
    table = np.array([[2, 0, 0], [0, 2, 1], [0, 1, 1]], dtype=float)
    s = np.array([1, 2, 10])
    w = np.abs(s[:, None] - s[None, :])
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    assert r.value == pytest.approx(1 - (w * table).sum() / (w * expected).sum())
    as_text = cohen_kappa([str(v) for v in a], [str(v) for v in b], weights="linear")
    assert as_text.value == pytest.approx(r.value)  # "10" is not sorted before "2"


def test_cohen_kappa_ordered_text_categories():
    order = ["low", "mid", "high"]
    a, b = ["low", "mid", "high", "mid", "low"], ["low", "high", "high", "mid", "mid"]
    codes = {c: i for i, c in enumerate(order)}
    numeric = cohen_kappa([codes[v] for v in a], [codes[v] for v in b], weights="quadratic")
    given = cohen_kappa(a, b, weights="quadratic", categories=order)
    cat = pd.CategoricalDtype(order, ordered=True)
    typed = cohen_kappa(pd.Series(a, dtype=cat), pd.Series(b, dtype=cat), weights="quadratic")
    assert given.value == pytest.approx(numeric.value) == typed.value
    assert given.details["categories"] == order


def test_cohen_kappa_takes_subjects_by_raters_like_the_others():
    table = pd.DataFrame({"supervisor": WIKI_A, "coder": WIKI_B})
    assert cohen_kappa(table).value == cohen_kappa(WIKI_A, WIKI_B).value
    with pytest.raises(ValidationError, match="two raters"):
        cohen_kappa(table.assign(third=WIKI_A))


def test_cohen_kappa_missing_ratings_listwise_or_reported():
    r = cohen_kappa(WIKI_A + [NAN, "yes"], WIKI_B + ["no", None])
    assert r.n == 50 and r.value == pytest.approx(0.4)
    with pytest.raises(ValidationError) as exc:
        cohen_kappa(WIKI_A + [NAN, "yes"], WIKI_B + ["no", None], nan_policy="raise")
    assert [(p.row, p.column) for p in problems_of(exc)] == [(51, "a"), (52, "b")]
    with pytest.raises(ValidationError, match="nan_policy"):
        cohen_kappa(WIKI_A, WIKI_B, nan_policy="pairwise")  # two raters: no such thing


def test_cohen_kappa_reports_every_problem():
    with pytest.raises(ValidationError) as exc:
        cohen_kappa([1, 2, 3], [1, 2], weights="cubic")
    assert len(problems_of(exc)) == 2
    with pytest.raises(ValidationError, match="ordered categories"):
        cohen_kappa(["lo", "hi"], ["hi", "lo"], weights="linear")
    with pytest.raises(ValidationError) as exc:
        cohen_kappa([1, 2, 3, 2, 1], [1, 2, "x", 2, 1])
    assert [(p.row, p.column) for p in problems_of(exc)] == [(3, "b")]
    with pytest.raises(ValidationError) as exc:
        cohen_kappa([1, 2, 7], [1, 9, 2], categories=[1, 2, 3])
    assert [(p.row, p.column) for p in problems_of(exc)] == [(3, "a"), (2, "b")]
    with pytest.raises(ValidationError, match="undefined"):
        cohen_kappa([1, 1, 1], [1, 1, 1])
    with pytest.raises(ValidationError, match="no subjects rated by both"):
        cohen_kappa([1, NAN], [NAN, 2])


# ------------------------------------------------------------------------- Fleiss' kappa

FLEISS_WIKI = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
               [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
               [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
# Fleiss (1971), Table 1: diagnoses of 30 patients by 6 psychiatrists (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other).
FLEISS_1971 = [[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
               [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
               [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
               [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
               [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
               [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
               [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
               [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]]


def test_fleiss_kappa_fleiss_1971_from_raw_ratings():
    counts = ratings_to_counts(FLEISS_1971)
    assert counts.columns.tolist() == [1, 2, 3, 4, 5]
    assert counts.sum().tolist() == [26, 26, 30, 55, 43]  # column totals of Table 1
    r = fleiss_kappa(counts)
    assert round(r.value, 3) == 0.430
    assert r.n == 30 and r.details == {"raters": 6, "categories": 5}


def test_fleiss_kappa_wikipedia_worked_example():
    r = fleiss_kappa(FLEISS_WIKI)
    assert round(r.value, 3) == 0.210
    assert r.n == 10 and r.details == {"raters": 14, "categories": 5}
    assert math.isnan(r.ci_low) and not r.meets_criterion


def test_ratings_to_counts_round_trip():
    raw = [[c for c, m in enumerate(row, start=1) for _ in range(m)] for row in FLEISS_WIKI]
    counts = ratings_to_counts(raw)
    assert counts.to_numpy().tolist() == FLEISS_WIKI
    assert counts.columns.tolist() == [1, 2, 3, 4, 5]


def test_ratings_to_counts_skips_missing_and_keeps_labels():
    frame = pd.DataFrame({"r1": ["a", "b", ""], "r2": ["a", None, "c"]}, index=["s1", "s2", "s3"])
    counts = ratings_to_counts(frame, categories=["a", "b", "c", "d"])
    assert counts.index.tolist() == ["s1", "s2", "s3"]
    assert counts.to_dict("list") == {"a": [2, 0, 0], "b": [0, 1, 0], "c": [0, 0, 1],
                                      "d": [0, 0, 0]}


def test_fleiss_kappa_missing_counts_reported_or_left_out():
    with_gap = FLEISS_WIKI + [[NAN, 2, 2, 3, 7]]
    with pytest.raises(ValidationError) as exc:
        fleiss_kappa(with_gap)
    assert [(p.row, p.column, p.message) for p in problems_of(exc)] == [
        (11, "1", "missing rating")]
    assert fleiss_kappa(with_gap, nan_policy="listwise").value == fleiss_kappa(FLEISS_WIKI).value


def test_fleiss_kappa_lists_every_subject_with_another_number_of_ratings():
    with pytest.raises(ValidationError) as exc:
        fleiss_kappa([[3, 0], [2, 0], [1, 2], [0, 4], [2, 1]])
    assert [p.row for p in problems_of(exc)] == [2, 4]
    assert all("3 ratings" in p.expected for p in problems_of(exc))
    with pytest.raises(ValidationError) as exc:
        fleiss_kappa([[3, 0], [1.5, 1.5], [-1, 4]])
    assert {(p.row, p.column) for p in problems_of(exc)} >= {(2, "1"), (2, "2"), (3, "1")}
    with pytest.raises(ValidationError, match="fewer than 2 categories"):
        fleiss_kappa([[3], [3]])
    with pytest.raises(ValidationError, match="undefined"):
        fleiss_kappa([[3, 0], [3, 0]])


# ------------------------------------------------------------------ Krippendorff's alpha

# Krippendorff (2011), C and D: one row per observer, as he lays the data out.
KRIPPENDORFF_2011 = [[1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
                     [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]]
# Wikipedia's computational example: coders A, B, C (rows) × units 1–15.
KRIPPENDORFF_WIKI = [[NAN] * 5 + [3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
                     [1, NAN, 2, 1, 3, 3, 4, 3] + [NAN] * 7,
                     [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4]]


@pytest.mark.parametrize("level, published", [("nominal", 0.743), ("ordinal", 0.815),
                                              ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_alpha_published_example(level, published):
    r = krippendorff_alpha(KRIPPENDORFF_2011, level=level, raters_in="rows")
    assert round(r.value, 3) == published
    assert r.n == 11  # unit 12 has a single value and is not pairable
    assert r.criterion == 0.667 and r.meets_criterion
    assert r.details == {"raters": 4, "units": 12, "level": level, "nan_policy": "pairwise"}
    # subjects × raters, the layout of every other function here, is the default
    units_by_raters = np.array(KRIPPENDORFF_2011).T
    assert krippendorff_alpha(units_by_raters, level=level).value == r.value


@pytest.mark.parametrize("observers, published", [
    # A: binary data, two observers, no missing data
    ([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]], 0.095),
    # B: nominal data, two observers, no missing data
    ([["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"], ["b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"]], 0.692),
])
def test_krippendorff_alpha_two_observer_examples(observers, published):
    assert round(krippendorff_alpha(observers, raters_in="rows").value, 3) == published


def test_krippendorff_alpha_wikipedia_computational_example():
    r = krippendorff_alpha(KRIPPENDORFF_WIKI, raters_in="rows")
    assert round(r.value, 3) == 0.691
    assert r.n == 12  # units with at least two values (not 1, 2 and 14)


def test_krippendorff_alpha_text_labels_do_not_change_nominal_alpha():
    words = {1: "red", 2: "green", 3: "blue", 4: "black", 5: "white"}
    text = pd.DataFrame(KRIPPENDORFF_2011).apply(lambda c: c.map(words))
    assert round(krippendorff_alpha(text, raters_in="rows").value, 3) == 0.743


def test_krippendorff_alpha_ordinal_text_needs_an_order():
    order = ["never", "sometimes", "often", "always"]
    codes = np.array(KRIPPENDORFF_2011)[:, 1:9].astype(int).T - 1  # units every observer rated
    text = pd.DataFrame(np.array(order, dtype=object)[codes])
    assert krippendorff_alpha(text, level="ordinal", categories=order).value == pytest.approx(
        krippendorff_alpha(codes, level="ordinal").value)
    with pytest.raises(ValidationError, match="ordered categories"):
        krippendorff_alpha(text, level="ordinal")
    with pytest.raises(ValidationError, match="needs numbers"):
        krippendorff_alpha(text, level="interval")


def test_krippendorff_alpha_nan_policies():
    complete_units = np.array(KRIPPENDORFF_2011)[:, 1:9]  # rated by all four observers
    listwise = krippendorff_alpha(KRIPPENDORFF_2011, raters_in="rows", nan_policy="listwise")
    assert listwise.value == krippendorff_alpha(complete_units, raters_in="rows").value
    assert listwise.details["units"] == 8
    with pytest.raises(ValidationError) as exc:
        krippendorff_alpha(KRIPPENDORFF_2011, raters_in="rows", nan_policy="raise")
    gaps = [(p.row, p.column) for p in problems_of(exc)]
    assert (3, "1") in gaps and (1, "10") in gaps and len(gaps) == 7  # row = observer


def test_krippendorff_alpha_reports_every_problem():
    with pytest.raises(ValidationError) as exc:
        krippendorff_alpha([[1], [2], [3]], level="cubic", raters_in="diagonal")
    assert {p.column for p in problems_of(exc)} >= {"level", "raters_in"}
    with pytest.raises(ValidationError, match="fewer than 2 raters"):
        krippendorff_alpha([[1], [2], [3]])
    with pytest.raises(ValidationError, match="no units rated by at least two raters"):
        krippendorff_alpha([[1, NAN], [NAN, 2]])
    with pytest.raises(ValidationError, match="undefined"):
        krippendorff_alpha([[2, 2], [2, 2]])


# -------------------------------------------------------------------- percent agreement

def test_percent_agreement_hand_computed():
    r = percent_agreement([[1, 1, 1], [1, 2, 1], [2, 2, None], [3, 3, 3], [4, None, None]])
    assert r.value == 0.75 and r.n == 4  # subject 5 has one rating only
    # rater pairs on their common subjects: (1,2) 3 of 4, (1,3) 3 of 3, (2,3) 2 of 3
    assert r.details["pairwise_agreement"] == pytest.approx((3 / 4 + 1 + 2 / 3) / 3)
    assert math.isnan(r.criterion) and not r.meets_criterion
    assert r.verdict() == "no criterion"
    assert percent_agreement([[1, 1], [1, 2]], criterion=0.49).meets_criterion
    assert "pairwise_agreement" in r.summary.columns


def test_percent_agreement_nan_policies():
    ratings = [[1, 1, 1], [1, 2, 1], [2, 2, None], [3, 3, 3], [4, None, None]]
    listwise = percent_agreement(ratings, nan_policy="listwise")
    assert (listwise.value, listwise.n) == (2 / 3, 3)
    with pytest.raises(ValidationError) as exc:
        percent_agreement(ratings, nan_policy="raise")
    assert [(p.row, p.column) for p in problems_of(exc)] == [(5, "2"), (3, "3"), (5, "3")]


def test_percent_agreement_bad_input():
    with pytest.raises(ValidationError, match="fewer than 2 raters"):
        percent_agreement([[1], [2]])
    with pytest.raises(ValidationError, match="no subjects rated by at least two raters"):
        percent_agreement([[1, None], [None, 2]])
