"""Fidelity data: enter sessions, attendance and session checklists, or upload a file.

An uploaded CSV/Excel file is written to a temporary file and read with
:func:`~implementere_kit.store.readers.read_table`, which renames Nordic headings and checks every
value against the table's schema. Problems are listed as a table (row, column, expected,
found) and nothing is imported until the file is clean. Manual entries go through
:meth:`Project.append <implementere_kit.store.project.Project.append>`, which validates too.

The browser sends an upload as ``FileUpload.value``: a tuple of dicts with ``name``,
``type``, ``size``, ``content`` (bytes) and ``last_modified`` (ipywidgets 8,
``widgets/widget_upload.py``). Only the file's base name is used; the folder it is written to
is a fresh temporary one, removed after reading.

References
----------
Carroll C et al. (2007). A conceptual framework for implementation fidelity.
Implementation Science 2:40 (adherence: content delivered as intended, item by item).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError, ValidationError
from ..store.readers import read_table
from ..store.tables import table_schema, validate_table
from ._base import Screen, error_html, esc, frame_html, heading, set_heading, style_widget

__all__ = ["FidelityData", "DATA_TABLES"]

#: Tables a municipality enters or uploads here.
DATA_TABLES = ("sessions", "attendance", "fidelity_checks", "participants", "staff",
               "competence_ratings", "eligible", "survey_responses")
_DELIVERED = ("yes", "partly", "no", "na")
_STYLE = {"description_width": "10em"}


class FidelityData(Screen):
    """Enter or upload the data fidelity is computed from.

    Attributes
    ----------
    table : Dropdown
        The table being entered or uploaded.
    fields : dict
        Column → input widget of the one-row form for :attr:`table`.
    upload : FileUpload
        A CSV/TXT/XLSX file for :attr:`table`; checked at once.
    problems : HTML
        The problems found in the uploaded file (or the row entered), as a table.
    pending : DataFrame or None
        The checked file waiting for :attr:`import_button`.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> fd = FidelityData(demo_project(scale=0.05))
    >>> fd.table.value = "eligible"
    >>> fd.check_file("n.csv", b"site;period;n_eligible\\n461;2030;abc\\n")
    False
    >>> "abc" in fd.problems.value, fd.import_button.disabled
    (True, True)
    """

    screen_id = "data"

    def _build(self) -> None:
        self.table = W.Dropdown(options=DATA_TABLES, value="attendance", style=_STYLE)
        self.current = W.HTML()
        self.headings = {k: heading() for k in ("row", "upload", "register", "checklist")}
        self.fields: dict[str, W.Widget] = {}
        self.form = W.VBox()
        self.add_row_button = W.Button(icon="plus")
        # upload
        self.upload = W.FileUpload(accept=".csv,.txt,.tsv,.xlsx", multiple=False)
        self.mode = W.ToggleButtons(options=("append", "replace"), value="append")
        self.import_button = W.Button(button_style="primary", icon="upload", disabled=True)
        self.problems = W.HTML()
        self.preview = W.HTML()
        self.pending: pd.DataFrame | None = None
        self._pending_name = ""
        # attendance register and session checklist share group, session and date
        self.group = W.Combobox(ensure_option=False, style=_STYLE)
        self.session_no = W.BoundedIntText(value=1, min=1, max=500, style=_STYLE)
        self.date = W.DatePicker(value=dt.date.today(), style=_STYLE)
        self.practitioner = W.Text(style=_STYLE)
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
            h["upload"], W.HBox([self.upload, self.mode, self.import_button]), self.problems,
            self.preview,
            h["row"], self.form, self.add_row_button,
            h["register"], self.group, self.session_no, self.date, self.practitioner,
            self.load_register_button, self.register, self.save_register_button,
            h["checklist"], *self.delivered.values(), self.save_checklist_button,
        ])
        self.table.observe(lambda _: self._on_table(), "value")
        self.upload.observe(self._on_upload, "value")
        self.import_button.on_click(lambda _: self.import_file())
        self.add_row_button.on_click(lambda _: self.add_row())
        self.load_register_button.on_click(lambda _: self.load_register())
        self.save_register_button.on_click(lambda _: self.save_register())
        self.save_checklist_button.on_click(lambda _: self.save_checklist())
        self._build_form()

    def _relabel(self) -> None:
        t = self._t
        for key, w in self.headings.items():
            set_heading(w, t(f"ui_data_{key}"))
        self.table.description = t("ui_table")
        self._set_options(self.table, [(t(f"ui_table_{n}"), n) for n in DATA_TABLES])
        self._set_options(self.mode, [(t("ui_append"), "append"), (t("ui_replace"), "replace")])
        self.upload.description = t("ui_upload")
        for w, key in ((self.group, "ui_group"), (self.session_no, "ui_session_no"),
                       (self.date, "ui_date"), (self.practitioner, "ui_practitioner")):
            w.description = t(key)
        for b, key in ((self.import_button, "ui_import"), (self.add_row_button, "ui_add_row"),
                       (self.load_register_button, "ui_load_register"),
                       (self.save_register_button, "ui_save_register"),
                       (self.save_checklist_button, "ui_save_checklist")):
            b.description = t(key)
        iv = self.project.intervention
        for cid, w in self.delivered.items():
            c = iv.component(cid)
            w.description = f"{c.name} ({t(f'ui_kind_{c.kind}')})"
            w.description_allow_html = False
            # A blank first choice: an item nobody scored must not pass as "yes".
            self._set_options(w, [("—", ""), *((t(f"ui_delivered_{d}"), d) for d in _DELIVERED)])
        self._show_current()

    # -- the chosen table ---------------------------------------------------------------
    def _on_table(self) -> None:
        if self._busy:
            return
        self.pending, self.problems.value, self.preview.value = None, "", ""
        self.import_button.disabled = True
        self._build_form()
        self._show_current()

    def _build_form(self) -> None:
        self.fields = {}
        for f in table_schema(self.table.value).fields:
            name, kind = f["name"], f["type"]
            if f.get("enum"):
                w = W.Dropdown(options=["", *f["enum"]], value="")
            elif kind == "date":
                w = W.DatePicker()
            elif kind == "boolean":
                w = W.Checkbox(indent=False)
            else:
                w = W.Text(value=self.project.site if name == "site" else "")
            w.description = name + (" *" if f.get("required") else "")
            w.style = _STYLE
            self.fields[name] = w
        self.form.children = tuple(self.fields.values())

    def refresh(self) -> None:
        """Re-read the chosen table from the project."""
        self._show_current()

    def _show_current(self) -> None:
        df = self.project.table(self.table.value)
        text = self._t("ui_rows_in_table", n=len(df))
        self.current.value = f"<p>{esc(text)}</p>" + (frame_html(df.tail(5)) if len(df) else "")

    # -- upload ---------------------------------------------------------------------------
    def _on_upload(self, change) -> None:
        files = change["new"]
        if files:
            f = files[0]
            self.check_file(f["name"], bytes(f["content"]))

    def check_file(self, name: str, content: bytes) -> bool:
        """Read and check an uploaded file for :attr:`table`; keep it only if clean."""
        self.pending, self.preview.value, self.message.value = None, "", ""
        self.import_button.disabled = True
        safe = Path(name).name or "upload.csv"  # never a path from the browser
        try:
            with tempfile.TemporaryDirectory(prefix="ik-upload-") as tmp:
                path = Path(tmp) / safe
                path.write_bytes(content)
                df = read_table(path, self.table.value)
        except ValidationError as exc:
            self.problems.value = error_html(exc, self.lang)
            return False
        except ImplementereError as exc:
            self.problems.value = error_html(exc, self.lang)
            return False
        self.problems.value = ""
        self.pending, self._pending_name = df, safe
        self.import_button.disabled = False
        self.preview.value = (f'<div class="ik-box ik-ok">{esc(self._t("ui_file_ok", n=len(df)))}'
                              f"</div>{frame_html(df.head(10))}")
        return True

    def import_file(self) -> bool:
        """Import the checked file (append or replace); nothing changes on a problem."""
        if self.pending is None:
            return False
        name = self.table.value
        try:
            if self.mode.value == "replace":
                self.project.set_table(name, self.pending, file=self._pending_name)
            else:
                self.project.append(name, self.pending, file=self._pending_name)
            self.project.save()
        except ImplementereError as exc:
            self.problems.value = error_html(exc, self.lang)
            return False
        n = len(self.pending)
        self.pending, self.preview.value = None, ""
        self.import_button.disabled = True
        self._show_current()
        self._ok(self._t("ui_imported", n=n))
        return True

    # -- manual entry -----------------------------------------------------------------------
    def _append(self, name: str, rows: pd.DataFrame, replace_mask=None) -> bool:
        try:
            # Checked alone first, so problems are numbered by the rows entered here.
            validate_table(rows, name)
            if replace_mask is not None:
                kept = self.project.table(name)[~replace_mask]
                self.project.set_table(name, pd.concat([kept, rows], ignore_index=True))
            else:
                self.project.append(name, rows)
            self.project.save()
        except ImplementereError as exc:
            self._fail(exc)
            return False
        self._show_current()
        self._ok(self._t("ui_imported", n=len(rows)))
        return True

    def add_row(self) -> bool:
        """Append the one-row form to :attr:`table`."""
        row = {}
        for name, w in self.fields.items():
            v = w.value
            row[name] = None if v in ("", None) else (v.strip() if isinstance(v, str) else v)
        return self._append(self.table.value, pd.DataFrame([row]))

    def load_register(self) -> None:
        """List the group's participants with a tick box each for this session."""
        parts = self.project.table("participants")
        group = self.group.value.strip()
        ids = parts.loc[parts["group_id"] == group, "participant_id"].tolist()
        att = self.project.table("attendance")
        here = att[(att["session_no"] == self.session_no.value) & att["participant_id"].isin(ids)]
        seen = dict(zip(here["participant_id"], here["attended"], strict=False))
        self.attended = {pid: W.Checkbox(value=bool(seen.get(pid, False)), description=str(pid),
                                         indent=False) for pid in ids}
        self.register.children = tuple(self.attended.values()) or (
            W.HTML(f"<i>{esc(self._t('ui_no_participants'))}</i>"),)

    def save_register(self) -> bool:
        """Save attendance for the session; earlier rows for it are replaced, not doubled."""
        if not self.attended:
            return False
        rows = pd.DataFrame({"participant_id": list(self.attended),
                             "session_no": self.session_no.value,
                             "attended": [w.value for w in self.attended.values()],
                             "makeup": False})
        att = self.project.table("attendance")
        same = (att["participant_id"].isin(self.attended) & (att["session_no"] ==
                self.session_no.value) & ~att["makeup"].fillna(False).astype(bool))
        return self._append("attendance", rows, replace_mask=same)

    def save_checklist(self) -> bool:
        """Save one session's fidelity checklist: one row per component of the intervention."""
        group, no = self.group.value.strip(), self.session_no.value
        blank = [self.project.intervention.component(c).name
                 for c, w in self.delivered.items() if not w.value]
        if blank:
            text = self._t("ui_not_scored", items=", ".join(blank))
            self.message.value = f'<div class="ik-box ik-fail">{esc(text)}</div>'
            return False
        when = self.date.value or dt.date.today()
        check_id = f"{self.project.site}-{group or 'x'}-{no}-{when.isoformat()}"
        rows = pd.DataFrame({"check_id": check_id, "site": self.project.site,
                             "group_id": group or None, "session_no": no,
                             "practitioner_id": self.practitioner.value.strip() or None,
                             "date": pd.Timestamp(when), "item": list(self.delivered),
                             "component": list(self.delivered),
                             "delivered": [w.value for w in self.delivered.values()]})
        return self._append("fidelity_checks", rows)
