"""The package checks reuse the store's one engine; what is theirs is foreign keys."""

import pyarrow as pa

from implementere_kit.exchange import arrowcheck
from implementere_kit.store import _checks
from implementere_kit.store.tables import table_schema


def _sessions():
    return pa.table({"site": ["1"] * 5, "group_id": ["a", "a", "b", "a", None],
                     "session_no": [1, 2, 1, 1, 1],
                     "date": pa.array([None] * 5, pa.date32())})


def test_check_arrow_table_lists_every_kind_of_problem():
    t = _sessions().append_column("extra", pa.array([1] * 5))
    problems = arrowcheck.check_arrow_table(t, table_schema("sessions"), file="f")
    kinds = {(p.column, p.message) for p in problems}
    assert ("extra", "unexpected column") in kinds
    assert ("date", "required value missing") in kinds
    assert ("group_id", "required value missing") in kinds
    assert ("group_id+session_no", "duplicate primary key") in kinds
    assert problems == _checks.check_table(t, table_schema("sessions"), file="f")


def test_foreign_keys_name_each_dangling_row():
    parts = pa.table({"participant_id": ["a", "b"]})
    att = pa.table({"participant_id": ["a", "zz", None, "b", "010190-12345"]})
    problems = arrowcheck.check_foreign_key(att, "participant_id", parts, "participant_id",
                                            file="att.parquet", name="attendance",
                                            parent_name="participants")
    assert [p.row for p in problems] == [2, 5]
    assert problems[0].found == "'zz'" and "masked" in problems[1].found
    assert {p.resource for p in problems} == {"attendance"}
