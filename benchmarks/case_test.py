"""`make test` end to end: the whole suite, notebooks and browser test included (absolute)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import emit

ROOT = Path(__file__).resolve().parent.parent


def run(scale: str) -> None:
    if scale != "full":
        emit("make test (end to end)", "whole suite", float("nan"), None, "–", "reported only",
             skipped="measured at full scale only (it takes minutes)")
        return
    home = tempfile.mkdtemp(prefix="ik-bench-home-")
    env = {**os.environ, "MPLBACKEND": "Agg", "HOME": home, "MPLCONFIGDIR": home,
           "IPYTHONDIR": home, "JUPYTER_CONFIG_DIR": home}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    summary = (proc.stdout.strip().splitlines() or [""])[-1]
    emit("make test (end to end)", "whole suite", elapsed, None, "–", "reported only",
         pytest=summary, exit_code=proc.returncode)
