"""Settings shared by the unit tests, the doctests and the notebook runs.

Everything temporary goes into one private folder made for this run (``TMPDIR`` and
``tempfile.tempdir`` point there, so subprocesses and kernels use it too). After every
test the folder is compared with what was there before it: a test, doctest or the code it
calls that leaves a temporary file or folder behind fails, naming it. The folder is
removed at the end of the run.
"""

import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="ik-test-tmp-"))
os.environ["TMPDIR"] = str(_TMP)
tempfile.tempdir = str(_TMP)

# Matplotlib must never try to open a window, and nothing may write into the user's home.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("MPLCONFIGDIR", str(_TMP / "ik-session-mpl"))
# Screens and the app keep projects in a workspace: in tests never the user's data folder.
os.environ.setdefault("IMPLEMENTERE_WORKSPACE", str(_TMP / "ik-session-workspace"))


@pytest.fixture(autouse=True)
def _doctest_tmp(request, tmp_path_factory):
    """Doctests get ``tmp``: a fresh folder removed with pytest's other temporary folders."""
    if isinstance(request.node, pytest.DoctestItem):
        request.getfixturevalue("doctest_namespace")["tmp"] = tmp_path_factory.mktemp("doctest")


def _entries() -> set[str]:
    # pytest keeps its own tmp_path folders (pytest-of-<user>) on purpose; the session's
    # shared folders live as long as the run (the widgets' demo folder of this process is
    # removed when it exits: tests/test_session.py checks that)
    keep = ("pytest-of-", "ik-session-", "ik-notebooks-", f"implementere-demo-{os.getpid()}-")
    return {p.name for p in _TMP.iterdir() if not p.name.startswith(keep)}


def _open_widgets() -> dict:
    if "ipywidgets" not in sys.modules:
        return {}
    from ipywidgets.widgets.widget import _instances

    return _instances


@pytest.fixture(autouse=True)
def _no_temporary_leftovers():
    before, widgets = _entries(), set(_open_widgets())
    yield
    # Widgets a test made stay registered (and keep their project alive) until closed: close
    # them as a notebook does when it is shut down.
    for key in set(_open_widgets()) - widgets:
        widget = _open_widgets().get(key)
        if widget is not None:
            widget.close()
    new = _entries() - before
    if new:  # objects that clean up when collected may still be waiting for it
        gc.collect()
        new = _entries() - before
    if new:
        for name in new:
            shutil.rmtree(_TMP / name, ignore_errors=True)
            (_TMP / name).unlink(missing_ok=True)
        pytest.fail(f"left behind in the temporary folder: {', '.join(sorted(new))}")


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_TMP, ignore_errors=True)
