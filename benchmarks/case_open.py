"""`Project.open` on a large project against reading its Parquet files into pandas.

Ours: :meth:`implementere_kit.Project.open` — project.json, every table file read, checked
against tables.yaml (types, required values, enums, ranges, primary keys) and typed. The
baseline reads the same files with ``pyarrow.parquet.read_table`` into pandas frames and
checks nothing. A second row compares with ``ParquetFile(...).read()``, the leaner read
Project.open itself uses, so the cost of the checks alone is on record too. The
project is one example site (Havnstrup) at a scale that gives about 230,000 rows (full)
or 30,000 (quick), generated once and cached.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from ._common import DATA, SCALES, emit, paired_median_times

# Havnstrup's groups multiplied: ≈ 231,000 rows in eleven tables at 115.
_SITE_SCALE = {"quick": 15, "full": 115}


def _project(scale: str):
    from implementere_kit.examples import make_network

    root = DATA / f"project-{scale}"
    done = root / ".complete"
    if not done.exists():
        make_network(root, seed=1, scale=_SITE_SCALE[scale], sites=["903"])
        done.touch()
    return next(p for p in root.iterdir() if p.is_dir())


def run(scale: str) -> None:
    from implementere_kit import Project

    folder = _project(scale)
    meta = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    files = [folder / e["file"] for e in meta["tables"].values()]
    n_rows = sum(e["rows"] for e in meta["tables"].values())

    def ours():
        Project.open(folder)

    def read_table():
        for f in files:
            pq.read_table(f).to_pandas()

    def parquet_file():
        for f in files:
            with pq.ParquetFile(f) as p:
                p.read().to_pandas()

    repeat = max(SCALES[scale]["repeat"], 15)  # a fast case: more runs steady the median
    size = f"{len(files)} tables, {n_rows:,} rows"
    t_ours, t_base = paired_median_times(ours, read_table, repeat)
    emit("Project.open", size, t_ours, t_base, "pq.read_table + to_pandas", "≤ 1.5×")
    t_ours, t_base = paired_median_times(ours, parquet_file, repeat)
    emit("Project.open", size, t_ours, t_base, "ParquetFile.read + to_pandas",
         "none (checks' cost)")
