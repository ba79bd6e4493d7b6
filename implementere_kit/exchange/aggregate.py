"""Aggregate packages: the sums behind every measure, with disclosure control.

An aggregate package carries, in ``agg_measures``, each catalogue sum
(:mod:`implementere_kit.measures.catalogue`) of the site for the whole period and per year,
computed by the same SQL that computes the site's own measures
(:mod:`implementere_kit.measures.engine`). The network adds these sums to those it takes from
pseudonymised packages, so a site's network value equals its own value exactly, and no
cohort is dropped: a site is one cell per period, not one per month.

Disclosure control (threshold k, default 5), applied to the sums before they leave:

1. *Fewer than k people.* Where a measure's population (participants, respondents, staff)
   is 1 … k−1, every sum of that measure is suppressed (reason ``below_k``).
2. *Small event counts.* Where a sensitive count — drop-outs, or those who did not
   complete — is 1 … k−1, the numerator is suppressed (``small_count``); the denominator
   stays, since the count cannot be solved from it alone.
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

__all__ = ["suppress_small_cells", "suppress_sums", "aggregate_tables", "REASONS"]

#: Why a published sum is empty: fewer than k people, a small sensitive count, or a
#: breakdown withheld because it would reveal a suppressed cell.
REASONS = ("below_k", "small_count", "breakdown")


def suppress_small_cells(df: pd.DataFrame, count: str, k: int = 5, *, within=("site",),
                         values=()) -> pd.DataFrame:
    """Blank cells with ``1 ≤ count < k`` and, where only one cell of a ``within`` group
    was blanked, the smallest other cell as well (for tables other than the sums).

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
    sup = (n >= 1) & (n < k)
    if within:
        key = out[list(within)].astype("string").agg("|".join, axis=1)
        lone = sup.groupby(key).transform("sum") == 1
        # the smallest non-suppressed, non-zero cell in each group with a lone suppression
        cand = n[lone & ~sup & (n > 0)]
        if len(cand):
            pick = cand.sort_values(kind="stable").groupby(key[cand.index]).head(1).index
            sup.loc[pick] = True
    out["suppressed"] = sup.to_numpy()
    out[count] = out[count].astype("Int64").mask(sup)
    for v in values:
        out[v] = out[v].astype("float64").mask(sup)
    return out


def _small(x: float, k: int) -> bool:
    return bool(not np.isnan(x) and 1 <= x < k)


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
    from ..measures.catalogue import measures

    out = sums.reset_index(drop=True).copy()
    reason = pd.Series(out["reason"].astype("object").where(out["reason"].notna(), None),
                       index=out.index)
    cell = ["site", "level", "period"]
    for _, g in out.groupby(cell, dropna=False, sort=False):
        at = dict(zip(g["sum"], g.index, strict=True))
        val = dict(zip(g["sum"], g["value"].astype("float64"), strict=True))
        for m in measures().values():
            present = [s for s in m.sums if s in at]
            if not present:
                continue
            if m.population and _small(val.get(m.population, np.nan), k):
                for s in present:
                    reason[at[s]] = reason[at[s]] or "below_k"
                continue
            num, den = val.get(m.numerator, np.nan), val.get(m.denominator, np.nan)
            counts = {"numerator": num, "complement": den - num}
            if m.numerator in at and any(_small(counts[c], k) for c in m.sensitive):
                reason[at[m.numerator]] = reason[at[m.numerator]] or "small_count"
    # a breakdown is published whole or not at all: a hidden year, or a hidden total,
    # withholds every year of that sum
    hidden = reason.notna()
    key = out["site"].astype(str) + "\x1f" + out["sum"].astype(str)
    withhold = (out["level"] != "all") & key.isin(set(key[hidden]))
    reason[withhold & ~hidden] = "breakdown"
    out["suppressed"] = reason.notna().to_numpy()
    out["reason"] = pd.array(reason.to_numpy(), dtype="string")
    out.loc[out["suppressed"], "value"] = np.nan
    return out


def aggregate_tables(project, tables: dict[str, pd.DataFrame], k: int = 5,
                     as_of=None) -> dict[str, pd.DataFrame]:
    """The tables of an aggregate package for one project (no row describes one person).

    ``agg_measures`` holds the sums of every network measure for the whole period and per
    year as of ``as_of`` (default today), suppressed as the module docstring says; the SIC
    dates, the eligible counts and the plan (without notes) go as they are.
    """
    from ..measures.catalogue import Rules, measures
    from ..measures.engine import as_of_date, from_tables, sums

    out: dict[str, pd.DataFrame] = {}
    for name, drop in (("sic_events", []), ("eligible", []), ("activities", ["notes"]),
                       ("checklist_answers", ["answer", "answered_by"])):
        if name in tables:
            out[name] = tables[name].drop(columns=[c for c in drop if c in tables[name]])
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
