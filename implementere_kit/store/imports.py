"""Bringing rows into a project without corrupting it: check, preview, then upsert.

:func:`plan_import` reads nothing into the project. It checks the rows against the table's
schema (a malformed file is refused whole, with every problem), then row by row against
what the project already holds, and sorts them into *new*, *changed*, *unchanged* and
*refused* (with the reason). :func:`apply_import` then stores the new and changed rows —
only if the table has not changed since the preview. Rows are matched on their key
(:func:`import_key`), so importing the same file twice changes nothing.

References checked
    * attendance → a known participant, and a session held for that participant's group
      (``sessions``: group and session number);
    * sessions and session checklists → a known group (a group some participant belongs to);
    * every table with a ``site`` column → this project's municipality code (a file
      without the column, or with it blank, is read as this project's rows).

Keys
    The primary key of ``schemas/tables.yaml``; attendance has none there (a person may
    attend a session and a make-up of it), so its rows are matched on
    ``(participant_id, session_no, makeup)`` with a blank ``makeup`` read as "no". Columns
    a file leaves out (or leaves blank throughout) keep the values already stored.

Examples
--------
>>> import tempfile, pandas as pd, implementere_kit as ik
>>> tmp = tempfile.TemporaryDirectory()
>>> p = ik.Project.create(tmp.name + "/p", site="903", country="DK",
...                       intervention="keep", start="2025-01-06")
>>> parts = pd.DataFrame({"participant_id": ["F1", "F2"], "site": "903",
...                       "group_id": "G1", "enrolled": "2025-02-03"})
>>> preview = plan_import(p, "participants", parts)
>>> preview.counts
{'new': 2, 'changed': 0, 'unchanged': 0, 'refused': 0}
>>> apply_import(p, preview)
>>> plan_import(p, "participants", parts).counts      # the same file again: nothing new
{'new': 0, 'changed': 0, 'unchanged': 2, 'refused': 0}
>>> att = pd.DataFrame({"participant_id": ["F1", "F9"], "session_no": 1, "attended": True})
>>> plan_import(p, "attendance", att).refused[["row", "reason"]].values.tolist()
[[1, 'unknown_session'], [2, 'unknown_participant']]
>>> tmp.cleanup()
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import Problem, ProjectError, ValidationError, safe_value
from ..i18n import t
from .tables import table_schema, validate_table

__all__ = ["ImportPreview", "plan_import", "apply_import", "remove_rows", "removal_problems",
           "import_key", "IMPORT_KEYS", "REASONS", "StaleImportError"]

#: Keys for tables that have no primary key in ``schemas/tables.yaml``.
IMPORT_KEYS = {
    "attendance": ("participant_id", "session_no", "makeup"),
    "competence_ratings": ("practitioner_id", "date", "rater_id", "instrument", "dimension"),
    "feedback": ("time", "screen", "comment"),
}
#: Why a row is refused (labels ``import_reason_<code>`` in the locales).
REASONS = ("other_site", "unknown_participant", "no_group", "unknown_session", "unknown_group",
           "duplicate_in_file")
_REFUSED = ["row", "column", "reason", "found"]


class StaleImportError(ProjectError):
    """The table changed between the preview and the import; nothing was stored."""

    message_key = "import_stale"

    def __init__(self):
        super().__init__(t(self.message_key, "en"))


def import_key(table: str) -> tuple[str, ...]:
    """The columns rows of ``table`` are matched on."""
    if table in IMPORT_KEYS:
        return IMPORT_KEYS[table]
    key = tuple(table_schema(table).primary_key or ())
    if not key:
        raise ValidationError([Problem("table cannot be imported row by row", resource=table,
                                       expected="a table with a key")])
    return key


@dataclass
class ImportPreview:
    """What an import would do; nothing is stored until :func:`apply_import`.

    Attributes
    ----------
    new : DataFrame
        Rows whose key the table does not hold yet.
    changed : DataFrame
        Rows that replace stored ones (index: the stored row's position), with the file's
        values in the columns it gives and the stored values elsewhere.
    n_unchanged : int
        Rows the table holds already exactly so.
    refused : DataFrame
        ``row`` (1-based, as in the file), ``column``, ``reason`` (one of :data:`REASONS`)
        and ``found`` (made safe to show).
    """

    table: str
    file: str | None
    key: tuple[str, ...]
    new: pd.DataFrame
    changed: pd.DataFrame
    n_unchanged: int
    refused: pd.DataFrame
    stamp: tuple = field(repr=False, default=())

    @property
    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "changed": len(self.changed),
                "unchanged": self.n_unchanged, "refused": len(self.refused)}

    @property
    def ready(self) -> bool:
        """True when applying it would store something."""
        return bool(len(self.new) or len(self.changed))

    def summary(self, lang: str = "nb") -> str:
        """``3 nye, 1 endret, 2 uendret, 1 avvist`` in ``lang``."""
        return t("import_summary", lang, **self.counts)

    def refused_view(self, lang: str = "nb") -> pd.DataFrame:
        """The refused rows with the reason in words (for a screen or a message)."""
        from ..i18n import column_label

        view = self.refused.copy()
        view["reason"] = [t(f"import_reason_{r}", lang) for r in view["reason"]]
        view["column"] = [column_label(c, lang) for c in view["column"]]
        return view


def _fingerprint(df: pd.DataFrame) -> tuple:
    """Changes when the table changes (rows, values or order)."""
    if df.empty:
        return (0,)
    hashed = pd.util.hash_pandas_object(df.astype("string"), index=False).to_numpy()
    return (len(df), int(hashed.sum(dtype=np.uint64)), int(hashed[0]), int(hashed[-1]))


def _keyed(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Key columns made comparable (a blank make-up flag means "no")."""
    out = df.copy()
    if table == "attendance" and "makeup" in out:
        out["makeup"] = out["makeup"].fillna(False).astype("boolean")
    return out


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality where two missing values count as equal."""
    missing_a, missing_b = a.isna().to_numpy(), b.isna().to_numpy()
    out = missing_a & missing_b
    both = ~missing_a & ~missing_b
    xa, xb = a.to_numpy(dtype=object)[both], b.to_numpy(dtype=object)[both]
    out[both] = [bool(x == y) for x, y in zip(xa, xb, strict=True)]
    return out


def _reference_checks(project, table: str, rows: pd.DataFrame) -> list[tuple[int, str, str]]:
    """(position, column, reason) for each row that points at something unknown."""
    out: list[tuple[int, str, str]] = []
    cols = rows.columns
    if "site" in cols:
        for i in np.flatnonzero((rows["site"].astype("string") != project.site).fillna(True)):
            out.append((int(i), "site", "other_site"))
    parts = project.table("participants")
    groups = set(parts["group_id"].dropna().astype(str))
    if table == "attendance":
        group_of = dict(zip(parts["participant_id"].astype(str), parts["group_id"], strict=True))
        held = set(zip(project.table("sessions")["group_id"].astype(str),
                       project.table("sessions")["session_no"].astype(int), strict=True))
        for i, (pid, no) in enumerate(zip(rows["participant_id"], rows["session_no"],
                                          strict=True)):
            if str(pid) not in group_of:
                out.append((i, "participant_id", "unknown_participant"))
            elif pd.isna(group_of[str(pid)]):
                out.append((i, "participant_id", "no_group"))
            elif (str(group_of[str(pid)]), int(no)) not in held:
                out.append((i, "session_no", "unknown_session"))
    elif table in ("sessions", "fidelity_checks") and "group_id" in cols:
        for i, g in enumerate(rows["group_id"]):
            if not pd.isna(g) and str(g) not in groups:
                out.append((i, "group_id", "unknown_group"))
    return out


def _refusals(rows: pd.DataFrame, found: list[tuple[int, str, str]]) -> pd.DataFrame:
    first: dict[int, tuple[str, str]] = {}
    for i, col, reason in found:
        first.setdefault(i, (col, reason))
    recs = [{"row": i + 1, "column": col, "reason": reason,
             "found": safe_value(rows[col].iloc[i]) if col in rows else None}
            for i, (col, reason) in sorted(first.items())]
    return pd.DataFrame(recs, columns=_REFUSED)


def plan_import(project, table: str, df: pd.DataFrame, *, file: str | None = None
                ) -> ImportPreview:
    """Check ``df`` for ``table`` of ``project`` and say what importing it would do.

    Parameters
    ----------
    project : Project
    table : str
        A table of ``schemas/tables.yaml`` (not the plan's tables).
    df : DataFrame
        The rows (text from a file is fine: values are parsed by the schema).
    file : str, optional
        The file's name, for messages.

    Raises
    ------
    ValidationError
        The rows break the table's schema (wrong type, missing value, value not allowed…):
        every problem is listed and nothing can be imported from them. Or the table
        stored holds a key twice (rows of it named), so no row can be matched to one.
    """
    key = import_key(table)
    if "site" in table_schema(table).columns and isinstance(df, pd.DataFrame):
        # a project holds one municipality's rows: a file that does not say is about it
        site = df["site"] if "site" in df.columns else pd.Series(pd.NA, index=df.index)
        blank = site.isna() | (site.astype("string").str.strip() == "")
        df = df.assign(site=site.astype("object").where(~blank, project.site))
    typed = _keyed(validate_table(df, table, file=file), table)
    given = [c for c in table_schema(table).columns
             if c in df.columns and (c in key or typed[c].notna().any())]
    found = _reference_checks(project, table, typed)
    bad = {i for i, _, _ in found}
    dup = typed.duplicated(list(key), keep="first").to_numpy()
    found += [(int(i), key[0], "duplicate_in_file") for i in np.flatnonzero(dup) if i not in bad]
    refused = _refusals(typed, found)
    keep = np.ones(len(typed), dtype=bool)
    keep[[i for i, _, _ in found]] = False
    rows = typed[keep]
    current = _keyed(project.table(table), table)
    index = pd.MultiIndex.from_frame(current[list(key)].astype("string"))
    twice = np.flatnonzero(index.duplicated())
    if len(twice):  # a table kept without a key (attendance) may hold one twice already
        raise ValidationError([Problem("duplicate primary key", resource=table, row=int(i) + 1,
                                       column=key[0], expected="unique",
                                       found=safe_value(current[key[0]].iloc[i]))
                               for i in twice])
    at = index.get_indexer(pd.MultiIndex.from_frame(rows[list(key)].astype("string"))) \
        if len(rows) else np.array([], dtype=int)
    new = rows[at < 0].reset_index(drop=True)
    matched, where = rows[at >= 0], at[at >= 0]
    stored = current.iloc[where]
    same = np.ones(len(matched), dtype=bool)
    for c in given:
        same &= _same(matched[c].reset_index(drop=True), stored[c].reset_index(drop=True))
    changed = stored[~same].copy()
    for c in given:
        changed[c] = matched[c].to_numpy()[~same]
    return ImportPreview(table=table, file=file, key=key, new=new, changed=changed,
                         n_unchanged=int(same.sum()), refused=refused,
                         stamp=_fingerprint(project.table(table)))


def apply_import(project, preview: ImportPreview) -> None:
    """Store the new and changed rows of ``preview`` in the project (the caller saves it).

    Raises
    ------
    StaleImportError
        The table changed after the preview was made; make a new preview.
    """
    current = project.table(preview.table)
    if _fingerprint(current) != preview.stamp:
        raise StaleImportError
    merged = _keyed(current, preview.table).copy()
    if len(preview.changed):
        merged.loc[preview.changed.index, preview.changed.columns] = preview.changed
    parts = [p for p in (merged, preview.new) if len(p)]
    if parts:
        project.set_table(preview.table, pd.concat(parts, ignore_index=True), file=preview.file)


def removal_problems(project, table: str, keys: pd.DataFrame) -> list[Problem]:
    """Why rows of ``table`` with these keys cannot be removed (empty when they can).

    A participant with attendance, or a session someone attended, is still used.
    """
    key = list(import_key(table))
    gone = _matching(project, table, keys)
    att = project.table("attendance")
    if gone.empty or att.empty or table not in ("participants", "sessions"):
        return []
    if table == "participants":
        used = gone["participant_id"].isin(att["participant_id"]).to_numpy()
    else:
        parts = project.table("participants")[["participant_id", "group_id"]]
        seen = att.merge(parts, on="participant_id")[["group_id", "session_no"]]
        pairs = set(zip(seen["group_id"].astype(str), seen["session_no"].astype(int),
                        strict=True))
        used = [(str(g), int(n)) in pairs for g, n in
                zip(gone["group_id"], gone["session_no"], strict=True)]
    return [Problem("still in use", resource=table, column=key[0], found=safe_value(v))
            for v in gone.loc[used, key[0]]]


def _matching(project, table: str, keys: pd.DataFrame) -> pd.DataFrame:
    key = list(import_key(table))
    current = _keyed(project.table(table), table)
    wanted = pd.MultiIndex.from_frame(_keyed(keys, table)[key].astype("string"))
    return current[pd.MultiIndex.from_frame(current[key].astype("string")).isin(wanted)]


def remove_rows(project, table: str, keys: pd.DataFrame) -> int:
    """Remove the rows of ``table`` whose key is in ``keys``; returns how many went.

    Raises
    ------
    ValidationError
        Some of them are still used (:func:`removal_problems`); nothing is removed.
    """
    problems = removal_problems(project, table, keys)
    if problems:
        raise ValidationError(problems)
    gone = _matching(project, table, keys)
    if len(gone):
        current = _keyed(project.table(table), table)
        project.set_table(table, current.drop(index=gone.index).reset_index(drop=True))
    return int(len(gone))
