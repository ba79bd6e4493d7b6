"""Tests of implementere_kit.measures.reliability against published worked examples.

Published values, never the output of a library we call:

- Shrout & Fleiss (1979), Table 2 (six targets, four judges) and the ICCs they derive from
  it (.17, .29, .71, .44, .62, .91); the F tests, p-values and 95 % limits of the same data
  as R's psych::ICC prints them in its documentation example (Revelle, psych package).
- Feldt's interval for alpha: the worked example of Chris Evans' feldt1 function (MRC
  Cognition and Brain Sciences Unit statistics wiki, "FAQ/cafun"): alpha = .913, n = 873,
  k = 20 gives .9044024 to .9211588 (Feldt, Woodruff & Salih 1987, formulas 6 and 7).
- The 2×2 grant-proposal table on https://en.wikipedia.org/wiki/Cohen%27s_kappa (kappa
  0.40) for the result display. The agreement coefficients re-exported here are tested in
  tests/test_agreement.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.measures.reliability import (
    ICC_FORMS,
    ReliabilityResult,
    cohen_kappa,
    cronbach_alpha,
    fleiss_kappa,
    icc,
    reliability_table,
)

SHROUT_FLEISS = pd.DataFrame(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    columns=["judge1", "judge2", "judge3", "judge4"],
)
NAN = np.nan
# psych::ICC(sf), the example of its documentation: F, p, lower and upper 95 % bound
PSYCH_SF = {"ICC(1,1)": (1.8, 0.16477, -0.133, 0.72), "ICC(2,1)": (11.0, 0.00013, 0.019, 0.76),
            "ICC(3,1)": (11.0, 0.00013, 0.342, 0.95), "ICC(1,k)": (1.8, 0.16477, -0.884, 0.91),
            "ICC(2,k)": (11.0, 0.00013, 0.071, 0.93), "ICC(3,k)": (11.0, 0.00013, 0.676, 0.99)}
WIKI_A = ["yes"] * 25 + ["no"] * 25  # kappa 0.40 against WIKI_B
WIKI_B = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15


def problems_of(excinfo) -> list:
    return excinfo.value.problems


# ------------------------------------------------------------------------------- ICC

def test_icc_reproduces_shrout_fleiss_table():
    out = icc(SHROUT_FLEISS)
    assert list(out.index) == list(ICC_FORMS)
    assert out["icc"].round(2).tolist() == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    assert out.attrs["n"] == 6 and out.attrs["k"] == 4 and out.attrs["dropped_targets"] == 0
    assert out["df1"].tolist() == [5] * 6
    assert out["df2"].tolist() == [18, 15, 15, 18, 15, 15]


def test_icc_meets_criterion_is_strictly_above_060():
    out = icc(SHROUT_FLEISS)
    assert out["meets_criterion"].tolist() == [False, False, True, False, True, True]
    # ICC(2,k) is 0.620: a criterion just above it flips the flag
    assert not icc(SHROUT_FLEISS, criterion=0.621).loc["ICC(2,k)", "meets_criterion"]
    assert icc(SHROUT_FLEISS, criterion=0.619).loc["ICC(2,k)", "meets_criterion"]


def test_icc_tests_and_intervals_as_psych_prints_them_for_shrout_fleiss():
    out = icc(SHROUT_FLEISS)
    for form, (f, p, low, high) in PSYCH_SF.items():
        row = out.loc[form]
        assert round(row["F"], 1) == f and round(row["p"], 5) == p
        assert (round(row["ci_low"], 3), round(row["ci_high"], 2)) == (low, high)
    # F from the mean squares of Shrout & Fleiss: BMS 11.24, WMS 6.26, EMS 1.02
    assert out.loc["ICC(1,1)", "F"] == pytest.approx(11.24 / 6.26, abs=0.005)
    assert out.loc["ICC(3,1)", "F"] == pytest.approx(11.24 / 1.02, abs=0.05)


def test_icc_long_format_equals_wide():
    long = SHROUT_FLEISS.rename_axis("child").reset_index().melt(
        id_vars="child", var_name="judge", value_name="score").sample(frac=1, random_state=3)
    pd.testing.assert_frame_equal(icc(long, targets="child", raters="judge", ratings="score"),
                                  icc(SHROUT_FLEISS))


def test_icc_drops_targets_with_missing_ratings():
    with_gaps = pd.concat([SHROUT_FLEISS, pd.DataFrame(
        [[1, NAN, 3, 4], [NAN, NAN, 2, 2]], columns=SHROUT_FLEISS.columns)], ignore_index=True)
    out = icc(with_gaps)
    assert out.attrs["dropped_targets"] == 2 and out.attrs["n"] == 6
    pd.testing.assert_series_equal(out["icc"], icc(SHROUT_FLEISS)["icc"])


def test_icc_narrower_interval_at_lower_confidence():
    wide, narrow = icc(SHROUT_FLEISS, ci=0.95), icc(SHROUT_FLEISS, ci=0.80)
    assert ((narrow["ci_high"] - narrow["ci_low"]) < (wide["ci_high"] - wide["ci_low"])).all()
    assert (narrow["ci_low"] <= narrow["icc"]).all() and (narrow["icc"] <= narrow["ci_high"]).all()


def test_icc_lists_every_non_numeric_cell_and_masks_identifiers():
    bad = pd.DataFrame({"a": [1, "x", 3, "010190-1234"], "b": ["y", 2, "3,5", 4]})
    with pytest.raises(ValidationError) as exc:
        icc(bad)
    where = {(p.row, p.column) for p in problems_of(exc)}
    assert where == {(2, "a"), (4, "a"), (1, "b")}  # "3,5" reads as 3.5
    assert "1234" not in str(exc.value) and "masked" in str(exc.value)


@pytest.mark.parametrize("data, expected", [
    ([[1], [2], [3]], "fewer than 2 raters"),
    (pd.DataFrame(), "empty"),
    ([1, 2, 3], "must be a table"),
])
def test_icc_rejects_too_few_raters_or_empty_data(data, expected):
    with pytest.raises(ValidationError, match=expected):
        icc(data)


def test_icc_too_few_complete_targets_names_the_empty_rater():
    with pytest.raises(ValidationError) as exc:
        icc(pd.DataFrame({"anna": [1, 2, NAN], "bo": [NAN, NAN, NAN]}))
    assert "fewer than 2 targets" in str(exc.value) and "bo" in str(exc.value)


def test_icc_long_format_lists_missing_columns_and_duplicates():
    data = pd.DataFrame({"t": [1, 1, 2, 2, 1, 2], "r": list("ababab"), "y": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(ValidationError) as exc:
        icc(data, targets="target", raters="rater", ratings="y")
    assert {p.column for p in problems_of(exc)} == {"target", "rater"}
    with pytest.raises(ValidationError) as exc:
        icc(data, targets="t", raters="r", ratings="y")
    assert [(p.row, p.column) for p in problems_of(exc)] == [(5, "r"), (6, "r")]
    with pytest.raises(ValidationError, match="targets=, raters= and ratings="):
        icc(data, targets="t")


# ----------------------------------------------------------------------- Cronbach's alpha

def test_cronbach_alpha_hand_computed():
    # item variances 5/3, 4/3, 2/3 (sum 11/3); totals 5, 7, 10, 12 have variance 29/3;
    # alpha = 3/2 · (1 − 11/29) = 27/29
    r = cronbach_alpha([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 4]])
    assert r.value == pytest.approx(27 / 29, abs=1e-12)
    assert r.n == 4 and r.details["items"] == 3 and r.statistic == "Cronbach's alpha"
    assert r.ci_low < r.value < r.ci_high


def test_feldt_interval_published_example():
    from implementere_kit.measures.reliability import _feldt_interval

    low, high = _feldt_interval(0.913, 873, 20, 0.95)
    assert (round(low, 7), round(high, 7)) == (0.9044024, 0.9211588)
    r = cronbach_alpha([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 4]], ci=0.9)
    assert (r.ci_low, r.ci_high) == _feldt_interval(r.value, 4, 3, 0.9)


def test_cronbach_alpha_pairwise_by_hand():
    # pairwise: each covariance from the respondents who answered both items
    x = np.array([[1, 2, 2], [2, NAN, 3], [3, 4, NAN], [4, 4, 4], [2, 3, 3]], dtype=float)
    k = x.shape[1]
    cov = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            cov[i, j] = np.cov(x[both, i], x[both, j])[0, 1]
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    r = cronbach_alpha(x, nan_policy="pairwise")
    assert r.value == pytest.approx(expected, abs=1e-12) and r.n == 5
    listwise = cronbach_alpha(x)
    assert listwise.n == 3 and listwise.value == pytest.approx(
        cronbach_alpha(x[[0, 3, 4]]).value)


def test_cronbach_alpha_nan_policies_and_empty_respondents():
    items = pd.DataFrame({"q1": [1, 2, 3, 4, NAN, NAN], "q2": [2, 2, 4, 4, 3, NAN],
                          "q3": [2, 3, 3, 4, 4, NAN]})
    listwise = cronbach_alpha(items)
    assert listwise.n == 4 and listwise.value == pytest.approx(27 / 29)
    pairwise = cronbach_alpha(items, nan_policy="pairwise")
    assert pairwise.n == 5  # the respondent who answered nothing is not counted
    assert pairwise.value != pytest.approx(listwise.value)


def test_cronbach_alpha_criterion_is_strict():
    data = [[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 4]]
    assert cronbach_alpha(data).meets_criterion  # 0.931 > 0.70
    assert cronbach_alpha(data).criterion == 0.70
    value = cronbach_alpha(data).value  # 27/29
    assert not cronbach_alpha(data, criterion=value).meets_criterion
    assert cronbach_alpha(data, criterion=value - 1e-9).meets_criterion


def test_cronbach_alpha_reports_every_problem():
    with pytest.raises(ValidationError) as exc:
        cronbach_alpha(pd.DataFrame({"q1": [1, 2, 3]}), nan_policy="everything", ci=95)
    messages = " | ".join(p.message for p in problems_of(exc))
    assert "nan_policy" in messages and "fewer than 2 items" in messages
    assert "confidence level" in messages
    with pytest.raises(ValidationError, match="fewer than 2 respondents"):
        cronbach_alpha([[1, 2], [NAN, 3]])


def test_cronbach_alpha_equals_covariance_formula():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(200, 5)) + rng.normal(size=(200, 1))
    cov = np.cov(x, rowvar=False)
    expected = 5 / 4 * (1 - np.trace(cov) / cov.sum())
    assert cronbach_alpha(x).value == pytest.approx(expected, abs=1e-12)


# ------------------------------------------------------------------ results and the table

def test_result_criterion_flag_is_strict_and_nan_safe():
    assert not ReliabilityResult("Cohen's kappa", 0.60, criterion=0.60).meets_criterion
    assert ReliabilityResult("Cohen's kappa", 0.6000001, criterion=0.60).meets_criterion
    assert not ReliabilityResult("Cohen's kappa", NAN, criterion=0.60).meets_criterion
    assert ReliabilityResult("x", NAN).verdict() == "undefined"
    assert float(ReliabilityResult("x", 0.25)) == 0.25


def test_result_summary_and_html():
    r = cohen_kappa(WIKI_A, WIKI_B)
    summary = r.summary
    assert summary.shape[0] == 1
    assert summary.loc[0, ["statistic", "n", "meets_criterion"]].tolist() == [
        "Cohen's kappa", 50, False]
    page = r._repr_html_()
    assert "Cohen&#x27;s kappa" in page and "0.400" in page and "95% CI" in page
    assert "below the criterion (&gt; 0.6)" in page
    assert "meets the criterion" in cronbach_alpha([[1, 2, 2], [2, 2, 3], [3, 4, 3],
                                                    [4, 4, 4]])._repr_html_()


def test_reliability_table_one_row_per_result():
    results = {"fidelity items": cronbach_alpha([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 4]]),
               "coders": cohen_kappa(WIKI_A, WIKI_B),
               "competence": ReliabilityResult.from_icc(icc(SHROUT_FLEISS), "ICC(3,1)")}
    table = reliability_table(results)
    assert table.index.tolist() == ["fidelity items", "coders", "competence"]
    assert table["meets_criterion"].tolist() == [True, False, True]  # kappa 0.40 ≤ 0.60
    assert table.loc["coders", "value"] == pytest.approx(0.4)
    assert table.loc["competence", "value"] == pytest.approx(0.714841, abs=1e-6)
    assert table.loc["competence", "n"] == 6
    fleiss = fleiss_kappa([[3, 0], [0, 3], [2, 1], [3, 0]])
    assert reliability_table([fleiss]).loc[0, "statistic"] == "Fleiss' kappa"
    with pytest.raises(ValidationError) as exc:
        reliability_table([results["coders"], 0.8, "x"])
    assert [p.row for p in problems_of(exc)] == [2, 3]
    with pytest.raises(ValidationError, match="unknown ICC form"):
        ReliabilityResult.from_icc(icc(SHROUT_FLEISS), "ICC(4,1)")


def test_every_name_stays_importable_from_reliability():
    import implementere_kit
    import implementere_kit.measures._ratings as shared
    import implementere_kit.measures.agreement as agreement
    import implementere_kit.measures.reliability as reliability

    for name in agreement.__all__:
        assert name in reliability.__all__
        assert getattr(reliability, name) is getattr(agreement, name)
        assert getattr(implementere_kit, name) is getattr(agreement, name)
    for name in ("ReliabilityResult", "CRITERIA", "ICC_FORMS", "WEIGHTS", "MEASUREMENT_LEVELS"):
        assert getattr(reliability, name) is getattr(shared, name)
    assert implementere_kit.ReliabilityResult is shared.ReliabilityResult


def test_every_reliability_function_takes_nan_policy():
    import inspect

    from implementere_kit.measures import agreement, reliability

    for fn in (reliability.cronbach_alpha, reliability.icc, agreement.cohen_kappa,
               agreement.fleiss_kappa, agreement.krippendorff_alpha,
               agreement.percent_agreement):
        assert "nan_policy" in inspect.signature(fn).parameters, fn.__name__


def test_icc_nan_policy_raise_names_each_missing_rating():
    with_gaps = pd.concat([SHROUT_FLEISS, pd.DataFrame(
        [[1, NAN, 3, 4]], columns=SHROUT_FLEISS.columns)], ignore_index=True)
    with pytest.raises(ValidationError) as exc:
        icc(with_gaps, nan_policy="raise")
    assert [(p.row, p.column, p.message) for p in problems_of(exc)] == [
        (7, "judge2", "missing rating")]
    with pytest.raises(ValidationError, match="nan_policy"):
        icc(SHROUT_FLEISS, nan_policy="pairwise")  # the two-way ANOVA needs whole rows


def test_cronbach_alpha_nan_policy_raise():
    with pytest.raises(ValidationError) as exc:
        cronbach_alpha([[1, 2, 2], [2, NAN, 3], [3, 4, 3]], nan_policy="raise")
    assert [(p.row, p.column) for p in problems_of(exc)] == [(2, "2")]
