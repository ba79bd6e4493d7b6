"""What a network store gives back: share-back packages and a partitioned copy.

A share-back package holds one site's own measures for the whole period beside the
network's figures for sites of the same intervention, and only figures from which no other
site's value or count can be solved, by a site that knows its own:

- Every site's sums first pass the aggregate packages' disclosure control
  (:func:`.aggregate.suppress_sums`), whatever level its package had.
- Sites with 1 … k−1 participants are left out of every figure (``n_sites_excluded``
  says how many), and a figure is withheld when any other site of the comparison has the
  measure suppressed: two pools over different sites would give the difference away.
- The pooled value reveals the other sites' combined sums to a site that knows its own;
  so it is shown only when at least two other sites have data, at least k people stand
  behind the others' part, and no sensitive count of theirs (drop-outs, non-completers)
  is 1 … k−1.
- Medians and quartiles are never shared back: with few sites they are single sites'
  values, or interpolations between two, solvable with one's own value (three sites:
  Q1, median and Q3 give every value). The coordinator's network report keeps them; the
  allow-list (``tables.yaml``, level ``share_back``) has no place for them.
- One period only, the whole one: months and years beside the total could be subtracted.
- Nor may a figure be subtracted from one shared back to the same site before: the store
  records the others' part of every figure it sends (``NetworkStore.shared_back``), and a
  network figure whose others' part changed by 1 … k−1 people or sensitive events since
  any earlier share-back to that site is withheld (reason ``differencing``; see
  :mod:`.differencing`).

The partitioned copy is the layout for a network larger than one machine
(``docs/scaling.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["share_back", "share_back_rows", "export_partitioned"]

#: The date that places a row of each table in a year partition (attendance: the period).
_YEAR_OF = {"attendance": None, "participants": "enrolled", "sessions": "date",
            "fidelity_checks": "date", "sic_events": "date"}


def share_back_rows(ind: pd.DataFrame, site: str, k: int = 5,
                    earlier: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``benchmarks`` rows a site may receive (see the module docstring).

    ``ind`` is :func:`.indicators.site_indicators` with ``k`` (every site suppressed alike),
    whole period; ``earlier`` what share-backs told sites before
    (:meth:`.NetworkStore.shared_back`). The others' part of each figure shown is in the
    columns ``others_n``, ``others_numerator`` and ``others_denominator``, for the record.
    """
    from ..measures.catalogue import measure
    from .aggregate import _small
    from .differencing import changed_too_little
    from .indicators import Z95, Z998, _flags, comparison_sets, funnel_limits, network_figures

    mine = ind[ind["site"].astype(str) == str(site)]
    if mine.empty:
        return mine.assign(n_sites=pd.Series(dtype="Int64"))
    sets = comparison_sets(ind, k)
    rows = []
    for _, r in mine.iterrows():
        m = measure(r["indicator"])
        same = ind[(ind["intervention"] == r["intervention"])
                   & (ind["indicator"] == r["indicator"])]
        inc = sets[(sets["intervention"] == r["intervention"]) & sets["included"]]["site"]
        g = same[same["site"].isin(set(inc))]
        excluded = int(same["site"].nunique() - g["site"].nunique())
        figs = network_figures(g, k) if len(g) else {"network_reason": "too_few_sites",
                                                     "n_sites": 0, "network_value": np.nan}
        why = figs.get("network_reason")
        has_data = ((g["denominator"].astype("float64").fillna(0) > 0) if m.kind == "ratio"
                    else g["value"].notna())
        others = g[(g["site"].astype(str) != str(site)) & ~g["suppressed"].astype(bool)
                   & has_data]
        if why is None and m.pool != "none":
            num = others["numerator"].astype("float64").sum()
            den = others["denominator"].astype("float64").sum()
            n_others = others["n"].astype("float64").sum()
            counts = {"numerator": num, "complement": den - num}
            if len(others) < 2:
                why = "too_few_sites"
            elif m.population and n_others < k:
                why = "below_k"
            elif any(_small(counts[c], k) for c in m.sensitive):
                why = "small_count"
            elif earlier is not None and len(earlier):
                told = earlier[(earlier["site"].astype(str) == str(site))
                               & (earlier["intervention"] == r["intervention"])
                               & (earlier["indicator"] == r["indicator"])]
                now = {"n": n_others, "numerator": num, "denominator": den}
                if changed_too_little(now, told.to_dict("records"), k,
                                      bool(m.population), m.sensitive):
                    why = "differencing"
        row = {**r.to_dict(), "n_sites": figs.get("n_sites", 0), "n_sites_excluded": excluded,
               "network_value": np.nan, "network_median": np.nan, "network_q1": np.nan,
               "network_q3": np.nan, "lower95": np.nan, "upper95": np.nan,
               "lower998": np.nan, "upper998": np.nan, "flag": None,
               "network_suppressed": why is not None, "network_reason": why,
               "others_n": np.nan, "others_numerator": np.nan, "others_denominator": np.nan}
        if why is None and m.pool != "none":
            p0 = float(figs["network_value"])
            row["network_value"] = p0
            row.update(others_n=n_others, others_numerator=num, others_denominator=den)
            n = float(r["denominator"]) if pd.notna(r["denominator"]) else np.nan
            if m.is_share and m.pool == "ratio" and not np.isnan(n):
                (lo95,), (hi95,) = (np.atleast_1d(a) for a in funnel_limits(p0, [n], Z95))
                (lo998,), (hi998,) = (np.atleast_1d(a) for a in funnel_limits(p0, [n], Z998))
                row.update(lower95=lo95, upper95=hi95, lower998=lo998, upper998=hi998)
                if pd.notna(r["value"]):
                    row["flag"] = str(_flags(np.array([r["value"]]), lo95, hi95, lo998,
                                             hi998)[0])
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("n", "n_sites", "n_sites_excluded"):
        out[c] = pd.array(out[c].astype("float64"), dtype="Int64")
    return out


def share_back(store, out_dir, *, k: int = 5, fmt: str = "parquet", as_of=None) -> list[Path]:
    """Write one share-back package per site: its own figures beside the network's.

    Returns the paths written, ``share-back-<site>.zip`` each, in site order.
    """
    from ..measures.engine import as_of_date
    from .aggregate import check_k
    from .indicators import site_indicators, site_key
    from .package import write_package

    store.check_writable()  # what a share-back tells is recorded before anything is written
    k = check_k(k)
    when = as_of_date(as_of)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ind = site_indicators(store.con, as_of=when, k=k)
    earlier = store.shared_back()
    prov = store.provenance().drop_duplicates("site").set_index("site")
    n_sites = len(prov)
    written = []
    sites = sorted(prov.index.astype(str), key=lambda s: (site_key(pd.Series([s]))[0], s))
    for site in sites:
        rows = share_back_rows(ind, site, k, earlier)
        if rows.empty:
            continue
        shown = rows[rows["network_value"].notna()]
        told = pd.DataFrame({
            "site": str(site), "intervention": shown["intervention"].astype(str),
            "indicator": shown["indicator"].astype(str), "as_of": when.date().isoformat(),
            "n": shown["others_n"], "numerator": shown["others_numerator"],
            "denominator": shown["others_denominator"]})
        info = prov.loc[site]
        rows = rows.assign(site_name=info["site_name"], as_of=when.normalize())
        cols = ["site", "site_name", "intervention", "period", "indicator", "n", "numerator",
                "denominator", "value", "suppressed", "reason", "n_sites", "n_sites_excluded",
                "network_value", "lower95", "upper95", "lower998", "upper998", "flag",
                "network_suppressed", "network_reason", "as_of"]
        # the site's name in the descriptor is the official one, from the municipality list
        meta = {"site": site, "country": info["country"],
                "intervention": info["intervention"], "period": None, "level": "aggregate",
                "k": k, "share_back": True, "n_sites": n_sites,
                "as_of": when.date().isoformat()}
        path = out_dir / f"share-back-{site}.zip"
        table = rows[cols].reset_index(drop=True)
        # text columns stay text in Parquet even when every value is empty
        for c in ("site", "site_name", "intervention", "period", "indicator", "reason", "flag",
                  "network_reason"):
            table[c] = table[c].astype("string")
        for c in ("suppressed", "network_suppressed"):
            table[c] = table[c].astype("boolean")
        # recorded before the package is written: what left is never missing from it
        store.record_shared_back(told)
        written.append(write_package({"benchmarks": table}, path, meta, fmt=fmt))
    return written


def export_partitioned(store, out_dir, tables=None) -> Path:
    """Write tables as hive-partitioned Parquet (``country=…/site=…/year=…``).

    The layout DuckDB (also over object storage), Spark and Dask read as is, for a network
    larger than one machine; see ``docs/scaling.md``.

    Examples
    --------
    >>> import tempfile
    >>> from implementere_kit.exchange.network import NetworkStore
    >>> tmp = tempfile.TemporaryDirectory()
    >>> with NetworkStore(tmp.name + "/n.duckdb") as store:
    ...     out = export_partitioned(store, tmp.name + "/parquet")
    >>> sorted(p.name for p in out.iterdir())
    []
    >>> tmp.cleanup()
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    present = set(store.tables())
    for name in tables or [t for t in _YEAR_OF if t in present]:
        year = (f"coalesce(year(t.{_YEAR_OF[name]}), 0)" if _YEAR_OF.get(name)
                else "coalesce(year(try_cast(pr.period_start AS DATE)), 0)")
        target = (out_dir / name).as_posix().replace("'", "''")
        columns = {r[0] for r in store.con.execute(f'DESCRIBE "{name}"').fetchall()}
        # the site comes from provenance, so a table's own site column is left out
        cols = "t.* EXCLUDE (site)" if "site" in columns else "t.*"
        store.con.execute(
            f"COPY (SELECT {cols}, pr.country, pr.site, {year} AS year "
            f'FROM "{name}" t JOIN provenance pr ON pr.package_id = t._package) '
            f"TO '{target}' (FORMAT parquet, PARTITION_BY (country, site, year), "
            f"OVERWRITE_OR_IGNORE true)")
    return out_dir
