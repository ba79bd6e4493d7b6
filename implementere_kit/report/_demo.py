"""Example inputs for the report notebooks when they run without parameters.

The notebooks run as they are in the test suite (nbval) and when someone opens them to
look around; with no ``project_path`` or ``store_path`` they report on a small generated
example (:mod:`implementere_kit.examples`: no person in it exists). The examples are built
once per version of the code that makes them and kept in the user's cache folder
(``$XDG_CACHE_HOME/implementere-kit``, by default ``~/.cache/implementere-kit``), never in
the temporary folder; examples built by other versions of the code are removed when a new
one is made, and so are half-built ones an interrupted run left behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["demo_project_folder", "demo_network_store"]

_SITES = ("903", "901", "902", "904")  # four KEEP sites: benchmarks need three or more
_STALE_SECONDS = 3600  # a half-built example older than this was abandoned


def _fingerprint() -> str:
    """Hash of the code and data the examples are made with: a cache from other code is
    never reused (the version alone does not change between commits)."""
    import hashlib

    from .. import __version__

    pkg = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(__version__.encode())
    # every module and definition file: any of them can change what the examples hold
    for path in sorted(p for p in pkg.rglob("*") if p.suffix in (".py", ".yaml", ".csv")):
        h.update(str(path.relative_to(pkg)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "implementere-kit"


def _root() -> Path:
    from .. import __version__

    name = f"demo-{__version__}-{_fingerprint()}"
    root = _cache() / name
    if not root.exists():
        # only one example is kept: those of other code go when this one is made
        for old in _cache().glob("demo-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
    return root


def _build_folder(root: Path, prefix: str) -> Path:
    """A folder to build an example in, beside where it is published (same file system)."""
    now = time.time()
    for old in root.glob(".*-*"):  # half-built examples of runs that were killed
        if now - old.stat().st_mtime > _STALE_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


def _publish(tmp: Path, target: Path) -> Path:
    """Move a finished example into place; if another process won the race, use theirs."""
    try:
        os.replace(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _network(root: Path) -> Path:
    from ..examples import make_network

    target = root / "network"
    if not (target / "dk-903-keep" / "project.json").exists():
        tmp = _build_folder(root, ".network-")
        try:
            make_network(tmp, seed=7, scale=0.3, sites=list(_SITES))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _publish(tmp, target)
    return target


def demo_project_folder() -> Path:
    """Folder of the example Havnstrup KEEP project (generated on first use)."""
    return _network(_root()) / "dk-903-keep"


def demo_network_store() -> Path:
    """A network store of four example KEEP sites (generated on first use)."""
    from ..exchange.network import NetworkStore
    from ..exchange.package import export_package

    root = _root()
    target = root / "store"
    if not (target / "network.duckdb").exists():
        tmp = _build_folder(root, ".store-")
        try:
            folders = sorted(p.parent for p in _network(root).glob("*/project.json"))
            packages = [export_package(f, tmp / f"{f.name}.zip",
                                       level="aggregate" if i % 2 else "pseudonymised")
                        for i, f in enumerate(folders)]
            with NetworkStore(tmp / "network.duckdb") as store:
                store.merge(packages)
            # the example network's meeting record goes beside the store, where it is kept
            shutil.copy(_network(root) / "network.meetings.parquet",
                        tmp / "network.meetings.parquet")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _publish(tmp, target)
    return target / "network.duckdb"
