"""The identifier scanner, and export + validate, on a 1-million-row project.

Ours (1): :func:`implementere_kit.find_personal_ids` over every table of a pseudonymised
export of the project plus a free-text table of 200,000 rows (mostly distinct Norwegian
and Danish sentences with dates, times, amounts, codes and pseudonyms). Baseline: writing
the same tables as Parquet with pyarrow — what an export costs anyway. The places found
are reported too: the text holds none, so any is a false positive.

Ours (2): :func:`export_package` (pseudonymised, which runs the scanner) followed by
:func:`validate_package` of the written package. Baseline: raw pyarrow write and read of
the same tables. The issue's target is this ratio within 1.5× of the ratio before the
scanner was widened.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ._common import DATA, SCALES, emit, paired_median_times

#: KEEP groups per scale: about 76 attendance rows each, so "full" is ≈ 1 million rows.
GROUPS = {"quick": 1_600, "full": 13_000}
TEXT_ROWS = {"quick": 25_000, "full": 200_000}


def _project(scale: str) -> Path:
    """A KEEP project folder with ≈ 1 million rows at ``full`` scale, cached."""
    from dataclasses import replace

    import numpy as np

    from implementere_kit.examples import SITES, make_site_tables
    from implementere_kit.plans.intervention import load_intervention
    from implementere_kit.store.project import Project

    folder = DATA / f"project-{scale}"
    done = DATA / f"project-{scale}.complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    keep = load_intervention("keep")
    profile = replace(SITES[0], n_units=GROUPS[scale])
    tables = make_site_tables(profile, keep, np.random.default_rng(11), scale=1.0)
    project = Project.create(folder, site=profile.site, country="DK", intervention=keep,
                             start=profile.start, language="da", overwrite=True)
    for name, df in tables.items():
        project.set_table(name, df)
    project.save()
    done.touch()
    return folder


def free_text(n: int, seed: int = 5):
    """``n`` rows of mostly distinct free text that holds no identifier."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array(["møte", "gruppe", "foreldre", "barnet", "oppfølging", "veileder",
                      "samtale", "hjemmebesøk", "afbud", "sundhedsplejerske", "skole",
                      "kl.", "rom", "sak", "budsjett", "kr", "uke", "økt", "fravær", "ok"])
    day = rng.integers(1, 29, n)
    month = rng.integers(1, 13, n)
    parts = [
        pd.Series(rng.choice(words, n)) + " " + pd.Series(rng.choice(words, n)),
        pd.Series([f"{d:02d}.{m:02d}.2024" for d, m in zip(day, month, strict=True)]),
        pd.Series([f"kl {h:02d}:{mi:02d}" for h, mi in rng.integers(8, 20, (n, 2))]),
        pd.Series([f"{a:,} kr".replace(",", " ") for a in rng.integers(100, 10**6, n)]),
        pd.Series([f"H-{d:02d}{m:02d}24-{s:04d}" for d, m, s
                   in zip(day, month, rng.integers(1, 50, n), strict=True)]),
        pd.Series([f"p_{v:016x}" for v in rng.integers(0, 2**62, n)]),
    ]
    text = parts[0]
    for p in parts[1:]:
        text = text + " " + p
    return pd.DataFrame({"note": text.astype(object), "n": rng.integers(0, 40, n)})


def run(scale: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from implementere_kit import find_personal_ids
    from implementere_kit.exchange.allowlist import apply_allow_list
    from implementere_kit.exchange.package import export_package
    from implementere_kit.exchange.validate import validate_package
    from implementere_kit.store.project import Project

    project = Project.open(_project(scale))
    tables = {n: project.table(n) for n in project.table_names if len(project.table(n))}
    # what a pseudonymised package holds (the allow-list's form), plus free text to scan
    shared = apply_allow_list(tables, "pseudonymised", key=project.ensure_key(),
                              intervention=project.intervention)
    shared["notes"] = free_text(TEXT_ROWS[scale])
    n_rows = sum(len(df) for df in shared.values())
    arrow = {n: pa.Table.from_pandas(df, preserve_index=False) for n, df in shared.items()}
    repeat = SCALES[scale]["repeat"]
    tmp = Path(tempfile.mkdtemp(prefix="ik-bench-scan-"))
    try:
        def write_all():
            for n, t in arrow.items():
                pq.write_table(t, tmp / f"{n}.parquet")

        def scan():
            return [find_personal_ids(df, table=n) for n, df in shared.items()]

        t_scan, t_write = paired_median_times(scan, write_all, repeat)
        found = sum(len(f) for f in scan())
        emit("privacy scan", f"{n_rows:,} rows, {len(shared)} tables", t_scan, t_write,
             "pyarrow write of the same tables", "≤ 1.5× before widening",
             false_positives=found)

        rows = sum(len(df) for df in tables.values())
        plain = {n: pa.Table.from_pandas(df, preserve_index=False) for n, df in tables.items()}
        runs = []

        def export_validate():
            out = tmp / f"pkg-{len(runs)}"
            runs.append(out)
            export_package(project, out, level="pseudonymised")
            problems = validate_package(out)
            if problems:
                raise RuntimeError(f"package invalid: {problems[0]}")
            shutil.rmtree(out)

        def raw():
            for n, t in plain.items():
                pq.write_table(t, tmp / f"raw-{n}.parquet")
            for n in plain:
                pq.read_table(tmp / f"raw-{n}.parquet")

        t_ev, t_raw = paired_median_times(export_validate, raw, repeat)
        emit("export + validate", f"{rows:,} rows, pseudonymised", t_ev, t_raw,
             "raw pyarrow write + read", "≤ 1.5× before widening")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
