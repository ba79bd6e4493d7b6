"""Demo projects of the widgets live in temporary folders that never outlive their use."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_MAKE = """
import sys
from implementere_kit.widgets.session import demo_project
p = demo_project(scale=0.05)
print(p.path.parent.parent, flush=True)
if sys.argv[1] == "kill":
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _run(mode: str) -> Path:
    proc = subprocess.run([sys.executable, "-c", _MAKE, mode], capture_output=True, text=True)
    return Path(proc.stdout.strip())


def test_the_demo_folder_goes_when_the_process_ends_even_if_it_was_killed():
    ended = _run("exit")
    assert ended.name.startswith("implementere-demo-") and not ended.exists()
    killed = _run("kill")
    assert killed.exists()  # a killed process cleans nothing up ...
    _run("exit")
    assert not killed.exists()  # ... the next demo does


def test_a_demo_project_is_removed_once_no_longer_used():
    from implementere_kit.widgets.session import demo_project

    p = demo_project(scale=0.05)
    folder = p.path.parent
    assert folder.is_relative_to(Path(tempfile.gettempdir()))
    assert folder.name != p.path.name and (p.path / "project.json").exists()
    assert folder.parent.name.startswith(f"implementere-demo-{os.getpid()}-")
    del p
    gc.collect()
    assert not folder.exists()
