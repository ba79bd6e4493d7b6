"""Table schemas and vectorised validation of tables.

The schemas live in ``schemas/tables.yaml`` (Frictionless Table Schema vocabulary). One
pass over a DataFrame finds every problem at once — missing columns, wrong types,
values outside an enum or range, missing required values, duplicate primary keys — and
:func:`validate_table` raises a :class:`~implementere_kit.errors.ValidationError` listing
them all with the row (1-based, as in the file) and column, in the spirit of pandera's
``failure_cases``. Nothing is silently coerced: a value that does not parse is an error.

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

from dataclasses import dataclass
from functools import lru_cache

from .._data import load_yaml, package_file
from ..errors import Problem, UnknownNameError, ValidationError, safe_value

__all__ = ["TableSchema", "table_schema", "table_names", "empty_table", "validate_table",
           "parse_dates", "row_problems", "SCHEMA_VERSION"]

#: How many bad rows of one kind are listed per column before summarising.
MAX_ROWS_LISTED = 20


@dataclass(frozen=True)
class TableSchema:
    name: str
    fields: tuple[dict, ...]
    primary_key: tuple[str, ...] = ()
    description: str = ""

    @property
    def columns(self) -> list[str]:
        return [f["name"] for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("required")]

    def field(self, name: str) -> dict:
        for f in self.fields:
            if f["name"] == name:
                return f
        raise UnknownNameError("column", name, self.columns)

    def to_frictionless(self) -> dict:
        """This schema as a Frictionless Table Schema descriptor."""
        out = []
        for f in self.fields:
            d = {"name": f["name"], "type": f["type"]}
            cons = {k: f[k] for k in ("required", "enum", "minimum", "maximum") if k in f}
            if cons:
                d["constraints"] = cons
            out.append(d)
        desc = {"fields": out}
        if self.primary_key:
            desc["primaryKey"] = list(self.primary_key)
        return desc


@lru_cache(maxsize=1)
def _schemas() -> tuple[int, dict[str, TableSchema]]:
    raw = load_yaml(package_file("store/schemas", "tables.yaml"))
    tables = {
        name: TableSchema(name=name, fields=tuple(spec["fields"]),
                          primary_key=tuple(spec.get("primary_key", ())),
                          description=spec.get("description", ""))
        for name, spec in raw["tables"].items()
    }
    return int(raw["schema_version"]), tables


SCHEMA_VERSION = 1


def table_names() -> list[str]:
    return list(_schemas()[1])


def table_schema(name: str) -> TableSchema:
    tables = _schemas()[1]
    if name not in tables:
        raise UnknownNameError("table", name, tables)
    return tables[name]


_DTYPES = {"string": "string", "integer": "Int64", "number": "float64", "boolean": "boolean",
           "date": "datetime64[ns]"}


def empty_table(name: str):
    """An empty DataFrame with the table's columns and dtypes."""
    import pandas as pd

    schema = table_schema(name)
    return pd.DataFrame({f["name"]: pd.Series(dtype=_DTYPES[f["type"]]) for f in schema.fields})


_TRUE = {"true", "1", "yes", "ja", "j", "y", "x", "sant", "sand"}
_FALSE = {"false", "0", "no", "nei", "nej", "n", "usant", "falsk", ""}


def parse_dates(values):
    """Parse ISO ``YYYY-MM-DD``, ``dd.mm.yyyy`` and ``dd-mm-yyyy`` dates, vectorised.

    Returns a datetime Series; values that match none of the formats are ``NaT``.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_dates(pd.Series(["2024-03-01", "01.03.2024", "01-03-2024", "bad"])).dt.day.tolist()
    [1.0, 1.0, 1.0, nan]
    """
    import pandas as pd

    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize(None) if s.dt.tz is not None else s
    text = s.astype("string").str.strip()
    out = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    for fmt in ("%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    return out


def row_problems(mask, values, *, message: str, column: str | None,
                 expected: str | None = None, resource: str | None = None,
                 file: str | None = None) -> list[Problem]:
    """One :class:`~implementere_kit.errors.Problem` per row where ``mask`` holds.

    The first :data:`MAX_ROWS_LISTED` offending rows are listed one by one (row counted
    from 1, found value passed through :func:`~implementere_kit.errors.safe_value`); the
    rest are summarised in one more Problem, ``"<message> in N more rows"``, so a file with
    a million bad dates gives a readable error.

    Parameters
    ----------
    mask : array-like of bool
        True for an offending row; missing (``pd.NA``) counts as False. Read by position.
    values : Series or array-like
        The values to report as ``found``, aligned with ``mask`` by position.
    message, column, expected, resource, file : str
        Copied into every Problem.

    Examples
    --------
    >>> import pandas as pd
    >>> probs = row_problems(pd.Series([False, True, True]), pd.Series(["a", "b", "0101901234"]),
    ...                      message="bad code", column="site", resource="sessions")
    >>> [(p.row, p.found) for p in probs]
    [(2, "'b'"), (3, '<masked: looks like a personal identifier>')]
    """
    import numpy as np

    if hasattr(mask, "to_numpy"):
        flags = mask.to_numpy(dtype=bool, na_value=False)
    else:
        flags = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(flags)
    at = values.iloc if hasattr(values, "iloc") else values
    out = [Problem(message, file=file, resource=resource, row=int(i) + 1, column=column,
                   expected=expected, found=safe_value(at[i]))
           for i in rows[:MAX_ROWS_LISTED]]
    if len(rows) > MAX_ROWS_LISTED:
        out.append(Problem(f"{message} in {len(rows) - MAX_ROWS_LISTED} more rows", file=file,
                           resource=resource, column=column, expected=expected))
    return out


def _bad_rows(problems, mask, schema, column, file, message, expected, found_values):
    problems += row_problems(mask, found_values, message=message, column=column,
                             expected=expected, resource=schema.name, file=file)


def validate_table(df, name: str, *, file: str | None = None, allow_extra: bool = True,
                   today=None):
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
        When given, dates after it are reported (data cannot come from the future).

    Raises
    ------
    ValidationError
        Listing every problem found, each with row and column.
    """
    import pandas as pd

    schema = table_schema(name)
    df = df.reset_index(drop=True)
    problems: list[Problem] = []
    missing = [c for c in schema.required if c not in df.columns]
    for c in missing:
        problems.append(Problem("required column missing", file=file, resource=name, column=c,
                                expected=f"columns {', '.join(schema.columns)}",
                                found=", ".join(map(str, df.columns)) or "no columns"))
    extra = [c for c in df.columns if c not in schema.columns]
    if extra and not allow_extra:
        for c in extra:
            problems.append(Problem("unexpected column", file=file, resource=name, column=str(c),
                                    expected=f"only {', '.join(schema.columns)}"))
    out = {}
    for f in schema.fields:
        col, typ = f["name"], f["type"]
        if col not in df.columns:
            out[col] = (pd.Series(index=df.index, dtype=_DTYPES[typ])
                        if not f.get("required") else None)
            continue
        raw = df[col]
        text = raw.astype("string").str.strip()
        blank = raw.isna() | (text == "")
        if typ == "string":
            val = raw.astype("string").where(~blank)
            bad = pd.Series(False, index=df.index)
        elif typ in ("integer", "number"):
            if pd.api.types.is_bool_dtype(raw):
                val = pd.Series(pd.NA, index=df.index, dtype="float64")
                bad = ~blank
            else:
                num = pd.to_numeric(raw if pd.api.types.is_numeric_dtype(raw)
                                    else text.str.replace(",", ".", regex=False), errors="coerce")
                bad = num.isna() & ~blank
                if typ == "integer":
                    frac = num.notna() & (num != num.round())
                    bad |= frac
                    val = num.where(~frac).round().astype("Int64")
                else:
                    val = num.astype("float64")
            expected = "a whole number" if typ == "integer" else "a number"
            _bad_rows(problems, bad, schema, col, file, "wrong type", expected, raw)
            bad = pd.Series(False, index=df.index)
        elif typ == "boolean":
            if pd.api.types.is_bool_dtype(raw):
                val = raw.astype("boolean")
                bad = pd.Series(False, index=df.index)
            else:
                low = text.str.lower()
                is_t, is_f = low.isin(_TRUE), low.isin(_FALSE)
                val = pd.Series(pd.NA, index=df.index, dtype="boolean").mask(is_t, True).mask(is_f & ~blank, False)
                bad = ~(is_t | is_f) & ~blank
                _bad_rows(problems, bad, schema, col, file, "wrong type", "true or false", raw)
        elif typ == "date":
            # One resolution for every date column, whatever pandas or Parquet produced.
            val = parse_dates(raw).astype("datetime64[ns]")
            bad = val.isna() & ~blank
            _bad_rows(problems, bad, schema, col, file, "not a date",
                      "YYYY-MM-DD, dd.mm.yyyy or dd-mm-yyyy", raw)
            if today is not None and not f.get("future_ok"):
                future = val > pd.Timestamp(today)
                _bad_rows(problems, future, schema, col, file, "date in the future",
                          f"on or before {pd.Timestamp(today).date()}", raw)
        else:  # pragma: no cover - the schema file is ours
            raise ValueError(f"unknown type {typ} in schema {name}")
        if f.get("required"):
            _bad_rows(problems, blank, schema, col, file, "required value missing", "a value", raw)
        if "enum" in f:
            allowed = [str(v) for v in f["enum"]]
            off = val.notna() & ~val.astype("string").isin(allowed)
            _bad_rows(problems, off, schema, col, file, "value not allowed",
                      "one of " + ", ".join(allowed), raw)
        if "minimum" in f:
            low = val.notna() & (val < f["minimum"])
            _bad_rows(problems, low.fillna(False).astype(bool), schema, col, file,
                      "value below minimum", f"≥ {f['minimum']}", raw)
        if "maximum" in f:
            high = val.notna() & (val > f["maximum"])
            _bad_rows(problems, high.fillna(False).astype(bool), schema, col, file,
                      "value above maximum", f"≤ {f['maximum']}", raw)
        out[col] = val
    if schema.primary_key and not missing:
        key = pd.DataFrame({c: out[c] for c in schema.primary_key})
        dup = key.duplicated(keep="first")
        # the key as text only for the rows reported (joining every row is slow), and with
        # empty text for a missing part of the key (an optional key column may be empty)
        shown = pd.Series("", index=key.index, dtype=object)
        if dup.any():
            shown[dup] = key[dup].astype("string").fillna("").agg("|".join, axis=1)
        _bad_rows(problems, dup, schema, "+".join(schema.primary_key), file,
                  "duplicate primary key", "unique", shown)
    if problems:
        raise ValidationError(problems)
    result = pd.DataFrame({c: v for c, v in out.items() if v is not None})
    for c in extra:
        result[c] = df[c].values
    return result
