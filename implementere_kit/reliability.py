"""Reliability of instruments and ratings: internal consistency and inter-rater agreement.

Each function returns a :class:`ReliabilityResult` (or, for :func:`icc`, a table of the six
Shrout–Fleiss forms) that says whether the value passes the quality criterion used when
Socialstyrelsen (DK) selects instruments for evaluations: kappa and weighted kappa > 0.60,
ICC > 0.60, Cronbach's alpha > 0.70. Krippendorff's alpha has no Socialstyrelsen criterion;
we use 0.667, the lowest value Krippendorff (2004) accepts for drawing tentative conclusions
(he asks for 0.800 before relying on a variable). Every criterion can be overridden with
``criterion=``.

Bad input raises :class:`~implementere_kit.errors.ValidationError` listing every problem
(row counted from 1, column, expected, found), never a bare numpy or pandas traceback.

References
----------
Socialstyrelsen (DK). Udvælgelseskriterier for validerede måleredskaber.
https://socialstyrelsen.dk/tvaergaende-omrader/socialstyrelsens-viden/validerede-maleredskaber-1/udvaelgelseskriterier-test
Krippendorff K (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed. Sage.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import Problem, ValidationError, safe_value
from .tables import MAX_ROWS_LISTED

__all__ = ["ReliabilityResult", "CRITERIA", "cronbach_alpha", "icc", "cohen_kappa",
           "fleiss_kappa", "ratings_to_counts", "krippendorff_alpha", "percent_agreement",
           "reliability_table"]

_SOCIALSTYRELSEN = "Socialstyrelsen (DK) instrument criteria"
#: Lowest acceptable value (strictly above) and its source, per family of statistic.
CRITERIA: dict[str, tuple[float, str]] = {
    "kappa": (0.60, _SOCIALSTYRELSEN),
    "icc": (0.60, _SOCIALSTYRELSEN),
    "cronbach_alpha": (0.70, _SOCIALSTYRELSEN),
    "krippendorff_alpha": (0.667, "Krippendorff 2004: lowest for tentative conclusions"),
}
ICC_FORMS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")
WEIGHTS = (None, "linear", "quadratic")
LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class ReliabilityResult:
    """One reliability statistic with its confidence interval and verdict.

    ``ci_low``/``ci_high`` are NaN when the method has no interval; ``n`` counts the
    subjects (respondents, units) actually used; ``criterion`` is the value the statistic
    must exceed (strictly) and ``details`` holds method-specific extras shown in
    :attr:`summary`.

    Examples
    --------
    >>> r = ReliabilityResult("Cohen's kappa", 0.61, n=40, criterion=0.60)
    >>> r.meets_criterion, float(r)
    (True, 0.61)
    """

    statistic: str
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    criterion: float = math.nan
    criterion_source: str = ""
    ci_level: float = 0.95
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def meets_criterion(self) -> bool:
        return bool(self.value > self.criterion)  # NaN on either side gives False

    @property
    def summary(self) -> pd.DataFrame:
        """One-row DataFrame: statistic, value, CI, n, criterion, verdict and details."""
        row = {"statistic": self.statistic, "value": self.value, "ci_low": self.ci_low,
               "ci_high": self.ci_high, "ci_level": self.ci_level, "n": self.n,
               "criterion": self.criterion, "meets_criterion": self.meets_criterion,
               "criterion_source": self.criterion_source}
        row.update({k: v for k, v in self.details.items() if k not in row})
        return pd.DataFrame([row])

    def verdict(self) -> str:
        if math.isnan(self.value):
            return "undefined"
        if math.isnan(self.criterion):
            return "no criterion"
        if self.meets_criterion:
            return f"meets the criterion (> {self.criterion:g})"
        return f"below the criterion (> {self.criterion:g})"

    def _repr_html_(self) -> str:
        ci = ("–" if math.isnan(self.ci_low)
              else f"{self.ci_low:.3f} to {self.ci_high:.3f}")
        crit = "–" if math.isnan(self.criterion) else f"&gt; {self.criterion:g}"
        mark = "✔ " if self.meets_criterion else ""
        cells = [html.escape(self.statistic), f"{self.value:.3f}", ci, str(self.n),
                 f"{crit} <small>{html.escape(self.criterion_source)}</small>",
                 f"<b>{mark}{html.escape(self.verdict())}</b>"]
        head = ["statistic", "value", f"{self.ci_level:.0%} CI", "n", "criterion", "verdict"]
        return ("<table class='ik-reliability'><thead><tr>"
                + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody><tr>"
                + "".join(f"<td>{c}</td>" for c in cells) + "</tr></tbody></table>")

    def __float__(self) -> float:
        return float(self.value)

    @classmethod
    def from_icc(cls, table: pd.DataFrame, form: str = "ICC(2,1)") -> ReliabilityResult:
        """One row of an :func:`icc` table as a result (for :func:`reliability_table`)."""
        if form not in table.index:
            raise ValidationError([Problem("unknown ICC form", column="form",
                                           expected=", ".join(ICC_FORMS), found=repr(form))])
        r = table.loc[form]
        return cls(form, float(r["icc"]), float(r["ci_low"]), float(r["ci_high"]),
                   int(table.attrs.get("n", 0)), float(table.attrs.get("criterion", math.nan)),
                   str(table.attrs.get("criterion_source", "")),
                   float(table.attrs.get("ci", 0.95)),
                   {"F": float(r["F"]), "p": float(r["p"]), "raters": table.attrs.get("k")})


# ---------------------------------------------------------------- input checking helpers

def _criterion(key: str, override: float | None) -> tuple[float, str]:
    if override is not None:
        return float(override), "given by caller"
    return CRITERIA.get(key, (math.nan, ""))


def _frame(data, what: str, problems: list[Problem]) -> pd.DataFrame | None:
    """Any 2-D table as a DataFrame; arrays get 1-based column names, as people count."""
    if isinstance(data, pd.DataFrame):
        df = data
    else:
        try:
            arr = np.asarray(data, dtype=object)
        except (TypeError, ValueError):
            arr = np.empty(0)
        if arr.ndim != 2:
            problems.append(Problem(f"{what} must be a table", expected="a 2-D table",
                                    found=f"{arr.ndim}-D {type(data).__name__}"))
            return None
        df = pd.DataFrame(arr, columns=range(1, arr.shape[1] + 1)).infer_objects()
    if df.size == 0:
        problems.append(Problem(f"{what} is empty", expected="at least one value",
                                found=f"{df.shape[0]} rows × {df.shape[1]} columns"))
        return None
    return df


def _check_ci(ci: float, problems: list[Problem]) -> None:
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        problems.append(Problem("confidence level out of range", column="ci",
                                expected="a number between 0 and 1", found=safe_value(ci)))


def _bad_cells(problems, mask: np.ndarray, df: pd.DataFrame, j: int, message, expected):
    rows = np.flatnonzero(mask)
    col = str(df.columns[j])
    for i in rows[:MAX_ROWS_LISTED]:
        problems.append(Problem(message, row=int(i) + 1, column=col, expected=expected,
                                found=safe_value(df.iat[i, j])))
    if len(rows) > MAX_ROWS_LISTED:
        problems.append(Problem(f"{message} in {len(rows) - MAX_ROWS_LISTED} more rows",
                                column=col, expected=expected))


def _numeric(df: pd.DataFrame, problems: list[Problem]) -> np.ndarray:
    """Cells as floats (NaN = missing). Text that reads as a number (also with a decimal
    comma) is accepted; anything else is reported, never silently dropped."""
    arr = df.to_numpy()
    if arr.dtype.kind in "biuf":  # fast path: plain numpy columns, no copy for floats
        return arr.astype(float, copy=False)
    out = np.empty(df.shape)
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            out[:, j] = s.to_numpy(dtype=float, na_value=np.nan)
            continue
        text = s.astype("string").str.strip()
        num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        bad = (num.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
        _bad_cells(problems, bad, df, j, "not a number", "a number")
        out[:, j] = num.to_numpy(dtype=float, na_value=np.nan)
    return out


def _encode(df: pd.DataFrame, categories, problems: list[Problem]):
    """Code every cell as the position of its category (NaN = missing).

    Returns ``(codes, labels, scores, numeric)``: ``scores`` are the category values when
    they are numbers, their positions when an order was given as text, or ``None`` for
    unordered text; ``numeric`` tells whether the categories are numbers.
    """
    dts = list(df.dtypes)
    if categories is None and all(isinstance(dt, pd.CategoricalDtype) and dt.ordered
                                  and list(dt.categories) == list(dts[0].categories)
                                  for dt in dts):
        categories = list(dts[0].categories)
    n, m = df.shape
    flat = pd.Series(df.astype(object).to_numpy().ravel(order="F"))  # column after column
    text = flat.astype("string").str.strip()
    missing = (flat.isna() | (text == "")).to_numpy(dtype=bool)
    num = pd.to_numeric(text.str.replace(",", ".", regex=False),
                        errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    is_num = ~np.isnan(num)
    codes = np.full(n * m, np.nan)
    if categories is not None:
        labels = list(categories)
        cat_num = pd.to_numeric(pd.Series(labels, dtype=object).astype(str), errors="coerce")
        if cat_num.notna().all():  # numeric scale: 1 and 1.0 and "1" are one category
            pos = {float(v): i for i, v in enumerate(cat_num)}
            keys, scores, numeric = num, cat_num.to_numpy(dtype=float), True
        else:
            pos = {str(v).strip(): i for i, v in enumerate(labels)}
            keys, scores = text.to_numpy(dtype=object), np.arange(len(labels), dtype=float)
            numeric = False
        found = np.array([pos.get(k, -1) if not miss else -1
                          for k, miss in zip(keys, missing, strict=True)])
        codes[found >= 0] = found[found >= 0]
        outside = ~missing & (found < 0)
    elif is_num[~missing].all():
        uniq = np.unique(num[~missing])
        codes[~missing] = np.searchsorted(uniq, num[~missing])
        whole = bool(np.all(uniq == np.round(uniq)))
        labels = [int(v) if whole else float(v) for v in uniq]
        scores, outside, numeric = uniq, np.zeros(n * m, dtype=bool), True
    else:
        # Mostly text with a few numbers is a category set; mostly numbers with a few
        # words is a numeric scale with typing errors in it, which we report.
        numeric_scale = is_num[~missing].mean() > 0.5
        outside = ~missing & (~is_num if numeric_scale else np.zeros(n * m, dtype=bool))
        keep = ~missing & ~outside
        labels, inv = np.unique(text.to_numpy(dtype=object)[keep].astype(str),
                                return_inverse=True)
        codes[keep] = inv  # with a numeric scale the typing errors are raised below anyway
        labels, scores, numeric = labels.tolist(), None, bool(numeric_scale)
    for j in range(m):
        bad = outside[j * n:(j + 1) * n]
        expected = ("one of " + ", ".join(map(str, labels[:12]))) if categories is not None \
            else "a number like the other ratings"
        _bad_cells(problems, bad, df, j, "unexpected value", expected)
    return codes.reshape((n, m), order="F"), labels, scores, numeric


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def _need(count: int, minimum: int, what: str, problems: list[Problem]) -> None:
    if count < minimum:
        problems.append(Problem(f"fewer than {minimum} {what}" if minimum > 1 else f"no {what}",
                                expected=f"≥ {minimum} {what}", found=str(count)))


# ---------------------------------------------------------------------------- statistics

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
    nan_policy : {"listwise", "pairwise"}
        ``"listwise"`` keeps only respondents who answered every item; ``"pairwise"`` uses
        every pair of items answered (as ``pingouin.cronbach_alpha`` and R
        ``psych::alpha(use="pairwise")``).
    criterion : float, optional
        Override the criterion (default: > 0.70, Socialstyrelsen).

    Notes
    -----
    alpha = k/(k-1)·(1 − Σ var(item) / var(total)); the interval is Feldt's,
    1 − (1 − alpha)·F with F from the F distribution with n−1 and (n−1)(k−1) degrees of
    freedom, exactly as pingouin computes it. Here n counts the respondents used, so after
    listwise deletion the interval is based on the respondents kept (pingouin counts the
    dropped ones too).

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
    if nan_policy not in ("listwise", "pairwise"):
        problems.append(Problem("unknown nan_policy", column="nan_policy",
                                expected="'listwise' or 'pairwise'", found=safe_value(nan_policy)))
    df = _frame(items, "items", problems)
    if df is not None:
        _need(df.shape[1], 2, "items (columns)", problems)
        x = _numeric(df, problems)
    _raise(problems)
    has_nan = bool(np.isnan(x).any())
    if has_nan:
        x = x[~np.isnan(x).all(axis=1)]
        if nan_policy == "listwise":
            x = x[~np.isnan(x).any(axis=1)]
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
    from scipy.special import fdtri  # inverse F cdf; f.isf(q) == fdtri(d1, d2, 1 - q)

    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * fdtri(df1, df2, 1 - (1 - ci) / 2)
    high = 1 - (1 - alpha) * fdtri(df1, df2, (1 - ci) / 2)
    crit, src = _criterion("cronbach_alpha", criterion)
    return ReliabilityResult("Cronbach's alpha", float(alpha), float(low), float(high), n,
                             crit, src, ci, {"items": k, "nan_policy": nan_policy})


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
        ratings: str | None = None, criterion: float | None = None) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        Indexed by ``ICC(1,1)``, ``ICC(2,1)``, ``ICC(3,1)``, ``ICC(1,k)``, ``ICC(2,k)``,
        ``ICC(3,k)`` with columns ``icc``, ``ci_low``, ``ci_high``, ``F``, ``df1``, ``df2``,
        ``p``, ``meets_criterion``. ``attrs`` holds ``n``, ``k``, ``ci``, ``criterion`` and
        ``dropped_targets``.

    Notes
    -----
    Targets with any missing rating are dropped (listwise), and counted in
    ``attrs["dropped_targets"]``. Form 1 is the one-way random model, 2 the two-way random
    model (absolute agreement, McGraw & Wong's ICC(A,·)), 3 the two-way mixed model
    (consistency, ICC(C,·)). Mean squares come from a closed-form two-way ANOVA on the wide
    array; F tests, p-values and confidence intervals follow Shrout & Fleiss (1979) and
    McGraw & Wong (1996) as ``pingouin.intraclass_corr`` computes them (ICC(A,1) →
    ICC(2,1), ICC(C,1) → ICC(3,1)).

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
    if any(v is not None for v in (targets, raters, ratings)):
        if None in (targets, raters, ratings):
            problems.append(Problem("long format needs targets=, raters= and ratings=",
                                    expected="all three column names"))
            df = None
        else:
            df = _wide_from_long(data, targets, raters, ratings, problems)
    else:
        df = _frame(data, "ratings", problems)
    if df is not None:
        _need(df.shape[1], 2, "raters (columns)", problems)
        x = _numeric(df, problems)
    _raise(problems)
    complete = ~np.isnan(x).any(axis=1)
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


def cohen_kappa(a, b, weights: str | None = None, ci: float = 0.95, *,
                categories: Sequence | None = None,
                criterion: float | None = None) -> ReliabilityResult:
    """Cohen's kappa for two raters, unweighted or with linear/quadratic weights.

    Parameters
    ----------
    a, b : sequence
        The two raters' ratings of the same subjects, in the same order (matched by
        position). Subjects missing a rating from either rater are left out.
    weights : {None, "linear", "quadratic"}
        Weighted kappa (Cohen 1968) for ordered categories.
    ci : float
        Confidence level of the asymptotic interval (kappa ± z·SE, SE from statsmodels).
    categories : sequence, optional
        All categories, in order. By default the union of both raters' values: numbers
        sorted numerically (and used as scores for the weights), text sorted
        alphabetically (weighted kappa on text needs ``categories`` or an ordered
        Categorical).
    criterion : float, optional
        Override the criterion (default: > 0.60, Socialstyrelsen).

    Notes
    -----
    The confusion table is passed to ``statsmodels.stats.inter_rater.cohens_kappa``.

    References
    ----------
    Cohen J (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement 20:37–46. Cohen J (1968). Weighted kappa. Psychological
    Bulletin 70:213–220. Worked 2×2 example: https://en.wikipedia.org/wiki/Cohen%27s_kappa

    Examples
    --------
    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> round(cohen_kappa(a, b).value, 3)
    0.4
    """
    problems: list[Problem] = []
    _check_ci(ci, problems)
    if weights not in WEIGHTS:
        problems.append(Problem("unknown weights", column="weights",
                                expected="None, 'linear' or 'quadratic'",
                                found=safe_value(weights)))
    sa, sb = (s.reset_index(drop=True) if isinstance(s, pd.Series) else pd.Series(list(s))
              for s in (a, b))
    if len(sa) != len(sb):
        problems.append(Problem("the raters rated different numbers of subjects",
                                expected="two sequences of equal length",
                                found=f"{len(sa)} and {len(sb)}"))
    elif len(sa) == 0:
        problems.append(Problem("no ratings", expected="at least one subject", found="0"))
    else:
        df = pd.DataFrame({"a": sa, "b": sb})
        codes, labels, scores, _ = _encode(df, categories, problems)
        if weights is not None and scores is None:
            problems.append(Problem("weighted kappa needs ordered categories",
                                    column="categories", expected="categories=[...] in order",
                                    found="text categories without an order"))
    _raise(problems)
    both = ~np.isnan(codes).any(axis=1)
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
                              "categories": labels})


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
    df = _frame(ratings, "ratings", problems)
    _raise(problems)
    codes, labels, _, _ = _encode(df, categories, problems)
    _raise(problems)
    counts = (codes[:, :, None] == np.arange(len(labels))).sum(axis=1)
    index = df.index if isinstance(ratings, pd.DataFrame) else pd.RangeIndex(len(df))
    return pd.DataFrame(counts, index=index, columns=pd.Index(labels, name="category"))


def fleiss_kappa(counts, *, criterion: float | None = None) -> ReliabilityResult:
    """Fleiss' kappa for many raters from a subjects × categories count table.

    Every subject must have the same number of ratings (the raters may differ between
    subjects). Use :func:`ratings_to_counts` to build the table from raw ratings. Computed
    by ``statsmodels.stats.inter_rater.fleiss_kappa``; no confidence interval.

    References
    ----------
    Fleiss JL (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin 76:378–382. Worked example: https://en.wikipedia.org/wiki/Fleiss%27_kappa

    Examples
    --------
    >>> r = fleiss_kappa([[3, 0], [0, 3], [2, 1], [3, 0]])
    >>> round(r.value, 3), r.n, r.details["raters"]
    (0.625, 4, 3)
    """
    problems: list[Problem] = []
    df = _frame(counts, "counts", problems)
    _raise(problems)
    _need(df.shape[1], 2, "categories (columns)", problems)
    x = _numeric(df, problems)
    _raise(problems)
    for j in range(x.shape[1]):
        bad = np.isnan(x[:, j]) | (x[:, j] < 0) | (x[:, j] != np.round(x[:, j]))
        _bad_cells(problems, bad, df, j, "not a count", "a whole number ≥ 0")
    totals = np.nan_to_num(x).sum(axis=1).round().astype(int)
    raters = int(pd.Series(totals).mode().max())
    _need(raters, 2, "ratings per subject", problems)
    for i in np.flatnonzero(totals != raters)[:MAX_ROWS_LISTED]:
        problems.append(Problem("subject has a different number of ratings", row=int(i) + 1,
                                expected=f"{raters} ratings, as most subjects have",
                                found=str(totals[i])))
    _raise(problems)
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


def krippendorff_alpha(data, level: str = "nominal", *, categories: Sequence | None = None,
                       criterion: float | None = None) -> ReliabilityResult:
    """Krippendorff's alpha for any number of raters, with missing ratings allowed.

    Parameters
    ----------
    data : DataFrame or 2-D array
        One row per rater (coder), one column per unit; NaN or blank where a rater did not
        rate a unit.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement. Ordinal text categories need ``categories`` in order.
    criterion : float, optional
        Override the criterion (default: > 0.667, Krippendorff 2004).

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
    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> r = krippendorff_alpha(data)
    >>> round(r.value, 3), r.n, r.meets_criterion
    (0.743, 11, True)
    """
    problems: list[Problem] = []
    if level not in LEVELS:
        problems.append(Problem("unknown level of measurement", column="level",
                                expected=", ".join(LEVELS), found=safe_value(level)))
    df = _frame(data, "reliability data", problems)
    if df is not None:
        _need(df.shape[0], 2, "raters (rows)", problems)
        codes, labels, scores, numeric = _encode(df, categories, problems)
        if level in ("interval", "ratio") and not numeric:
            problems.append(Problem(f"level '{level}' needs numbers", column="level",
                                    expected="numeric ratings", found="text categories"))
        elif level == "ordinal" and scores is None:
            problems.append(Problem("level 'ordinal' needs ordered categories",
                                    column="categories", expected="categories=[...] in order",
                                    found="text categories without an order"))
    _raise(problems)
    pairable = int(((~np.isnan(codes)).sum(axis=0) >= 2).sum())
    _need(pairable, 1, "units rated by at least two raters", problems)
    if pairable and len(np.unique(codes[~np.isnan(codes)])) < 2:
        problems.append(Problem("alpha is undefined: every rating has the same value",
                                expected="at least two different values"))
    _raise(problems)
    import krippendorff

    # Nominal and ordinal alpha depend only on equality and order, so category codes do;
    # interval and ratio need the values themselves.
    values = codes if level in ("nominal", "ordinal") else np.where(
        np.isnan(codes), np.nan, np.asarray(scores)[np.nan_to_num(codes).astype(int)])
    alpha = krippendorff.alpha(reliability_data=values, level_of_measurement=level)
    crit, src = _criterion("krippendorff_alpha", criterion)
    return ReliabilityResult(f"Krippendorff's alpha ({level})", float(alpha), n=pairable,
                             criterion=crit, criterion_source=src,
                             details={"raters": df.shape[0], "units": df.shape[1],
                                      "level": level})


def percent_agreement(ratings, *, criterion: float | None = None) -> ReliabilityResult:
    """Share of subjects on which all raters gave the same rating.

    ``ratings`` has one row per subject and one column per rater; missing ratings are
    ignored and subjects with fewer than two ratings left out. ``details`` (and the
    summary) also give ``pairwise_agreement``: the mean, over pairs of raters, of the share
    of their common subjects on which the pair agrees. Percent agreement is not corrected
    for chance and has no criterion unless one is given; report a kappa beside it.

    Examples
    --------
    >>> r = percent_agreement([[1, 1, 1], [1, 2, 1], [2, 2, None], [3, 3, 3]])
    >>> r.value, r.n, round(r.details["pairwise_agreement"], 3)
    (0.75, 4, 0.806)
    """
    problems: list[Problem] = []
    df = _frame(ratings, "ratings", problems)
    if df is not None:
        _need(df.shape[1], 2, "raters (columns)", problems)
        codes, _, _, _ = _encode(df, None, problems)
    _raise(problems)
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
                                      "raters": codes.shape[1]})


def reliability_table(results: Iterable[ReliabilityResult] | Mapping[str, ReliabilityResult]
                      ) -> pd.DataFrame:
    """Several results as one table, one row each (index = the mapping's keys, if given).

    Examples
    --------
    >>> t = reliability_table({"FIMP": ReliabilityResult("ICC(2,1)", 0.72, criterion=0.6)})
    >>> t.loc["FIMP", ["value", "meets_criterion"]].tolist()
    [0.72, True]
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
