"""The report's tables as an Excel workbook that reads like the report.

Numbers are numbers (shares with a percent format, counts without decimals, other
numbers with two), dates are dates, headings and coded values are in the report's
language, the header row is frozen and filtered, and columns are as wide as their
content. Text that Excel would read as a formula stays text (``_io.formula_like``).

References
----------
openpyxl 3.1, "Simple usage" and ``openpyxl.styles.numbers`` (number formats),
https://openpyxl.readthedocs.io/en/3.1/
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import atomic_write_bytes, formula_like
from ..i18n import (
    CODED_COLUMNS,
    column_label,
    fmt_bool,
    is_missing,
    t,
    value_label,
    whole_numbers,
)

__all__ = ["write_xlsx", "percent_columns"]

_SHARE_NAMES = {"adherence", "proportion", "mean_dosage", "cumulative_share", "ci_level"}
# Columns of a table with one measure per row that hold the measure's value (or its limits,
# or the network's figures: the coordinator's benchmarks keep medians and quartiles).
_VALUE_COLUMNS = ("value", "target", "network_value", "network_median", "network_q1",
                  "network_q3", "lower95", "upper95", "lower998", "upper998")
# A measure's unit (measures.yaml) → how its values are shown: scores with two decimals.
_UNIT_KIND = {"share": "percent", "count": "whole", "days": "whole", "stage": "whole",
              "score": None}
_DATE_FORMAT = {"nb": "dd.mm.yyyy", "da": "dd.mm.yyyy", "en": "yyyy-mm-dd"}
_PCT_TEXT = re.compile(r"^(-?\d+(?:[.,]\d+)?)\s?%$")
_MIN_WIDTH, _MAX_WIDTH = 8, 60


def percent_columns(df: pd.DataFrame) -> list[str]:
    """Columns that hold shares between 0 and 1 throughout (shown as percentages).

    Examples
    --------
    >>> percent_columns(pd.DataFrame(columns=["n", "share_done", "adherence", "sic_stage"]))
    ['share_done', 'adherence']
    """
    return [c for c in df.columns if str(c).startswith("share_") or c in _SHARE_NAMES
            or str(c).endswith("_proportion")]


def _row_kinds(df: pd.DataFrame) -> list[str | None] | None:
    """How the value columns of each row are shown, when every row is one measure of the
    catalogue (``measure_id`` or ``indicator``): by the measure's unit; else None."""
    from ..measures.catalogue import measures

    ms = measures()
    for col in ("measure_id", "indicator"):
        if col in df:
            return [_UNIT_KIND[ms[m].unit] if m in ms else None for m in df[col]]
    return None


def _heading(col: str, lang: str) -> str:
    """A column's label; a measure's name for the columns of a wide table of measures."""
    from ..measures.catalogue import measures

    text = column_label(col, lang)
    found = measures().get(col)
    return found.label(lang) if text == col and found is not None else text


def _label(col: str, value, lang: str):
    """A coded cell as its label; numbers and free text unchanged."""
    from ..measures.catalogue import measures
    from ..store.overview import phase_label, role_label

    if col == "indicator" and value in measures():
        return measures()[value].label(lang)
    if col in ("phase", "basis"):  # SIC phases and where the stages come from
        text = t(f"sic_{col}_{value}", lang)
        if text != f"sic_{col}_{value}":
            return text
        return phase_label(value, lang) if col == "phase" else value
    if col == "owner":
        return role_label(value, lang)
    if col in ("reason", "network_reason") and isinstance(value, str):
        from ..measures.summary import note_text  # why a figure is missing or withheld

        return note_text(value, lang, network=col == "network_reason") or value
    if col == "period" and value == "all":
        return t("report_period_all", lang)
    if col in CODED_COLUMNS:
        return value_label(col, value, lang)
    return value


def _summary_value(text):
    """The summary's text back into a typed cell: ``69`` → 69, ``3 %`` → 0.03, a date."""
    if not isinstance(text, str):
        return text, None
    s = text.strip()
    if re.fullmatch(r"-?\d+", s):
        return int(s), "int"
    m = _PCT_TEXT.match(s)
    if m:
        return float(m.group(1).replace(",", ".")) / 100, "percent"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        return dt.date.fromisoformat(s), "date"
    return text, None


def _text(value: str) -> str:
    """Text as a cell may hold it: control characters (which openpyxl refuses, and which
    Excel cannot store) shown as U+FFFD, so a title typed with one still gets a workbook."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def _cell(value, kind: str | None, lang: str):
    """A value and its number format for one cell."""
    if is_missing(value):
        return None, None
    if isinstance(value, bool | np.bool_):
        return fmt_bool(bool(value), lang), None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return pd.Timestamp(value).tz_localize(None).date(), _DATE_FORMAT[lang]
    if isinstance(value, dt.date):
        return value, _DATE_FORMAT[lang]
    if isinstance(value, int | np.integer):
        return int(value), "0%" if kind == "percent" else "#,##0"
    if isinstance(value, float | np.floating):
        if kind == "percent":
            return float(value), "0%"
        return float(value), "#,##0" if kind == "whole" else "#,##0.00"
    return (_text(value) if isinstance(value, str) else value), None


def _sheet(ws, name: str, df: pd.DataFrame, lang: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from ..measures.catalogue import share_ids

    shares = set(percent_columns(df)) | {c for c in df.columns if c in share_ids()}
    row_kinds = _row_kinds(df)
    headers = [_text(_heading(str(c), lang)) for c in df.columns]
    widths = [len(h) for h in headers]
    for j, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j, value=h)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if formula_like(h):
            cell.data_type = "s"
    for j, col in enumerate(df.columns, start=1):
        s = df[col]
        whole = pd.api.types.is_float_dtype(s) and whole_numbers(s)
        by_row = row_kinds is not None and col in _VALUE_COLUMNS
        for i, v in enumerate(s.tolist()):
            kind = (row_kinds[i] if by_row else "percent" if col in shares
                    else "whole" if whole else None)
            if name == "summary" and col == "value":
                v, kind = _summary_value(v)
            v = _label(str(col), v, lang) if isinstance(v, str) else v
            value, fmt = _cell(v, kind, lang)
            cell = ws.cell(row=i + 2, column=j, value=value)
            if fmt:
                cell.number_format = fmt
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
                if formula_like(value):
                    cell.quotePrefix = True
            shown = len(str(value)) if fmt is None or fmt == "#,##0" else (
                10 if isinstance(value, dt.date) else len(f"{value:,.2f}"))
            widths[j - 1] = max(widths[j - 1], shown)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(_MIN_WIDTH,
                                                               min(_MAX_WIDTH, w + 2))
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(1, len(df) + 1)}"


def _sheet_name(name: str, lang: str, used: set[str]) -> str:
    text = t(f"sheet_{name}", lang)
    text = name if text == f"sheet_{name}" else text
    # Excel caps sheet names at 31 characters and forbids []:*?/\
    text = "".join(ch for ch in text if ch not in "[]:*?/\\")[:31] or "sheet"
    while text in used:
        text = text[:29] + "_" + str(len(used))
    used.add(text)
    return text


def write_xlsx(tables: dict[str, pd.DataFrame], out, *, lang: str = "en") -> Path:
    """Write tables to an Excel workbook, one sheet per table, atomically.

    Parameters
    ----------
    tables : dict
        Sheet id (``summary``, ``phase_progress`` …) → table; sheet names and headings
        come from the locales (``sheet_<id>``, ``col_<column>``).
    out : path
    lang : {"nb", "da", "en"}
        Language of sheet names, headings, coded values and yes/no.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, df in tables.items():
        ws = wb.create_sheet(_sheet_name(name, lang, used))
        _sheet(ws, name, df.reset_index(drop=True), lang)
    if not wb.sheetnames:
        wb.create_sheet(_sheet_name("empty", lang, used))
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(out, buf.getvalue())
