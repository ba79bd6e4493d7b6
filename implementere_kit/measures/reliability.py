"""Reliability of instruments and ratings: internal consistency and inter-rater agreement.

Each function returns a :class:`ReliabilityResult` (or, for :func:`icc`, a table of the six
Shrout–Fleiss forms) that says whether the value passes the quality criterion used when
Socialstyrelsen (DK) selects instruments for evaluations: kappa and weighted kappa > 0.60,
ICC > 0.60, Cronbach's alpha > 0.70. Krippendorff's alpha has no Socialstyrelsen criterion;
we use 0.667, the lowest value Krippendorff (2004) accepts for drawing tentative conclusions
(he asks for 0.800 before relying on a variable). Every criterion can be overridden with
``criterion=``.

The agreement coefficients for categories (:func:`cohen_kappa`, :func:`fleiss_kappa`,
:func:`ratings_to_counts`, :func:`krippendorff_alpha`, :func:`percent_agreement`) live in
:mod:`implementere_kit.measures.agreement` and are re-exported here, so every reliability statistic
can be imported from this module.

Bad input raises :class:`~implementere_kit.errors.ValidationError` listing every problem
(row counted from 1, column, expected, found), never a bare numpy or pandas traceback.

References
----------
Socialstyrelsen (DK). Udvælgelseskriterier for validerede måleredskaber.
https://socialstyrelsen.dk/tvaergaende-omrader/socialstyrelsens-viden/validerede-maleredskaber-1/udvaelgelseskriterier-test
Krippendorff K (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed. Sage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import Problem

# The result type, criteria and input checks live in _ratings; the agreement coefficients in
# agreement. Both are re-exported so that every name stays importable from here.
from ._ratings import (
    CRITERIA,
    ICC_FORMS,
    MEASUREMENT_LEVELS,  # noqa: F401  (re-exported)
    NAN_POLICIES,
    WEIGHTS,  # noqa: F401  (re-exported)
    ReliabilityResult,
    _as_table,
    _bad_cells,
    _check_ci,
    _check_nan_policy,
    _criterion,
    _missing,
    _need,
    _numeric,
    _raise,
)
from .agreement import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    ratings_to_counts,
)

__all__ = ["ReliabilityResult", "CRITERIA", "cronbach_alpha", "icc", "cohen_kappa",
           "fleiss_kappa", "ratings_to_counts", "krippendorff_alpha", "percent_agreement",
           "reliability_table"]


def cronbach_alpha(items, ci: float = 0.95, nan_policy: str = "listwise", *,
                   criterion: float | None = None) -> ReliabilityResult:
    """Cronbach's alpha of a scale, with Feldt's confidence interval.

    Parameters
    ----------
    items : DataFrame or 2-D array
        One column per item, one row per respondent. Respondents who answered nothing are
        left out.
    ci : float
        Confidence level of the interval.
    nan_policy : {"listwise", "pairwise", "raise"}
        ``"listwise"`` keeps only respondents who answered every item; ``"pairwise"`` uses
        every pair of items answered (as R ``psych::alpha(use="pairwise")``); ``"raise"``
        reports each missing answer.
    criterion : float, optional
        Override the criterion (default: > 0.70, Socialstyrelsen).

    Notes
    -----
    alpha = k/(k-1)·(1 − Σ var(item) / var(total)); the interval is Feldt's,
    1 − (1 − alpha)·F with F from the F distribution with n−1 and (n−1)(k−1) degrees of
    freedom. Here n counts the respondents used, so after listwise deletion the interval
    is based on the respondents kept.

    References
    ----------
    Cronbach LJ (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16:297–334. Feldt LS, Woodruff DJ, Salih FA (1987). Statistical inference
    for coefficient alpha. Applied Psychological Measurement 11:93–103.

    Examples
    --------
    >>> r = cronbach_alpha([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 4]])
    >>> round(r.value, 4), r.n, r.meets_criterion  # 27/29
    (0.931, 4, True)
    """
    problems: list[Problem] = []
    _check_ci(ci, problems)
    _check_nan_policy(nan_policy, NAN_POLICIES, problems)
    df = _as_table(items, "items", problems)
    if df is not None:
        _need(df.shape[1], 2, "items (columns)", problems)
        x = _numeric(df, problems)
    _raise(problems)
    has_nan = bool(np.isnan(x).any())
    if has_nan:
        answered = ~np.isnan(x).all(axis=1)
        x = x[_missing(x, df, nan_policy, problems) & answered]
        _raise(problems)
    n, k = x.shape
    _need(n, 2, "respondents with answers" + (" to every item" if nan_policy == "listwise"
                                               else ""), problems)
    _raise(problems)
    with np.errstate(invalid="ignore", divide="ignore"):
        if has_nan and nan_policy == "pairwise":
            cov = pd.DataFrame(x).cov().to_numpy()
            alpha = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
        else:  # trace and sum of the covariance matrix without building it
            xc = x - x.mean(axis=0)
            total = xc.sum(axis=1)
            alpha = k / (k - 1) * (1 - np.einsum("ij,ij->", xc, xc) / (total @ total))
    low, high = _feldt_interval(alpha, n, k, ci)
    crit, src = _criterion("cronbach_alpha", criterion)
    return ReliabilityResult("Cronbach's alpha", float(alpha), float(low), float(high), n,
                             crit, src, ci, {"items": k, "nan_policy": nan_policy})


def _feldt_interval(alpha: float, n: int, k: int, ci: float) -> tuple[float, float]:
    """Feldt's interval for alpha from ``n`` respondents and ``k`` items: 1 − (1 − alpha)·F
    with F from the F distribution with n − 1 and (n − 1)(k − 1) degrees of freedom
    (Feldt, Woodruff & Salih 1987, formulas 6 and 7)."""
    from scipy.special import fdtri  # inverse F cdf; f.isf(q) == fdtri(d1, d2, 1 - q)

    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (float(1 - (1 - alpha) * fdtri(df1, df2, 1 - (1 - ci) / 2)),
            float(1 - (1 - alpha) * fdtri(df1, df2, (1 - ci) / 2)))


def _wide_from_long(data, targets, raters, ratings, problems) -> pd.DataFrame | None:
    if not isinstance(data, pd.DataFrame):
        problems.append(Problem("long-format data must be a DataFrame",
                                found=type(data).__name__))
        return None
    for name, col in (("targets", targets), ("raters", raters), ("ratings", ratings)):
        if col not in data.columns:
            problems.append(Problem("column missing", column=str(col), expected=f"the {name} "
                                    "column", found=", ".join(map(str, data.columns))))
    if problems:
        return None
    d = data.reset_index(drop=True)
    dup = d.duplicated([targets, raters], keep="first").to_numpy()
    _bad_cells(problems, dup, d, d.columns.get_loc(raters),
               "a second rating of the same target by the same rater", "one rating per pair")
    values = _numeric(d[[ratings]], problems)[:, 0]
    if problems:
        return None
    return (d.assign(**{ratings: values})
            .pivot(index=targets, columns=raters, values=ratings))


def icc(data, ci: float = 0.95, *, targets: str | None = None, raters: str | None = None,
        ratings: str | None = None, criterion: float | None = None,
        nan_policy: str = "listwise") -> pd.DataFrame:
    """Intraclass correlations: the six forms of Shrout & Fleiss (1979).

    Parameters
    ----------
    data : DataFrame or 2-D array
        Wide: one row per target (person rated), one column per rater. Long: give the
        column names ``targets``, ``raters`` and ``ratings``.
    ci : float
        Confidence level of the intervals.
    criterion : float, optional
        Override the criterion (default: > 0.60, Socialstyrelsen, which notes that 0.70 is
        often asked for but hard to reach outside laboratory-like settings).
    nan_policy : {"listwise", "raise"}
        Leave out targets missing a rating (counted in ``attrs["dropped_targets"]``), or
        report each missing rating. The two-way ANOVA needs complete rows.

    Returns
    -------
    DataFrame
        Indexed by ``ICC(1,1)``, ``ICC(2,1)``, ``ICC(3,1)``, ``ICC(1,k)``, ``ICC(2,k)``,
        ``ICC(3,k)`` with columns ``icc``, ``ci_low``, ``ci_high``, ``F``, ``df1``, ``df2``,
        ``p``, ``meets_criterion``. ``attrs`` holds ``n``, ``k``, ``ci``, ``criterion`` and
        ``dropped_targets``.

    Notes
    -----
    Form 1 is the one-way random model, 2 the two-way random model (absolute agreement,
    McGraw & Wong's ICC(A,·)), 3 the two-way mixed model (consistency, ICC(C,·)). Mean
    squares come from a closed-form two-way ANOVA on the wide array; F tests, p-values and
    confidence intervals follow Shrout & Fleiss (1979) and McGraw & Wong (1996), as R's
    ``psych::ICC`` prints them.

    References
    ----------
    Shrout PE, Fleiss JL (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin 86:420–428. McGraw KO, Wong SP (1996). Forming
    inferences about some intraclass correlation coefficients. Psychological Methods 1:30–46.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges.

    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> icc(sf)["icc"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    problems: list[Problem] = []
    _check_ci(ci, problems)
    _check_nan_policy(nan_policy, ("listwise", "raise"), problems)
    if any(v is not None for v in (targets, raters, ratings)):
        if None in (targets, raters, ratings):
            problems.append(Problem("long format needs targets=, raters= and ratings=",
                                    expected="all three column names"))
            df = None
        else:
            df = _wide_from_long(data, targets, raters, ratings, problems)
    else:
        df = _as_table(data, "ratings", problems)
    if df is not None:
        _need(df.shape[1], 2, "raters (columns)", problems)
        x = _numeric(df, problems)
    _raise(problems)
    complete = _missing(x, df, nan_policy, problems)
    _raise(problems)
    dropped = int((~complete).sum())
    x = x[complete]
    n, k = x.shape
    if n < 2:
        empty = [str(c) for c, e in zip(df.columns, np.isnan(_numeric(df, [])).all(axis=0),
                                        strict=True) if e]
        problems.append(Problem("fewer than 2 targets rated by every rater", expected="≥ 2",
                                found=f"{n} ({dropped} dropped for missing ratings"
                                + (f"; no ratings at all from {', '.join(empty)}" if empty
                                   else "") + ")"))
    _raise(problems)
    return _icc_table(x, ci, criterion, dropped)


def _icc_table(x: np.ndarray, ci: float, criterion: float | None, dropped: int) -> pd.DataFrame:
    from scipy.stats import f

    n, k = x.shape
    grand = x.mean()
    ss_total = ((x - grand) ** 2).sum()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    msb = ss_rows / (n - 1)  # between targets
    msw = (ss_total - ss_rows) / (n * (k - 1))  # within targets (one-way)
    msj = ss_cols / (k - 1)  # between judges
    mse = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
    a = 1 - ci
    with np.errstate(invalid="ignore", divide="ignore"):
        icc1 = (msb - msw) / (msb + (k - 1) * msw)
        icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
        icc3 = (msb - mse) / (msb + (k - 1) * mse)
        f1, df1, df1w, df2e = msb / msw, n - 1, n * (k - 1), (n - 1) * (k - 1)
        f3 = msb / mse
        p1, p3 = f.sf(f1, df1, df1w), f.sf(f3, df1, df2e)
        f1l, f1u = f1 / f.ppf(1 - a / 2, df1, df1w), f1 * f.ppf(1 - a / 2, df1w, df1)
        f3l, f3u = f3 / f.ppf(1 - a / 2, df1, df2e), f3 * f.ppf(1 - a / 2, df2e, df1)
        # ICC(2,1): Satterthwaite-type degrees of freedom v (McGraw & Wong 1996, Table 7)
        fj = msj / mse
        vn = df2e * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = df1 * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd
        f2u, f2l = f.ppf(1 - a / 2, n - 1, v), f.ppf(1 - a / 2, v, n - 1)
        l2 = n * (msb - f2u * mse) / (f2u * (k * msj + (k * n - k - n) * mse) + n * msb)
        u2 = n * (f2l * msb - mse) / (k * msj + (k * n - k - n) * mse + n * f2l * msb)
        out = pd.DataFrame({
            "icc": [icc1, icc2, icc3, (msb - msw) / msb,
                    (msb - mse) / (msb + (msj - mse) / n), (msb - mse) / msb],
            "ci_low": [(f1l - 1) / (f1l + k - 1), l2, (f3l - 1) / (f3l + k - 1), 1 - 1 / f1l,
                       l2 * k / (1 + l2 * (k - 1)), 1 - 1 / f3l],
            "ci_high": [(f1u - 1) / (f1u + k - 1), u2, (f3u - 1) / (f3u + k - 1), 1 - 1 / f1u,
                        u2 * k / (1 + u2 * (k - 1)), 1 - 1 / f3u],
            "F": [f1, f3, f3, f1, f3, f3],
            "df1": df1,
            "df2": [df1w, df2e, df2e, df1w, df2e, df2e],
            "p": [p1, p3, p3, p1, p3, p3],
        }, index=pd.Index(ICC_FORMS, name="form"))
    crit, src = _criterion("icc", criterion)
    out["meets_criterion"] = out["icc"] > crit
    out.attrs.update(n=n, k=k, ci=ci, criterion=crit, criterion_source=src,
                     dropped_targets=dropped)
    return out

def reliability_table(results: Iterable[ReliabilityResult] | Mapping[str, ReliabilityResult]
                      ) -> pd.DataFrame:
    """Several results as one table, one row each (index = the mapping's keys, if given).

    Examples
    --------
    >>> t = reliability_table({"FIMP": ReliabilityResult("ICC(2,1)", 0.72, criterion=0.6)})
    >>> t[["statistic", "value", "criterion", "meets_criterion"]]
            statistic  value  criterion  meets_criterion
    measure
    FIMP     ICC(2,1)   0.72        0.6             True
    """
    items = list(results.items()) if isinstance(results, Mapping) else list(enumerate(results))
    problems = [Problem("not a reliability result", row=i + 1, expected="ReliabilityResult",
                        found=type(r).__name__)
                for i, (_, r) in enumerate(items) if not isinstance(r, ReliabilityResult)]
    _raise(problems)
    cols = ["statistic", "value", "ci_low", "ci_high", "ci_level", "n", "criterion",
            "meets_criterion", "criterion_source"]
    rows = [r.summary.loc[0, cols] for _, r in items]
    out = pd.DataFrame(rows, columns=cols).reset_index(drop=True)
    if isinstance(results, Mapping):
        out.index = pd.Index([k for k, _ in items], name="measure")
    return out.astype({"meets_criterion": bool}) if len(out) else out
