"""Exception types of implementere-kit.

Every error the toolkit raises on purpose derives from :class:`ImplementereError`, so a
caller (the CLI, a widget) can catch ours and show one clear line, while programming
errors still surface as tracebacks.

Validation errors collect *every* problem found in one pass, in the spirit of pandera's
``failure_cases``: each :class:`Problem` names the file, the resource (table), the row, the
column, what was expected and what was found. Messages never echo a value that looks like
a personal identifier; code that builds a :class:`Problem` from user data passes the found
value through :func:`safe_value`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

__all__ = [
    "ImplementereError",
    "Problem",
    "ValidationError",
    "PrivacyError",
    "SchemaVersionError",
    "ProjectError",
    "UnknownNameError",
    "safe_value",
]

_MASKED = "<masked: looks like a personal identifier>"


def _holds_identifier(value: object, text: str, depth: int = 0) -> bool:
    """The scanner's verdict on a value, its text, and the items of a container (whose
    text shows its strings escaped, e.g. a no-break space as ``\\xa0``)."""
    from .exchange.identifiers import looks_like_identifier

    if looks_like_identifier(value) or (not isinstance(value, str)
                                        and looks_like_identifier(text)):
        return True
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        if depth >= 3 or len(value) > 1000:
            return True  # too big to check item by item: do not show it
        return any(_holds_identifier(v, "", depth + 1) for v in value)
    return False


def safe_value(value: object, limit: int = 40) -> str:
    """Render a found value for an error message without leaking identifiers.

    A value is masked when the identifier scanner finds any kind it knows in it (CPR and
    replacement CPR, fødselsnummer, D-, H- and FH-nummer, e-mail, phone, in any way of
    writing them), or a number shaped like a person number whose checks fail; see
    :func:`implementere_kit.exchange.identifiers.looks_like_identifier`, the one
    definition. Long values are cut after the check.

    Examples
    --------
    >>> safe_value("abc")
    "'abc'"
    >>> safe_value("010190-1234"), safe_value("tlf.\u202f912\u202f34\u202f567")
    ('<masked: looks like a personal identifier>', '<masked: looks like a personal identifier>')
    >>> safe_value("ola@bærum.kommune.no"), safe_value(91234567)
    ('<masked: looks like a personal identifier>', '<masked: looks like a personal identifier>')
    >>> safe_value(None), safe_value(float("nan"))
    ('–', '–')
    """
    try:  # a missing value (None, NaN, NaT, pd.NA) is a dash, as every table shows it
        if value is None or bool(value != value):
            return "–"
    except (TypeError, ValueError):  # pd.NA refuses to be a bool
        return "–"
    try:
        text = repr(value) if isinstance(value, str) else str(value)
    except Exception:  # a value that cannot even be shown is not shown
        return "<unprintable value>"
    try:
        if _holds_identifier(value, text):
            return _MASKED
    except Exception:  # never let a message leak because the check itself failed
        return _MASKED
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class ImplementereError(Exception):
    """Base class of every error raised on purpose by implementere-kit."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating data.

    ``row`` is 1-based as a person counts rows in a file (header not counted), or ``None``
    when the problem concerns a whole column, file or package.
    """

    message: str
    file: str | None = None
    resource: str | None = None
    row: int | None = None
    column: str | None = None
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.resource:
            where.append(f"table {self.resource}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        head = ", ".join(where)
        detail = self.message
        if self.expected is not None:
            detail += f"; expected {self.expected}"
        if self.found is not None:
            detail += f", found {self.found}"
        return f"{head}: {detail}" if head else detail

    def to_dict(self) -> dict:
        return asdict(self)


class ValidationError(ImplementereError, ValueError):
    """Input data broke one or more rules; ``.problems`` lists every one of them.

    Examples
    --------
    >>> err = ValidationError([Problem("not a date", file="a.csv", row=3, column="date")])
    >>> len(err.problems)
    1
    >>> err.table()[["file", "row", "column", "message"]]
        file  row column     message
    0  a.csv    3   date  not a date
    """

    def __init__(self, problems: Iterable[Problem] | str, *, max_shown: int = 10):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:max_shown])
        more = f"\n  … and {n - max_shown} more" if n > max_shown else ""
        noun = "problem" if n == 1 else "problems"
        super().__init__(f"{n} {noun} found:\n{shown}{more}")

    def table(self):
        """Every problem as a DataFrame (file, resource, row, column, expected, found, message)."""
        import pandas as pd

        cols = ["file", "resource", "row", "column", "expected", "found", "message"]
        return pd.DataFrame([p.to_dict() for p in self.problems], columns=cols)


class PrivacyError(ImplementereError):
    """Data about to leave the municipality holds personal identifiers.

    ``.findings`` is a DataFrame (table, column, kind, count, rows — the first row numbers,
    1-based) of what blocks; values are never included.
    """

    def __init__(self, message: str, findings=None):
        super().__init__(message)
        self.findings = findings


class SchemaVersionError(ImplementereError):
    """A file was written by a schema version this toolkit cannot read."""


class ProjectError(ImplementereError):
    """A project folder is missing, damaged or cannot be written.

    ``.problems`` lists every problem found when there is more than one thing to say — say
    every bad row of every table file — each naming file, table, row and column.

    Examples
    --------
    >>> err = ProjectError("p: cannot be opened", [Problem("not a date", file="a.parquet")])
    >>> print(err)
    p: cannot be opened
      - file a.parquet: not a date
    """

    def __init__(self, message: str, problems: Iterable[Problem] = (), *, max_shown: int = 10):
        self.problems: list[Problem] = list(problems)
        shown = "".join(f"\n  - {p}" for p in self.problems[:max_shown])
        more = len(self.problems) - max_shown
        super().__init__(message + shown + (f"\n  … and {more} more" if more > 0 else ""))


class UnknownNameError(ImplementereError, KeyError):
    """A framework, instrument, intervention or language name is not known."""

    def __init__(self, kind: str, name: object, known: Iterable[str]):
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known)}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]
