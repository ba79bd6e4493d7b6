"""Reviewed exceptions: the way forward when the identifier scanner flags something harmless.

A pattern scanner has false positives: a product code that happens to read as a CPR
number, a column of 8-digit reference numbers. Rather than weakening the scanner, a
reviewer who has looked at the finding records an exception for one table, column and
kind, with a reason, their name or role and the date of the review. The exception is an
entry in the project's audit log (:mod:`implementere_kit.store.audit`), so it is visible,
dated and attributable; it is withdrawn by another entry, never by deleting one.

An exception is refused for key columns — columns that hold person ids by definition
(``participant_id``, ``practitioner_id``, ``rater_id``, ``respondent_id``, ``leaders``,
every ``…_id`` and columns named as national ids): identifiers there must be replaced by
pseudonyms, not waved through. :func:`~implementere_kit.exchange.privacy.check_no_personal_ids`
passes the findings an exception covers and returns them, with the exception's id,
reason and date, for the export to record; the reviewer's name stays in the audit log.

Examples
--------
>>> fields = new_exception("activities", "title", "phone", reason="Budget line numbers "
...                        "(8 digits) from the finance system", reviewer="personvernombud",
...                        date="2026-05-04", today="2026-06-01")
>>> fields["table"], fields["column"], fields["kind"], fields["date"]
('activities', 'title', 'phone', '2026-05-04')
>>> is_key_column("participant_id"), is_key_column("leaders"), is_key_column("title")
(True, True, False)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from .identifiers import KINDS, looks_like_identifier

__all__ = ["EXCEPTION_COLUMNS", "WAIVED_COLUMNS", "ADDED", "REVOKED", "is_key_column",
           "new_exception", "revocation", "active_exceptions", "apply_exceptions"]

ADDED, REVOKED = "privacy_exception_added", "privacy_exception_revoked"
EXCEPTION_COLUMNS = ["id", "table", "column", "kind", "reason", "reviewer", "date", "added"]
#: What an export records of each finding an exception let through (no reviewer name).
WAIVED_COLUMNS = ["table", "column", "kind", "count", "rows", "exception_id", "reason", "date"]
_KEY_NAME = re.compile(r"(^|_)id$|^leaders$|cpr|fnr|f[øo]dselsn|personn|ssn|d_?nummer",
                       re.IGNORECASE)
_REASON_CHARS = (10, 500)
_REVIEWER_CHARS = (2, 100)


def is_key_column(column) -> bool:
    """Whether a column holds person ids by definition (no exception is ever allowed)."""
    return bool(_KEY_NAME.search(str(column)))


def _text_problems(name: str, value, limits: tuple[int, int]) -> list[Problem]:
    lo, hi = limits
    if not isinstance(value, str) or not lo <= len(value.strip()) <= hi:
        found = (f"{len(value.strip())} characters" if isinstance(value, str)
                 else type(value).__name__)
        return [Problem(f"the exception's {name} must be text", column=name,
                        expected=f"{lo}-{hi} characters", found=found)]
    if looks_like_identifier(value):
        return [Problem(f"the exception's {name} holds a personal identifier", column=name,
                        expected="no personal identifiers", found="<masked>")]
    return []


def _iso_date(value, name: str, today: dt.date) -> tuple[str | None, list[Problem]]:
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(day, dt.datetime):
            day = day.date()
        if not isinstance(day, dt.date):
            raise TypeError
    except (TypeError, ValueError):
        return None, [Problem(f"bad {name}", column=name, expected="a date YYYY-MM-DD",
                              found=safe_value(value))]
    if day > today:
        return None, [Problem(f"the {name} lies in the future", column=name,
                              expected=f"on or before {today}", found=day.isoformat())]
    return day.isoformat(), []


def new_exception(table: str, column: str, kind: str, *, reason: str, reviewer: str,
                  date=None, today=None) -> dict:
    """The checked fields of a new exception (what the audit log entry records).

    ``table`` and ``column`` must be a table and column of ``tables.yaml`` and not a key
    column, ``kind`` one of :data:`~.identifiers.KINDS`; ``reason`` (10-500 characters)
    and ``reviewer`` (2-100) are text without identifiers; ``date`` is the review's date
    (default today), not in the future. Every problem is reported at once.
    """
    from ..store.tables import table_names, table_schema

    today = dt.date.fromisoformat(today) if isinstance(today, str) else (today or dt.date.today())
    problems = []
    known = table_names()
    if not isinstance(table, str) or table not in known:
        problems.append(Problem("unknown table", column="table", expected=", ".join(known),
                                found=safe_value(table)))
    elif not isinstance(column, str) or column not in table_schema(table).columns:
        problems.append(Problem(f"not a column of table {table}", column="column",
                                expected=", ".join(table_schema(table).columns),
                                found=safe_value(column)))
    elif is_key_column(column):
        problems.append(Problem("no exception for a column that holds person ids; replace "
                                "them by pseudonyms instead", column="column",
                                expected="a column that is not a key", found=safe_value(column)))
    if kind not in KINDS:
        problems.append(Problem("unknown kind of personal identifier", column="kind",
                                expected=", ".join(KINDS), found=safe_value(kind)))
    problems += _text_problems("reason", reason, _REASON_CHARS)
    problems += _text_problems("reviewer", reviewer, _REVIEWER_CHARS)
    day, bad = _iso_date(dt.date.today() if date is None else date, "date", today)
    problems += bad
    if problems:
        raise ValidationError(problems)
    return {"table": table, "column": column, "kind": kind, "reason": reason.strip(),
            "reviewer": reviewer.strip(), "date": day}


def revocation(exception_id, *, reason: str, reviewer: str, active: pd.DataFrame) -> dict:
    """The checked fields of an entry withdrawing the active exception ``exception_id``."""
    problems = []
    if isinstance(exception_id, bool) or exception_id not in set(active["id"]):
        problems.append(Problem("no active exception with this id", column="id",
                                expected=", ".join(map(str, active["id"])) or "none",
                                found=safe_value(exception_id)))
    problems += _text_problems("reason", reason, _REASON_CHARS)
    problems += _text_problems("reviewer", reviewer, _REVIEWER_CHARS)
    if problems:
        raise ValidationError(problems)
    return {"exception_id": int(exception_id), "reason": reason.strip(),
            "reviewer": reviewer.strip()}


def lost_record(up_to: int, *, reason: str, reviewer: str) -> dict:
    """The checked fields of an entry confirming that the record of exports up to number
    ``up_to`` is lost (see :func:`.differencing.check_record`)."""
    problems = _text_problems("reason", reason, _REASON_CHARS)
    problems += _text_problems("reviewer", reviewer, _REVIEWER_CHARS)
    if problems:
        raise ValidationError(problems)
    return {"up_to": int(up_to), "reason": reason.strip(), "reviewer": reviewer.strip()}


def active_exceptions(entries: Iterable[Mapping]) -> pd.DataFrame:
    """The exceptions added and not withdrawn, from audit log entries (oldest first).

    ``id`` is the sequence number of the entry that added it; ``added`` its time.
    """
    rows: dict[int, dict] = {}
    for e in entries:
        if e.get("action") == ADDED:
            rows[e["seq"]] = {"id": e["seq"], "added": e["time"],
                              **{k: e.get(k) for k in EXCEPTION_COLUMNS[1:7]}}
        elif e.get("action") == REVOKED:
            rows.pop(e.get("exception_id"), None)
    return pd.DataFrame(list(rows.values()), columns=EXCEPTION_COLUMNS)


def _as_frame(exceptions) -> pd.DataFrame:
    """Exceptions given as a DataFrame or an iterable of mappings (as
    ``Project.privacy_exceptions()`` gives them, or as a package records them), checked."""
    if exceptions is None:
        return pd.DataFrame(columns=EXCEPTION_COLUMNS)
    if isinstance(exceptions, pd.DataFrame):
        frame = exceptions
    elif isinstance(exceptions, Iterable) and not isinstance(exceptions, str | bytes | Mapping):
        items = list(exceptions)
        bad = [i for i, x in enumerate(items, start=1) if not isinstance(x, Mapping)]
        if bad:
            raise ValidationError([Problem("an exception must be a mapping", row=i,
                                           expected="table, column and kind", found="other")
                                   for i in bad])
        frame = pd.DataFrame([dict(x) for x in items])
    else:
        raise ValidationError([Problem("exceptions must be a table or a list of exceptions",
                                       column="exceptions", expected="DataFrame or list of dict",
                                       found=type(exceptions).__name__)])
    missing = [c for c in ("table", "column", "kind") if c not in frame.columns]
    if missing and len(frame):
        raise ValidationError([Problem("exceptions lack a field", column=c,
                                       expected="table, column and kind") for c in missing])
    if "id" not in frame.columns and "exception_id" in frame.columns:  # as a package records it
        frame = frame.rename(columns={"exception_id": "id"})
    frame = frame.reindex(columns=EXCEPTION_COLUMNS).astype(object)
    bad = [Problem("unknown kind of personal identifier", row=i, column="kind",
                   expected=", ".join(KINDS), found=safe_value(k))
           for i, k in enumerate(frame["kind"], start=1) if k not in KINDS]
    if bad:
        raise ValidationError(bad)
    return frame


def apply_exceptions(findings: pd.DataFrame, exceptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``findings`` into those still blocking and those an exception covers.

    An exception covers a finding with the same table, column and kind, except in key
    columns and in the scanner's own places (``<column names>``, ``<index>``, …).
    """
    frame = _as_frame(exceptions)
    if findings.empty or frame.empty:
        return findings, pd.DataFrame(columns=WAIVED_COLUMNS)
    frame = frame.drop_duplicates(["table", "column", "kind"], keep="last")
    merged = findings.merge(frame[["table", "column", "kind", "id", "reason", "date"]],
                            on=["table", "column", "kind"], how="left", indicator=True)
    eligible = ~merged["column"].map(lambda c: is_key_column(c) or str(c).startswith("<"))
    covered = ((merged["_merge"] == "both") & eligible).to_numpy()
    waived = merged[covered].rename(columns={"id": "exception_id"})[WAIVED_COLUMNS]
    return findings[~covered].reset_index(drop=True), waived.reset_index(drop=True)
