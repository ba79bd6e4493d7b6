"""Which project a notebook or the app works on.

Notebooks never write into the repository: they take the project folder from the
``IMPLEMENTERE_PROJECT`` environment variable (or a ``parameters`` cell) and otherwise work
on a throwaway demo project in a temporary folder. Demo projects of one Python process
share one folder, ``implementere-demo-<pid>-…``, removed when the process ends; a project
is removed as soon as it is no longer used, and the folder of a process that was killed is
removed by the next process that makes a demo.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import weakref
from pathlib import Path

from ..app import PROJECT_ENV

__all__ = ["PROJECT_ENV", "demo_project", "notebook_project"]

_PREFIX = "implementere-demo-"
_folder: Path | None = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def _session_folder() -> Path:
    """This process's folder for demo projects, made on first use, removed at exit."""
    global _folder
    if _folder is None or not _folder.exists():
        for old in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*-*"):
            pid = old.name[len(_PREFIX):].split("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)  # left by a process that was killed
        _folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    return _folder


def demo_project(path=None, *, site: str = "903", scale: float = 0.2, seed: int = 2024):
    """Create a demo project (synthetic data of one example site) and open it.

    Parameters
    ----------
    path : path-like, optional
        Folder to create it in; by default a new temporary folder, removed again when the
        returned project is no longer used (or the interpreter exits).
    site : str
        One of the example sites of :mod:`implementere_kit.examples` (default Havnstrup, KEEP).
    scale : float
        Size of the generated data (see :func:`~implementere_kit.examples.make_network`).

    Examples
    --------
    >>> p = demo_project(scale=0.05)
    >>> p.site, p.intervention.id
    ('903', 'keep')
    """
    from ..examples import make_network
    from ..store.project import Project

    if path is not None:
        made = make_network(Path(path), seed=seed, scale=scale, sites=[site])
        return Project.open(made["path"].iloc[0])
    root = Path(tempfile.mkdtemp(dir=_session_folder()))
    try:
        made = make_network(root, seed=seed, scale=scale, sites=[site])
        project = Project.open(made["path"].iloc[0])
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    weakref.finalize(project, shutil.rmtree, root, ignore_errors=True)
    return project


def notebook_project(path=None):
    """The project a notebook works on: ``path``, else ``$IMPLEMENTERE_PROJECT``, else a demo.

    Examples
    --------
    >>> import os
    >>> p = demo_project(scale=0.05)
    >>> os.environ[PROJECT_ENV] = str(p.path)
    >>> notebook_project().path == p.path
    True
    >>> del os.environ[PROJECT_ENV]
    """
    from ..store.project import Project

    path = path or os.environ.get(PROJECT_ENV)
    if path:
        return Project.open(path)
    return demo_project()
