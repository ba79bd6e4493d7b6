"""Privacy guard: no personal identifier leaves a municipality; keyed pseudonyms.

What may leave is decided first by the export allow-list; the identifier scanner is the
second net, run on the way out and on the way in. This module is its public face:

- :func:`find_personal_ids` — where a table holds identifiers (table, column, kind,
  count, first rows), never the values; :func:`find_ids_in_metadata` — the same for a
  descriptor such as ``datapackage.json`` (file, JSON path, kind).
- :func:`check_no_personal_ids` — raise :class:`~implementere_kit.errors.PrivacyError`
  unless every finding is covered by a reviewed exception (:mod:`.privacy_exceptions`),
  and return the covered ones for the export to record.
- :func:`pseudonymise` — keyed HMAC-SHA256 pseudonyms (:mod:`.pseudonyms`).
- :func:`is_valid_cpr`, :func:`is_valid_fodselsnummer`, :func:`kind_of_fodselsnummer`
  and :data:`KINDS` — the rules, documented with their sources in :mod:`.identifiers` and
  ``docs/identifiers.md``.

Examples
--------
>>> import pandas as pd
>>> find_personal_ids(pd.DataFrame({"group_id": ["H-030623-0001"], "x": ["tlf.91234567"]}))
  table column   kind  count rows
0  None      x  phone      1 (1,)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import PrivacyError, Problem, ValidationError
from .identifiers import (
    KINDS,
    is_valid_cpr,
    is_valid_fodselsnummer,
    kind_of_fodselsnummer,
    scan_text,
)
from .privacy_exceptions import apply_exceptions
from .pseudonyms import pseudonymise
from .scan import FINDING_COLUMNS, METADATA_COLUMNS, find_ids_in_metadata, find_personal_ids

__all__ = ["KINDS", "FINDING_COLUMNS", "METADATA_COLUMNS", "find_personal_ids",
           "find_ids_in_metadata", "check_no_personal_ids", "pseudonymise", "is_valid_cpr",
           "is_valid_fodselsnummer", "kind_of_fodselsnummer"]


def _where(row) -> str:
    n, rows = int(row.count), tuple(row.rows)
    if row.column == "<column names>":
        unit = "column name" if n == 1 else "column names"
        at = f" (column{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))})"
    else:
        unit = "row" if n == 1 else "rows"
        more = ", …" if n > len(rows) else ""
        at = (f" ({'rows' if n > 1 else 'row'} {', '.join(map(str, rows))}{more})"
              if rows else "")
    return f"  - table {row.table!r}, column {row.column!r}: {row.kind} in {n} {unit}{at}"


def check_no_personal_ids(tables: Mapping[str, pd.DataFrame], *,
                          exceptions=None) -> pd.DataFrame:
    """Raise :class:`~implementere_kit.errors.PrivacyError` if any table holds identifiers.

    Every table is scanned by :func:`find_personal_ids`, and every table name. The error
    names table, column, kind, count and the first rows, never a value; its ``findings``
    is the DataFrame of what blocks (columns as in :func:`find_personal_ids`).

    Parameters
    ----------
    tables : mapping of str to DataFrame
    exceptions : DataFrame or list of dict, optional
        Reviewed exceptions (``table``, ``column``, ``kind``; ``id``, ``reason``,
        ``date``), e.g. ``Project.privacy_exceptions()``. A finding with the same table,
        column and kind passes, except in key columns (person ids by definition) and in
        column names or the index.

    Returns
    -------
    DataFrame
        The findings an exception let through, with ``exception_id``, ``reason`` and
        ``date`` (:data:`~.privacy_exceptions.WAIVED_COLUMNS`): what the export records.
        Empty when nothing needed one.

    Examples
    --------
    >>> check_no_personal_ids({"sessions": pd.DataFrame({"session_no": [1, 2]})}).empty
    True
    >>> try:
    ...     check_no_personal_ids({"staff": pd.DataFrame({"contact": ["x", "ola@example.no"]})})
    ... except PrivacyError as err:
    ...     print(err)
    personal identifiers found in 1 place(s); nothing may leave the municipality with them:
      - table 'staff', column 'contact': email in 1 row (row 2)
    Drop these columns or replace person ids by pseudonymise() before exporting; ...
    """
    if not isinstance(tables, Mapping):
        raise ValidationError([Problem("tables must be a mapping of name to DataFrame",
                                       expected="dict[str, DataFrame]",
                                       found=type(tables).__name__)])
    names = np.array([str(n) for n in tables], dtype=object)
    hits = scan_text(names)
    named = [(i, k) for k in KINDS for i in np.flatnonzero(hits[k])]
    shown = list(names)
    for i, _ in named:
        shown[i] = f"<table {i + 1}>"
    problems = [Problem("not a DataFrame", resource=shown[i], expected="a pandas DataFrame",
                        found=type(df).__name__)
                for i, df in enumerate(tables.values()) if not isinstance(df, pd.DataFrame)]
    if problems:
        raise ValidationError(problems)
    parts = [pd.DataFrame([(shown[i], "<table name>", k, 1, ()) for i, k in named],
                          columns=FINDING_COLUMNS)]
    parts += [find_personal_ids(df, table=name) for name, df in zip(shown, tables.values(),
                                                                    strict=True)]
    findings = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    findings = findings.astype({"count": np.int64})
    blocking, waived = apply_exceptions(findings, exceptions)
    if blocking.empty:
        return waived
    lines = [_where(row) for row in blocking.itertuples(index=False)]
    raise PrivacyError(
        f"personal identifiers found in {len(blocking)} place(s); nothing may leave the "
        "municipality with them:\n" + "\n".join(lines) + "\nDrop these columns or replace "
        "person ids by pseudonymise() before exporting; free text belongs at home. If a "
        "finding is harmless, a reviewer can record an exception for its table, column and "
        "kind in the project's audit log.", blocking.reset_index(drop=True))
