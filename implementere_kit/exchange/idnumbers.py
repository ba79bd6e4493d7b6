"""Person numbers as integers: CPR, replacement CPR, fødselsnummer, D-, H- and FH-nummer.

Vectorised rules on ``int64`` arrays, so dates and control digits of many candidates are
checked at once with numpy. Which text is read as a number, and why each rule holds (with
sources), is described in :mod:`.identifiers` and ``docs/identifiers.md``; this module is
the arithmetic only.

Codes returned by :func:`classify` index :data:`NUMBER_KINDS` from 1; 0 means "none".

Examples
--------
>>> import numpy as np
>>> codes = int_codes(np.array([102031234, 2013299997, 81234567802, 12345678], dtype=np.int64))
>>> [NUMBER_KINDS[c - 1] if c else None for c in codes]
['cpr', 'fodselsnummer', 'fh_nummer', None]
"""

from __future__ import annotations

import numpy as np

__all__ = ["NUMBER_KINDS", "cpr_codes", "fnr_codes", "classify", "int_codes", "phone_ints",
           "scan_numbers"]

#: Kinds of person number, in the order of their codes (1-based).
NUMBER_KINDS = ("cpr", "cpr_replacement", "fodselsnummer", "d_nummer", "h_nummer", "fh_nummer")
_CPR, _CPR_REPL, _FNR, _D, _H, _FH = range(1, 7)
_CHUNK = 1 << 18  # digit matrices hold 11 int64 per value: bound the memory

# Control digits get weight 1 so a valid number has weighted sum ≡ 0 (mod 11).
_W1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2, 1], dtype=np.int64)
_W2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1], dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _digits(v: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of decimal digits, zero-padded on the left."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (v[:, None] // powers) % 10


def _valid_date(day: np.ndarray, month: np.ndarray, year: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    return (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)


def cpr_codes(v: np.ndarray) -> np.ndarray:
    """0, 1 (CPR) or 2 (replacement CPR, day + 60) for each int below 10**10.

    The date must exist in the century that digit 7 and the year give (CPR-kontoret's
    table); there is no modulus-11 check.
    """
    d = _digits(v, 10)
    day, month, yy = d[:, 0] * 10 + d[:, 1], d[:, 2] * 10 + d[:, 3], d[:, 4] * 10 + d[:, 5]
    c7 = d[:, 6]
    century = np.select([c7 <= 3, (c7 == 4) | (c7 == 9)],
                        [1900, np.where(yy <= 36, 2000, 1900)], np.where(yy <= 57, 2000, 1800))
    replacement = day >= 61
    ok = _valid_date(day - 60 * replacement, month, century + yy)
    return np.where(ok, np.where(replacement, _CPR_REPL, _CPR), 0)


def fnr_codes(v: np.ndarray, allow_2032: bool = False) -> np.ndarray:
    """0 or the code of fødselsnummer, D-, H- or FH-nummer for each int below 10**11.

    Both modulus-11 control digits must hold (``allow_2032`` also accepts a first
    remainder of 1-3, the rule for numbers issued from 2032). FH-nummer start with 8 or
    9 and carry no date; the others need a real date in the century of the individual
    number.
    """
    d = _digits(v, 11)
    r1, r2 = (d[:, :10] @ _W1) % 11, (d @ _W2) % 11
    ok = ((r1 <= 3) if allow_2032 else (r1 == 0)) & (r2 == 0)
    fh = d[:, 0] >= 8
    day, month, yy = d[:, 0] * 10 + d[:, 1], d[:, 2] * 10 + d[:, 3], d[:, 4] * 10 + d[:, 5]
    ind = d[:, 6] * 100 + d[:, 7] * 10 + d[:, 8]
    is_d = (day >= 41) & (day <= 71)
    is_h = (month >= 41) & (month <= 52)
    synthetic = (month >= 81) & (month <= 92)  # Skatteetaten's test persons (Tenor)
    century = np.select([ind <= 499, yy <= 39, (ind <= 749) & (yy >= 54)], [1900, 2000, 1800], 1900)
    dated = _valid_date(day - 40 * is_d, month - 40 * is_h - 80 * synthetic, century + yy)
    kind = np.where(fh, _FH, np.where(is_d, _D, np.where(is_h, _H, _FNR)))
    return np.where(ok & (fh | dated), kind, 0)


def classify(v: np.ndarray, as_cpr: np.ndarray, as_fnr: np.ndarray) -> np.ndarray:
    """Code per candidate; control digits make a fødselsnummer the stronger reading."""
    if len(v) > _CHUNK:
        return np.concatenate([classify(v[i:i + _CHUNK], as_cpr[i:i + _CHUNK],
                                        as_fnr[i:i + _CHUNK]) for i in range(0, len(v), _CHUNK)])
    out = np.zeros(len(v), dtype=np.int64)
    if as_fnr.any():
        out[as_fnr] = fnr_codes(v[as_fnr])
    rest = as_cpr & (out == 0)
    if rest.any():
        out[rest] = cpr_codes(v[rest])
    return out


def int_codes(v: np.ndarray) -> np.ndarray:
    """Codes for whole numbers: 9-10 digits read as CPR (9 when the leading zero of day
    01-09 is lost), 10-11 as fødselsnummer and its kin (10 when the zero is lost)."""
    return classify(v, (v >= 10**8) & (v < 10**10), (v >= 10**9) & (v < 10**11))


def phone_ints(v: np.ndarray) -> np.ndarray:
    """Whether each int is a phone number: 8 digits starting 2-9, not shaped as a date
    ``YYYYMMDD`` (19xx/20xx, month 01-12, day 01-31) and not a round amount (last five
    digits zero) — the same rules as for phone numbers in text."""
    v = np.asarray(v, dtype=np.int64)
    eight = (v >= 2 * 10**7) & (v < 10**8)
    century, month, day = v // 10**6, v // 100 % 100, v % 100
    is_date = ((century == 19) | (century == 20)) & (month >= 1) & (month <= 12) & (day >= 1) \
        & (day <= 31)
    return eight & ~is_date & (v % 100_000 != 0)


def _whole_ints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and int64 values of the entries that are whole numbers of 8-11 digits."""
    arr = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(arr) & (arr >= 10**7) & (arr < 10**11) & (np.floor(arr) == arr)
    return np.flatnonzero(keep), arr[keep].astype(np.int64)


def scan_numbers(values, kinds: tuple[str, ...] = (*NUMBER_KINDS, "phone"), *,
                 phone: bool = True) -> dict[str, np.ndarray]:
    """A boolean mask over ``values`` (distinct numbers) for each kind in ``kinds``;
    8-digit numbers are checked as phone numbers only when ``phone``."""
    values = np.asarray(values)
    n = len(values)
    found = {k: np.zeros(n, dtype=bool) for k in kinds}
    pos, ints = _whole_ints(values)
    if not len(pos):
        return found
    codes = int_codes(ints)
    for k in kinds:
        if k in NUMBER_KINDS:
            found[k][pos[codes == NUMBER_KINDS.index(k) + 1]] = True
    if phone and "phone" in kinds:
        found["phone"][pos[phone_ints(ints)]] = True
    return found
