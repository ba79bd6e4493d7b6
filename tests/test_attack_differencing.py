"""Adversarial review of disclosure control over time (issue 11, points 5 and 8).

A network coordinator keeps every package a municipality ever sent; a municipality edits
its data, its project.json and (by hand or with a tool) its audit log between exports.
None of that may let two published figures be subtracted into 1 … k−1 people, nor make the
ledger silently stop protecting, nor give a traceback.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from implementere_kit.errors import ProjectError, ValidationError
from implementere_kit.exchange.differencing import published_before
from implementere_kit.exchange.package import export_package
from implementere_kit.store.audit import AuditLog
from implementere_kit.store.project import Project

from .test_differencing import EXAMPLE, K, leaks, published


@pytest.fixture
def project(tmp_path):
    dst = tmp_path / "p"
    shutil.copytree(EXAMPLE, dst)
    return dst


def set_start(folder, start):
    file = folder / "project.json"
    meta = json.loads(file.read_text(encoding="utf-8"))
    meta["period"]["start"] = start
    file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def drop_participants(folder, year: int, n: int):
    """A data correction: ``n`` participants enrolled in ``year`` deleted, rows and all."""
    p = Project.open(folder)
    t = p.table("participants")
    gone = set(t.loc[t["enrolled"].dt.year == year, "participant_id"].iloc[:n])
    for name in p.table_names:
        df = p.table(name)
        if "participant_id" in df.columns:
            p.set_table(name, df[~df["participant_id"].isin(gone)])
    p.save()


def test_a_year_is_not_subtracted_from_a_later_whole_period_of_a_mid_year_project(project,
                                                                                   tmp_path):
    """The project began mid-January 2023. December's package shows 2023: 20 and 2024: 8
    families; five of 2024's are then deleted. January's whole period (23) minus December's
    2023 (20) would be the three families left in 2024, whose own year is hidden."""
    set_start(project, "2023-01-15")
    first = published(export_package(project, tmp_path / "a.zip", as_of="2024-12-31"))
    drop_participants(project, 2024, 5)
    second = published(export_package(project, tmp_path / "b.zip", as_of="2025-01-15"))
    assert leaks([first, second], K) == []
    shown = second[~second["suppressed"]]
    assert "n_enrolled" not in set(shown["sum_id"])
    row = second[(second["sum_id"] == "n_enrolled") & (second["level"] == "all")]
    assert row["reason"].tolist() == ["differencing"]


def test_moving_the_start_later_does_not_hide_a_whole_period_from_the_last(project, tmp_path):
    """Editing project.json's start between two exports changes no sum: two whole periods
    are still compared."""
    days = ["2025-03-31", "2025-04-16", "2025-04-30", "2025-07-11"]
    out = []
    for i, day in enumerate(days):
        set_start(project, ["2022-06-01", "2023-01-20"][i % 2])
        out.append(published(export_package(project, tmp_path / f"e{i}.zip", as_of=day)))
    assert leaks(out, K) == []
    # the rule had work to do: without the ledger these days differ by a few families
    p = Project.open(project)
    enrolled = p.table("participants")["enrolled"]
    counts = [(enrolled <= pd.Timestamp(d)).sum() for d in days]
    assert any(1 <= abs(a - b) < K for a, b in zip(counts, counts[1:], strict=False))


def test_records_of_the_old_start_still_meet_the_whole_period(project, tmp_path):
    """A ledger written before this fix carries the project's start as the first day of
    the whole period; it is read as every day before, so it is still compared."""
    a = published(export_package(project, tmp_path / "a.zip", as_of="2024-12-31"))
    entries = AuditLog(project).entries()
    for e in entries:
        for c in e.get("cells", []):
            if c[0] == "all":
                c[4] = "2023-01-20"
    rechain(project, entries)
    assert (published_before(AuditLog(project).entries())
            .query("level == 'all'")["lo"] == "0001-01-01").all()
    set_start(project, "2023-01-20")
    drop_participants(project, 2024, 5)
    b = published(export_package(project, tmp_path / "b.zip", as_of="2025-01-15"))
    assert leaks([a, b], K) == []


def test_a_restored_export_number_does_not_drop_a_publication(project, tmp_path):
    """project.json restored from a backup hands out export number 2 again; the refused
    export that takes it withdraws only itself, not the package 2 that left."""
    export_package(project, tmp_path / "a.zip", as_of="2024-09-30")
    export_package(project, tmp_path / "b.zip", as_of="2024-10-31")
    before = published_before(AuditLog(project).entries())
    file = project / "project.json"
    meta = json.loads(file.read_text(encoding="utf-8"))
    meta["export_seq"] = 1
    file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError):
        export_package(project, tmp_path / "x.zip", fmt="xml", as_of="2024-11-30")
    after = published_before(AuditLog(project).entries())
    pd.testing.assert_frame_equal(before, after)
    # and two packages that share a number are two publications, each compared
    file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    export_package(project, tmp_path / "c.zip", as_of="2024-11-30")
    log = AuditLog(project).entries()
    seqs = [e["export_seq"] for e in log if e["action"] == "aggregate_published"]
    assert seqs == [1, 2, 2, 2]
    assert published_before(log)["export"].nunique() == 3


def rechain(folder, entries):
    """Rewrite the audit log with a valid chain: an editor who recomputes the hashes."""
    prev, lines = "0" * 64, []
    for n, e in enumerate(entries, start=1):
        body = {**{k: v for k, v in e.items() if k not in ("hash", "prev")}, "seq": n,
                "prev": prev}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        body["hash"] = prev = hashlib.sha256(text.encode("utf-8")).hexdigest()
        lines.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    (folder / "audit.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


SECRET = "12345678901"
DAMAGE = {
    "cells_not_a_list": lambda c: {"cells": "n_enrolled=20"},
    "cell_too_short": lambda c: {"cells": [c[0][:5], *c[1:]]},
    "value_is_text": lambda c: {"cells": [[*c[0][:3], SECRET, *c[0][4:]], *c[1:]]},
    "value_is_nan": lambda c: {"cells": [[*c[0][:3], float("nan"), *c[0][4:]], *c[1:]]},
    "value_is_bool": lambda c: {"cells": [[*c[0][:3], True, *c[0][4:]], *c[1:]]},
    "day_is_number": lambda c: {"cells": [[*c[0][:4], 20240101, c[0][5]], *c[1:]]},
    "day_is_not_iso": lambda c: {"cells": [[*c[0][:5], "31.12.2024"], *c[1:]]},
    "level_is_a_list": lambda c: {"cells": [[["all"], *c[0][1:]], *c[1:]]},
    "unknown_level": lambda c: {"cells": [["month", *c[0][1:]], *c[1:]]},
    "export_seq_is_a_list": lambda c: {"export_seq": [1]},
    "export_seq_missing": lambda c: {"export_seq": None},
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_ledger_stops_aggregate_exports_with_a_message(project, tmp_path, damage):
    """A ledger entry edited into another shape (the chain recomputed, so it reads) never
    gives a traceback and never silently stops protecting: no aggregate export is made
    until the log is restored, and the message echoes nothing from it."""
    export_package(project, tmp_path / "a.zip", as_of="2024-09-30")
    entries = AuditLog(project).entries()
    pub = next(e for e in entries if e["action"] == "aggregate_published")
    pub.update(DAMAGE[damage](pub["cells"]))
    if damage == "value_is_nan":  # the log's own writer refuses NaN: an editor wrote it
        rechain(project, entries)
        text = (project / "audit.jsonl").read_text(encoding="utf-8")
        assert "NaN" in text
    else:
        rechain(project, entries)
    with pytest.raises(ProjectError) as err:
        export_package(project, tmp_path / "b.zip", as_of="2024-10-31")
    assert "damaged" in str(err.value) and "backup" in str(err.value)
    assert SECRET not in str(err.value)
    assert not (tmp_path / "b.zip").exists()
    # row-level exports do not read the ledger's figures
    export_package(project, tmp_path / "c.zip", level="pseudonymised")


def test_a_damaged_withdrawal_keeps_the_publication(project, tmp_path):
    """A withdrawal whose export number cannot be read cancels nothing (the careful side)."""
    with pytest.raises(ValidationError):
        export_package(project, tmp_path / "x.zip", fmt="xml", as_of="2024-09-30")
    entries = AuditLog(project).entries()
    entries[-1]["export_seq"] = [entries[-1]["export_seq"]]
    rechain(project, entries)
    assert published_before(AuditLog(project).entries())["export"].nunique() == 1


def test_the_cli_says_one_line_for_a_damaged_ledger(project, tmp_path, capsys):
    from implementere_kit.cli import main

    export_package(project, tmp_path / "a.zip", as_of="2024-09-30")
    entries = AuditLog(project).entries()
    entries[0]["cells"][0][3] = SECRET
    rechain(project, entries)
    code = main(["export", str(project), "-o", str(tmp_path / "b.zip")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and SECRET not in err
    assert len(err.strip().splitlines()) == 1


def test_an_all_digit_pseudonym_is_refused_with_a_message_that_says_why():
    """A package from before the rule (sixteen decimal digits as a pseudonym) is refused;
    the message says what is wrong and what to do, and echoes no value."""
    import pyarrow as pa

    from implementere_kit.exchange.allowlist import check_allow_list

    digits = "p_0123456789012345"
    table = pa.table({"participant_id": [digits, "p_0123456789abcdef"], "site": ["903"] * 2})
    problems = check_allow_list("participants", table, "pseudonymised", file="old.zip")
    mine = [p for p in problems if p.column == "participant_id"]
    assert len(mine) == 1
    text = str(mine[0])
    assert "a letter a–f" in text and "older version" in text and digits not in text
