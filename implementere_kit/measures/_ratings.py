"""What the reliability statistics share: the result type, the criteria and the input checks.

Private: import the public names from :mod:`implementere_kit.measures.reliability` (or
:mod:`implementere_kit.measures.agreement`), which re-export :class:`ReliabilityResult` and
:data:`CRITERIA`. The helpers here collect :class:`~implementere_kit.errors.Problem` objects
in a list the caller owns, so one call can report every problem in the input at once (row
counted from 1, column, expected, found), and :func:`_raise` raises them together.

References
----------
Socialstyrelsen (DK). Udvælgelseskriterier for validerede måleredskaber.
https://socialstyrelsen.dk/tvaergaende-omrader/socialstyrelsens-viden/validerede-maleredskaber-1/udvaelgelseskriterier-test
Krippendorff K (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed. Sage.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..store.tables import row_problems

__all__ = ["ReliabilityResult", "CRITERIA", "ICC_FORMS", "WEIGHTS", "MEASUREMENT_LEVELS",
           "NAN_POLICIES"]

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
MEASUREMENT_LEVELS = ("nominal", "ordinal", "interval", "ratio")
#: What a reliability function does with a missing rating: ``"listwise"`` leaves out every
#: subject (respondent, unit) that misses one, ``"pairwise"`` uses every pair of ratings
#: that is there, ``"raise"`` reports each missing rating as a problem.
NAN_POLICIES = ("listwise", "pairwise", "raise")


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


def _as_table(data, what: str, problems: list[Problem]) -> pd.DataFrame | None:
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
    problems += row_problems(mask, df.iloc[:, j], message=message, column=str(df.columns[j]),
                             expected=expected)


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


def _check_nan_policy(policy, allowed: tuple[str, ...], problems: list[Problem]) -> None:
    if policy not in allowed:
        problems.append(Problem("unknown nan_policy", column="nan_policy",
                                expected=" or ".join(repr(a) for a in allowed),
                                found=safe_value(policy)))


def _missing(values: np.ndarray, df: pd.DataFrame, policy: str, problems: list[Problem],
             *, transposed: bool = False) -> np.ndarray:
    """Which subjects (rows of ``values``) to keep under ``policy``; with ``"raise"`` every
    missing rating becomes a problem naming its row and column in ``df`` as given."""
    gaps = np.isnan(values)
    if policy == "raise":
        shown = gaps.T if transposed else gaps
        for j in range(df.shape[1]):
            _bad_cells(problems, shown[:, j], df, j, "missing rating",
                       "a rating (nan_policy='raise')")
    if policy == "listwise":
        return ~gaps.any(axis=1)
    return np.ones(len(values), dtype=bool)


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def _need(count: int, minimum: int, what: str, problems: list[Problem]) -> None:
    if count < minimum:
        problems.append(Problem(f"fewer than {minimum} {what}" if minimum > 1 else f"no {what}",
                                expected=f"≥ {minimum} {what}", found=str(count)))
