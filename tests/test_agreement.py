"""Tests of implementere_kit.measures.agreement against published worked examples and peer libraries.

Published values: Fleiss (1971) as worked on https://en.wikipedia.org/wiki/Fleiss%27_kappa
(kappa 0.210); the 2×2 grant-proposal table on https://en.wikipedia.org/wiki/Cohen%27s_kappa
(kappa 0.40); Krippendorff (2011) "Computing Krippendorff's alpha-reliability", 4 observers ×
12 units (0.743 nominal, 0.815 ordinal, 0.849 interval, 0.797 ratio — also the values R
irr::kripp.alpha prints). Peer libraries: statsmodels.stats.inter_rater and krippendorff.
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

FLEISS_WIKI = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
               [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
               [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
NAN = np.nan
KRIPPENDORFF_2011 = [[1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
                     [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]]


def problems_of(excinfo) -> list:
    return excinfo.value.problems


# -------------------------------------------------------------------------- Cohen's kappa

WIKI_A = ["yes"] * 25 + ["no"] * 25
WIKI_B = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15


def test_cohen_kappa_textbook_2x2():
    r = cohen_kappa(WIKI_A, WIKI_B)
    assert r.value == pytest.approx(0.4)  # po = 0.70, pe = 0.50
    assert r.details["observed_agreement"] == pytest.approx(0.70)
    assert r.n == 50 and not r.meets_criterion and r.criterion == 0.60


def test_cohen_kappa_interval_matches_statsmodels():
    from statsmodels.stats.inter_rater import cohens_kappa

    ref = cohens_kappa([[15, 10], [5, 20]])  # categories ordered no, yes
    r = cohen_kappa(WIKI_A, WIKI_B)
    assert (r.ci_low, r.ci_high) == pytest.approx((ref.kappa_low, ref.kappa_upp), abs=1e-9)
    narrow = cohen_kappa(WIKI_A, WIKI_B, ci=0.80)
    assert r.ci_low < narrow.ci_low < narrow.value < narrow.ci_high < r.ci_high


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_statsmodels_and_hand_formula(weights):
    from statsmodels.stats.inter_rater import cohens_kappa, to_table

    rng = np.random.default_rng(7)
    a = rng.integers(0, 4, 80)
    b = np.clip(a + rng.integers(-1, 2, 80), 0, 3)
    table, _ = to_table(np.column_stack([a, b]))
    ref = cohens_kappa(table) if weights is None else cohens_kappa(table, wt=weights)
    r = cohen_kappa(a, b, weights=weights)
    assert r.value == pytest.approx(ref.kappa, abs=1e-9)
    assert r.details["se"] == pytest.approx(ref.std_kappa, abs=1e-9)
    # independent: kappa_w = 1 − Σ w·observed / Σ w·expected
    i, j = np.indices(table.shape)
    w = {None: (i != j) * 1.0, "linear": np.abs(i - j), "quadratic": (i - j) ** 2.0}[weights]
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    assert r.value == pytest.approx(1 - (w * table).sum() / (w * expected).sum(), abs=1e-9)


def test_cohen_kappa_numeric_categories_sort_numerically_and_score_the_weights():
    from statsmodels.stats.inter_rater import cohens_kappa

    a, b = [1, 2, 10, 2, 1, 10, 2], [1, 2, 10, 10, 1, 2, 2]
    r = cohen_kappa(a, b, weights="linear")
    assert r.details["categories"] == [1, 2, 10]
    table = [[2, 0, 0], [0, 2, 1], [0, 1, 1]]
    assert r.value == pytest.approx(cohens_kappa(table, weights=[1, 2, 10], wt="linear").kappa)
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


def test_cohen_kappa_drops_subjects_missing_a_rating():
    r = cohen_kappa(WIKI_A + [NAN, "yes"], WIKI_B + ["no", None])
    assert r.n == 50 and r.value == pytest.approx(0.4)


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

def test_fleiss_kappa_wikipedia_worked_example():
    r = fleiss_kappa(FLEISS_WIKI)
    assert round(r.value, 3) == 0.210
    assert r.n == 10 and r.details == {"raters": 14, "categories": 5}
    assert math.isnan(r.ci_low) and not r.meets_criterion


def test_ratings_to_counts_round_trip_and_statsmodels():
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    raw = [[c for c, m in enumerate(row, start=1) for _ in range(m)] for row in FLEISS_WIKI]
    counts = ratings_to_counts(raw)
    assert counts.to_numpy().tolist() == FLEISS_WIKI
    assert counts.columns.tolist() == [1, 2, 3, 4, 5]
    rng = np.random.default_rng(8)
    ratings = rng.integers(1, 5, size=(25, 6))
    ref, _ = aggregate_raters(ratings)
    assert ratings_to_counts(ratings).to_numpy().tolist() == ref.tolist()
    assert fleiss_kappa(ratings_to_counts(ratings)).value == pytest.approx(sm_fleiss(ref),
                                                                           abs=1e-12)


def test_ratings_to_counts_skips_missing_and_keeps_labels():
    frame = pd.DataFrame({"r1": ["a", "b", ""], "r2": ["a", None, "c"]}, index=["s1", "s2", "s3"])
    counts = ratings_to_counts(frame, categories=["a", "b", "c", "d"])
    assert counts.index.tolist() == ["s1", "s2", "s3"]
    assert counts.to_dict("list") == {"a": [2, 0, 0], "b": [0, 1, 0], "c": [0, 0, 1],
                                      "d": [0, 0, 0]}


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

@pytest.mark.parametrize("level, published", [("nominal", 0.743), ("ordinal", 0.815),
                                              ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_alpha_published_example(level, published):
    r = krippendorff_alpha(KRIPPENDORFF_2011, level=level)
    assert round(r.value, 3) == published
    assert r.n == 11  # unit 12 has a single value and is not pairable
    assert r.criterion == 0.667 and r.meets_criterion
    assert r.details == {"raters": 4, "units": 12, "level": level}


def test_krippendorff_alpha_text_and_random_data_match_package():
    import krippendorff

    words = {1: "red", 2: "green", 3: "blue", 4: "black", 5: "white"}
    text = pd.DataFrame(KRIPPENDORFF_2011).apply(lambda c: c.map(words))
    assert krippendorff_alpha(text).value == pytest.approx(0.743421052631579, abs=1e-12)
    rng = np.random.default_rng(9)
    data = rng.integers(1, 6, size=(5, 40)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert krippendorff_alpha(data, level=level).value == pytest.approx(ref, abs=1e-9)


def test_krippendorff_alpha_ordinal_text_needs_an_order():
    order = ["never", "sometimes", "often", "always"]
    codes = np.array(KRIPPENDORFF_2011)[:, 1:9].astype(int) - 1  # units every observer rated
    text = pd.DataFrame(np.array(order, dtype=object)[codes])
    assert krippendorff_alpha(text, level="ordinal", categories=order).value == pytest.approx(
        krippendorff_alpha(codes, level="ordinal").value)
    with pytest.raises(ValidationError, match="ordered categories"):
        krippendorff_alpha(text, level="ordinal")
    with pytest.raises(ValidationError, match="needs numbers"):
        krippendorff_alpha(text, level="interval")


def test_krippendorff_alpha_reports_every_problem():
    with pytest.raises(ValidationError) as exc:
        krippendorff_alpha([[1, 2, 3]], level="cubic")
    assert len(problems_of(exc)) == 2
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


def test_percent_agreement_bad_input():
    with pytest.raises(ValidationError, match="fewer than 2 raters"):
        percent_agreement([[1], [2]])
    with pytest.raises(ValidationError, match="no subjects rated by at least two raters"):
        percent_agreement([[1, None], [None, 2]])
