"""Imports that cannot corrupt a project: preview first, references checked, upsert by key."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from implementere_kit import Project
from implementere_kit.errors import ValidationError
from implementere_kit.store.imports import (
    StaleImportError,
    apply_import,
    import_key,
    plan_import,
    removal_problems,
    remove_rows,
)


@pytest.fixture
def project(tmp_path):
    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep",
                       start="2025-01-06")
    apply_import(p, plan_import(p, "participants", pd.DataFrame({
        "participant_id": ["F1", "F2", "F3"], "site": "903", "group_id": ["G1", "G1", "G2"],
        "enrolled": "06.01.2025"})))
    apply_import(p, plan_import(p, "sessions", pd.DataFrame({
        "site": "903", "group_id": ["G1", "G1", "G2"], "session_no": [1, 2, 1],
        "date": ["2025-01-13", "2025-01-20", "2025-01-14"]})))
    return p


def test_keys_come_from_the_schema_and_attendance_has_its_own():
    assert import_key("participants") == ("participant_id",)
    assert import_key("sessions") == ("group_id", "session_no")
    assert import_key("attendance") == ("participant_id", "session_no", "makeup")


def test_preview_stores_nothing_and_apply_stores_it(project):
    att = pd.DataFrame({"participant_id": ["F1", "F2"], "session_no": [1, 1],
                        "attended": ["ja", "nej"]})
    pv = plan_import(project, "attendance", att, file="oppmote.csv")
    assert pv.counts == {"new": 2, "changed": 0, "unchanged": 0, "refused": 0}
    assert project.table("attendance").empty
    apply_import(project, pv)
    got = project.table("attendance").sort_values("participant_id")
    assert got["attended"].tolist() == [True, False] and got["makeup"].tolist() == [False, False]


def test_attendance_refers_to_known_participants_and_held_sessions(project):
    att = pd.DataFrame({"participant_id": ["F1", "F3", "F3", "F9", "F1"],
                        "session_no": [2, 1, 2, 1, 2], "attended": True,
                        "makeup": [False, False, False, False, True]})
    pv = plan_import(project, "attendance", att)
    # F3 is in G2, which held session 1 only; F9 is nobody; a make-up of session 2 is fine
    assert pv.refused[["row", "column", "reason"]].values.tolist() == [
        [3, "session_no", "unknown_session"], [4, "participant_id", "unknown_participant"]]
    assert pv.counts["new"] == 3 and pv.refused["found"].tolist() == ["2", "'F9'"]


def test_sessions_refer_to_known_groups_and_rows_to_this_site(project):
    s = pd.DataFrame({"site": ["903", "903", "904"], "group_id": ["G1", "G7", "G1"],
                      "session_no": [3, 1, 4], "date": "2025-02-01"})
    pv = plan_import(project, "sessions", s)
    assert pv.refused[["row", "reason"]].values.tolist() == [[2, "unknown_group"],
                                                             [3, "other_site"]]


def test_a_row_twice_in_a_file_is_refused_once(project):
    att = pd.DataFrame({"participant_id": ["F1", "F1"], "session_no": [1, 1],
                        "attended": [True, False]})
    pv = plan_import(project, "attendance", att)
    assert pv.counts["new"] == 1 and pv.refused["reason"].tolist() == ["duplicate_in_file"]


def test_changed_rows_keep_what_the_file_leaves_out(project):
    ended = pd.DataFrame({"participant_id": ["F1"], "site": "903", "group_id": "G1",
                          "enrolled": "2025-01-06", "ended": "2025-03-01",
                          "end_reason": "graduated", "referral_source": "skole"})
    apply_import(project, plan_import(project, "participants", ended))
    older = pd.DataFrame({"participant_id": ["F1"], "site": "903", "group_id": "G1",
                          "enrolled": "2025-01-06"})  # a file without the end columns
    assert plan_import(project, "participants", older).counts["unchanged"] == 1
    moved = older.assign(group_id="G2")
    pv = plan_import(project, "participants", moved)
    assert pv.counts["changed"] == 1
    apply_import(project, pv)
    row = project.table("participants").set_index("participant_id").loc["F1"]
    assert (row["group_id"], row["end_reason"], row["referral_source"]) == (
        "G2", "graduated", "skole")


def test_a_schema_problem_refuses_the_whole_file(project):
    bad = pd.DataFrame({"participant_id": ["F1", "F2"], "session_no": ["1", "x"],
                        "attended": ["ja", "kanskje"]})
    with pytest.raises(ValidationError) as err:
        plan_import(project, "attendance", bad, file="a.csv")
    assert {(p.row, p.column) for p in err.value.problems} == {(2, "session_no"),
                                                              (2, "attended")}
    assert project.table("attendance").empty


def test_a_stale_preview_is_refused(project):
    att = pd.DataFrame({"participant_id": ["F1"], "session_no": [1], "attended": [True]})
    pv = plan_import(project, "attendance", att)
    apply_import(project, plan_import(project, "attendance", att.assign(session_no=2)))
    with pytest.raises(StaleImportError):
        apply_import(project, pv)
    assert project.table("attendance")["session_no"].tolist() == [2]


def test_removing_what_attendance_uses_is_refused(project):
    apply_import(project, plan_import(project, "attendance", pd.DataFrame(
        {"participant_id": ["F1"], "session_no": [1], "attended": [True]})))
    keys = pd.DataFrame({"participant_id": ["F1", "F2"]})
    assert [p.found for p in removal_problems(project, "participants", keys)] == ["'F1'"]
    with pytest.raises(ValidationError):
        remove_rows(project, "participants", keys)
    assert len(project.table("participants")) == 3  # nothing removed, not even F2
    s = pd.DataFrame({"group_id": ["G1", "G1"], "session_no": [1, 2]})
    assert len(removal_problems(project, "sessions", s)) == 1
    assert remove_rows(project, "sessions", s.iloc[[1]]) == 1
    assert len(project.table("sessions")) == 2


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["F1", "F2", "F3", "F9"]), st.integers(1, 3),
                          st.booleans(), st.booleans()), max_size=12))
def test_importing_any_file_twice_changes_nothing_the_second_time(project, rows):
    df = pd.DataFrame(rows, columns=["participant_id", "session_no", "attended", "makeup"])
    before = project.table("attendance")
    first = plan_import(project, "attendance", df)
    apply_import(project, first)
    after = project.table("attendance")
    second = plan_import(project, "attendance", df)
    assert not second.ready and second.counts["unchanged"] == first.counts["new"] + first.counts[
        "changed"] + (len(df) - len(first.refused) - first.counts["new"] - first.counts["changed"])
    apply_import(project, second)
    pd.testing.assert_frame_equal(project.table("attendance"), after)
    # every stored row points at a participant and a session that exist
    parts = project.table("participants").set_index("participant_id")["group_id"]
    held = set(zip(project.table("sessions")["group_id"], project.table("sessions")["session_no"],
                   strict=True))
    for pid, no in zip(after["participant_id"], after["session_no"], strict=True):
        assert (parts[pid], no) in held
    project.set_table("attendance", before)  # hypothesis reuses the fixture


@pytest.mark.parametrize("number", ["1e308", "inf", "-inf", "1e19", "NaN"])
def test_a_count_no_integer_holds_is_a_problem_not_a_crash(project, number):
    att = pd.DataFrame({"participant_id": ["F1", "F2"], "session_no": ["1", number],
                        "attended": ["ja", "ja"]})
    with pytest.raises(ValidationError) as err:
        plan_import(project, "attendance", att, file="fremmøde.csv")
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.file) == (2, "session_no", "fremmøde.csv")
    assert project.table("attendance").empty


def test_a_stored_table_holding_a_key_twice_is_named_not_a_crash(project):
    # attendance has no key in the schema, so older saves may hold a row twice
    project.set_table("attendance", pd.DataFrame({
        "participant_id": ["F1", "F2", "F1"], "session_no": [1, 1, 1], "attended": True}))
    before = project.table("attendance").copy()
    att = pd.DataFrame({"participant_id": ["F1"], "session_no": [1], "attended": ["nej"]})
    with pytest.raises(ValidationError) as err:
        plan_import(project, "attendance", att)
    (problem,) = err.value.problems
    assert problem.message == "duplicate primary key" and problem.row == 3
    pd.testing.assert_frame_equal(project.table("attendance"), before)


def test_a_file_without_a_site_column_is_this_projects(project):
    """Staff keep sessions in a sheet without the municipality code: the rows are read as
    this project's; a blank code too, while another code is still refused."""
    s = pd.DataFrame({"group_id": ["G1", "G1"], "session_no": [3, 4],
                      "date": ["2025-01-27", "2025-02-03"]})
    pv = plan_import(project, "sessions", s)
    assert pv.counts == {"new": 2, "changed": 0, "unchanged": 0, "refused": 0}
    apply_import(project, pv)
    assert set(project.table("sessions")["site"]) == {"903"}
    mixed = pd.DataFrame({"site": ["", None, "904"], "group_id": "G2", "session_no": [2, 3, 4],
                          "date": "2025-02-04"})
    pv = plan_import(project, "sessions", mixed)
    assert pv.counts["new"] == 2 and pv.refused["reason"].tolist() == ["other_site"]
