"""Data: import a file, edit a table, take attendance, score a session's fidelity checklist.

Every way in goes through the same checks (:mod:`~implementere_kit.store.imports`): the
table's schema, the references (attendance → known participants and sessions, sessions →
known groups) and the table's key, so the same file twice changes nothing and nothing is
stored that points at a participant or session that does not exist. An uploaded file is
first shown as a preview — n new, n changed, n unchanged, n refused and why — and stored
only when the user says so.

The browser sends an upload as ``FileUpload.value``: a tuple of dicts with ``name``,
``type``, ``size``, ``content`` (bytes) and ``last_modified`` (ipywidgets 8,
``widgets/widget_upload.py``). Only the file's base name is used; it is written into the
project folder's ``.incoming`` folder to be read, and removed again.

References
----------
Carroll C et al. (2007). A conceptual framework for implementation fidelity.
Implementation Science 2:40 (adherence: content delivered as intended, item by item).
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError
from ..i18n import fmt_date, value_label
from ..store.imports import ImportPreview, apply_import, plan_import
from ..store.readers import read_table
from ._base import Screen, error_html, esc, frame_html, heading, set_heading, style_widget
from ._grid import TableGrid

__all__ = ["FidelityData", "DATA_TABLES"]

#: Tables a municipality enters or uploads here.
DATA_TABLES = ("participants", "sessions", "attendance", "fidelity_checks", "staff",
               "competence_ratings", "eligible", "survey_responses", "barriers",
               "adaptations", "costs")
_DELIVERED = ("yes", "partly", "no", "na")
_STYLE = {"description_width": "10em"}


class FidelityData(Screen):
    """Import, edit and register the data fidelity and outcomes are computed from.

    Attributes
    ----------
    table : Dropdown
        The table being imported or edited.
    upload : FileUpload
        A CSV/TXT/XLSX file for :attr:`table`; checked and previewed at once.
    preview : ImportPreview or None
        What importing the checked file would do, until :attr:`import_button` stores it.
    grid : TableGrid
        The table, editable a page at a time.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> fd = FidelityData(demo_project(tmp, scale=0.05), lang="en")
    >>> fd.table.value = "eligible"
    >>> fd.check_file("n.csv", b"site;period;n_eligible\\n903;2030;abc\\n")
    False
    >>> "abc" in fd.problems.value, fd.import_button.disabled
    (True, True)
    >>> fd.check_file("n.csv", b"Kommunenr;Periode;Antall\\n903;2030;120\\n")
    True
    >>> fd.preview.counts, fd.import_button.disabled
    ({'new': 1, 'changed': 0, 'unchanged': 0, 'refused': 0}, False)
    """

    screen_id = "data"

    def _build(self) -> None:
        self.table = W.Dropdown(options=DATA_TABLES, value="participants", style=_STYLE)
        self.table.add_class("ik-table-choice")
        self.current = W.HTML()
        self.headings = {k: heading() for k in ("upload", "grid", "session", "register",
                                                 "checklist")}
        # upload and preview
        self.upload = W.FileUpload(accept=".csv,.txt,.tsv,.xlsx", multiple=False)
        self.upload.add_class("ik-upload")
        self.import_button = W.Button(button_style="primary", icon="upload", disabled=True)
        self.import_button.add_class("ik-import")
        self.problems = W.HTML()
        self.preview_box = W.HTML()
        self.preview: ImportPreview | None = None
        self.grid = TableGrid(self.project, self.lang, table=self.table.value)
        # one session: its attendance register and its fidelity checklist
        self.group = W.Dropdown(style=_STYLE)
        self.session = W.Dropdown(style=_STYLE)
        self.practitioner = W.Combobox(ensure_option=False, style=_STYLE)
        self.load_register_button = W.Button(icon="users")
        self.register = W.VBox()
        self.attended: dict[str, W.Checkbox] = {}
        self.save_register_button = W.Button(button_style="primary", icon="save")
        self.delivered = {c.id: W.Dropdown(style={"description_width": "18em"},
                                           layout=W.Layout(width="32em"))
                          for c in self.project.intervention.components}
        self.save_checklist_button = W.Button(button_style="primary", icon="save")
        h = self.headings
        self.root = W.VBox([
            style_widget(), self.table, self.current, self.message,
            h["upload"], W.HBox([self.upload, self.import_button]), self.problems,
            self.preview_box,
            h["grid"], self.grid.root,
            h["session"], self.group, self.session,
            h["register"], self.load_register_button, self.register, self.save_register_button,
            h["checklist"], self.practitioner, *self.delivered.values(),
            self.save_checklist_button,
        ])
        self.table.observe(lambda _: self._on_table(), "value")
        self.upload.observe(self._on_upload, "value")
        self.group.observe(lambda _: None if self._busy else self._fill_sessions(), "value")
        self.import_button.on_click(lambda _: self.import_file())
        self.load_register_button.on_click(lambda _: self.load_register())
        self.save_register_button.on_click(lambda _: self.save_register())
        self.save_checklist_button.on_click(lambda _: self.save_checklist())

    def _relabel(self) -> None:
        t = self._t
        for key, w in self.headings.items():
            set_heading(w, t(f"ui_data_{key}"))
        self.table.description = t("ui_table")
        self._set_options(self.table, [(t(f"ui_table_{n}"), n) for n in DATA_TABLES])
        self.upload.description = t("ui_upload")
        for w, key in ((self.group, "ui_group"), (self.session, "ui_session"),
                       (self.practitioner, "ui_practitioner")):
            w.description = t(key)
        for b, key in ((self.import_button, "ui_import"),
                       (self.load_register_button, "ui_load_register"),
                       (self.save_register_button, "ui_save_register"),
                       (self.save_checklist_button, "ui_save_checklist")):
            b.description = t(key)
        iv = self.project.intervention
        for cid, w in self.delivered.items():
            c = iv.component(cid)
            w.description = f"{c.label(self.lang)} ({t(f'ui_kind_{c.kind}')})"
            w.description_allow_html = False
            # A blank first choice: an item nobody scored must not pass as "yes".
            self._set_options(w, [("–", ""), *((value_label("delivered", d, self.lang), d)
                                             for d in _DELIVERED)])
        self.grid.set_language(self.lang)
        self._show_preview()
        self.refresh()

    # -- the chosen table -----------------------------------------------------------------
    def _on_table(self) -> None:
        if self._busy:
            return
        self.preview, self.problems.value, self.preview_box.value = None, "", ""
        self.import_button.disabled = True
        self.grid.set_table(self.table.value)
        self._show_current()

    def refresh(self) -> None:
        """Re-read the tables (rows, groups, sessions, practitioners) from the project."""
        self._show_current()
        self.grid.show_page(self.grid.page)
        parts = self.project.table("participants")
        groups = sorted(parts["group_id"].dropna().astype(str).unique())
        with self._quiet():
            self._set_options(self.group, groups)
            if self.group.value is None and groups:
                self.group.value = groups[0]
            staff = self.project.table("staff")["practitioner_id"].dropna().astype(str)
            self.practitioner.options = tuple(sorted(staff))
        self._fill_sessions()

    def _fill_sessions(self) -> None:
        s = self.project.table("sessions")
        s = s[s["group_id"].astype(str) == str(self.group.value)].sort_values("session_no")
        options = [(f"{self._t('ui_session')} {int(r.session_no)} – {fmt_date(r.date, self.lang)}",
                    int(r.session_no)) for r in s.itertuples()]
        with self._quiet():
            self._set_options(self.session, options)
            if self.session.value is None and options:
                self.session.value = options[0][1]
        self.attended, self.register.children = {}, ()

    def _show_current(self) -> None:
        df = self.project.table(self.table.value)
        self.current.value = f"<p>{esc(self._t('ui_rows_in_table', n=len(df)))}</p>"

    # -- upload ---------------------------------------------------------------------------
    def _on_upload(self, change) -> None:
        files = change["new"]
        if files:
            f = files[0]
            self.check_file(f["name"], bytes(f["content"]))
            self.upload.value = ()  # so choosing the same file again is seen as a new upload

    def check_file(self, name: str, content: bytes) -> bool:
        """Read an uploaded file for :attr:`table` and preview its import; store nothing."""
        self.preview, self.preview_box.value, self.message.value = None, "", ""
        self.import_button.disabled = True
        safe = Path(name).name or "upload.csv"  # never a path from the browser
        incoming = self.project.path / ".incoming"
        path = incoming / safe
        try:
            incoming.mkdir(exist_ok=True)
            path.write_bytes(content)
            df = read_table(path, self.table.value)
            self.preview = plan_import(self.project, self.table.value, df, file=safe)
        except ImplementereError as exc:
            self.problems.value = error_html(exc, self.lang)
            return False
        finally:
            path.unlink(missing_ok=True)
            if incoming.is_dir() and not any(incoming.iterdir()):
                incoming.rmdir()
        self.problems.value = ""
        self.import_button.disabled = not self.preview.ready
        self._show_preview()
        return True

    def _show_preview(self) -> None:
        pv = self.preview
        if pv is None:
            return
        parts = [f'<div class="ik-box ik-preview {"ik-ok" if not len(pv.refused) else "ik-fail"}">'
                 f"<b>{esc(pv.file or '')}: {esc(pv.summary(self.lang))}</b></div>"]
        if len(pv.refused):
            parts.append(f"<b>{esc(self._t('ui_refused_rows'))}</b>"
                         + frame_html(pv.refused_view(self.lang), self.lang,
                                      labels={"row": self._t("ui_col_row"),
                                              "column": self._t("ui_col_column"),
                                              "reason": self._t("ui_col_reason"),
                                              "found": self._t("ui_col_found")}))
        for what, rows in (("new", pv.new), ("changed", pv.changed)):
            if len(rows):
                parts.append(f"<b>{esc(self._t(f'ui_preview_{what}'))}</b>"
                             + frame_html(rows.head(10), self.lang))
        if not pv.ready:
            parts.append(f"<p><i>{esc(self._t('ui_nothing_to_import'))}</i></p>")
        self.preview_box.value = "".join(parts)

    def import_file(self) -> bool:
        """Store the previewed file's new and changed rows; nothing changes on a problem."""
        pv = self.preview
        if pv is None or not pv.ready:
            return False
        if not self._store(pv):
            return False
        self.preview, self.preview_box.value = None, ""
        self.import_button.disabled = True
        self._ok(self._t("ui_imported_counts", **pv.counts))
        return True

    def _store(self, pv: ImportPreview) -> bool:
        try:
            apply_import(self.project, pv)
        except ImplementereError as exc:
            self._fail(exc)
            return False
        if not self._save():
            return False
        self.refresh()
        return True

    # -- one session ------------------------------------------------------------------------
    def load_register(self) -> None:
        """List the group's participants with a tick box each for the chosen session."""
        parts = self.project.table("participants")
        ids = parts.loc[parts["group_id"].astype(str) == str(self.group.value),
                        "participant_id"].astype(str).tolist()
        att = self.project.table("attendance")
        here = att[(att["session_no"] == self.session.value) & att["participant_id"].isin(ids)
                   & ~att["makeup"].fillna(False).astype(bool)]
        seen = dict(zip(here["participant_id"], here["attended"], strict=True))
        self.attended = {pid: W.Checkbox(value=bool(seen.get(pid, False)), description=pid,
                                         indent=False) for pid in ids}
        self.register.children = tuple(self.attended.values()) or (
            W.HTML(f"<i>{esc(self._t('ui_no_participants'))}</i>"),)

    def _session_rows(self, rows: pd.DataFrame, table: str) -> bool:
        """Store rows for the chosen session after the import checks; all or nothing."""
        try:
            pv = plan_import(self.project, table, rows)
            if len(pv.refused):
                self.message.value = (f'<div class="ik-box ik-fail">'
                                      f"{esc(pv.summary(self.lang))}</div>" + frame_html(
                                          pv.refused_view(self.lang), self.lang))
                return False
        except ImplementereError as exc:
            self._fail(exc)
            return False
        if pv.ready and not self._store(pv):
            return False
        self._ok(self._t("ui_imported_counts", **pv.counts))
        return True

    def save_register(self) -> bool:
        """Save attendance for the chosen session (a session that exists); rows are
        replaced, not doubled."""
        if not self.attended or self.session.value is None:
            self._warn(self._t("ui_choose_session"))
            return False
        rows = pd.DataFrame({"participant_id": list(self.attended),
                             "session_no": self.session.value,
                             "attended": [w.value for w in self.attended.values()],
                             "makeup": False})
        return self._session_rows(rows, "attendance")

    def save_checklist(self) -> bool:
        """Save the chosen session's fidelity checklist: one row per component."""
        group, no = self.group.value, self.session.value
        if group is None or no is None:
            self._warn(self._t("ui_choose_session"))
            return False
        blank = [self.project.intervention.component(c).label(self.lang)
                 for c, w in self.delivered.items() if not w.value]
        if blank:
            self._warn(self._t("ui_not_scored", items=", ".join(blank)))
            return False
        s = self.project.table("sessions")
        when = s.loc[(s["group_id"].astype(str) == str(group)) & (s["session_no"] == no),
                     "date"].iloc[0]
        check_id = f"{self.project.site}-{group}-{no}"
        rows = pd.DataFrame({"check_id": check_id, "site": self.project.site,
                             "group_id": group, "session_no": no,
                             "practitioner_id": self.practitioner.value.strip() or None,
                             "date": when, "item": list(self.delivered),
                             "component": list(self.delivered),
                             "delivered": [w.value for w in self.delivered.values()]})
        return self._session_rows(rows, "fidelity_checks")
