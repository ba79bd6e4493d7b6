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
inodes on Linux), and a batch of 128 packages of five tables is five files, not 640.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.tables import TableSchema

__all__ = ["STORED_TYPES", "PACKAGE_COLUMN", "stored_table", "signature", "write_batch",
           "without_packages"]

#: The Arrow type the store keeps for each schema type.
STORED_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
                "boolean": pa.bool_(), "date": pa.date32()}
#: The column that names the package a row came from (its checksum).
PACKAGE_COLUMN = "_package"
_COMPRESSION = "snappy"  # the fastest to write and read that every Parquet reader knows


def _compact(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary text column whose dictionaries hold exactly the values its rows use,
    each once (as Parquet's reader gives them); any other one decoded to plain text, so
    the writer builds its dictionary from the rows alone."""
    chunks = []
    for chunk in col.chunks:
        values, indices = chunk.dictionary, chunk.indices
        used = pc.unique(indices.drop_null())
        if (len(used) != len(values) or values.null_count
                or len(pc.unique(values)) != len(values)):
            return col.cast(col.type.value_type).cast(pa.string())
        chunks.append(pa.DictionaryArray.from_arrays(indices.cast(pa.int32()),
                                                     values.cast(pa.string())))
    return pa.chunked_array(chunks, pa.dictionary(pa.int32(), pa.string()))


def stored_table(table: pa.Table, schema: TableSchema) -> pa.Table:
    """A checked table in the types the store keeps, columns in the schema's order.

    Text stays dictionary-encoded when each dictionary holds just the values rows use
    (else it is decoded: the file's dictionary is built from the rows, nothing else); a
    timezone-aware time is read as wall-clock time, as everywhere else, and a date keeps
    its day. A table already in these types is returned as it is.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from implementere_kit.exchange.allowlist import level_schema
    >>> t = pa.table({"participant_id": ["p_0a", "p_0a"],
    ...               "session_no": pa.array([1, 2], pa.int32())})
    >>> stored_table(t, level_schema("attendance", "pseudonymised")).schema.types
    [DataType(string), DataType(int64)]
    """
    names, columns = [], []
    for field in schema.fields:
        name = field["name"]
        if name not in table.column_names:
            continue
        col, target = table.column(name), STORED_TYPES[field["type"]]
        if pa.types.is_dictionary(col.type):
            col = _compact(col)
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


def _package_column(package_id: str, n: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)),
                                          pa.array([package_id], pa.string()))


def _write(tables: list[pa.Table], folder: Path) -> Path:
    """Write ``tables`` (one set of columns) as one file under a new name in ``folder``,
    a row group each, whole or not at all."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.parquet"
    tmp = target.with_name(f".{target.name}.tmp")
    schema = tables[0].schema
    try:
        # Statistics only for the package column (a reader skips other packages' row
        # groups by them); min and max of every text column cost more than the rest of
        # the writing, and no query here filters a table by a range of its values.
        with pq.ParquetWriter(tmp, schema, compression=_COMPRESSION,
                              write_statistics=[PACKAGE_COLUMN]) as writer:
            for table in tables:
                # a dictionary column is written as its dictionary and indices, no hashing
                # of the text again (a row group has a dictionary of its own)
                writer.write_table(table if table.schema == schema else table.cast(schema),
                                   row_group_size=max(table.num_rows, 1))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_batch(folder: Path, items: list[tuple[str, pa.Table]]
                ) -> list[tuple[Path, str, list[tuple[str, int]]]]:
    """Write the stored tables of many packages (``(package_id, table)``) into ``folder``:
    one file per set of columns (almost always one), a row group per package.

    Returns ``(path, signature, [(package_id, rows), ...])`` per file written. If writing
    fails, the files already written are removed and the error is raised.
    """
    groups: dict[str, list[tuple[str, pa.Table]]] = {}
    for pid, table in items:
        groups.setdefault(signature(table), []).append((pid, table))
    out: list[tuple[Path, str, list[tuple[str, int]]]] = []
    try:
        for sig, group in groups.items():
            tables = [t.append_column(PACKAGE_COLUMN, _package_column(pid, t.num_rows))
                      for pid, t in group]
            out.append((_write(tables, folder), sig, [(pid, t.num_rows) for pid, t in group]))
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
    i = table.column_names.index(PACKAGE_COLUMN)
    parts = []
    for pid in keep:
        part = table.filter(pc.equal(package, pid))
        parts.append(part.set_column(i, PACKAGE_COLUMN, _package_column(pid, part.num_rows)))
    return _write(parts, path.parent)
