"""The project's append-only audit log: chained entries, atomic appends, edits detected."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from implementere_kit.errors import ProjectError
from implementere_kit.store import audit
from implementere_kit.store.audit import AUDIT_FILE, AuditLog


def test_entries_chain_and_survive_reopening(tmp_path):
    log = AuditLog(tmp_path)
    assert log.entries() == [] and log.frame().empty
    a = log.append("note", {"text": "første", "n": 1})
    b = log.append("note", {"text": "second"})
    assert (a["seq"], b["seq"]) == (1, 2) and b["prev"] == a["hash"] and a["prev"] == "0" * 64
    again = AuditLog(tmp_path).entries()
    assert again == [a, b]
    lines = (tmp_path / AUDIT_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["text"] == "første"
    frame = AuditLog(tmp_path).frame()
    assert frame["seq"].tolist() == [1, 2] and frame["action"].tolist() == ["note", "note"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("damage", ["edit", "drop_first", "swap", "truncate", "garbage", "binary"])
def test_changes_after_writing_are_detected(tmp_path, damage):
    log = AuditLog(tmp_path)
    for i in range(3):
        log.append("note", {"text": f"entry {i}"})
    path = tmp_path / AUDIT_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    if damage == "edit":
        lines[1] = lines[1].replace("entry 1", "entry X")
    elif damage == "drop_first":
        lines = lines[1:]
    elif damage == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    elif damage == "truncate":
        lines[2] = lines[2][:20]
    elif damage == "garbage":
        lines.append("[1, 2]")
    if damage == "binary":
        path.write_bytes(b"\xff\xfe\x00")
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ProjectError):
        log.entries()
    before = path.read_bytes()
    with pytest.raises(ProjectError):
        log.append("note", {"text": "more"})
    assert path.read_bytes() == before  # nothing written over a damaged log


def test_refuses_bad_fields_and_oversized_logs(tmp_path, monkeypatch):
    log = AuditLog(tmp_path)
    with pytest.raises(ProjectError):
        log.append("note", {"hash": "x"})
    with pytest.raises(ProjectError):
        log.append("", {})
    with pytest.raises(ProjectError):
        log.append("note", {"x": float("nan")})  # not JSON
    log.append("note", {"when": __import__("datetime").date(2024, 1, 5)})  # stored as text
    assert log.entries()[0]["when"] == "2024-01-05"
    monkeypatch.setattr(audit, "MAX_AUDIT_BYTES", 10)
    with pytest.raises(ProjectError, match="bytes"):
        log.entries()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / AUDIT_FILE).mkdir()
    with pytest.raises(ProjectError, match="regular file"):
        AuditLog(tmp_path / "other").entries()


def test_failed_write_keeps_the_old_log(tmp_path, monkeypatch):
    log = AuditLog(tmp_path)
    log.append("note", {"text": "kept"})
    before = (tmp_path / AUDIT_FILE).read_bytes()

    def boom(path, data):
        raise OSError("disk full")

    monkeypatch.setattr(audit, "atomic_write_bytes", boom)
    with pytest.raises(OSError):
        log.append("note", {"text": "lost"})
    assert (tmp_path / AUDIT_FILE).read_bytes() == before


def _append_many(folder: str, who: str) -> None:
    log = AuditLog(folder)
    for i in range(25):
        log.append("note", {"who": who, "i": i})


def test_appends_from_two_programs_at_once_are_all_kept(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), w)) for w in "ab"]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    entries = AuditLog(tmp_path).entries()  # the chain holds
    assert len(entries) == 50
    assert sorted((e["who"], e["i"]) for e in entries) == [(w, i) for w in "ab" for i in range(25)]
