"""The network store: validated packages from many municipalities in one DuckDB file.

Each package is validated in full before anything is written; a package with any problem
is rejected whole and the store is unchanged. Accepted packages are loaded inside one
transaction each, with a row in ``provenance`` (package checksum, site, period, level,
when it was made and imported). Loading the same package again changes nothing; a newer
package for the same site, intervention and period replaces the older one in the same
transaction, so readers never see both or neither.

Indicators and benchmarks are computed by SQL inside DuckDB (see :mod:`.indicators`);
nothing is loaded whole into pandas.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ImplementereError, Problem, ValidationError
from .validate import open_package

__all__ = ["NetworkStore", "MergeResult"]

_PROVENANCE = """
CREATE TABLE IF NOT EXISTS provenance (
    package_id VARCHAR PRIMARY KEY, source VARCHAR, site VARCHAR, site_name VARCHAR,
    country VARCHAR, intervention VARCHAR, period_start VARCHAR, period_end VARCHAR,
    level VARCHAR, k INTEGER, dosage_sessions INTEGER, dosage_min_attendance DOUBLE,
    dosage_makeups_count BOOLEAN, fidelity_threshold DOUBLE, created VARCHAR,
    imported_at TIMESTAMP)
"""


@dataclass(frozen=True)
class MergeResult:
    """What happened to one package: imported, replaced, unchanged, older or rejected."""

    source: str
    action: str
    site: str | None = None
    package_id: str | None = None
    problems: tuple[Problem, ...] = ()


class NetworkStore:
    """A DuckDB file holding the network's packages.

    Examples
    --------
    >>> import tempfile
    >>> store = NetworkStore(tempfile.mkdtemp() + "/network.duckdb")
    >>> store.provenance().empty
    True
    """

    def __init__(self, path):
        import duckdb

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            raise ImplementereError(f"{self.path} cannot be opened as a network store: "
                                    f"{str(exc).splitlines()[0]}") from None
        self.con.execute(_PROVENANCE)
        self._columns: dict[str, set[str]] | None = None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> NetworkStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------
    def tables(self) -> list[str]:
        rows = self.con.execute("SELECT table_name FROM information_schema.tables "
                                "WHERE table_schema = 'main' ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def query(self, sql: str, params=None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def provenance(self) -> pd.DataFrame:
        return self.query("SELECT * FROM provenance ORDER BY site, period_start, created")

    # -- merging ---------------------------------------------------------------------
    def merge(self, packages, *, today: dt.date | None = None, progress: bool = False,
              batch: int = 64) -> list[MergeResult]:
        """Validate and load packages; return one :class:`MergeResult` per package.

        Valid packages are loaded ``batch`` at a time, each batch in one transaction:
        committing once per batch rather than per package keeps a merge of hundreds of
        packages close to the cost of reading them.
        """
        from tqdm.auto import tqdm

        results: list[MergeResult | None] = []
        pending: dict[str, tuple[int, object, list[str]]] = {}  # period key -> waiting load
        for path in tqdm([Path(p) for p in packages], desc="merge", unit="pkg",
                         disable=not progress):
            results.append(self._prepare(path, today, pending, len(results)))
            if len(pending) >= batch:
                self._load(pending, results)
        self._load(pending, results)
        return results

    def _prepare(self, path: Path, today, pending: dict, slot: int) -> MergeResult | None:
        """Validate one package and decide what to do with it (None: load it)."""
        try:
            pkg = open_package(path, today=today)
        except ValidationError as exc:
            return MergeResult(path.name, "rejected", problems=tuple(exc.problems))
        meta, pid = pkg.meta, pkg.package_id
        period = meta.get("period") or {}
        key = json.dumps([meta["site"], meta["intervention"], period.get("start"),
                          period.get("end")])
        created = str(pkg.descriptor.get("created", ""))
        newer = (MergeResult(path.name, "older", meta["site"], pid,
                             (Problem("a newer package for this site and period is already "
                                      "in the store", file=path.name),)))
        waiting = pending.get(key)
        if self.con.execute("SELECT 1 FROM provenance WHERE package_id = ?", [pid]).fetchone() \
                or (waiting and waiting[1].package_id == pid):
            pkg.close()
            return MergeResult(path.name, "unchanged", meta["site"], pid)
        if waiting:
            if str(waiting[1].descriptor.get("created", "")) >= created:
                pkg.close()
                return newer
            waiting[1].close()
            pending[key] = (slot, pkg, waiting[2])
            return None
        old = self.con.execute(
            "SELECT package_id, created FROM provenance WHERE site = ? AND intervention = ? "
            "AND period_start IS NOT DISTINCT FROM ? AND period_end IS NOT DISTINCT FROM ?",
            [meta["site"], meta["intervention"], period.get("start"),
             period.get("end")]).fetchall()
        if old and max(str(c) for _, c in old) >= created:
            pkg.close()
            return newer
        pending[key] = (slot, pkg, [o for o, _ in old])
        return None

    def _load(self, pending: dict, results: list) -> None:
        """Load the waiting packages in one transaction; fill in their results."""
        if not pending:
            return
        loads = list(pending.values())
        pending.clear()
        try:
            self.con.execute("BEGIN TRANSACTION")
            try:
                for _, pkg, old_ids in loads:
                    self._load_one(pkg, old_ids)
                self.con.execute("COMMIT")
            except Exception:
                self.con.execute("ROLLBACK")
                self._columns = None
                raise
        finally:
            for _, pkg, _ in loads:
                pkg.close()
        for slot, pkg, old_ids in loads:
            results[slot] = MergeResult(pkg.source.name, "replaced" if old_ids else "imported",
                                        pkg.meta["site"], pkg.package_id)

    def _load_one(self, pkg, old_ids: list[str]) -> None:
        meta, pid = pkg.meta, pkg.package_id
        period = meta.get("period") or {}
        for old_id in old_ids:
            for table in self._data_tables():
                self.con.execute(f'DELETE FROM "{table}" WHERE _package = ?', [old_id])
            self.con.execute("DELETE FROM provenance WHERE package_id = ?", [old_id])
        for name in pkg.resources:
            self._insert(name, pkg.arrow(name), pid)
        dosage = meta.get("dosage") or {}
        self.con.execute(
            "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "current_timestamp)",
            [pid, pkg.source.name, meta["site"], meta.get("site_name"), meta["country"],
             meta["intervention"], period.get("start"), period.get("end"), meta["level"],
             meta.get("k"), dosage.get("sessions"), dosage.get("min_attendance"),
             dosage.get("makeups_count"), meta.get("fidelity_threshold"),
             str(pkg.descriptor.get("created", ""))])

    def _table_columns(self) -> dict[str, set[str]]:
        if self._columns is None:
            rows = self.con.execute("SELECT table_name, column_name FROM "
                                    "information_schema.columns WHERE table_schema = 'main'"
                                    ).fetchall()
            self._columns = {}
            for t, c in rows:
                self._columns.setdefault(t, set()).add(c)
        return self._columns

    def _data_tables(self) -> list[str]:
        return [t for t in self._table_columns() if t != "provenance"]

    def _insert(self, name: str, table, package_id: str) -> None:
        columns = self._table_columns()
        self.con.register("_incoming", table)
        try:
            if name not in columns:
                self.con.execute(f'CREATE TABLE "{name}" AS SELECT *, ?::VARCHAR AS _package '
                                 f"FROM _incoming WHERE false", [package_id])
                columns[name] = set(table.column_names) | {"_package"}
            for field in table.schema:
                if field.name not in columns[name]:
                    sql_type = self.con.execute(
                        f'SELECT typeof("{field.name}") FROM _incoming LIMIT 1').fetchone()
                    self.con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{field.name}" '
                                     f"{sql_type[0] if sql_type else 'VARCHAR'}")
                    columns[name].add(field.name)
            self.con.execute(f'INSERT INTO "{name}" BY NAME SELECT *, ? AS _package FROM _incoming',
                             [package_id])
        finally:
            self.con.unregister("_incoming")

    # -- indicators ------------------------------------------------------------------
    def indicators(self, by_month: bool = False) -> pd.DataFrame:
        """Key indicators per site (and month); see :func:`.indicators.site_indicators`."""
        from .indicators import site_indicators

        return site_indicators(self.con, by_month=by_month)

    def benchmarks(self, by_month: bool = False, k: int = 5) -> pd.DataFrame:
        """Indicators with the network's median, quartiles and funnel-plot limits."""
        from .indicators import benchmark

        return benchmark(self.indicators(by_month=by_month), k=k)

    def share_back(self, out_dir, *, k: int = 5, fmt: str = "parquet") -> list[Path]:
        """Write one share-back package per site: its own figures beside the network's."""
        from .package import write_package

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        bench = pd.concat([self.benchmarks(by_month=False, k=k),
                           self.benchmarks(by_month=True, k=k)], ignore_index=True)
        prov = self.provenance().drop_duplicates("site").set_index("site")
        written = []
        for site, rows in bench.groupby("site", sort=True):
            info = prov.loc[site] if site in prov.index else None
            meta = {"site": site, "site_name": None if info is None else info["site_name"],
                    "country": None if info is None else info["country"],
                    "intervention": "network" if info is None else info["intervention"],
                    "period": None, "level": "aggregate", "k": k, "share_back": True,
                    "n_sites": int(self.con.execute(
                        "SELECT count(DISTINCT site) FROM provenance").fetchone()[0])}
            path = out_dir / f"share-back-{site}.zip"
            written.append(write_package({"benchmarks": rows.reset_index(drop=True)}, path,
                                         meta, fmt=fmt))
        return written


def results_frame(results: list[MergeResult]) -> pd.DataFrame:
    """Merge results as a table (one row per package, problems counted)."""
    return pd.DataFrame([{"source": r.source, "action": r.action, "site": r.site,
                          "n_problems": len(r.problems),
                          "first_problem": str(r.problems[0]) if r.problems else ""}
                         for r in results])


