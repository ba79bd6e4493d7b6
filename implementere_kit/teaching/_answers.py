"""Reading a learner's answer before a check judges it: not answered yet, not a number, not
a mapping, or a code that is not one of the allowed ones. Shared by every check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import safe_value
from .feedback import Feedback, as_number, feedback, is_unanswered


def unanswered(ex: str, lang: str | None, missing=()) -> Feedback:
    """"Not answered yet", listing what is still open when only part is answered."""
    keys: list = ["not_answered"]
    if missing:
        keys.append(("still_to_answer", {"items": ", ".join(map(str, missing))}))
    return feedback(ex, "unanswered", keys, lang)


def number_answer(ex: str, answer, lang: str | None) -> tuple[float | None, Feedback | None]:
    """``(value, None)`` for an answer that is one number, else ``(None, feedback)``."""
    if is_unanswered(answer):
        return None, unanswered(ex, lang)
    x = as_number(answer)
    if x is None:
        return None, feedback(ex, "wrong", [("want_number", {"found": safe_value(answer)})],
                              lang)
    return x, None


def open_items(answer: Mapping, keys: Iterable[str]) -> list[str]:
    return [k for k in keys if is_unanswered(answer.get(k))]


def mapping_answer(ex: str, answer, keys: Iterable[str], lang: str | None,
                   *, blank=lambda v: False) -> Feedback | None:
    """``None`` when ``answer`` is a mapping with every key answered, else the feedback:
    not answered yet (listing the open keys), or not a mapping. ``blank(value)`` marks more
    values as not answered (e.g. empty text)."""
    keys = list(keys)
    if answer is Ellipsis or answer is None:
        return unanswered(ex, lang)
    if not isinstance(answer, Mapping):
        return feedback(ex, "wrong", [("want_mapping", {"found": type(answer).__name__})], lang)
    missing = [k for k in keys if is_unanswered(answer.get(k)) or blank(answer.get(k))]
    if len(missing) == len(keys):
        return unanswered(ex, lang)
    return unanswered(ex, lang, missing) if missing else None


def mappings_answer(ex: str, answers: list[tuple[object, list[str]]],
                    lang: str | None) -> Feedback | None:
    """:func:`mapping_answer` for an exercise answered in several mappings (``[(answer,
    keys), …]``): "not answered yet" while every one of them is still ``...``."""
    if all(a is Ellipsis or a is None for a, _ in answers):
        return unanswered(ex, lang)
    for answer, keys in answers:
        early = mapping_answer(ex, answer, keys, lang)
        if early:
            return early
    return None


def coded_exercise(ex: str, answers, expected: Mapping, valid: Iterable[str],
                   invalid_key: str, prefix: str, lang: str | None) -> Feedback:
    """The whole check of an exercise answered by one code per item (a phase, a type …):
    not answered, a code that is not allowed, the explanation of each wrong item, or
    ``<prefix>correct``."""
    early = mapping_answer(ex, answers, expected, lang)
    if early:
        return early
    lines = judge_codes(answers, expected, valid, invalid_key, prefix)
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", [f"{prefix}correct"], lang)


def judge_codes(answers: Mapping, expected: Mapping, valid: Iterable[str], invalid_key: str,
                prefix: str) -> list:
    """Feedback lines for coded answers: ``invalid_key`` for a code not in ``valid``,
    ``<prefix><key>`` (the explanation of that item) for a valid but wrong code."""
    valid = list(valid)
    lines = []
    for key, want in expected.items():
        got = answers[key]
        if got not in valid:
            lines.append((invalid_key, {"item": key, "found": safe_value(got),
                                        "expected": ", ".join(valid)}))
        elif got != want:
            lines.append((f"{prefix}{key}", {"item": key, "found": got}))
    return lines
