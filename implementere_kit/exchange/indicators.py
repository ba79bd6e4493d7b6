"""Network indicators and benchmarks: the catalogue's measures across a network store.

Indicators are the measures of :mod:`implementere_kit.measures.catalogue`, computed by the
same SQL as a project's own (:mod:`implementere_kit.measures.engine`): from pseudonymised
packages' rows and from the sums aggregate packages publish, so a network can mix both and
a site's value is the same either way. With ``k`` given, every site's sums pass the same
disclosure control as an aggregate package's (:func:`.aggregate.suppress_sums`) first.

Benchmarks compare sites *of the same intervention* only: KEEP and FFT never share a mean or
a funnel plot. Per intervention, the comparison set is every site except those with 1 … k−1
participants (left out of every figure, and counted in ``n_sites_excluded``). A network
figure is withheld when fewer than three sites have data, when fewer than k people stand
behind it, or when any site of the set has the measure suppressed — a pool that left that
site out could be subtracted from one that did not. Network values pool the sums
(Σ numerator ÷ Σ denominator), never average site values, except where the catalogue says
``pool: mean`` (SIC stage and durations). For shares, funnel-plot control limits around
the network value, ``p0 ± z·sqrt(p0(1 − p0)/n)`` with z = 1.96 (95 %) and 3.09 (99.8 %) at
each site's denominator, keep a small site from being flagged for the noise its size
brings (Spiegelhalter 2005).

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185–1202. https://doi.org/10.1002/sim.1970
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The limits are the measures' one implementation, shared with the p-charts.
from ..measures.control import Z95, Z998, funnel_limits

__all__ = ["site_indicators", "benchmark", "funnel_limits", "comparison_sets", "sort_rows",
           "site_key", "GROUPS", "Z95", "Z998", "MIN_SITES", "NETWORK_REASONS"]

#: Fewest sites with data behind a network figure.
MIN_SITES = 3
#: Why a network figure is withheld (``network_reason``): a site of the comparison has the
#: measure suppressed, too few sites have data, too few people stand behind it, or (in a
#: share-back) the others' sensitive count is small.
NETWORK_REASONS = ("site_suppressed", "too_few_sites", "below_k", "small_count",
                   "differencing")
#: Groups of indicators (for callers that want some only) → catalogue families.
GROUPS = {"participation": ("participants",), "delivery": ("groups", "sessions"),
          "adherence": ("adherence",), "reach": ("reach",), "sic": ("sic",),
          "surveys": ("surveys",), "staff": ("staff", "delivery")}
_COLS = ["site", "intervention", "period", "indicator", "n", "numerator", "denominator",
         "value", "suppressed", "reason"]


def site_indicators(con, by_month: bool = False, groups=tuple(GROUPS), *, as_of=None,
                    level: str | None = None, k: int | None = None) -> pd.DataFrame:
    """Every network measure per site (and year or month) as a long table.

    Parameters
    ----------
    con : DuckDB connection
        A network store's (:attr:`NetworkStore.con`).
    by_month : bool
        Per month of enrolment, session or check (rows of pseudonymised packages only:
        aggregate packages publish the whole period and years). Same as ``level="month"``.
    groups : sequence of str
        Keys of :data:`GROUPS` (default all).
    as_of : date, optional
        Rows dated after it are left out (default today).
    level : {"all", "year", "month"}, optional
    k : int, optional
        Apply the aggregate packages' disclosure control to every site first.

    Returns
    -------
    DataFrame
        ``site``, ``intervention``, ``period`` (``all``, ``YYYY`` or ``YYYY-MM``),
        ``indicator`` (a catalogue measure id), ``n``, ``numerator``, ``denominator``,
        ``value``, ``suppressed`` and ``reason``; sorted by intervention, site (as a
        number, leading zeros kept), period and catalogue order.
    """
    from ..measures.catalogue import measures
    from ..measures.engine import from_store, measures_from_sums, sums
    from .aggregate import suppress_sums

    level = level or ("month" if by_month else "all")
    fams = sorted({f for g in groups for f in GROUPS[g]})
    ids = [i for i, m in measures().items() if m.network and m.family in fams]
    src = from_store(con, fams)
    s = sums(src, as_of=as_of, families_=fams, levels=(level,))
    if k is not None and len(s):
        s = suppress_sums(s, k)
    out = measures_from_sums(s, ids)
    if out.empty:
        return pd.DataFrame(columns=_COLS)
    out = out.rename(columns={"measure": "indicator"})[_COLS]
    return sort_rows(out).reset_index(drop=True)


def sort_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows by intervention, site code as a number (``0301`` before ``330``), period and
    the catalogue's order of measures."""
    from ..measures.catalogue import measure_ids

    order = {m: i for i, m in enumerate(measure_ids())}
    key = pd.DataFrame({"i": df["intervention"].astype(str), "s": site_key(df["site"]),
                        "c": df["site"].astype(str), "p": df["period"].astype(str),
                        "m": df["indicator"].map(order)})
    return df.loc[key.sort_values(["i", "s", "c", "p", "m"], kind="stable").index]


def site_key(codes: pd.Series) -> pd.Series:
    """Municipality codes as numbers for sorting (leading zeros kept in the codes)."""
    return pd.to_numeric(codes.astype(str).str.strip(), errors="coerce").fillna(np.inf)


def comparison_sets(ind: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Which sites each intervention's comparison holds: ``site``, ``intervention``,
    ``included`` (false for a site with 1 … k−1 participants, which no figure may show)."""
    whole = ind[ind["period"].astype(str) == "all"] if "period" in ind else ind
    sites = whole[["site", "intervention"]].drop_duplicates()
    small = whole[(whole["indicator"] == "participants")
                  & (whole["n"].astype("float64").between(1, k - 1)
                     | (whole["suppressed"].astype(bool) & (whole["reason"] == "below_k")))]
    excluded = set(zip(small["site"], small["intervention"], strict=True))
    return sites.assign(included=[(s, i) not in excluded for s, i in
                                  zip(sites["site"], sites["intervention"], strict=True)])


def _flags(value, lo95, hi95, lo998, hi998) -> np.ndarray:
    return np.select([value > hi998, value < lo998, value > hi95, value < lo95],
                     ["above998", "below998", "above95", "below95"], default="within")


def network_figures(rows: pd.DataFrame, k: int) -> dict:
    """The network's figures for one measure over one comparison set (coordinator view).

    ``rows`` are the included sites' rows of one intervention, period and indicator.
    """
    from ..measures.catalogue import measure

    m = measure(rows["indicator"].iloc[0])
    hidden = rows["suppressed"].astype(bool)
    data = rows[~hidden & rows["value"].notna()]
    den = data["denominator"].astype("float64")
    out = {"n_sites": len(data), "network_value": np.nan, "network_median": np.nan,
           "network_q1": np.nan, "network_q3": np.nan, "network_suppressed": False,
           "network_reason": None}
    people = data["n"].astype("float64").sum() if m.population else np.inf
    why = ("site_suppressed" if hidden.any() else "too_few_sites" if len(data) < MIN_SITES
           else "below_k" if people < k else None)
    if why or m.pool == "none":
        out.update(network_suppressed=why is not None, network_reason=why)
        return out
    v = data["value"].astype("float64")
    out.update(network_median=v.median(), network_q1=v.quantile(0.25),
               network_q3=v.quantile(0.75),
               network_value=(data["numerator"].astype("float64").sum() / den.sum()
                              if m.pool == "ratio" else v.mean()))
    return out


def benchmark(ind: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Add the network's figures to a site indicator table, per intervention.

    Per intervention, period and indicator: ``n_sites`` and ``n_sites_excluded``,
    ``network_value``, ``network_median``, ``network_q1``, ``network_q3``; for shares the
    funnel limits at each site's denominator (``lower95`` … ``upper998``) and its
    ``flag``; ``network_suppressed`` and ``network_reason`` (``too_few_sites``,
    ``below_k`` or ``site_suppressed``) where the figures are withheld. This is the
    coordinator's view; :func:`.outputs.share_back` decides what each site may see.
    """
    from ..measures.catalogue import measure

    net = ["n_sites", "n_sites_excluded", "network_value", "network_median", "network_q1",
           "network_q3", "lower95", "upper95", "lower998", "upper998", "flag",
           "network_suppressed", "network_reason"]
    if ind.empty:
        return ind.assign(**{c: pd.Series(dtype="object") for c in net})
    df = ind.copy().reset_index(drop=True)
    sets = comparison_sets(df, k)
    df = df.merge(sets, on=["site", "intervention"], how="left")
    df["included"] = df["included"].fillna(True).astype(bool)
    for c in net:
        df[c] = np.nan if c not in ("flag", "network_reason", "network_suppressed") else None
    for _, g in df.groupby(["intervention", "period", "indicator"], sort=False, dropna=False):
        figs = network_figures(g[g["included"]], k)
        figs["n_sites_excluded"] = int((~g["included"]).sum())
        for c, v in figs.items():
            df.loc[g.index, c] = v
        m = measure(g["indicator"].iloc[0])
        p0 = figs["network_value"]
        if m.is_share and m.pool == "ratio" and not np.isnan(p0):
            n = g["denominator"].astype("float64").to_numpy()
            lo95, hi95 = funnel_limits(p0, n, Z95)
            lo998, hi998 = funnel_limits(p0, n, Z998)
            v = g["value"].astype("float64").to_numpy()
            df.loc[g.index, ["lower95", "upper95", "lower998", "upper998"]] = \
                np.column_stack([lo95, hi95, lo998, hi998])
            df.loc[g.index, "flag"] = np.where(np.isnan(v), None,
                                               _flags(v, lo95, hi95, lo998, hi998))
        out = g.index[~g["included"]]  # a site no figure may show gets no limits either
        df.loc[out, ["lower95", "upper95", "lower998", "upper998"]] = np.nan
        df.loc[out, "flag"] = None
    df["network_suppressed"] = df["network_suppressed"].fillna(False).astype(bool)
    for c in ("n_sites", "n_sites_excluded"):
        df[c] = pd.array(df[c].astype("float64"), dtype="Int64")
    return df.drop(columns="included")
