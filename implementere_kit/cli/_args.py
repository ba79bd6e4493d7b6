"""Argument parsing that fails in one line: typed arguments and a parser that exits 1.

argparse prints its usage and exits 2 on a bad argument; here every bad date, number,
choice or missing argument becomes one line (``implementere-kit new: error: …``) and
exit status 1, like every other error of the command.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from .._data import LANG_OF_COUNTRY, LANGS
from ..errors import ImplementereError, safe_value
from ..i18n import labels, t
from ._lang import tr

__all__ = ["Parser", "UsageError", "date_arg", "whole_number", "LANGS", "LANG_OF_COUNTRY",
           "output_format", "printable", "DATE_YEARS"]

#: Years a date argument may fall in: a plan spans years from its start, and pandas counts
#: time in nanoseconds only from 1677 to 2262, so 9999-12-31 would fail deep in a table.
DATE_YEARS = (1900, 2199)


class UsageError(ImplementereError):
    """A command line argument is missing or malformed (the message names it).

    ``message`` is a locale key (``cli_…``) filled with ``fields``, told in each language
    by :func:`~implementere_kit.i18n.error_text`; or a text already in the user's language
    (argparse's own, see :mod:`._lang`).
    """

    def __init__(self, message: str, prog: str | None = None, **fields: object):
        self.prog = prog
        if message in labels("en"):
            self.message_key, self.message_args = message, fields
            message = t(message, "en", **fields)
        super().__init__(message)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are :class:`UsageError` (one line, exit 1), and
    whose placeholders (``--as-of DATE``) come from the locale files (``cli_metavar_<dest>``)
    in the language of :func:`._lang.speaking`."""

    def add_argument(self, *names, **kwargs):
        if "metavar" not in kwargs and "choices" not in kwargs and kwargs.get("action") in (
                None, "store"):
            longs = [n for n in names if n.startswith("--")] or list(names)
            dest = kwargs.get("dest") or longs[0].lstrip("-").replace("-", "_")
            text = tr(f"cli_metavar_{dest}")
            if text != f"cli_metavar_{dest}":
                kwargs["metavar"] = text
        return super().add_argument(*names, **kwargs)

    def error(self, message: str):
        raise UsageError(" ".join(message.split()), prog=self.prog)


def printable(text: str) -> str:
    r"""``text`` on one line: line breaks and other control characters shown escaped.

    Examples
    --------
    >>> printable("a\nb\tc")
    'a\\nb\\tc'
    """
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def date_arg(text: str):
    """A date written ``YYYY-MM-DD``, ``dd.mm.yyyy`` or ``dd-mm-yyyy`` (as in data files).

    Examples
    --------
    >>> date_arg("01.03.2025").isoformat()
    '2025-03-01'
    >>> date_arg("2025-02-30")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: not a date: expected YYYY-MM-DD or dd.mm.yyyy, found '2025-02-30'
    >>> date_arg("9999-12-31")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: date out of range: expected a date from 1900 to 2199, found '9999-12-31'
    """
    import pandas as pd

    from ..store.tables import parse_dates

    value = parse_dates(pd.Series([text], dtype="string")).iloc[0] if text.strip() else pd.NaT
    if pd.isna(value):
        raise argparse.ArgumentTypeError(tr("cli_not_a_date", found=safe_value(text)))
    low, high = DATE_YEARS
    if not low <= value.year <= high:
        raise argparse.ArgumentTypeError(tr("cli_date_out_of_range", low=low, high=high,
                                            found=safe_value(text)))
    return value.date()


def whole_number(low: int | None = None, high: int | None = None):
    """An argument type for a whole number between ``low`` and ``high`` (inclusive)."""
    def parse(text: str) -> int:
        if not re.fullmatch(r"\s*[+-]?\d{1,18}\s*", text, re.ASCII):
            raise argparse.ArgumentTypeError(tr("cli_not_a_whole_number",
                                                found=safe_value(text)))
        n = int(text)
        if (low is not None and n < low) or (high is not None and n > high):
            key = "cli_whole_number_between" if high is not None else "cli_whole_number_from"
            raise argparse.ArgumentTypeError(tr(key, low=low, high=high, found=n))
        return n

    parse.__name__ = "whole number"
    return parse


def output_format(path: str, formats: dict[str, str], given: str | None) -> str:
    """The format an output file's suffix asks for; a mismatch with ``--format`` is refused.

    Examples
    --------
    >>> output_format("r.xlsx", {".html": "html", ".xlsx": "xlsx"}, None)
    'xlsx'
    >>> output_format("r.pdf", {".html": "html", ".xlsx": "xlsx"}, None)
    Traceback (most recent call last):
    ...
    implementere_kit.cli._args.UsageError: -o r.pdf: the file name must end in .html / .xlsx
    """
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise UsageError("cli_output_suffix", path=path, suffixes=" / ".join(formats))
    fmt = formats[suffix]
    if given is not None and given != fmt:
        raise UsageError("cli_output_format_clash", path=path, fmt=fmt, given=given)
    return fmt
