"""Table schemas and the validation of table data, for pandas frames and Arrow tables alike.

The schemas live in ``schemas/tables.yaml`` (Frictionless Table Schema vocabulary). One
engine checks them: :func:`validate_table` parses a frame's text into typed columns —
nothing is silently coerced, a value that does not parse is an error — and the rules
(required values, enums, ranges, dates in the future, duplicate primary keys) run once,
vectorised, on the typed columns as Arrow; :func:`validate_arrow` runs the same rules on a
Parquet file as read. Every problem is found in one pass and raised together as a
:class:`~implementere_kit.errors.ValidationError`, each with its row (1-based, as in the
file) and column, in the spirit of pandera's ``failure_cases``.

Examples
--------
>>> import pandas as pd
>>> from implementere_kit.store.tables import validate_table
>>> df = pd.DataFrame({"site": ["101"], "stage": ["9"], "activity": ["a"], "date": ["2024-01-05"]})
>>> try:
...     validate_table(df, "sic_events", file="sic.csv")
... except Exception as e:
...     print(e.problems[0])
file sic.csv, table sic_events, row 1, column 'stage': value above maximum; expected ≤ 8, found '9'
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import Problem, ValidationError
from ._checks import DTYPES, blank_as_null, check_table, to_frame, type_ok
from ._schema import (
    MAX_ROWS_LISTED,
    TableSchema,
    parse_dates,
    row_problems,
    table_names,
    table_schema,
)

__all__ = ["TableSchema", "table_schema", "table_names", "empty_table", "validate_table",
           "validate_arrow", "parse_dates", "row_problems", "MAX_ROWS_LISTED"]

_TRUE = {"true", "1", "yes", "ja", "j", "y", "x", "sant", "sand"}
_FALSE = {"false", "0", "no", "nei", "nej", "n", "usant", "falsk"}


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with the table's columns and dtypes."""
    return to_frame(pa.table({}), table_schema(name))


def _text(raw: pd.Series) -> pd.Series:
    return raw.astype(DTYPES["string"]).str.strip()


def _parse(raw: pd.Series, typ: str):
    """``(values Arrow takes as typed, rows that did not parse or None)`` for one column.

    Text is read, never guessed at: "2,5" is a number, "ja" a boolean, "01.03.2024" a
    date; anything else that is not blank is reported. A column typed already is passed
    through untouched. Blank text becomes missing later, in Arrow, for every type at once.
    """
    if raw.dtype == DTYPES[typ] or typ == "string":
        return raw.astype(DTYPES[typ]), None
    if typ == "date":
        val = parse_dates(raw).astype(DTYPES["date"])
        if pd.api.types.is_datetime64_any_dtype(raw):
            return val, None
        return val, val.isna() & (_text(raw).fillna("") != "")
    # Plain NumPy columns go to Arrow as they are (no copy); to_frame gives the dtypes.
    if pd.api.types.is_bool_dtype(raw):
        if typ == "boolean":
            return (raw if raw.dtype == bool else raw.astype(DTYPES["boolean"])), None
        return pd.Series(np.nan, index=raw.index).astype(DTYPES[typ]), raw.notna()  # not a number
    if typ in ("integer", "number") and pd.api.types.is_numeric_dtype(raw):
        if typ == "integer" and pd.api.types.is_integer_dtype(raw):  # no detour via floats
            return raw, None
        num, bad = raw.astype("float64"), None
    else:
        text = _text(raw)
        blank = text.fillna("") == ""
        if typ == "boolean":
            low = text.str.lower()
            is_t, is_f = low.isin(_TRUE).fillna(False), low.isin(_FALSE).fillna(False)
            val = pd.Series(pd.NA, index=raw.index, dtype=DTYPES["boolean"])
            return val.mask(is_t, True).mask(is_f, False), ~(is_t | is_f | blank)
        num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        num = num.astype("float64")
        bad = num.isna() & ~blank
    # "inf", "1e400" and 23-digit numbers parse as floats no column can hold: report them
    # (an integer must also be exact in a float, below 2**53, to survive the detour)
    limit = 2.0**53 if typ == "integer" else np.inf
    wild = num.notna() & ~(num.abs() < limit)
    if typ == "integer":
        wild |= num.notna() & (num != num.round())
    if wild.any():
        bad = wild if bad is None else bad | wild
        num = num.where(~wild)
    if typ == "integer":
        return num.round().astype(DTYPES["integer"]), bad
    return num, bad


_NOT_PARSED = {"integer": ("wrong type", "a whole number"), "number": ("wrong type", "a number"),
               "boolean": ("wrong type", "true or false"),
               "date": ("not a date", "YYYY-MM-DD, dd.mm.yyyy or dd-mm-yyyy")}


def validate_table(df, name: str, *, file: str | None = None, allow_extra: bool = True,
                   today=None, optional: Collection[str] = ()) -> pd.DataFrame:
    """Check ``df`` against table ``name`` and return a typed copy.

    Parameters
    ----------
    df : DataFrame
        The table as read (strings are fine; they are parsed, never guessed at).
    name : str
        A table in ``schemas/tables.yaml``.
    file : str, optional
        File name to put in error messages.
    allow_extra : bool
        Keep columns not in the schema (``True``) or report them as problems.
    today : date, optional
        When given, dates after it are reported (data cannot come from the future) unless
        the field is marked ``future_ok``.
    optional : collection of str
        Required columns that may be absent for this use; they are added empty. When
        present, their values are checked as usual.

    Returns
    -------
    DataFrame
        The schema's columns in its order, typed (``string[pyarrow]``, ``Int64``,
        ``float64``, ``boolean``, ``datetime64[ns]``); absent optional columns empty;
        extra columns kept at the end as they were.

    Raises
    ------
    ValidationError
        Listing every problem found, each with row and column.
    """
    schema = table_schema(name)
    if not isinstance(df, pd.DataFrame):
        raise ValidationError([Problem(f"{name} must be a DataFrame", file=file, resource=name,
                                       found=type(df).__name__)])
    df = df.reset_index(drop=True)
    names = [str(c) for c in df.columns]
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise ValidationError([Problem("column appears twice", file=file, resource=name,
                                       column=c, expected="each column once") for c in twice])
    df.columns = names
    problems: list[Problem] = []
    typed, unparsed = {}, {}
    for f in schema.fields:
        c = f["name"]
        if c not in df.columns:
            continue
        typed[c], bad = _parse(df[c], f["type"])
        if bad is not None:
            unparsed[c] = bad.to_numpy(dtype=bool, na_value=False)
            message, expected = _NOT_PARSED[f["type"]]
            problems += row_problems(unparsed[c], df[c], message=message, column=c,
                                     expected=expected, resource=name, file=file)
    extra = [c for c in df.columns if c not in schema.columns]
    # the typed columns as Arrow (no copy), blank text as missing; of the extra columns the
    # engine reads the names
    table = pa.table({**{c: blank_as_null(pa.array(v, from_pandas=True))
                         for c, v in typed.items()},
                      **{c: pa.nulls(len(df)) for c in extra}})
    problems += check_table(table, schema, file=file, today=today, allow_extra=allow_extra,
                            found=df, optional=optional, unparsed=unparsed)
    if problems:
        raise ValidationError(problems)
    out = to_frame(table.drop_columns(extra), schema)
    for c in extra:
        out[c] = df[c].to_numpy()
    return out


def validate_arrow(table, name: str, *, file: str | None = None, today=None) -> pd.DataFrame:
    """Check an Arrow table (a Parquet file as read) and return it as a typed frame.

    Columns that carry the schema's types are checked where they are, with no text parsing
    and no copy; a table with a column of another type (say dates stored as text) goes
    through :func:`validate_table` instead, so it is parsed like a CSV file would be.
    Raises :class:`ValidationError` listing every problem.
    """
    schema = table_schema(name)
    if not all(type_ok(f["type"], table.schema.field(f["name"]).type)
               for f in schema.fields if f["name"] in table.column_names):
        return validate_table(table.to_pandas(), name, file=file, today=today)
    problems = check_table(table, schema, file=file, today=today, allow_extra=True)
    if problems:
        raise ValidationError(problems)
    return to_frame(table, schema)
