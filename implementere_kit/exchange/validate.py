"""Opening and validating data packages, refusing anything unsafe or inconsistent.

:func:`validate_package` returns every problem found (file, resource, row, column,
expected, found); :func:`open_package` raises a :class:`ValidationError` with them, or
returns a :class:`Package` whose tables are read as Arrow (Parquet) or as text (CSV).
Only JSON, Parquet and CSV are ever parsed: nothing in a package is executed.

In order: the archive or folder (:mod:`.archive`: no special files, no bombs), the
descriptor (:mod:`.descriptor`: size and depth before parsing, then every field), the
files (exactly the declared ones), each resource (checksum, rows from the Parquet
metadata before decoding, duplicate column names, columns as declared, the table
schema), foreign keys, the data against the descriptor and the allow-list
(:mod:`.intake`), and the identifier scanner on the tables and on all metadata. A
temporary folder made for a zip is removed on every path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..errors import Problem, ValidationError
from .allowlist import FOREIGN_KEYS
from .archive import ArchiveLimits, list_folder, read_regular, safe_extract

__all__ = ["Package", "open_package", "validate_package", "scan_packages", "read_csv",
           "DEFAULT_LIMITS"]

DEFAULT_LIMITS = ArchiveLimits()


@dataclass
class Package:
    """A validated package on disk (``root`` is a folder; a zip is unpacked to a temp one)."""

    source: Path
    root: Path
    descriptor: dict
    problems: list[Problem] = field(default_factory=list)
    _tmp: Path | None = None
    #: The tables as read and checked, kept until the package is stored (the network
    #: store writes these, never the files' bytes; see :mod:`.storefiles`).
    tables: dict = field(default_factory=dict, repr=False)
    #: What the identifier scanner is to read (see :func:`scan_packages`).
    scan_input: tuple | None = field(default=None, repr=False)
    files: list[str] = field(default_factory=list, repr=False)

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

    @property
    def level(self) -> str:
        """The allow-list level: ``pseudonymised``, ``aggregate`` or ``share_back``."""
        return "share_back" if self.meta.get("share_back") else self.meta.get("level")

    def arrow(self, name: str) -> pa.Table:
        """A resource as an Arrow table (CSV is read with the schema's types)."""
        res = self.resources[name]
        path = self.root / res["path"]
        if res.get("format", "parquet") == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        table, problems = read_csv(path.read_bytes(), name, self.level,
                                   file=f"{self.source.name}/{res['path']}")
        if problems:
            raise ValidationError(problems)
        return table

    def frame(self, name: str):
        """A resource as a pandas DataFrame with our column types."""
        return self.arrow(name).to_pandas(date_as_object=False)

    def close(self) -> None:
        self.tables = {}
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
                "boolean": pa.bool_(), "date": pa.date32()}


def read_csv(data: bytes, name: str, level: str, *, file: str) -> tuple[pa.Table | None,
                                                                      list[Problem]]:
    """A CSV resource as an Arrow table with the types its table's schema gives.

    Every value is read as text first and each column then converted, so a value that does
    not convert is reported by column (never echoed: it could be an identifier).
    """
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    from .allowlist import level_schema

    types = {f["name"]: f["type"] for f in level_schema(name, level).fields}
    try:
        text = pcsv.read_csv(pa.BufferReader(data), convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(types, pa.string()), strings_can_be_null=True,
            null_values=[""]), read_options=pcsv.ReadOptions(use_threads=False))
    except (pa.ArrowException, ValueError) as exc:
        return None, [Problem("resource cannot be read as CSV", file=file, resource=name,
                              found=type(exc).__name__)]
    columns, problems = [], []
    for c in text.column_names:
        col, typ = text.column(c), types.get(c, "string")
        try:
            if typ == "date":
                col = pc.strptime(col, format="%Y-%m-%d", unit="s").cast(pa.date32())
            elif typ == "boolean":
                col = pc.utf8_lower(col).cast(pa.bool_())
            else:
                col = col.cast(_ARROW_TYPES[typ])
        except (pa.ArrowException, ValueError):
            problems.append(Problem("wrong type", file=file, resource=name, column=c,
                                    expected=typ))
        columns.append(col)
    return pa.table(dict(zip(text.column_names, columns, strict=True))), problems


def _load(path: Path, limits: ArchiveLimits) -> tuple[Package | None, list[Problem]]:
    """Unpack (zip) or list (folder) a package and read its descriptor; never raises for a
    bad package, and leaves no temporary folder behind when it fails."""
    from .descriptor import read_descriptor

    file = path.name
    try:
        st = os.stat(path)  # a link given on the command line is followed once, here
    except OSError:
        return None, [Problem("package not found", file=str(path))]
    tmp = None
    try:
        if stat.S_ISREG(st.st_mode):
            tmp = Path(tempfile.mkdtemp(prefix="ik-pkg-"))
            root = safe_extract(path, tmp, limits)
        elif stat.S_ISDIR(st.st_mode):
            root = path
        else:
            return None, [Problem("package is neither a zip file nor a folder", file=file)]
        files = list_folder(root, limits)
        descriptor, problems = read_descriptor(root / "datapackage.json", file)
        if problems:
            raise ValidationError(problems)
        pkg = Package(source=path, root=root, descriptor=descriptor, _tmp=tmp, files=files)
        pkg.package_id  # noqa: B018 - read while the descriptor is on disk
        tmp = None  # the package owns it now
        return pkg, []
    except ValidationError as exc:
        return None, exc.problems
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _read_resource(pkg: Package, res: dict, file: str, limits: ArchiveLimits,
                   metadata: dict) -> tuple[list[Problem], pa.Table | None]:
    """Read one declared resource, checking what can be checked before decoding it."""
    name, rel = res["name"], res["path"]
    where = {"file": f"{file}/{rel}", "resource": name}
    try:
        data = read_regular(pkg.root / rel, limits.max_total_bytes)
    except ValidationError as exc:
        return [Problem(exc.problems[0].message, **where)], None
    if hashlib.sha256(data).hexdigest() != res["sha256"]:
        return [Problem("checksum mismatch: the file changed after export", **where,
                        column="sha256", expected=res["sha256"][:12] + "…")], None
    declared = [f["name"] for f in res["schema"]["fields"]]
    try:
        if res["format"] == "parquet":
            import pyarrow.parquet as pq

            # text as dictionaries: cheaper to decode, and every check works on the
            # distinct values anyway (store/_text.py)
            text = [f["name"] for f in res["schema"]["fields"] if f.get("type") == "string"]
            parquet = pq.ParquetFile(pa.BufferReader(data), read_dictionary=text)
            n_rows = parquet.metadata.num_rows
            arrow_schema = parquet.schema_arrow  # a new object on every access: read once
            names = arrow_schema.names
            # the file's key-value metadata and each field's (the latter travels inside
            # ARROW:schema, base64 that no scanner reads as text): the store keeps neither,
            # but a package that carries an identifier there is refused all the same
            metadata[rel] = {_utf8(k): _utf8(v) for k, v in
                             (arrow_schema.metadata or {}).items()}
            metadata[rel].update({f"{f.name}: {_utf8(k)}": _utf8(v)
                                  for f in arrow_schema for k, v in
                                  (f.metadata or {}).items()})
        else:
            n_rows, names = data.count(b"\n"), None
        if n_rows > limits.max_rows:
            return [Problem("resource has more rows than the limit", **where,
                            expected=f"≤ {limits.max_rows} rows", found=f"{n_rows} rows")], None
        if names is not None and len(set(names)) != len(names):
            return [Problem("resource has two columns of one name", **where,
                            expected="unique column names")], None
        if names is not None and names != declared:
            return [Problem("resource columns differ from its schema in datapackage.json",
                            **where, expected=", ".join(declared)[:200])], None
        if res["format"] == "parquet":
            table = parquet.read(use_threads=False)  # packages are read side by side
        else:
            table, problems = read_csv(data, name, pkg.level, file=where["file"])
            if problems:
                return problems, None
            if table.column_names != declared:
                return [Problem("resource columns differ from its schema in datapackage.json",
                                **where, expected=", ".join(declared)[:200])], None
    except ValidationError as exc:
        return exc.problems, None
    except (pa.ArrowException, OSError, ValueError, KeyError, IndexError) as exc:
        return [Problem("resource cannot be read", **where, found=type(exc).__name__)], None
    return [], table


def _utf8(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _validate_open(pkg: Package, today: dt.date, now: dt.datetime,
                   limits: ArchiveLimits, *, scan: bool = True,
                   keep: bool = False) -> list[Problem]:
    """Every problem of an opened package. With ``scan=False`` the identifier scanner is
    left to the caller (:func:`scan_packages`, which scans many packages at once); with
    ``keep=True`` the checked tables stay in ``pkg.tables``."""
    from .allowlist import level_schema
    from .arrowcheck import check_arrow_table, check_foreign_key
    from .descriptor import check_descriptor
    from .intake import check_contents, unfixed_values

    file = pkg.source.name
    problems = check_descriptor(pkg.descriptor, file, now=now)
    if problems:
        return problems
    declared = {"datapackage.json", *(r["path"] for r in pkg.descriptor["resources"])}
    problems += [Problem("file not declared in datapackage.json", file=file, column=n[:120],
                         expected="only the declared resources") for n in pkg.files
                 if n not in declared]
    problems += [Problem("resource file is missing", file=file, resource=r["name"],
                         column=r["path"]) for r in pkg.descriptor["resources"]
                 if r["path"] not in pkg.files]
    if problems:
        return problems
    level = pkg.level
    # Each resource schema was just checked equal to the allow-listed schema tables.yaml
    # gives (our own constants, scanned by the tests): the scanner reads the rest.
    scanned = {**pkg.descriptor, "resources": [{k: v for k, v in r.items() if k != "schema"}
                                               for r in pkg.descriptor["resources"]]}
    tables, metadata = {}, {"datapackage.json": scanned}
    for res in pkg.descriptor["resources"]:
        found, table = _read_resource(pkg, res, file, limits, metadata)
        if table is not None:
            found += check_arrow_table(table, level_schema(res["name"], level),
                                       file=f"{file}/{res['path']}", today=today)
            tables[res["name"]] = table
        problems += found
    for child, col, parent, pcol in FOREIGN_KEYS:
        if child in tables and parent in tables:
            problems += check_foreign_key(tables[child], col, tables[parent], pcol,
                                          file=f"{file}/{pkg.resources[child]['path']}",
                                          name=child, parent_name=parent)
    caches: dict[str, dict] = {}
    problems += check_contents(pkg.meta, tables, file=file, caches=caches)
    pkg.scan_input = (unfixed_values(tables, level, caches), metadata)
    if scan:
        problems += scan_packages([pkg])[0]
    if keep and not problems:
        pkg.tables = tables
    return problems


def scan_packages(packages: list[Package]) -> list[list[Problem]]:
    """The identifier scanner on opened packages: their tables' values not pinned down by
    their forms (:func:`.intake.unfixed_values`) and all their metadata — the descriptor
    and each Parquet file's key-value metadata, keys included.

    Many packages are scanned in one call; only when something is found is each scanned
    on its own to say where. Returns one list of problems per package.
    """
    from .descriptor import scan_metadata
    from .intake import find_in_values, honour_exceptions, scan_problems

    inputs = [getattr(p, "scan_input", None) or ({}, {}) for p in packages]
    groups = {(i, *key): v for i, (values, _) in enumerate(inputs) for key, v in values.items()}
    found: list[list[tuple]] = [[] for _ in packages]
    for (i, name, column), kind in find_in_values(groups):
        found[i].append(((name, column), kind))
    out = [scan_problems(honour_exceptions(f, p.meta), p.source.name)
           for f, p in zip(found, packages, strict=True)]
    # all metadata at once; only when something (or a limit) is hit, each package alone
    if scan_metadata({str(i): meta for i, (_, meta) in enumerate(inputs)}, "packages"):
        for i, (_, meta) in enumerate(inputs):
            out[i] += scan_metadata(meta, packages[i].source.name)
    return out


def _clock(today: dt.date | None, now: dt.datetime | None) -> tuple[dt.date, dt.datetime]:
    if now is None:
        now = (dt.datetime.combine(today, dt.time.max, tzinfo=dt.UTC) if today is not None
               else dt.datetime.now(dt.UTC))
    return (today or now.date()), now


def validate_package(path, *, today: dt.date | None = None, now: dt.datetime | None = None,
                     limits: ArchiveLimits = DEFAULT_LIMITS) -> list[Problem]:
    """Every problem of a package (empty list when it is valid).

    ``today`` is the last day data may be dated; ``now`` the latest ``created`` accepted
    (plus a small clock skew). Both default to the machine's clock.
    """
    pkg, problems = _load(Path(path), limits)
    if pkg is None:
        return problems
    with pkg:
        return _validate_open(pkg, *_clock(today, now), limits)


def open_package(path, *, today: dt.date | None = None, now: dt.datetime | None = None,
                 limits: ArchiveLimits = DEFAULT_LIMITS, _scan: bool = True,
                 _keep: bool = False) -> Package:
    """Open and validate a package; raise :class:`ValidationError` listing every problem.

    Use as a context manager so a zip's temporary folder is removed afterwards.
    (``_scan=False`` is for :mod:`.merge`, which scans a batch with :func:`scan_packages`;
    ``_keep=True`` keeps the checked tables for the store, until :meth:`Package.close`.)
    """
    pkg, problems = _load(Path(path), limits)
    if pkg is None:
        raise ValidationError(problems)
    try:
        problems = _validate_open(pkg, *_clock(today, now), limits, scan=_scan, keep=_keep)
    except BaseException:
        pkg.close()
        raise
    if problems:
        pkg.close()
        raise ValidationError(problems)
    return pkg
