"""The example sites the lessons work on, and the teaching content kept as data.

The lessons use the same small example network as the demo reports
(:func:`implementere_kit.report.demo_project_folder`): four fictional Danish KEEP
municipalities — Ålund, Bøgely, Havnstrup and Mosebjerg — generated once, from a seed,
in the user's cache folder. Nobody in the data exists and no real municipality is named.
Nothing is written into the repository, and a lesson only reads the projects.

Lessons open a site with :func:`example_site`; the checks open their own copy, so an
answer cannot change what it is checked against.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from .._data import load_yaml, package_file
from ..errors import UnknownNameError

__all__ = ["example_sites", "example_site", "example_table", "content"]


def _root() -> Path:
    from ..report import demo_project_folder

    return Path(demo_project_folder()).parent


def example_sites() -> pd.DataFrame:
    """The example sites: ``site`` (code), ``name``, ``intervention`` and ``path``.

    Examples
    --------
    >>> example_sites()["name"].tolist()
    ['Ålund', 'Bøgely', 'Havnstrup', 'Mosebjerg']
    """
    import json

    rows = []
    for meta_file in sorted(_root().glob("*/project.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        rows.append((meta["site"], meta.get("site_name", ""), meta["intervention"]["id"],
                     str(meta_file.parent)))
    return pd.DataFrame(rows, columns=["site", "name", "intervention", "path"])


def example_site(site: str):
    """Open one example site as a :class:`~implementere_kit.store.project.Project`.

    Parameters
    ----------
    site : str
        Its code (``"903"``) or its name (``"Havnstrup"``).

    Examples
    --------
    >>> example_site("Bøgely").site
    '902'
    """
    from ..store.project import Project

    sites = example_sites()
    hit = sites[(sites["site"] == str(site)) | (sites["name"] == str(site))]
    if hit.empty:
        raise UnknownNameError("example site", str(site),
                               [f"{s} ({n})" for s, n in zip(sites["site"], sites["name"],
                                                             strict=True)])
    return Project.open(hit["path"].iloc[0])


def example_table(name: str) -> pd.DataFrame:
    """One table of every example site, stacked (the ``site`` column tells them apart).

    Examples
    --------
    >>> sorted(example_table("competence_ratings")["site"].unique())
    ['901', '902', '903', '904']
    """
    frames = [example_site(code).table(name) for code in example_sites()["site"]]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


@lru_cache(maxsize=8)
def site_for_checks(site: str):
    """A private copy of an example site for the checks (opened once per process)."""
    return example_site(site)


@lru_cache(maxsize=16)
def content(name: str) -> dict:
    """A teaching content file (``content/<name>.yaml``): scenarios and their answers.

    Examples
    --------
    >>> content("exercises")["types"]["b"]
    'evidence-based'
    """
    return load_yaml(package_file("teaching", f"content/{name}.yaml"))
