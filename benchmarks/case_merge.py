"""Validate + merge every site package into a fresh store, against raw pyarrow reads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from ._common import SCALES, emit, median_time, network_packages


def run(scale: str) -> None:
    from implementere_kit.exchange.network import NetworkStore

    packages = network_packages(scale)
    files = [f for p in packages for f in sorted(p.glob("*.parquet"))]
    n_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    repeat = SCALES[scale]["repeat"]

    def ours():
        with tempfile.TemporaryDirectory() as tmp, NetworkStore(Path(tmp) / "n.duckdb") as s:
            results = s.merge(packages)
            bad = [r for r in results if r.action != "imported"]
            if bad:
                raise RuntimeError(f"{len(bad)} packages not imported: {bad[0]}")

    def raw():
        for f in files:
            pq.read_table(f)

    t_ours = median_time(ours, repeat)
    t_raw = median_time(raw, repeat)
    emit("validate + merge", f"{len(packages)} packages, {n_rows:,} rows", t_ours, t_raw,
         "raw pyarrow reads", "≤ 2×")
