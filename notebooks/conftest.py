"""Run the notebooks (``pytest --nbval-lax notebooks/``) on a fresh temporary project.

The notebooks read their project folder from ``$IMPLEMENTERE_PROJECT``; here it points at a
small generated project (one example site), made once per test session in a temporary
folder, so a notebook run never writes into the repository. The kernels inherit the
environment set here: nbval starts them after ``pytest_configure``. Jupyter, IPython and
matplotlib get temporary folders too, so nothing is written into the user's home.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_ROOT: Path | None = None


def pytest_configure(config) -> None:
    global _ROOT
    if os.environ.get("IMPLEMENTERE_NOTEBOOK_ROOT"):  # already set up (e.g. xdist worker)
        return
    from implementere_kit.examples import make_network

    _ROOT = Path(tempfile.mkdtemp(prefix="ik-notebooks-"))  # removed at the end
    made = make_network(_ROOT / "network", seed=7, scale=0.1, sites=["903"])
    os.environ["IMPLEMENTERE_NOTEBOOK_ROOT"] = str(_ROOT)
    os.environ["IMPLEMENTERE_PROJECT"] = str(made["path"].iloc[0])
    for var, sub in (("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl"),
                     ("JUPYTER_RUNTIME_DIR", "jupyter-runtime")):
        os.environ.setdefault(var, str(_ROOT / sub))
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config) -> None:
    if _ROOT is not None:
        shutil.rmtree(_ROOT, ignore_errors=True)
        for var in ("IMPLEMENTERE_NOTEBOOK_ROOT", "IMPLEMENTERE_PROJECT"):
            os.environ.pop(var, None)
