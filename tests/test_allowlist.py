"""The allow-list in tables.yaml, the controlled vocabularies and the municipality list."""

import pandas as pd
import pyarrow as pa
import pytest

from implementere_kit.exchange.allowlist import (
    ALLOW_LEVELS,
    apply_allow_list,
    check_allow_list,
    export_forms,
    tables_at,
)
from implementere_kit.store.municipalities import municipalities, municipality_name
from implementere_kit.store.tables import table_names, table_schema

KEY = b"0123456789abcdef0123456789abcdef"
LINKING_KEYS = {"participant_id", "group_id", "practitioner_id", "check_id", "respondent_id",
                "rater_id", "leaders"}
FREE_TEXT = {"title", "notes", "owner", "source", "referral_source", "answer", "answered_by",
             "role", "comment", "activity", "item", "dimension", "period"}
#: Typed text of the tile tables (issue 14): never leaves, at any level, in any form.
TILE_TEXT = {"description", "solution", "note", "reason", "decided_by_note"}
PEOPLE_TABLES = {"participants", "attendance", "sessions", "fidelity_checks",
                 "competence_ratings", "staff", "survey_responses", "outcome_scores"}
#: Tables that carry no sums of the measure catalogue: nothing of them in aggregate packages.
TILE_TABLES = {"outcome_scores", "barriers", "adaptations", "costs", "network_meetings"}


def _fields():
    for t in table_names():
        for f in table_schema(t).fields:
            yield t, f


def test_every_declared_form_is_known():
    for level in ALLOW_LEVELS:
        for t in table_names():
            export_forms(t, level)  # raises on an unknown form
    assert set(tables_at("aggregate")) & PEOPLE_TABLES == set()
    assert "feedback" not in {t for lv in ALLOW_LEVELS for t in tables_at(lv)}
    assert tables_at("share_back") == ["benchmarks"]


def test_text_kept_as_it_is_comes_from_a_fixed_list():
    """Free text never leaves: a text column kept as it is must have an enum (or be the
    municipality code, checked against the descriptor)."""
    for t, f in _fields():
        for level, form in (f.get("export") or {}).items():
            if f["type"] == "string" and form == "keep":
                assert "enum" in f or f["name"] == "site", (t, f["name"], level)
            if form == "coarsen_month":
                assert f["type"] == "date", (t, f["name"])
            if form == "month":
                assert f["type"] == "string", (t, f["name"])


def test_linking_keys_are_pseudonyms_or_absent():
    for t, f in _fields():
        forms = f.get("export") or {}
        if f["name"] in LINKING_KEYS:
            assert forms.get("pseudonymised") in ("pseudonym", "pseudonym_list"), (t, f["name"])
            assert "aggregate" not in forms, (t, f["name"])
        if f["name"] in FREE_TEXT:
            assert all(form.startswith(("code:", "key:")) for form in forms.values()), \
                (t, f["name"], forms)


def test_tile_tables_leave_only_pseudonymised_and_never_their_text():
    """Outcome scores, barriers, adaptations and costs leave only at the pseudonymised level
    (no measure of the catalogue sums them yet, so an aggregate package has nothing of them
    to carry under k-control); their typed text and the network's meetings never leave."""
    assert not TILE_TABLES & {t for lv in ("aggregate", "share_back") for t in tables_at(lv)}
    assert "network_meetings" not in tables_at("pseudonymised")
    assert TILE_TABLES - {"network_meetings"} <= set(tables_at("pseudonymised"))
    for t in TILE_TABLES:
        for f in table_schema(t).fields:
            if f["name"] in TILE_TEXT or (f["type"] == "string" and "enum" not in f
                                          and f["name"] != "site"):
                forms = f.get("export") or {}
                assert f["name"] not in TILE_TEXT or not forms, (t, f["name"], forms)
                assert all(form.startswith(("code:", "key:", "pseudonym"))
                           for form in forms.values()), (t, f["name"], forms)
    assert export_forms("outcome_scores", "pseudonymised")["participant_id"] == "pseudonym"


def test_pseudonymised_example_keeps_outcome_ids_and_tile_text_home(havnstrup, tmp_path):
    """The example project exported pseudonymised: no raw participant id of its outcome
    scores, and no typed barrier, solution, adaptation, cost or plan text, in any file."""
    from implementere_kit import Project
    from implementere_kit.exchange.package import export_package
    from tests.craft import leaks, package_strings

    p = Project.open(havnstrup)
    # plant text in the free-text columns the example leaves empty
    planted = {("costs", "note"): "Notat om timepris hos Kari Nordmann",
               ("adaptations", "reason"): "Begrundelse skrevet af familierådgiveren",
               ("adaptations", "decided_by_note"): "Besluttet på teammøde hos lederen",
               ("activities", "notes"): "Husk at ringe til plejefamilien i uge 12"}
    for (table, column), text in planted.items():
        df = p.table(table)
        assert len(df), table
        p.set_table(table, df.assign(**{column: text}))
    p.save()
    scores = p.table("outcome_scores")
    raw_ids = sorted(set(scores["participant_id"]))
    assert len(raw_ids) > 5
    texts = set(planted.values())
    for table, columns in (("barriers", ("description", "solution")),
                           ("adaptations", ("description",)), ("activities", ("title",))):
        for c in columns:
            texts |= set(p.table(table)[c].dropna().astype(str))
    assert len(texts) > 20 and min(map(len, texts)) >= 10

    pkg = export_package(havnstrup, tmp_path / "p.zip", level="pseudonymised")
    _, values = package_strings(pkg)
    assert "outcome_scores.parquet" in values  # the scores left, keyed
    assert any(v.startswith("p_") for v in values)
    assert leaks(pkg, raw_ids) == []
    assert leaks(pkg, sorted(texts)) == []


def test_apply_keeps_only_declared_columns_in_their_form():
    tables = {
        "participants": pd.DataFrame({
            "participant_id": ["F1", "F2"], "site": "903", "group_id": ["Gruppe Kari", "G2"],
            "enrolled": pd.to_datetime(["2024-03-17", "2024-04-02"]), "ended": pd.NaT,
            "referral_source": ["ring 912 34 567", None], "end_reason": [None, "dropped_out"],
            "typed note": ["x", "y"]}),
        "activities": pd.DataFrame({
            "activity_id": ["ke1_needs", "Kari sin"], "phase": "forberede", "core_element": 1,
            "sic_stage": pd.NA, "title": "Ring Kari", "owner": ["leader", "Kari Nordmann"],
            "start": pd.NaT, "due": pd.NaT, "completed": pd.NaT, "status": "todo",
            "notes": "x", "source": "user"}),
        "feedback": pd.DataFrame({"time": ["t"], "screen": ["s"], "comment": ["c"]}),
    }
    out = apply_allow_list(tables, "pseudonymised", key=KEY)
    assert set(out) == {"participants", "activities"}
    parts = out["participants"]
    assert list(parts.columns) == ["participant_id", "site", "group_id", "enrolled", "ended",
                                   "end_reason"]
    assert parts["participant_id"].str.fullmatch(r"p_[0-9a-f]{16}").all()
    assert parts["enrolled"].dt.day.tolist() == [1, 1]
    acts = out["activities"]
    assert acts["activity_id"].iloc[0] == "ke1_needs"
    assert acts["activity_id"].iloc[1].startswith("x_")  # a key stays unique, text goes
    assert acts["owner"].tolist()[0] == "leader" and pd.isna(acts["owner"].iloc[1])
    assert not {"title", "notes", "source"} & set(acts.columns)
    # the same text gets the same pseudonym: exports stay joinable
    again = apply_allow_list(tables, "pseudonymised", key=KEY)["activities"]
    assert again["activity_id"].tolist() == acts["activity_id"].tolist()
    assert apply_allow_list(tables, "aggregate", key=KEY).keys() == {"activities"}
    for name, df in out.items():
        table = pa.Table.from_pandas(df, preserve_index=False)
        assert check_allow_list(name, table, "pseudonymised", file="x") == []


def test_check_refuses_what_the_level_does_not_allow():
    raw = pa.table({"participant_id": ["01017512340"], "site": ["903"],
                    "enrolled": pa.array([pd.Timestamp("2024-03-17").date()]),
                    "referral_source": ["skole"]})
    problems = check_allow_list("participants", raw, "pseudonymised", file="p.zip")
    got = {(p.column, p.message) for p in problems}
    assert ("referral_source", "column may not leave a municipality at this level") in got
    assert ("participant_id", "value not in the form this level allows") in got
    assert ("enrolled", "date more precise than this level allows") in got
    assert all("01017512340" not in str(p) for p in problems)
    table_level = check_allow_list("participants", raw, "aggregate", file="p.zip")
    assert [p.message for p in table_level] == [
        "table may not leave a municipality at this level"]


def test_project_specific_codes_hold_no_identifier():
    # a pseudonym of typed text may have many digits (found by the property test)
    t = pa.table({"check_id": ["p_0123456789abcdef"] * 4, "site": ["903"] * 4,
                  "date": pa.array([pd.Timestamp("2024-03-01").date()] * 4),
                  "item": ["role_play", "a1234", "ola_01017512340", "x_3a513ddc3500f944"],
                  "component": ["role_play"] * 4, "delivered": ["yes"] * 4})
    problems = check_allow_list("fidelity_checks", t, "pseudonymised", file="f")
    assert [(p.column, p.found) for p in problems] == [("item", "1 distinct value(s)")]


def test_municipality_list():
    dk, no = municipalities("DK"), municipalities("NO")
    assert (~dk["synthetic"]).sum() == 98 and (~no["synthetic"]).sum() == 357
    assert not dk["code"].duplicated().any() and not no["code"].duplicated().any()
    assert dk["code"].str.fullmatch(r"\d{3}").all() and no["code"].str.fullmatch(r"\d{4}").all()
    # a few facts from the classifications
    assert municipality_name("DK", "101") == "København"
    assert municipality_name("DK", "851") == "Aalborg"
    assert municipality_name("NO", "4601") == "Bergen"
    assert municipality_name("NO", "5501") == "Tromsø"
    assert municipality_name("NO", "301") is None  # codes are text with leading zeros
    assert municipality_name("DK", 101) is None


def test_example_sites_are_the_flagged_synthetic_ones():
    from implementere_kit.examples import SITES

    synthetic = municipalities()
    synthetic = synthetic[synthetic["synthetic"]]
    assert sorted(zip(synthetic["country"], synthetic["code"], synthetic["name"],
                      strict=True)) == sorted((s.country, s.site, s.name) for s in SITES)
    real = municipalities()
    real = real[~real["synthetic"]]
    assert not set(real["code"]) & {s.site for s in SITES}  # never a real place


@pytest.mark.parametrize("value,ok", [("2024", True), ("2024-03", True), ("2024-Q2", True),
                                      ("2024-01:2024-06", True), ("våren 2024", False),
                                      ("0101751234", False)])
def test_period_codes(value, ok):
    out = apply_allow_list({"eligible": pd.DataFrame({"site": ["903"], "period": [value],
                                                      "n_eligible": [10]})},
                           "aggregate", key=KEY)["eligible"]
    assert (out["period"].iloc[0] == value) is ok


def test_intake_refuses_raw_outcome_ids_and_tile_text():
    """What a hand-made package may not carry in the tile tables is refused on arrival."""
    scores = pa.table({"participant_id": ["903-G0001-F1"], "site": ["903"],
                       "instrument": ["sdq"], "scale": ["total"], "wave": ["pre"],
                       "score": [12.0]})
    problems = check_allow_list("outcome_scores", scores, "pseudonymised", file="p.zip")
    assert [(p.column, p.message) for p in problems] == [
        ("participant_id", "value not in the form this level allows")]
    assert "903-G0001-F1" not in " ".join(map(str, problems))
    barriers = pa.table({"barrier_id": ["b1"], "site": ["903"], "phase": ["forberede"],
                         "domain": ["inner_context"], "status": ["open"],
                         "description": ["Familien Hansen kommer ikke"]})
    problems = check_allow_list("barriers", barriers, "pseudonymised", file="p.zip")
    assert ("description", "column may not leave a municipality at this level") in {
        (p.column, p.message) for p in problems}
    assert check_allow_list("costs", pa.table({"site": ["903"]}), "aggregate", file="a.zip")
