"""Privacy guard: find personal identifiers before data leave a municipality; keyed pseudonyms.

:func:`find_personal_ids` scans a table's text and numeric columns, column labels and index
for CPR numbers, fødselsnummer, D- and H-nummer, e-mail addresses and phone numbers, working
on distinct values (``value_counts``): a cheap RE2 pre-filter (pyarrow), Python regexes on
the few candidates, then dates and control digits checked with numpy on all at once.
:func:`check_no_personal_ids` raises :class:`~implementere_kit.errors.PrivacyError` naming
table, column, kind and count, never a value. :func:`pseudonymise` makes keyed pseudonyms.

Rules
-----
CPR (DK): ``DDMMYY-SSSS``, hyphen or space optional; the date must exist in the century that
digit 7 and YY give (0-3: 1900s; 4, 9: 2000-2036 else 1937-1999; 5-8: 2000-2057 else
1858-1899), which settles 29 February. No modulus-11 check: CPR-kontoret has issued numbers
without it since 1 October 2007.

Fødselsnummer (NO): ``DDMMYYIIIKK``; both modulus-11 control digits must hold (weights
3 7 6 1 8 9 4 5 2 and 5 4 3 2 7 6 5 4 3 2; 11 gives 0, 10 is never issued) and the date must
exist in the century of the individual number (000-499: 1900s; 500-749 and YY >= 54: 1800s;
500-999 and YY <= 39: 2000s; otherwise 1900s). D-nummer add 4 to the first digit (day 41-71),
H-nummer to the third (month 41-52). Synthetic test numbers with valid control digits count
too: NAV's (month + 40) look like, and are reported as, ``h_nummer``; Skatteetaten's
Test-Norge/Tenor ones (month + 80) as ``fodselsnummer``. Numbers issued from 2032 may have a
first control digit leaving remainder 0-3; the guard checks the classic rule (the scalar
validators take ``allow_2032=True``).

Phone: 8 digits starting 2-9 (closed 8-digit plans in both countries), optionally after
+47/0047/+45/0045, together or spaced 2-2-2-2, 3-2-3 or 4-4; not when glued to letters,
hyphens or decimals, nor when the 8 digits read as a date ``YYYYMMDD`` (19xx/20xx).

Columns: text columns (object, string, categorical) get every check. Integer columns, and
whole values of float columns, get the number checks only: 10-11 digits as fødselsnummer (a
leading zero is lost for days 01-09), else 9-10 digits as CPR; a text cell of exactly 9
digits likewise. No phone check on numbers: ``n_eligible = 12345678`` is a count. Digits glued
to ASCII letters or ``_`` are never identifiers, so pseudonyms (``p_`` + hex) are not flagged.
Numeric codes of identifier shape (10-digit Unix timestamps held as ints read as CPR) are
false positives: rename or drop such columns rather than weaken the guard.

References
----------
CPR-kontoret: Opbygning af CPR-nummeret; Personnumre uden kontrolciffer (modulus 11 kontrol),
https://www.cpr.dk/cpr-systemet/ ; century table: https://da.wikipedia.org/wiki/CPR-nummer
Forskrift om folkeregistrering § 2-2 (individual number series), quoted at
https://lovas.info/2013/12/01/identitetsnummer-i-norge/ ; control digits, D- and H-nummer:
http://www.fnrinfo.no/Teknisk/KontrollsifferBeregning.aspx , http://fnrinfo.no/Info/Oppbygging.aspx
Skatteetaten: Nytt fødselsnummer fra 2032, github.com/Skatteetaten/folkeregisteret-api-dokumentasjon
Digdir: idporten-fnr-generate (synthetic, month + 80), github.com/felleslosninger
Telephone numbers in Norway / in Denmark, https://en.wikipedia.org/wiki/
Krawczyk H, Bellare M, Canetti R (1997). HMAC: Keyed-Hashing for Message Authentication. RFC 2104.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import ImplementereError, PrivacyError, Problem, ValidationError, safe_value

__all__ = ["KINDS", "FINDING_COLUMNS", "find_personal_ids", "check_no_personal_ids",
           "pseudonymise", "is_valid_cpr", "is_valid_fodselsnummer", "kind_of_fodselsnummer"]

#: Kinds of personal identifier the guard looks for.
KINDS = ("cpr", "fodselsnummer", "d_nummer", "h_nummer", "email", "phone")
_NUMBER_KINDS = KINDS[:4]  # codes 1..4 of the vectorised classifiers; 0 means none
FINDING_COLUMNS = ["table", "column", "kind", "count"]
_MIN_KEY_BYTES = 16
_HEX_CHARS = 16  # 64 bits: see pseudonymise for the collision probability
_CHUNK = 1 << 18

# Control digits get weight 1 so a valid number has weighted sum ≡ 0 (mod 11).
_W1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2, 1], dtype=np.int64)
_W2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1], dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

# 6 digits, optional separator, 4-5 digits; not inside a longer word, number or decimal.
_ID_RE = re.compile(r"(?<![\w.,])(\d{6})([- ]?)(\d{4,5})(?!\w|[.,]\d)", re.ASCII)
_NINE_DIGITS_RE = re.compile(r"[ \t]*\d{9}[ \t]*", re.ASCII)
_EMAIL_RE = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b", re.ASCII)
_PHONE_RE = re.compile(
    r"""(?<![\w+\-.,/])
    (?:(?:\+|00)4[57][ \u00a0]?)?
    (?!(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d))
    (?:[2-9]\d{7}
      |[2-9]\d(?:[ \u00a0]\d\d){3}
      |[2-9]\d\d[ \u00a0]\d\d[ \u00a0]\d{3}
      |[2-9]\d{3}[ \u00a0]\d{4})
    (?![\w\-]|[.,]\d)""",
    re.VERBOSE | re.ASCII,
)
# Supersets of the above without look-arounds, for the RE2 pre-filter; re.ASCII above makes
# \d and \w mean the same in both engines.
_ID_RE2 = r"(?:^|[^\w.,])\d{6}[- ]?\d{4,5}(?:$|\W)|^[ \t]*\d{9}[ \t]*$"
_PHONE_RE2 = r"[2-9]\d[ \x{a0}]?\d\d[ \x{a0}]?\d\d[ \x{a0}]?\d\d|[2-9]\d{2,3}[ \x{a0}]\d\d"


# -- vectorised checks on int64 arrays -----------------------------------------------------
def _digits(v: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of decimal digits, zero-padded on the left."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (v[:, None] // powers) % 10


def _valid_date(day: np.ndarray, month: np.ndarray, year: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    return (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)


def _cpr_valid(v: np.ndarray) -> np.ndarray:
    """Whether each int (< 10**10) is a CPR number: a real date in the century digit 7 gives."""
    d = _digits(v, 10)
    day, month, yy = d[:, 0] * 10 + d[:, 1], d[:, 2] * 10 + d[:, 3], d[:, 4] * 10 + d[:, 5]
    c7 = d[:, 6]
    century = np.select([c7 <= 3, (c7 == 4) | (c7 == 9)],
                        [1900, np.where(yy <= 36, 2000, 1900)], np.where(yy <= 57, 2000, 1800))
    return _valid_date(day, month, century + yy)


def _fnr_codes(v: np.ndarray, allow_2032: bool = False) -> np.ndarray:
    """0 (none), 2 (fødselsnummer), 3 (D-nummer) or 4 (H-nummer) for each int (< 10**11)."""
    d = _digits(v, 11)
    r1, r2 = (d[:, :10] @ _W1) % 11, (d @ _W2) % 11
    ok = ((r1 <= 3) if allow_2032 else (r1 == 0)) & (r2 == 0)
    day, month, yy = d[:, 0] * 10 + d[:, 1], d[:, 2] * 10 + d[:, 3], d[:, 4] * 10 + d[:, 5]
    ind = d[:, 6] * 100 + d[:, 7] * 10 + d[:, 8]
    is_d = (day >= 41) & (day <= 71)
    is_h = (month >= 41) & (month <= 52)
    synthetic = (month >= 81) & (month <= 92)
    century = np.select([ind <= 499, yy <= 39, (ind <= 749) & (yy >= 54)], [1900, 2000, 1800], 1900)
    ok &= _valid_date(day - 40 * is_d, month - 40 * is_h - 80 * synthetic, century + yy)
    return np.where(ok, np.where(is_d, 3, np.where(is_h, 4, 2)), 0)


def _classify(v: np.ndarray, as_cpr: np.ndarray, as_fnr: np.ndarray) -> np.ndarray:
    """Kind code per candidate; control digits make a fødselsnummer the stronger reading."""
    if len(v) > _CHUNK:  # digit matrices are 11 int64 per value: bound the memory
        return np.concatenate([_classify(v[i:i + _CHUNK], as_cpr[i:i + _CHUNK],
                                         as_fnr[i:i + _CHUNK]) for i in range(0, len(v), _CHUNK)])
    out = np.zeros(len(v), dtype=np.int64)
    if as_fnr.any():
        out[as_fnr] = _fnr_codes(v[as_fnr])
    rest = as_cpr & (out == 0)
    if rest.any():
        out[rest] = np.where(_cpr_valid(v[rest]), 1, 0)
    return out


def _int_codes(v: np.ndarray) -> np.ndarray:
    return _classify(v, (v >= 10**8) & (v < 10**10), (v >= 10**9) & (v < 10**11))


# -- scanning distinct values ---------------------------------------------------------------
def _scan_ints(v: np.ndarray, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    codes = _int_codes(v)
    return {k: codes == i + 1 for i, k in enumerate(_NUMBER_KINDS) if k in kinds}


def _prefilter(u: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cheap RE2 supersets (pyarrow) of the id, e-mail and phone patterns, so the Python
    regexes with look-arounds only run on the few values that could match."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(u.to_numpy(dtype=object), type=pa.string())
    return tuple(np.asarray(pc.fill_null(mask, False), dtype=bool) for mask in (
        pc.match_substring_regex(arr, _ID_RE2), pc.match_substring(arr, "@"),
        pc.match_substring_regex(arr, _PHONE_RE2)))


def _scan_strings(u: pd.Series, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Boolean mask per kind over ``u`` (distinct strings with a 0..n-1 index)."""
    found = {}
    maybe_id, maybe_email, maybe_phone = _prefilter(u)
    for kind, maybe, pattern in (("email", maybe_email, _EMAIL_RE),
                                 ("phone", maybe_phone, _PHONE_RE)):
        if kind in kinds:
            found[kind] = mask = np.zeros(len(u), dtype=bool)
            if maybe.any():
                mask[maybe] = u[maybe].str.contains(pattern).to_numpy(dtype=bool)
    if not set(kinds) & set(_NUMBER_KINDS):
        return found
    owner, codes = [np.array([], dtype=np.int64)], [np.array([], dtype=np.int64)]
    cand = u[maybe_id]
    hits = cand.str.extractall(_ID_RE) if len(cand) else pd.DataFrame()
    if len(hits):
        digits = hits[0] + hits[2]
        n, nosep = digits.str.len().to_numpy(), (hits[1] == "").to_numpy()
        owner.append(hits.index.get_level_values(0).to_numpy(dtype=np.int64))
        codes.append(_classify(digits.astype(np.int64).to_numpy(), n == 10,
                               (n == 11) | ((n == 10) & nosep)))
    nine = cand[cand.str.fullmatch(_NINE_DIGITS_RE).to_numpy(dtype=bool)] if len(cand) else cand
    if len(nine):
        owner.append(nine.index.to_numpy(dtype=np.int64))
        codes.append(_int_codes(nine.str.strip().astype(np.int64).to_numpy()))
    owner_a, code_a = np.concatenate(owner), np.concatenate(codes)
    for i, k in enumerate(_NUMBER_KINDS):
        if k in kinds:
            found[k] = mask = np.zeros(len(u), dtype=bool)
            mask[owner_a[code_a == i + 1]] = True
    return found


def _whole_ints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and int64 values of the entries that are whole numbers of 9-11 digits."""
    arr = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(arr) & (arr >= 10**8) & (arr < 10**11) & (np.floor(arr) == arr)
    return np.flatnonzero(keep), arr[keep].astype(np.int64)


def _column_counts(s: pd.Series, kinds: tuple[str, ...]) -> dict[str, int]:
    """Rows of ``s`` holding each kind, found by scanning its distinct values only."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype) or dtype.kind in "mMcV":
        return {}
    vc = s.value_counts(dropna=True, sort=False)
    if vc.empty:
        return {}
    counts = vc.to_numpy(dtype=np.int64)
    masks: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    if dtype.kind in "iu":
        arr = np.asarray(vc.index)
        pos = np.flatnonzero((arr >= 10**8) & (arr < 10**11))
        masks.append((pos, _scan_ints(arr[pos].astype(np.int64), kinds)))
    elif dtype.kind == "f":
        pos, ints = _whole_ints(np.asarray(vc.index))
        masks.append((pos, _scan_ints(ints, kinds)))
    else:  # object, string, categorical: strings, possibly mixed with numbers
        vals = pd.Series(np.asarray(vc.index, dtype=object), dtype=object)
        if pd.api.types.infer_dtype(vals, skipna=True) == "string":
            masks.append((np.arange(len(vals)), _scan_strings(vals, kinds)))
        else:
            is_num = vals.map(lambda x: isinstance(x, int | float | np.integer | np.floating)
                              and not isinstance(x, bool | np.bool_)).to_numpy(dtype=bool)
            num_pos = np.flatnonzero(is_num)
            pos, ints = _whole_ints(vals[is_num].to_numpy(dtype=np.float64))
            masks.append((num_pos[pos], _scan_ints(ints, kinds)))
            txt_pos = np.flatnonzero(~is_num)
            txt = pd.Series([str(x) for x in vals[~is_num]], dtype=object)
            masks.append((txt_pos, _scan_strings(txt, kinds)))
    out = {}
    for k in KINDS:
        hit = np.zeros(len(counts), dtype=bool)
        for pos, found in masks:
            if k in found:
                hit[pos[found[k]]] = True
        if hit.any():
            out[k] = int(counts[hit].sum())
    return out


def _check_kinds(kinds: str | Iterable[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KINDS
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValidationError([Problem("unknown kind of personal identifier", column="kinds",
                                       expected=", ".join(KINDS), found=safe_value(k))
                               for k in bad])
    return kinds


def find_personal_ids(df: pd.DataFrame, *, table: str | None = None,
                      kinds: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Find columns that hold personal identifiers; values are never returned.

    Parameters
    ----------
    df : DataFrame
        The table to scan: text, integer and float columns, the column labels and a
        non-default index (labels and index are reported as ``<column names>`` and
        ``<index>``; a column whose label holds an identifier is named ``<column i>``).
    table : str, optional
        Name put in the ``table`` column of the result.
    kinds : str or iterable of str, optional
        Subset of :data:`KINDS` to look for (default all).

    Returns
    -------
    DataFrame
        Columns ``table``, ``column``, ``kind``, ``count`` (rows whose cell holds at least one
        identifier of that kind), one row per column and kind; empty when the table is clean.

    Examples
    --------
    >>> df = pd.DataFrame({"note": ["ring 912 34 567", "barn 010203-1234 i gruppe", "ok"],
    ...                    "n_eligible": [12345678, 40, 41], "date": ["2024-01-05"] * 3})
    >>> find_personal_ids(df, table="activities")
            table column  kind  count
    0  activities   note   cpr      1
    1  activities   note phone      1
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationError([Problem("cannot scan for personal identifiers", resource=table,
                                       expected="a pandas DataFrame",
                                       found=type(df).__name__)])
    kinds = _check_kinds(kinds)
    rows = []
    labels = pd.Series([str(c) for c in df.columns], dtype=object)
    label_hits = _scan_strings(labels, kinds) if len(labels) else {}
    bad_label = np.zeros(len(labels), dtype=bool)
    for k in KINDS:
        if k in label_hits and label_hits[k].any():
            bad_label |= label_hits[k]
            rows.append((table, "<column names>", k, int(label_hits[k].sum())))
    if not isinstance(df.index, pd.RangeIndex):
        for i in range(df.index.nlevels):
            name = "<index>" if df.index.nlevels == 1 else f"<index level {i + 1}>"
            level = pd.Series(df.index.get_level_values(i))
            rows += [(table, name, k, n) for k, n in _column_counts(level, kinds).items()]
    for i in range(df.shape[1]):
        name = f"<column {i + 1}>" if bad_label[i] else labels[i]
        rows += [(table, name, k, n) for k, n in _column_counts(df.iloc[:, i], kinds).items()]
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return out.astype({"count": np.int64})


def check_no_personal_ids(tables: Mapping[str, pd.DataFrame]) -> None:
    """Raise :class:`~implementere_kit.errors.PrivacyError` if any table holds identifiers.

    The message names every table, column, kind and count, never a value; the error's
    ``findings`` is the combined result of :func:`find_personal_ids`.

    Examples
    --------
    >>> check_no_personal_ids({"sessions": pd.DataFrame({"session_no": [1, 2]})})
    >>> try:
    ...     check_no_personal_ids({"staff": pd.DataFrame({"contact": ["ola@example.no"]})})
    ... except PrivacyError as err:
    ...     print(err)
    personal identifiers found in 1 place(s); nothing may leave the municipality with them:
      - table 'staff', column 'contact': email in 1 row
    Drop these columns or replace person ids by pseudonymise() before exporting; ...
    """
    if not isinstance(tables, Mapping):
        raise ValidationError([Problem("tables must be a mapping of name to DataFrame",
                                       expected="dict[str, DataFrame]",
                                       found=type(tables).__name__)])
    bad = [Problem("not a DataFrame", resource=str(name), expected="a pandas DataFrame",
                   found=type(df).__name__)
           for name, df in tables.items() if not isinstance(df, pd.DataFrame)]
    if bad:
        raise ValidationError(bad)
    parts = [find_personal_ids(df, table=str(name)) for name, df in tables.items()]
    findings = (pd.concat(parts, ignore_index=True) if parts
                else pd.DataFrame(columns=FINDING_COLUMNS))
    if findings.empty:
        return
    lines = [f"  - table {t!r}, column {c!r}: {k} in {n} row{'s' if n != 1 else ''}"
             for t, c, k, n in findings.itertuples(index=False)]
    raise PrivacyError(
        f"personal identifiers found in {len(findings)} place(s); nothing may leave the "
        "municipality with them:\n" + "\n".join(lines) + "\nDrop these columns or replace "
        "person ids by pseudonymise() before exporting; free text belongs at home.",
        findings.astype({"count": np.int64}))


# -- scalar validators -------------------------------------------------------------------
def _as_int(s, pattern: str, widths: tuple[int, ...]) -> int | None:
    if isinstance(s, bool | np.bool_):
        return None
    if isinstance(s, int | np.integer):
        return int(s) if len(str(int(s))) in widths else None
    if isinstance(s, str) and (m := re.fullmatch(pattern, s.strip())):
        return int(m.group(1) + m.group(2))
    return None


def is_valid_cpr(s) -> bool:
    """Whether ``s`` is shaped as a Danish CPR number with a real birth date.

    Accepts ``"DDMMYY-SSSS"`` (hyphen or space optional) or an int that lost its leading
    zero. No modulus-11 check: numbers without it have been issued since 2007.

    Examples
    --------
    >>> is_valid_cpr("010203-1234"), is_valid_cpr("0102031234"), is_valid_cpr(102031234)
    (True, True, True)
    >>> is_valid_cpr("310299-1234"), is_valid_cpr("290200-1234"), is_valid_cpr("290200-4234")
    (False, False, True)
    """
    v = _as_int(s, r"([0-9]{6})[- ]?([0-9]{4})", (9, 10))
    return v is not None and bool(_cpr_valid(np.array([v], dtype=np.int64))[0])


def kind_of_fodselsnummer(s, *, allow_2032: bool = False) -> str | None:
    """``"fodselsnummer"``, ``"d_nummer"``, ``"h_nummer"`` or ``None`` for ``s``.

    ``s`` is 11 digits (a separator after the date is allowed) or an int. Both control
    digits must hold and the date must exist; ``allow_2032`` also accepts the first control
    digit of numbers issued from 2032 (remainder 0-3).

    Examples
    --------
    >>> kind_of_fodselsnummer("02013299997"), kind_of_fodselsnummer("42013299980")
    ('fodselsnummer', 'd_nummer')
    >>> kind_of_fodselsnummer("02413299899"), kind_of_fodselsnummer("02013299998")
    ('h_nummer', None)
    >>> kind_of_fodselsnummer("30108299939"), kind_of_fodselsnummer("30108299939", allow_2032=True)
    (None, 'fodselsnummer')
    """
    v = _as_int(s, r"([0-9]{6})[- ]?([0-9]{5})", (10, 11))
    if v is None:
        return None
    code = int(_fnr_codes(np.array([v], dtype=np.int64), allow_2032)[0])
    return _NUMBER_KINDS[code - 1] if code else None


def is_valid_fodselsnummer(s, *, allow_2032: bool = False) -> bool:
    """Whether ``s`` is a Norwegian fødselsnummer, D-nummer or H-nummer.

    Examples
    --------
    >>> is_valid_fodselsnummer("02013299997"), is_valid_fodselsnummer("02013299996")
    (True, False)
    """
    return kind_of_fodselsnummer(s, allow_2032=allow_2032) is not None


# -- pseudonyms --------------------------------------------------------------------------
def _canonical(v) -> str:
    """One text per id, so 17, 17.0 and "17" (one person in three tables) match."""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
        return str(int(v))
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def pseudonymise(values: pd.Series, key: bytes, *, prefix: str = "p_") -> pd.Series:
    """Replace each value by a keyed HMAC-SHA256 pseudonym; missing values stay missing.

    The pseudonym is ``prefix`` + the first 16 hex digits (64 bits) of
    HMAC-SHA256(key, value as UTF-8 text). The same value and key always give the same
    pseudonym, so ids still join across tables and exports; without the key (which never
    leaves the project) a pseudonym cannot be traced back, not even by hashing candidate
    fødselsnummer. Values are compared as stripped text, ints and whole floats by their
    digits. With n distinct values two collide with probability about n² / 2**65
    (2.7e-8 for a million); a collision is checked for and raises rather than merging two
    people.

    Examples
    --------
    >>> p = pseudonymise(pd.Series(["F-17", None, "F-17", "F-18"]), b"0123456789abcdef")
    >>> p[0] == p[2], p[0] != p[3], p.isna().tolist(), p[0].startswith("p_"), len(p[0])
    (True, True, [False, True, False, False], True, 18)
    """
    problems = []
    if not isinstance(values, pd.Series):
        problems.append(Problem("values to pseudonymise must be a Series", column="values",
                                expected="pandas Series", found=type(values).__name__))
    if not isinstance(key, bytes | bytearray) or len(key) < _MIN_KEY_BYTES:
        # the key is secret: report its type or length, never its content
        found = f"{len(key)} bytes" if isinstance(key, bytes | bytearray) else type(key).__name__
        problems.append(Problem("the pseudonym key must be bytes and long enough", column="key",
                                expected=f"at least {_MIN_KEY_BYTES} bytes", found=found))
    if not isinstance(prefix, str):
        problems.append(Problem("prefix must be text", column="prefix", expected="str",
                                found=type(prefix).__name__))
    if problems:
        raise ValidationError(problems)
    obj = values.astype(object)
    codes, uniq = pd.factorize(obj, use_na_sentinel=True)
    canon = [_canonical(v) for v in uniq]
    key = bytes(key)
    digests = {c: hmac.new(key, c.encode("utf-8"), hashlib.sha256).hexdigest()[:_HEX_CHARS]
               for c in canon}
    if len(set(digests.values())) < len(digests):
        raise ImplementereError(
            "two different ids got the same pseudonym (a 64-bit collision, about once in "
            "10**19 pairs); please report this, and pseudonymise with a new key")
    pseudo = np.array([prefix + digests[c] for c in canon], dtype=object)
    out = obj.to_numpy(copy=True)
    seen = codes >= 0
    out[seen] = pseudo[codes[seen]]
    return pd.Series(out, index=values.index, name=values.name, dtype=object)
