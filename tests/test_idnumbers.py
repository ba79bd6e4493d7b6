"""Vectorised person-number rules against published examples and scalar references."""

from __future__ import annotations

import datetime as dt

import numpy as np

from implementere_kit.exchange import idnumbers
from implementere_kit.exchange.idnumbers import (
    NUMBER_KINDS,
    cpr_codes,
    fnr_codes,
    int_codes,
    phone_ints,
    scan_numbers,
)
from tests.idgen import (
    century_digits,
    control_digits,
    individual_range,
    make_cpr,
    make_fh,
    make_fnr,
    ref_cpr_kind,
    ref_fnr_kind,
)


def kinds(codes):
    return [NUMBER_KINDS[c - 1] if c else None for c in codes]


def random_dates(rng, n, start=1858, end=2039):
    lo, hi = dt.date(start, 1, 1).toordinal(), dt.date(end, 12, 31).toordinal()
    return [dt.date.fromordinal(int(o)) for o in rng.integers(lo, hi + 1, n)]


def test_published_control_digits():
    # fnrinfo.no works through 311299567 -> control digits 1 and 5
    assert control_digits("311299567") == "15"
    v = np.array([31129956715, 31129956716, 2013299997], dtype=np.int64)
    assert kinds(fnr_codes(v)) == ["fodselsnummer", None, "fodselsnummer"]
    # Skatteetaten's note on numbers from 2032: remainder 0-3 accepted for the first digit
    new = np.array([30108299939], dtype=np.int64)
    assert kinds(fnr_codes(new)) == [None]
    assert kinds(fnr_codes(new, allow_2032=True)) == ["fodselsnummer"]


def test_fh_nummer_has_control_digits_and_no_date():
    rng = np.random.default_rng(1)
    fh = [f for f in (make_fh(int(a), int(b)) for a, b in
                      zip(rng.choice([8, 9], 400), rng.integers(0, 10**8, 400), strict=True)) if f]
    v = np.array([int(f) for f in fh], dtype=np.int64)
    assert set(kinds(fnr_codes(v))) == {"fh_nummer"}
    wrong = v + np.where(v % 10 == 9, -9, 1)  # last control digit off by one
    assert not fnr_codes(wrong).any()
    # 812345678 gives control digits 0 and 2 by fnrinfo.no's method
    assert kinds(fnr_codes(np.array([81234567802], dtype=np.int64))) == ["fh_nummer"]


def test_cpr_rules_against_reference():
    rng = np.random.default_rng(3)
    real = []
    for d in random_dates(rng, 6000, 1858, 2036):
        c7 = int(rng.choice(century_digits(d.year)))
        real.append(make_cpr(d, c7, int(rng.integers(0, 1000)), replacement=rng.random() < .3))
    noise = [f"{v:010d}" for v in rng.integers(0, 10**10, 20000)]
    numbers = real + noise
    got = kinds(cpr_codes(np.array([int(s) for s in numbers], dtype=np.int64)))
    want = [ref_cpr_kind(s) for s in numbers]
    assert got == want
    assert {"cpr", "cpr_replacement", None} <= set(want)


def test_fnr_rules_against_reference():
    rng = np.random.default_rng(4)
    numbers = []
    for shift in ({}, {"day_add": 40}, {"month_add": 40}, {"month_add": 80}):
        for d in random_dates(rng, 1500, 1855):
            lo, hi = individual_range(d.year)
            f = make_fnr(d, int(rng.integers(lo, hi + 1)), **shift)
            if f:
                numbers.append(f)
    numbers += [f"{v:011d}" for v in rng.integers(0, 10**11, 30000)]
    got = kinds(fnr_codes(np.array([int(s) for s in numbers], dtype=np.int64)))
    assert got == [ref_fnr_kind(s) for s in numbers]
    assert {"fodselsnummer", "d_nummer", "h_nummer", "fh_nummer"} <= set(got)


def test_leap_days_and_centuries():
    # 29 February 1900 does not exist (individual 000-499), 29 February 2000 does (500-999)
    leap_1900 = next(f for i in range(500) if (f := make_fnr(dt.date(2000, 2, 29), i)))
    leap_2000 = next(f for i in range(500, 1000) if (f := make_fnr(dt.date(2000, 2, 29), i)))
    assert kinds(fnr_codes(np.array([int(leap_1900), int(leap_2000)]))) == [None, "fodselsnummer"]
    cpr = np.array([2902001234, 2902004234, 8902001234, 8902004234], dtype=np.int64)
    assert kinds(cpr_codes(cpr)) == [None, "cpr", None, "cpr_replacement"]


def test_int_codes_read_lost_leading_zeros():
    early = make_fnr(dt.date(1975, 1, 1), 123)  # day 01: an int drops the zero
    assert early.startswith("0")
    v = np.array([int(early), 102031234, 1502031234, 6702031234, 12345678], dtype=np.int64)
    assert kinds(int_codes(v)) == ["fodselsnummer", "cpr", "cpr", "cpr_replacement", None]


def test_large_inputs_are_chunked(monkeypatch):
    monkeypatch.setattr(idnumbers, "_CHUNK", 7)
    v = np.array([102031234] * 20 + [5] * 3, dtype=np.int64)
    assert kinds(int_codes(v)) == ["cpr"] * 20 + [None] * 3


def test_phone_ints():
    v = np.array([91234567, 20123456, 20240105, 19991231, 45000000, 12345678, 9123456,
                  912345678, 20241399])
    assert phone_ints(v).tolist() == [True, True, False, False, False, False, False, False, True]
    found = scan_numbers(np.array([91234567.0, np.nan, 1502031234.0, 2.5]), phone=False)
    assert found["phone"].tolist() == [False] * 4
    assert found["cpr"].tolist() == [False, False, True, False]
    assert scan_numbers(np.array([91234567]))["phone"].tolist() == [True]
