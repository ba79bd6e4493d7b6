"""An editable grid for the tables staff keep by hand (participants, sessions, staff,
barriers, adaptations, costs …).

One page of rows at a time, one input per cell chosen by the column's type in
``schemas/tables.yaml`` (text, date picker, a yes/no or fixed-choice list in the screen's
language). The key of a stored row cannot be edited — a different key is a different row —
and a row is removed by ticking it. Saving goes through the same checks as a file import
(:func:`~implementere_kit.store.imports.plan_import`): if any row is refused, nothing is
stored and the grid keeps what was typed.
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError, Problem, ValidationError
from ..i18n import column_label, fmt_value, value_label
from ..store.imports import (
    apply_import,
    import_key,
    plan_import,
    removal_problems,
    remove_rows,
)
from ..store.tables import table_schema
from ._base import Screen, esc

__all__ = ["TableGrid"]

_CELL = W.Layout(width="9.5em")
_HIDDEN = ("site",)  # filled with the project's own code


class TableGrid(Screen):
    """Edit ``table`` of ``project`` in place, a page at a time.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> g = TableGrid(demo_project(tmp, scale=0.05), "en", table="staff")
    >>> g.cells[0]["role"].value = "veileder"
    >>> g.save_button.click()
    >>> g.project.table("staff")["role"].iloc[0]
    'veileder'
    """

    screen_id = "grid"

    def __init__(self, project, lang: str | None = None, *, table: str = "participants",
                 page_size: int = 12):
        self.table = table
        self.page_size = page_size
        self.page = 0
        super().__init__(project, lang)

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.header = W.HBox()
        self.rows = W.VBox()
        self.pager = W.HTML()
        self.prev_button, self.next_button = W.Button(icon="chevron-left"), W.Button(
            icon="chevron-right")
        self.add_button = W.Button(icon="plus")
        self.save_button = W.Button(button_style="primary", icon="save")
        self.save_button.add_class("ik-grid-save")
        self.cells: list[dict[str, W.Widget]] = []
        self.remove: list[W.Checkbox] = []
        self._stored: list[int | None] = []  # position in the table, None for a new row
        self.root = W.VBox([self.header, self.rows,
                            W.HBox([self.prev_button, self.pager, self.next_button]),
                            W.HBox([self.add_button, self.save_button]), self.message])
        self.prev_button.on_click(lambda _: self.show_page(self.page - 1))
        self.next_button.on_click(lambda _: self.show_page(self.page + 1))
        self.add_button.on_click(lambda _: self.add_row())
        self.save_button.on_click(lambda _: self.save())

    def _relabel(self) -> None:
        self.add_button.description = self._t("ui_add_row")
        self.save_button.description = self._t("ui_save_changes")
        self.show_page(self.page)

    @property
    def columns(self) -> list[dict]:
        return [f for f in table_schema(self.table).fields if f["name"] not in _HIDDEN]

    def set_table(self, table: str) -> None:
        """Show another table (unsaved edits of this one are dropped)."""
        self.table, self.page = table, 0
        self.message.value = ""
        self.show_page(0)

    def _input(self, field: dict, value, locked: bool) -> W.Widget:
        name, kind = field["name"], field["type"]
        if locked:
            w = W.HTML(f"<b>{esc(fmt_value(value, self.lang))}</b>", layout=_CELL)
            w.stored = value
            return w
        blank = value is None or (not isinstance(value, str) and pd.isna(value))
        if field.get("enum"):
            options = [("–", None), *((self._choice(name, v), v) for v in field["enum"])]
            return W.Dropdown(options=options, value=None if blank else value, layout=_CELL)
        if kind == "boolean":
            options = [("–", None), (self._t("value_yes"), True), (self._t("value_no"), False)]
            return W.Dropdown(options=options, value=None if blank else bool(value),
                              layout=_CELL)
        if kind == "date":
            return W.DatePicker(value=None if blank else pd.Timestamp(value).date(),
                                layout=_CELL)
        if blank:
            text = ""
        elif kind == "integer":
            text = str(int(value))
        elif kind == "number":
            text = f"{float(value):g}"
        else:
            text = str(value)
        return W.Text(value=text, layout=_CELL)

    def _choice(self, column: str, value) -> str:
        """A fixed-choice value as the screen's language names it (the barrier, FRAME and
        cost codes have their labels in :mod:`~implementere_kit.learning.vocabulary`)."""
        from ..learning.vocabulary import PREFIX
        from ..learning.vocabulary import value_label as coded_label

        if (self.table, column) in PREFIX:
            return coded_label(self.table, column, value, self.lang)
        return str(value_label(column, value, self.lang))

    def _row_widgets(self, values: dict, stored: int | None) -> W.HBox:
        key = set(import_key(self.table))
        cells = {f["name"]: self._input(f, values.get(f["name"]),
                                        locked=stored is not None and f["name"] in key)
                 for f in self.columns}
        remove = W.Checkbox(indent=False, layout=W.Layout(width="2.5em"),
                            disabled=stored is None)
        self.cells.append(cells)
        self.remove.append(remove)
        self._stored.append(stored)
        return W.HBox([remove, *cells.values()])

    def show_page(self, page: int) -> None:
        """Show page ``page`` (0-based) of the stored rows."""
        df = self.project.table(self.table)
        last = max(0, (len(df) - 1) // self.page_size)
        self.page = min(max(0, page), last)
        lo = self.page * self.page_size
        chunk = df.iloc[lo:lo + self.page_size]
        self.cells, self.remove, self._stored = [], [], []
        heads = [W.HTML(f"<small>{esc(self._t('ui_remove'))}</small>",
                        layout=W.Layout(width="2.5em"))]
        required = set(table_schema(self.table).required)
        heads += [W.HTML(f"<b>{esc(column_label(f['name'], self.lang))}"
                         f"{' *' if f['name'] in required else ''}</b>", layout=_CELL)
                  for f in self.columns]
        self.header.children = heads
        self.rows.children = [self._row_widgets(r._asdict(), lo + i) for i, r in
                              enumerate(chunk.itertuples(index=False))]
        shown = self._t("ui_rows_shown", a=lo + 1 if len(df) else 0, b=lo + len(chunk),
                        n=len(df))
        self.pager.value = f"<small>{esc(shown)}</small>"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= last

    def add_row(self) -> None:
        """An empty row at the end of the page, every column editable."""
        self.rows.children = (*self.rows.children, self._row_widgets({}, None))

    # -- saving ---------------------------------------------------------------------------
    def _value(self, w: W.Widget):
        if isinstance(w, W.HTML):
            return w.stored
        v = w.value
        if isinstance(v, str):
            return v.strip() or None
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    def frame(self) -> pd.DataFrame:
        """The rows of the page as typed (new rows included, blank new rows left out)."""
        recs = []
        for cells, stored in zip(self.cells, self._stored, strict=True):
            rec = {name: self._value(w) for name, w in cells.items()}
            if stored is None and all(v is None for v in rec.values()):
                continue
            recs.append({"site": self.project.site, **rec})
        cols = ["site", *(f["name"] for f in self.columns)]
        return pd.DataFrame(recs, columns=cols).astype(object)

    def save(self) -> bool:
        """Store the page's changes and new rows, and remove the ticked rows — or nothing."""
        key = list(import_key(self.table))
        rows = self.frame()
        gone = [stored for stored, box in zip(self._stored, self.remove, strict=True)
                if box.value and stored is not None]
        doomed = self.project.table(self.table).iloc[gone][key]
        try:
            # every check first, so a refusal leaves the project exactly as it was
            preview = plan_import(self.project, self.table, rows)
            problems = removal_problems(self.project, self.table, doomed)
            if len(preview.refused) or problems:
                view = preview.refused_view(self.lang)
                raise ValidationError([Problem(r.reason, row=int(r.row), column=r.column,
                                               found=r.found) for r in view.itertuples()]
                                      + problems)
            if preview.ready:
                apply_import(self.project, preview)
            if gone:
                remove_rows(self.project, self.table, doomed)
        except ImplementereError as exc:
            self._fail(exc)
            return False
        if not self._save():
            return False
        self.show_page(self.page)
        self._ok(self._t("ui_grid_saved", **preview.counts, removed=len(gone)))
        return True
