"""Scanning tables and descriptors: places, kinds, counts and row numbers, never values."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import numpy as np
import pandas as pd
import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.exchange import scan
from implementere_kit.exchange.pseudonyms import pseudonymise
from implementere_kit.exchange.scan import (
    FINDING_COLUMNS,
    METADATA_COLUMNS,
    find_ids_in_metadata,
    find_personal_ids,
    numbers_may_be_phones,
)
from tests.idgen import NNBSP, digits_only, make_cpr, make_fnr
from tests.test_identifiers import CPR, FH_NR, FNR

KEY = bytes(range(32))


def where(found: pd.DataFrame) -> dict:
    return {(r.column, r.kind): (r.count, r.rows) for r in found.itertuples(index=False)}


def test_rows_are_one_based_and_counted_per_row():
    df = pd.DataFrame({"note": ["ok", "ring 912 34 567", "ok", f"far {FNR}", "ring 912 34 567"]
                       + ["x"] * 10 + ["ring 912 34 567"] * 6})
    got = where(find_personal_ids(df, table="activities"))
    assert got == {("note", "phone"): (8, (2, 5, 16, 17, 18)),
                   ("note", "fodselsnummer"): (1, (4,))}


def test_text_number_mixed_and_categorical_columns():
    early = make_fnr(dt.date(1975, 1, 1), 123)
    df = pd.DataFrame({
        "fnr_int": [int(FNR), 1, 2],  # 10 digits once the leading zero is gone
        "fnr_text_lost_zero": [FNR[1:], "x", "y"],  # the 96 % miss
        "fh_int": [1, 2, int(FH_NR)],
        "cpr_int": [102031234, 5, 6],
        "cpr_float": [1502031234.0, np.nan, 2.5],
        "mixed": [int(early), "ring 91 23 45 67", None],
        "cat": pd.Categorical(["a@b.no", "x", "x"]),
        "arrow": pd.array(["x", None, f"{CPR[:6]}{NNBSP}{CPR[6:]}"], dtype="string"),
        "objects": [["kari@nav.no"], {"a": 1}, b"x"],  # unhashable and odd cells
    })
    df["nullable"] = pd.array([int(FNR), None, 9], dtype="Int64")
    got = where(find_personal_ids(df))
    assert got == {
        ("fnr_int", "fodselsnummer"): (1, (1,)), ("fnr_text_lost_zero", "fodselsnummer"): (1, (1,)),
        ("fh_int", "fh_nummer"): (1, (3,)), ("cpr_int", "cpr"): (1, (1,)),
        ("cpr_float", "cpr"): (1, (1,)), ("mixed", "fodselsnummer"): (1, (1,)),
        ("mixed", "phone"): (1, (2,)), ("cat", "email"): (1, (1,)), ("arrow", "cpr"): (1, (3,)),
        ("objects", "email"): (1, (1,)), ("nullable", "fodselsnummer"): (1, (1,))}


def test_phone_numbers_stored_as_integers():
    df = pd.DataFrame({"kontakt": [91234567, 40123456], "n_eligible": [12345678, 91234567],
                       "budget_kr": [45123456, 1], "antall_timer": [91234567, 2]})
    assert where(find_personal_ids(df)) == {("kontakt", "phone"): (2, (1, 2))}
    # a declared integer column of a known table is a count, whatever its name
    eligible = pd.DataFrame({"site": ["101"], "period": ["2024"], "n_eligible": [91234567]})
    assert find_personal_ids(eligible, table="eligible").empty
    assert numbers_may_be_phones("sessions", "duration_min") is False
    assert numbers_may_be_phones("staff", "mobil") is True
    assert numbers_may_be_phones(None, "number_of_families") is False


def test_labels_index_and_names_are_scanned_without_echo():
    df = pd.DataFrame({FNR: [1, 2], "note": ["ring 912 34 567", "ok"], "kari@nav.no": [3, 4]},
                      index=pd.Index(["x", "ola@kommune.no"], name="tlf 91234567"))
    found = find_personal_ids(df, table="wide")
    got = where(found)
    assert got[("<column names>", "fodselsnummer")] == (1, (1,))
    assert got[("<column names>", "email")] == (1, (3,))
    assert got[("<index>", "email")] == (1, (2,))
    assert got[("<index name>", "phone")][0] == 1
    assert got[("note", "phone")] == (1, (1,))
    text = found.to_string() + json.dumps(found.astype(str).to_dict())
    assert FNR not in digits_only(text) and "kari" not in text and "ola" not in text


def test_numeric_and_multi_index():
    df = pd.DataFrame({"v": [1, 2, 3]}, index=pd.Index([int(FNR), 5, 6]))
    assert where(find_personal_ids(df)) == {("<index>", "fodselsnummer"): (1, (1,))}
    mi = pd.MultiIndex.from_tuples([("a", "x@y.no"), ("b", "z")])
    assert where(find_personal_ids(pd.DataFrame({"v": [1, 2]}, index=mi))) == {
        ("<index level 2>", "email"): (1, (1,))}
    shifted = pd.DataFrame({"v": [1]}, index=pd.RangeIndex(int(FNR), int(FNR) + 1))
    assert not find_personal_ids(shifted).empty
    assert find_personal_ids(pd.DataFrame({"v": range(5)})).empty


def test_table_name_holding_an_identifier_is_masked():
    found = find_personal_ids(pd.DataFrame({"a": ["ola@nav.no"]}), table=f"fnr {FNR}")
    assert set(found["table"]) == {"<table>"}
    assert FNR not in digits_only(found.to_string())


def test_clean_project_like_table_has_no_findings():
    rng = np.random.default_rng(8)
    ids = pd.Series([f"0301-G{g:04d}-F{i}" for g in range(200) for i in range(1, 6)])
    n = len(ids)
    ts = pd.Timestamp("2024-01-05 10:30") + pd.to_timedelta(rng.integers(0, 10**7, n), "s")
    df = pd.DataFrame({
        "participant_id": pseudonymise(ids, KEY),
        "group_id": [f"H-{d:%d%m%y}-{i:04d}" for d, i in zip(ts, rng.integers(1, 99, n),
                                                               strict=True)],
        "site": rng.choice(["0301", "101", "461", "4601", "5001"], n),
        "date": ts.strftime("%Y-%m-%d"), "when": ts.strftime("%Y-%m-%dT%H:%M:%S"),
        "compact_date": ts.strftime("%Y%m%d"), "dmy": ts.strftime("%d.%m.%Y"),
        "meeting": ts.strftime("møte %d.%m.%y %H%M"),
        "budget": [f"Budget {a} kr" for a in rng.integers(10**7, 10**8, n)],
        "session_no": rng.integers(1, 17, n), "amount": rng.integers(100, 10**7, n) / 100,
        "amount_text": [f"{a:.2f}" for a in rng.integers(10**6, 10**10, n) / 100],
        "uuid": [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)],
        "n_eligible": rng.integers(10**7, 10**8, n),
        "leaders": [f"0301-P{a:02d};0301-P{b:02d}" for a, b in rng.integers(1, 30, (n, 2))],
        "dt": ts, "done": rng.random(n) > 0.5,
    })
    found = find_personal_ids(df, table="participants")
    assert found.empty, found
    assert list(found.columns) == FINDING_COLUMNS


def test_kinds_filter_and_bad_input():
    df = pd.DataFrame({"note": ["ring 912 34 567 eller ola@nav.no"]})
    assert find_personal_ids(df, kinds="email")["kind"].tolist() == ["email"]
    assert find_personal_ids(df, kinds=["phone", "cpr"])["kind"].tolist() == ["phone"]
    with pytest.raises(ValidationError):
        find_personal_ids(df, kinds=["passport"])
    with pytest.raises(ValidationError):
        find_personal_ids([1, 2])
    with pytest.raises(ValidationError):
        find_personal_ids(df, table=5)


# -- descriptors ---------------------------------------------------------------------------
def test_metadata_paths_and_kinds():
    cpr = make_cpr(dt.date(1990, 3, 4), 1, 234)
    desc = {
        "name": "implementere-kit-9901-fft",
        "title": f"Fjordheim v/ kari@bærum.kommune.no, fnr {FNR}",
        "implementere_kit": {"site": "9901", "site_name": f"Fjordheim tlf.{NNBSP}912 34 567",
                             "k": 5, "bytes": 91234567, "contact": 91234567,
                             "sequence": 12, "created": "2026-01-05T10:00:00+00:00"},
        "resources": [{"name": "staff", "bytes": 12345678, "schema": {"fields": [
            {"name": "site"}, {"name": f"cpr {cpr}"}]}},
            {"name": "x", "path": "x.parquet", "schema": {"fields": []}},
            {"name": "y", "schema": {"fields": [{"name": "ok", "description": ["a", FNR[1:]]}]}}],
        cpr: {"nested": "ola@nav.no"},
        "with space": "mobil 91 23 45 67",
    }
    found = find_ids_in_metadata(desc, file="datapackage.json")
    assert list(found.columns) == METADATA_COLUMNS
    assert (found["file"] == "datapackage.json").all()
    got = set(zip(found["path"], found["kind"], strict=True))
    assert got == {
        ("title", "email"), ("title", "fodselsnummer"),
        ("implementere_kit.site_name", "phone"), ("implementere_kit.contact", "phone"),
        ("resources[0].schema.fields[1].name", "cpr"),
        ("resources[2].schema.fields[0].description[1]", "fodselsnummer"),
        ("<key 5>", "cpr"), ("<key 5>.nested", "email"), ("['with space']", "phone")}
    text = found.to_string()
    for value in (FNR, cpr, "91234567"):
        assert value[1:] not in digits_only(text)


def test_metadata_limits_are_our_errors():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValidationError, match="nested too deeply"):
        find_ids_in_metadata(deep, file="d.json")
    loop: dict = {"a": 1}
    loop["self"] = loop
    with pytest.raises(ValidationError, match="nested too deeply"):
        find_ids_in_metadata(loop)  # a cycle never ends: refused, not walked forever
    with pytest.raises(ValidationError, match="too many values"):
        find_ids_in_metadata({"fields": [{"name": "x"}] * 150_000})
    with pytest.raises(ValidationError, match="too much text"):
        find_ids_in_metadata(["x" * 1_000_000] * 25)
    assert find_ids_in_metadata(None).empty and find_ids_in_metadata("ola@nav.no")["path"][0] \
        == "<root>"
    odd = {1: [b"x", 2.5, True, None, dt.date(2024, 1, 5), float("inf"), 10**400],
           (1, 2): object()}
    assert find_ids_in_metadata(odd).empty


def test_metadata_limits_are_checked_before_scanning(monkeypatch):
    called = []
    monkeypatch.setattr(scan, "scan_text", lambda *a, **k: called.append(1))
    with pytest.raises(ValidationError):
        find_ids_in_metadata([["x"] * 10] * 30_000)
    assert not called
