import numpy as np
import pandas as pd
import pytest

from implementere_kit import ValidationError, phase_progress, sic_scores, sic_summary


@pytest.fixture
def events():
    # Site A: stage 1 all three done over 20 days, stage 2 one of three, stage 4 one of two.
    # Site B: nothing done yet.
    rows = [
        ("A", 1, "a1", "2024-01-01"), ("A", 1, "a2", "2024-01-11"), ("A", 1, "a3", "2024-01-21"),
        ("A", 2, "b1", "2024-02-05"), ("A", 2, "b2", None), ("A", 2, "b3", None),
        ("A", 3, "c1", None),
        ("A", 4, "d1", "15.04.2024"), ("A", 4, "d2", None),
        ("A", 8, "h1", None),
        ("B", 1, "a1", None), ("B", 1, "a2", None),
    ]
    return pd.DataFrame(rows, columns=["site", "stage", "activity", "date"])


def test_sic_scores_hand_computed(events):
    s = sic_scores(events).set_index(["site", "stage"])
    assert len(s) == 16  # 2 sites × 8 stages
    a1 = s.loc[("A", 1)]
    assert (a1.n_activities, a1.n_completed, a1.proportion, a1.duration_days) == (3, 3, 1.0, 20.0)
    assert a1.phase == "pre"
    a2 = s.loc[("A", 2)]
    assert a2.n_completed == 1 and a2.proportion == pytest.approx(1 / 3)
    assert a2.duration_days == 0.0  # one completed: first == last
    assert a2.first_date == pd.Timestamp("2024-02-05")
    assert np.isnan(s.loc[("A", 3)].duration_days)  # nothing completed
    assert s.loc[("A", 4)].first_date == pd.Timestamp("2024-04-15")  # dd.mm.yyyy parsed
    assert s.loc[("A", 4)].phase == "impl" and s.loc[("A", 8)].phase == "sustain"
    assert s.loc[("A", 5)].n_activities == 0 and np.isnan(s.loc[("A", 5)].proportion)
    assert s.loc[("B", 1)].proportion == 0.0


def test_sic_summary_hand_computed(events):
    s = sic_summary(events).set_index("site")
    a = s.loc["A"]
    assert a.stage_reached == 4
    assert a.n_completed == 5
    assert a.pre_duration_days == 35.0  # 2024-01-01 → 2024-02-05
    assert a.pre_proportion == pytest.approx(4 / 7)
    assert a.impl_duration_days == 0.0 and a.impl_proportion == 0.5
    assert np.isnan(a.sustain_duration_days) and a.sustain_proportion == 0.0
    assert a.total_duration_days == 105.0  # 2024-01-01 → 2024-04-15
    assert s.loc["B"].stage_reached == 0 and np.isnan(s.loc["B"].pre_duration_days)


def test_sic_bad_rows_all_named(events):
    bad = events.astype({"stage": object, "date": object})
    bad.loc[1, "stage"] = 9
    bad.loc[3, "stage"] = "two"
    bad.loc[5, "date"] = "2024-13-45"
    with pytest.raises(ValidationError) as exc:
        sic_scores(bad)
    rows = {(p.row, p.column) for p in exc.value.problems}
    assert rows == {(2, "stage"), (4, "stage"), (6, "date")}
    assert "2024-13-45" in str(exc.value)


def test_sic_missing_column():
    with pytest.raises(ValidationError, match="stage"):
        sic_summary(pd.DataFrame({"site": ["A"], "activity": ["x"], "date": [None]}))


def test_phase_progress_excludes_skipped_and_counts_overdue():
    acts = pd.DataFrame({
        "activity_id": list("abcdef"),
        "phase": ["forberede", "forberede", "forberede", "planlegge", "planlegge", "viderefore"],
        "core_element": [1, 1, 2, 3, 3, 9],
        "status": ["done", "todo", "skipped", "in_progress", "done", "todo"],
        "due": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01", "2024-05-01",
                               "2024-05-01", "2025-01-01"]),
    })
    p = phase_progress(acts, as_of="2024-03-01", by=("phase",)).set_index("phase")
    assert p.loc["forberede"].tolist() == [2, 1, 0.5, 1]
    assert p.loc["planlegge"].tolist() == [2, 1, 0.5, 0]
    assert p.index.tolist() == ["forberede", "planlegge", "viderefore"]  # phase order kept
    late = phase_progress(acts, as_of="2024-06-01", by=("phase",)).set_index("phase")
    assert late.loc["planlegge", "n_overdue"] == 1


def test_sic_bad_rows_are_capped_per_column():
    from implementere_kit.store.tables import MAX_ROWS_LISTED

    n = MAX_ROWS_LISTED + 3
    ev = pd.DataFrame({"site": "A", "stage": [9] * n + [1], "activity": "a",
                       "date": ["2024-01-01"] * n + ["bad"]})
    with pytest.raises(ValidationError) as exc:
        sic_scores(ev)
    probs = exc.value.problems
    assert [p.row for p in probs[:MAX_ROWS_LISTED]] == list(range(1, MAX_ROWS_LISTED + 1))
    assert probs[MAX_ROWS_LISTED].message == "stage outside 1–8 in 3 more rows"
    assert (probs[-1].row, probs[-1].column) == (n + 1, "date")
    assert len(probs) == MAX_ROWS_LISTED + 2



def test_an_activity_completed_after_the_as_of_date_was_not_done_then():
    # a report as of 2024-06-30 must not count what was completed in 2025 as done; it was
    # open and overdue on that day (measures.yaml: activities_done, activities_overdue)
    from implementere_kit.plans.progress import phase_progress

    acts = pd.DataFrame({"activity_id": ["a", "b", "c"], "phase": "forberede",
                         "core_element": 1, "status": ["done", "done", "done"],
                         "due": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-01"]),
                         "completed": pd.to_datetime(["2024-02-01", "2025-01-10", None])})
    then = phase_progress(acts, as_of="2024-06-30", by=("phase",)).iloc[0]
    assert (then["n_done"], then["n_overdue"]) == (2, 1)
    now = phase_progress(acts, as_of="2025-06-30", by=("phase",)).iloc[0]
    assert (now["n_done"], now["n_overdue"]) == (3, 0)
    from implementere_kit.plans.progress import overdue_activities

    assert overdue_activities(acts, as_of="2024-06-30")["activity_id"].tolist() == ["b"]
    assert overdue_activities(acts, as_of="2025-06-30").empty
