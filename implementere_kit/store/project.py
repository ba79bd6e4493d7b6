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
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = tmp.name + "/keep-havnstrup"
>>> p = ik.Project.create(folder, site="903", country="DK", intervention="keep",
...                       start="2024-01-08", language="da")
>>> p.plan.complete(p.plan.activities["activity_id"].iloc[0], date="2024-01-20")
>>> p.save()
>>> q = ik.Project.open(folder)
>>> q.site, q.intervention.id, int((q.plan.activities["status"] == "done").sum())
('903', 'keep', 1)
>>> tmp.cleanup()
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import replace
from pathlib import Path

import pandas as pd

from .. import __version__
from .._data import LANG_OF_COUNTRY
from .._io import atomic_write_bytes, atomic_write_json, atomic_write_parquet
from ..errors import Problem, ProjectError, ValidationError, safe_value
from ..i18n import check_lang
from ..plans.intervention import Intervention, load_intervention
from ..plans.plan import Plan
from ._meta import COUNTRIES, PROJECT_SCHEMA_VERSION, export_seq, load_meta, read_meta, seq_on_disk
from .audit import AuditLog
from .municipalities import municipality_name
from .tables import empty_table, table_names, validate_arrow, validate_table

__all__ = ["Project", "PROJECT_SCHEMA_VERSION", "COUNTRIES"]

_KEY_FILE = ".secret.key"


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

        Reading it never writes anything. A folder without a key (a project copied without
        its hidden files) raises :class:`ProjectError`; :meth:`ensure_key` makes one.
        """
        file = self.path / _KEY_FILE
        try:
            if file.exists() and not file.is_file():  # a FIFO would hang the read
                raise ValueError
            with open(file, "rb") as fh:
                key = bytes.fromhex(fh.read(1024).decode("ascii").strip())
        except FileNotFoundError:
            raise ProjectError(f"{file} is missing: this project has no key for pseudonyms "
                               f"yet; Project.ensure_key() makes one") from None
        except (UnicodeDecodeError, ValueError):
            raise ProjectError(f"{file} is damaged: expected 64 hex digits; restore it from "
                               f"a backup (a new key gives new pseudonyms)") from None
        if len(key) != 32:
            raise ProjectError(f"{file} is damaged: expected 64 hex digits")
        return key

    def ensure_key(self) -> bytes:
        """The key for pseudonyms, made and written now if the folder has none.

        Called when a project is created and before its first pseudonymised export.
        Pseudonyms are stable per key: a new key gives every person a new pseudonym, so
        keep the file (owner-readable only) to keep them stable.
        """
        file = self.path / _KEY_FILE
        if not file.exists():
            # the key never becomes readable to others, not even for a moment
            atomic_write_bytes(file, secrets.token_hex(32).encode(), mode=0o600)
        return self.key

    def next_export_seq(self) -> int:
        """Take the project's next export sequence number (1, 2, …) and record it.

        Every package carries one; the network keeps, per site and period, the package
        with the highest — whatever the clocks of the machines said. Only this field of
        ``project.json`` is rewritten (atomically), so unsaved changes stay unsaved.
        """
        file = self.path / "project.json"
        on_disk = load_meta(file)
        seq = max(export_seq(on_disk, file), export_seq(self.meta, file)) + 1
        atomic_write_json(file, {**on_disk, "export_seq": seq})
        self.meta["export_seq"] = seq
        return seq

    # -- creation ----------------------------------------------------------------------
    @classmethod
    def create(cls, path, *, site: str, country: str, intervention: Intervention | str,
               site_name: str = "", start=None, end=None, language: str | None = None,
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
        language : {"nb", "da", "en"}, optional
            The project's report language; default the country's (``da`` for DK, ``nb``
            for NO, ``en`` for SE).
        """
        path = Path(path)
        problems = []
        if not re.fullmatch(r"\d{3,4}", str(site)):
            problems.append(("site", "a municipality code of 3–4 digits as text", site))
        if country not in COUNTRIES:
            problems.append(("country", " or ".join(COUNTRIES), country))
        elif not problems and country in ("DK", "NO") and municipality_name(country,
                                                                             str(site)) is None:
            # a code of another country (9901 under DK) would name no municipality when
            # the project exports: refused now, not at the first export
            problems.append(("site", f"a municipality code of {country} "
                                     "(implementere_kit/store/municipalities.csv)", site))
        if problems:
            raise ValidationError([Problem("bad project field", file=str(path / "project.json"),
                                           column=c, expected=e, found=safe_value(f))
                                   for c, e, f in problems])
        language = LANG_OF_COUNTRY[country] if language is None else language
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
        # the plan first: a start it cannot schedule from leaves no empty folder behind
        plan = plan if plan is not None else Plan.from_template(intervention, start=start, lang=language)
        path.mkdir(parents=True, exist_ok=True)
        project = cls(path, meta, intervention, plan, {})
        project.ensure_key()
        project.save()
        return project

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(cls, path) -> Project:
        """Open a project folder, checking its schema version and every table file.

        Every problem of every table file is reported, not the first: the
        :class:`ProjectError` lists them (``.problems``: file, table, row, column, expected,
        found). Nothing in the folder is changed, except that a project made before the
        ``adaptations`` table gets its adaptation log moved into the table (once; see
        :func:`~implementere_kit.learning.adaptations.migrate_adaptation_log`).
        """
        path = Path(path)
        meta_file = path / "project.json"
        meta = read_meta(meta_file)
        # Projects made before the adaptations table kept a log inside the intervention.
        old_log = (meta["intervention"].pop("adaptations", None)
                   if isinstance(meta["intervention"], dict) else None)
        try:
            intervention = Intervention.from_dict(meta["intervention"], file=str(meta_file))
        except ValidationError as exc:
            raise ProjectError(f"{meta_file}: field 'intervention' is invalid",
                               exc.problems) from None
        problems: list[Problem] = []
        todo = {}
        for name, entry in meta["tables"].items():
            file = path / str(entry.get("file", "") if isinstance(entry, dict) else "")
            where = {"file": str(meta_file), "resource": str(name), "column": "tables"}
            if name not in table_names():
                problems.append(Problem("unknown table", **where,
                                        expected=", ".join(table_names())))
            elif not file.is_file():
                problems.append(Problem("table file is missing", **where,
                                        expected=f"a file {file.name} in the folder"))
            else:
                todo[name] = file
        tables: dict[str, pd.DataFrame] = {}
        for name, file in todo.items():
            try:
                tables[name] = _read_table(file, name)
            except ValidationError as exc:
                problems += exc.problems
        plan = None
        try:
            plan = Plan._from_typed(tables.pop("activities", None),
                                    tables.pop("checklist_answers", None))
        except ValidationError as exc:
            file = str(path / meta["tables"]["activities"]["file"])
            problems += [replace(p, file=file) for p in exc.problems]
        if problems:
            raise ProjectError(f"{path}: the project cannot be opened", problems)
        project = cls(path, meta, intervention, plan, tables)
        if old_log:
            project._move_adaptation_log(old_log, meta_file)
        return project

    def _move_adaptation_log(self, log, meta_file: Path) -> None:
        """Move an old project's adaptation log into table ``adaptations``, once.

        The rows and ``project.json`` without the log are written by one save, so the move
        is atomic: a crash leaves the old project, which moves its log the next time it is
        opened. A folder that cannot be written to opens all the same, with the rows in
        memory, and the move is completed by the next save.
        """
        from ..learning.adaptations import migrate_adaptation_log

        try:
            rows = migrate_adaptation_log(log, self.site, file=str(meta_file),
                                          existing=self._tables.get("adaptations"))
        except ValidationError as exc:
            raise ProjectError(f"{meta_file}: field 'intervention.adaptations' is invalid",
                               exc.problems) from None
        if len(rows):
            self.append("adaptations", rows, file=str(meta_file))
        try:
            self.save()
        except OSError:  # read-only folder or file system, full disk: nothing was replaced
            self._dirty.add("adaptations")

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
        seq = max(export_seq(self.meta, meta_file), seq_on_disk(meta_file))
        meta = {**self.meta, "generation": gen, "tables": index, "export_seq": seq,
                "intervention": self.intervention.to_dict(), "toolkit_version": __version__,
                "modified": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        atomic_write_json(meta_file, meta)
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

    # -- audit log and reviewed privacy exceptions -------------------------------------
    def audit_log(self) -> pd.DataFrame:
        """Every entry of the project's append-only audit log (``audit.jsonl``)."""
        return AuditLog(self.path).frame()

    def add_privacy_exception(self, table: str, column: str, kind: str, *, reason: str,
                              reviewer: str, date=None) -> dict:
        """Record a reviewed exception for a false positive of the identifier scanner.

        Findings of ``kind`` in ``table.column`` then pass the export's privacy check and
        are listed in the package (see :mod:`implementere_kit.exchange.privacy_exceptions`
        for the rules; key columns never get one). Returns the audit log entry; its
        ``seq`` is the exception's id.
        """
        from ..exchange.privacy_exceptions import ADDED, new_exception

        fields = new_exception(table, column, kind, reason=reason, reviewer=reviewer, date=date)
        return AuditLog(self.path).append(ADDED, fields)

    def revoke_privacy_exception(self, exception_id: int, *, reason: str, reviewer: str) -> dict:
        """Withdraw an exception by a new audit log entry (nothing is deleted)."""
        from ..exchange.privacy_exceptions import REVOKED, revocation

        fields = revocation(exception_id, reason=reason, reviewer=reviewer,
                            active=self.privacy_exceptions())
        return AuditLog(self.path).append(REVOKED, fields)

    def confirm_lost_export_record(self, *, reason: str, reviewer: str) -> dict:
        """Record a reviewer's confirmation that the audit log lost exports made so far, so
        that aggregate exports go on (compared with what the log still holds)."""
        from ..exchange.differencing import LOST_ACTION
        from ..exchange.privacy_exceptions import lost_record

        seq = max(seq_on_disk(self.path / "project.json"), export_seq(self.meta, self.path))
        return AuditLog(self.path).append(LOST_ACTION, lost_record(seq, reason=reason,
                                                                    reviewer=reviewer))

    def privacy_exceptions(self) -> pd.DataFrame:
        """The exceptions in force: id, table, column, kind, reason, reviewer, date, added."""
        from ..exchange.privacy_exceptions import active_exceptions

        return active_exceptions(AuditLog(self.path).entries())

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


def _read_table(file: Path, name: str) -> pd.DataFrame:
    """One table file, checked by the store's engine where it lies in Arrow memory."""
    import pyarrow.parquet as pq

    try:  # ParquetFile: one file, without read_table's dataset discovery
        with pq.ParquetFile(file) as parquet:
            table = parquet.read()
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ValidationError([Problem("damaged: cannot be read as Parquet", file=str(file),
                                       resource=name, found=type(exc).__name__)]) from None
    return validate_arrow(table, name, file=str(file))
