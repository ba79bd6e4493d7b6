"""Which workspace and which project a notebook or the app works on.

Notebooks and the app never write into the repository or the temporary folder: they work
in a workspace (:class:`~implementere_kit.store.workspace.Workspace`: the folder given, or
``$IMPLEMENTERE_WORKSPACE``, or the user's data folder) and open the project named by a
``parameters`` cell or ``$IMPLEMENTERE_PROJECT``; without one they show the start screen.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..store.workspace import PROJECT_ENV, WORKSPACE_ENV, Workspace

__all__ = ["PROJECT_ENV", "WORKSPACE_ENV", "demo_project", "notebook_project", "open_workspace",
           "screen_language"]


def open_workspace(workspace=None) -> Workspace:
    """``workspace`` as a :class:`Workspace` (a path, an existing one, or the default)."""
    return workspace if isinstance(workspace, Workspace) else Workspace(workspace)


def screen_language(workspace: Workspace, project=None) -> str:
    """The screens' language: the workspace's setting, else the project's, else ``nb``.

    Examples
    --------
    >>> ws = open_workspace(tmp)
    >>> ws.set_setting("ui_language", "xx")   # a damaged setting is ignored
    >>> screen_language(ws)
    'nb'
    """
    from ..i18n import LANGS

    chosen = workspace.settings().get("ui_language")
    if chosen in LANGS:
        return chosen
    return project.language if project is not None else "nb"


def demo_project(path, *, site: str = "903", scale: float = 0.2, seed: int = 2024):
    """Create a project of example data (one site of the example network) in ``path``.

    For examples and tests; in the app the demo is a workspace's explicit choice
    (:meth:`Workspace.demo <implementere_kit.store.workspace.Workspace.demo>`).

    Parameters
    ----------
    path : path-like
        Folder to create it in (the project is a subfolder).
    site : str
        One of the example sites of :mod:`implementere_kit.examples` (default Havnstrup, KEEP).
    scale : float
        Size of the generated data (see :func:`~implementere_kit.examples.make_network`).

    Examples
    --------
    >>> p = demo_project(tmp, scale=0.05)
    >>> p.site, p.intervention.id
    ('903', 'keep')
    """
    from ..examples import make_network
    from ..store.project import Project

    made = make_network(Path(path), seed=seed, scale=scale, sites=[site])
    return Project.open(made["path"].iloc[0])


def notebook_project(path=None, workspace=None):
    """The project a notebook opens: ``path``, else ``$IMPLEMENTERE_PROJECT``, else None.

    A relative path (or a bare name) is read relative to the workspace, not to the folder
    the notebook happens to run in.

    Examples
    --------
    >>> import os
    >>> p = demo_project(tmp, scale=0.05)
    >>> notebook_project(p.path).path == p.path
    True
    >>> notebook_project(p.path.name, workspace=p.path.parent).site
    '903'
    """
    from ..store.project import Project

    path = path or os.environ.get(PROJECT_ENV)
    if not path:
        return None
    if isinstance(path, Project):
        return path
    return Project.open(open_workspace(workspace).resolve(path))
