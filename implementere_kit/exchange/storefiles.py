"""The network store's data files: one Parquet file per table and batch of packages.

A merge writes the tables validation read and checked, not the bytes a package arrived
with. Whatever else a Parquet file can carry — key-value and field metadata, column
statistics, dictionary entries no row uses, bytes no offset points to — is never looked
at by the checks, so it must not reach the store either: here it cannot, because the
file is written anew from the checked values. Each column is kept in the type its table
schema gives (:data:`STORED_TYPES`), so files from many packages line up.

One file holds the rows of a whole batch of packages, told apart by the ``_package``
column (the package's checksum, dictionary-encoded: a few bytes per file, not per row).
Fewer files matter more than it seems: creating a file costs far more than writing its
bytes on many file systems (a virus scanner on Windows; ext4's scan past recently freed
inodes on Linux), and a batch of 64 packages of five tables is five files, not 320.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store._text import is_text, text_of
from ..store.tables import TableSchema

__all__ = ["STORED_TYPES", "PACKAGE_COLUMN", "stored_table", "signature", "write_batch",
           "without_packages"]

#: The Arrow type the store keeps for each schema type.
STORED_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
                "boolean": pa.bool_(), "date": pa.date32()}
#: The column that names the package a row came from (its checksum).
PACKAGE_COLUMN = "_package"
_COMPRESSION = "snappy"  # the fastest to write and read that every Parquet reader knows
_ROW_GROUP = 1 << 20  # rows: DuckDB reads a file's row groups on as many threads


def _used_dictionary(table: pa.Table, name: str) -> pa.DictionaryArray:
    """A text column as a dictionary of exactly the distinct values its rows hold, each
    once — the values and codes the checks worked on (:mod:`..store._text`), so nothing
    is hashed again, and a dictionary entry no row uses is left behind."""
    text = text_of(table, name)
    codes = text.codes()
    indices = pa.array(codes.astype(np.int32), mask=codes < 0 if text.nulls else None)
    return pa.DictionaryArray.from_arrays(indices, text.values.cast(pa.string()))


def stored_table(table: pa.Table, schema: TableSchema) -> pa.Table:
    """A checked table in the types the store keeps, columns in the schema's order.

    Text becomes a dictionary of the distinct values rows hold (nothing else: an unused
    or repeated entry of the arriving dictionary is not carried over); a timezone-aware
    time is read as wall-clock time, as everywhere else, and a date keeps its day.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from implementere_kit.exchange.allowlist import level_schema
    >>> t = pa.table({"participant_id": ["p_0a", "p_0a"],
    ...               "session_no": pa.array([1, 2], pa.int32())})
    >>> stored = stored_table(t, level_schema("attendance", "pseudonymised"))
    >>> stored.schema.types
    [DictionaryType(dictionary<values=string, indices=int32, ordered=0>), DataType(int64)]
    >>> stored.column("participant_id").chunk(0).dictionary.to_pylist()
    ['p_0a']
    """
    names, columns = [], []
    for field in schema.fields:
        name = field["name"]
        if name not in table.column_names:
            continue
        col, target = table.column(name), STORED_TYPES[field["type"]]
        if field["type"] == "string" and is_text(col.type):
            col = _used_dictionary(table, name)
            target = col.type
        if pa.types.is_timestamp(col.type):
            if col.type.tz:
                col = pc.local_timestamp(col)
            col = pc.floor_temporal(col, unit="day")  # the day, not an error for the time
        if col.type != target:
            col = col.cast(target)
        names.append(name)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=pa.schema(
        [pa.field(n, c.type) for n, c in zip(names, columns, strict=True)]))


def signature(table: pa.Table) -> str:
    """The columns and types of a stored table, as the store records them (text is text,
    dictionary-encoded or not: the two are one type in a Parquet file)."""
    return "\t".join(f"{f.name}:{_plain(f.type)}" for f in table.schema
                     if f.name != PACKAGE_COLUMN)


def _plain(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def _with_packages(tables: list[pa.Table], package_ids: list[str]) -> pa.Table:
    """``tables`` (one set of columns) as one table, with the package of each row."""
    codes = np.repeat(np.arange(len(tables), dtype=np.int32), [t.num_rows for t in tables])
    package = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()),
                                             pa.array(package_ids, pa.string()))
    schema = tables[0].schema
    data = pa.concat_tables([t if t.schema == schema else t.cast(schema) for t in tables])
    return data.append_column(PACKAGE_COLUMN, package)


def _write(table: pa.Table, folder: Path) -> Path:
    """Write ``table`` under a new name in ``folder``, whole or not at all."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.parquet"
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        # One call for the whole batch: the writer then runs without the GIL from start
        # to end (a call per package waited for the validating threads at every call).
        # Statistics only for the package column: min and max of every text column cost
        # more than the rest of the writing, and no query filters a table by its range.
        pq.write_table(table, tmp, compression=_COMPRESSION, row_group_size=_ROW_GROUP,
                       write_statistics=[PACKAGE_COLUMN])
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_batch(folder: Path, items: list[tuple[str, pa.Table]]
                ) -> list[tuple[Path, str, list[tuple[str, int]]]]:
    """Write the stored tables of many packages (``(package_id, table)``) into ``folder``:
    one file per set of columns (almost always one).

    Returns ``(path, signature, [(package_id, rows), ...])`` per file written. If writing
    fails, the files already written are removed and the error is raised.
    """
    groups: dict[str, list[tuple[str, pa.Table]]] = {}
    for pid, table in items:
        groups.setdefault(signature(table), []).append((pid, table))
    out: list[tuple[Path, str, list[tuple[str, int]]]] = []
    try:
        for sig, group in groups.items():
            table = _with_packages([t for _, t in group], [pid for pid, _ in group])
            out.append((_write(table, folder), sig, [(pid, t.num_rows) for pid, t in group]))
    except BaseException:
        for path, _, _ in out:
            path.unlink(missing_ok=True)
        raise
    return out


def without_packages(path: Path, keep: list[str]) -> Path:
    """A new file beside ``path`` holding only the rows of the packages in ``keep``."""
    import pyarrow.parquet as pq

    table = pq.read_table(path).replace_schema_metadata(None)
    package = table.column(PACKAGE_COLUMN).cast(pa.string())
    data = table.drop_columns([PACKAGE_COLUMN])
    parts = []
    for pid in keep:
        part = data.filter(pc.equal(package, pid))
        # a filtered dictionary keeps every entry: keep only those the kept rows use, so
        # no value of a removed package stays behind in the new file
        for i, name in enumerate(part.column_names):
            if pa.types.is_dictionary(part.schema.field(name).type):
                part = part.set_column(i, name, _used_dictionary(part, name))
        parts.append(part)
    return _write(_with_packages(parts, keep), path.parent)
