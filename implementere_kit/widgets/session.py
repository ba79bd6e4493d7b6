"""Which project a notebook or the app works on.

Notebooks never write into the repository: they take the project folder from the
``IMPLEMENTERE_PROJECT`` environment variable (or a ``parameters`` cell) and otherwise work
on a throwaway demo project in a temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..app import PROJECT_ENV

__all__ = ["PROJECT_ENV", "demo_project", "notebook_project"]


def demo_project(path=None, *, site: str = "903", scale: float = 0.2, seed: int = 2024):
    """Create a demo project (synthetic data of one example site) and open it.

    Parameters
    ----------
    path : path-like, optional
        Folder to create it in; by default a new temporary folder.
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

    root = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="implementere-demo-"))
    made = make_network(root, seed=seed, scale=scale, sites=[site])
    return Project.open(made["path"].iloc[0])


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
