"""The project store: one municipality's implementation of one intervention, as a folder.

Layout::

    my-project/
        project.json                 metadata, intervention, schema version, table index
        activities-3.parquet         one Parquet file per table and save generation
        attendance-2.parquet
        .secret.key                  key for pseudonyms; never leaves the folder

A save is atomic as a whole, not just per file: changed tables are written to new files
named by the save's generation, then ``project.json`` — which names the files that make up
the project — is replaced in one ``os.replace``; only then are files no longer named
deleted. A crash at any moment leaves the previous state (or the new one) readable, never
a mix. Data is read from Parquet and JSON only: opening a project never executes anything.

Examples
--------
>>> import tempfile, implementere_kit as ik
>>> folder = tempfile.mkdtemp() + "/keep-havnstrup"
>>> p = ik.Project.create(folder, site="903", country="DK", intervention="keep",
...                       start="2024-01-08", language="da")
>>> p.plan.complete(p.plan.activities["activity_id"].iloc[0], date="2024-01-20")
>>> p.save()
>>> q = ik.Project.open(folder)
>>> q.site, q.intervention.id, int((q.plan.activities["status"] == "done").sum())
('903', 'keep', 1)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from pathlib import Path

import pandas as pd

from .. import __version__
from .._io import atomic_write_bytes, atomic_write_json, atomic_write_parquet
from ..errors import ProjectError, SchemaVersionError, ValidationError
from ..i18n import check_lang
from ..plans.intervention import Intervention, load_intervention
from ..plans.plan import Plan
from .tables import empty_table, table_names, validate_table

__all__ = ["Project", "PROJECT_SCHEMA_VERSION", "COUNTRIES"]

PROJECT_SCHEMA_VERSION = 1
COUNTRIES = ("NO", "DK", "SE")
_KEY_FILE = ".secret.key"
_REQUIRED = ("schema_version", "site", "country", "intervention", "language", "tables")
#: Functions that lift a project.json from version N to N + 1 (none needed yet).
_MIGRATIONS: dict[int, callable] = {}


def _iso(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


class Project:
    """One municipality's implementation of one intervention, stored in a folder.

    Use :meth:`create` or :meth:`open`; change tables with :meth:`set_table` (validated)
    or through :attr:`plan`, then :meth:`save`.
    """

    def __init__(self, path: Path, meta: dict, intervention: Intervention, plan: Plan,
                 tables: dict[str, pd.DataFrame]):
        self.path = Path(path)
        self.meta = meta
        self.intervention = intervention
        self.plan = plan
        self._tables = tables
        self._dirty: set[str] = set()

    # -- properties ----------------------------------------------------------------
    site = property(lambda self: self.meta["site"])
    site_name = property(lambda self: self.meta.get("site_name", ""))
    country = property(lambda self: self.meta["country"])
    period = property(lambda self: dict(self.meta.get("period") or {}))

    @property
    def language(self) -> str:
        return self.meta["language"]

    @language.setter
    def language(self, lang: str) -> None:
        self.meta["language"] = check_lang(lang)

    @property
    def key(self) -> bytes:
        """The site's secret key for keyed pseudonyms (HMAC-SHA256); stays in the folder.

        Made on first use if the folder has none (a copied or cloned project): pseudonyms
        are stable per key, so keep the file to keep them stable.
        """
        file = self.path / _KEY_FILE
        if not file.exists():
            _new_key(file)
        return _read_key(file)

    def next_export_seq(self) -> int:
        """Take the project's next export sequence number (1, 2, …) and record it.

        Every package carries one; the network keeps, per site and period, the package
        with the highest — whatever the clocks of the machines said. Only this field of
        ``project.json`` is rewritten (atomically), so unsaved changes stay unsaved.
        """
        file = self.path / "project.json"
        on_disk = _load_meta(file)
        seq = max(_export_seq(on_disk, file), _export_seq(self.meta, file)) + 1
        atomic_write_json(file, {**on_disk, "export_seq": seq})
        self.meta["export_seq"] = seq
        return seq

    # -- creation ----------------------------------------------------------------------
    @classmethod
    def create(cls, path, *, site: str, country: str, intervention: Intervention | str,
               site_name: str = "", start=None, end=None, language: str = "nb",
               plan: Plan | None = None, overwrite: bool = False) -> Project:
        """Create a project folder with a plan generated from the intervention's type.

        Parameters
        ----------
        path : path-like
            The folder to create (must not hold a project unless ``overwrite``).
        site : str
            Municipality code as a string, leading zeros kept (``"9901"``, ``"101"``).
        country : {"NO", "DK", "SE"}
        intervention : Intervention or str
            An intervention object or the id of a shipped definition (``"keep"``).
        start, end : date, optional
            The project period; ``start`` anchors the plan's dates (default today).
        language : {"nb", "da", "en"}
        """
        path = Path(path)
        problems = []
        if not re.fullmatch(r"\d{3,4}", str(site)):
            problems.append(("site", "a municipality code of 3–4 digits as text", site))
        if country not in COUNTRIES:
            problems.append(("country", " or ".join(COUNTRIES), country))
        if problems:
            from ..errors import Problem

            raise ValidationError([Problem("bad project field", file=str(path / "project.json"),
                                           column=c, expected=e, found=repr(f))
                                   for c, e, f in problems])
        check_lang(language)
        if (path / "project.json").exists() and not overwrite:
            raise ProjectError(f"{path / 'project.json'} exists already; open it with "
                               f"Project.open() or pass overwrite=True")
        if isinstance(intervention, str):
            intervention = load_intervention(intervention)
        start = start if start is not None else dt.date.today()
        meta = {
            "schema_version": PROJECT_SCHEMA_VERSION,
            "toolkit_version": __version__,
            "site": str(site), "site_name": site_name, "country": country,
            "intervention": intervention.to_dict(),
            "period": {"start": _iso(start), "end": _iso(end)},
            "language": language,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "generation": 0,
            "tables": {},
        }
        path.mkdir(parents=True, exist_ok=True)
        if not (path / _KEY_FILE).exists():
            _new_key(path / _KEY_FILE)
        plan = plan if plan is not None else Plan.from_template(intervention, start=start, lang=language)
        project = cls(path, meta, intervention, plan, {})
        project.save()
        return project

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(cls, path) -> Project:
        """Open a project folder, checking its schema version and every table file."""
        path = Path(path)
        meta_file = path / "project.json"
        if not meta_file.exists():
            raise ProjectError(f"no project at {path}: {meta_file} is missing")
        meta = _load_meta(meta_file)
        missing = [k for k in _REQUIRED if k not in meta]
        if missing:
            raise ProjectError(f"{meta_file} is damaged: field(s) {', '.join(missing)} missing")
        version = meta["schema_version"]
        if not isinstance(version, int) or version < 1:
            raise ProjectError(f"{meta_file}: field 'schema_version' must be a whole number ≥ 1, "
                               f"found {version!r}")
        if version > PROJECT_SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{meta_file}: field 'schema_version' is {version}, but this toolkit "
                f"(implementere-kit {__version__}) reads up to {PROJECT_SCHEMA_VERSION}; "
                f"upgrade implementere-kit to open it")
        while meta["schema_version"] < PROJECT_SCHEMA_VERSION:
            meta = _MIGRATIONS[meta["schema_version"]](meta)
        _check_meta(meta, meta_file)
        try:
            intervention = Intervention.from_dict(meta["intervention"], file=str(meta_file))
        except ValidationError as exc:
            raise ProjectError(f"{meta_file}: field 'intervention' is invalid: "
                               f"{exc.problems[0]}") from None
        tables: dict[str, pd.DataFrame] = {}
        if not isinstance(meta["tables"], dict):
            raise ProjectError(f"{meta_file}: field 'tables' must be an object")
        for name, entry in meta["tables"].items():
            fname = entry.get("file") if isinstance(entry, dict) else None
            if not (isinstance(fname, str) and re.fullmatch(rf"{re.escape(str(name))}-\d+\.parquet",
                                                            fname)):
                raise ProjectError(f"{meta_file}: field 'tables.{str(name)[:40]}' must name "
                                   f"its file as <table>-<generation>.parquet")
            file = path / fname
            if name not in table_names():
                raise ProjectError(f"{meta_file}: field 'tables' names unknown table {name!r}")
            if not file.is_file():
                raise ProjectError(f"{meta_file}: table {name!r} points to {file.name}, "
                                   f"which is missing")
            tables[name] = _read_table(file, name)
        plan = Plan(tables.pop("activities", None), tables.pop("checklist_answers", None))
        return cls(path, meta, intervention, plan, tables)

    # -- tables ----------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """A data table of the project (empty with the right columns if none yet)."""
        if name == "activities":
            return self.plan.activities
        if name == "checklist_answers":
            return self.plan.checklist_answers
        if name not in table_names():
            from ..errors import UnknownNameError

            raise UnknownNameError("table", name, table_names())
        return self._tables.get(name, empty_table(name))

    def set_table(self, name: str, df: pd.DataFrame, *, file: str | None = None) -> None:
        """Replace a table after validating it (nothing changes if it has problems)."""
        clean = validate_table(df, name, file=file)
        if name == "activities":
            self.plan = Plan(clean, self.plan.checklist_answers)
        elif name == "checklist_answers":
            self.plan = Plan(self.plan.activities, clean)
        else:
            self._tables[name] = clean
        self._dirty.add(name)

    def append(self, name: str, df: pd.DataFrame, *, file: str | None = None) -> None:
        """Add rows to a table; the combined table is validated (e.g. primary keys)."""
        current = self.table(name)
        parts = [p for p in (current, df) if len(p)]
        self.set_table(name, pd.concat(parts, ignore_index=True) if parts else df, file=file)

    @property
    def table_names(self) -> list[str]:
        return ["activities", "checklist_answers", *sorted(self._tables)]

    def set_intervention(self, intervention: Intervention) -> None:
        self.intervention = intervention

    # -- saving ----------------------------------------------------------------------
    def save(self) -> None:
        """Write the project atomically (see the module docstring)."""
        gen = int(self.meta.get("generation", 0)) + 1
        index = dict(self.meta.get("tables", {}))
        frames = {"activities": self.plan.activities,
                  "checklist_answers": self.plan.checklist_answers, **self._tables}
        for name, df in frames.items():
            # The plan is small and edited in place, so it is always written; other tables
            # only when changed, which keeps a widget's save cheap.
            if name in index and name not in self._dirty and name not in (
                    "activities", "checklist_answers"):
                continue
            fname = f"{name}-{gen}.parquet"
            atomic_write_parquet(self.path / fname, df)
            index[name] = {"file": fname, "rows": len(df)}
        meta_file = self.path / "project.json"
        # an export made meanwhile through another Project object took a number: keep it
        seq = max(_export_seq(self.meta, meta_file), _seq_on_disk(meta_file))
        meta = {**self.meta, "generation": gen, "tables": index, "export_seq": seq,
                "intervention": self.intervention.to_dict(), "toolkit_version": __version__,
                "modified": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        atomic_write_json(self.path / "project.json", meta)
        self.meta = meta
        self._dirty.clear()
        keep = {e["file"] for e in index.values()}
        # Only our own table files (``<table>-<generation>.parquet``) are tidied: anything
        # else a user put in the folder is left alone.
        ours = re.compile(rf"^({'|'.join(map(re.escape, table_names()))})-\d+\.parquet$")
        for old in self.path.glob("*-*.parquet"):
            if old.name not in keep and ours.match(old.name):
                old.unlink(missing_ok=True)
        for tmp in self.path.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    # -- summaries -------------------------------------------------------------------
    def status(self, as_of=None) -> pd.DataFrame:
        """Progress per phase and core element (see :meth:`Plan.progress`)."""
        return self.plan.progress(as_of=as_of)

    def sic_events(self) -> pd.DataFrame:
        """The SIC events table, or the plan's SIC-tagged activities when there is none."""
        events = self._tables.get("sic_events")
        if events is not None and len(events):
            return events
        return self.plan.sic_events(self.site)

    def __repr__(self) -> str:
        return (f"<Project {self.site} {self.site_name} ({self.country}), "
                f"{self.intervention.name}, {len(self.plan)} activities>")


def _load_meta(meta_file: Path) -> dict:
    """``project.json`` parsed, or a :class:`ProjectError` naming the file."""
    try:
        if not meta_file.is_file():  # a FIFO or a folder would hang or fail the read
            raise ProjectError(f"{meta_file} is damaged: not a regular file")
        if meta_file.stat().st_size > 16 * 1024**2:
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


def _export_seq(meta: dict, meta_file: Path) -> int:
    seq = meta.get("export_seq", 0)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ProjectError(f"{meta_file}: field 'export_seq' must be a whole number ≥ 0, "
                           f"found {type(seq).__name__}")
    return seq


def _seq_on_disk(meta_file: Path) -> int:
    try:
        return _export_seq(_load_meta(meta_file), meta_file)
    except (ProjectError, OSError):
        return 0


def _check_meta(meta: dict, meta_file: Path) -> None:
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
    _export_seq(meta, meta_file)


def _read_key(file: Path) -> bytes:
    """The pseudonym key, or a ProjectError naming the file (never showing the key)."""
    if not file.is_file():
        raise ProjectError(f"{file} is damaged: not a regular file")
    try:
        key = bytes.fromhex(file.read_bytes()[:1024].decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise ProjectError(f"{file} is damaged: the pseudonym key must be hexadecimal text; "
                           f"restore it from a backup (a new key gives new pseudonyms)") from None
    if len(key) < 16:
        raise ProjectError(f"{file} is damaged: the pseudonym key is shorter than 16 bytes")
    return key


def _new_key(file: Path) -> None:
    atomic_write_bytes(file, secrets.token_hex(32).encode())
    os.chmod(file, 0o600)


def _read_table(file: Path, name: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        df = pq.read_table(file).to_pandas()
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ProjectError(f"{file} is damaged and cannot be read as Parquet "
                           f"({type(exc).__name__})") from None
    try:
        return validate_table(df, name, file=str(file))
    except ValidationError as exc:
        raise ProjectError(f"{file} does not match table {name!r}: {exc.problems[0]}") from None
