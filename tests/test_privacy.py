"""The privacy guard's verdict and the reviewed exceptions that are its way forward."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import implementere_kit as ik
from implementere_kit.errors import PrivacyError, ProjectError, ValidationError
from implementere_kit.exchange.privacy import FINDING_COLUMNS, check_no_personal_ids
from implementere_kit.exchange.privacy_exceptions import (
    WAIVED_COLUMNS,
    active_exceptions,
    apply_exceptions,
    is_key_column,
    new_exception,
)
from implementere_kit.store.project import Project
from tests.idgen import digits_only
from tests.test_identifiers import CPR, FNR

REASON = "Eight-digit budget line numbers from the finance system, checked by hand"


def test_public_names_stay_importable():
    from implementere_kit.exchange.privacy import (  # noqa: F401
        KINDS,
        find_ids_in_metadata,
        find_personal_ids,
        is_valid_cpr,
        is_valid_fodselsnummer,
        kind_of_fodselsnummer,
        pseudonymise,
    )

    assert ik.find_personal_ids is find_personal_ids and ik.check_no_personal_ids
    assert ik.find_ids_in_metadata is find_ids_in_metadata
    assert ik.is_valid_cpr(CPR) and ik.is_valid_fodselsnummer(FNR) and ik.pseudonymise
    assert {"fh_nummer", "cpr_replacement", "email", "phone"} <= set(KINDS)


def test_privacy_error_names_places_and_rows_never_values():
    raw = [FNR, CPR, "912 34 567", "ola.nordmann@nav.no"]
    tables = {
        "participants": pd.DataFrame({"referral_source": ["x", f"far {FNR}", "y"],
                                      "n": [1, 2, 3]}),
        "sic_events": pd.DataFrame({"activity": [f"ring {raw[2]}", "ok", f"barn {CPR}"]}),
        "staff": pd.DataFrame({"contact": [raw[3]] * 7, "fnr": [int(FNR)] * 7}),
        f"kari {FNR}": pd.DataFrame({"a": [1]}),
    }
    with pytest.raises(PrivacyError) as err:
        check_no_personal_ids(tables)
    msg, findings = str(err.value), err.value.findings
    for text in (msg, findings.to_string()):
        for value in raw:
            assert value not in text
        assert FNR[1:] not in digits_only(text) and CPR[1:] not in digits_only(text)
    for part in ["participants", "referral_source", "sic_events", "activity", "staff",
                 "contact", "fodselsnummer", "cpr", "phone", "email", "<table 4>",
                 "<table name>", "(row 2)", "(rows 1, 2, 3, 4, 5, …)", "audit log"]:
        assert part in msg
    assert list(findings.columns) == FINDING_COLUMNS
    staff = findings.set_index(["table", "column"]).loc[("staff", "fnr")]
    assert staff["count"] == 7 and staff["rows"] == (1, 2, 3, 4, 5)


def test_bad_input_gives_our_errors():
    with pytest.raises(ValidationError):
        check_no_personal_ids([pd.DataFrame()])
    with pytest.raises(ValidationError) as err:
        check_no_personal_ids({"a": pd.DataFrame(), "b": "not a table", "c": None})
    assert {p.resource for p in err.value.problems} == {"b", "c"}
    with pytest.raises(ValidationError):
        check_no_personal_ids({"a": pd.DataFrame()}, exceptions="everything")
    with pytest.raises(ValidationError):
        check_no_personal_ids({"a": pd.DataFrame()}, exceptions=[{"table": "a"}])
    with pytest.raises(ValidationError):
        check_no_personal_ids({"a": pd.DataFrame()}, exceptions=[5])
    assert check_no_personal_ids({}).empty


# -- reviewed exceptions -------------------------------------------------------------------
def test_key_columns_cover_every_person_column():
    # (merged: the person columns are now those the allow-list pseudonymises, at any level)
    from implementere_kit.exchange.allowlist import ALLOW_LEVELS, export_forms
    from implementere_kit.store.tables import table_names

    person = {(t, c) for t in table_names() for lv in ALLOW_LEVELS
              for c, form in export_forms(t, lv).items() if form.startswith("pseudonym")}
    assert ("participants", "participant_id") in person and ("sessions", "leaders") in person
    for table, col in person:
        assert is_key_column(col), (table, col)
    assert is_key_column("group_id") and is_key_column("cpr_nr") and is_key_column("fnr")
    assert not is_key_column("title") and not is_key_column("referral_source")


def test_exception_passes_only_its_table_column_and_kind():
    tables = {"activities": pd.DataFrame({"title": ["Post 91234567", "x"],
                                          "owner": ["ola@nav.no", "y"]}),
              "participants": pd.DataFrame({"participant_id": ["91234567", "z"]})}
    exc = [{"id": 3, "table": "activities", "column": "title", "kind": "phone",
            "reason": REASON, "date": "2026-05-04"},
           {"id": 4, "table": "activities", "column": "owner", "kind": "phone",
            "reason": REASON, "date": "2026-05-04"},  # wrong kind for owner's e-mail
           {"id": 5, "table": "participants", "column": "participant_id", "kind": "phone"}]
    with pytest.raises(PrivacyError) as err:
        check_no_personal_ids(tables, exceptions=exc)
    left = set(zip(err.value.findings["column"], err.value.findings["kind"], strict=True))
    assert left == {("owner", "email"), ("participant_id", "phone")}  # key column: never
    waived = check_no_personal_ids({"activities": tables["activities"][["title"]]},
                                   exceptions=pd.DataFrame(exc))
    assert list(waived.columns) == WAIVED_COLUMNS
    assert waived.iloc[0].to_dict() == {
        "table": "activities", "column": "title", "kind": "phone", "count": 1, "rows": (1,),
        "exception_id": 3, "reason": REASON, "date": "2026-05-04"}
    # what a package records can be given back as exceptions (e.g. on intake)
    again = check_no_personal_ids({"activities": tables["activities"][["title"]]},
                                  exceptions=waived.to_dict("records"))
    assert again["exception_id"].tolist() == [3]


def test_scanner_places_are_never_waived():
    df = pd.DataFrame({"ola@nav.no": [1]})
    findings = ik.find_personal_ids(df, table="activities")
    blocking, waived = apply_exceptions(findings, [
        {"table": "activities", "column": "<column names>", "kind": "email"}])
    assert len(blocking) == 1 and waived.empty


def test_new_exception_checks_every_field():
    with pytest.raises(ValidationError) as err:
        new_exception("nope", "title", "passport", reason="short", reviewer=f"tlf {CPR}",
                      date="2999-01-01")
    cols = [p.column for p in err.value.problems]
    assert cols == ["table", "kind", "reason", "reviewer", "date"]
    assert CPR not in str(err.value)
    for column in ("participant_id", "leaders", "not_a_column"):
        table = "sessions" if column == "leaders" else "participants"
        with pytest.raises(ValidationError):
            new_exception(table, column, "phone", reason=REASON, reviewer="DPO")
    with pytest.raises(ValidationError):
        new_exception("activities", "title", "phone", reason=f"{REASON} ola@nav.no",
                      reviewer="DPO")
    fields = new_exception("activities", "title", "phone", reason=f"  {REASON} ",
                           reviewer="personvernombud", date=dt.date(2026, 5, 4),
                           today="2026-06-01")
    assert fields == {"table": "activities", "column": "title", "kind": "phone",
                      "reason": REASON, "reviewer": "personvernombud", "date": "2026-05-04"}


def test_project_records_exceptions_in_its_audit_log(havnstrup):
    project = Project.open(havnstrup)
    acts = project.table("activities").copy()
    acts.loc[acts.index[2], "title"] = "Budsjettpost 91234567"
    project.set_table("activities", acts)
    project.save()
    tables = {"activities": project.table("activities")}
    with pytest.raises(PrivacyError):
        check_no_personal_ids(tables, exceptions=project.privacy_exceptions())
    entry = project.add_privacy_exception("activities", "title", "phone", reason=REASON,
                                          reviewer="Personvernombud Fjordheim")
    reopened = Project.open(havnstrup)
    active = reopened.privacy_exceptions()
    assert active["id"].tolist() == [entry["seq"]] and active["reviewer"][0].startswith("Person")
    waived = check_no_personal_ids(tables, exceptions=active)
    assert waived[["column", "kind", "count", "rows"]].values.tolist() == [
        ["title", "phone", 1, (3,)]]
    assert "reviewer" not in waived.columns  # the name stays at home
    revoked = reopened.revoke_privacy_exception(entry["seq"], reason="The budget lines are "
                                                "gone from the titles", reviewer="DPO")
    assert revoked["exception_id"] == entry["seq"]
    assert Project.open(havnstrup).privacy_exceptions().empty
    with pytest.raises(PrivacyError):
        check_no_personal_ids(tables, exceptions=Project.open(havnstrup).privacy_exceptions())
    with pytest.raises(ValidationError):  # already withdrawn
        reopened.revoke_privacy_exception(entry["seq"], reason=REASON, reviewer="DPO")
    log = reopened.audit_log()
    assert log["action"].tolist() == ["privacy_exception_added", "privacy_exception_revoked"]


def test_damaged_audit_log_stops_the_check(havnstrup):
    project = Project.open(havnstrup)
    project.add_privacy_exception("activities", "title", "phone", reason=REASON, reviewer="DPO")
    path = havnstrup / "audit.jsonl"
    path.write_text(path.read_text().replace("activities", "participants"))
    with pytest.raises(ProjectError, match="changed after it was written"):
        project.privacy_exceptions()


def test_active_exceptions_from_entries():
    entries = [{"seq": 1, "time": "t1", "action": "privacy_exception_added", "table": "a",
                "column": "b", "kind": "phone", "reason": "r", "reviewer": "x", "date": "d"},
               {"seq": 2, "time": "t2", "action": "note"},
               {"seq": 3, "time": "t3", "action": "privacy_exception_added", "table": "a",
                "column": "c", "kind": "email", "reason": "r", "reviewer": "x", "date": "d"},
               {"seq": 4, "time": "t4", "action": "privacy_exception_revoked",
                "exception_id": 1}]
    got = active_exceptions(entries)
    assert got["id"].tolist() == [3] and got["column"].tolist() == ["c"]


def test_a_copied_key_never_links_two_projects(havnstrup, tmp_path):
    """A folder copied to start another project keeps the key file; the pseudonyms of the
    copy (another intervention) share nothing with the original's, while one project's
    exports keep theirs."""
    import json
    import shutil

    from implementere_kit.exchange.package import export_package
    from implementere_kit.exchange.validate import open_package

    copy = tmp_path / "copy"
    shutil.copytree(havnstrup, copy)
    meta = json.loads((copy / "project.json").read_text(encoding="utf-8"))
    meta["intervention"]["id"] = "keep_local"
    (copy / "project.json").write_text(json.dumps(meta), encoding="utf-8")
    assert (copy / ".secret.key").read_bytes() == (havnstrup / ".secret.key").read_bytes()

    def ids(folder, name):
        with open_package(export_package(folder, tmp_path / name, level="pseudonymised")) as p:
            return set(p.frame("participants")["participant_id"])
    first, again, other = ids(havnstrup, "a.zip"), ids(havnstrup, "b.zip"), ids(copy, "c.zip")
    assert first == again and len(first) > 5
    assert not first & other and len(other) == len(first)
