"""`implementere-kit demo` end to end (absolute time, reported only)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import emit


def run(scale: str) -> None:
    exe = Path(sys.executable).with_name("implementere-kit")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([str(exe), "demo", "--out", tmp], check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
    emit("make demo (end to end)", "example network", elapsed, None, "–", "reported only")
