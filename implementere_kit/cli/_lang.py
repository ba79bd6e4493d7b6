"""The language of the command line, known before parsing, and argparse speaking it.

argparse writes its own words (``usage:``, ``options``, ``invalid choice: …``, ``the
following arguments are required: …``) through :func:`gettext.gettext`, bound in the
module as ``argparse._`` (and ``argparse.ngettext``). While :func:`argparse_speaking` is in
force those two names answer from our locale files instead, so usage errors and ``--help`` come
in the user's language; a message argparse adds in a later Python version that has no key
here stays as argparse wrote it. Because ``--lang`` may come after the argument that fails,
the language is found by :func:`guess_lang` from the raw arguments before parsing starts.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path

from .._data import LANG_OF_COUNTRY, LANGS
from ..i18n import lang_from_environment, t

__all__ = ["ARGPARSE_KEYS", "argparse_speaking", "cli_lang", "guess_lang", "speaking", "tr"]

_LANG: ContextVar[str] = ContextVar("implementere_kit_cli_lang", default="en")

#: argparse's own messages (its gettext msgids, Python 3.11–3.13) → our locale keys. The
#: texts in the locale files keep argparse's ``%s`` / ``%(name)s`` placeholders.
ARGPARSE_KEYS = {
    "usage: ": "argparse_usage",
    "positional arguments": "argparse_positional_arguments",
    "options": "argparse_options",
    "show this help message and exit": "argparse_help",
    "show program's version number and exit": "argparse_version",
    "argument %(argument_name)s: %(message)s": "argparse_argument",
    "unrecognized arguments: %s": "argparse_unrecognized",
    "the following arguments are required: %s": "argparse_required",
    "one of the arguments %s is required": "argparse_one_of_required",
    "expected one argument": "argparse_expected_one",
    "expected at most one argument": "argparse_expected_at_most_one",
    "expected at least one argument": "argparse_expected_at_least_one",
    "expected %s argument": "argparse_expected_n_one",
    "expected %s arguments": "argparse_expected_n",
    "ambiguous option: %(option)s could match %(matches)s": "argparse_ambiguous",
    "invalid %(type)s value: %(value)r": "argparse_invalid_value",
    "invalid choice: %(value)r (choose from %(choices)s)": "argparse_invalid_choice",
    "not allowed with argument %s": "argparse_not_allowed_with",
    "ignored explicit argument %r": "argparse_ignored_explicit",
    "unexpected option string: %s": "argparse_unexpected_option",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "argparse_unknown_parser",
}


def cli_lang() -> str:
    """The language the command line speaks now (``en`` outside :func:`speaking`)."""
    return _LANG.get()


def tr(key: str, **fmt: object) -> str:
    """``key`` in the command line's language (:func:`cli_lang`)."""
    return t(key, cli_lang(), **fmt)


def _gettext(message: str) -> str:
    key = ARGPARSE_KEYS.get(message)
    return t(key, cli_lang()) if key else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Within the block, :func:`tr` and :func:`cli_lang` speak ``lang``."""
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


@contextlib.contextmanager
def argparse_speaking() -> Iterator[None]:
    """Within the block, argparse speaks the language of :func:`cli_lang`. Kept to building
    and parsing: argparse is shared by the whole process (a server the command starts uses
    it too), so its words are restored as soon as the arguments are read."""
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _gettext, _ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def _project_lang(token: str) -> str | None:
    """The language of the project in folder ``token``, if it is one (quietly None)."""
    from ..errors import ImplementereError
    from ..store._meta import load_meta

    try:
        meta_file = Path(token) / "project.json"
        if not meta_file.is_file():
            return None
        found = load_meta(meta_file).get("language")
    except (ImplementereError, OSError, ValueError):  # a damaged project is the command's
        return None                                    # error to report, not ours
    return found if found in LANGS else None


def guess_lang(argv: Sequence[str]) -> str:
    """The language to speak, from the raw arguments: ``--lang X`` (or ``--lang=X``), else
    the language of a project folder named among them, else a new project's ``--country``,
    else the user's locale.

    Examples
    --------
    >>> guess_lang(["status", "P", "--as-of", "x", "--lang=da"])
    'da'
    >>> guess_lang(["new", "P", "--country", "NO"])
    'nb'
    """
    argv = [a for a in argv if isinstance(a, str)]
    for i, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--lang=") else (
            argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None)
        if value in LANGS:
            return value
    for arg in argv:
        if arg and not arg.startswith("-") and (found := _project_lang(arg)):
            return found
    for i, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--country=") else (
            argv[i + 1] if arg == "--country" and i + 1 < len(argv) else None)
        if value in LANG_OF_COUNTRY:
            return LANG_OF_COUNTRY[value]
    return lang_from_environment()
