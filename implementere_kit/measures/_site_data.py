"""Tables per site from a project, several projects or a network store (private).

Analyses that run on one site or across a network (:func:`component_analysis`, the
meeting pack) read their tables through :func:`site_data`, so they work the same on a
project folder, a list of them, or a network store made from packages. From a store each
row belongs to the site of the package it came from (the ``_package`` column the store's
views carry), so a table without a ``site`` column (``attendance``) is split correctly too.

Examples
--------
>>> from implementere_kit.report import demo_project_folder
>>> [(s.site, s.intervention_id) for s in site_data(demo_project_folder(), ["participants"])]
[('903', 'keep')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError
from ..store.tables import empty_table

__all__ = ["SiteData", "site_data", "collect"]


@dataclass
class SiteData:
    """One site's tables and what it implements (``intervention`` None when the store
    names an intervention this toolkit does not ship)."""

    site: str
    site_name: str
    country: str
    intervention_id: str
    intervention: object | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, empty_table(name))


def _is_store(x) -> bool:
    from ..exchange.network import NetworkStore

    return isinstance(x, NetworkStore) or (isinstance(x, str | Path)
                                           and Path(x).suffix == ".duckdb")


def site_data(source, tables: Sequence[str]) -> list[SiteData]:
    """The named tables of every site in ``source``, sorted by site code.

    Parameters
    ----------
    source : Project, project folder, list of those, NetworkStore or ``*.duckdb`` path
    tables : sequence of str
        Table names of ``schemas/tables.yaml``; a table a site does not have is empty.
    """
    from ..store.project import Project

    if _is_store(source):
        return _from_store(source, tables)
    items = source if isinstance(source, list | tuple) else [source]
    out = []
    for item in items:
        if isinstance(item, str | Path):
            item = Project.open(item)
        if not isinstance(item, Project):
            raise ValidationError([Problem("not a project, folder or network store",
                                           column="source",
                                           expected="Project, folder, list or .duckdb",
                                           found=type(item).__name__)])
        out.append(SiteData(item.site, item.site_name, item.country, item.intervention.id,
                            item.intervention, {n: item.table(n) for n in tables}))
    return sorted(out, key=lambda s: (len(s.site), s.site))


def _intervention(iv_id: str):
    from ..errors import UnknownNameError
    from ..plans.intervention import load_intervention

    try:
        return load_intervention(iv_id)
    except (UnknownNameError, ValidationError):
        return None


def _from_store(source, tables: Sequence[str]) -> list[SiteData]:
    from ..exchange.network import NetworkStore

    store = source if isinstance(source, NetworkStore) else NetworkStore(source, read_only=True)
    try:
        prov = store.provenance()
        present = set(store.tables())
        frames = {}
        for name in tables:
            if name not in present:
                continue
            df = store.query(f'SELECT t.*, p.site AS "_site" FROM "{name}" t '
                             f"JOIN provenance p ON p.package_id = t._package")
            frames[name] = df
    finally:
        if store is not source:
            store.close()
    out = []
    for site, rows in prov.groupby("site", sort=False):
        last = rows.sort_values("created").iloc[-1]
        mine = {}
        for name, df in frames.items():
            part = df[df["_site"].astype(str) == str(site)].drop(columns=["_site", "_package"],
                                                                  errors="ignore")
            mine[name] = part.reset_index(drop=True)
        iv = str(last["intervention"])
        out.append(SiteData(str(site), str(last.get("site_name") or ""),
                            str(last.get("country") or ""), iv, _intervention(iv), mine))
    return sorted(out, key=lambda s: (len(s.site), s.site))


def collect(source, name: str) -> pd.DataFrame:
    """One table of every site in ``source`` stacked, with ``site_name`` and
    ``intervention`` added; ``source`` may also be that table itself (a DataFrame)."""
    if isinstance(source, pd.DataFrame):
        from ..store.tables import validate_table

        return validate_table(source, name)
    parts = [s.table(name).assign(site_name=s.site_name, intervention=s.intervention_id)
             for s in site_data(source, [name])]
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_table(name).assign(site_name=pd.Series(dtype="string"),
                                        intervention=pd.Series(dtype="string"))
    return pd.concat(parts, ignore_index=True)
