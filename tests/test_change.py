"""Paired change statistics against published worked examples and a peer library."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from implementere_kit.errors import ValidationError
from implementere_kit.measures.change import (
    RC_CRITICAL,
    hedges_j,
    noncentral_t_ci,
    paired_change,
    paired_effect_size,
    reliable_change,
)

# Lakens (2013), Table 1: ten people rate Movie 1 and Movie 2.
MOVIE1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


def test_lakens_2013_worked_example():
    # published: M 8.7 vs 7.7, r = .726, t(9) = 4.74, d_z = 1.50, d_av = 1.13, g_av = 1.08
    assert np.corrcoef(MOVIE1, MOVIE2)[0, 1] == pytest.approx(0.726, abs=5e-4)
    dz = paired_effect_size(MOVIE2, MOVIE1, "d_z")  # Movie 1 minus Movie 2: positive
    assert round(dz.estimate, 2) == 1.50
    assert round(dz.estimate * math.sqrt(10), 2) == 4.74
    g = paired_effect_size(MOVIE2, MOVIE1)
    assert g.statistic == "hedges_g_av"
    assert round(g.estimate, 2) == 1.08
    assert round(g.estimate / hedges_j(10), 2) == 1.13  # d_av before the correction


def test_direction_follows_post_minus_pre():
    assert paired_effect_size(MOVIE1, MOVIE2).estimate < 0
    assert paired_change(MOVIE1, MOVIE2).estimate == pytest.approx(-1.0)


def test_mean_change_interval_matches_scipy_and_statsmodels():
    from statsmodels.stats.weightstats import DescrStatsW

    rng = np.random.default_rng(3)
    pre = rng.normal(50, 10, 23)
    post = pre - 4 + rng.normal(0, 6, 23)
    ours = paired_change(pre, post, level=0.9)
    ci = stats.ttest_rel(post, pre).confidence_interval(confidence_level=0.9)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    lo, hi = DescrStatsW(post - pre).tconfint_mean(alpha=0.1)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((lo, hi), rel=1e-10)


@pytest.mark.parametrize("t_obs,df", [(4.743, 9), (-2.1, 24), (0.3, 4), (12.0, 60)])
def test_noncentral_interval_inverts_the_noncentral_t(t_obs, df):
    lo, hi = noncentral_t_ci(t_obs, df, 0.95)
    # an independent inversion with scipy's root finder on a wide fixed bracket
    lo_b, hi_b = t_obs - 6, t_obs + 6
    ref_lo = optimize.brentq(lambda x: stats.nct.cdf(t_obs, df, x) - 0.975, lo_b, hi_b)
    ref_hi = optimize.brentq(lambda x: stats.nct.cdf(t_obs, df, x) - 0.025, lo_b, hi_b)
    assert (lo, hi) == pytest.approx((ref_lo, ref_hi), abs=1e-7)
    assert lo < t_obs < hi


def test_dz_interval_is_the_noncentral_interval_scaled():
    r = paired_effect_size(MOVIE2, MOVIE1, "d_z")
    lo, hi = noncentral_t_ci(1.5 * math.sqrt(10), 9)
    assert (r.ci_low, r.ci_high) == pytest.approx((lo / math.sqrt(10), hi / math.sqrt(10)))


def test_g_av_interval_covers_about_95_percent():
    # Algina & Keselman's approximation is meant to be close to nominal at moderate r
    rng = np.random.default_rng(2024)
    n, delta, reps, hits = 25, 0.5, 400, 0
    cov = [[1, 0.6], [0.6, 1]]
    for _ in range(reps):
        x = rng.multivariate_normal([0, delta], cov, n)
        r = paired_effect_size(x[:, 0], x[:, 1])
        j = hedges_j(n)
        hits += r.ci_low / j <= delta <= r.ci_high / j
    assert 0.92 <= hits / reps <= 0.98


def test_too_few_pairs_and_no_variation_give_nan_not_errors():
    assert math.isnan(paired_effect_size([1, 2], [2, 3]).estimate)
    same = paired_effect_size([1, 2, 3, 4], [2, 3, 4, 5], "d_z")  # every difference is 1
    assert math.isnan(same.estimate) and same.n == 4
    assert math.isnan(paired_change([1], [2]).ci_low)


def test_missing_values_drop_the_pair():
    r = paired_change([1, 2, None, 4, "x"], [2, 4, 5, None, 6])
    assert r.n == 2 and r.estimate == pytest.approx(1.5)


@pytest.mark.parametrize("kwargs,column", [({"kind": "d_av"}, "effect_size"),
                                           ({"level": 1.2}, "level"),
                                           ({"level": True}, "level")])
def test_bad_arguments_are_refused(kwargs, column):
    with pytest.raises(ValidationError) as e:
        paired_effect_size(MOVIE1, MOVIE2, **kwargs)
    assert e.value.problems[0].column == column


# -- reliable change (Jacobson & Truax 1991) -------------------------------------------------
def test_reliable_change_follows_jacobson_and_truax():
    # SE = s1 √(1 − rxx); S_diff = √(2 SE²); RC = (x2 − x1) / S_diff; |RC| > 1.96
    s1, rxx = 7.6, 0.95
    se = s1 * math.sqrt(1 - rxx)
    s_diff = math.sqrt(2 * se**2)
    rc = reliable_change([20, 20, 20], [15, 16, 25], rxx, sd=s1, higher_is_better=False)
    assert rc.attrs["s_diff"] == pytest.approx(s_diff)
    assert rc.attrs["threshold"] == pytest.approx(1.96 * s_diff)  # 4.71 points
    assert rc["rc"].tolist() == pytest.approx([-5 / s_diff, -4 / s_diff, 5 / s_diff])
    assert rc["category"].tolist() == ["improved", "unchanged", "deteriorated"]


def test_reliable_change_uses_the_pre_sd_of_the_sample_by_default():
    pre, post = [10, 14, 18, 22], [8, 14, 20, 30]
    rc = reliable_change(pre, post, 0.8)
    assert rc.attrs["sd"] == pytest.approx(np.std(pre, ddof=1))


def test_reliable_change_keeps_order_and_marks_missing_pairs():
    rc = reliable_change([10, None, 12], [2, 5, 12], 0.8, sd=2.0)
    assert rc["category"].isna().tolist() == [False, True, False]
    assert rc["category"].iloc[0] == "deteriorated"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=2, max_size=30),
       st.floats(0.3, 0.95), st.booleans())
def test_reliable_change_is_antisymmetric(pairs, rel, higher):
    pre, post = zip(*pairs, strict=True)
    a = reliable_change(pre, post, rel, sd=5.0, higher_is_better=higher)
    b = reliable_change(post, pre, rel, sd=5.0, higher_is_better=higher)
    flip = {"improved": "deteriorated", "deteriorated": "improved", "unchanged": "unchanged"}
    assert a["category"].map(flip).tolist() == b["category"].tolist()
    assert (a["rc"].abs() > RC_CRITICAL).sum() == (a["category"] != "unchanged").sum()


@pytest.mark.parametrize("rel", [0, 1, 1.5, "0.8", None])
def test_reliability_must_be_a_coefficient(rel):
    with pytest.raises(ValidationError):
        reliable_change([1, 2], [2, 3], rel)


def test_sd_must_be_positive():
    with pytest.raises(ValidationError):
        reliable_change([1, 2], [2, 3], 0.8, sd=0)
    assert reliable_change(pd.Series([1.0]), pd.Series([2.0]), 0.8)["category"].isna().all()
