"""Privacy guard and keyed pseudonyms.

Identifiers are built here with computed control digits (fødselsnummer) and century digits
(CPR) and checked against published examples (fnrinfo.no, Skatteetaten's 2032 note) and an
independent scalar reference written with :mod:`datetime`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid

import numpy as np
import pandas as pd
import pytest

from implementere_kit.errors import ImplementereError, PrivacyError, ValidationError
from implementere_kit.exchange import privacy
from implementere_kit.exchange.privacy import (
    FINDING_COLUMNS,
    check_no_personal_ids,
    find_personal_ids,
    is_valid_cpr,
    is_valid_fodselsnummer,
    kind_of_fodselsnummer,
    pseudonymise,
)

W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
KEY = bytes(range(32))


# -- generators ----------------------------------------------------------------------------
def control_digits(nine: str) -> str | None:
    """Both modulus-11 control digits of a fødselsnummer, or None when one would be 10."""
    k1 = (11 - sum(w * int(c) for w, c in zip(W1, nine, strict=True)) % 11) % 11
    if k1 == 10:
        return None
    k2 = (11 - sum(w * int(c) for w, c in zip(W2, nine + str(k1), strict=True)) % 11) % 11
    return None if k2 == 10 else f"{k1}{k2}"


def individual_for(year: int, rng) -> int:
    if year < 1900:
        return int(rng.integers(500, 750))
    if year < 2000:
        return int(rng.integers(0, 500))
    return int(rng.integers(500, 1000))


def make_fnr(date: dt.date, ind: int, *, day_add=0, month_add=0) -> str | None:
    nine = f"{date.day + day_add:02d}{date.month + month_add:02d}{date.year % 100:02d}{ind:03d}"
    k = control_digits(nine)
    return None if k is None else nine + k


def random_dates(rng, n, start=1900, end=2039):
    lo, hi = dt.date(start, 1, 1).toordinal(), dt.date(end, 12, 31).toordinal()
    return [dt.date.fromordinal(int(o)) for o in rng.integers(lo, hi + 1, n)]


def fnrs(rng, n, **shift):
    out = []
    while len(out) < n:
        d = random_dates(rng, 1)[0]
        f = make_fnr(d, individual_for(d.year, rng), **shift)
        if f:
            out.append(f)
    return out


def century_digit(year: int, rng) -> int:
    """A 7th CPR digit that gives ``year``'s century (CPR-kontoret's table)."""
    yy = year % 100
    if year < 1900:
        return int(rng.integers(5, 9))
    if year < 2000:
        return int(rng.choice([0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])))
    return int(rng.choice(([4, 9] if yy <= 36 else []) + [5, 6, 7, 8]))


def make_cpr(date: dt.date, rng, hyphen=True) -> str:
    seq = f"{century_digit(date.year, rng)}{int(rng.integers(0, 1000)):03d}"
    return f"{date:%d%m%y}{'-' if hyphen else ''}{seq}"


# -- reference validators, one number at a time ------------------------------------------
def ref_date(day, month, year) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def ref_cpr(s: str) -> bool:
    day, month, yy, c = int(s[:2]), int(s[2:4]), int(s[4:6]), int(s[6])
    if c <= 3:
        year = 1900 + yy
    elif c in (4, 9):
        year = (2000 if yy <= 36 else 1900) + yy
    else:
        year = (2000 if yy <= 57 else 1800) + yy
    return ref_date(day, month, year)


def ref_fnr_kind(s: str) -> str | None:
    if control_digits(s[:9]) != s[9:]:
        return None
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


# -- validators ---------------------------------------------------------------------------
def test_published_control_digits():
    # fnrinfo.no works through 311299567 -> control digits 1 and 5
    assert control_digits("311299567") == "15"
    assert is_valid_fodselsnummer("31129956715")
    assert not is_valid_fodselsnummer("31129956716")
    # Skatteetaten's note on numbers from 2032: classic rule for the first, new rule after
    assert kind_of_fodselsnummer("02013299997") == "fodselsnummer"
    assert kind_of_fodselsnummer("30108299920") == "fodselsnummer"
    assert not is_valid_fodselsnummer("30108299939")
    assert is_valid_fodselsnummer("30108299939", allow_2032=True)


def test_generated_fodselsnummer_and_variants():
    rng = np.random.default_rng(1)
    for f in fnrs(rng, 200):
        assert kind_of_fodselsnummer(f) == "fodselsnummer"
        assert kind_of_fodselsnummer(f[:6] + "-" + f[6:]) == "fodselsnummer"
    for f in fnrs(rng, 100, day_add=40):
        assert kind_of_fodselsnummer(f) == "d_nummer"
    for f in fnrs(rng, 100, month_add=40):
        assert kind_of_fodselsnummer(f) == "h_nummer"
    for f in fnrs(rng, 100, month_add=80):  # Skatteetaten's synthetic test persons
        assert kind_of_fodselsnummer(f) == "fodselsnummer"


def test_wrong_control_digit_or_date_is_not_fodselsnummer():
    rng = np.random.default_rng(2)
    for f in fnrs(rng, 200):
        wrong = f[:10] + str((int(f[10]) + 1) % 10)
        assert not is_valid_fodselsnummer(wrong)
        wrong1 = f[:9] + str((int(f[9]) + 1) % 10) + f[10]
        assert not is_valid_fodselsnummer(wrong1)
    # 29 February 1900 does not exist (individual 000-499), 29 February 2000 does (500-999)
    leap_1900 = next(f for i in range(500) if (f := make_fnr(dt.date(2000, 2, 29), i)))
    leap_2000 = next(f for i in range(500, 1000) if (f := make_fnr(dt.date(2000, 2, 29), i)))
    assert not is_valid_fodselsnummer(leap_1900)
    assert is_valid_fodselsnummer(leap_2000)
    assert not is_valid_fodselsnummer("3" + leap_2000[1:]) and not is_valid_fodselsnummer("")


def test_vectorised_checks_agree_with_reference():
    rng = np.random.default_rng(3)
    cpr = rng.integers(0, 10**10, 20000)
    # dense in real dates so both answers occur often
    cpr[:10000] = [int(make_cpr(d, rng, hyphen=False)) for d in random_dates(rng, 10000, 1858)]
    cpr[5000:6000] += 10**8  # push days/months out of range
    got = privacy._cpr_valid(cpr.astype(np.int64))
    want = np.array([ref_cpr(f"{v:010d}") for v in cpr])
    assert 0 < want.sum() < len(want)
    np.testing.assert_array_equal(got, want)

    nums = [f for f in fnrs(rng, 2000)] + fnrs(rng, 500, day_add=40) + fnrs(rng, 500, month_add=40)
    nums += [f"{v:011d}" for v in rng.integers(0, 10**11, 20000)]
    v = np.array([int(s) for s in nums], dtype=np.int64)
    codes = privacy._fnr_codes(v)
    got_kinds = [privacy._NUMBER_KINDS[c - 1] if c else None for c in codes]
    assert got_kinds == [ref_fnr_kind(s) for s in nums]


def test_cpr_dates_and_century():
    rng = np.random.default_rng(4)
    for d in random_dates(rng, 300, 1858, 2036):
        assert is_valid_cpr(make_cpr(d, rng))
        assert is_valid_cpr(make_cpr(d, rng, hyphen=False))
    assert not is_valid_cpr("310299-1234")  # no 31 February
    assert not is_valid_cpr("290200-1234")  # digit 1: year 1900, not a leap year
    assert is_valid_cpr("290200-4234")  # digit 4: year 2000
    assert not is_valid_cpr("011399-1234") and not is_valid_cpr("000199-1234")
    # 010165-0000 fails modulus 11 (weights 4 3 2 7 6 5 4 3 2 1), still a valid CPR number
    assert sum(w * int(c) for w, c in zip((4, 3, 2, 7, 6, 5, 4, 3, 2, 1), "0101650000",
                                          strict=True)) % 11 != 0
    assert is_valid_cpr("010165-0000")
    assert is_valid_cpr(102031234)  # an int that lost its leading zero
    assert not is_valid_cpr(True) and not is_valid_cpr(None) and not is_valid_cpr("12")


# -- find_personal_ids ---------------------------------------------------------------------
def kinds_of(findings: pd.DataFrame, column: str) -> set[str]:
    return set(findings.loc[findings["column"] == column, "kind"])


def test_ids_in_free_text():
    rng = np.random.default_rng(5)
    f, d = fnrs(rng, 1)[0], fnrs(rng, 1, day_add=40)[0]
    df = pd.DataFrame({
        "phone_no": ["Ring mor på 912 34 567", "ok", "tlf. +47 91234567."],
        "phone_dk": ["ring 0045 20 12 34 56", "kontakt 2012 3456", "fint"],
        "cpr": ["barn 010203-1234 i gruppe", "(0102031234)", "barn 310299-1234"],
        "fnr": [f"henvist av far {f}.", f"D {d}", "x"],
        "email": ["skriv til ola.nordmann@nav.no", "nei", "kari@kommune.dk"],
    })
    found = find_personal_ids(df, table="notes")
    assert list(found.columns) == FINDING_COLUMNS
    assert (found["table"] == "notes").all()
    assert kinds_of(found, "phone_no") == {"phone"}
    assert kinds_of(found, "phone_dk") == {"phone"}
    assert kinds_of(found, "cpr") == {"cpr"}
    assert kinds_of(found, "fnr") == {"fodselsnummer", "d_nummer"}
    assert kinds_of(found, "email") == {"email"}
    counts = found.set_index(["column", "kind"])["count"]
    assert counts["phone_no", "phone"] == 2 and counts["cpr", "cpr"] == 2
    assert counts["email", "email"] == 2


def reference_kinds(text: str) -> set[str]:
    """Kinds in ``text`` by the module's regexes alone (no pre-filter), one match at a time."""
    kinds = set()
    if privacy._EMAIL_RE.search(text):
        kinds.add("email")
    if privacy._PHONE_RE.search(text):
        kinds.add("phone")
    for m in privacy._ID_RE.finditer(text):
        digits = m.group(1) + m.group(3)
        if len(digits) == 10 and not m.group(2) and kind_of_fodselsnummer("0" + digits):
            kinds.add(kind_of_fodselsnummer("0" + digits))
        elif len(digits) == 10 and is_valid_cpr(digits):
            kinds.add("cpr")
        elif len(digits) == 11 and kind_of_fodselsnummer(digits):
            kinds.add(kind_of_fodselsnummer(digits))
    if privacy._NINE_DIGITS_RE.fullmatch(text) and is_valid_cpr(int(text)):
        kinds.add("cpr")
    return kinds


def test_prefilter_and_vectorised_scan_match_plain_regex():
    rng = np.random.default_rng(11)
    tokens = (fnrs(rng, 30) + fnrs(rng, 30, day_add=40) + fnrs(rng, 30, month_add=40)
              + [make_cpr(d, rng, hyphen=bool(i % 2)) for i, d in enumerate(random_dates(rng, 60))]
              + ["912 34 567", "91 23 45 67", "+4791234567", "0045 2012 3456", "20240105",
                 "ola@nav.no", "a.b@c", "p_", "-", ".", ",", "+", "/", "ø", "x", "_", "T", "@",
                 "010203", "1234", "12345", " ", " ", " ", "\u00a0"]
              + [str(v) for v in rng.integers(0, 10**11, 60)])
    texts = ["".join(rng.choice(tokens, int(rng.integers(1, 6)))) for _ in range(4000)]
    texts += [str(v) for v in rng.integers(10**8, 10**9, 300)]  # whole-cell 9 digits
    got = find_personal_ids(pd.DataFrame({"t": texts}))
    want = {}
    for t in texts:
        for k in reference_kinds(t):
            want[k] = want.get(k, 0) + 1
    assert len(want) == 6
    assert dict(zip(got["kind"], got["count"], strict=True)) == want


def test_counts_are_rows_not_distinct_values():
    df = pd.DataFrame({"note": ["ring 912 34 567"] * 1000 + ["ok"] * 500})
    assert find_personal_ids(df)["count"].tolist() == [1000]


def test_ids_in_numeric_columns():
    rng = np.random.default_rng(6)
    f = fnrs(rng, 1)[0]
    early = next(x for x in fnrs(rng, 300) if x.startswith("0"))  # day 01-09
    df = pd.DataFrame({
        "fnr_int": [int(f), 1, 2],
        "fnr_lost_zero": [int(early), 3, 4],  # 10 digits once the zero is gone
        "cpr_int": [102031234, 5, 6],  # CPR for 1 February 1903, leading zero lost
        "cpr_float": [1502031234.0, np.nan, 2.5],
        "n_eligible": [12345678, 91234567, 40],  # counts, never phone numbers
        "wrong_fnr": [int(f[:10] + str((int(f[10]) + 1) % 10)), 7, 8],
    })
    df["nullable"] = pd.array([int(f), None, 9], dtype="Int64")
    found = find_personal_ids(df)
    assert kinds_of(found, "fnr_int") == {"fodselsnummer"}
    assert kinds_of(found, "fnr_lost_zero") == {"fodselsnummer"}
    assert kinds_of(found, "cpr_int") == {"cpr"}
    assert kinds_of(found, "cpr_float") == {"cpr"}
    assert kinds_of(found, "nullable") == {"fodselsnummer"}
    assert kinds_of(found, "n_eligible") == set()
    assert kinds_of(found, "wrong_fnr") == set()


def test_ids_in_mixed_and_categorical_columns():
    f = fnrs(np.random.default_rng(7), 1)[0]
    df = pd.DataFrame({"mixed": [int(f), "ring 91 23 45 67", None, 3.5],
                       "cat": pd.Categorical(["a@b.no", "x", "x", "x"]),
                       "arrow": pd.array(["010203-1234", None, "y", "z"], dtype="string")})
    # a text cell of only 9 digits is a CPR number that lost its zero; 9 digits in prose are not
    df["cpr_text"] = ["102031234", " 102031234 ", "x", "y"]
    df["case_no"] = ["sak 102031234 lukket", "x", "y", "z"]
    found = find_personal_ids(df)
    assert kinds_of(found, "cpr_text") == {"cpr"}
    assert kinds_of(found, "case_no") == set()
    assert kinds_of(found, "mixed") == {"fodselsnummer", "phone"}
    assert kinds_of(found, "cat") == {"email"}
    assert kinds_of(found, "arrow") == {"cpr"}


def test_clean_table_has_no_findings():
    rng = np.random.default_rng(8)
    ids = pd.Series([f"0301-G{g:04d}-F{i}" for g in range(200) for i in range(1, 6)])
    n = len(ids)
    ts = pd.Timestamp("2024-01-05 10:30") + pd.to_timedelta(rng.integers(0, 10**7, n), "s")
    df = pd.DataFrame({
        "participant_id": pseudonymise(ids, KEY),
        "other_key": pseudonymise(ids, b"another key of 32 bytes........."),
        "site": rng.choice(["0301", "101", "461", "4601", "5001"], n),
        "date": ts.strftime("%Y-%m-%d"),
        "when": ts.strftime("%Y-%m-%dT%H:%M:%S"),
        "when_tz": ts.strftime("%Y-%m-%d %H:%M:%S+01:00"),
        "compact_date": ts.strftime("%Y%m%d"),
        "dmy": ts.strftime("%d.%m.%Y"),
        "session_no": rng.integers(1, 17, n),
        "amount": rng.integers(100, 10**7, n) / 100,
        "amount_text": [f"{a:.2f}" for a in rng.integers(10**6, 10**10, n) / 100],
        "uuid": [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)],
        "n_eligible": rng.integers(10**7, 10**8, n),
        "leaders": [f"0301-P{a:02d};0301-P{b:02d}" for a, b in rng.integers(1, 30, (n, 2))],
        "dt": ts,
        "done": rng.random(n) > 0.5,
    })
    found = find_personal_ids(df, table="participants")
    assert found.empty
    assert list(found.columns) == FINDING_COLUMNS
    check_no_personal_ids({"participants": df, "empty": pd.DataFrame()})


def test_labels_and_index_are_scanned_without_echo():
    f = fnrs(np.random.default_rng(9), 1)[0]
    df = pd.DataFrame({f: [1, 2], "note": ["ring 912 34 567", "ok"]},
                      index=pd.Index(["kari@kommune.no", "ola@kommune.no"]))
    found = find_personal_ids(df, table="wide")
    assert set(found["column"]) == {"<column names>", "<index>", "note"}
    assert f not in found.to_string()
    with pytest.raises(PrivacyError) as err:
        check_no_personal_ids({"wide": df.rename(columns={"note": f"x {f}"})})
    assert f not in str(err.value) and "<column 2>" in str(err.value)


def test_kinds_filter_and_bad_input():
    df = pd.DataFrame({"note": ["ring 912 34 567 eller ola@nav.no"]})
    assert find_personal_ids(df, kinds="email")["kind"].tolist() == ["email"]
    assert find_personal_ids(df, kinds=["phone", "cpr"])["kind"].tolist() == ["phone"]
    with pytest.raises(ValidationError) as err:
        find_personal_ids(df, kinds=["phone", "passport", "name"])
    assert len(err.value.problems) == 2
    with pytest.raises(ValidationError):
        find_personal_ids([1, 2])
    with pytest.raises(ValidationError) as err:
        check_no_personal_ids({"a": df, "b": "not a table", "c": None})
    assert {p.resource for p in err.value.problems} == {"b", "c"}


# -- check_no_personal_ids -----------------------------------------------------------------
def test_privacy_error_names_places_never_values():
    rng = np.random.default_rng(10)
    f, cpr = fnrs(rng, 1)[0], make_cpr(dt.date(2012, 3, 4), rng)
    raw = [f, cpr, "912 34 567", "ola.nordmann@nav.no", str(int(f))]
    tables = {
        "participants": pd.DataFrame({"referral_source": [f"far {f}", "x", "y"],
                                      "n": [1, 2, 3]}),
        "sic_events": pd.DataFrame({"activity": [f"ring {raw[2]}", "ok", f"barn {cpr}"]}),
        "staff": pd.DataFrame({"contact": [raw[3]] * 3, "fnr": [int(f)] * 3}),
    }
    with pytest.raises(PrivacyError) as err:
        check_no_personal_ids(tables)
    msg, findings = str(err.value), err.value.findings
    for value in raw:
        assert value not in msg
        assert value not in findings.to_string()
    for part in ["participants", "referral_source", "sic_events", "activity", "staff",
                 "contact", "fodselsnummer", "cpr", "phone", "email"]:
        assert part in msg
    assert list(findings.columns) == FINDING_COLUMNS
    assert set(findings["table"]) == {"participants", "sic_events", "staff"}
    assert findings.set_index(["table", "column"]).loc[("staff", "fnr"), "count"] == 3
    assert "in 3 rows" in msg and "in 1 row" in msg


# -- pseudonymise --------------------------------------------------------------------------
def test_pseudonyms_are_keyed_hmac():
    s = pd.Series(["F-1", "F-2", "F-1", None, np.nan], index=[5, 5, 6, 7, 8], name="pid")
    p = pseudonymise(s, KEY)
    want = "p_" + hmac.new(KEY, b"F-1", hashlib.sha256).hexdigest()[:16]
    assert p[6] == want and p.iloc[0] == want
    assert p.iloc[1] != want
    assert p.isna().tolist() == [False, False, False, True, True]
    assert p.index.tolist() == s.index.tolist() and p.name == "pid"
    assert pseudonymise(s, KEY).equals(p)  # deterministic
    other = pseudonymise(s, KEY[::-1])
    assert not set(other.dropna()) & set(p.dropna())  # another key, other pseudonyms
    assert pseudonymise(s, KEY, prefix="x")[6] == "x" + want[2:]


def test_pseudonyms_join_across_dtypes():
    a = pseudonymise(pd.Series([17, 18]), KEY)
    b = pseudonymise(pd.Series(["17", " 18"]), KEY)
    c = pseudonymise(pd.Series([17.0, np.nan, 18.0]), KEY)
    d = pseudonymise(pd.Series([17, None], dtype="Int64"), KEY)
    assert a.tolist() == b.tolist() == c.dropna().tolist()
    assert d[0] == a[0] and pd.isna(d[1])


def test_pseudonymise_checks_key_and_collisions(monkeypatch):
    s = pd.Series([f"id{i}" for i in range(40)])
    with pytest.raises(ValidationError) as err:
        pseudonymise(["a"], "secret")
    assert len(err.value.problems) == 2 and "secret" not in str(err.value)
    with pytest.raises(ValidationError, match="5 bytes"):
        pseudonymise(s, b"short")
    # with one hex digit, 40 ids must share pseudonyms: the check must refuse
    monkeypatch.setattr(privacy, "_HEX_CHARS", 1)
    with pytest.raises(ImplementereError, match="same pseudonym"):
        pseudonymise(s, KEY)
