"""Agreement between raters on categories: Cohen's, Fleiss' and Krippendorff's coefficients.

Use these when raters (coders, supervisors scoring a session video, fidelity observers)
put the same subjects into categories or on a short ordinal scale: :func:`cohen_kappa` for
two raters, :func:`fleiss_kappa` (with :func:`ratings_to_counts`) for many raters with the
same number of ratings per subject, :func:`krippendorff_alpha` for any number of raters with
missing ratings, and :func:`percent_agreement` as the uncorrected companion figure. Each
returns a :class:`~implementere_kit.measures.reliability.ReliabilityResult` judged against the
Socialstyrelsen (DK) criterion kappa > 0.60, or Krippendorff's 0.667 for his alpha.
Everything here is also importable from :mod:`implementere_kit.measures.reliability`.

Ratings are given the same way everywhere: one row per subject (the person, session or
unit rated), one column per rater — as :func:`~implementere_kit.measures.reliability.icc`
takes them. :func:`krippendorff_alpha` takes his own layout (one row per coder) with
``raters_in="rows"``. Every function takes ``nan_policy`` for missing ratings
(``"listwise"``, ``"pairwise"`` or ``"raise"``, as far as the statistic allows).

Bad input raises :class:`~implementere_kit.errors.ValidationError` listing every problem
(row counted from 1, column, expected, found), never a bare numpy or pandas traceback.

References
----------
Socialstyrelsen (DK). Udvælgelseskriterier for validerede måleredskaber.
https://socialstyrelsen.dk/tvaergaende-omrader/socialstyrelsens-viden/validerede-maleredskaber-1/udvaelgelseskriterier-test
Krippendorff K (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed. Sage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import Problem, safe_value
from ..store.tables import row_problems
from ._ratings import (
    MEASUREMENT_LEVELS,
    WEIGHTS,
    ReliabilityResult,
    _as_table,
    _bad_cells,
    _check_ci,
    _check_nan_policy,
    _criterion,
    _encode,
    _missing,
    _need,
    _numeric,
    _raise,
)

__all__ = ["cohen_kappa", "ratings_to_counts", "fleiss_kappa", "krippendorff_alpha",
           "percent_agreement"]


def cohen_kappa(a, b=None, weights: str | None = None, ci: float = 0.95, *,
                categories: Sequence | None = None, criterion: float | None = None,
                nan_policy: str = "listwise") -> ReliabilityResult:
    """Cohen's kappa for two raters, unweighted or with linear/quadratic weights.

    Parameters
    ----------
    a, b : sequence, or a table and None
        The two raters' ratings of the same subjects, in the same order (matched by
        position); or, with ``b`` left out, a table of subjects × 2 raters.
    weights : {None, "linear", "quadratic"}
        Weighted kappa (Cohen 1968) for ordered categories.
    ci : float
        Confidence level of the asymptotic interval, kappa ± z·SE with the large-sample
        standard error of Fleiss, Cohen & Everitt (1969).
    categories : sequence, optional
        All categories, in order. By default the union of both raters' values: numbers
        sorted numerically (and used as scores for the weights), text sorted
        alphabetically (weighted kappa on text needs ``categories`` or an ordered
        Categorical).
    criterion : float, optional
        Override the criterion (default: > 0.60, Socialstyrelsen).
    nan_policy : {"listwise", "raise"}
        Leave out subjects missing a rating from either rater, or report each gap.

    Notes
    -----
    The confusion table is passed to ``statsmodels.stats.inter_rater.cohens_kappa``.

    References
    ----------
    Cohen J (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement 20:37–46. Cohen J (1968). Weighted kappa. Psychological
    Bulletin 70:213–220. Fleiss JL, Cohen J, Everitt BS (1969). Large sample standard
    errors of kappa and weighted kappa. Psychological Bulletin 72:323–327.

    Examples
    --------
    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> r = cohen_kappa(a, b)
    >>> round(r.value, 3), r.n
    (0.4, 50)
    """
    problems: list[Problem] = []
    _check_ci(ci, problems)
    _check_nan_policy(nan_policy, ("listwise", "raise"), problems)
    if weights not in WEIGHTS:
        problems.append(Problem("unknown weights", column="weights",
                                expected="None, 'linear' or 'quadratic'",
                                found=safe_value(weights)))
    df = _two_raters(a, b, problems)
    if df is not None:
        codes, labels, scores, _ = _encode(df, categories, problems)
        if weights is not None and scores is None:
            problems.append(Problem("weighted kappa needs ordered categories",
                                    column="categories", expected="categories=[...] in order",
                                    found="text categories without an order"))
    _raise(problems)
    both = _missing(codes, df, nan_policy, problems)
    _need(int(both.sum()), 1, "subjects rated by both raters", problems)
    _raise(problems)
    c = len(labels)
    table = np.zeros((c, c))
    np.add.at(table, (codes[both, 0].astype(int), codes[both, 1].astype(int)), 1)
    chance = (table.sum(1) / both.sum() * table.sum(0) / both.sum()).sum()
    if chance >= 1 - 1e-12:
        problems.append(Problem("kappa is undefined: both raters used one and the same "
                                "category for every subject; report percent agreement",
                                expected="at least two categories in use",
                                found=safe_value(labels[int(codes[both, 0][0])])))
    _raise(problems)
    from scipy.stats import norm
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    res = sm_kappa(table) if weights is None else sm_kappa(table, weights=scores, wt=weights)
    half = norm.isf((1 - ci) / 2) * res.std_kappa
    crit, src = _criterion("kappa", criterion)
    name = "Cohen's kappa" + (f" ({weights} weights)" if weights else "")
    return ReliabilityResult(name, float(res.kappa), float(res.kappa - half),
                             float(res.kappa + half), int(both.sum()), crit, src, ci,
                             {"se": float(res.std_kappa), "p": float(res.pvalue_two_sided),
                              "observed_agreement": float(np.trace(table) / both.sum()),
                              "categories": labels, "nan_policy": nan_policy})


def _two_raters(a, b, problems: list[Problem]) -> pd.DataFrame | None:
    """Two raters' ratings as one subjects × 2 table (columns a, b unless named)."""
    if b is None:
        df = _as_table(a, "ratings", problems)
        if df is not None and df.shape[1] != 2:
            problems.append(Problem("Cohen's kappa compares two raters",
                                    expected="a table of subjects × 2 raters (or a and b)",
                                    found=f"{df.shape[1]} columns"))
            return None
        return None if df is None else df.reset_index(drop=True)
    sa, sb = (s.reset_index(drop=True) if isinstance(s, pd.Series) else pd.Series(list(s))
              for s in (a, b))
    if len(sa) != len(sb):
        problems.append(Problem("the raters rated different numbers of subjects",
                                expected="two sequences of equal length",
                                found=f"{len(sa)} and {len(sb)}"))
        return None
    if len(sa) == 0:
        problems.append(Problem("no ratings", expected="at least one subject", found="0"))
        return None
    return pd.DataFrame({"a": sa, "b": sb})


def ratings_to_counts(ratings, categories: Sequence | None = None) -> pd.DataFrame:
    """Raw ratings (subjects × raters) as counts per category (subjects × categories).

    Missing ratings (NaN or blank) are not counted. Equivalent to
    ``statsmodels.stats.inter_rater.aggregate_raters`` but keeps labels and missing values.

    Examples
    --------
    >>> ratings_to_counts([[1, 1, 2], [2, 2, None]])
    category  1  2
    0         2  1
    1         0  2
    """
    problems: list[Problem] = []
    df = _as_table(ratings, "ratings", problems)
    _raise(problems)
    codes, labels, _, _ = _encode(df, categories, problems)
    _raise(problems)
    counts = (codes[:, :, None] == np.arange(len(labels))).sum(axis=1)
    index = df.index if isinstance(ratings, pd.DataFrame) else pd.RangeIndex(len(df))
    return pd.DataFrame(counts, index=index, columns=pd.Index(labels, name="category"))


def fleiss_kappa(counts, *, criterion: float | None = None,
                 nan_policy: str = "raise") -> ReliabilityResult:
    """Fleiss' kappa for many raters from a subjects × categories count table.

    Every subject must have the same number of ratings (the raters may differ between
    subjects). Use :func:`ratings_to_counts` to build the table from raw ratings (subjects
    × raters). Computed by ``statsmodels.stats.inter_rater.fleiss_kappa``; no confidence
    interval.

    Parameters
    ----------
    counts : DataFrame or 2-D array
        One row per subject, one column per category: how many raters chose it.
    criterion : float, optional
        Override the criterion (default: > 0.60, Socialstyrelsen).
    nan_policy : {"raise", "listwise"}
        A missing count is a problem, or its subject is left out.

    References
    ----------
    Fleiss JL (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin 76:378–382.

    Examples
    --------
    >>> r = fleiss_kappa([[3, 0], [0, 3], [2, 1], [3, 0]])
    >>> round(r.value, 3), r.n, r.details["raters"]
    (0.625, 4, 3)
    """
    problems: list[Problem] = []
    _check_nan_policy(nan_policy, ("raise", "listwise"), problems)
    df = _as_table(counts, "counts", problems)
    _raise(problems)
    _need(df.shape[1], 2, "categories (columns)", problems)
    x = _numeric(df, problems)
    _raise(problems)
    keep = _missing(x, df, nan_policy, problems)
    for j in range(x.shape[1]):
        bad = keep & ~np.isnan(x[:, j]) & ((x[:, j] < 0) | (x[:, j] != np.round(x[:, j])))
        _bad_cells(problems, bad, df, j, "not a count", "a whole number ≥ 0")
    _raise(problems)
    totals = np.nan_to_num(x).sum(axis=1).round().astype(int)
    raters = int(pd.Series(totals[keep]).mode().max()) if keep.any() else 0
    _need(raters, 2, "ratings per subject", problems)
    problems += row_problems(keep & (totals != raters), pd.Series(totals),
                             message="subject has a different number of ratings", column=None,
                             expected=f"{raters} ratings, as most subjects have")
    _raise(problems)
    x = x[keep]
    p_cat = x.sum(axis=0) / x.sum()
    if (p_cat**2).sum() >= 1 - 1e-12:
        problems.append(Problem("kappa is undefined: every rating is in one category",
                                expected="ratings in at least two categories"))
    _raise(problems)
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    crit, src = _criterion("kappa", criterion)
    return ReliabilityResult("Fleiss' kappa", float(sm_fleiss(x, method="fleiss")),
                             n=len(x), criterion=crit, criterion_source=src,
                             details={"raters": raters, "categories": x.shape[1]})


def krippendorff_alpha(data, level: str = "nominal", *, raters_in: str = "columns",
                       categories: Sequence | None = None, criterion: float | None = None,
                       nan_policy: str = "pairwise") -> ReliabilityResult:
    """Krippendorff's alpha for any number of raters, with missing ratings allowed.

    Parameters
    ----------
    data : DataFrame or 2-D array
        One row per unit (subject) and one column per rater, NaN or blank where a rater
        did not rate a unit; with ``raters_in="rows"`` the other way round, as
        Krippendorff lays out his reliability data (one row per coder).
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement. Ordinal text categories need ``categories`` in order.
    raters_in : {"columns", "rows"}
    criterion : float, optional
        Override the criterion (default: > 0.667, Krippendorff 2004).
    nan_policy : {"pairwise", "listwise", "raise"}
        Alpha's own way is ``"pairwise"``: every pairable value counts. ``"listwise"``
        keeps only the units every rater rated; ``"raise"`` reports each gap.

    Notes
    -----
    Computed by the ``krippendorff`` package (``level_of_measurement=level``). ``n`` counts
    the pairable units (rated by at least two raters).

    References
    ----------
    Krippendorff K (2011). Computing Krippendorff's alpha-reliability.
    https://repository.upenn.edu/asc_papers/43 — its 4 observers × 12 units example gives
    0.743 (nominal), 0.815 (ordinal), 0.849 (interval), 0.797 (ratio).

    Examples
    --------
    Krippendorff's example, one row per observer:

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> r = krippendorff_alpha(data, raters_in="rows")
    >>> round(r.value, 3), r.n, r.meets_criterion
    (0.743, 11, True)
    """
    problems: list[Problem] = []
    if level not in MEASUREMENT_LEVELS:
        problems.append(Problem("unknown level of measurement", column="level",
                                expected=", ".join(MEASUREMENT_LEVELS), found=safe_value(level)))
    if raters_in not in ("columns", "rows"):
        problems.append(Problem("unknown layout", column="raters_in",
                                expected="'columns' (one row per unit) or 'rows'",
                                found=safe_value(raters_in)))
    _check_nan_policy(nan_policy, ("pairwise", "listwise", "raise"), problems)
    df = _as_table(data, "reliability data", problems)
    if df is not None:
        rows = raters_in == "rows"
        _need(df.shape[0] if rows else df.shape[1],
              2, "raters (rows)" if rows else "raters (columns)", problems)
        codes, labels, scores, numeric = _encode(df, categories, problems)
        if level in ("interval", "ratio") and not numeric:
            problems.append(Problem(f"level '{level}' needs numbers", column="level",
                                    expected="numeric ratings", found="text categories"))
        elif level == "ordinal" and scores is None:
            problems.append(Problem("level 'ordinal' needs ordered categories",
                                    column="categories", expected="categories=[...] in order",
                                    found="text categories without an order"))
    _raise(problems)
    units = codes.T if rows else codes  # units × raters from here on
    units = units[_missing(units, df, nan_policy, problems, transposed=rows)]
    pairable = int(((~np.isnan(units)).sum(axis=1) >= 2).sum())
    _need(pairable, 1, "units rated by at least two raters", problems)
    if pairable and len(np.unique(units[~np.isnan(units)])) < 2:
        problems.append(Problem("alpha is undefined: every rating has the same value",
                                expected="at least two different values"))
    _raise(problems)
    import krippendorff

    # Nominal and ordinal alpha depend only on equality and order, so category codes do;
    # interval and ratio need the values themselves.
    values = units if level in ("nominal", "ordinal") else np.where(
        np.isnan(units), np.nan, np.asarray(scores)[np.nan_to_num(units).astype(int)])
    alpha = krippendorff.alpha(reliability_data=values.T, level_of_measurement=level)
    crit, src = _criterion("krippendorff_alpha", criterion)
    return ReliabilityResult(f"Krippendorff's alpha ({level})", float(alpha), n=pairable,
                             criterion=crit, criterion_source=src,
                             details={"raters": units.shape[1], "units": units.shape[0],
                                      "level": level, "nan_policy": nan_policy})


def percent_agreement(ratings, *, criterion: float | None = None,
                      nan_policy: str = "pairwise") -> ReliabilityResult:
    """Share of subjects on which all raters gave the same rating.

    ``ratings`` has one row per subject and one column per rater. ``details`` (and the
    summary) also give ``pairwise_agreement``: the mean, over pairs of raters, of the share
    of their common subjects on which the pair agrees. Percent agreement is not corrected
    for chance and has no criterion unless one is given; report a kappa beside it.

    Parameters
    ----------
    nan_policy : {"pairwise", "listwise", "raise"}
        ``"pairwise"`` ignores missing ratings and leaves out subjects with fewer than two;
        ``"listwise"`` keeps only subjects every rater rated; ``"raise"`` reports each gap.

    Examples
    --------
    >>> r = percent_agreement([[1, 1, 1], [1, 2, 1], [2, 2, None], [3, 3, 3]])
    >>> r.value, r.n, round(r.details["pairwise_agreement"], 3)
    (0.75, 4, 0.806)
    """
    problems: list[Problem] = []
    _check_nan_policy(nan_policy, ("pairwise", "listwise", "raise"), problems)
    df = _as_table(ratings, "ratings", problems)
    if df is not None:
        _need(df.shape[1], 2, "raters (columns)", problems)
        codes, _, _, _ = _encode(df, None, problems)
    _raise(problems)
    codes = codes[_missing(codes, df, nan_policy, problems)]
    rated = (~np.isnan(codes)).sum(axis=1)
    used = rated >= 2
    _need(int(used.sum()), 1, "subjects rated by at least two raters", problems)
    _raise(problems)
    with np.errstate(invalid="ignore"):
        same = np.nanmax(codes[used], axis=1) == np.nanmin(codes[used], axis=1)
    pairs = []
    for j in range(codes.shape[1]):
        for m in range(j + 1, codes.shape[1]):
            common = ~np.isnan(codes[:, j]) & ~np.isnan(codes[:, m])
            if common.any():
                pairs.append(float((codes[common, j] == codes[common, m]).mean()))
    crit, src = _criterion("percent_agreement", criterion)
    src = src or "none: not corrected for chance"
    return ReliabilityResult("percent agreement", float(same.mean()), n=int(used.sum()),
                             criterion=crit, criterion_source=src,
                             details={"pairwise_agreement": float(np.mean(pairs)),
                                      "raters": codes.shape[1], "nan_policy": nan_policy})
