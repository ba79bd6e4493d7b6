"""Settings shared by the unit tests and the doctests of the library."""

import os
import tempfile

import numpy as np
import pytest

# Doctests print numpy scalars the way people read them (0.5, not np.float64(0.5)).
np.set_printoptions(legacy="1.25")

# Matplotlib must never try to open a window, and nothing may write into the user's home.
os.environ.setdefault("MPLBACKEND", "Agg")
_tmp_home = tempfile.mkdtemp(prefix="ik-test-home-")
os.environ.setdefault("MPLCONFIGDIR", os.path.join(_tmp_home, "mpl"))
# Screens and the app keep projects in a workspace: in tests never the user's data folder.
os.environ.setdefault("IMPLEMENTERE_WORKSPACE", os.path.join(_tmp_home, "workspace"))


@pytest.fixture(autouse=True)
def _doctest_tmp(request, tmp_path_factory):
    """Doctests get ``tmp``: a fresh folder removed with pytest's other temporary folders."""
    if isinstance(request.node, pytest.DoctestItem):
        request.getfixturevalue("doctest_namespace")["tmp"] = tmp_path_factory.mktemp("doctest")
