import pandas as pd
import pytest

from implementere_kit import ValidationError
from implementere_kit.store.tables import (
    MAX_ROWS_LISTED,
    empty_table,
    parse_dates,
    row_problems,
    table_names,
    validate_table,
)


def test_every_table_has_an_empty_form():
    for name in table_names():
        df = empty_table(name)
        assert len(df) == 0 and len(df.columns) > 0


def test_parse_dates_formats():
    s = parse_dates(pd.Series(["2024-03-01", "01.03.2024", "01-03-2024", "", None, "31.02.2024"]))
    assert s.iloc[:3].tolist() == [pd.Timestamp("2024-03-01")] * 3
    assert s.iloc[3:].isna().all()


def test_validation_lists_every_problem_with_row_and_column():
    df = pd.DataFrame({
        "participant_id": ["a", "b", "c", "c"],
        "site": ["101", "101", None, "101"],
        "enrolled": ["2024-01-01", "soon", "2024-01-03", "2024-01-04"],
        "end_reason": ["dropped_out", "bored", None, None],
    })
    with pytest.raises(ValidationError) as exc:
        validate_table(df, "participants", file="deltakere.csv")
    got = {(p.row, p.column, p.message) for p in exc.value.problems}
    assert (2, "enrolled", "not a date") in got
    assert (3, "site", "required value missing") in got
    assert (2, "end_reason", "value not allowed") in got
    assert (4, "participant_id", "duplicate primary key") in got
    assert all(p.file == "deltakere.csv" for p in exc.value.problems)
    assert set(exc.value.table().columns) >= {"file", "row", "column", "expected", "found"}


def test_types_are_parsed_not_guessed():
    df = pd.DataFrame({"participant_id": ["p1", "p2"], "session_no": ["1", "2,5"],
                       "attended": ["ja", "kanskje"], "makeup": [False, True]})
    with pytest.raises(ValidationError) as exc:
        validate_table(df, "attendance")
    got = {(p.row, p.column) for p in exc.value.problems}
    assert got == {(2, "session_no"), (2, "attended")}
    ok = validate_table(df.assign(session_no=["1", "2"], attended=["ja", "nei"]), "attendance")
    assert ok["attended"].tolist() == [True, False]
    assert ok["session_no"].tolist() == [1, 2]


def test_missing_required_column_and_future_dates():
    with pytest.raises(ValidationError, match="required column missing"):
        validate_table(pd.DataFrame({"site": ["1"]}), "sessions")
    df = pd.DataFrame({"site": ["101"], "group_id": ["g"], "session_no": [1],
                       "date": ["2099-01-01"]})
    with pytest.raises(ValidationError, match="future"):
        validate_table(df, "sessions", today="2025-01-01")


def test_identifier_like_values_are_masked_in_errors():
    df = pd.DataFrame({"participant_id": ["p"], "site": ["1"], "enrolled": ["010190-1234"]})
    with pytest.raises(ValidationError) as exc:
        validate_table(df, "participants")
    assert "1234" not in str(exc.value)
    assert "masked" in str(exc.value)


def test_row_problems_lists_rows_by_position_then_summarises():
    n = MAX_ROWS_LISTED + 5
    values = pd.Series([f"v{i}" for i in range(n + 1)], index=range(100, 101 + n))
    mask = pd.array([False] + [True] * n, dtype="boolean")
    probs = row_problems(mask, values, message="bad", column="c", expected="ok",
                         resource="t", file="f.csv")
    assert len(probs) == MAX_ROWS_LISTED + 1
    assert (probs[0].row, probs[0].found) == (2, "'v1'")  # 1-based position, not the label
    last = probs[-1]
    assert last.message == "bad in 5 more rows" and last.row is None and last.found is None
    assert {(p.file, p.resource, p.column, p.expected) for p in probs} == {("f.csv", "t", "c", "ok")}


def test_row_problems_treats_missing_as_false_and_masks_identifiers():
    mask = pd.array([pd.NA, True, False], dtype="boolean")
    probs = row_problems(mask, ["x", "010190-12345", "y"], message="bad", column="c")
    assert [(p.row, p.found) for p in probs] == [(2, "<masked: looks like a personal identifier>")]
    assert row_problems([False, False], ["a", "b"], message="bad", column="c") == []

