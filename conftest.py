"""Settings shared by the unit tests and the doctests of the library."""

import os
import tempfile

import numpy as np

# Doctests print numpy scalars the way people read them (0.5, not np.float64(0.5)).
np.set_printoptions(legacy="1.25")

# Matplotlib must never try to open a window, and nothing may write into the user's home.
os.environ.setdefault("MPLBACKEND", "Agg")
_tmp_home = tempfile.mkdtemp(prefix="ik-test-home-")
os.environ.setdefault("MPLCONFIGDIR", os.path.join(_tmp_home, "mpl"))
