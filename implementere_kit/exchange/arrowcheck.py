"""Validation of a package's Arrow tables: the table rules of the store, plus keys across tables.

A package resource is checked by the same engine as every other table
(:mod:`implementere_kit.store._checks`): Parquet files carry their types, so each column is
checked where it is, with ``pyarrow.compute``, and never converted to pandas. What is
particular to packages lives here: which columns a check must read
(:func:`constrained_columns`, so the others need not be decoded) and foreign keys between
the tables of one package (:func:`check_foreign_key`).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem
from ..store._checks import check_table
from ..store._text import text_of
from ..store.tables import TableSchema, row_problems

__all__ = ["check_arrow_table", "check_foreign_key", "constrained_columns"]


def constrained_columns(schema: TableSchema, today: dt.date | None = None) -> set[str]:
    """Columns whose values a check reads; the others are checked by their type alone."""
    from .allowlist import FOREIGN_KEYS

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
    """Every problem of ``table`` against ``schema`` (the store's engine, on Arrow data).

    ``file_schema`` is the schema of the whole file when ``table`` holds only the columns
    listed by :func:`constrained_columns`: names and types are then checked from it, and
    values only where a rule reads them.
    """
    return check_table(table, schema, file=file, today=today, allow_extra=allow_extra,
                       file_schema=file_schema)


def check_foreign_key(child: pa.Table, column: str, parent: pa.Table, parent_column: str, *,
                      file: str, name: str, parent_name: str) -> list[Problem]:
    """Rows of ``child`` whose ``column`` value is absent from ``parent[parent_column]``."""
    if column not in child.column_names or parent_column not in parent.column_names:
        return []
    where = dict(message=f"refers to a missing {parent_name}.{parent_column}",
                 expected=f"a value present in {parent_name}", resource=name, column=column,
                 file=file)
    text, keys = text_of(child, column), text_of(parent, parent_column)
    if text is not None and keys is not None:
        # each distinct value once; rows are looked up only when one is dangling
        dangling = pc.invert(pc.is_in(text.values, value_set=keys.values))
        if not pc.any(dangling).as_py():
            return []
        return row_problems(text.rows(dangling), text, **where)
    col, ref = child.column(column), parent.column(parent_column)
    try:
        if (text is None) != (keys is None):
            raise pa.ArrowInvalid("text against non-text")
        keys = pc.unique(ref.combine_chunks()).cast(col.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return []  # a key of the wrong type is the schema check's problem
    dangling = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=keys)))
    return row_problems(dangling, col, **where)
