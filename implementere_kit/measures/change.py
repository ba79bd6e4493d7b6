"""Change from before to after in the same people: mean change, a paired standardised
effect size and the reliable change index.

Three questions about a pre–post measurement, three statistics:

* *How much did the mean change?* :func:`paired_change` — the mean of the differences with
  its t interval (the paired t test's interval).
* *How large is that in standard deviations?* :func:`paired_effect_size` — Hedges' g_av
  (default) or Cohen's d_z, with a confidence interval. g_av divides the mean change by the
  average of the two standard deviations (Lakens 2013, eq. 10) and removes the small-sample
  bias with Hedges' factor J = 1 − 3 / (4(n₁ + n₂) − 9) (Lakens 2013, eq. 4, with n₁ = n₂ =
  n): it is on the scale of a between-groups d, so it can be set beside other studies
  (Cumming 2012 recommends d_av for this). d_z divides by the standard deviation of the
  differences: it is what the paired t test sees (t = d_z √n).
  The interval of d_z is exact: the noncentral t interval for λ = d_z √n. The interval of
  g_av follows Algina & Keselman (2003), the method of Cumming's ESCI: the noncentral t
  interval for λ, mapped to the d_av scale by the ratio d_av / t, then multiplied by J.
* *Which people changed more than measurement error explains?* :func:`reliable_change` —
  Jacobson & Truax's (1991) reliable change index RC = (x₂ − x₁) / S_diff, with
  S_diff = √(2 SE²) and SE = s₁ √(1 − r_xx), where s₁ is the standard deviation before
  (of the sample or a published norm) and r_xx the instrument's reliability. |RC| > 1.96
  is a reliable change (p < .05).

Worked example (Lakens 2013, Table 1: ten people rate two films): means 8.7 and 7.7,
r = .726, t(9) = 4.74, d_z = 1.50, d_av = 1.13, g_av = 1.08 — :func:`paired_effect_size`
reproduces these (``tests/test_change.py``).

References
----------
Lakens D (2013). Calculating and reporting effect sizes to facilitate cumulative science:
a practical primer for t-tests and ANOVAs. Frontiers in Psychology 4:863.
https://doi.org/10.3389/fpsyg.2013.00863

Cumming G (2012). Understanding the New Statistics: Effect Sizes, Confidence Intervals,
and Meta-Analysis. New York: Routledge (d_av and its interval, ESCI).

Algina J, Keselman HJ (2003). Approximate confidence intervals for effect sizes.
Educational and Psychological Measurement 63:537–553.

Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to defining
meaningful change in psychotherapy research. Journal of Consulting and Clinical
Psychology 59:12–19. https://doi.org/10.1037/0022-006X.59.1.12
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value

__all__ = ["paired_change", "paired_effect_size", "reliable_change", "noncentral_t_ci",
           "hedges_j", "EFFECT_SIZES", "RC_CRITICAL", "ChangeResult"]

#: The paired effect sizes on offer, and what each is called in output.
EFFECT_SIZES = {"g_av": "hedges_g_av", "d_z": "cohens_d_z"}
#: Jacobson & Truax's criterion: |RC| above it is reliable change at p < .05.
RC_CRITICAL = 1.96


@dataclass(frozen=True)
class ChangeResult:
    """One statistic with its confidence interval, as the functions here return it."""

    statistic: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    level: float

    def as_dict(self) -> dict:
        return {"statistic": self.statistic, "estimate": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n}


def _arrays(pre, post) -> tuple[np.ndarray, np.ndarray]:
    """Both series as float arrays of the same length (NaN where not a number)."""
    a = pd.to_numeric(pd.Series(pre, dtype="object"), errors="coerce").to_numpy(float)
    b = pd.to_numeric(pd.Series(post, dtype="object"), errors="coerce").to_numpy(float)
    if a.shape != b.shape:
        raise ValidationError([Problem("pre and post must be paired", column="post",
                                       expected=f"{len(a)} values", found=str(len(b)))])
    return a, b


def _pairs(pre, post) -> tuple[np.ndarray, np.ndarray]:
    """Complete pairs as float arrays; a pair with either value missing is left out."""
    a, b = _arrays(pre, post)
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


def _check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ValidationError([Problem("confidence level must lie between 0 and 1",
                                       column="level", expected="e.g. 0.95",
                                       found=safe_value(level))])
    return float(level)


def hedges_j(n: int) -> float:
    """Hedges' small-sample factor for a paired d_av as Lakens (2013, eq. 4) applies it:
    1 − 3 / (4(n₁ + n₂) − 9) with n₁ = n₂ = n.

    Examples
    --------
    >>> round(hedges_j(10), 4)
    0.9577
    """
    return 1 - 3 / (8 * n - 9)


def noncentral_t_ci(t: float, df: float, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval for the noncentrality parameter λ of a t statistic.

    The limits are the λ for which the observed ``t`` is the upper (lower) (1 − level)/2
    quantile of the noncentral t distribution with ``df`` degrees of freedom, found by
    Brent's method on :func:`scipy.stats.nct.cdf` (Steiger & Fouladi's inversion).

    Examples
    --------
    >>> lo, hi = noncentral_t_ci(0.0, 9)
    >>> round(lo, 3) == -round(hi, 3)
    True
    """
    from scipy import optimize, stats

    if not (math.isfinite(t) and df > 0):
        return math.nan, math.nan
    alpha = 1 - _check_level(level)

    def limit(target: float) -> float:
        def f(lam: float) -> float:  # decreasing in λ, from 1 − target to −target
            value = stats.nct.cdf(t, df, lam)
            if math.isnan(value):  # far tails: scipy gives up where the cdf is 0 or 1
                value = 0.0 if lam > t else 1.0
            return value - target

        step = max(2.0, abs(t))
        lo, hi = t - step, t + step
        while f(lo) < 0:
            lo -= step
            step *= 2
        step = max(2.0, abs(t))
        while f(hi) > 0:
            hi += step
            step *= 2
        return optimize.brentq(f, lo, hi, xtol=1e-10)

    return limit(1 - alpha / 2), limit(alpha / 2)


def paired_change(pre, post, level: float = 0.95) -> ChangeResult:
    """Mean change (post − pre) with its t confidence interval.

    Examples
    --------
    >>> r = paired_change([9, 7, 8, 9, 8, 9, 9, 10, 9, 9], [9, 6, 7, 8, 7, 9, 8, 8, 8, 7])
    >>> round(r.estimate, 2), round(r.ci_low, 2), round(r.ci_high, 2), r.n
    (-1.0, -1.48, -0.52, 10)
    """
    from scipy import stats

    level = _check_level(level)
    a, b = _pairs(pre, post)
    d = b - a
    n = len(d)
    if n < 2:
        return ChangeResult("mean_change", float(d.mean()) if n else math.nan, math.nan,
                            math.nan, n, level)
    se = d.std(ddof=1) / math.sqrt(n)
    q = stats.t.ppf(1 - (1 - level) / 2, n - 1)
    m = float(d.mean())
    return ChangeResult("mean_change", m, float(m - q * se), float(m + q * se), n, level)


def paired_effect_size(pre, post, kind: str = "g_av", level: float = 0.95) -> ChangeResult:
    """Standardised change in the same people: Hedges' g_av (default) or Cohen's d_z.

    Positive when ``post`` is higher than ``pre``. See the module docstring for the
    formulas and the intervals.

    Parameters
    ----------
    pre, post : array-like
        Paired scores; pairs with a missing value are left out.
    kind : {"g_av", "d_z"}
    level : float
        Confidence level of the interval.

    Returns
    -------
    ChangeResult
        ``statistic`` is ``hedges_g_av`` or ``cohens_d_z``. With fewer than three pairs,
        or differences that do not vary, the interval is NaN.

    Examples
    --------
    Lakens (2013), Table 1 (Movie 1 then Movie 2; the ratings drop by one point):

    >>> m1, m2 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9], [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> round(paired_effect_size(m1, m2, "d_z").estimate, 2)
    -1.5
    >>> round(paired_effect_size(m1, m2).estimate, 2)
    -1.08
    """
    if kind not in EFFECT_SIZES:
        raise ValidationError([Problem("unknown effect size", column="effect_size",
                                       expected=" or ".join(EFFECT_SIZES),
                                       found=safe_value(kind))])
    level = _check_level(level)
    a, b = _pairs(pre, post)
    n, name = len(a), EFFECT_SIZES[kind]
    nan = ChangeResult(name, math.nan, math.nan, math.nan, n, level)
    if n < 3:
        return nan
    d = b - a
    s_diff = d.std(ddof=1)
    if kind == "d_z":
        if s_diff == 0:
            return nan
        dz = d.mean() / s_diff
        lo, hi = noncentral_t_ci(dz * math.sqrt(n), n - 1, level)
        return ChangeResult(name, float(dz), lo / math.sqrt(n), hi / math.sqrt(n), n, level)
    s_av = (a.std(ddof=1) + b.std(ddof=1)) / 2  # Lakens (2013), eq. 10
    if s_av == 0:
        return nan
    d_av = d.mean() / s_av
    j = hedges_j(n)
    if s_diff == 0:
        return ChangeResult(name, float(d_av * j), math.nan, math.nan, n, level)
    t = d.mean() / (s_diff / math.sqrt(n))
    lo, hi = noncentral_t_ci(t, n - 1, level)
    ratio = d_av / t if t != 0 else s_diff / (math.sqrt(n) * s_av)
    return ChangeResult(name, float(d_av * j), float(lo * ratio * j), float(hi * ratio * j),
                        n, level)


def reliable_change(pre, post, reliability: float, *, sd: float | None = None,
                    higher_is_better: bool = True) -> pd.DataFrame:
    """Jacobson & Truax's (1991) reliable change index, person by person.

    Parameters
    ----------
    pre, post : array-like
        Paired scores, one pair per person (kept in order; a pair with a missing value
        gets NaN and category ``None``).
    reliability : float
        The instrument's reliability r_xx (test–retest as Jacobson & Truax use it, or
        Cronbach's α), 0 < r_xx < 1.
    sd : float, optional
        s₁, the standard deviation before treatment; default the sample's pre scores
        (Jacobson & Truax's choice). Pass a published norm SD to judge small samples.
    higher_is_better : bool
        Whether a rise is an improvement (False for stress and problem scales).

    Returns
    -------
    DataFrame
        ``pre``, ``post``, ``change``, ``rc`` and ``category`` (``improved``,
        ``unchanged``, ``deteriorated``); ``attrs`` hold ``s_diff``, ``sd``,
        ``reliability`` and ``threshold`` (the smallest reliable change in points,
        1.96 × S_diff).

    Examples
    --------
    Pre SD 7.5 and r_xx = .80 give SE = 3.35 and S_diff = 4.74, so a change of 10 points
    is reliable (RC = 2.11) and one of 9 is not (RC = 1.90):

    >>> rc = reliable_change([30, 30], [20, 39], 0.80, sd=7.5, higher_is_better=False)
    >>> rc["rc"].round(2).tolist(), rc["category"].tolist()
    ([-2.11, 1.9], ['improved', 'unchanged'])
    """
    rel = reliability
    if isinstance(rel, bool) or not isinstance(rel, int | float) or not 0 < rel < 1:
        raise ValidationError([Problem("reliability must lie between 0 and 1",
                                       column="reliability", expected="0 < r_xx < 1",
                                       found=safe_value(rel))])
    a, b = _arrays(pre, post)
    ok = np.isfinite(a) & np.isfinite(b)
    if sd is None:
        s1 = float(np.std(a[ok], ddof=1)) if ok.sum() >= 2 else math.nan
    elif isinstance(sd, bool) or not isinstance(sd, int | float) or not sd > 0:
        raise ValidationError([Problem("sd must be a positive number", column="sd",
                                       expected="> 0", found=safe_value(sd))])
    else:
        s1 = float(sd)
    s_diff = math.sqrt(2 * (s1 * math.sqrt(1 - rel)) ** 2) if math.isfinite(s1) else math.nan
    change = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        rc = change / s_diff if s_diff > 0 else np.full(len(a), np.nan)
    better = rc if higher_is_better else -rc
    category = np.where(better > RC_CRITICAL, "improved",
                        np.where(better < -RC_CRITICAL, "deteriorated", "unchanged"))
    out = pd.DataFrame({"pre": a, "post": b, "change": change, "rc": rc,
                        "category": pd.array(np.where(np.isfinite(rc), category, None),
                                             dtype="string")})
    out.attrs.update(s_diff=s_diff, sd=s1, reliability=float(rel),
                     threshold=RC_CRITICAL * s_diff)
    return out
