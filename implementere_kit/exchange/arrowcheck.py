"""Vectorised validation of Arrow tables against our table schemas.

Parquet files carry their types, so a package table is checked column by column with
``pyarrow.compute`` — type, required values, enums, ranges, dates in the future, primary
and foreign keys — without converting to pandas or looping over rows. Row numbers are
looked up only for the columns that fail, so a clean table costs a few kernel passes.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem, safe_value
from ..store.tables import MAX_ROWS_LISTED, TableSchema

__all__ = ["check_arrow_table", "check_foreign_key"]

_TYPE_OK = {
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)
    or pa.types.is_dictionary(t) or pa.types.is_null(t),
    "integer": lambda t: pa.types.is_integer(t) or pa.types.is_null(t),
    "number": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t),
    "boolean": lambda t: pa.types.is_boolean(t) or pa.types.is_null(t),
    "date": lambda t: pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_null(t),
}


def _rows(mask: pa.ChunkedArray | pa.Array, col: pa.ChunkedArray, message: str, *, file, name,
          column, expected) -> list[Problem]:
    """Problems for the rows where ``mask`` is true (capped, with a count of the rest)."""
    mask = pc.fill_null(mask, False)
    n = pc.sum(mask).as_py() or 0
    if not n:
        return []
    idx = pc.indices_nonzero(mask if isinstance(mask, pa.Array) else mask.combine_chunks())
    out = [Problem(message, file=file, resource=name, row=int(i) + 1, column=column,
                   expected=expected, found=safe_value(col[int(i)].as_py()))
           for i in idx[:MAX_ROWS_LISTED].to_pylist()]
    if n > MAX_ROWS_LISTED:
        out.append(Problem(f"{message} in {n - MAX_ROWS_LISTED} more rows", file=file,
                           resource=name, column=column, expected=expected))
    return out


def constrained_columns(schema: TableSchema, today: dt.date | None = None) -> set[str]:
    """Columns whose values a check reads; the others are checked by their type alone."""
    from .package import FOREIGN_KEYS

    out = set(schema.primary_key)
    out |= {c for child, c, _, _ in FOREIGN_KEYS if child == schema.name}
    out |= {pc_ for _, _, parent, pc_ in FOREIGN_KEYS if parent == schema.name}
    for f in schema.fields:
        if (f.get("required") or "enum" in f or "minimum" in f or "maximum" in f
                or (f["type"] == "date" and today is not None and not f.get("future_ok"))):
            out.add(f["name"])
    return out


def check_arrow_table(table: pa.Table, schema: TableSchema, *, file: str,
                      today: dt.date | None = None, allow_extra: bool = False,
                      file_schema: pa.Schema | None = None) -> list[Problem]:
    """Every problem of ``table`` against ``schema``, found with vectorised kernels.

    ``file_schema`` is the schema of the whole file when ``table`` holds only the columns
    listed by :func:`constrained_columns`: names and types are then checked from it, and
    values only where a rule reads them.
    """
    name = schema.name
    problems: list[Problem] = []
    whole = file_schema if file_schema is not None else table.schema
    present = set(whole.names)
    loaded = set(table.column_names)
    for f in schema.fields:
        if f.get("required") and f["name"] not in present:
            problems.append(Problem("required field missing", file=file, resource=name,
                                    column=f["name"], expected=f"fields {', '.join(schema.columns)}"))
    if not allow_extra:
        for c in whole.names:
            if c not in schema.columns:
                problems.append(Problem("field not in the schema", file=file, resource=name,
                                        column=c, expected=f"only {', '.join(schema.columns)}"))
    for f in schema.fields:
        c, typ = f["name"], f["type"]
        if c not in present:
            continue
        if not _TYPE_OK[typ](whole.field(c).type):
            problems.append(Problem("wrong type", file=file, resource=name, column=c,
                                    expected=typ, found=str(whole.field(c).type)))
            continue
        if c not in loaded:
            continue
        col = table.column(c)
        kw = {"file": file, "name": name, "column": c}
        if f.get("required") and col.null_count:
            problems += _rows(pc.is_null(col), col, "required value missing", expected="a value",
                              **kw)
        if "enum" in f:
            allowed = pa.array([str(v) for v in f["enum"]])
            values = col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col
            off = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=allowed)))
            problems += _rows(off, col,
                              "value not allowed", expected="one of " + ", ".join(f["enum"]), **kw)
        if "minimum" in f and col.null_count < len(col):
            problems += _rows(pc.less(col, f["minimum"]), col, "value below minimum",
                              expected=f"≥ {f['minimum']}", **kw)
        if "maximum" in f and col.null_count < len(col):
            problems += _rows(pc.greater(col, f["maximum"]), col, "value above maximum",
                              expected=f"≤ {f['maximum']}", **kw)
        if (typ == "date" and today is not None and not f.get("future_ok")
                and col.null_count < len(col)):
            limit = pa.scalar(dt.datetime.combine(today, dt.time.max), type=pa.timestamp("us"))
            values = col.cast(pa.timestamp("us")) if not pa.types.is_timestamp(col.type) else \
                col.cast(pa.timestamp("us", tz=col.type.tz) if col.type.tz else pa.timestamp("us"))
            problems += _rows(pc.greater(values, limit), col, "date in the future",
                              expected=f"on or before {today}", **kw)
    key = [k for k in schema.primary_key if k in loaded]
    if key and len(key) == len(schema.primary_key) and table.num_rows:
        problems += _duplicate_keys(table, key, file=file, name=name)
    return problems


def _key_codes(table: pa.Table, key: list[str]):
    """One int64 code per row that is equal exactly when the key columns are.

    Each key column is dictionary-encoded (one hash pass) and the codes are combined
    positionally; a missing value gets a code of its own. ``None`` when the combined
    range would not fit in 63 bits.
    """
    import numpy as np

    code = np.zeros(table.num_rows, dtype=np.int64)
    span = 1
    for k in key:
        enc = pc.dictionary_encode(table.column(k).combine_chunks())
        size = len(enc.dictionary) + 1
        span *= size
        if span >= 2**62:
            return None
        idx = enc.indices.fill_null(size - 1).to_numpy(zero_copy_only=False)
        code = code * size + idx.astype(np.int64)
    return code


def _duplicate_keys(table: pa.Table, key: list[str], *, file, name) -> list[Problem]:
    import numpy as np
    import pandas as pd

    code = _key_codes(table, key)
    if code is not None:
        dup = pd.Series(code).duplicated(keep="first").to_numpy()
    else:  # very wide keys: Arrow's hash aggregation finds each key's first row
        marked = table.select(key).append_column("_i", pa.array(np.arange(table.num_rows)))
        first = marked.group_by(key).aggregate([("_i", "min")])["_i_min"].to_numpy()
        dup = ~np.isin(np.arange(table.num_rows), first)
    rows = np.flatnonzero(dup)
    shown = table.select(key).take(pa.array(rows[:MAX_ROWS_LISTED])).to_pylist()
    out = [Problem("duplicate primary key", file=file, resource=name, row=int(i) + 1,
                   column="+".join(key), expected="unique",
                   found=safe_value("|".join(str(r[k]) for k in key)))
           for i, r in zip(rows, shown, strict=False)]
    if len(rows) > MAX_ROWS_LISTED:
        out.append(Problem(f"duplicate primary key in {len(rows) - MAX_ROWS_LISTED} more rows",
                           file=file, resource=name, column="+".join(key), expected="unique"))
    return out


def check_foreign_key(child: pa.Table, column: str, parent: pa.Table, parent_column: str, *,
                      file: str, name: str, parent_name: str) -> list[Problem]:
    """Rows of ``child`` whose ``column`` value is absent from ``parent[parent_column]``."""
    if column not in child.column_names or parent_column not in parent.column_names:
        return []
    col = child.column(column)
    keys = pc.unique(parent.column(parent_column).combine_chunks())
    dangling = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=keys)))
    return _rows(dangling, col, f"refers to a missing {parent_name}.{parent_column}",
                 expected=f"a value present in {parent_name}", file=file, name=name,
                 column=column)
