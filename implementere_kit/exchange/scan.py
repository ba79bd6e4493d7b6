"""Scan tables and descriptors for personal identifiers; report places, never values.

:func:`find_personal_ids` scans every text and number cell of a table, its column names
and its index; :func:`find_ids_in_metadata` every string, number and key of a nested
JSON-like descriptor. Both work on distinct values (a cheap RE2 pre-filter in pyarrow,
Python regexes on the few candidates, dates and control digits in numpy), so a million
rows with few distinct values cost little. What counts as an identifier is defined in
:mod:`.identifiers`.

Which numbers may be phone numbers
----------------------------------
An 8-digit number in a numeric column is a phone number unless the column is a count or
measure: a column declared ``integer`` or ``number`` for its table in ``tables.yaml``, or
one whose name says so (a word such as ``n``, ``count``, ``antall``, ``total``, ``sum``,
``amount``, ``beløp``, ``budget``, ``cost``, ``kr``, ``minutes``, ``bytes``, ``size`` …,
see :data:`MEASURE_WORDS`). ``n_eligible = 12345678`` is a count; a column ``mobil`` or
``kontakt`` holding 91234567 is a phone number. Text cells are always checked.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"note": ["ring 912 34 567", "barn 010203-1234 i gruppe", "ok"],
...                    "n_eligible": [12345678, 40, 41], "date": ["2024-01-05"] * 3})
>>> find_personal_ids(df, table="activities")
        table column   kind  count rows
0  activities   note    cpr      1 (2,)
1  activities   note  phone      1 (1,)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import ImplementereError, Problem, ValidationError
from .identifiers import KINDS, as_floats, is_number, scan_numbers, scan_text, text_of

__all__ = ["FINDING_COLUMNS", "METADATA_COLUMNS", "MAX_ROWS_SHOWN", "MEASURE_WORDS",
           "MAX_METADATA_DEPTH", "MAX_METADATA_ITEMS", "MAX_METADATA_CHARS",
           "find_personal_ids", "find_ids_in_metadata", "numbers_may_be_phones", "check_kinds"]

FINDING_COLUMNS = ["table", "column", "kind", "count", "rows"]
METADATA_COLUMNS = ["file", "path", "kind"]
#: How many row numbers a finding lists (1-based, as a person counts rows).
MAX_ROWS_SHOWN = 5
#: Words in a column name that mark a count or measure (no phone check on its numbers).
MEASURE_WORDS = frozenset((
    "n", "count", "counts", "antall", "antal", "total", "totals", "sum", "sums", "amount",
    "amounts", "belop", "beløp", "beløb", "budget", "budsjett", "cost", "costs", "kostnad",
    "kostnader", "udgift", "udgifter", "price", "pris", "kr", "nok", "dkk", "eur", "sek",
    "minutes", "min", "seconds", "sec", "hours", "days", "weeks", "months", "years", "age",
    "bytes", "size", "rows", "k", "score", "mean", "median", "sd"))
#: Limits checked while a descriptor is walked, before any of it is scanned.
MAX_METADATA_DEPTH = 64
MAX_METADATA_ITEMS = 200_000
MAX_METADATA_CHARS = 20_000_000
_WORDS = re.compile(r"[^\W_]+")


# -- tables ------------------------------------------------------------------------------
def check_kinds(kinds: str | Iterable[str] | None) -> tuple[str, ...]:
    """``kinds`` as a tuple of known kinds (all when None); ValidationError otherwise."""
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = (kinds,)
    try:
        kinds = tuple(kinds)
    except TypeError:
        raise ValidationError([Problem("kinds must be a kind or a list of kinds", column="kinds",
                                       expected=", ".join(KINDS),
                                       found=type(kinds).__name__)]) from None
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValidationError([Problem("unknown kind of personal identifier", column="kinds",
                                       expected=", ".join(KINDS), found=repr(k)[:40])
                               for k in bad])
    return kinds


def numbers_may_be_phones(table: str | None, column) -> bool:
    """Whether 8-digit numbers in ``column`` are checked as phone numbers (module docstring).

    Examples
    --------
    >>> numbers_may_be_phones("eligible", "n_eligible"), numbers_may_be_phones(None, "budget_kr")
    (False, False)
    >>> numbers_may_be_phones(None, "mobil"), numbers_may_be_phones("staff", "kontakt")
    (True, True)
    """
    name = str(column).lower()
    if table is not None:
        from ..store.tables import table_schema

        try:
            field = table_schema(str(table)).field(name)
        except ImplementereError:
            field = None
        if field is not None and field.get("type") in ("integer", "number"):
            return False
    return not (set(_WORDS.findall(name)) & MEASURE_WORDS or name.startswith("number_of"))


def _split(uniq) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values as (positions of numbers, their values, positions of texts, texts);
    booleans and missing values are neither."""
    n = len(uniq)
    none, no_text = np.array([], dtype=np.int64), np.array([], dtype=object)
    dtype = getattr(uniq, "dtype", None)
    if dtype is not None and dtype.kind in "iuf":
        return np.arange(n), np.asarray(uniq, dtype=np.float64), none, no_text
    vals = np.asarray(uniq, dtype=object)
    if pd.api.types.infer_dtype(vals, skipna=False) == "string":
        return none, np.array([]), np.arange(n), vals
    is_num = np.fromiter((is_number(x) for x in vals), dtype=bool, count=n)
    skip = is_num | np.fromiter((x is None or isinstance(x, bool | np.bool_) for x in vals),
                                dtype=bool, count=n)
    num_pos, txt_pos = np.flatnonzero(is_num), np.flatnonzero(~skip)
    nums = as_floats(vals[num_pos])
    texts = np.array([x if isinstance(x, str) else text_of(x) for x in vals[txt_pos]],
                     dtype=object)
    return num_pos, nums, txt_pos, texts


def _factorize(s: pd.Series) -> tuple[np.ndarray, object]:
    try:
        return pd.factorize(s, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): read them as their text
        return pd.factorize(s.map(lambda x: x if isinstance(x, str | int | float | None)
                                  else text_of(x)), use_na_sentinel=True)


def _first(hit: np.ndarray) -> tuple[int, tuple[int, ...]]:
    """How many entries are true, and the first 1-based positions."""
    at = np.flatnonzero(hit)
    return len(at), tuple(int(i) + 1 for i in at[:MAX_ROWS_SHOWN])


class _Texts:
    """Texts of many columns and labels, gathered so one pass scans them all: a pyarrow
    call costs the same for ten values as for a thousand."""

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.size = 0
        self.hits: dict[str, np.ndarray] = {}

    def add(self, texts) -> slice:
        texts = np.asarray(texts, dtype=object)
        self.parts.append(texts)
        self.size += len(texts)
        return slice(self.size - len(texts), self.size)

    def scan(self, kinds: tuple[str, ...]) -> None:
        everything = np.concatenate(self.parts) if self.parts else np.array([], dtype=object)
        self.hits = scan_text(everything, kinds)

    def found(self, part: slice) -> dict[str, np.ndarray]:
        return {k: m[part] for k, m in self.hits.items()}


def find_personal_ids(df: pd.DataFrame, *, table: str | None = None,
                      kinds: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Find where a table holds personal identifiers; values are never returned.

    Parameters
    ----------
    df : DataFrame
        The table: every text, number and mixed column, the column names, the index
        (unless it is the default 0, 1, 2, …) and the names of columns and index.
    table : str, optional
        Name put in the ``table`` column of the result (``<table>`` if the name itself
        holds an identifier).
    kinds : str or iterable of str, optional
        Subset of :data:`~.identifiers.KINDS` to look for (default all).

    Returns
    -------
    DataFrame
        ``table``, ``column``, ``kind``, ``count`` (rows whose cell holds at least one
        identifier of that kind) and ``rows`` (the first :data:`MAX_ROWS_SHOWN` of them,
        1-based), one row per column and kind; empty when the table is clean. Column
        names holding an identifier are reported as ``<column names>`` with the columns'
        positions in ``rows``, and their cells under ``<column i>``; the index as
        ``<index>`` and the names of index and columns as ``<index name>``.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationError([Problem("cannot scan for personal identifiers", expected=
                                       "a pandas DataFrame", found=type(df).__name__)])
    if table is not None and not isinstance(table, str):
        raise ValidationError([Problem("table name must be text", column="table",
                                       expected="str", found=type(table).__name__)])
    kinds = check_kinds(kinds)
    texts = _Texts()
    names = [x for x in [*df.index.names, *df.columns.names] if x is not None]
    label_parts = [texts.add([table] if table is not None else []),
                   texts.add([text_of(c) for c in df.columns]),
                   texts.add([text_of(x) for x in names])]
    series = []
    index = df.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        for i in range(index.nlevels):
            series.append(("<index>" if index.nlevels == 1 else f"<index level {i + 1}>",
                           pd.Series(index.get_level_values(i), copy=False),
                           numbers_may_be_phones(None, index.names[i] or "")))
    series += [(i, df.iloc[:, i], numbers_may_be_phones(table, df.columns[i]))
               for i in range(df.shape[1])]
    plans = []
    for name, s, phones in series:
        if pd.api.types.is_bool_dtype(s.dtype) or s.dtype.kind in "mMcV":
            continue
        codes, uniq = _factorize(s)
        num_pos, nums, txt_pos, txt = _split(uniq)
        hit = {k: np.zeros(len(uniq), dtype=bool) for k in kinds}
        if len(nums):
            for k, m in scan_numbers(nums, kinds, phone=phones).items():
                hit[k][num_pos[m]] = True
        plans.append((name, codes, hit, txt_pos, texts.add(txt)))
    texts.scan(kinds)
    # labels first: a column whose name holds an identifier is shown by its position
    rows = [("<table>", "<table name>", k, 1, ()) for k, m in
            texts.found(label_parts[0]).items() if m.any()]
    table = "<table>" if rows else table
    bad_label = np.zeros(df.shape[1], dtype=bool)
    for k, m in texts.found(label_parts[1]).items():
        bad_label |= m
        if m.any():
            rows.append((table, "<column names>", k, *_first(m)))
    rows += [(table, "<index name>", k, int(m.sum()), ()) for k, m in
             texts.found(label_parts[2]).items() if m.any()]
    for name, codes, hit, txt_pos, part in plans:
        shown = name if isinstance(name, str) else (
            f"<column {name + 1}>" if bad_label[name] else text_of(df.columns[name]))
        for k, m in texts.found(part).items():
            hit[k][txt_pos[m]] = True
        for k in kinds:
            if hit[k].any():
                count, first = _first(np.append(hit[k], False)[codes])  # code -1: missing
                if count:
                    rows.append((table, shown, k, count, first))
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return out.astype({"count": np.int64, "table": object, "column": object, "kind": object})


# -- descriptors -------------------------------------------------------------------------
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _too_big(message: str, file, expected: str, found: str) -> ValidationError:
    return ValidationError([Problem(message, file=file, expected=expected, found=found)])


def _walk(obj, file, paths: bool = True) -> tuple[list, list]:
    """Keys and leaves of ``obj`` with their paths, walked without recursion.

    A path is a tuple of steps: an int (list position) or ``(key text, 1-based position
    in its object)``; with ``paths=False`` only the text of the last key above (what
    :func:`numbers_may_be_phones` reads), which spares a tuple per value. Limits on depth,
    items and characters are checked as the walk goes, so an absurd object is refused
    before anything is scanned.
    """
    keys, leaves = [], []
    stack = [(obj, 0, () if paths else "")]
    items = chars = 0
    while stack:
        node, depth, path = stack.pop()
        items += 1
        if items > MAX_METADATA_ITEMS:
            raise _too_big("metadata has too many values (or refers to itself)", file,
                           f"at most {MAX_METADATA_ITEMS:,}", f"more than {MAX_METADATA_ITEMS:,}")
        if isinstance(node, dict | list | tuple) and depth >= MAX_METADATA_DEPTH:
            raise _too_big("metadata is nested too deeply", file,
                           f"at most {MAX_METADATA_DEPTH} levels", f"more than {MAX_METADATA_DEPTH}")
        if isinstance(node, dict):
            children = []
            for pos, (key, value) in enumerate(node.items(), start=1):
                text = key if isinstance(key, str) else text_of(key)
                chars += len(text)
                keys.append((text, path, pos))
                children.append((value, depth + 1, (*path, (text, pos)) if paths else text))
            stack.extend(reversed(children))
        elif isinstance(node, list | tuple):
            stack.extend(reversed([(v, depth + 1, (*path, i) if paths else path)
                                   for i, v in enumerate(node)]))
        elif node is not None and not isinstance(node, bool | np.bool_):
            if not isinstance(node, str | int | float | np.integer | np.floating):
                node = text_of(node)
            chars += len(node) if isinstance(node, str) else 0
            leaves.append((node, path))
        if chars > MAX_METADATA_CHARS:
            raise _too_big("metadata holds too much text", file,
                           f"at most {MAX_METADATA_CHARS:,} characters",
                           f"more than {MAX_METADATA_CHARS:,}")
    return keys, leaves


def _render(path: tuple, hidden: set) -> str:
    """``resources[2].schema.fields[0].name``; a key holding an identifier as ``<key i>``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
            continue
        text, pos = step
        if text in hidden:
            part = f"<key {pos}>"
        elif _PLAIN_KEY.fullmatch(text):
            part = text
        else:
            out += "[" + repr(text if len(text) <= 40 else text[:39] + "…") + "]"
            continue
        out += ("." if out else "") + part
    return out or "<root>"


def find_ids_in_metadata(obj, *, file: str | None = None,
                         kinds: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Find where a nested descriptor (dicts and lists) holds personal identifiers.

    Every string and number is scanned, and every key; numbers get the person-number
    checks, and the phone check unless their key names a count or measure (``bytes``,
    ``rows``, ``k``, …; see :func:`numbers_may_be_phones`). Depth, number of values and
    amount of text are limited (:data:`MAX_METADATA_DEPTH`, :data:`MAX_METADATA_ITEMS`,
    :data:`MAX_METADATA_CHARS`) and checked while walking, before scanning: a bigger
    object raises :class:`~implementere_kit.errors.ValidationError`, never a
    ``RecursionError``.

    Parameters
    ----------
    obj : dict, list or scalar
        A parsed ``datapackage.json`` or any JSON-like object.
    file : str, optional
        Name put in the ``file`` column of the result and in errors.
    kinds : str or iterable of str, optional
        Subset of :data:`~.identifiers.KINDS` to look for (default all).

    Returns
    -------
    DataFrame
        ``file``, ``path`` (``title``, ``implementere_kit.site_name``,
        ``resources[2].schema.fields[0].name``; a key holding an identifier is shown as
        ``<key i>``, its position in its object) and ``kind``; values are never returned.

    Examples
    --------
    >>> desc = {"title": "Fjordheim: ring 912 34 567", "resources": [
    ...     {"name": "staff", "schema": {"fields": [{"name": "ola@fjordheim.no"}]}}],
    ...     "implementere_kit": {"site": "9901", "k": 5, "bytes": 91234567}}
    >>> find_ids_in_metadata(desc, file="datapackage.json")
                   file                            path   kind
    0  datapackage.json  resources[0].schema.fields[0].name  email
    1  datapackage.json                           title  phone
    """
    if file is not None and not isinstance(file, str):
        file = text_of(file)
    kinds = check_kinds(kinds)
    # Metadata is nearly always clean: a first walk without paths finds out cheaply; the
    # paths are walked only to say where something is.
    if _found(*_walk(obj, file, paths=False), kinds, paths=False):
        rows = _found(*_walk(obj, file), kinds)
        order = {k: i for i, k in enumerate(KINDS)}
        rows = sorted(set(rows), key=lambda r: (r[0], order[r[1]]))
    else:
        rows = []
    return pd.DataFrame([(file, p, k) for p, k in rows], columns=METADATA_COLUMNS, dtype=object)


def _found(keys: list, leaves: list, kinds: tuple, paths: bool = True) -> list[tuple]:
    """``(rendered path, kind)`` for each key and leaf of :func:`_walk` holding an
    identifier (with ``paths=False``, the last key in place of the path)."""
    rows = []
    hidden: set[str] = set()

    def render(path, step=None):
        if not paths:
            return path if step is None else step[0]
        return _render(path if step is None else (*path, step), hidden)

    if keys:
        distinct = list(dict.fromkeys(k for k, _, _ in keys))
        hits = scan_text(np.array(distinct, dtype=object), kinds)
        bad = {distinct[i]: k for k, m in hits.items() for i in np.flatnonzero(m)}
        hidden = set(bad)
        rows += [(render(path, (text, pos)), bad[text]) for text, path, pos in keys
                 if text in bad]
    texts = [(v, p) for v, p in leaves if isinstance(v, str)]
    if texts:
        distinct = list(dict.fromkeys(v for v, _ in texts))
        hits = scan_text(np.array(distinct, dtype=object), kinds)
        # only the kinds found, and only their values, go back to the paths
        found = {kind: {distinct[i] for i in np.flatnonzero(m)} for kind, m in hits.items()
                 if m.any()}
        for kind, values in found.items():
            rows += [(render(p), kind) for v, p in texts if v in values]
    numbers = [(v, p) for v, p in leaves if not isinstance(v, str)]
    may_be_phone = [numbers_may_be_phones(None, _last_key(p) if paths else p)
                    for _, p in numbers]
    for phones in (True, False):
        group = [vp for vp, ph in zip(numbers, may_be_phone, strict=True) if ph is phones]
        if group:
            vals = as_floats(v for v, _ in group)
            for kind, m in scan_numbers(vals, kinds, phone=phones).items():
                rows += [(render(group[i][1]), kind) for i in np.flatnonzero(m)]
    return rows


def _last_key(path: tuple) -> str:
    for step in reversed(path):
        if not isinstance(step, int):
            return step[0]
    return ""
