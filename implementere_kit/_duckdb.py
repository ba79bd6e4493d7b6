"""DuckDB connections for library code."""

from __future__ import annotations


def connect(database: str = ":memory:", *, read_only: bool = False):
    """A DuckDB connection that never prints: DuckDB's progress bar writes to stdout on
    long queries, and library code does not print. ``read_only`` connections of several
    processes may share one file."""
    import duckdb

    con = duckdb.connect(database, read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    return con
