"""The main job end to end on the example network (what ``implementere-kit demo`` runs).

Nine synthetic sites are generated from a seed into the output folder; their progress and
SIC tables are written as CSV; every site exports a package (aggregate for the Danish
sites, pseudonymised for the Norwegian ones — a network of both), the packages are merged
into a network store, benchmarks go back to each site as share-back packages, and each
site gets its evaluation report, the network one too. Nothing is read from the toolkit's
own folder and nothing outside ``out`` is written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._io import atomic_write_csv

__all__ = ["run_demo", "DemoResult", "DEMO_SEED"]

#: The seed the committed example network (``data/example``) was generated with.
DEMO_SEED = 2024


@dataclass
class DemoResult:
    """What :func:`run_demo` made: the tables it printed and every file it wrote."""

    network: Path
    folders: list[Path]
    progress: pd.DataFrame
    scores: pd.DataFrame
    summary: pd.DataFrame
    written: list[tuple[str, Path]] = field(default_factory=list)


def _fresh(*paths: Path) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)


def run_demo(out, *, seed: int | None = None, reports: bool = True,
             progress: bool = False) -> DemoResult:
    """Run the demo into folder ``out`` (replacing an earlier demo there).

    Parameters
    ----------
    out : path
        Output folder (made if missing).
    seed : int, optional
        Seed of the example network (default :data:`DEMO_SEED`, the committed example).
    reports : bool
        Write the HTML reports (a few seconds per site).
    progress : bool
        Show progress bars.
    """
    from ..examples import AS_OF, make_network
    from ..exchange.network import NetworkStore
    from ..exchange.package import export_package
    from ..store.overview import network_status

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    network = out / "example-network"
    pkg_dir, share_dir, store = out / "packages", out / "share-back", out / "network.duckdb"
    _fresh(network, pkg_dir, share_dir, store, out / "network.duckdb.data")
    sites = make_network(network, seed=DEMO_SEED if seed is None else seed)
    folders = [Path(p) for p in sites["path"]]
    prog, scores, summary = network_status(folders, as_of=AS_OF)
    result = DemoResult(network, folders, prog, scores, summary)
    for name, df in (("plan_progress.csv", prog), ("sic_scores.csv", scores),
                     ("sic_summary.csv", summary)):
        result.written.append(("table", atomic_write_csv(out / name, df)))
    packages = []
    for folder in folders:
        # Danish sites share aggregates, Norwegian ones pseudonymised rows
        level = "aggregate" if folder.name.startswith("dk-") else "pseudonymised"
        packages.append(export_package(folder, pkg_dir / f"{folder.name}.zip", level=level,
                                       as_of=AS_OF))
    with NetworkStore(store) as st:
        st.merge(packages, progress=progress)
        st.share_back(share_dir, as_of=AS_OF)  # one as-of date for every figure
    result.written += [("packages", pkg_dir), ("store", store), ("share_back", share_dir)]
    if reports:
        from . import build_network_report, build_reports

        site_reports = build_reports(folders, out / "sites", share_back_dir=share_dir,
                                     as_of=AS_OF.date(), progress=progress, network=store)
        result.written += [("site_report", p) for p in site_reports]
        result.written.append(("network_report",
                               build_network_report(store, out / "network.html", lang="en",
                                                    as_of=AS_OF.date())))
    return result
