"""The table schemas as read from ``schemas/tables.yaml``, and how a problem row is shown
(private: import these names from :mod:`implementere_kit.store.tables`).

This module sits at the bottom of the store: the rule engine (``_checks``) and the public
face (``tables``) both build on it, and it imports neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from .._data import load_yaml, package_file
from ..errors import Problem, UnknownNameError, safe_value

__all__ = ["TableSchema", "table_schema", "table_names", "parse_dates", "row_problems",
           "MAX_ROWS_LISTED", "TYPES"]

#: How many bad rows of one kind are listed per column before summarising.
MAX_ROWS_LISTED = 20
#: The field types of the Frictionless Table Schema vocabulary that tables.yaml uses.
TYPES = ("string", "integer", "number", "boolean", "date")
# Keys of a field the rules read; any other key (an export allow-list, a description) is
# data for someone else and is left alone.
_RULES = ("required", "enum", "minimum", "maximum")


@dataclass(frozen=True)
class TableSchema:
    """One table of ``tables.yaml``: its fields (read-only mappings, as written there) and
    primary key."""

    name: str
    fields: tuple[Mapping, ...]
    primary_key: tuple[str, ...] = ()
    description: str = ""

    @property
    def columns(self) -> list[str]:
        return [f["name"] for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("required")]

    def field(self, name: str) -> Mapping:
        for f in self.fields:
            if f["name"] == name:
                return f
        raise UnknownNameError("column", name, self.columns)

    def to_frictionless(self) -> dict:
        """This schema as a Frictionless Table Schema descriptor."""
        out = []
        for f in self.fields:
            d = {"name": f["name"], "type": f["type"]}
            cons = {k: list(f[k]) if isinstance(f[k], tuple) else f[k] for k in _RULES if k in f}
            if cons:
                d["constraints"] = cons
            out.append(d)
        desc = {"fields": out}
        if self.primary_key:
            desc["primaryKey"] = list(self.primary_key)
        return desc


@lru_cache(maxsize=1)
def _schemas() -> dict[str, TableSchema]:
    raw = load_yaml(package_file("store/schemas", "tables.yaml"))
    out = {}
    for name, spec in raw["tables"].items():
        # read-only: every caller shares these
        fields = tuple(MappingProxyType({k: tuple(v) if isinstance(v, list) else v
                                         for k, v in f.items()}) for f in spec["fields"])
        for f in fields:
            if f["type"] not in TYPES:  # the file is ours: a typo here is a bug
                raise ValueError(f"tables.yaml: table {name}, field {f['name']}: "
                                 f"unknown type {f['type']!r}")
        out[name] = TableSchema(name=name, fields=fields,
                                primary_key=tuple(spec.get("primary_key", ())),
                                description=spec.get("description", ""))
    return out


def table_names() -> list[str]:
    """Every table ``tables.yaml`` defines, in its order."""
    return list(_schemas())


def table_schema(name: str) -> TableSchema:
    """The schema of table ``name``; :class:`UnknownNameError` lists the known ones."""
    tables = _schemas()
    if name not in tables:
        raise UnknownNameError("table", name, tables)
    return tables[name]


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


def _true_rows(mask):
    """Positions where ``mask`` holds (missing counts as False), from pandas, NumPy or Arrow."""
    import numpy as np

    if type(mask).__module__.startswith("pyarrow"):
        import pyarrow.compute as pc

        if not pc.any(mask).as_py():  # the common case: nothing failed, nothing to look up
            return np.empty(0, dtype=np.int64)
        if hasattr(mask, "combine_chunks"):
            mask = mask.combine_chunks()
        return pc.indices_nonzero(pc.fill_null(mask, False)).to_numpy()
    if hasattr(mask, "to_numpy"):
        return np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _value_at(values, i: int):
    if hasattr(values, "iloc"):
        return values.iloc[i]
    value = values[i]
    return as_py(value) if hasattr(value, "as_py") else value


def as_py(value):
    """An Arrow scalar as Python, or as Arrow's text when Python has no such value (a date
    before year 1 or after 9999: a problem must show it, not fail on it)."""
    import pyarrow as pa

    try:
        return value.as_py()
    except (OverflowError, ValueError):
        return pa.array([value]).cast(pa.string())[0].as_py()


def row_problems(mask, values, *, message: str, column: str | None,
                 expected: str | None = None, resource: str | None = None,
                 file: str | None = None) -> list[Problem]:
    """One :class:`~implementere_kit.errors.Problem` per row where ``mask`` holds.

    The first :data:`MAX_ROWS_LISTED` offending rows are listed one by one (row counted
    from 1, found value passed through :func:`~implementere_kit.errors.safe_value`); the
    rest are summarised in one more Problem, ``"<message> in N more rows"``, so a file with
    a million bad dates gives a readable error. This is the one place that turns a mask of
    bad rows into problems: the table rules, the measures and the charts all use it.

    Parameters
    ----------
    mask : array-like of bool
        True for an offending row; missing (``pd.NA``, Arrow null) counts as False. Read by
        position: a pandas Series or array, a NumPy array, a list or an Arrow array.
    values : Series or array-like
        The values to report as ``found``, aligned with ``mask`` by position (anything
        that can be indexed by position, Arrow arrays included).
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
    rows = _true_rows(mask)
    out = [Problem(message, file=file, resource=resource, row=int(i) + 1, column=column,
                   expected=expected, found=safe_value(_value_at(values, int(i))))
           for i in rows[:MAX_ROWS_LISTED]]
    if len(rows) > MAX_ROWS_LISTED:
        out.append(Problem(f"{message} in {len(rows) - MAX_ROWS_LISTED} more rows", file=file,
                           resource=resource, column=column, expected=expected))
    return out
