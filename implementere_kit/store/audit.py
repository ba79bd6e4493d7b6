"""The project's audit log: an append-only record of decisions, kept in the project folder.

``audit.jsonl`` holds one JSON object per line. Each entry carries its sequence number,
the time (UTC), an action (e.g. ``privacy_exception_added``), the fields of that action,
and a SHA-256 chain: ``prev`` is the previous entry's ``hash`` and ``hash`` covers the
entry itself, so an entry edited, removed or reordered afterwards is detected when the
log is read. The chain shows accidental or careless edits; someone able to rewrite the
whole file can rewrite the chain too, so the folder's own access control still matters.

An append rewrites the file atomically (a temporary file renamed over it), so a crash
leaves the old log or the new one, never half a line; where the system offers advisory
locks (POSIX), appends from two programs at once (the app and the command line) wait for
each other instead of one losing its entry. Nothing is ever removed: undoing a decision is
a new entry.

Examples
--------
>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> log = AuditLog(tmp.name)
>>> log.append("note", {"text": "first"})["seq"]
1
>>> log.append("note", {"text": "second"})["prev"] == log.entries()[0]["hash"]
True
>>> log.frame()[["seq", "action", "text"]]
   seq action    text
0    1   note   first
1    2   note  second
>>> tmp.cleanup()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

from .._io import atomic_write_bytes
from ..errors import ProjectError

__all__ = ["AuditLog", "AUDIT_FILE", "MAX_AUDIT_BYTES", "StaleAuditLog"]

AUDIT_FILE = "audit.jsonl"
_LOCK_FILE = ".audit.lock"
#: A log larger than this is refused as damaged rather than read.
MAX_AUDIT_BYTES = 20 * 2**20
_RESERVED = ("seq", "time", "action", "prev", "hash")
_GENESIS = "0" * 64


class StaleAuditLog(ProjectError):
    """The log gained entries since it was read (see :meth:`AuditLog.append`, ``after``)."""


def _digest(entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditLog:
    """The append-only audit log of the project in ``folder`` (see the module docstring)."""

    def __init__(self, folder):
        self.path = Path(folder) / AUDIT_FILE

    def _read(self) -> tuple[bytes, list[dict]]:
        if not self.path.exists():
            return b"", []
        if not self.path.is_file():
            raise ProjectError(f"{self.path} is not a regular file")
        size = self.path.stat().st_size
        if size > MAX_AUDIT_BYTES:
            raise ProjectError(f"{self.path} is {size:,} bytes, more than the "
                               f"{MAX_AUDIT_BYTES:,} an audit log may hold; it looks damaged")
        raw = self.path.read_bytes()
        try:
            lines = raw.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise ProjectError(f"{self.path} is damaged: not UTF-8 text") from None
        entries, prev = [], _GENESIS
        for n, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                raise ProjectError(f"{self.path} is damaged at line {n}: not JSON") from None
            if (not isinstance(entry, dict) or entry.get("seq") != n or entry.get("prev") != prev
                    or entry.get("hash") != _digest(entry)):
                raise ProjectError(f"{self.path} was changed after it was written (line {n} "
                                   "does not continue the chain of entries); restore it "
                                   "from a backup")
            entries.append(entry)
            prev = entry["hash"]
        return raw, entries

    def entries(self) -> list[dict]:
        """Every entry, oldest first, after checking the chain."""
        return self._read()[1]

    def append(self, action: str, fields: dict, *, after: int | None = None) -> dict:
        """Add one entry and return it; ``fields`` must not use the reserved keys.

        With ``after``, the entry is added only if the log still holds exactly ``after``
        entries — a decision taken on what the log said then still stands — else
        :class:`StaleAuditLog` is raised and nothing is added.
        """
        if not isinstance(action, str) or not action or not isinstance(fields, dict):
            raise ProjectError("an audit log entry needs an action name and a dict of fields")
        clash = sorted(set(fields) & set(_RESERVED))
        if clash:
            raise ProjectError(f"audit log fields may not be named {', '.join(clash)}")
        try:  # stored exactly as hashed: JSON types only
            fields = json.loads(json.dumps(fields, ensure_ascii=False, default=str,
                                           allow_nan=False))
        except (TypeError, ValueError, RecursionError):
            raise ProjectError("audit log fields must be JSON-like values") from None
        with self._locked():
            return self._append(action, fields, after)

    @contextmanager
    def _locked(self):
        try:
            import fcntl
        except ImportError:  # no advisory locks (Windows): appends are rare and manual
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(_LOCK_FILE), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _append(self, action: str, fields: dict, after: int | None = None) -> dict:
        raw, entries = self._read()
        if after is not None and len(entries) != after:
            raise StaleAuditLog(f"{self.path} gained entries meanwhile")
        entry = {"seq": len(entries) + 1,
                 "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                 "action": action, **fields,
                 "prev": entries[-1]["hash"] if entries else _GENESIS}
        entry["hash"] = _digest(entry)
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        if raw and not raw.endswith(b"\n"):
            raw += b"\n"
        atomic_write_bytes(self.path, raw + line.encode("utf-8") + b"\n")
        return entry

    def frame(self):
        """Every entry as a DataFrame (one column per field, ``seq`` first)."""
        import pandas as pd

        entries = self.entries()
        cols = ["seq", "time", "action"]
        for e in entries:
            cols += [k for k in e if k not in cols and k not in ("prev", "hash")]
        return pd.DataFrame(entries, columns=[*cols, "prev", "hash"])
