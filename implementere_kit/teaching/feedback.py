"""Friendly feedback on exercises, in Norwegian, Danish or English.

A check never raises on a wrong answer and never prints: it returns a :class:`Feedback`
that a notebook shows as the cell's result — a heading (correct, not yet right, not
answered yet) and one line per thing to look at. An exercise left as ``...`` gets "not
answered yet", never ``Ellipsis``.

The texts live in ``content/messages.yaml`` (one entry per message, each in nb, da and
en); :func:`set_language` chooses the language for the rest of the lesson.

Examples
--------
>>> fb = Feedback("0.1", "unanswered", (message("not_answered", "en"),), "en")
>>> str(fb).splitlines()[0]
'… Exercise 0.1: not answered yet'
>>> fb.ok
False
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from .._data import LANGS, load_yaml, package_file
from ..errors import Problem, ValidationError, safe_value
from ..i18n import check_lang

__all__ = ["Feedback", "setup", "set_language", "language", "message", "is_unanswered",
           "as_number"]

_STATE = {"lang": "en"}
_ICONS = {"correct": "✓", "answered": "✓", "wrong": "✗", "unanswered": "…"}


def set_language(lang: str) -> None:
    """Use ``lang`` (``"nb"``, ``"da"`` or ``"en"``) for feedback from now on."""
    _STATE["lang"] = check_lang(lang)


def setup(lang: str) -> None:
    """Start a lesson: feedback in ``lang``, and numbers shown as people write them.

    NumPy 2 shows a count as ``np.int64(19)``; a lesson shows ``19``. (This sets NumPy's
    print options for the rest of the session, which is what a lesson wants.)
    """
    import numpy as np

    set_language(lang)
    np.set_printoptions(legacy="1.25")


def language(lang: str | None = None) -> str:
    """``lang`` if given, else the language chosen with :func:`set_language`."""
    return check_lang(lang) if lang is not None else _STATE["lang"]


@lru_cache(maxsize=1)
def _messages() -> dict[str, dict[str, str]]:
    path = package_file("teaching", "content/messages.yaml")
    raw = load_yaml(path)
    problems = [Problem("message lacks a language", file=str(path), column=str(key),
                        expected="nb, da and en",
                        found=", ".join(sorted(v)) if isinstance(v, dict) else type(v).__name__)
                for key, v in raw.items()
                if not isinstance(v, dict) or any(not v.get(lang) for lang in LANGS)]
    if problems:
        raise ValidationError(problems)
    return {str(k): {lang: str(v[lang]).strip() for lang in LANGS} for k, v in raw.items()}


def message(key: str, lang: str | None = None, **fmt: object) -> str:
    """The text of message ``key`` in ``lang``, with ``{placeholders}`` filled in.

    Examples
    --------
    >>> message("heading_correct", "nb", exercise="2.1")
    'Oppgave 2.1: riktig'
    """
    texts = _messages().get(key)
    if texts is None:
        raise ValidationError([Problem("unknown message", column="key",
                                       found=safe_value(key))])
    text = texts[language(lang)]
    return text.format(**fmt) if fmt else text


@dataclass(frozen=True)
class Feedback:
    """The verdict on one exercise: ``status`` and the lines that explain it.

    ``status`` is ``correct``, ``wrong``, ``unanswered`` or ``answered`` (an open
    question that has no single right answer: the lines compare it with a reference).
    ``feedback.ok`` is true for ``correct`` and ``answered``. (A feedback object is always
    truthy, so ``if feedback:`` tests that there is one, not that the answer was right.)
    """

    exercise: str
    status: str
    lines: tuple[str, ...]
    lang: str

    @property
    def ok(self) -> bool:
        return self.status in ("correct", "answered")

    @property
    def heading(self) -> str:
        return message(f"heading_{self.status}", self.lang, exercise=self.exercise)

    def __str__(self) -> str:
        return "\n".join([f"{_ICONS[self.status]} {self.heading}",
                          *(f"  - {line}" for line in self.lines)])

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        body = "\n".join(f"- {line}" for line in self.lines)
        return f"**{_ICONS[self.status]} {self.heading}**\n\n{body}\n"


def feedback(exercise: str, status: str, keys, lang: str | None = None) -> Feedback:
    """A :class:`Feedback` whose lines are messages: ``keys`` holds message keys or
    ``(key, {placeholder: value})`` pairs."""
    lang = language(lang)
    lines = []
    for k in keys:
        key, fmt = (k, {}) if isinstance(k, str) else k
        lines.append(message(key, lang, **fmt))
    return Feedback(exercise, status, tuple(lines), lang)


def is_unanswered(value: object) -> bool:
    """True for ``...`` and ``None``, and for a dict or list holding only those.

    Examples
    --------
    >>> is_unanswered(...), is_unanswered({"a": ..., "b": None}), is_unanswered({"a": 1})
    (True, True, False)
    """
    if value is Ellipsis or value is None:
        return True
    if isinstance(value, Mapping):
        return len(value) > 0 and all(is_unanswered(v) for v in value.values())
    if isinstance(value, list | tuple):
        return len(value) > 0 and all(is_unanswered(v) for v in value)
    return False


def as_number(value: object) -> float | None:
    """A plain number from an answer: a number, a one-value Series or DataFrame, or a
    reliability result. ``None`` when the answer is not one number.

    Examples
    --------
    >>> import pandas as pd
    >>> as_number(3), as_number(pd.Series([0.5])), as_number("3"), as_number([1, 2])
    (3.0, 0.5, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "value") and isinstance(value.value, numbers.Real):
        return float(value.value)  # ReliabilityResult and the like
    size = getattr(value, "size", None)
    if size == 1 and hasattr(value, "to_numpy"):
        item = value.to_numpy().ravel()[0]
        if isinstance(item, numbers.Real) and not isinstance(item, bool):
            return float(item)
    return None


def close(a: float | None, b: float, tol: float = 0.005) -> bool:
    """``a`` equals ``b`` to within ``tol`` (absolute); False when either is missing."""
    return a is not None and not math.isnan(b) and abs(a - b) <= tol


def fnum(x: float, lang: str | None = None, digits: int = 2) -> str:
    """A number as people in ``lang`` write it: a decimal comma in nb and da.

    Examples
    --------
    >>> fnum(12.8, "nb", 1), fnum(12.8, "en", 1), fnum(0.4567, "da", 2)
    ('12,8', '12.8', '0,46')
    """
    text = f"{x:.{digits}f}"
    return text.replace(".", ",") if language(lang) in ("nb", "da") else text


def fpct(x: float, lang: str | None = None) -> str:
    """A share as a whole percentage with a space before the sign (``'75 %'``).

    Examples
    --------
    >>> fpct(0.75, "nb")
    '75 %'
    """
    return f"{100 * x:.0f} %"
