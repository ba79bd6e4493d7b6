"""Generated identifiers for the scanner's tests: valid control digits computed, no real person.

Plain generators (``make_*``), independent reference validators written with
:mod:`datetime` (``ref_*``), and hypothesis strategies that write each kind in every
format the scanner must catch (:func:`written`). Dates come from the whole range the
rules allow, so some generated numbers may coincide with a real person's by chance; none
is taken from a person.
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import assume
from hypothesis import strategies as st

W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
NNBSP, NBSP, EN_DASH = "\u202f", "\u00a0", "\u2013"


# -- plain generators and reference validators -------------------------------------------
def control_digits(nine: str) -> str | None:
    """Both modulus-11 control digits of a fødselsnummer, or None when one would be 10."""
    k1 = (11 - sum(w * int(c) for w, c in zip(W1, nine, strict=True)) % 11) % 11
    if k1 == 10:
        return None
    k2 = (11 - sum(w * int(c) for w, c in zip(W2, nine + str(k1), strict=True)) % 11) % 11
    return None if k2 == 10 else f"{k1}{k2}"


def individual_range(year: int) -> tuple[int, int]:
    """Individual numbers (lo, hi inclusive) that give ``year``'s century."""
    if year < 1900:
        return 500, 749
    if year < 2000:
        return 0, 499
    return 500, 999


def make_fnr(date: dt.date, ind: int, *, day_add: int = 0, month_add: int = 0) -> str | None:
    nine = f"{date.day + day_add:02d}{date.month + month_add:02d}{date.year % 100:02d}{ind:03d}"
    k = control_digits(nine)
    return None if k is None else nine + k


def make_fh(first: int, rest: int) -> str | None:
    nine = f"{first}{rest:08d}"
    k = control_digits(nine)
    return None if k is None else nine + k


def century_digits(year: int) -> list[int]:
    """7th CPR digits that give ``year``'s century (CPR-kontoret's table)."""
    yy = year % 100
    if year < 1900:
        return [5, 6, 7, 8]
    if year < 2000:
        return [0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])
    return ([4, 9] if yy <= 36 else []) + [5, 6, 7, 8]


def make_cpr(date: dt.date, c7: int, seq: int, *, replacement: bool = False) -> str:
    day = date.day + (60 if replacement else 0)
    return f"{day:02d}{date:%m%y}{c7}{seq:03d}"


def ref_date(day: int, month: int, year: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def ref_cpr_kind(s: str) -> str | None:
    day, month, yy, c = int(s[:2]), int(s[2:4]), int(s[4:6]), int(s[6])
    kind = "cpr"
    if day >= 61:
        day, kind = day - 60, "cpr_replacement"
    if c <= 3:
        year = 1900 + yy
    elif c in (4, 9):
        year = (2000 if yy <= 36 else 1900) + yy
    else:
        year = (2000 if yy <= 57 else 1800) + yy
    return kind if ref_date(day, month, year) else None


def ref_fnr_kind(s: str) -> str | None:
    if control_digits(s[:9]) != s[9:]:
        return None
    if s[0] in "89":
        return "fh_nummer"
    day, month, yy, ind = int(s[:2]), int(s[2:4]), int(s[4:6]), int(s[6:9])
    kind = "fodselsnummer"
    if 41 <= day <= 71:
        day, kind = day - 40, "d_nummer"
    if 41 <= month <= 52:
        month, kind = month - 40, "h_nummer" if kind == "fodselsnummer" else kind
    elif 81 <= month <= 92:
        month -= 80
    if ind <= 499:
        century = 1900
    elif yy <= 39:
        century = 2000
    elif ind <= 749 and yy >= 54:
        century = 1800
    else:
        century = 1900
    return kind if ref_date(day, month, century + yy) else None


def digits_only(text: str) -> str:
    """Every decimal digit of any script, as ASCII (the 'digit-normalised' form)."""
    return "".join(str(int(c)) for c in text if c.isdecimal())


# -- hypothesis strategies -----------------------------------------------------------------
dates = st.dates(min_value=dt.date(1858, 1, 1), max_value=dt.date(2036, 12, 31))


@st.composite
def cpr_numbers(draw, replacement: bool = False) -> str:
    date = draw(dates)
    c7 = draw(st.sampled_from(century_digits(date.year)))
    return make_cpr(date, c7, draw(st.integers(0, 999)), replacement=replacement)


@st.composite
def fnr_numbers(draw, kind: str = "fodselsnummer") -> str:
    if kind == "fh_nummer":
        number = make_fh(draw(st.sampled_from([8, 9])), draw(st.integers(0, 10**8 - 1)))
    else:
        date = draw(st.dates(min_value=dt.date(1855, 1, 1), max_value=dt.date(2039, 12, 31)))
        lo, hi = individual_range(date.year)
        shift = {"fodselsnummer": {}, "d_nummer": {"day_add": 40},
                 "h_nummer": {"month_add": 40}}[kind]
        number = make_fnr(date, draw(st.integers(lo, hi)), **shift)
    assume(number is not None)
    return number


@st.composite
def phone_numbers(draw) -> str:
    number = f"{draw(st.integers(2, 9))}{draw(st.integers(0, 10**7 - 1)):07d}"
    assume(not re.fullmatch(r"(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", number))
    assume(not number.endswith("00000"))
    return number


_LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåé0123456789", min_size=1, max_size=10)
_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå", min_size=1, max_size=10)


@st.composite
def email_addresses(draw) -> str:
    local = draw(st.lists(_LOCAL, min_size=1, max_size=3).map(".".join))
    domain = draw(st.lists(_LABEL, min_size=1, max_size=3).map(".".join))
    tld = draw(st.sampled_from(["no", "dk", "se", "com", "kommune.no"]))
    return f"{local}@{domain}.{tld}"


SEPARATORS = [" ", NBSP, NNBSP, "\u2009", "\u2007"]
DASHES = ["-", EN_DASH, "\u2011", "\u2212", "\u2014"]
CPR_PREFIXES = ["", "cpr.nr. ", "cpr-nr:", "CPR: ", "CPR:", "cpr.nr.", "Cpr-nr. ", "cpr "]
FNR_PREFIXES = ["", "fnr ", "fnr.", "fødselsnr: ", "f.nr. ", "pnr:"]
PHONE_PREFIXES = ["", "tlf.", "tlf: ", "Tlf ", "mob:", "telefon ", "tlf-"]


def _cpr_forms(d: str) -> st.SearchStrategy[str]:
    seps = [""] + SEPARATORS + DASHES + [" - ", f" {EN_DASH} "]
    plain = st.sampled_from(seps).map(lambda s: d[:6] + s + d[6:])
    dotted = st.tuples(st.sampled_from([".", " ", "-"]), st.sampled_from(DASHES + [" - "])).map(
        lambda t: f"{d[:2]}{t[0]}{d[2:4]}{t[0]}{d[4:6]}{t[1]}{d[6:]}")
    return st.tuples(st.sampled_from(CPR_PREFIXES), st.one_of(plain, dotted)).map("".join)


def _fnr_forms(d: str) -> st.SearchStrategy[str]:
    forms = [d, f"{d[:6]} {d[6:]}", f"{d[:6]}-{d[6:]}", f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:9]} {d[9:]}",
             f"{d[:6]} {d[6:9]} {d[9:]}", f"{d[:2]}.{d[2:4]}.{d[4:6]} {d[6:]}"]
    if d[0] == "0":
        forms.append(d[1:])  # a spreadsheet dropped the leading zero
    spaced = st.sampled_from(forms).flatmap(
        lambda f: st.sampled_from(SEPARATORS).map(lambda s: f.replace(" ", s)))
    return st.tuples(st.sampled_from(FNR_PREFIXES), spaced).map("".join)


def _phone_forms(d: str) -> st.SearchStrategy[str]:
    groups = [d, f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", f"{d[:3]} {d[3:5]} {d[5:]}",
              f"{d[:2]} {d[2:5]} {d[5:]}", f"{d[:4]} {d[4:]}"]
    dots = groups[1:3]  # 2-2-2-2 and 3-2-3 are also written with dots
    body = st.sampled_from(groups).flatmap(lambda g: st.sampled_from(
        SEPARATORS + ["-", EN_DASH] + (["."] if g in dots else [])).map(
            lambda s: g.replace(" ", s)))
    country = st.sampled_from(["", "+47 ", "+47-", "+45", "0047 ", "+45 ", "0045", "(+47) ",
                               f"+45{NNBSP}"])
    return st.tuples(st.sampled_from(PHONE_PREFIXES), country, body).map("".join)


def _email_forms(e: str) -> st.SearchStrategy[str]:
    local, domain = e.split("@")
    return st.sampled_from([e, e.upper(), f"{local}＠{domain}", f"{local} (at) {domain}",
                            f"<{e}>", f"mailto:{e}"])


KIND_STRATEGIES = {
    "cpr": (cpr_numbers(), _cpr_forms),
    "cpr_replacement": (cpr_numbers(replacement=True), _cpr_forms),
    "fodselsnummer": (fnr_numbers("fodselsnummer"), _fnr_forms),
    "d_nummer": (fnr_numbers("d_nummer"), _fnr_forms),
    "h_nummer": (fnr_numbers("h_nummer"), _fnr_forms),
    "fh_nummer": (fnr_numbers("fh_nummer"), _fnr_forms),
    "phone": (phone_numbers(), _phone_forms),
    "email": (email_addresses(), _email_forms),
}


@st.composite
def written(draw, kinds=tuple(KIND_STRATEGIES)) -> tuple[str, str, str]:
    """(kind, the identifier as written, its canonical form: digits or the address)."""
    kind = draw(st.sampled_from(kinds))
    numbers, forms = KIND_STRATEGIES[kind]
    canonical = draw(numbers)
    return kind, draw(forms(canonical)), canonical


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåÆØÅ", min_size=1, max_size=12)
filler = st.lists(_WORD, max_size=6).map(" ".join)


@st.composite
def planted(draw, kinds=tuple(KIND_STRATEGIES)) -> tuple[str, str, str]:
    """(kind, text with the identifier planted among words, canonical form)."""
    kind, text, canonical = draw(written(kinds))
    if draw(st.booleans()):  # copied from a web page or a PDF: fullwidth digits, zero widths
        text = draw(st.sampled_from([
            text.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}),
            text[:3] + "\u200b" + text[3:], text[:5] + "\u00ad" + text[5:]]))
    before, after = draw(filler), draw(filler)
    left = draw(st.sampled_from([" ", ", ", " (", ": ", "\n"])) if before else ""
    right = draw(st.sampled_from([" ", ", ", ") ", ". ", "\n"])) if after else ""
    return kind, f"{before}{left}{text}{right}{after}", canonical
