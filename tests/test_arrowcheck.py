import pyarrow as pa
import pytest

from implementere_kit.exchange import arrowcheck
from implementere_kit.store.tables import table_schema


def _sessions():
    return pa.table({"site": ["1"] * 5, "group_id": ["a", "a", "b", "a", None],
                     "session_no": [1, 2, 1, 1, 1],
                     "date": pa.array([None] * 5, pa.date32())})


@pytest.mark.parametrize("wide", [False, True])
def test_duplicate_keys_found_by_either_path(monkeypatch, wide):
    if wide:  # the fallback for keys too wide to pack into one integer
        monkeypatch.setattr(arrowcheck, "_key_codes", lambda table, key: None)
    problems = arrowcheck._duplicate_keys(_sessions(), ["group_id", "session_no"],
                                          file="f", name="sessions")
    assert [(p.row, p.found) for p in problems] == [(4, "'a|1'")]


def test_check_arrow_table_lists_every_kind_of_problem():
    t = _sessions().append_column("extra", pa.array([1] * 5))
    problems = arrowcheck.check_arrow_table(t, table_schema("sessions"), file="f")
    kinds = {(p.column, p.message) for p in problems}
    assert ("extra", "field not in the schema") in kinds
    assert ("date", "required value missing") in kinds
    assert ("group_id", "required value missing") in kinds
    assert ("group_id+session_no", "duplicate primary key") in kinds
