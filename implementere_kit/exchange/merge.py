"""Merging packages into a network store: validate each, decide which is newer, load.

Each package is validated in full (:func:`.validate.open_package`) before anything is
written; a package with any problem is rejected whole, and the others in the same merge
are loaded all the same. Loading the same package twice changes nothing. Two packages for
the same site, intervention and period are versions of one another: the one with the
higher export sequence number (``implementere_kit.export_seq``, counted by the exporting
project) wins, whatever the clocks said — a package dated in 2999 cannot lock a site, and
two exports in one second are told apart. The loser is reported as ``older``.

Validation runs on worker threads (mostly Arrow kernels and file reads, which release the
GIL), one batch ahead of loading; each batch is recorded in one transaction by
:meth:`.network.NetworkStore.commit`, which keeps a merge of hundreds of packages close to
the cost of reading them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError

__all__ = ["MergeResult", "merge_packages", "results_frame", "period_key"]


def period_key(meta: dict) -> tuple:
    """What makes two packages versions of one another: site, intervention and period."""
    period = meta.get("period") or {}
    return (meta["site"], meta["intervention"], period.get("start"), period.get("end"))


@dataclass(frozen=True)
class MergeResult:
    """What happened to one package: imported, replaced, unchanged, older or rejected."""

    source: str
    action: str
    site: str | None = None
    package_id: str | None = None
    problems: tuple[Problem, ...] = ()


def results_frame(results: list[MergeResult]) -> pd.DataFrame:
    """Merge results as a table (one row per package, problems counted)."""
    return pd.DataFrame([{"source": r.source, "action": r.action, "site": r.site,
                          "n_problems": len(r.problems),
                          "first_problem": str(r.problems[0]) if r.problems else ""}
                         for r in results])


class _Merge:
    """The state of one merge: what the store holds and what waits to be loaded."""

    def __init__(self, store, n: int):
        self.store, self.key = store, period_key
        self.versions = store.versions()
        self.known = {pid for v in self.versions.values() for pid, _ in v}
        self.results: list[MergeResult | None] = [None] * n
        self.pending: dict[tuple, tuple[int, object]] = {}
        self.touched: set[str] = set()  # resources whose views need redefining

    def _older(self, pkg, than: int) -> MergeResult:
        pkg.close()
        seq = pkg.meta["export_seq"]
        return MergeResult(pkg.source.name, "older", pkg.meta["site"], pkg.package_id, (
            Problem("a package for this site and period with a higher or equal export number "
                    "is already in the store", file=pkg.source.name, column="export_seq",
                    expected=f"> {than}", found=str(seq)),))

    def decide(self, i: int, checked) -> None:
        """Record the answer for package ``i`` now, or queue it to be loaded."""
        if isinstance(checked, MergeResult):
            self.results[i] = checked
            return
        pkg = checked
        key, seq, pid = self.key(pkg.meta), pkg.meta["export_seq"], pkg.package_id
        waiting = self.pending.get(key)
        if pid in self.known or (waiting and waiting[1].package_id == pid):
            pkg.close()
            self.results[i] = MergeResult(pkg.source.name, "unchanged", pkg.meta["site"], pid)
            return
        stored = max((s for _, s in self.versions.get(key, [])), default=0)
        if waiting:
            other = waiting[1]
            if other.meta["export_seq"] >= seq:
                self.results[i] = self._older(pkg, other.meta["export_seq"])
                return
            self.results[waiting[0]] = self._older(other, seq)
        if stored >= seq:
            self.results[i] = self._older(pkg, stored)
            return
        self.pending[key] = (i, pkg)

    def load(self) -> None:
        """Record the waiting packages (and drop the versions they replace) in one commit."""
        loads, self.pending = list(self.pending.items()), {}
        if not loads:
            return
        replaced = [pid for key, _ in loads for pid, _ in self.versions.get(key, [])]
        try:
            self.touched |= set(self.store.commit([pkg for _, (_, pkg) in loads], replaced,
                                                  views=False))
        finally:
            for _, (_, pkg) in loads:
                pkg.close()
        for key, (i, pkg) in loads:
            action = "replaced" if self.versions.get(key) else "imported"
            self.results[i] = MergeResult(pkg.source.name, action, pkg.meta["site"],
                                          pkg.package_id)
            self.versions[key] = [(pkg.package_id, pkg.meta["export_seq"])]
            self.known.add(pkg.package_id)

    def abandon(self, waiting) -> None:
        """After an error: let go of what was checked but never recorded."""
        for pkg in [*waiting, *(p for _, p in self.pending.values())]:
            if not isinstance(pkg, MergeResult):
                pkg.close()
        self.pending = {}


def _scanned(checked: list, scan_packages) -> list:
    """The identifier scanner on a batch's valid packages at once; those it finds
    something in become rejections."""
    pkgs = [c for c in checked if not isinstance(c, MergeResult)]
    found = dict(zip(map(id, pkgs), scan_packages(pkgs), strict=True)) if pkgs else {}
    out = []
    for c in checked:
        problems = found.get(id(c))
        if problems:
            c.close()
            c = MergeResult(c.source.name, "rejected", problems=tuple(problems))
        out.append(c)
    return out


def _result(future):
    try:
        return future.result()
    except BaseException:  # already failing: the first error is the one reported
        return None


def merge_packages(store, packages, *, today=None, now=None, progress: bool | str = False,
                   batch: int = 64) -> list[MergeResult]:
    """Validate and load ``packages`` into ``store``; one :class:`MergeResult` each.

    ``today`` and ``now`` are passed to :func:`.validate.open_package` (the last day data
    may be dated, the latest ``created`` accepted). ``progress`` shows a progress bar: true
    for one in English, or a language code (``nb``, ``da``, ``en``). ``batch`` packages are
    validated while the batch before them is written, and stored together (a file per
    table and batch).
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    from ..i18n import t

    lang = progress if isinstance(progress, str) else "en"

    from pyarrow import ArrowException

    from .validate import open_package, scan_packages

    def check(path: Path):
        try:
            pkg = open_package(path, today=today, now=now, _scan=False, _keep=True)
        except ValidationError as exc:
            return MergeResult(path.name, "rejected", problems=tuple(exc.problems))
        if pkg.meta.get("share_back"):
            pkg.close()
            return MergeResult(path.name, "rejected", problems=(Problem(
                "a share-back package is what a network sends, not a site's export",
                file=path.name, column="implementere_kit.share_back"),))
        try:
            store.prepare(pkg)  # here, on the worker: the commit finds the tables ready
        except (ArrowException, ValueError, TypeError, OverflowError) as exc:
            # checked, yet not convertible: refuse this package, not the whole merge
            pkg.close()
            return MergeResult(path.name, "rejected", problems=(Problem(
                "a table cannot be stored in the network's types", file=path.name,
                found=type(exc).__name__),))
        return pkg

    paths = [Path(p) for p in packages]
    state = _Merge(store, len(paths))
    chunks = [range(i, min(i + batch, len(paths))) for i in range(0, len(paths), batch)]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool, \
            tqdm(total=len(paths), desc=t("progress_merge", lang), unit=t("progress_unit", lang),
                 disable=not progress) as bar:
        def submit(chunk):
            return [pool.submit(check, paths[i]) for i in chunk]

        ahead, current = (submit(chunks[0]) if chunks else []), []
        try:
            for n, chunk in enumerate(chunks):
                current, ahead = ahead, (submit(chunks[n + 1]) if n + 1 < len(chunks) else [])
                checked = _scanned([f.result() for f in current], scan_packages)
                for i, result in zip(chunk, checked, strict=True):
                    state.decide(i, result)
                    bar.update()
                state.load()
        except BaseException:
            # packages checked but not yet loaded hold temporary folders and tables
            # (closing one twice does no harm)
            state.abandon([r for f in current + ahead if (r := _result(f)) is not None])
            raise
        finally:
            store.refresh_views(state.touched)  # once, over every batch committed
    return state.results
