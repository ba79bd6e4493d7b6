"""The network store: validated packages from many municipalities, queried with DuckDB.

This module is the storage: files, views and provenance. Deciding what to store — which
packages are valid, which of two is newer — is :mod:`.merge`'s job.

A store is a DuckDB file (``network.duckdb``) beside a folder of Parquet files
(``network.duckdb.data/<table>/<name>.parquet``, the rows of many packages in each, told
apart by their ``_package`` column). The DuckDB file holds ``provenance`` (package
checksum, site, period, level, k, export sequence number, when it was made and
imported), ``files`` (which packages' rows of which table are in which Parquet file, and
how many) and one view per table over exactly the files listed — the lakehouse layout
DuckDB, Spark or Dask read as is.

:meth:`NetworkStore.commit` writes a batch of checked packages as one new file per table
(:mod:`.storefiles`: the checked values, never the bytes a package arrived with), under
names no view reads yet, then records them, and removes the packages they replace, in one
transaction that also redefines the views — a reader sees the old packages or the new
ones, never a mix. Files no view names any longer are deleted after the commit.

Indicators and benchmarks are computed by SQL inside DuckDB (see :mod:`.indicators`);
nothing is loaded whole into pandas.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pandas as pd

from ..errors import ImplementereError
from .merge import MergeResult, results_frame

__all__ = ["NetworkStore", "MergeResult", "results_frame"]

_PROVENANCE = """
CREATE TABLE IF NOT EXISTS provenance (
    package_id VARCHAR PRIMARY KEY, source VARCHAR, site VARCHAR, site_name VARCHAR,
    country VARCHAR, intervention VARCHAR, period_start VARCHAR, period_end VARCHAR,
    level VARCHAR, k INTEGER, dosage_sessions INTEGER, dosage_min_attendance DOUBLE,
    dosage_makeups_count BOOLEAN, fidelity_threshold DOUBLE, created VARCHAR,
    export_seq BIGINT, imported_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS files (package_id VARCHAR, resource VARCHAR, path VARCHAR,
                                  columns VARCHAR, n_rows BIGINT);
CREATE TABLE IF NOT EXISTS shared_back (site VARCHAR, intervention VARCHAR,
    indicator VARCHAR, as_of VARCHAR, n DOUBLE, numerator DOUBLE, denominator DOUBLE,
    written_at TIMESTAMP);
"""
#: What :meth:`NetworkStore.record_shared_back` keeps of each share-back figure: the
#: others' part a receiving site could work out (see :mod:`.differencing`).
_SHARED_BACK_COLUMNS = ["site", "intervention", "indicator", "as_of", "n", "numerator",
                        "denominator"]
#: A data file as ``files`` records it: ``<table>/<random hex>.parquet`` in the data folder.
_FILE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}/[0-9a-f]{32}\.parquet")
_PROVENANCE_COLUMNS = ["package_id", "source", "site", "site_name", "country", "intervention",
                       "period_start", "period_end", "level", "k", "dosage_sessions",
                       "dosage_min_attendance", "dosage_makeups_count", "fidelity_threshold",
                       "created", "export_seq"]


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

    def __init__(self, path, *, read_only: bool = False):
        import duckdb

        from .._duckdb import connect

        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.is_file():
            raise ImplementereError(f"no network store at {self.path}")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = connect(str(self.path), read_only=read_only)
            self.data_dir = self.path.with_name(self.path.name + ".data")
            if not read_only:
                self.con.execute(_PROVENANCE)
            columns = {r[0] for table in ("provenance", "files")
                       for r in self.con.execute(f"DESCRIBE {table}").fetchall()}
        except duckdb.Error as exc:
            with contextlib.suppress(Exception):
                self.con.close()
            raise ImplementereError(f"{self.path} cannot be opened as a network store: "
                                    f"{str(exc).splitlines()[0]}") from None
        if not {"export_seq", "n_rows"} <= columns:
            # before export sequence numbers, or with a file per package and the bytes it
            # arrived with (see .storefiles for why the store writes its own files now)
            self.con.close()
            raise ImplementereError(f"{self.path} was made by an older implementere-kit; "
                                    "merge the packages into a new store")
        # Paths in the views are absolute: rebuild them in case the store was moved.
        try:
            self._refresh_views(self._resources())
        except ImplementereError:
            self.con.close()
            raise
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
        return self.query("SELECT * FROM provenance ORDER BY site, period_start, export_seq")

    def shared_back(self) -> pd.DataFrame:
        """What earlier share-backs told each site of the other sites: per site,
        intervention and indicator, the others' ``n``, ``numerator`` and ``denominator``
        (empty for a store that never shared back)."""
        present = {r[0] for r in self.con.execute("SHOW TABLES").fetchall()}
        if "shared_back" not in present:
            return pd.DataFrame(columns=[*_SHARED_BACK_COLUMNS, "written_at"])
        return self.query("SELECT * FROM shared_back ORDER BY written_at, site")

    def check_writable(self) -> None:
        """Raise unless the store is open for writing (share-back records what it tells)."""
        if self.read_only:
            raise ImplementereError(f"{self.path} is open read-only: a share-back is recorded "
                                    "in the store (so later ones cannot be subtracted from "
                                    "it); open it for writing")

    def record_shared_back(self, rows: pd.DataFrame) -> None:
        """Record share-back figures (columns as :meth:`shared_back`), in one transaction."""
        self.check_writable()
        if rows.empty:
            return
        data = rows[_SHARED_BACK_COLUMNS].astype(
            {"n": "float64", "numerator": "float64", "denominator": "float64"})
        self.con.register("_shared", data)
        try:
            self.con.execute("INSERT INTO shared_back SELECT *, current_timestamp "
                             "FROM _shared")
        finally:
            self.con.unregister("_shared")

    def versions(self) -> dict[tuple, list[tuple[str, int]]]:
        """Stored packages by :func:`period_key`: ``[(package_id, export_seq)]``."""
        out: dict[tuple, list[tuple[str, int]]] = {}
        for pid, site, interv, start, end, seq in self.con.execute(
                "SELECT package_id, site, intervention, period_start, period_end, export_seq "
                "FROM provenance").fetchall():
            out.setdefault((site, interv, start, end), []).append((pid, seq))
        return out

    # -- writing ---------------------------------------------------------------------
    def merge(self, packages, *, today=None, now=None, progress: bool | str = False,
              batch: int = 64) -> list[MergeResult]:
        """Validate and load packages; see :func:`.merge.merge_packages`."""
        from .merge import merge_packages

        return merge_packages(self, packages, today=today, now=now, progress=progress,
                              batch=batch)

    @staticmethod
    def prepare(pkg) -> None:
        """Turn a checked package's tables into what the store writes
        (:func:`.storefiles.stored_table`); safe on worker threads, done once."""
        if getattr(pkg, "_prepared", False):
            return
        from .allowlist import level_schema
        from .storefiles import stored_table

        pkg.tables = {n: stored_table(t, level_schema(n, pkg.level))
                      for n, t in pkg.tables.items()}
        pkg._prepared = True

    def commit(self, packages, replaced: list[str], *, views: bool = True) -> list[str]:
        """Store checked ``packages`` and remove the ``replaced`` package ids, atomically.

        Each table of the batch becomes one new file (:func:`.storefiles.write_batch`); a
        file that also holds packages not replaced is written again without the replaced
        ones. Then one transaction records it all. On failure nothing changes and the new
        files are removed; after the commit the files no view names are deleted. Returns
        the resources touched. With ``views=False`` the views are left for
        :meth:`refresh_views` (a merge of many batches redefines them once, at the end:
        they are derived from ``files``, and rebuilt whenever a store is opened, so a crash
        in between loses nothing).
        """
        from .storefiles import without_packages, write_batch

        written: list[Path] = []
        try:
            items: dict[str, list] = {}
            for pkg in packages:
                self.prepare(pkg)
                for name, table in pkg.tables.items():
                    items.setdefault(name, []).append((pkg.package_id, table))
            rows = []
            for name, batch in sorted(items.items()):
                for path, sig, counts in write_batch(self.data_dir / name, batch):
                    written.append(path)
                    rows += [(pid, name, f"{name}/{path.name}", sig, n) for pid, n in counts]
            # files that hold a replaced package: the others in them are kept, in a new file
            old = self.con.execute(
                "SELECT DISTINCT path, resource FROM files WHERE list_contains(?, package_id)",
                [replaced]).fetchall() if replaced else []
            moved = []
            for path, resource in old:
                keep = [r[0] for r in self.con.execute(
                    "SELECT package_id FROM files WHERE path = ? AND NOT list_contains(?, "
                    "package_id)", [path, replaced]).fetchall()]
                if keep:
                    written.append(without_packages(self._path(path, resource), keep))
                    moved.append((f"{resource}/{written[-1].name}", path))
            touched = {r[1] for r in rows} | {r[1] for r in old}
            self.con.execute("BEGIN TRANSACTION")
            try:
                if replaced:
                    for table in ("files", "provenance"):
                        self.con.execute(f"DELETE FROM {table} WHERE list_contains(?, "
                                         "package_id)", [replaced])
                for new, path in moved:
                    self.con.execute("UPDATE files SET path = ? WHERE path = ?", [new, path])
                self._insert_rows("files", ["package_id", "resource", "path", "columns",
                                            "n_rows"], rows)
                self._insert_rows("provenance", _PROVENANCE_COLUMNS,
                                  [self._provenance_row(p) for p in packages])
                if views:
                    self._refresh_views(touched)
                self.con.execute("COMMIT")
            except Exception:
                self.con.execute("ROLLBACK")
                raise
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        for path, resource in old:
            self._path(path, resource).unlink(missing_ok=True)
        return sorted(touched)

    def refresh_views(self, resources=None) -> None:
        """(Re)define the views of ``resources`` (default all) over the files recorded."""
        self._refresh_views(self._resources() if resources is None else resources)

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

    @staticmethod
    def _provenance_row(pkg) -> list:
        meta = pkg.meta
        period = meta.get("period") or {}
        dosage = meta.get("dosage") or {}
        return [pkg.package_id, pkg.source.name, meta["site"], meta.get("site_name"),
                meta["country"], meta["intervention"], period.get("start"), period.get("end"),
                meta["level"], meta.get("k"), dosage.get("sessions"),
                dosage.get("min_attendance"), dosage.get("makeups_count"),
                meta.get("fidelity_threshold"), str(pkg.descriptor.get("created", "")),
                meta["export_seq"]]

    def _resources(self, package_ids=None) -> list[str]:
        if package_ids is None:
            rows = self.con.execute("SELECT DISTINCT resource FROM files").fetchall()
        else:
            rows = self.con.execute("SELECT DISTINCT resource FROM files WHERE "
                                    "list_contains(?, package_id)", [list(package_ids)]).fetchall()
        return sorted(r[0] for r in rows)

    def _refresh_views(self, resources) -> None:
        """(Re)define each resource's view over exactly the files listed for it (a read-only
        store gets them as temporary views of its own connection: several reports may read
        one store side by side)."""
        temp = "TEMP " if self.read_only else ""
        for name in resources:
            rows = self.con.execute("SELECT path, any_value(columns) FROM files WHERE "
                                    "resource = ? GROUP BY path ORDER BY min(package_id)",
                                    [name]).fetchall()
            if not rows:
                if not self.read_only:
                    self.con.execute(f'DROP VIEW IF EXISTS "{name}"')
                continue
            listed = ", ".join("'" + str(self._path(path, name)).replace("'", "''") + "'"
                               for path, _ in rows)
            # Files with the same columns and types are bound from the first one; only
            # when they differ must DuckDB read every file's schema to line them up by name.
            same = len({c for _, c in rows}) == 1 and rows[0][1] is not None
            self.con.execute(
                f'CREATE OR REPLACE {temp}VIEW "{name}" AS SELECT * FROM read_parquet('
                f"[{listed}], union_by_name = {'false' if same else 'true'})")

    def _path(self, recorded: str, resource: str) -> Path:
        """The data file a ``files`` row of ``resource`` names; refused unless it is one of
        ours, in that table's folder (a store edited by hand must not make a merge delete
        or read anything else, nor a view read another table's rows)."""
        if not _FILE_NAME.fullmatch(recorded or "") or recorded.split("/")[0] != resource:
            raise ImplementereError(f"{self.path} is damaged: it lists a data file outside "
                                    f"{self.data_dir} or in another table's folder")
        return self.data_dir / recorded

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
