"""The rules of the table schemas, checked once, on Arrow data (private).

Every rule ``schemas/tables.yaml`` can state — a field's type, ``required``, ``enum``,
``minimum``, ``maximum``, no date after ``today`` unless ``future_ok``, the table's
``primary_key`` — is one vectorised ``pyarrow.compute`` expression here, and nowhere else.
Both faces of validation use it: :func:`~implementere_kit.store.tables.validate_table`
parses a pandas frame's text into typed columns and hands them over as Arrow (no copy for
the column types we use), and a Parquet file — a project table or a package resource —
is checked as it was read. Keys of a field this module does not know (``description``,
an export allow-list) are ignored.

A clean table costs a few kernel passes per constrained column; row numbers (1-based) and
found values are looked up only for the rows that fail, through
:func:`~implementere_kit.store.tables.row_problems`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem
from ._schema import TableSchema, as_py, row_problems
from ._text import Text, blank_text, is_text, text_of

__all__ = ["DTYPES", "type_ok", "blank_as_null", "check_table", "duplicate_rows", "to_frame"]

_TYPE_OK = {
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)
    or (pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type)
                                       or pa.types.is_large_string(t.value_type))),
    "integer": pa.types.is_integer,
    # not float16: Arrow computes nothing on it (no min, no sum), and the store keeps float64
    "number": lambda t: pa.types.is_integer(t) or (pa.types.is_floating(t)
                                                   and not pa.types.is_float16(t)),
    "boolean": pa.types.is_boolean,
    "date": lambda t: pa.types.is_timestamp(t) or pa.types.is_date(t),
}
#: What each schema type is in a typed pandas frame, whichever way the frame was made.
DTYPES = {"string": pd.StringDtype("pyarrow"), "integer": pd.Int64Dtype(),
          "number": np.dtype("float64"), "boolean": pd.BooleanDtype(),
          "date": np.dtype("datetime64[ns]")}
# ... and in Arrow, on the way to those dtypes.
_ARROW = {"string": pa.large_string(), "integer": pa.int64(), "number": pa.float64(),
          "boolean": pa.bool_(), "date": pa.timestamp("ns")}
_PANDAS = {pa.large_string(): DTYPES["string"], pa.string(): DTYPES["string"],
           pa.int64(): DTYPES["integer"], pa.bool_(): DTYPES["boolean"]}


def type_ok(field_type: str, arrow_type: pa.DataType) -> bool:
    """Whether an Arrow column of ``arrow_type`` holds values of schema type ``field_type``.

    A column of nulls only (Arrow type ``null``) fits every type.
    """
    return pa.types.is_null(arrow_type) or _TYPE_OK[field_type](arrow_type)


def blank_as_null(col: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text that is empty or only whitespace as missing (other types pass unchanged)."""
    if not is_text(col.type) or col.null_count == len(col):
        return col
    if pa.types.is_dictionary(col.type):
        text = Text(col)
        blank = text.rows(blank_text(text.values))
    else:  # a column parsed from text: the rule row by row, with no hashing
        chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
        blank = np.concatenate([blank_text(ch) & ch.is_valid().to_numpy(zero_copy_only=False)
                                for ch in chunks] or [np.zeros(0, dtype=bool)])
    if not blank.any():
        return col
    return pc.if_else(pa.array(blank), pa.scalar(None, col.type), col)


_EPOCH = dt.date(1970, 1, 1)  # day 0 of a date32


@functools.lru_cache(maxsize=32)  # one day per validation run, asked per date column
def _day_after(today, unit: str) -> pa.Scalar:
    """The first instant after ``today`` in a timestamp of ``unit`` (compared in the
    column's own unit: a cast of nanoseconds to microseconds may lose data and fail)."""
    day = pd.Timestamp(today).date() + dt.timedelta(days=1)
    return pa.scalar(dt.datetime.combine(day, dt.time()), type=pa.timestamp(unit))


#: The largest integer the store (and pandas' ``Int64``) holds: a uint64 above it fits none.
_INT64_MAX = 2**63 - 1


def check_table(table: pa.Table, schema: TableSchema, *, file: str | None = None,
                today=None, allow_extra: bool = False, file_schema: pa.Schema | None = None,
                found: Mapping | None = None, optional: Collection[str] = (),
                unparsed: Mapping | None = None) -> list[Problem]:
    """Every problem of ``table`` against ``schema``.

    Parameters
    ----------
    table : pyarrow.Table
    schema : TableSchema
    file : str, optional
        Named in every problem.
    today : date-like, optional
        Dates after it are reported unless the field is ``future_ok``.
    allow_extra : bool
        Accept columns the schema does not name.
    file_schema : pyarrow.Schema, optional
        The whole file's schema when ``table`` holds only some of its columns: names and
        types are checked from it, values only where ``table`` has the column.
    found : mapping of column name to values, optional
        What to report as ``found`` for a failing row (the text a user typed, when
        ``table`` was parsed from it); by default the table's own values.
    optional : collection of str
        Required columns that may be absent for this use (their values, when present,
        are still checked).
    unparsed : mapping of column name to a boolean mask, optional
        Rows whose text did not parse (reported already): not reported again as missing.
    """
    name = schema.name
    whole = file_schema if file_schema is not None else table.schema
    present = set(whole.names)
    problems = [Problem("required column missing", file=file, resource=name, column=c,
                        expected="columns " + ", ".join(schema.columns),
                        found=", ".join(whole.names) or "no columns")
                for c in schema.required if c not in present and c not in optional]
    if not allow_extra:
        problems += [Problem("unexpected column", file=file, resource=name, column=c,
                             expected="only " + ", ".join(schema.columns))
                     for c in whole.names if c not in schema.columns]
    found = {} if found is None else found
    wrong = set()
    for f in schema.fields:
        c, typ = f["name"], f["type"]
        if c not in present:
            continue
        if not type_ok(typ, whole.field(c).type):
            problems.append(Problem("wrong type", file=file, resource=name, column=c,
                                    expected=typ, found=str(whole.field(c).type)))
            wrong.add(c)
            continue
        if c in table.column_names:
            problems += _check_column(table, f, name=name, file=file, today=today,
                                      shown=found.get(c), unparsed=(unparsed or {}).get(c))
    key = list(schema.primary_key)
    # a key column of a wrong type (a list, a struct) is reported above, and has no codes
    if key and table.num_rows and all(k in table.column_names and k not in wrong
                                      for k in key):
        dup = duplicate_rows(table, key)
        problems += row_problems(dup, _KeyText(table, key), message="duplicate primary key",
                                 column="+".join(key), expected="unique", resource=name,
                                 file=file)
    return problems


def _check_column(table: pa.Table, f: Mapping, *, name, file, today, shown,
                  unparsed) -> list[Problem]:
    """The rules of field ``f`` on its column of ``table`` (of a type the field allows).

    Text is checked on its distinct values (:class:`~._text.Text`, shared with every other
    check of the table); other columns by an aggregate first (null count, min and max), so
    a row mask is built only when some row is to be reported.
    """
    c, typ = f["name"], f["type"]
    col = table.column(c)
    text = text_of(table, c)
    if shown is None:
        shown = col if text is None else text
    problems: list[Problem] = []

    def report(mask, message, expected):
        problems.extend(row_problems(mask, shown, message=message, column=c,
                                     expected=expected, resource=name, file=file))

    missing = col.null_count if text is None else text.nulls
    if f.get("required"):
        if text is not None:
            blank = blank_text(text.values)
            if missing or blank.any():
                mask = text.rows(blank, missing=True)
                report(mask if unparsed is None else mask & ~np.asarray(unparsed, bool),
                       "required value missing", "a value")
        elif missing:
            mask = pc.is_null(col).to_numpy(zero_copy_only=False)
            report(mask if unparsed is None else mask & ~np.asarray(unparsed, bool),
                   "required value missing", "a value")
    if missing == len(col):
        return problems
    if "enum" in f:
        allowed = pa.array([str(v) for v in f["enum"]], pa.large_string())
        if text is not None:
            outside = pc.invert(pc.is_in(text.values, value_set=allowed))
            if pc.any(outside).as_py():
                report(text.rows(outside), "value not allowed", _one_of(f))
        else:
            as_text = col.cast(pa.large_string())
            report(pc.and_(pc.is_valid(as_text),
                           pc.invert(pc.is_in(as_text, value_set=allowed))),
                   "value not allowed", _one_of(f))
    if pa.types.is_uint64(col.type) and (pc.max(col).as_py() or 0) > _INT64_MAX:
        report(pc.greater(col, pa.scalar(_INT64_MAX, col.type)), "value above maximum",
               f"≤ {_INT64_MAX}")
        return problems  # no other rule can compare it with a (signed) bound
    floating = pa.types.is_floating(col.type)
    if floating or "minimum" in f or "maximum" in f:
        low, high = (v.as_py() for v in pc.min_max(col).values())  # one pass for all three
        if floating and (low == -math.inf or high == math.inf):
            # an infinity passes every minimum or maximum missing and breaks every mean
            report(pc.is_inf(col), "wrong type", "a finite number")
        if "minimum" in f and low is not None and low < f["minimum"]:
            report(pc.less(col, f["minimum"]), "value below minimum", f"≥ {f['minimum']}")
        if "maximum" in f and high is not None and high > f["maximum"]:
            report(pc.greater(col, f["maximum"]), "value above maximum", f"≤ {f['maximum']}")
    if typ == "date" and today is not None and not f.get("future_ok"):
        last = pd.Timestamp(today).date()
        latest = pc.max(col).value if pa.types.is_date32(col.type) else None
        # the latest date first (days since 1970): rows are looked at only if it is late
        if latest is None or latest > (last - _EPOCH).days:
            stamps = col if pa.types.is_timestamp(col.type) else col.cast(pa.timestamp("s"))
            if stamps.type.tz:  # wall-clock time, as the dates are read everywhere else
                stamps = pc.local_timestamp(stamps)
            report(pc.greater_equal(stamps, _day_after(today, stamps.type.unit)),
                   "date in the future", f"on or before {last}")
    return problems


def _one_of(f: Mapping) -> str:
    return "one of " + ", ".join(str(v) for v in f["enum"])


class _KeyText:
    """A key's values as ``a|1`` for the rows a problem shows, built only for those."""

    def __init__(self, table: pa.Table, key: list[str]):
        self.cols = [table.column(k) for k in key]

    def __getitem__(self, i: int) -> str:
        return "|".join(str(as_py(c[int(i)])) for c in self.cols)


def _column_codes(table: pa.Table, k: str) -> tuple[np.ndarray, int]:
    """Codes ``0 … size-1`` of one key column, equal exactly when the values are (missing:
    a code of its own). Text reuses its :class:`~._text.Text`; integers in a narrow range
    are their own codes; anything else is dictionary-encoded."""
    text = text_of(table, k)
    if text is not None:
        return text.codes() + 1, len(text.values) + 1
    col = table.column(k)
    if pa.types.is_integer(col.type) and col.null_count < len(col):
        low, high = (v.as_py() for v in pc.min_max(col).values())
        if low > -2**62 and high < 2**62 and high - low <= 8 * len(col) + 1024:
            codes = pc.fill_null(col, low).to_numpy().astype(np.int64) - (low - 1)
            if col.null_count:
                codes[pc.is_null(col).to_numpy(zero_copy_only=False)] = 0
            return codes, high - low + 2
    enc = pc.dictionary_encode(col.combine_chunks())
    size = len(enc.dictionary) + 1
    return enc.indices.fill_null(size - 1).to_numpy(zero_copy_only=False).astype(np.int64), size


def _key_codes(table: pa.Table, key: list[str]) -> np.ndarray | None:
    """One int64 per row, equal exactly when the key columns are.

    The codes of each key column (:func:`_column_codes`) are combined positionally.
    ``None`` when the combined range would not fit in 63 bits.
    """
    code = np.zeros(table.num_rows, dtype=np.int64)
    span = 1
    for k in key:
        codes, size = _column_codes(table, k)
        span *= size
        if span >= 2**62:
            return None
        code = code * size + codes
    return code


def duplicate_rows(table: pa.Table, key: list[str]) -> np.ndarray:
    """True for every row whose key an earlier row already has (hashing, no row loop)."""
    n = table.num_rows
    code = _key_codes(table, key)
    if code is not None:
        span = int(code.max()) + 1 if n else 0
        # The common case, no duplicate at all, is answered by counting codes.
        if span <= 8 * n + 1024 and np.bincount(code, minlength=span).max(initial=0) <= 1:
            return np.zeros(n, dtype=bool)
        return pd.Series(code).duplicated(keep="first").to_numpy()
    # very wide keys: Arrow's hash aggregation finds each key's first row
    marked = table.select(key).append_column("_i", pa.array(np.arange(n)))
    first = marked.group_by(key, use_threads=False).aggregate([("_i", "min")])
    return ~np.isin(np.arange(n), first["_i_min"].to_numpy())


def to_frame(table: pa.Table, schema: TableSchema) -> pd.DataFrame:
    """A checked Arrow table as a typed pandas frame, in the schema's column order.

    Strings become ``string[pyarrow]``, integers ``Int64``, numbers ``float64``, booleans
    ``boolean`` and dates ``datetime64[ns]`` (wall-clock time); schema columns the table
    lacks are added empty, columns the schema does not name are kept at the end.
    """
    n = table.num_rows
    cols, names = [], []
    for f in schema.fields:
        c, target = f["name"], _ARROW[f["type"]]
        col = table.column(c) if c in table.column_names else pa.nulls(n, target)
        if pa.types.is_timestamp(col.type) and col.type.tz:
            col = pc.local_timestamp(col)
        cols.append(col.cast(target) if col.type != target else col)
        names.append(c)
    for c in table.column_names:
        if c not in schema.columns:
            cols.append(table.column(c))
            names.append(c)
    return pa.table(cols, names=names).to_pandas(types_mapper=_PANDAS.get)

