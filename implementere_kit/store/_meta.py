"""``project.json`` read and checked field by field, and the export sequence number (private).

A project folder may be damaged, hand-edited or hostile: the file is read only when it is
a regular file of sane size (a FIFO would hang the read), parsed as JSON (never executed),
and every field the toolkit relies on is checked for its type before anything is done
with it, so a damaged file gives one :class:`~implementere_kit.errors.ProjectError`
naming the file and the field, never a traceback. :mod:`.project` uses these; nothing
else should.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from .. import __version__
from ..errors import ProjectError, SchemaVersionError

__all__ = ["PROJECT_SCHEMA_VERSION", "COUNTRIES", "REQUIRED", "MAX_META_BYTES", "load_meta",
           "read_meta", "export_seq", "seq_on_disk"]

PROJECT_SCHEMA_VERSION = 1
COUNTRIES = ("NO", "DK", "SE")
REQUIRED = ("schema_version", "site", "country", "intervention", "language", "tables")
#: A ``project.json`` larger than this is refused as damaged rather than read.
MAX_META_BYTES = 16 * 1024**2


def load_meta(meta_file: Path) -> dict:
    """``project.json`` parsed (a JSON object), or a :class:`ProjectError` naming the file."""
    try:
        if not meta_file.is_file():  # a FIFO or a folder would hang or fail the read
            raise ProjectError(f"{meta_file} is damaged: not a regular file")
        if meta_file.stat().st_size > MAX_META_BYTES:
            raise ProjectError(f"{meta_file} is damaged: larger than 16 MB")
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{meta_file} is damaged: not valid JSON at line {exc.lineno}, "
                           f"column {exc.colno} ({exc.msg})") from None
    except UnicodeDecodeError:
        raise ProjectError(f"{meta_file} is damaged: not UTF-8 text") from None
    except RecursionError:
        raise ProjectError(f"{meta_file} is damaged: nested too deeply") from None
    if not isinstance(meta, dict):
        raise ProjectError(f"{meta_file} is damaged: expected a JSON object")
    return meta


def read_meta(meta_file: Path) -> dict:
    """``project.json``, checked for its fields and schema version."""
    if not meta_file.exists():
        raise ProjectError(f"no project at {meta_file.parent}: {meta_file} is missing")
    meta = load_meta(meta_file)
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ProjectError(f"{meta_file} is damaged: field(s) {', '.join(missing)} missing")
    version = meta["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectError(f"{meta_file}: field 'schema_version' must be a whole number ≥ 1, "
                           f"found {version!r}")
    if version > PROJECT_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{meta_file}: field 'schema_version' is {version}, but this toolkit "
            f"(implementere-kit {__version__}) reads up to {PROJECT_SCHEMA_VERSION}; "
            f"upgrade implementere-kit to open it")
    _check_fields(meta, meta_file)
    return meta


def export_seq(meta: dict, meta_file: Path) -> int:
    """The last export sequence number a project took (0: none yet)."""
    seq = meta.get("export_seq", 0)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ProjectError(f"{meta_file}: field 'export_seq' must be a whole number ≥ 0, "
                           f"found {type(seq).__name__}")
    return seq


def seq_on_disk(meta_file: Path) -> int:
    """:func:`export_seq` of the file as it is on disk now (0 when it cannot be read)."""
    try:
        return export_seq(load_meta(meta_file), meta_file)
    except (ProjectError, OSError):
        return 0


def _check_fields(meta: dict, meta_file: Path) -> None:
    """Each field of project.json has its type, or a ProjectError naming the field."""
    def bad(field: str, expected: str) -> ProjectError:
        return ProjectError(f"{meta_file}: field {field!r} must be {expected}")

    if not (isinstance(meta["site"], str) and re.fullmatch(r"\d{3,4}", meta["site"])):
        raise bad("site", "a municipality code of 3–4 digits as text")
    if meta["country"] not in COUNTRIES:
        raise bad("country", " or ".join(COUNTRIES))
    if not isinstance(meta.get("site_name", ""), str):
        raise bad("site_name", "text")
    if not isinstance(meta["language"], str) or meta["language"] not in ("nb", "da", "en"):
        raise bad("language", "nb, da or en")
    period = meta.get("period") or {}
    if not isinstance(period, dict) or not all(
            v is None or (isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v))
            for v in (period.get("start"), period.get("end"))):
        raise bad("period", "{start: YYYY-MM-DD, end: YYYY-MM-DD or null}")
    try:
        for v in (period.get("start"), period.get("end")):
            if v is not None:
                dt.date.fromisoformat(v)
    except ValueError:
        raise bad("period", "real dates") from None
    generation = meta.get("generation", 0)
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        raise bad("generation", "a whole number ≥ 0")
    export_seq(meta, meta_file)
    if not isinstance(meta["tables"], dict):
        raise bad("tables", "an object")
    for name, entry in meta["tables"].items():
        # a file name is all it may give: no path, so nothing outside the folder is read
        fname = entry.get("file") if isinstance(entry, dict) else None
        if not (isinstance(fname, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,63}-\d{1,18}\.parquet",
                                                        fname)):
            raise bad(f"tables.{str(name)[:40]}", "an object naming its file as "
                      "<table>-<generation>.parquet")
