"""Shared pieces of the benchmark cases: timing, memory, and cached generated data."""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = ROOT / ".data"
SCALES = {
    # packages, target attendance rows per package
    "quick": {"packages": 40, "rows_per_package": 25_000, "repeat": 5},
    "full": {"packages": 357, "rows_per_package": 28_000, "repeat": 5},
}


def median_time(fn, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def paired_median_times(ours, baseline, repeat: int = 5) -> tuple[float, float]:
    """Median times of two functions run alternately, after one warm-up of each.

    Alternating keeps slow drifts of a shared machine (page cache, file-system journal,
    other load) from landing on one side only.
    """
    ours(), baseline()
    a, b = [], []
    for _ in range(repeat):
        for fn, out in ((ours, a), (baseline, b)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(a), statistics.median(b)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(case: str, size: str, ours: float, baseline: float | None, baseline_name: str,
         target: str = "", **extra) -> None:
    """Print one result as a JSON line for the runner."""
    ratio = ours / baseline if baseline else None
    row = {"case": case, "size": size, "ours_s": ours, "baseline": baseline_name,
           "baseline_s": baseline, "ratio": ratio, "target": target,
           "peak_rss_mb": round(peak_rss_mb(), 1), **extra}
    print("\nRESULT " + json.dumps(row), flush=True)  # own line, whatever printed before


def network_packages(scale: str) -> list[Path]:
    """Pseudonymised site packages (folders) with KEEP delivery data, cached per scale.

    Sites are synthetic copies of the example profiles with four-digit codes 8001, 8002, …
    (no real municipality has them), sized so each package holds about
    ``rows_per_package`` attendance rows.
    """
    spec = SCALES[scale]
    # v3: pseudonyms always carry a letter and are bound to site and intervention
    folder = DATA / f"packages-v3-{scale}"
    done = folder / ".complete"
    if done.exists():
        return sorted(p for p in folder.iterdir() if p.is_dir())
    import numpy as np

    from implementere_kit.examples import SITES, _sic_events, make_site_tables
    from implementere_kit.exchange.allowlist import apply_allow_list
    from implementere_kit.exchange.package import write_package
    from implementere_kit.plans.intervention import load_intervention

    folder.mkdir(parents=True, exist_ok=True)
    keep = load_intervention("keep")
    base = SITES[0]  # Ålund's profile
    units = max(1, spec["rows_per_package"] // 76)  # ≈ 76 attendance rows per KEEP group
    key = b"benchmark-key-not-secret-0123456"
    for i in range(spec["packages"]):
        site = f"{8001 + i}"
        rng = np.random.default_rng([7, i])
        profile = replace(base, site=site, name=f"Site {site}", n_units=units)
        tables = make_site_tables(profile, keep, rng, scale=1.0)
        tables["sic_events"] = _sic_events(profile, rng)
        tables = {n: df for n, df in tables.items() if len(df)}
        meta = {"site": site, "country": "NO", "intervention": "keep",
                "period": {"start": profile.start, "end": None}, "level": "pseudonymised",
                "k": None, "export_seq": 1,
                "dosage": {"sessions": 16, "min_attendance": 0.8, "makeups_count": True},
                "fidelity_threshold": 0.8}
        allowed = apply_allow_list(tables, "pseudonymised", key=key, intervention=keep)
        write_package(allowed, folder / f"pkg-{site}", meta)
        print(f"\rgenerating packages: {i + 1}/{spec['packages']}", end="", file=sys.stderr)
    print(file=sys.stderr)
    done.touch()
    return sorted(p for p in folder.iterdir() if p.is_dir())


def network_store(scale: str) -> Path:
    """A network store with every package of ``scale`` merged, cached (v3: one file per
    table and batch, written by the store)."""
    import shutil

    from implementere_kit.exchange.network import NetworkStore

    path = DATA / f"network-v3-{scale}.duckdb"
    done = DATA / f"network-v3-{scale}.complete"
    if done.exists():
        return path
    path.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".data"), ignore_errors=True)
    with NetworkStore(path) as store:
        store.merge(network_packages(scale))
    done.touch()
    return path
