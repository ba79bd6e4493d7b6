"""What a network store gives back: share-back packages and a partitioned copy.

Both read the store through SQL in DuckDB. A share-back package holds one site's own
indicators beside the network's aggregated, suppressed figures (see
:func:`.indicators.benchmark`) — never another site's rows. The partitioned copy is the
layout for a network larger than one machine (``docs/scaling.md``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["share_back", "export_partitioned"]

#: The date that places a row of each table in a year partition (attendance: the period).
_YEAR_OF = {"attendance": None, "participants": "enrolled", "sessions": "date",
            "fidelity_checks": "date", "sic_events": "date"}


def share_back(store, out_dir, *, k: int = 5, fmt: str = "parquet") -> list[Path]:
    """Write one share-back package per site: its own figures beside the network's.

    Returns the paths written, ``share-back-<site>.zip`` each.
    """
    from .aggregate import check_k
    from .package import write_package

    k = check_k(k)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bench = pd.concat([store.benchmarks(by_month=False, k=k),
                       store.benchmarks(by_month=True, k=k)], ignore_index=True)
    prov = store.provenance().drop_duplicates("site").set_index("site")
    n_sites = int(store.con.execute("SELECT count(DISTINCT site) FROM provenance").fetchone()[0])
    written = []
    for site, rows in bench.groupby("site", sort=True):
        info = prov.loc[site] if site in prov.index else None
        meta = {"site": site, "country": None if info is None else info["country"],
                "intervention": "network" if info is None else info["intervention"],
                "period": None, "level": "aggregate", "k": k, "share_back": True,
                "n_sites": n_sites}
        path = out_dir / f"share-back-{site}.zip"
        written.append(write_package({"benchmarks": rows.reset_index(drop=True)}, path, meta,
                                     fmt=fmt))
    return written


def export_partitioned(store, out_dir, tables=None) -> Path:
    """Write tables as hive-partitioned Parquet (``country=…/site=…/year=…``).

    The layout DuckDB (also over object storage), Spark and Dask read as is, for a network
    larger than one machine; see ``docs/scaling.md``.

    Examples
    --------
    >>> import tempfile
    >>> from implementere_kit.exchange.network import NetworkStore
    >>> store = NetworkStore(tempfile.mkdtemp() + "/n.duckdb")
    >>> out = export_partitioned(store, tempfile.mkdtemp())
    >>> sorted(p.name for p in out.iterdir())
    []
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
