"""Aggregate packages: the sums behind every measure, with disclosure control.

An aggregate package carries, in ``agg_measures``, each catalogue sum
(:mod:`implementere_kit.measures.catalogue`) of the site for the whole period and per year,
computed by the same SQL that computes the site's own measures
(:mod:`implementere_kit.measures.engine`). The network adds these sums to those it takes from
pseudonymised packages, so a site's network value equals its own value exactly, and no
cohort is dropped: a site is one cell per period, not one per month.

Disclosure control, applied to the sums before they leave. The threshold ``k`` is the
smallest number of people a published figure may describe: 5 by default, never below
:data:`MIN_K` (3), and 3 or 4 only when asked for explicitly (``allow_small_k``), which the
package records (see :func:`check_k`).

1. *Fewer than k people.* Where a measure's population (participants, respondents, staff)
   is 1 … k−1, every sum of that measure is suppressed (reason ``below_k``).
2. *Small event counts.* Sensitive event counts follow the same rule as the people they
   are part of: where drop-outs or completers, or the rest of their population (those who
   did not drop out, did not complete), are 1 … k−1, the numerator is suppressed
   (``small_count``) — so "one drop-out among five" is never published, nor "four among
   five". The denominator stays, since the count cannot be solved from it alone. Which
   counts are sensitive is the catalogue's ``sensitive`` entry of each measure.
3. *Breakdowns that would give a hidden cell away.* Years add up to the whole period, so
   a year can be subtracted from the total. The years of a sum are published only when
   every year and the total are; otherwise all its years are withheld (``breakdown``) and
   the total alone is published (when it is safe).

A suppressed sum has no value and ``suppressed`` true; the network shows the measure as
suppressed with the reason as a footnote, never as a smaller n.

References
----------
Hundepool A et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 5 (tabular data:
threshold rule, secondary suppression, linked tables).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value

__all__ = ["MIN_K", "SAFE_K", "check_k", "suppress_small_cells", "suppress_sums",
           "aggregate_tables", "REASONS"]

#: Never publish a figure of fewer people than this, whatever is asked for.
MIN_K = 3
#: The default threshold; a smaller one (3 or 4) needs ``allow_small_k=True``.
SAFE_K = 5


def check_k(k, allow_small_k: bool = False) -> int:
    """``k`` as an int if it is an allowed threshold, else a :class:`ValidationError`.

    Examples
    --------
    >>> check_k(5), check_k(4, allow_small_k=True)
    (5, 4)
    >>> try:
    ...     check_k(4)
    ... except ValidationError as err:
    ...     print(err.problems[0].message)
    k of 3 or 4 needs allow_small_k=True
    """
    import numbers

    if not isinstance(allow_small_k, bool):
        raise ValidationError([Problem("allow_small_k must be true or false",
                                       column="allow_small_k", expected="True or False",
                                       found=safe_value(allow_small_k))])
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValidationError([Problem("k must be a whole number", column="k",
                                       expected=f"a whole number ≥ {MIN_K} (default {SAFE_K})",
                                       found=safe_value(k))])
    k = int(k)
    if k < MIN_K:
        raise ValidationError([Problem(f"k below {MIN_K} is never allowed", column="k",
                                       expected=f"≥ {MIN_K} (default {SAFE_K})", found=str(k))])
    if k > 10**6:
        raise ValidationError([Problem("k is larger than any cell", column="k",
                                       expected="≤ 1000000", found=str(k))])
    if k < SAFE_K and not allow_small_k:
        raise ValidationError([Problem(f"k of {MIN_K} or {SAFE_K - 1} needs allow_small_k=True",
                                       column="k", expected=f"≥ {SAFE_K}, or allow_small_k "
                                       "(recorded in the package)", found=str(k))])
    return k


#: Why a published sum is empty: fewer than k people, a small sensitive count, a
#: breakdown withheld because it would reveal a suppressed cell, or a sum that differs
#: from one published earlier by a few people (:mod:`.differencing`).
REASONS = ("below_k", "small_count", "breakdown", "differencing")


def suppress_small_cells(df: pd.DataFrame, count: str, k: int = 5, *, within=("site",),
                         values=(), whole: str | None = None,
                         flag: str | None = "suppressed") -> pd.DataFrame:
    """Blank cells with ``1 ≤ count < k`` and, where only one cell of a ``within`` group
    was blanked, the smallest other cell as well.

    With ``whole`` (the column ``count`` is a part of, e.g. drop-outs among participants)
    a cell is also blanked when the rest, ``whole - count``, is 1 … k-1; cells whose
    ``count`` is already missing are left alone. ``flag`` names the column that marks
    blanked rows (``None``: none is added).

    Examples
    --------
    >>> df = pd.DataFrame({"site": "101", "group_id": ["a", "b", "c"],
    ...                    "n": [3, 8, 12], "rate": [0.5, 0.7, 0.9]})
    >>> out = suppress_small_cells(df, "n", k=5, values=["rate"])
    >>> out["suppressed"].tolist()
    [True, True, False]
    >>> out["n"].tolist()
    [<NA>, <NA>, 12]
    """
    out = df.copy().reset_index(drop=True)
    n = out[count].astype("float64")
    primary = (n >= 1) & (n < k)
    if whole is not None:
        rest = out[whole].astype("float64") - n
        primary |= (rest >= 1) & (rest < k)
    sup = primary.copy()
    if within:
        key = out[list(within)].astype("string").agg("|".join, axis=1)
        n_sup = sup.groupby(key).transform("sum")
        lone = (n_sup == 1)
        # the smallest non-suppressed, non-zero cell in each group with a lone suppression
        cand = n[lone & ~sup & (n > 0)]
        if len(cand):
            pick = cand.sort_values(kind="stable").groupby(key[cand.index]).head(1).index
            sup.loc[pick] = True
    if flag:
        out[flag] = sup.to_numpy()
    out[count] = out[count].astype("Int64").mask(sup)
    for v in values:
        out[v] = out[v].astype("float64").mask(sup)
    return out


def _small(x: float, k: int) -> bool:
    # a difference of two published figures may be negative: its size is what counts
    return bool(not np.isnan(x) and 1 <= abs(x) < k)


def rule_reasons(sums: pd.DataFrame, k: int, cell=("site", "level", "period")) -> pd.Series:
    """Rules 1 and 2 of the module docstring: why each sum must be hidden, or None.

    ``sums`` is long (``sum``, ``value`` and the ``cell`` columns); the rules read the
    sums of each cell together. Used on published sums and, by
    :mod:`.differencing`, on differences of two published cells (a negative difference
    counts by its size). Vectorised over cells: one pass per catalogue measure.
    """
    from ..measures.catalogue import measures

    none = pd.Series([None] * len(sums), index=sums.index, dtype=object)
    if sums.empty:
        return none
    gid = sums.groupby(list(cell), dropna=False, sort=False).ngroup().to_numpy()
    long = pd.DataFrame({"g": gid, "s": sums["sum"].astype(str).to_numpy(),
                         "v": sums["value"].astype("float64").to_numpy()})
    wide = long.drop_duplicates(["g", "s"], keep="last").pivot(index="g", columns="s",
                                                               values="v")
    present = long.assign(p=True).drop_duplicates(["g", "s"]).pivot(
        index="g", columns="s", values="p").fillna(False).astype(bool)
    reason = pd.DataFrame(None, index=wide.index, columns=wide.columns, dtype=object)
    nan = pd.Series(np.nan, index=wide.index)

    def small(x: pd.Series) -> pd.Series:
        return x.abs().between(1, k, inclusive="left")

    def mark(col: str, where: pd.Series, why: str) -> None:
        at = where & present[col] & reason[col].isna()
        reason.loc[at, col] = why

    for m in measures().values():
        cols = [c for c in m.sums if c in wide.columns]
        if not cols:
            continue
        below = small(wide[m.population]) if m.population in wide else nan.notna()
        for c in cols:
            mark(c, below, "below_k")
        if m.numerator not in wide or not m.sensitive:
            continue
        num, den = wide[m.numerator], wide.get(m.denominator, nan)
        counts = {"numerator": num, "complement": den - num}
        hit = pd.concat([small(counts[c]) for c in m.sensitive], axis=1).any(axis=1)
        mark(m.numerator, hit & ~below, "small_count")
    flat = reason.stack(future_stack=True)
    got = flat.reindex(pd.MultiIndex.from_arrays([long["g"], long["s"]])).to_numpy()
    return pd.Series(got, index=sums.index, dtype=object).where(pd.notna(got), None)


def withhold_breakdowns(sums: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
    """Rule 3, then blank what is hidden: a hidden year, or a hidden total, withholds
    every year of that sum (reason ``breakdown``)."""
    out = sums.copy()
    reason = reason.copy()
    hidden = reason.notna()
    key = out["site"].astype(str) + "\x1f" + out["sum"].astype(str)
    withhold = (out["level"] != "all") & key.isin(set(key[hidden]))
    reason[withhold & ~hidden] = "breakdown"
    out["suppressed"] = reason.notna().to_numpy()
    out["reason"] = pd.array(reason.to_numpy(), dtype="string")
    out.loc[out["suppressed"], "value"] = np.nan
    return out


def suppress_sums(sums: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Apply the three rules of the module docstring to a long table of sums.

    Parameters
    ----------
    sums : DataFrame
        :func:`implementere_kit.measures.engine.sums` output (``site``, ``level``,
        ``period``, ``sum``, ``value``, …).
    k : int
        The threshold.

    Examples
    --------
    >>> s = pd.DataFrame({"site": "903", "intervention": "keep", "level": "all",
    ...                   "period": "all", "sum": ["n_enrolled", "n_dropped_out"],
    ...                   "value": [20.0, 3.0], "suppressed": False, "reason": None})
    >>> suppress_sums(s)[["sum", "value", "reason"]].values.tolist()
    [['n_enrolled', 20.0, <NA>], ['n_dropped_out', nan, 'small_count']]
    """
    out = sums.reset_index(drop=True).copy()
    reason = pd.Series(out["reason"].astype("object").where(out["reason"].notna(), None),
                       index=out.index)
    reason = reason.where(reason.notna(), rule_reasons(out, k))
    return withhold_breakdowns(out, reason)


def aggregate_tables(project, tables: dict[str, pd.DataFrame], k: int = SAFE_K,
                     as_of=None) -> dict[str, pd.DataFrame]:
    """The aggregate tables of one project: ``agg_measures`` (no row describes one person).

    ``agg_measures`` holds the sums of every network measure for the whole period and per
    year as of ``as_of`` (default today), suppressed as the module docstring says (an
    export then also compares them with what it published before:
    :func:`.differencing.suppress_differences`). Which
    other tables (the plan, SIC events, the eligible population) go into an aggregate
    package, and in what form, is the allow-list's decision
    (:func:`.allowlist.apply_allow_list`).
    """
    from ..measures.catalogue import Rules, measures
    from ..measures.engine import as_of_date, from_tables, sums

    out: dict[str, pd.DataFrame] = {}
    when = as_of_date(as_of)
    fams = sorted({m.family for m in measures().values() if m.network})
    with from_tables(tables, Rules.of(project.intervention), site=project.site) as src:
        s = sums(src, as_of=when, families_=fams, levels=("all", "year"))
    s = s[s["site"] == str(project.site)]
    if len(s):
        agg = suppress_sums(s, k)
        agg["as_of"] = pd.Timestamp(when.date())
        # "sum_id", not "sum": a heading people type in spreadsheets ("Sum") is no column
        out["agg_measures"] = agg.rename(columns={"sum": "sum_id"})[
            ["site", "level", "period", "sum_id", "value", "suppressed", "reason", "as_of"]
        ].reset_index(drop=True)
    return out
