import pandas as pd
import pytest

from implementere_kit import ValidationError
from implementere_kit.store.tables import (
    MAX_ROWS_LISTED,
    empty_table,
    parse_dates,
    row_problems,
    table_names,
    table_schema,
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



# -- one engine for pandas frames and Arrow tables -----------------------------------------
def _bad_sessions():
    return pd.DataFrame({"site": ["101", "101", "101", " "],
                         "group_id": ["g1", "g1", "g2", "g2"],
                         "session_no": [1, 1, 0, 2],
                         "date": pd.to_datetime(["2024-01-01", "2024-01-08", None,
                                                 "2024-01-15"]),
                         "duration_min": [90.0, 700.0, 60.0, None]})


def test_the_same_rules_give_the_same_problems_for_frames_and_arrow_tables():
    import pyarrow as pa

    from implementere_kit.store._checks import check_table

    df = _bad_sessions()
    with pytest.raises(ValidationError) as exc:
        validate_table(df, "sessions")
    from_pandas = [(p.row, p.column, p.message) for p in exc.value.problems]
    from_arrow = [(p.row, p.column, p.message) for p in check_table(
        pa.Table.from_pandas(df, preserve_index=False), table_schema("sessions"))]
    assert from_pandas == from_arrow == [
        (4, "site", "required value missing"),      # blank text is missing
        (3, "session_no", "value below minimum"),
        (3, "date", "required value missing"),
        (2, "duration_min", "value above maximum"),
        (2, "group_id+session_no", "duplicate primary key")]


def test_validate_arrow_checks_typed_files_in_place_and_parses_text_files():
    import pyarrow as pa

    from implementere_kit.store.tables import validate_arrow

    typed = validate_arrow(pa.table({"site": ["101"], "period": ["2024"],
                                     "n_eligible": pa.array([5], pa.int32())}), "eligible")
    assert typed.dtypes.astype(str).tolist() == ["string", "string", "Int64"]
    # dates kept as text in a foreign file are parsed as a CSV's would be
    as_text = pa.table({"participant_id": ["p1"], "site": ["1"], "enrolled": ["01.03.2024"]})
    assert validate_arrow(as_text, "participants")["enrolled"].tolist() == [
        pd.Timestamp("2024-03-01")]
    with pytest.raises(ValidationError, match="not a date"):
        validate_arrow(as_text.set_column(2, "enrolled", pa.array(["soon"])), "participants")


def test_duplicate_keys_found_by_either_path(monkeypatch):
    import pyarrow as pa

    from implementere_kit.store import _checks

    t = pa.table({"group_id": ["a", "a", "b", "a", None, None],
                  "session_no": [1, 2, 1, 1, 1, 1]})
    expected = [False, False, False, True, False, True]  # a missing value is a value here
    assert _checks.duplicate_rows(t, ["group_id", "session_no"]).tolist() == expected
    monkeypatch.setattr(_checks, "_key_codes", lambda table, key: None)  # keys too wide
    assert _checks.duplicate_rows(t, ["group_id", "session_no"]).tolist() == expected


def test_keys_the_engine_does_not_know_are_left_alone():
    import pyarrow as pa

    from implementere_kit.store._checks import check_table
    from implementere_kit.store.tables import TableSchema

    schema = TableSchema("t", ({"name": "a", "type": "integer", "required": True,
                                "export": ["aggregate"], "description": "x"},))
    assert check_table(pa.table({"a": [1, 2]}), schema) == []
    assert [p.message for p in check_table(pa.table({"a": [1, None]}), schema)] == [
        "required value missing"]


def test_not_a_frame_and_columns_named_twice():
    with pytest.raises(ValidationError, match="must be a DataFrame"):
        validate_table([("p1", "1")], "participants")
    df = pd.DataFrame([["p1", "1", "2024-01-01", "x"]],
                      columns=["participant_id", "site", "enrolled", "site"])
    with pytest.raises(ValidationError, match="column appears twice"):
        validate_table(df, "participants")


def test_typed_output_is_the_same_whichever_way_in():
    import pyarrow as pa

    from implementere_kit.store.tables import validate_arrow

    text = pd.DataFrame({"participant_id": ["p1", "p2"], "session_no": ["1", "2"],
                         "attended": ["ja", "nei"]})
    parsed = validate_table(text, "attendance")
    read = validate_arrow(pa.Table.from_pandas(parsed, preserve_index=False), "attendance")
    pd.testing.assert_frame_equal(parsed, read)
    pd.testing.assert_frame_equal(parsed.iloc[:0], empty_table("attendance"),
                                  check_index_type=False)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "99999999999999999999999",
                                   float("inf"), 1e30])
def test_numbers_no_column_can_hold_are_problems_not_crashes(value):
    # an Excel export with "inf" or a 23-digit number in a session column is a row problem
    df = pd.DataFrame({"participant_id": ["F1"], "session_no": [value], "attended": ["ja"]})
    with pytest.raises(ValidationError) as err:
        validate_table(df, "attendance", file="f.csv")
    (p,) = err.value.problems
    assert (p.file, p.row, p.column, p.expected) == ("f.csv", 1, "session_no", "a whole number")


@pytest.mark.parametrize("value", ["inf", float("-inf")])
def test_an_infinite_score_is_not_a_number(value):
    df = pd.DataFrame({"respondent_id": ["r"], "site": "101", "instrument": "aim", "wave": 1,
                       "date": "2024-01-01", "item": "aim_1", "value": [value]})
    with pytest.raises(ValidationError) as err:
        validate_table(df, "survey_responses")
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "value")]
