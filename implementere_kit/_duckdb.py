"""DuckDB connections for library code."""

from __future__ import annotations


def connect(database: str = ":memory:"):
    """A DuckDB connection that never prints: DuckDB's progress bar writes to stdout on
    long queries, and library code does not print."""
    import duckdb

    con = duckdb.connect(database)
    con.execute("SET enable_progress_bar = false")
    return con
