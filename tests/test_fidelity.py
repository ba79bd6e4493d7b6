"""Tests of implementere_kit.measures.fidelity: hand-computed KEEP cases, a naive per-participant
reference, a DuckDB count(DISTINCT) peer, and every-problem validation errors."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.measures.fidelity import (
    adherence,
    attendance_summary,
    competence_summary,
    dosage_summary,
    dropout_by_session,
    reach,
)
from implementere_kit.plans.intervention import Component, DosageRule, Intervention

# KEEP as tried by Socialstyrelsen: 16 weekly 90-minute sessions, ≤ 6 families, 2 leaders,
# graduation at ≥ 80 % attendance with make-ups counting.
KEEP = DosageRule(sessions=16, min_attendance=0.8, makeups_count=True, session_minutes=90,
                  interval_days=7, max_group_size=6, leaders_per_group=2)
KEEP_NO_MAKEUPS = DosageRule(sessions=16, min_attendance=0.8, makeups_count=False)


def att_rows(pid, sessions, makeup=(), attended=True):
    """Attendance rows for one participant; sessions in ``makeup`` are make-up rows."""
    return pd.DataFrame({"participant_id": pid, "session_no": list(sessions),
                         "attended": attended,
                         "makeup": [s in set(makeup) for s in sessions]})


def one(summary, pid):
    return summary.set_index("participant_id").loc[pid]


# -- attendance_summary: hand-computed KEEP cases ------------------------------------------
def test_makeup_counts_only_when_rule_says_so():
    att = att_rows("f1", range(1, 14), makeup=[13])  # 12 regular + 1 make-up
    with_makeups = one(attendance_summary(att, KEEP), "f1")
    assert with_makeups["n_attended"] == 13 and with_makeups["n_makeup"] == 1
    assert bool(with_makeups["graduated"]) is True
    without = one(attendance_summary(att, KEEP_NO_MAKEUPS), "f1")
    assert without["n_attended"] == 12 and without["n_makeup"] == 1
    assert bool(without["graduated"]) is False
    assert without["attendance_rate"] == 0.75


def test_duplicate_rows_for_a_session_count_once():
    att = pd.concat([att_rows("f1", [1, 1, 1, 2]), att_rows("f1", [2], makeup=[2])])
    s = one(attendance_summary(att, KEEP), "f1")
    assert s["n_attended"] == 2 and s["n_makeup"] == 1 and s["last_session"] == 2


def test_eighty_percent_boundary():
    att = pd.concat([att_rows("thirteen", range(1, 14)), att_rows("twelve", range(1, 13))])
    s = attendance_summary(att, KEEP).set_index("participant_id")
    assert KEEP.sessions_to_graduate == 13
    assert s.loc["thirteen", "attendance_rate"] == 0.8125
    assert bool(s.loc["thirteen", "graduated"]) is True
    assert s.loc["twelve", "attendance_rate"] == 0.75
    assert bool(s.loc["twelve", "graduated"]) is False
    ten = DosageRule(sessions=10, min_attendance=0.8)
    att10 = pd.concat([att_rows("eight", range(1, 9)), att_rows("seven", range(1, 8))])
    s10 = attendance_summary(att10, ten).set_index("participant_id")
    assert ten.sessions_to_graduate == 8
    assert bool(s10.loc["eight", "graduated"]) is True
    assert bool(s10.loc["seven", "graduated"]) is False


def test_absent_rows_and_absent_makeups_do_not_count():
    att = pd.concat([att_rows("f1", [1, 2]), att_rows("f1", [3, 4], makeup=[4], attended=False)])
    s = one(attendance_summary(att, KEEP), "f1")
    assert (s["n_attended"], s["n_makeup"], s["last_session"]) == (2, 0, 2)


def test_rate_is_capped_at_one_when_the_dose_may_run_longer():
    fft = DosageRule(sessions=12, min_attendance=0.8, min_sessions=12, max_sessions=20)
    s = one(attendance_summary(att_rows("c1", range(1, 19)), fft), "c1")
    assert s["n_attended"] == 18 and s["attendance_rate"] == 1.0


def test_typed_and_categorical_input_give_the_same_result():
    rng = np.random.default_rng(1)
    att = pd.DataFrame({"participant_id": rng.choice(list("zyxwv"), 200),
                        "session_no": rng.integers(1, 17, 200),
                        "attended": rng.random(200) < 0.8, "makeup": rng.random(200) < 0.2})
    base = attendance_summary(att, KEEP)
    typed = att.astype({"participant_id": "string", "session_no": "Int64",
                        "attended": "boolean", "makeup": "boolean"})
    cat = att.astype({"participant_id": pd.CategoricalDtype(list("zyxwvu"))})
    for other in (typed, cat):
        got = attendance_summary(other, KEEP)
        assert got["participant_id"].astype(str).tolist() == ["v", "w", "x", "y", "z"]
        pd.testing.assert_frame_equal(got.drop(columns="participant_id"),
                                      base.drop(columns="participant_id"))


def test_missing_makeup_column_means_no_makeups():
    att = att_rows("f1", [1, 2, 3]).drop(columns="makeup")
    s = one(attendance_summary(att, KEEP), "f1")
    assert (s["n_attended"], s["n_makeup"]) == (3, 0)


# -- participants: drop-outs ---------------------------------------------------------------
PARTS = pd.DataFrame({
    "participant_id": ["a", "b", "c", "d", "e", "f", "g"],
    "site": "9901", "group_id": ["g1", "g1", "g1", "g2", "g2", "g2", "g2"],
    "enrolled": ["2024-01-08", "2024-01-08", "2024-01-10", "2024-02-05", "2024-02-05",
                 "2024-03-01", "2024-02-05"],
    "ended": [None, "2024-02-01", "2024-05-01", "2024-03-01", None, "2024-03-02", None],
    "end_reason": [None, "dropped_out", "completed", "moved", None, "dropped_out",
                   "dropped_out"],
})
PARTS_ATT = pd.concat([att_rows("a", range(1, 15)), att_rows("b", [1, 2, 3]),
                       att_rows("c", range(1, 11)), att_rows("d", range(1, 6)),
                       att_rows("e", range(1, 14), makeup=[13]), att_rows("g", range(1, 15))])


def test_participants_without_attendance_get_zero_and_dropouts_are_found():
    s = attendance_summary(PARTS_ATT, KEEP, PARTS).set_index("participant_id")
    assert s.index.tolist() == ["a", "b", "c", "d", "e", "f", "g"]
    assert (s.loc["f", "n_attended"], s.loc["f", "last_session"]) == (0, 0)
    assert s.loc["b", "site"] == "9901" and s.loc["d", "group_id"] == "g2"
    # b: said dropped_out; d: moved before graduating; f: dropped out before session 1;
    # g: said dropped_out (no end date) after 14 sessions: g met the 80 % rule, so g
    # completed and did not drop out (the two never overlap); c completed the course below
    # 80 % (ran to the end: not a drop-out); a and e are still running.
    assert s["dropped_out"].tolist() == [False, True, False, True, False, True, False]
    assert s["completed"].tolist() == [True, False, False, False, True, False, True]
    assert s["ended"].tolist() == [False, True, True, True, False, True, True]
    assert not (s["dropped_out"] & s["completed"]).any()
    assert s.loc["b", "dropout_session"] == 3 and s.loc["d", "dropout_session"] == 5
    assert s.loc["f", "dropout_session"] == 0 and pd.isna(s.loc["g", "dropout_session"])
    assert bool(s.loc["g", "graduated"]) is True
    assert s["dropout_session"].isna().tolist() == [True, False, True, False, True, False,
                                                    True]
    assert s.loc["c", "end_reason"] == "completed"


def test_an_end_reason_without_an_end_date_still_ends_the_course():
    parts = pd.DataFrame({"participant_id": ["h", "i"], "site": "1",
                          "end_reason": ["referred_elsewhere", "graduated"]})
    att = pd.concat([att_rows("h", [1, 2]), att_rows("i", [1, 2])])
    s = attendance_summary(att, KEEP, parts).set_index("participant_id")
    assert s["dropped_out"].tolist() == [True, False]
    assert s.loc["h", "dropout_session"] == 2


def test_dropout_by_session_curve():
    s = attendance_summary(PARTS_ATT, KEEP, PARTS)
    d = dropout_by_session(s).set_index("last_session")
    assert d.index.tolist() == list(range(0, 15))  # 0 … highest session anyone attended
    assert d.loc[[0, 3, 5, 14], "n_dropped_out"].tolist() == [1, 1, 1, 0]
    assert d["n_dropped_out"].sum() == 3
    assert d.loc[3, "share_of_dropouts"] == pytest.approx(1 / 3)
    assert d.loc[3, "share_of_participants"] == pytest.approx(1 / 7)
    assert d.loc[5, "cumulative_share"] == pytest.approx(3 / 7)
    assert d.loc[14, "cumulative_share"] == pytest.approx(3 / 7)
    with pytest.raises(ValidationError, match="dropped_out"):
        dropout_by_session(attendance_summary(PARTS_ATT, KEEP))


# -- agreement with a naive computation and with DuckDB --------------------------------------
def naive_summary(att: pd.DataFrame, rule: DosageRule) -> pd.DataFrame:
    """Per participant, in plain Python, straight from the definitions."""
    seen: dict[str, dict[str, set]] = {}
    for pid, sess, attended, makeup in att[["participant_id", "session_no", "attended",
                                            "makeup"]].itertuples(index=False):
        d = seen.setdefault(pid, {"counted": set(), "makeup": set(), "present": set()})
        if attended:
            d["present"].add(sess)
            if makeup:
                d["makeup"].add(sess)
            if rule.makeups_count or not makeup:
                d["counted"].add(sess)
    rows = []
    for pid in sorted(seen):
        d = seen[pid]
        n = len(d["counted"])
        rows.append({"participant_id": pid, "n_attended": n, "n_makeup": len(d["makeup"]),
                     "attendance_rate": min(n / rule.sessions, 1.0),
                     "graduated": n >= rule.sessions_to_graduate,
                     "last_session": max(d["present"], default=0)})
    return pd.DataFrame(rows)


def random_attendance(seed: int, n_rows: int, n_people: int, top: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"participant_id": [f"p{i:04d}" for i in rng.integers(0, n_people,
                                                                              n_rows)],
                         "session_no": rng.integers(1, top + 1, n_rows),
                         "attended": rng.random(n_rows) < 0.8,
                         "makeup": rng.random(n_rows) < 0.15})


@pytest.mark.parametrize("rule", [KEEP, KEEP_NO_MAKEUPS,
                                  DosageRule(sessions=100, min_attendance=0.6,
                                             makeups_count=False)],
                         ids=["keep", "keep-no-makeups", "100-sessions-multiword"])
def test_vectorised_equals_naive_on_random_data(rule):
    # about 1.5 rows per planned session and person, so some graduate and some do not
    att = random_attendance(seed=2024, n_rows=4000, n_people=4000 * 2 // (3 * rule.sessions),
                            top=rule.sessions)
    got = attendance_summary(att, rule)
    want = naive_summary(att, rule)
    pd.testing.assert_frame_equal(got.astype({"participant_id": object}),
                                  want.astype({"participant_id": object}),
                                  check_dtype=False)
    assert got["graduated"].any() and not got["graduated"].all()  # both outcomes exercised


def test_agrees_with_a_duckdb_count_distinct_query():
    att = random_attendance(seed=7, n_rows=3000, n_people=200, top=16)
    peer = duckdb.sql("""
        SELECT participant_id,
               count(DISTINCT session_no) FILTER (WHERE attended) AS n_attended,
               count(DISTINCT session_no) FILTER (WHERE attended AND makeup) AS n_makeup,
               coalesce(max(session_no) FILTER (WHERE attended), 0) AS last_session
        FROM att GROUP BY participant_id ORDER BY participant_id""").df()
    got = attendance_summary(att, KEEP)
    for col in ("n_attended", "n_makeup", "last_session"):
        assert got[col].tolist() == peer[col].tolist()


def test_naive_reference_with_participants_and_dropouts():
    att = random_attendance(seed=3, n_rows=2000, n_people=150, top=16)
    ids = [f"p{i:04d}" for i in range(160)]  # ten participants never attend
    parts = pd.DataFrame({"participant_id": ids, "site": "101",
                          "ended": ["2024-06-01" if i % 4 == 0 else None for i in range(160)]})
    got = attendance_summary(att, KEEP, parts).set_index("participant_id")
    want = naive_summary(att, KEEP).set_index("participant_id").reindex(ids)
    want = want.fillna({"n_attended": 0, "n_makeup": 0, "attendance_rate": 0.0,
                        "graduated": False, "last_session": 0})
    assert got["n_attended"].tolist() == want["n_attended"].astype(int).tolist()
    assert got["last_session"].tolist() == want["last_session"].astype(int).tolist()
    ended = parts.set_index("participant_id")["ended"].notna()
    expect_drop = ended & ~want["graduated"].astype(bool)
    assert got["dropped_out"].tolist() == expect_drop.tolist()


# -- attendance_summary: bad input ---------------------------------------------------------------
def test_missing_columns_are_all_listed():
    with pytest.raises(ValidationError) as exc:
        attendance_summary(pd.DataFrame({"participant_id": ["a"]}), KEEP)
    assert sorted(p.column for p in exc.value.problems) == ["attended", "session_no"]


def test_every_bad_row_is_listed_in_one_error():
    att = pd.DataFrame({
        "participant_id": ["a", "a", None, "b", "b", "c"],
        "session_no": [1, 0, 3, 17, 2.5, None],
        "attended": [True, "yes", True, 1, None, False],
        "makeup": [False, False, "x", False, None, False],
    })
    with pytest.raises(ValidationError) as exc:
        attendance_summary(att, KEEP)
    got = {(p.row, p.column) for p in exc.value.problems}
    assert got == {(3, "participant_id"),
                   (2, "session_no"), (4, "session_no"), (5, "session_no"), (6, "session_no"),
                   (2, "attended"), (4, "attended"), (5, "attended"),
                   (3, "makeup")}
    by_row = {(p.row, p.column): p for p in exc.value.problems}
    assert by_row[(4, "session_no")].expected == "a whole number 1–16"
    assert "true or false" in by_row[(2, "attended")].expected


def test_max_sessions_widens_the_allowed_range():
    fft = DosageRule(sessions=12, max_sessions=20)
    assert attendance_summary(att_rows("c", [20]), fft)["last_session"].tolist() == [20]
    with pytest.raises(ValidationError) as exc:
        attendance_summary(att_rows("c", [21, 22]), fft)
    assert [p.row for p in exc.value.problems] == [1, 2]


def test_unknown_participants_and_bad_participants_table_reported_together():
    att = pd.DataFrame({"participant_id": ["a", "010190-1234", "zz", "a"],
                        "session_no": [1, 2, 3, 99], "attended": True})
    parts = pd.DataFrame({"participant_id": ["a", "a", "b"], "site": ["1", "1", None],
                          "end_reason": [None, "fired", None]})
    with pytest.raises(ValidationError) as exc:
        attendance_summary(att, KEEP, parts)
    got = {(p.resource, p.row, p.column) for p in exc.value.problems}
    assert got == {("attendance", 4, "session_no"),
                   ("participants", 2, "participant_id"), ("participants", 3, "site"),
                   ("participants", 2, "end_reason")}
    # once the participants table is sound, the unknown attendance ids are named by row,
    # and an id shaped like a CPR number is masked in the message
    parts = pd.DataFrame({"participant_id": ["a", "b"], "site": "1"})
    with pytest.raises(ValidationError) as exc:
        attendance_summary(att.iloc[:3], KEEP, parts)
    assert [p.row for p in exc.value.problems] == [2, 3]
    assert "1234" not in str(exc.value)


def test_not_a_dataframe():
    with pytest.raises(ValidationError, match="must be a DataFrame"):
        attendance_summary([("a", 1, True)], KEEP)


# -- dosage_summary ---------------------------------------------------------------------------
def keep_sites():
    """Site 101: g1 with 7 families (over the max of 6), g2 with 2; three sessions each."""
    g1 = [f"g1f{i}" for i in range(7)]
    parts = pd.DataFrame({"participant_id": g1 + ["g2a", "g2b"], "site": "101",
                          "group_id": ["g1"] * 7 + ["g2"] * 2,
                          "enrolled": ["2024-01-08"] * 7 + ["2024-02-05"] * 2,
                          "ended": [None] * 8 + ["2024-02-20"],
                          "end_reason": [None] * 8 + ["dropped_out"]})
    att = pd.concat([att_rows(p, range(1, 14)) for p in g1[:4]]
                    + [att_rows(p, range(1, 6)) for p in g1[4:]]
                    + [att_rows("g2a", range(1, 17)), att_rows("g2b", [1, 2])])
    ses = pd.DataFrame({
        "site": "101", "group_id": ["g1", "g1", "g1", "g2", "g2", "g2"],
        "session_no": [1, 2, 3, 1, 2, 3],
        "date": ["2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29", "2024-02-05",
                 "2024-02-12"],
        # ±15 % of 90 is 76.5–103.5: 76.5 and 103.5 keep time, 76 and 104 do not
        "duration_min": [90, 76.5, 104, 103.5, 76, None],
        "leaders": ["s1;s2", "s1; s2 ;", "s1;s1", "s3", None, "s3;s4"],
    })
    return att, ses, parts


def test_dosage_per_group_hand_computed():
    att, ses, parts = keep_sites()
    d = dosage_summary(att, KEEP, ses, parts).set_index("group_id")
    assert d.loc["g1", "n_participants"] == 7 and d.loc["g1", "group_size"] == 7
    assert bool(d.loc["g1", "over_max_group_size"]) is True
    assert bool(d.loc["g2", "over_max_group_size"]) is False
    # dose counts those who have ended: nobody in g1 yet; in g2 g2b, 2 of 16 sessions
    assert np.isnan(d.loc["g1", "mean_dosage"])
    assert d.loc["g2", "mean_dosage"] == 2 / 16
    assert d.loc["g1", "share_graduated"] == pytest.approx(4 / 7)
    assert d.loc["g2", "share_dropped_out"] == 0.5
    assert d.loc["g1", "sessions_held"] == 3 and d.loc["g1", "sessions_planned"] == 16
    assert d.loc["g1", "share_sessions_held"] == pytest.approx(3 / 16)
    assert d.loc["g1", "share_duration_ok"] == pytest.approx(2 / 3)
    assert d.loc["g2", "share_duration_ok"] == pytest.approx(1 / 2)  # unknown length skipped
    assert d.loc["g1", "mean_duration"] == pytest.approx((90 + 76.5 + 104) / 3)
    # s1;s2 → 2, "s1; s2 ;" → 2, s1;s1 → 1 distinct leader
    assert d.loc["g1", "mean_leaders"] == pytest.approx(5 / 3)
    assert d.loc["g1", "share_leaders_ok"] == pytest.approx(2 / 3)
    assert d.loc["g2", "share_leaders_ok"] == 0.5  # s3 alone, s3;s4; a missing list skipped
    assert (d["planned_duration"] == 90).all() and (d["planned_leaders"] == 2).all()


def test_dosage_per_site_and_per_month():
    att, ses, parts = keep_sites()
    site = dosage_summary(att, KEEP, ses, parts, by=("site",)).iloc[0]
    assert (site.n_participants, site.n_groups, site.group_size) == (9, 2, 7)
    assert site.sessions_held == 6 and site.sessions_planned == 32
    assert bool(site.over_max_group_size) is True
    month = dosage_summary(att, KEEP, ses, parts, by=("month",)).set_index("month")
    # participants by enrolment month, sessions by the month they were held
    assert month.loc["2024-01", "n_participants"] == 7
    assert month.loc["2024-02", "n_participants"] == 2
    assert month.loc["2024-01", "sessions_held"] == 4
    assert month.loc["2024-02", "sessions_held"] == 2
    assert month["sessions_planned"].isna().all()
    overall = dosage_summary(att, KEEP, ses, parts, by=())
    assert len(overall) == 1 and overall.loc[0, "n_participants"] == 9


def test_dosage_reports_problems_of_every_table_at_once():
    att, ses, parts = keep_sites()
    att.iloc[0, att.columns.get_loc("session_no")] = 40
    ses.loc[2, "date"] = "not a date"
    with pytest.raises(ValidationError) as exc:
        dosage_summary(att, KEEP, ses, parts, by=("month",))
    assert {(p.resource, p.column) for p in exc.value.problems} == {
        ("attendance", "session_no"), ("sessions", "date")}
    with pytest.raises(ValidationError, match="cannot group by"):
        dosage_summary(att, KEEP, ses, parts, by=("weekday",))


# -- adherence ---------------------------------------------------------------------------
def checks(delivered, component="curriculum", check_id="c1", **extra):
    n = len(delivered)
    return pd.DataFrame({"check_id": check_id, "site": "101", "date": "2024-03-01",
                         "item": [f"{check_id}-i{i}" for i in range(n)],
                         "component": component, "delivered": delivered, **extra})


def test_adherence_with_partly_and_na():
    a = adherence(checks(["yes", "partly", "no", "na"])).iloc[0]
    assert a.adherence == 0.5 and a.n_items == 3 and a.n_na == 1 and a.n_checks == 1
    full = adherence(checks(["yes", "partly", "no", "na"]), partly=1.0).iloc[0]
    assert full.adherence == pytest.approx(2 / 3)


def test_adherence_threshold_flag_and_grouping():
    chk = pd.concat([
        checks(["yes"] * 4 + ["no"], component="role_play", check_id="c1",
               practitioner_id="s1"),                   # 0.8: meets 0.8 exactly
        checks(["yes"] * 3 + ["no"], component="home_practice", check_id="c2",
               practitioner_id="s2"),                   # 0.75: does not
        checks(["na", "na"], component="refreshments", check_id="c3", practitioner_id="s2"),
    ])
    a = adherence(chk, threshold=0.8).set_index("component")
    assert a.loc["role_play", "adherence"] == 0.8
    assert bool(a.loc["role_play", "meets_threshold"]) is True
    assert bool(a.loc["home_practice", "meets_threshold"]) is False
    assert np.isnan(a.loc["refreshments", "adherence"])
    assert a.loc["refreshments", "meets_threshold"] is pd.NA
    by_staff = adherence(chk, by=("practitioner_id", "month")).set_index("practitioner_id")
    assert by_staff.loc["s2", "adherence"] == 0.75 and by_staff.loc["s2", "n_checks"] == 2
    assert by_staff.loc["s2", "month"] == "2024-03"


def test_adherence_core_components_from_the_intervention():
    iv = Intervention(id="keep", name="KEEP", type="evidence-based", components=(
        Component("role_play", "Role play", "core"),
        Component("refreshments", "Refreshments", "flexible")))
    chk = pd.concat([checks(["yes", "no"], component="role_play", check_id="c1"),
                     checks(["no", "no"], component="refreshments", check_id="c2")])
    a = adherence(chk, intervention=iv).set_index("component")
    assert a["core"].to_dict() == {"refreshments": False, "role_play": True}
    assert a["kind"].to_dict() == {"refreshments": "flexible", "role_play": "core"}
    site = adherence(chk, by=("site",), intervention=iv).iloc[0]
    assert site.adherence == 0.25 and site.core_adherence == 0.5
    bad = pd.concat([chk, checks(["yes", "yes"], component="dinner", check_id="c3")])
    with pytest.raises(ValidationError) as exc:
        adherence(bad, intervention=iv)
    assert [p.row for p in exc.value.problems] == [5, 6]


def test_adherence_bad_input_lists_every_problem():
    chk = checks(["yes", "maybe", "no", "YES"])
    with pytest.raises(ValidationError) as exc:
        adherence(chk)
    assert [(p.row, p.column) for p in exc.value.problems] == [(2, "delivered"),
                                                               (4, "delivered")]
    with pytest.raises(ValidationError) as exc:
        adherence(checks(["yes"]), threshold=80, partly=-0.5)
    assert [p.column for p in exc.value.problems] == ["threshold", "partly"]


# -- competence ----------------------------------------------------------------------------
def test_competence_certification():
    r = pd.DataFrame({
        "practitioner_id": ["s1"] * 5 + ["s2"] * 4, "site": "101",
        "date": ["2024-01-10", "2024-01-10", "2024-06-10", "2024-06-10", "2024-06-10",
                 "2024-02-01", "2024-02-01", "2024-08-01", "2024-08-01"],
        "rater_id": ["r1", "r1", "r1", "r2", "r1", "r1", "r1", "r1", "r1"],
        "dimension": ["overall", "teaching", "overall", "overall", "teaching",
                      "teaching", "structure", "teaching", "structure"],
        "score": [2.0, 2.5, 3.0, 4.0, 3.0, 4.0, 4.0, 3.0, 2.0],
    })
    c = competence_summary(r, certification_level=3).set_index(["practitioner_id", "dimension"])
    s1 = c.loc[("s1", "overall")]
    assert (s1.mean_score, s1.min_score, s1.n_ratings) == (3.0, 2.0, 3)
    assert s1.latest_score == 3.5  # two raters on the latest date
    assert s1.share_at_level == pytest.approx(2 / 3)
    assert s1.certification_score == 3.5 and bool(s1.certified) is True
    # s2 was never rated overall: mean of its dimensions on the latest date (3 + 2) / 2
    s2 = c.loc[("s2", "teaching")]
    assert s2.certification_score == 2.5 and bool(s2.certified) is False
    assert c.loc[("s2", "structure"), "latest_score"] == 2.0
    site = competence_summary(r, 3, by=("site",)).set_index("dimension")
    assert site.loc["teaching", "n_ratings"] == 4
    with pytest.raises(ValidationError):
        competence_summary(r, "three")
    with pytest.raises(ValidationError) as exc:
        competence_summary(r.assign(score=[1, None, 2, "x", 3, 3, 3, 3, 3]), 3)
    assert [p.row for p in exc.value.problems] == [4, 2]  # wrong type, then missing


# -- reach ---------------------------------------------------------------------------------
def test_reach_matches_a_published_participation_rate():
    # re-aim.org (Reach page): of 28,460 members invited, 4,270 took part — 15.0 %.
    parts = pd.DataFrame({"participant_id": [f"m{i}" for i in range(4270)], "site": "menu",
                          "enrolled": "2009-05-01"})
    elig = pd.DataFrame({"site": ["menu"], "period": ["2009"], "n_eligible": [28460]})
    assert round(reach(parts, elig).loc[0, "reach"], 3) == 0.150


def test_reach_by_year_month_and_all_with_notes():
    parts = pd.DataFrame({"participant_id": list("abcdef"),
                          "site": ["101", "101", "101", "147", "147", "999"],
                          "enrolled": ["2024-03-02", "2024-03-20", "2025-01-05", "2024-03-01",
                                       "2024-04-01", "2024-01-01"]})
    elig = pd.DataFrame({"site": ["101", "101", "101", "147", "147"],
                         "period": ["2024", "2024-03", "All", "2024-03", "2024-04"],
                         "n_eligible": [20, 1, 40, 10, 0]})
    r = reach(parts, elig).set_index(["site", "period"])
    assert r.loc[("101", "2024"), "reach"] == 0.1
    assert r.loc[("101", "2024-03"), "reach"] == 2.0
    assert "more participants" in r.loc[("101", "2024-03"), "note"]
    assert r.loc[("101", "all"), "n_participants"] == 3
    assert np.isnan(r.loc[("147", "2024-04"), "reach"])
    assert r.loc[("147", "2024-04"), "note"] == "eligible population is 0"
    lost = r.xs("999", level="site")
    assert lost["n_participants"].tolist() == [1] and lost["reach"].isna().all()
    assert lost["note"].tolist() == ["no eligible population given"]
    total = reach(parts, elig, by=()).set_index("period")
    assert total.loc["2024-03", "n_participants"] == 3
    assert total.loc["2024-03", "n_eligible"] == 11


def test_reach_bad_periods_listed():
    parts = pd.DataFrame({"participant_id": ["a"], "site": "1", "enrolled": "2024-01-01"})
    elig = pd.DataFrame({"site": "1", "period": ["2024", "Q1 2024", "2024-13"],
                         "n_eligible": 5})
    with pytest.raises(ValidationError) as exc:
        reach(parts, elig)
    assert [p.row for p in exc.value.problems] == [2, 3]


def test_adherence_and_competence_are_the_same_functions_everywhere():
    import implementere_kit as ik
    from implementere_kit.measures import adherence_competence, fidelity

    # fidelity imports adherence_competence: a submodule named like the function would
    # replace the package's lazy ``adherence`` with the module object.
    assert ik.attendance_summary is fidelity.attendance_summary
    assert ik.adherence is fidelity.adherence is adherence_competence.adherence
    assert ik.competence_summary is fidelity.competence_summary
    assert callable(ik.adherence)



def test_the_rule_is_the_second_argument_everywhere():
    import inspect

    from implementere_kit import charts

    for fn in (attendance_summary, dosage_summary, charts.attendance_histogram):
        assert list(inspect.signature(fn).parameters)[1] == "rule", fn.__name__
    att, ses, parts = keep_sites()
    with pytest.raises(ValidationError, match="rule must be a DosageRule") as exc:
        dosage_summary(att, ses, parts, KEEP)  # the order before the rule moved
    assert exc.value.problems[0].found == "DataFrame"
    with pytest.raises(ValidationError, match="rule must be a DosageRule"):
        attendance_summary(att, {"sessions": 16})
