"""What the identifier scanner looks for, and how it reads text and numbers.

The scanner is the second net behind the export allow-list. This module holds its rules;
tables and descriptors are scanned in :mod:`.scan`, person numbers' arithmetic is in
:mod:`.idnumbers`, and ``docs/identifiers.md`` explains the rules to non-programmers.

Kinds
-----
``cpr``
    Danish personnummer ``DDMMYY-SSSS``: the date must exist in the century given by
    digit 7 and the year (CPR-kontoret's table: 0-3 → 1900s; 4 and 9 → 2000-2036, else
    1937-1999; 5-8 → 2000-2057, else 1858-1899). No modulus-11 check: CPR-kontoret has
    issued numbers without it since 1 October 2007.
``cpr_replacement``
    Erstatningspersonnummer: as ``cpr`` with 6 added to the first digit of the day
    (day 61-91), CPR-kontoret's recommended construction.
``fodselsnummer``, ``d_nummer``, ``h_nummer``
    Norwegian ``DDMMYYIIIKK`` with both modulus-11 control digits (weights 3 7 6 1 8 9 4
    5 2 and 5 4 3 2 7 6 5 4 3 2) and a real date in the century of the individual number
    (000-499 → 1900s; 500-749 with YY ≥ 54 → 1800s; 500-999 with YY ≤ 39 → 2000s; else
    1900s). D-nummer add 4 to the first digit (day 41-71), H-nummer to the third (month
    41-52). Synthetic test persons count too: NAV's (month + 40) read as ``h_nummer``,
    Skatteetaten's Tenor ones (month + 80) as ``fodselsnummer``.
``fh_nummer``
    Felles hjelpenummer: 11 digits, first digit 8 or 9, both control digits as in a
    fødselsnummer, the rest random (Norsk Helsenett; KITH 1001:2010). Old-style
    H-nummer that began with 8 or 9 are caught by the same rule.
``email``
    ``local@domain.tld`` with letters of any script on both sides (``ø@bærum.kommune.no``)
    or a punycode domain; ``(at)`` and ``[at]`` count as ``@``.
``phone``
    Norwegian and Danish numbers: 8 digits, the first 2-9, written together or grouped
    2-2-2-2, 3-2-3, 2-3-3 or 4-4 with spaces, hyphens or dots (one kind per number),
    optionally after ``+47``/``0047``/``+45``/``0045`` (also ``+47-`` and ``(+47)``).

How text is read
----------------
Text is normalised first: NFKC (fullwidth digits and ``＠`` become ASCII), every dash
(Unicode class Pd and the minus sign) becomes ``-``, every space (class Zs: no-break and
narrow no-break spaces too) and tab a space, invisible format characters (class Cf: zero
width spaces, soft hyphens) are removed and decimal digits of any script become ASCII
digits. A prefix such as ``cpr.nr.``, ``cpr-nr:``, ``CPR:``, ``fnr``, ``tlf.`` or ``mob:``
is read as a label in front of the number.

Person numbers are 6 date digits (``DDMMYY`` or ``DD.MM.YY``/``DD MM YY``/``DD-MM-YY``),
an optional separator (``-``, ``/``, space) and 4 digits (CPR) or 5 digits, also as
``NNN NN`` (fødselsnummer, e.g. ``010203 12345``, ``01 02 03 123 45``, ``010203 123 45``).
A date written with dots or spaces needs a hyphen before 4 digits (``01.02.03-1234``), so
a date and a time (``01.02.24 1400``) are not read as CPR. A number of exactly 10 digits
without separators is also read as a fødselsnummer whose leading zero was lost, and a
cell of exactly 9 digits as a CPR number that lost its zero.

Digits are never an identifier when glued to ASCII letters or ``_`` (so pseudonyms
``p_<hex>`` are never flagged), when they are the decimals of a number, or when a hyphen
or slash joins them to a longer code on either side (``H-030623-0001``, ``2023/0102``).
Phone numbers are not flagged when they read as a date ``YYYYMMDD``, when ``kr``,
``kroner``, ``NOK``, ``DKK``, ``EUR``, ``SEK``, ``,-`` or ``%`` follows or ``kr``/``NOK``/
``DKK`` precedes them (``Budget 45000000 kr``), or when their last five digits are zeros
(round amounts).

Numbers (integer cells, whole floats) are read by their digits: 9-10 digits as CPR, 10-11
as fødselsnummer and its kin. 8-digit numbers are read as phone numbers only in columns
that are not counts or measures (see :mod:`.scan`).

Known limits
------------
- Fødselsnummer issued from 2032 may have a first control digit leaving remainder 1-3
  (Skatteetaten); the scanner checks today's rule, the scalar validators take
  ``allow_2032=True``. Revisit before 2032.
- An identifier joined by a hyphen or slash to a word or number (``ID-0102031234``) is
  read as part of a code; the allow-list is the first net.
- Names, street addresses and case numbers cannot be recognised by pattern, nor Swedish
  personnummer: such free text must not leave at all (the allow-list). See also
  ``docs/identifiers.md``.

References
----------
CPR-kontoret: Opbygning af CPR-nummeret; Personnumre uden kontrolciffer (modulus 11);
Erstatningspersonnummer i eksterne systemer, https://www.cpr.dk/cpr-systemet/
Skatteetaten: Nye fødselsnummer og d-nummer fra 2032 (ny kontrollberegning godtar 0-3),
https://www.skatteetaten.no/deling/opplysninger/folkeregisteropplysninger/pid/
Norsk Helsenett: Hva er felles hjelpenummer?, https://nhn.no/hva-er-felles-hjelpenummer/ ;
KITH-standard 1001:2010 Identifikatorer for personer (ehelse.no, HIS 1001:2010)
fnrinfo.no: Beregning av kontrollsiffer; Oppbygging; H-nummer. Forskrift om
folkeregistrering § 2-2 (individual numbers). Unicode UAX #15, Normalization Forms.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from .idnumbers import NUMBER_KINDS, classify, cpr_codes, fnr_codes, scan_numbers

__all__ = ["KINDS", "normalise", "scan_text", "scan_numbers", "kinds_in_value",
           "looks_like_identifier", "is_valid_cpr", "kind_of_fodselsnummer",
           "is_valid_fodselsnummer"]

#: Kinds of personal identifier the scanner looks for.
KINDS = (*NUMBER_KINDS, "email", "phone")

# -- normalisation (RE2 classes, run by pyarrow on the values that need it) -----------------
_SPACES_RE2 = r"[\p{Zs}\t]"
_DASHES_RE2 = r"[\p{Pd}\x{2212}\x{2043}\x{02D7}]"
_INVISIBLE_RE2 = r"\p{Cf}"
# Anything but ASCII without tabs and the Latin-1 letters, which NFKC leaves unchanged.
_NEEDS_WORK_RE2 = r"[^\x{20}-\x{7E}\n\r\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{FF}]"
# A label glued to a number ("cpr-nr:0102…", "tlf-9123…") gets a space after it.
_LABEL_RE2 = (r"(?i)(^|[^\p{L}])(cpr|fnr|pnr|nr|personnr|personnummer|f[øo]dselsnr"
              r"|f[øo]dselsnummer|tlf|tel|telefon|mob|mobil|phone|sms)(\.?[-/:]?\.?)([0-9+])")
# A cheap superset of the above: every label ends in one of these.
_LABEL_HINT_RE2 = r"(?i)(?:cpr|nr|tlf|tel|fon|mob|bil|phone|sms|mer)\.?[-/:]?\.?[0-9+]"


# -- patterns: one body per kind, wrapped two ways. Python's ``re`` gets look-arounds and
# back-references and decides; RE2 (pyarrow, vectorised) gets the same bodies with the
# surrounding characters consumed instead of looked at — a superset — and picks the few
# values the Python patterns must see. ------------------------------------------------------
def _person_body(py: bool) -> str:
    rest5 = r"(?:\d{5}|\d{3} \d\d)"
    sep, same = (r"(?P<ds>[ .-])", r"(?P=ds)") if py else ("[ .-]", "[ .-]")
    return (rf"\d{{6}}(?: ?[-/] ?| )?(?:{rest5}|\d{{4}})"
            rf"|\d\d{sep}\d\d{same}\d\d(?: ?- ?(?:{rest5}|\d{{4}})| {rest5})")


def _phone_body(py: bool) -> str:
    def grouped(name, cls, *widths):
        head, *tail = widths
        if not py:
            return rf"[2-9]\d{{{head - 1}}}" + "".join(rf"{cls}\d{{{w}}}" for w in tail)
        return (rf"[2-9]\d{{{head - 1}}}(?P<{name}>{cls})\d{{{tail[0]}}}"
                + "".join(rf"(?P={name})\d{{{w}}}" for w in tail[1:]))

    return "|".join([r"[2-9]\d{7}", grouped("a", "[ .-]", 2, 2, 2, 2),
                     grouped("b", "[ .-]", 3, 2, 3), grouped("c", "[ -]", 2, 3, 3),
                     r"[2-9]\d{3}[ -]\d{4}"])


_COUNTRY = r"(?:(?:\+|00) ?4[57][ -]?|\(\+?4[57]\) ?)?"
# Not glued to a word, not the decimals of a number, not the tail of a code like H-0306.
_LEFT = r"(?<![A-Za-z0-9_])(?<![A-Za-z0-9_][-/])(?<!\d[.,])"
_RIGHT = r"(?![A-Za-z0-9_])(?![.,]\d)(?![-/][A-Za-z0-9_])"
_LEFT_RE2 = r"(?:^|[^A-Za-z0-9_/-]|(?:^|[^A-Za-z0-9_])[-/])"
_LEFT_PHONE_RE2 = r"(?:^|[^A-Za-z0-9_/+-]|(?:^|[^A-Za-z0-9_])[-/])"  # no "+" glued either
_RIGHT_RE2 = r"(?:$|[^A-Za-z0-9_/-]|[-/](?:$|[^A-Za-z0-9_]))"
_AMOUNT_BEFORE = r"(?<!(?i:kr) )(?<!(?i:kr\.))(?<!(?i:kr\.) )(?<!(?i:nok) )(?<!(?i:dkk) )"
_ROUND = r"(?<!00000)(?<!0[ .-]00[ .-]00)(?<!00[ .-]000)(?<!0[ -]0000)"
_AMOUNT_AFTER = r"(?! ?(?i:kr\b|kr\.|kroner|nok\b|dkk\b|eur\b|sek\b|,-|%))"
_DATE8 = r"(?!(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d))"

_PERSON_RE = re.compile(f"{_LEFT}(?:{_person_body(True)}){_RIGHT}", re.ASCII)
_PERSON_RE2 = f"{_LEFT_RE2}(?:{_person_body(False)}){_RIGHT_RE2}"
_NINE_RE = re.compile(r"\s*\d{9}\s*", re.ASCII)
_NINE_RE2 = r"^\s*\d{9}\s*$"
_PHONE_RE = re.compile(f"(?<![A-Za-z0-9_+]){_LEFT}{_AMOUNT_BEFORE}{_COUNTRY}{_DATE8}"
                       f"(?:{_phone_body(True)}){_ROUND}{_RIGHT}{_AMOUNT_AFTER}", re.ASCII)
_PHONE_RE2 = f"{_LEFT_PHONE_RE2}{_COUNTRY}(?:{_phone_body(False)}){_RIGHT_RE2}"
_EMAIL_RE = re.compile(r"(?<![\w.%+'-])[\w.%+'-]+(?:@|\s?[\[(]at[\])]\s?)"
                       r"(?:[\w-]+\.)+(?:[^\W\d_]{2,}|xn--[\w-]+)(?![\w-])", re.IGNORECASE)
_EMAIL_RE2 = r"@|(?i:[\[(]at[\])])"
_NOT_DIGIT = re.compile(r"\D", re.ASCII)


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c, c)) if not c.isascii() else c for c in text)


def _normalised(values: np.ndarray):
    """The values (str or None) as a pyarrow array, normalised as the module docstring says.

    Values of ASCII and Latin-1 letters (``æøå``), without tabs, pass untouched: NFKC
    leaves them as they are. Only the others go through NFKC and the replacements, so
    plain Nordic text costs one vectorised test.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    todo = np.asarray(pc.fill_null(pc.match_substring_regex(arr, _NEEDS_WORK_RE2), False))
    if not todo.any():
        return arr
    idx = np.flatnonzero(todo)
    sub = pc.utf8_normalize(arr.take(idx), form="NFKC")
    for pattern, repl in ((_SPACES_RE2, " "), (_DASHES_RE2, "-"), (_INVISIBLE_RE2, "")):
        sub = pc.replace_substring_regex(sub, pattern, repl)
    other = pc.match_substring_regex(pc.replace_substring_regex(sub, "[0-9]", ""), r"\p{Nd}")
    if pc.any(other).as_py():
        texts = sub.to_pylist()
        for j in np.flatnonzero(np.asarray(pc.fill_null(other, False), dtype=bool)):
            texts[j] = _ascii_digits(texts[j])
        sub = pa.array(texts, type=pa.large_string())
    return pc.replace_with_mask(arr, pa.array(todo), sub)


def _prepared(values: np.ndarray):
    """Normalised values with a space between a label and its number (``tlf- 9123…``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _normalised(values)
    todo = _where(arr, _LABEL_HINT_RE2)
    if not len(todo):
        return arr
    mask = np.zeros(len(arr), dtype=bool)
    mask[todo] = True
    spaced = pc.replace_substring_regex(arr.take(todo), _LABEL_RE2, r"\1\2\3 \4")
    return pc.replace_with_mask(arr, pa.array(mask), spaced)


def _where(arr, pattern: str) -> np.ndarray:
    """Positions of the values that match an RE2 ``pattern`` (pyarrow, vectorised)."""
    import pyarrow.compute as pc

    return np.flatnonzero(np.asarray(pc.fill_null(pc.match_substring_regex(arr, pattern),
                                                  False)))


def normalise(text: str) -> str:
    """``text`` as the scanner reads it.

    Examples
    --------
    >>> normalise("010203\\u20131234 tlf\\u202f912\\u00a034\\u00a0567 ola\\uff20nav.no")
    '010203-1234 tlf 912 34 567 ola@nav.no'
    """
    return _normalised(np.array([text], dtype=object))[0].as_py()


def _digits_of(match: str) -> tuple[int, int, bool]:
    """Value, number of digits and whether ``match`` is digits only."""
    digits = _NOT_DIGIT.sub("", match)
    return int(digits), len(digits), len(digits) == len(match)


def scan_text(values, kinds: tuple[str, ...] = KINDS) -> dict[str, np.ndarray]:
    """A boolean mask over ``values`` (distinct strings) for each kind in ``kinds``."""
    values = np.asarray(values, dtype=object)
    n = len(values)
    found = {k: np.zeros(n, dtype=bool) for k in kinds}
    if n == 0:
        return found
    arr = _prepared(values)
    numbers = [k for k in kinds if k in NUMBER_KINDS]
    if "phone" in kinds:
        cand = _where(arr, _PHONE_RE2)
        for i, text in zip(cand, arr.take(cand).to_pylist(), strict=True):
            found["phone"][i] = _PHONE_RE.search(text) is not None
    if numbers:
        cand = np.union1d(_where(arr, _PERSON_RE2), _where(arr, _NINE_RE2))
        hits: list[tuple[int, int, int, bool]] = []  # owner, value, digits, no separators
        for i, text in zip(cand, arr.take(cand).to_pylist(), strict=True):
            hits += [(i, *_digits_of(m.group())) for m in _PERSON_RE.finditer(text)]
            if _NINE_RE.fullmatch(text):
                hits.append((i, int(text), 9, True))
        if hits:
            owner, value, width, plain = (np.array(c) for c in zip(*hits, strict=True))
            codes = classify(value.astype(np.int64), width <= 10,
                             (width == 11) | ((width == 10) & plain.astype(bool)))
            for k in numbers:
                found[k][owner[codes == NUMBER_KINDS.index(k) + 1]] = True
    if "email" in kinds:
        cand = _where(arr, _EMAIL_RE2)
        for i, text in zip(cand, arr.take(cand).to_pylist(), strict=True):
            found["email"][i] = _EMAIL_RE.search(text) is not None
    return found


def is_number(x) -> bool:
    """Whether ``x`` is a number (and not a boolean)."""
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool | np.bool_)


def as_floats(numbers) -> np.ndarray:
    """Numbers as float64; those far beyond any identifier (or any float) as NaN."""
    return np.array([x if abs(x) < 1e300 else np.nan for x in numbers], dtype=float)


def text_of(x) -> str:
    """``str(x)``, or "" for an object whose text cannot be made."""
    try:
        return x if isinstance(x, str) else str(x)
    except Exception:  # an object whose str() fails holds nothing we can read
        return ""


def kinds_in_value(value) -> tuple[str, ...]:
    """The kinds of identifier in one value (text, number or anything with a ``str``).

    Examples
    --------
    >>> kinds_in_value("ring tlf.91234567 eller ola@bærum.kommune.no")
    ('email', 'phone')
    >>> kinds_in_value(2013299997), kinds_in_value("H-030623-0001"), kinds_in_value(None)
    (('fodselsnummer',), (), ())
    """
    if value is None or isinstance(value, bool | np.bool_):
        return ()
    if is_number(value):
        hits = scan_numbers(as_floats([value]))
    else:
        hits = scan_text(np.array([text_of(value)], dtype=object))
    return tuple(k for k in KINDS if k in hits and hits[k][0])


def looks_like_identifier(value) -> bool:
    """Whether a value must not be echoed in a message: it holds an identifier of a kind
    in :data:`KINDS`, or a number shaped like a person number whose date or control
    digits fail (a mistyped number still points to a person).

    Examples
    --------
    >>> looks_like_identifier("01020312346"), looks_like_identifier("Budget 45000000 kr")
    (True, False)
    """
    if kinds_in_value(value):
        return True
    if is_number(value):
        return bool(10**8 <= abs(value) < 10**11)
    text = _prepared(np.array([text_of(value)], dtype=object))[0].as_py()
    return bool(_PERSON_RE.search(text) or _NINE_RE.fullmatch(text))


# -- scalar validators -----------------------------------------------------------------
def _person_number(s) -> tuple[int, int, bool] | None:
    """(value, digits, digits only) of ``s`` when it is one person number and nothing else."""
    if isinstance(s, bool | np.bool_):
        return None
    if isinstance(s, int | np.integer):
        return (int(s), len(str(int(s))), True) if 0 < s < 10**11 else None
    if not isinstance(s, str):
        return None
    text = normalise(s).strip()
    if not (_PERSON_RE.fullmatch(text) or _NINE_RE.fullmatch(text)):
        return None
    return _digits_of(text)


def is_valid_cpr(s, *, replacement: bool = False) -> bool:
    """Whether ``s`` is a Danish CPR number with a real birth date.

    ``s`` is text in any way of writing it (``010203-1234``, ``0102031234``,
    ``01.02.03-1234``, en dash or no-break space as separator) or an int that lost its
    leading zero. ``replacement=True`` also accepts replacement numbers (day + 60). No
    modulus-11 check: numbers without it have been issued since 2007.

    Examples
    --------
    >>> is_valid_cpr("010203-1234"), is_valid_cpr("0102031234"), is_valid_cpr(102031234)
    (True, True, True)
    >>> is_valid_cpr("310299-1234"), is_valid_cpr("290200-1234"), is_valid_cpr("290200-4234")
    (False, False, True)
    >>> is_valid_cpr("670203-1234"), is_valid_cpr("670203-1234", replacement=True)
    (False, True)
    """
    parsed = _person_number(s)
    if parsed is None or parsed[1] not in (9, 10):
        return False
    code = int(cpr_codes(np.array([parsed[0]], dtype=np.int64))[0])
    return code == 1 or (replacement and code == 2)


def kind_of_fodselsnummer(s, *, allow_2032: bool = False) -> str | None:
    """``"fodselsnummer"``, ``"d_nummer"``, ``"h_nummer"``, ``"fh_nummer"`` or None.

    ``s`` is 11 digits, written together or grouped (``010203 12345``,
    ``01 02 03 123 45``), or an int (10 digits when the leading zero was lost). Both
    control digits must hold and, except for FH-nummer, the date must exist;
    ``allow_2032`` also accepts the first control digit of numbers issued from 2032.

    Examples
    --------
    >>> kind_of_fodselsnummer("02013299997"), kind_of_fodselsnummer("42013299980")
    ('fodselsnummer', 'd_nummer')
    >>> kind_of_fodselsnummer("02413299899"), kind_of_fodselsnummer("02013299998")
    ('h_nummer', None)
    >>> kind_of_fodselsnummer("020132 999 97"), kind_of_fodselsnummer(2013299997)
    ('fodselsnummer', 'fodselsnummer')
    >>> kind_of_fodselsnummer("30108299939"), kind_of_fodselsnummer("30108299939", allow_2032=True)
    (None, 'fodselsnummer')
    """
    parsed = _person_number(s)
    # 10 digits are a fødselsnummer only when written as one run (its leading zero lost)
    if parsed is None or not (parsed[1] == 11 or (parsed[1] == 10 and parsed[2])):
        return None
    code = int(fnr_codes(np.array([parsed[0]], dtype=np.int64), allow_2032)[0])
    return NUMBER_KINDS[code - 1] if code else None


def is_valid_fodselsnummer(s, *, allow_2032: bool = False) -> bool:
    """Whether ``s`` is a Norwegian fødselsnummer, D-, H- or FH-nummer.

    Examples
    --------
    >>> is_valid_fodselsnummer("02013299997"), is_valid_fodselsnummer("02013299996")
    (True, False)
    """
    return kind_of_fodselsnummer(s, allow_2032=allow_2032) is not None
