"""Shared pieces of the charts: the colour palette, label look-up and input checks.

Colours are the Okabe–Ito set, chosen to stay distinguishable with the common kinds of
colour-vision deficiency; where colour carries meaning (overdue, core component, the
user's own site) a second cue (hatch, marker shape, size) carries it too, as Okabe and Ito
recommend ("redundant coding").

References
----------
Okabe M, Ito K (2002, rev. 2008). Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import Problem, UnknownNameError, ValidationError, safe_value
from ..i18n import check_lang, column_label, fmt_number, t  # noqa: F401 - column_label re-exported
from ..store.tables import row_problems

__all__ = ["OKABE_ITO", "PALETTE", "PHASE_COLOURS", "GREY", "label", "column_label",
           "localised_ticks",
           "require", "new_axes", "dates"]

#: The eight Okabe–Ito colours.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
    "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
GREY = "#999999"
#: Categorical cycle: Okabe–Ito without black (kept for reference lines), grey last.
PALETTE = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "reddish_purple",
                                  "sky_blue", "vermillion", "yellow")] + [GREY]
#: One colour per implementere.no phase, the same on every chart.
PHASE_COLOURS = {"forberede": OKABE_ITO["sky_blue"], "planlegge": OKABE_ITO["orange"],
                 "implementere": OKABE_ITO["bluish_green"],
                 "viderefore": OKABE_ITO["reddish_purple"]}
HIGHLIGHT = OKABE_ITO["vermillion"]
GOOD = OKABE_ITO["bluish_green"]


def label(key: str, lang: str, fallback: str | None = None, **fmt) -> str:
    """Locale text for ``key``; ``fallback`` (or the key) when no language has it."""
    text = t(key, check_lang(lang), **fmt)
    return (fallback if fallback is not None else key) if text == key else text


def require(data, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Check that ``data`` is a DataFrame with ``columns``; list every missing one."""
    if not isinstance(data, pd.DataFrame):
        raise ValidationError([Problem(f"{what} must be a table", resource=what,
                                       expected="a pandas DataFrame",
                                       found=type(data).__name__)])
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValidationError([Problem("required column missing", resource=what, column=c,
                                       expected=", ".join(columns),
                                       found=safe_value(", ".join(map(str, data.columns)), 80))
                               for c in missing])
    return data.reset_index(drop=True)


def dates(df: pd.DataFrame, column: str, what: str, problems: list[Problem]) -> pd.Series:
    """Parse a date column; every non-empty value that is not a date becomes a Problem."""
    from ..store.tables import parse_dates

    raw = df[column]
    parsed = parse_dates(raw)  # the one parser: 03.02.2024 is 3 February
    problems += row_problems(parsed.isna() & raw.notna(), raw, message="not a date",
                             column=column, expected="a date", resource=what)
    return parsed


def numbers(df: pd.DataFrame, column: str, what: str, problems: list[Problem]) -> np.ndarray:
    """A numeric column as float; values that are not numbers become Problems."""
    raw = df[column]
    parsed = pd.to_numeric(raw, errors="coerce")
    problems += row_problems(parsed.isna() & raw.notna(), raw, message="not a number",
                             column=column, expected="a number", resource=what)
    return parsed.to_numpy(dtype="float64", na_value=np.nan)


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def new_axes(ax, figsize: tuple[float, float]):
    """``ax`` itself, or the axes of a new pyplot figure (so notebooks show it inline)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _decimal_sign_formatter(lang: str):
    """A plain number formatter whose tick labels use the decimal sign of ``lang``."""
    from matplotlib.ticker import ScalarFormatter

    point = fmt_number(0.5, lang, 1)[1]

    class DecimalSign(ScalarFormatter):
        def __call__(self, x, pos=None):
            return super().__call__(x, pos).replace(".", point)

    return DecimalSign()


def localised_ticks(chart):
    """Decorate a chart function: after it has drawn, the axes' plain number tick labels
    take the decimal sign of the chart's ``lang`` (``0,5`` in nb and da).

    Only axes still showing plain numbers change; categories, dates and percentages keep
    the formatter the chart chose. It runs after drawing because a formatter set earlier
    would stop matplotlib from labelling a categorical axis.
    """
    import functools
    import inspect

    sig = inspect.signature(chart)

    @functools.wraps(chart)
    def wrapper(*args, **kwargs):
        from matplotlib.ticker import ScalarFormatter  # not on import: charts load lazily

        ax = chart(*args, **kwargs)
        bound = sig.bind_partial(*args, **kwargs)
        lang = bound.arguments.get("lang", sig.parameters["lang"].default)
        if check_lang(lang) != "en":
            for axis in (ax.xaxis, ax.yaxis):
                if type(axis.get_major_formatter()) is ScalarFormatter:
                    axis.set_major_formatter(_decimal_sign_formatter(lang))
        return ax

    return wrapper


def percent_axis(axis) -> None:
    """Format an axis of shares (0–1) as percentages."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


def date_axis(axis, maxticks: int = 10) -> None:
    """Readable dates on an axis holding matplotlib date numbers."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def date_numbers(values) -> np.ndarray:
    """Datetimes as matplotlib date numbers (days since the epoch), NaT as NaN."""
    import matplotlib.dates as mdates

    from ..store.tables import parse_dates

    arr = parse_dates(pd.Series(values)).to_numpy(dtype="datetime64[ns]")
    out = np.full(len(arr), np.nan)
    ok = ~np.isnat(arr)
    out[ok] = mdates.date2num(arr[ok])
    return out


def phase_label(phase: str, lang: str) -> str:
    """The implementere.no phase name in ``lang`` (from the framework's data file)."""
    from ..plans.frameworks import load_framework

    try:
        return load_framework("implementere").phase(phase).label(lang)
    except UnknownNameError:  # reported by the caller; show the key meanwhile
        return str(phase)
