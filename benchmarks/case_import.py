"""`import implementere_kit` in a fresh interpreter against `import pandas`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from ._common import SCALES, emit


def _fresh(stmt: str, repeat: int) -> float:
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:])  # the first run warms the file cache


def run(scale: str) -> None:
    repeat = max(SCALES[scale]["repeat"], 7)
    empty = _fresh("pass", repeat)
    ours = _fresh("import implementere_kit", repeat) - empty
    pandas = _fresh("import pandas", repeat) - empty
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, implementere_kit; print(sorted(m for m in "
         "('matplotlib', 'ipywidgets', 'duckdb', 'statsmodels', 'pandas') if m in sys.modules))"],
        capture_output=True, text=True, check=True).stdout.strip()
    emit("import implementere_kit", "fresh interpreter", ours, pandas, "import pandas",
         "≤ 1.2×", heavy_modules_loaded=heavy)
