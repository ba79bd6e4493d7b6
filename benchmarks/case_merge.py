"""Validate + merge every site package into a fresh store, against raw pyarrow reads."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from ._common import SCALES, emit, network_packages, paired_median_times


def run(scale: str) -> None:
    from implementere_kit.exchange.network import NetworkStore

    packages = network_packages(scale)
    files = [f for p in packages for f in sorted(p.glob("*.parquet"))]
    n_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    repeat = SCALES[scale]["repeat"]

    stores = []

    def ours():
        # a fresh store each run; removing it afterwards is not part of a merge
        stores.append(Path(tempfile.mkdtemp(prefix="ik-bench-store-")))
        with NetworkStore(stores[-1] / "n.duckdb") as s:
            results = s.merge(packages)
        bad = [r for r in results if r.action != "imported"]
        if bad:
            raise RuntimeError(f"{len(bad)} packages not imported: {bad[0]}")

    def raw():
        for f in files:
            pq.read_table(f)

    try:
        t_ours, t_raw = paired_median_times(ours, raw, repeat)
    finally:
        for folder in stores:
            shutil.rmtree(folder, ignore_errors=True)
    emit("validate + merge", f"{len(packages)} packages, {n_rows:,} rows", t_ours, t_raw,
         "raw pyarrow reads", "≤ 2×")
