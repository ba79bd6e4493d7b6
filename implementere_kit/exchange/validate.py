"""Opening and validating data packages, refusing anything unsafe or inconsistent.

:func:`validate_package` returns every problem found (file, resource, row, column,
expected, found); :func:`open_package` raises a :class:`ValidationError` with them, or
returns a :class:`Package` whose tables are read as Arrow (Parquet) or as text (CSV).
Only JSON, Parquet and CSV are ever parsed: nothing in a package is executed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyarrow as pa

from ..errors import ImplementereError, Problem, ValidationError
from ..store.tables import table_names, table_schema
from .archive import ArchiveLimits, safe_extract
from .package import FOREIGN_KEYS, LEVELS, PACKAGE_SCHEMA_VERSION

__all__ = ["Package", "open_package", "validate_package"]

DEFAULT_LIMITS = ArchiveLimits()


@dataclass
class Package:
    """A validated package on disk (``root`` is a folder; a zip is unpacked to a temp one)."""

    source: Path
    root: Path
    descriptor: dict
    problems: list[Problem] = field(default_factory=list)
    _tmp: Path | None = None

    #: Validated file bytes, kept until the package is stored (see NetworkStore._stage).
    verified: dict = field(default_factory=dict, repr=False)

    @property
    def package_id(self) -> str:
        """sha256 of ``datapackage.json``, which holds every file's sha256: the package's
        checksum as a whole."""
        if not hasattr(self, "_id"):
            self._id = hashlib.sha256((self.root / "datapackage.json").read_bytes()).hexdigest()
        return self._id

    @property
    def meta(self) -> dict:
        return self.descriptor.get("implementere_kit", {})

    @property
    def resources(self) -> dict[str, dict]:
        return {r["name"]: r for r in self.descriptor.get("resources", [])}

    def path_of(self, name: str) -> Path:
        return self.root / self.resources[name]["path"]

    def arrow(self, name: str) -> pa.Table:
        """A resource as an Arrow table (CSV is read with the schema's types)."""
        res = self.resources[name]
        path = self.root / res["path"]
        if res.get("format", "parquet") == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        return pa.Table.from_pandas(self.frame(name), preserve_index=False)

    def frame(self, name: str):
        """A resource as a pandas DataFrame with our column types."""
        res = self.resources[name]
        path = self.root / res["path"]
        if res.get("format", "parquet") == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pandas(date_as_object=False)
        import pandas as pd

        from ..store.tables import validate_table

        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        if name in table_names():
            return validate_table(raw, name, file=f"{self.source.name}/{res['path']}")
        return raw

    def close(self) -> None:
        self.verified.clear()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _load(path: Path, limits: ArchiveLimits) -> tuple[Package | None, list[Problem]]:
    file = path.name
    if not path.exists():
        return None, [Problem("package not found", file=str(path))]
    tmp = None
    if path.is_file():
        tmp = Path(tempfile.mkdtemp(prefix="ik-pkg-"))
        try:
            root = safe_extract(path, tmp, limits)
        except ValidationError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            return None, exc.problems
    else:
        root = path
        links = [p for p in root.rglob("*") if p.is_symlink()]
        if links:
            return None, [Problem("package folder holds a symbolic link", file=file,
                                  column=str(p.relative_to(root)), expected="regular files")
                          for p in links]
    desc_file = root / "datapackage.json"
    try:
        descriptor = json.loads(desc_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems = [Problem("datapackage.json is missing", file=file)]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems = [Problem("datapackage.json is not valid JSON", file=file,
                            found=str(getattr(exc, "msg", exc)))]
    else:
        pkg = Package(source=path, root=root, descriptor=descriptor, _tmp=tmp)
        pkg.package_id  # noqa: B018 - read while the descriptor is on disk
        return pkg, []
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return None, problems


def _check_descriptor(pkg: Package, file: str) -> list[Problem]:
    d, meta = pkg.descriptor, pkg.meta
    problems = []
    if not isinstance(d, dict) or not isinstance(d.get("resources"), list):
        return [Problem("datapackage.json has no list of resources", file=file,
                        column="resources")]
    if not meta:
        return [Problem("datapackage.json lacks the implementere_kit metadata", file=file,
                        column="implementere_kit")]
    version = meta.get("schema_version")
    if not isinstance(version, int) or version < 1:
        problems.append(Problem("unknown package schema version", file=file,
                                column="implementere_kit.schema_version",
                                expected=f"a whole number 1–{PACKAGE_SCHEMA_VERSION}",
                                found=repr(version)))
    elif version > PACKAGE_SCHEMA_VERSION:
        problems.append(Problem("package written by a newer schema version", file=file,
                                column="implementere_kit.schema_version",
                                expected=f"≤ {PACKAGE_SCHEMA_VERSION} (what this toolkit supports)",
                                found=str(version)))
    for key in ("site", "country", "intervention", "level"):
        if not meta.get(key):
            problems.append(Problem("metadata field missing", file=file,
                                    column=f"implementere_kit.{key}"))
    if meta.get("level") and meta["level"] not in LEVELS:
        problems.append(Problem("unknown package level", file=file,
                                column="implementere_kit.level", expected=" or ".join(LEVELS),
                                found=repr(meta["level"])))
    names = [r.get("name") for r in d["resources"]]
    for n in {n for n in names if names.count(n) > 1}:
        problems.append(Problem("resource listed twice", file=file, resource=str(n)))
    return problems


def _check_resource(pkg: Package, res: dict, file: str, today) -> tuple[list[Problem], pa.Table | None]:
    from .arrowcheck import check_arrow_table

    name, rel = res.get("name"), str(res.get("path", ""))
    where = {"file": f"{file}/{rel}", "resource": name}
    pure = PurePosixPath(rel)
    if not rel or pure.is_absolute() or ".." in pure.parts:
        return [Problem("resource path is not inside the package", **where,
                        expected="a relative path")], None
    if name not in table_names():
        return [Problem("unknown resource", **where, expected=", ".join(table_names()))], None
    path = pkg.root / rel
    if not path.is_file() or path.is_symlink():
        return [Problem("resource file is missing", **where)], None
    expected_hash = str(res.get("sha256", ""))
    if len(expected_hash) != 64:
        return [Problem("resource has no sha256 checksum", **where, column="sha256",
                        expected="64 hex digits")], None
    # One read of the file serves both the checksum and the parsing.
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected_hash:
        return [Problem("checksum mismatch: the file changed after export", **where,
                        column="sha256", expected=expected_hash[:12] + "…")], None
    fmt = res.get("format", "parquet")
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            from .arrowcheck import constrained_columns

            # Decode only the columns a rule reads; the rest are checked by their type.
            parquet = pq.ParquetFile(pa.BufferReader(data))
            file_schema = parquet.schema_arrow
            wanted = constrained_columns(table_schema(name), today)
            table = parquet.read(columns=[c for c in file_schema.names if c in wanted])
        elif fmt == "csv":
            table = pa.Table.from_pandas(pkg.frame(name), preserve_index=False)
            file_schema = table.schema
        else:
            return [Problem("unknown resource format", **where, column="format",
                            expected="parquet or csv", found=repr(fmt))], None
    except ValidationError as exc:
        return exc.problems, None
    except (pa.ArrowException, OSError, ValueError) as exc:
        return [Problem("resource cannot be read", **where, found=type(exc).__name__)], None
    problems = check_arrow_table(table, table_schema(name), file=where["file"], today=today,
                                 file_schema=file_schema)
    if not problems and fmt == "parquet":
        pkg.verified[name] = data  # the exact bytes checked: storing them needs no re-read
    return problems, table


def validate_package(path, *, today: dt.date | None = None,
                     limits: ArchiveLimits = DEFAULT_LIMITS) -> list[Problem]:
    """Every problem of a package (empty list when it is valid)."""
    pkg, problems = _load(Path(path), limits)
    if pkg is None:
        return problems
    with pkg:
        return _validate_open(pkg, today or dt.date.today())


def _validate_open(pkg: Package, today) -> list[Problem]:
    file = pkg.source.name
    problems = _check_descriptor(pkg, file)
    if problems:
        return problems
    tables = {}
    for res in pkg.descriptor["resources"]:
        found, table = _check_resource(pkg, res, file, today)
        problems += found
        if table is not None:
            tables[res["name"]] = table
    from .arrowcheck import check_foreign_key

    for child, col, parent, pcol in FOREIGN_KEYS:
        if child in tables and parent in tables:
            problems += check_foreign_key(tables[child], col, tables[parent], pcol,
                                          file=f"{file}/{pkg.resources[child]['path']}",
                                          name=child, parent_name=parent)
    return problems


def open_package(path, *, today: dt.date | None = None,
                 limits: ArchiveLimits = DEFAULT_LIMITS) -> Package:
    """Open and validate a package; raise :class:`ValidationError` listing every problem.

    Use as a context manager so a zip's temporary folder is removed afterwards.
    """
    pkg, problems = _load(Path(path), limits)
    if pkg is None:
        raise ValidationError(problems)
    try:
        problems = _validate_open(pkg, today or dt.date.today())
    except ImplementereError:
        pkg.close()
        raise
    if problems:
        pkg.close()
        raise ValidationError(problems)
    return pkg
