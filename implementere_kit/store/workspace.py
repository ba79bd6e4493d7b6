"""A workspace: the folder where one user's projects live, kept between sessions.

The app, the phase notebooks and JupyterLab open a workspace, list its projects and open
or create them there. The folder is, in order of precedence, the one given, the one in
``$IMPLEMENTERE_WORKSPACE``, or the user's data folder as :mod:`platformdirs` finds it
(``~/.local/share/implementere-kit`` on Linux, ``%LOCALAPPDATA%\\implementere-kit`` on
Windows, ``~/Library/Application Support/implementere-kit`` on macOS) — never the
temporary folder, and never the toolkit's own checkout.

A project is named by its folder inside the workspace. A name is a name, not a path: it
cannot climb out of the workspace, and a relative path given where a project is expected
is read relative to the workspace (:meth:`Workspace.resolve`). Creating a project under a
name that exists already is refused (:class:`ProjectExistsError`) and changes nothing.

The demo project is an explicit choice (:meth:`Workspace.demo`): a copy of one example
site, made once inside the workspace and marked as a demo, then kept like any project.

Examples
--------
>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> ws = Workspace(tmp.name)
>>> p = ws.create("havnstrup-keep", site="903", country="DK", intervention="keep",
...               site_name="Havnstrup", start="2025-01-06", language="da")
>>> ws.projects()[["name", "site", "site_name", "demo"]].values.tolist()
[['havnstrup-keep', '903', 'Havnstrup', False]]
>>> ws.create("havnstrup-keep", site="903", country="DK", intervention="keep")
Traceback (most recent call last):
...
implementere_kit.store.workspace.ProjectExistsError: a project named 'havnstrup-keep' exists already in the workspace
>>> tmp.cleanup()
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd

from .._io import atomic_write_json
from ..errors import Problem, ProjectError, ValidationError, safe_value
from .project import Project

__all__ = ["Workspace", "WORKSPACE_ENV", "PROJECT_ENV", "DEMO_NAME", "ProjectExistsError",
           "default_workspace", "suggest_name"]

#: Environment variable naming the workspace folder (the app and the notebooks read it).
WORKSPACE_ENV = "IMPLEMENTERE_WORKSPACE"
#: Environment variable naming a project to open at start (a name or a folder).
PROJECT_ENV = "IMPLEMENTERE_PROJECT"
#: Folder name of the demo project inside a workspace.
DEMO_NAME = "demo-havnstrup-keep"
_DEMO_MARK = ".implementere-demo"
_SETTINGS = "settings.json"
# A letter or digit first; then letters, digits, space, dot, dash or underscore.
_NAME = re.compile(r"[^\W_][\w .\-]{0,78}[\w]|[^\W_]")
_COLUMNS = ["name", "site", "site_name", "country", "intervention", "intervention_labels",
            "language", "modified", "demo", "problem"]


class ProjectExistsError(ProjectError):
    """A project of that name exists already; nothing was changed."""

    message_key = "ws_exists"

    def __init__(self, name: str):
        self.name = name
        self.message_args = {"name": name}
        super().__init__(f"a project named {name!r} exists already in the workspace")


def default_workspace() -> Path:
    """``$IMPLEMENTERE_WORKSPACE`` if set, else the user's data folder for implementere-kit."""
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("implementere-kit", appauthor=False)


def suggest_name(site_name: str, intervention: str) -> str:
    """A folder name from a municipality and an intervention: ``havnstrup-keep``.

    Examples
    --------
    >>> suggest_name("Bøgely Kommune", "keep"), suggest_name("", "fft")
    ('bogely-kommune-keep', 'fft')
    """
    text = f"{site_name} {intervention}".lower().replace("ø", "o").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60]


class Workspace:
    """The folder of a user's projects (made if it does not exist).

    Parameters
    ----------
    path : path-like, optional
        Default :func:`default_workspace`.
    """

    def __init__(self, path=None):
        folder = Path(path).expanduser() if path is not None else default_workspace()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"cannot use {folder} as workspace: {exc.strerror}") from None
        if not folder.is_dir():
            raise ProjectError(f"cannot use {folder} as workspace: not a folder")
        self.path = folder.resolve()

    # -- names and paths ---------------------------------------------------------------
    def folder(self, name: str) -> Path:
        """The folder of project ``name``; a name with a path in it is refused."""
        text = name.strip() if isinstance(name, str) else name
        if not isinstance(text, str) or not _NAME.fullmatch(text) or ".." in text:
            raise ValidationError([Problem(
                "not a project name", column="name",
                expected="letters, digits, space, dot, dash or underscore (no folders)",
                found=safe_value(name))])
        return self.path / text

    def resolve(self, path) -> Path:
        """``path`` as given if absolute, else relative to the workspace (not the cwd)."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.path / p

    # -- projects ---------------------------------------------------------------------
    def projects(self) -> pd.DataFrame:
        """The projects in the workspace, read from each ``project.json`` only (fast).

        A folder whose ``project.json`` cannot be read is listed with ``problem`` set,
        so a damaged project is visible rather than silently missing.
        """
        rows = []
        for meta_file in sorted(self.path.glob("*/project.json")):
            folder = meta_file.parent
            row = {"name": folder.name, "demo": (folder / _DEMO_MARK).exists(),
                   "problem": None}
            try:
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
                iv = meta["intervention"]
                row.update(site=str(meta["site"]), site_name=meta.get("site_name", ""),
                           country=meta["country"], intervention=iv["id"],
                           intervention_labels={"name": iv.get("name", iv["id"]),
                                                **(iv.get("labels") or {})},
                           language=meta["language"],
                           modified=meta.get("modified") or meta.get("created"))
            except (OSError, ValueError, KeyError, TypeError):
                row["problem"] = f"{meta_file} cannot be read"
            rows.append(row)
        return pd.DataFrame(rows, columns=_COLUMNS)

    def exists(self, name: str) -> bool:
        return (self.folder(name) / "project.json").exists()

    def open(self, name: str) -> Project:
        """Open project ``name`` of the workspace."""
        return Project.open(self.folder(name))

    def create(self, name: str, **project) -> Project:
        """Create project ``name`` (keywords as :meth:`Project.create`).

        Raises
        ------
        ProjectExistsError
            A project of that name exists; it is left exactly as it was.
        """
        folder = self.folder(name)
        if (folder / "project.json").exists():
            raise ProjectExistsError(folder.name)
        project.pop("overwrite", None)
        return Project.create(folder, **project)

    def demo(self) -> Project:
        """The demo project (example data of Havnstrup, KEEP), made on first use only."""
        from ..examples import make_network

        folder = self.path / DEMO_NAME
        if not (folder / "project.json").exists():
            tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=self.path))
            try:
                made = make_network(tmp, seed=2024, scale=0.2, sites=["903"])
                src = Path(made["path"].iloc[0])
                (src / _DEMO_MARK).write_text("example data: no real person\n", encoding="utf-8")
                os.replace(src, folder)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return Project.open(folder)

    # -- settings of the person using the workspace ----------------------------------------
    def settings(self) -> dict:
        """Settings kept in the workspace (e.g. the screens' language, ``ui_language``)."""
        try:
            data = json.loads((self.path / _SETTINGS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def set_setting(self, key: str, value) -> None:
        """Store one setting (atomically, with the others kept)."""
        atomic_write_json(self.path / _SETTINGS, {**self.settings(), key: value})

    def __repr__(self) -> str:
        return f"<Workspace {self.path}>"
