"""Read the CSV and Excel files municipalities really have.

Nordic Excel exports are separated by ``;`` (the comma is the decimal mark), encoded in
cp1252, UTF-8 with BOM or UTF-16 ("Unicode text"), carry ``dd.mm.yyyy`` dates and Norwegian
or Danish headings. :func:`read_table` reads them into a DataFrame with the English column
names of ``schemas/tables.yaml``; given a table it types and checks the data with
:func:`~implementere_kit.store.tables.validate_table`, so the caller gets typed data or one
:class:`~implementere_kit.errors.ValidationError` naming file, row and column of every problem.

* Cells are read as text. Only schema-numeric columns (and, with a table, extra columns made
  entirely of decimal numbers) become numbers, so the code ``0301`` keeps its zero.
* Headings are matched through ``schemas/aliases.yaml`` ignoring case, punctuation and the
  spelling of å/ø/æ (``Møte nr.`` = ``mote_nr`` = ``MOETENR``); :func:`column_mapping` and
  :func:`unknown_columns` show what was and was not recognised.
* Nothing in a file is executed: CSV goes through :mod:`csv`, workbooks through openpyxl with
  ``read_only=True, data_only=True`` (a formula yields its cached value, never a
  recalculation), and a cell like ``=cmd|' /C calc'!A0`` stays a plain string [3]_.
* Excel drops the zero of a code typed as a number (Oslo 0301 becomes 301). In a workbook's
  ``site`` column a 3-digit *number* is padded to 4 digits only when the column also holds a
  4-digit code: Norwegian kommunenummer have 4 digits, Danish kommunekoder 3 [4]_. A sheet
  holding only Oslo rows as numbers stays ``301``; store codes as text in Excel.

References
----------
.. [1] openpyxl 3.1, "Optimised modes", https://openpyxl.readthedocs.io/en/3.1/optimized.html
.. [2] H. Yang, "Saving files in 'Unicode Text (*.txt)' option" (UTF-16 LE with BOM),
   http://www.herongyang.com/Unicode/Excel-Save-File-in-Unicode-Text-txt.html
.. [3] MITRE CWE-1236, "Improper neutralization of formula elements in a CSV file".
.. [4] Kartverket, objektkatalog "Kommunenummer" (four digits, leading zero kept);
   Danmarks Statistik, "Amter og kommuner" (three digits, e.g. 101 København).

Examples
--------
>>> import tempfile, pathlib
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = pathlib.Path(tmp.name)
>>> _ = (folder / "fremmøde.csv").write_bytes(
...     "Deltager;Sessionsnr;Fremmøde\\nF1;1;ja\\nF2;1;afbud\\n".encode("cp1252"))
>>> df = read_table(folder / "fremmøde.csv", "attendance")
>>> df[["participant_id", "session_no", "attended"]]
  participant_id  session_no  attended
0             F1           1      True
1             F2           1     False
>>> tmp.cleanup()
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError
from ._aliases import (  # noqa: F401 - _heading_key and _scope stay importable from here
    _alias_index,
    _heading_key,
    _scope,
    _value_key,
    column_mapping,
    unknown_columns,
)
from .tables import row_problems, table_schema, validate_table

__all__ = ["read_table", "column_mapping", "unknown_columns", "UnreadableFileError",
           "ENCODINGS", "SEPARATORS"]

#: Encodings tried, in order, for a text file without a UTF-16 byte-order mark.
ENCODINGS = ("utf-8-sig", "cp1252")
#: Separators the sniffer chooses between (``;`` first: Nordic Excel's list separator).
SEPARATORS = (";", "\t", ",")
_SEP_NAMES = {";": "';'", "\t": "tab", ",": "','"}

_TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_HINTS = {  # formats people try that we do not read, with what to do instead
    ".xls": "an Excel 97-2003 workbook; save it as .xlsx or CSV",
    ".ods": "an OpenDocument spreadsheet; save it as .xlsx or CSV",
    ".pdf": "a PDF; export the table from its source as CSV or .xlsx",
    ".doc": "a Word document; copy the table into Excel and save as .xlsx",
    ".docx": "a Word document; copy the table into Excel and save as .xlsx",
    ".json": "JSON; read project data with Project.open",
    ".parquet": "Parquet; read project data with Project.open",
}
_MAGIC = [(b"%PDF", ".pdf"), (b"\xd0\xcf\x11\xe0", ".xls")]


class UnreadableFileError(ValidationError):
    """The file cannot be read as a table at all (missing, empty, binary, wrong format).

    It carries one :class:`~implementere_kit.errors.Problem` naming the file and what
    was tried, so callers that handle :class:`ValidationError` need nothing extra.
    """

    def __init__(self, message: str, file: str | None = None):
        super().__init__([Problem(message, file=file)])


# ---------------------------------------------------------------- bytes to records

def _unreadable(name: str, why: str) -> UnreadableFileError:
    tried = ", ".join(ENCODINGS) + " (utf-16 when the file starts with its byte-order mark)"
    seps = ", ".join(_SEP_NAMES[s] for s in SEPARATORS)
    return UnreadableFileError(
        f"could not read the file as a table ({why}); tried encodings {tried} and separators "
        f"{seps}. Save it from Excel as .xlsx or as 'CSV UTF-8' and try again", name)


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _unreadable(name, "broken UTF-16") from None
    half = len(raw) // 2
    tries = list(ENCODINGS)  # strict decoding: a wrong guess fails instead of garbling æøå
    if raw.count(0) > 0.3 * len(raw):
        # UTF-16 without a byte-order mark: the zero bytes of ASCII text sit on one side.
        tries = [e for e, side in (("utf-16-le", raw[1::2]), ("utf-16-be", raw[0::2]))
                 if side.count(0) > 0.8 * half]
    for enc in tries:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise _unreadable(name, "no encoding fits its bytes" if tries == list(ENCODINGS)
                      else "it looks like a binary file")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _parse(text: str, sep: str) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"'))
    except csv.Error:
        return None


def _text_records(raw: bytes, name: str) -> list[list[str]]:
    text = _decode(raw, name).rstrip("\x1a")  # DOS end-of-file marker
    if len(_CONTROL.findall(text)) > max(2, len(text) // 100):
        raise _unreadable(name, "it looks like a binary file")
    first, _, rest = text.partition("\n")
    hint = re.fullmatch(r"\s*sep=(.)\s*", first)  # Excel's own separator hint line
    if hint:
        rows = _parse(rest, hint.group(1))
        if rows is None:
            raise _unreadable(name, "the separator named on its first line does not fit")
        return rows
    best, best_score = None, None
    for order, sep in enumerate(SEPARATORS):
        rows = _parse(text, sep)
        filled = [r for r in rows or [] if any(c.strip() for c in r)]
        if not filled:
            continue
        width = Counter(len(r) for r in filled).most_common(1)[0][0]
        # Rows may be shorter (trailing cells trimmed) or padded with empty cells.
        fits = sum(2 <= len(r) <= width or (len(r) > width and not any(map(str.strip, r[width:])))
                   for r in filled) / len(filled)
        score = (fits, width, -order)
        if width > 1 and fits >= 0.5 and (best_score is None or score > best_score):
            best, best_score = rows, score
    if best is not None:
        return best
    single = _parse(text, SEPARATORS[0]) or []
    if all(len(r) <= 1 for r in single) and not any(s in text for s in SEPARATORS):
        return single  # a genuine one-column file
    raise _unreadable(name, "no separator gives rows of equal length")


def _cell_text(v: object) -> object:
    """A workbook cell as text, keeping ints (for code restoration) until later."""
    if v is None or isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return (v.date().isoformat() if v.time() == dt.time(0)
                else v.isoformat(sep=" ", timespec="seconds"))
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, float):  # Excel keeps 15 significant digits; hide binary noise
        return int(v) if v.is_integer() and abs(v) < 1e15 else f"{v:.15g}"
    return str(v)


def _excel_records(path: Path, sheet, name: str) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it ignores
            wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl errors all mean "not a workbook"
        raise UnreadableFileError(f"not a readable .xlsx workbook ({type(exc).__name__}); "
                                  "open it in Excel and save it again as .xlsx", name) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
            ws = wb.worksheets[sheet]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise UnreadableFileError(f"the workbook has no sheet {sheet!r}; its sheets are "
                                      + ", ".join(map(repr, names)), name)
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store a wrong used range; read every row
        return [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _records(path: Path, sheet) -> tuple[list[list[object]], bool]:
    name = path.name
    if not path.exists():
        raise UnreadableFileError("no such file", str(path))
    if path.is_dir():
        raise UnreadableFileError("this is a folder, not a file", str(path))
    raw = path.read_bytes()
    if not raw.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise UnreadableFileError("the file is empty", name)
    suffix = path.suffix.lower()
    kind = next((k for magic, k in _MAGIC if raw.startswith(magic)), suffix)
    if raw.startswith(b"PK\x03\x04") and suffix not in _HINTS:
        return _excel_records(path, sheet, name), True
    if kind in _HINTS:
        raise UnreadableFileError(f"this is {_HINTS[kind]}", name)
    if suffix in _EXCEL_SUFFIXES:
        raise UnreadableFileError("not a readable .xlsx workbook (no zip container)", name)
    if suffix not in _TEXT_SUFFIXES:
        raise UnreadableFileError(f"unsupported file type {suffix!r}; expected .csv, .txt "
                                  "or .xlsx", name)
    return _text_records(raw, name), False


# ---------------------------------------------------------------- records to a frame

def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _from_records(records: list[list[object]], name: str) -> pd.DataFrame:
    """Find the heading row, check row lengths and build an object DataFrame."""
    rows = list(records)
    # Skip empty lines and title lines above the headings ("Fremmøde KEEP hold 3;;;"):
    # a line with at most one filled cell, followed by a wider line.
    for _ in range(len(rows)):
        filled = [sum(not _blank(v) for v in r) for r in rows[:6]]
        if filled and (filled[0] == 0 or (filled[0] == 1 and max(filled) >= 2)):
            rows.pop(0)
        else:
            break
    if not rows:
        raise UnreadableFileError("the file is empty", name)
    header = ["" if _blank(v) else str(v).strip() for v in rows[0]]
    data = rows[1:]
    while data and all(_blank(v) for v in data[-1]):
        data.pop()  # Excel often leaves empty lines at the end
    width = len(header)
    lengths = [len(row) for row in data]
    too_long = [n > width and not all(_blank(v) for v in row[width:])
                for n, row in zip(lengths, data, strict=True)]
    problems = row_problems(too_long, lengths, message="row has more values than there are "
                            "headings", column=None, expected=f"{width} values", file=name)
    for h, n in Counter(h for h in header if h).items():
        if n > 1:
            problems.append(Problem("column heading appears more than once", file=name,
                                    column=h, expected="unique headings", found=f"{n} times"))
    if problems:
        raise ValidationError(problems)
    cells = [list(r[:width]) + [None] * (width - len(r)) for r in data]
    df = pd.DataFrame(cells, columns=range(width), dtype=object)
    # Drop the unnamed empty columns Excel pads with; name the others by position.
    keep = [j for j, h in enumerate(header) if h or not df[j].map(_blank).all()]
    df = df[keep]
    df.columns = [header[j] or f"column_{j + 1}" for j in keep]
    return df


def _restore_site_codes(col: pd.Series) -> pd.Series:
    """Pad 3-digit *numbers* to 4 digits when the column also holds 4-digit codes."""
    if not any(re.fullmatch(r"\s*\d{4}\s*", str(v)) for v in col if isinstance(v, int | str)):
        return col
    return col.map(lambda v: f"{v:04d}" if isinstance(v, int) and 100 <= v <= 999 else v)


def _as_text(col: pd.Series) -> pd.Series:
    text = col.map(lambda v: None if _blank(v) else str(v).strip())
    return text.astype("string")


_NUMBER = re.compile(r"[+-]?(?:0|[1-9]\d*)(?:[.,]\d+)?")


def _number_text(s: pd.Series) -> pd.Series:
    """Nordic number text to what :func:`validate_table` parses: 1 234,5 → 1234.5."""
    t = s.str.replace("\u2212", "-", regex=False)  # typographic minus
    t = t.str.replace(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))", "", regex=True)
    dotted = t.str.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+", na=False)
    t = t.where(~dotted, t.str.replace(".", "", regex=False))
    return t.str.replace(",", ".", regex=False)


def _map_values(s: pd.Series, lookup: dict[str, str]) -> pd.Series:
    keys = s.map(lambda v: lookup.get(_value_key(v)) if isinstance(v, str) else None)
    return s.where(keys.isna(), keys).astype("string")


def _prepare(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Schema-aware clean-up before validation: numbers, yes/no words, enum words."""
    _, _, values = _alias_index()
    schema = table_schema(table)
    out = df.copy()
    for f in schema.fields:
        col = f["name"]
        if col not in out.columns:
            continue
        if f["type"] in ("integer", "number"):
            out[col] = _number_text(out[col])
        elif f["type"] == "boolean":
            out[col] = _map_values(out[col], values.get("boolean", {}))
        elif col in values:
            out[col] = _map_values(out[col], values[col])
    for col in out.columns:
        if col in schema.columns:
            continue
        filled = out[col].dropna()
        if len(filled) and filled.str.fullmatch(_NUMBER).all() and filled.str.contains(
                r"[.,]").any():
            out[col] = pd.to_numeric(_number_text(out[col]))
    return out


def read_table(path, table: str | None = None, *, sheet=None) -> pd.DataFrame:
    """Read a CSV/TXT or XLSX file, rename its headings and optionally validate it.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.txt``/``.tsv`` text file (separator ``;``, tab or ``,`` sniffed;
        UTF-8, UTF-8 with BOM, cp1252 or UTF-16 with BOM) or an ``.xlsx`` workbook.
    table : str, optional
        A table of ``schemas/tables.yaml``. When given, the data are typed and checked by
        :func:`~implementere_kit.store.tables.validate_table` (with ``file`` set to the file's
        name); when omitted, every column is returned as text with blanks as ``<NA>``.
    sheet : str or int, optional
        Sheet name or 0-based position in a workbook; the first sheet by default.

    Returns
    -------
    DataFrame
        Columns renamed to schema names where recognised (see :func:`column_mapping`);
        unrecognised columns keep their heading.

    Raises
    ------
    UnreadableFileError
        Missing, empty, binary or unsupported file, or no encoding/separator fits; the
        message names the file and what was tried.
    ValidationError
        Rows longer than the heading row, repeated headings, or (with ``table``) every
        value that breaks the schema, each with row and column.

    Notes
    -----
    Rows are counted from the first row below the headings; title lines above them and
    empty lines at the end are skipped. Cells are stripped of surrounding spaces; nothing
    else changes unless the schema asks for a number, a yes/no or a fixed set of values,
    where the words of ``schemas/aliases.yaml`` (``afbud``, ``møtt``) are understood.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = tempfile.TemporaryDirectory()
    >>> f = pathlib.Path(tmp.name) / "samlinger.csv"
    >>> _ = f.write_text("Kommunenr;Gruppe;Samling;Dato;Varighet\\n"
    ...                  "0301;G1;1;05.09.2024;90\\n0301;G1;2;12.09.2024;87,5\\n",
    ...                  encoding="utf-8-sig")
    >>> read_table(f)["site"].tolist()
    ['0301', '0301']
    >>> df = read_table(f, "sessions")
    >>> df[["site", "session_no", "date", "duration_min"]]
       site  session_no       date  duration_min
    0  0301           1 2024-09-05          90.0
    1  0301           2 2024-09-12          87.5
    >>> tmp.cleanup()
    """
    path = Path(path)
    if table is not None:
        table_schema(table)  # an unknown table name fails before the file is read
    records, from_excel = _records(path, sheet)
    df = _from_records(records, path.name)
    df = df.rename(columns=column_mapping(df.columns, table))
    if from_excel and "site" in df.columns:
        df["site"] = _restore_site_codes(df["site"])
    df = pd.DataFrame({c: _as_text(df[c]) for c in df.columns}, index=df.index)
    if table is None:
        return df
    return validate_table(_prepare(df, table), table, file=path.name)
