"""The network store: validated packages from many municipalities, queried with DuckDB.

A store is a DuckDB file (``network.duckdb``) beside a folder of Parquet files
(``network.duckdb.data/<table>/<checksum>.parquet``). The DuckDB file holds
``provenance`` (package checksum, site, period, level, when it was made and imported),
``files`` (which Parquet file belongs to which package and table) and one view per table
over exactly the files listed — the lakehouse layout DuckDB, Spark or Dask read as is.

Each package is validated in full before anything is written; a package with any problem
is rejected whole and the store is unchanged. An accepted package's validated bytes are
written into the data folder first, under a name no view reads yet; then one transaction
records them in ``provenance`` and ``files`` and redefines the views. Loading the same package again changes nothing; a newer package for the same site,
intervention and period replaces the older one in that same transaction, so a reader sees
either the old package or the new one, never both or neither. Files no view names any
longer are deleted after the commit.

Indicators and benchmarks are computed by SQL inside DuckDB (see :mod:`.indicators`);
nothing is loaded whole into pandas.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import threading
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
    imported_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS files (package_id VARCHAR, resource VARCHAR, path VARCHAR);
"""


_PROVENANCE_COLUMNS = ["package_id", "source", "site", "site_name", "country", "intervention",
                       "period_start", "period_end", "level", "k", "dosage_sessions",
                       "dosage_min_attendance", "dosage_makeups_count", "fidelity_threshold",
                       "created"]


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
    >>> tmp = tempfile.TemporaryDirectory()
    >>> with NetworkStore(tmp.name + "/network.duckdb") as store:
    ...     store.provenance().empty
    True
    >>> tmp.cleanup()
    """

    def __init__(self, path):
        import duckdb

        from .._duckdb import connect

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = connect(str(self.path))
        except duckdb.Error as exc:
            raise ImplementereError(f"{self.path} cannot be opened as a network store: "
                                    f"{str(exc).splitlines()[0]}") from None
        self.data_dir = self.path.with_name(self.path.name + ".data")
        self._ids: set[str] | None = None  # caches of provenance for merge decisions
        self._periods: dict | None = None
        self.con.execute(_PROVENANCE)
        # Paths in the views are absolute: rebuild them in case the store was moved.
        try:
            self._refresh_views(self._resources())
        except duckdb.IOException as exc:
            self.con.close()
            raise ImplementereError(f"{self.path} is damaged: a data file it lists is missing "
                                    f"from {self.data_dir} ({str(exc).splitlines()[0]})"
                                    ) from None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> NetworkStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------
    def tables(self) -> list[str]:
        """The data tables (views) in the store, plus ``provenance``."""
        return sorted(["provenance", *self._resources()])

    def query(self, sql: str, params=None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def provenance(self) -> pd.DataFrame:
        return self.query("SELECT * FROM provenance ORDER BY site, period_start, created")

    # -- merging ---------------------------------------------------------------------
    def merge(self, packages, *, today: dt.date | None = None, progress: bool = False,
              batch: int = 128) -> list[MergeResult]:
        """Validate and load packages; return one :class:`MergeResult` per package.

        Valid packages are loaded ``batch`` at a time, each batch in one transaction:
        committing once per batch rather than per package keeps a merge of hundreds of
        packages close to the cost of reading them.
        """
        from concurrent.futures import ThreadPoolExecutor

        from tqdm.auto import tqdm

        def check(path: Path):
            try:
                pkg = open_package(path, today=today)
            except ValidationError as exc:
                return MergeResult(path.name, "rejected", problems=tuple(exc.problems))
            try:
                self._stage(pkg)
            except BaseException:
                pkg.close()
                raise
            return pkg

        paths = [Path(p) for p in packages]
        results: list[MergeResult | None] = []
        pending: dict[str, tuple[int, object, list[str]]] = {}  # period key -> waiting load
        # Validation is mostly Arrow kernels and file reads, which release the GIL: packages
        # are checked on worker threads, the next batch while this one is being loaded.
        chunks = [paths[i:i + batch] for i in range(0, len(paths), batch)]
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool, \
                tqdm(total=len(paths), desc="merge", unit="pkg", disable=not progress) as bar:
            ahead = [pool.submit(check, p) for p in chunks[0]] if chunks else []
            try:
                for i, chunk in enumerate(chunks):
                    current = ahead
                    ahead = ([pool.submit(check, p) for p in chunks[i + 1]]
                             if i + 1 < len(chunks) else [])
                    for path, future in zip(chunk, current, strict=True):
                        results.append(None)
                        results[-1] = self._prepare(path, future.result(), pending, results)
                        bar.update()
                    self._load(pending, results)
            except BaseException:
                # Packages checked ahead hold unpacked temporary folders: remove them.
                waiting = [f.result() for f in ahead] + [p for _, p, _ in pending.values()]
                for pkg in waiting:
                    if not isinstance(pkg, MergeResult):
                        self._unstage(pkg)
                        pkg.close()
                raise
        return results

    def _prepare(self, path: Path, checked, pending: dict, results: list) -> MergeResult | None:
        """Decide what to do with a validated package (None: load it).

        ``results`` holds the answers so far; its last slot is this package's.
        """
        slot = len(results) - 1
        if isinstance(checked, MergeResult):
            return checked
        pkg = checked
        meta, pid = pkg.meta, pkg.package_id
        period = meta.get("period") or {}
        key = json.dumps([meta["site"], meta["intervention"], period.get("start"),
                          period.get("end")])
        created = str(pkg.descriptor.get("created", ""))
        def older(source: str, site: str, package_id: str) -> MergeResult:
            return MergeResult(source, "older", site, package_id,
                               (Problem("a newer package for this site and period is already "
                                        "in the store", file=source),))
        waiting = pending.get(key)
        if pid in self._known_ids() or (waiting and waiting[1].package_id == pid):
            pkg.close()
            return MergeResult(path.name, "unchanged", meta["site"], pid)
        if waiting:
            loser = pkg if str(waiting[1].descriptor.get("created", "")) >= created else waiting[1]
            self._unstage(loser)
            loser.close()
            if loser is pkg:
                return older(path.name, meta["site"], pid)
            results[waiting[0]] = older(loser.source.name, loser.meta["site"], loser.package_id)
            pending[key] = (slot, pkg, waiting[2])
            return None
        old = self._known_periods().get(key, [])
        if old and max(str(c) for _, c in old) >= created:
            self._unstage(pkg)
            pkg.close()
            return older(path.name, meta["site"], pid)
        pending[key] = (slot, pkg, [o for o, _ in old])
        return None

    def _known_ids(self) -> set[str]:
        if self._ids is None:
            self._ids = {r[0] for r in self.con.execute("SELECT package_id FROM provenance")
                         .fetchall()}
        return self._ids

    def _known_periods(self) -> dict[str, list[tuple[str, str]]]:
        """Packages in the store by site, intervention and period: [(package_id, created)]."""
        if self._periods is None:
            self._periods = {}
            for pid, site, interv, start, end, created in self.con.execute(
                    "SELECT package_id, site, intervention, period_start, period_end, created "
                    "FROM provenance").fetchall():
                key = json.dumps([site, interv, start, end])
                self._periods.setdefault(key, []).append((pid, created))
        return self._periods

    def _load(self, pending: dict, results: list) -> None:
        """Copy the waiting packages' files in, then record them in one transaction."""
        if not pending:
            return
        loads = list(pending.values())
        pending.clear()
        try:
            rows = [(pkg.package_id, name, str(self._file(name, pkg.package_id)))
                    for _, pkg, _ in loads for name in pkg.resources]
            old_ids = [o for _, _, olds in loads for o in olds]
            stale = self.con.execute(
                "SELECT resource, package_id FROM files WHERE list_contains(?, package_id)",
                [old_ids]).fetchall() if old_ids else []
            touched = {r[1] for r in rows} | set(self._resources(old_ids))
            self.con.execute("BEGIN TRANSACTION")
            try:
                if old_ids:
                    self.con.execute("DELETE FROM files WHERE list_contains(?, package_id)",
                                     [old_ids])
                    self.con.execute("DELETE FROM provenance WHERE list_contains(?, package_id)",
                                     [old_ids])
                self._insert_rows("files", ["package_id", "resource", "path"], rows)
                self._insert_rows("provenance", _PROVENANCE_COLUMNS,
                                  [self._provenance_row(pkg) for _, pkg, _ in loads])
                self._refresh_views(touched)
                self.con.execute("COMMIT")
            except Exception:
                self.con.execute("ROLLBACK")
                raise
            finally:
                self._ids = self._periods = None  # read again from what was committed
        except Exception:
            for _, pkg, _ in loads:  # staged files no package row points to
                self._unstage(pkg)
            raise
        finally:
            for _, pkg, _ in loads:
                pkg.close()
        for resource, pid in stale:
            self._file(resource, pid).unlink(missing_ok=True)
        for slot, pkg, old in loads:
            results[slot] = MergeResult(pkg.source.name, "replaced" if old else "imported",
                                        pkg.meta["site"], pkg.package_id)

    def _stage(self, pkg) -> None:
        """Put a validated package's resources into the data folder as Parquet files.

        Runs on the worker threads, beside validation. A file is named by the package's
        checksum, so one already there holds the same bytes; until a transaction records
        it, no view reads it.
        """
        import pyarrow.parquet as pq

        for name, res in pkg.resources.items():
            target = self._file(name, pkg.package_id)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{threading.get_ident()}.tmp")
            if name in pkg.verified:  # the very bytes validation checked
                tmp.write_bytes(pkg.verified.pop(name))
            elif res.get("format", "parquet") != "parquet":
                pq.write_table(pkg.arrow(name), tmp)
            else:
                shutil.copyfile(pkg.path_of(name), tmp)
            os.replace(tmp, target)

    def _unstage(self, pkg) -> None:
        """Remove a package's staged files unless the store records that package."""
        if pkg.package_id in self._known_ids():
            return
        for name in pkg.resources:
            self._file(name, pkg.package_id).unlink(missing_ok=True)

    def _insert_rows(self, table: str, columns: list[str], rows: list) -> None:
        """Insert many rows through Arrow: one statement instead of one per row."""
        import pyarrow as pa

        if not rows:
            return
        data = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
        self.con.register("_rows", data)
        try:
            cols = ", ".join(columns)
            extra = ", current_timestamp" if table == "provenance" else ""
            self.con.execute(f"INSERT INTO {table} SELECT {cols}{extra} FROM _rows")
        finally:
            self.con.unregister("_rows")

    def _file(self, resource: str, package_id: str) -> Path:
        return self.data_dir / resource / f"{package_id}.parquet"

    @staticmethod
    def _provenance_row(pkg) -> list:
        meta = pkg.meta
        period = meta.get("period") or {}
        dosage = meta.get("dosage") or {}
        return [pkg.package_id, pkg.source.name, meta["site"], meta.get("site_name"),
                meta["country"], meta["intervention"], period.get("start"), period.get("end"),
                meta["level"], meta.get("k"), dosage.get("sessions"),
                dosage.get("min_attendance"), dosage.get("makeups_count"),
                meta.get("fidelity_threshold"), str(pkg.descriptor.get("created", ""))]

    def _resources(self, package_ids=None) -> list[str]:
        if package_ids is None:
            rows = self.con.execute("SELECT DISTINCT resource FROM files").fetchall()
        else:
            rows = self.con.execute("SELECT DISTINCT resource FROM files WHERE "
                                    "list_contains(?, package_id)", [list(package_ids)]).fetchall()
        return sorted(r[0] for r in rows)

    def _refresh_views(self, resources) -> None:
        """(Re)define each resource's view over exactly the files listed for it."""
        for name in resources:
            paths = [str(self._file(name, pid)) for (pid,) in self.con.execute(
                         "SELECT package_id FROM files WHERE resource = ? ORDER BY package_id",
                         [name]).fetchall()]
            if not paths:
                self.con.execute(f'DROP VIEW IF EXISTS "{name}"')
                continue
            listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
            # the package a row came from is the file's name: <sha256>.parquet
            self.con.execute(
                f'CREATE OR REPLACE VIEW "{name}" AS SELECT * EXCLUDE (filename), '
                f"regexp_extract(filename, '([0-9a-f]{{64}})\\.parquet$', 1) AS _package "
                f"FROM read_parquet([{listed}], filename = true, union_by_name = true)")

    def export_partitioned(self, out_dir, tables=None) -> Path:
        """Write tables as hive-partitioned Parquet; see :func:`.outputs.export_partitioned`."""
        from .outputs import export_partitioned

        return export_partitioned(self, out_dir, tables)

    # -- indicators ------------------------------------------------------------------
    def indicators(self, by_month: bool = False, groups=None, **kw) -> pd.DataFrame:
        """Key indicators per site (and month); see :func:`.indicators.site_indicators`."""
        from .indicators import GROUPS, site_indicators

        return site_indicators(self.con, by_month=by_month, groups=groups or GROUPS, **kw)

    def benchmarks(self, by_month: bool = False, k: int = 5, **kw) -> pd.DataFrame:
        """Indicators with the network's figures per intervention; see
        :func:`.indicators.benchmark` (``as_of=`` passes on)."""
        from .indicators import benchmark

        return benchmark(self.indicators(by_month=by_month, k=k, **kw), k=k)

    def share_back(self, out_dir, *, k: int = 5, fmt: str = "parquet", **kw) -> list[Path]:
        """One share-back package per site; see :func:`.outputs.share_back`."""
        from .outputs import share_back

        return share_back(self, out_dir, k=k, fmt=fmt, **kw)


def results_frame(results: list[MergeResult]) -> pd.DataFrame:
    """Merge results as a table (one row per package, problems counted)."""
    return pd.DataFrame([{"source": r.source, "action": r.action, "site": r.site,
                          "n_problems": len(r.problems),
                          "first_problem": str(r.problems[0]) if r.problems else ""}
                         for r in results])


