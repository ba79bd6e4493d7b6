"""Columns of types and values a check could stumble on: a uint64 past int64, a float16, a
number past 2**53, nanosecond timestamps, a list in a key, dates Python cannot hold. Each
package is refused (or stored) with our own problems, never an Arrow or Python error, and
a merge loads the other packages all the same."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from implementere_kit import NetworkStore
from implementere_kit.exchange.package import export_package
from implementere_kit.exchange.validate import validate_package
from tests.craft import descriptor, rewrite


@pytest.fixture
def pkg(havnstrup, tmp_path):
    return export_package(havnstrup, tmp_path / "pkg", level="pseudonymised")


def _column(pkg, table, column, make):
    def change(t):
        return t.set_column(t.column_names.index(column), column,
                            make(t.column(column).combine_chunks(), t.num_rows))
    rewrite(pkg, table, change)


def _period_start(pkg) -> dt.date:
    return dt.date.fromisoformat(descriptor(pkg)["implementere_kit"]["period"]["start"])


def _before_period(pkg):
    """The session dates as pandas writes them (timestamp[ns]), one a month early."""
    def make(col, n):
        stamps = col.cast(pa.timestamp("ns")).to_pylist()
        first = _period_start(pkg)
        stamps[0] = dt.datetime(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        return pa.array(stamps, pa.timestamp("ns"))
    return make


CASES = {
    # (table, column, new column, a word of the problem expected)
    "uint64 past int64": ("sessions", "session_no",
                          lambda c, n: pa.array([2**64 - 1] * n, pa.uint64()),
                          "above maximum"),
    "float16": ("sessions", "duration_min",
                lambda c, n: pa.array(np.full(n, 60, np.float16)), "wrong type"),
    "a list in a key": ("sessions", "session_no",
                        lambda c, n: pa.array([["1"]] * n, pa.list_(pa.string())),
                        "wrong type"),
    "a date before year 1": ("sessions", "date",
                             lambda c, n: pa.array([-(20000 * 365) * 86400] * n,
                                                   pa.timestamp("s")), "period"),
    "a key of dates after 9999": ("sessions", "session_no",
                                  lambda c, n: pa.array([2**40] * n, pa.timestamp("s")),
                                  "wrong type"),
    "nanoseconds": ("sessions", "date",
                    lambda c, n: pa.array([2**62 + 1] * n, pa.timestamp("ns")), "future"),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_with_our_problems(pkg, case):
    table, column, make, needle = CASES[case]
    _column(pkg, table, column, make)
    problems = validate_package(pkg)
    assert any(needle in p.message or needle in (p.expected or "") for p in problems), \
        [str(p) for p in problems]
    assert all(p.file and p.file.startswith(pkg.name) for p in problems)


def test_timestamps_dated_before_the_period(pkg):
    """Dates as pandas writes them (timestamp[ns]), one row before the period: counted,
    not a crash on the text-only path of the period check."""
    _column(pkg, "sessions", "date", _before_period(pkg))
    problems = validate_package(pkg)
    assert [p.found for p in problems if "outside the package's period" in p.message] == \
        ["1 row(s)"], [str(p) for p in problems]


def test_a_number_past_2_53_is_stored_exactly(pkg, tmp_path):
    """A session number no bound forbids, too large for a float: scanned (it is no person
    number) and stored as it was."""
    big = 10**17 + 1
    _column(pkg, "sessions", "session_no",
            lambda c, n: pa.array([big + i for i in range(n)], pa.int64()))
    with NetworkStore(tmp_path / "net.duckdb") as store:
        assert [r.action for r in store.merge([pkg])] == ["imported"]
        got = store.query("SELECT min(session_no) lo FROM sessions")["lo"][0]
        assert int(got) == big
        assert pq.read_table(pkg / "sessions.parquet").num_rows == \
            store.query("SELECT count(*) n FROM sessions")["n"][0]


def test_one_bad_package_does_not_stop_a_merge(pkg, havnstrup, tmp_path):
    _column(pkg, "sessions", "session_no", CASES["uint64 past int64"][2])
    good = export_package(havnstrup, tmp_path / "good.zip", level="pseudonymised")
    with NetworkStore(tmp_path / "net.duckdb") as store:
        results = store.merge([pkg, good])
    assert [r.action for r in results] == ["rejected", "imported"]
