"""Plan editor: the activities of the implementation plan, with the timeline chart.

Activities are added, edited, completed and removed through :class:`~implementere_kit.plans.plan.Plan`
(which validates every change) and saved at once. The table can be filtered by phase, core
element and owner; overdue activities are highlighted. The timeline
(:func:`implementere_kit.charts.plan_timeline`) is redrawn on every change on one reused
Figure, so a redraw costs the drawing and nothing else. The chart is shown as a PNG in an
``Image`` widget rather than re-displayed in an ``Output`` widget: one state message per
redraw, the same headless, in Jupyter and in Voila, and testable (the image bytes change).

References
----------
implementere.no, "Hva må du gjøre", Fase II: KE 3 "Velge og tilpasse
implementeringsstrategier" (the long-term implementation plan: tasks, roles, time).
https://implementere.no/hva-ma-du-gjore/ii-planlegge/
"""

from __future__ import annotations

import datetime as dt

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError
from ..plans.frameworks import load_framework
from ..plans.plan import STATUSES
from ..store.overview import plan_view, role_label
from ._base import (
    FigureView,
    Screen,
    chart_function,
    esc,
    frame_html,
    heading,
    set_heading,
    style_widget,
)

__all__ = ["PlanEditor"]

_ALL = "__all__"
_COLUMNS = ["activity_id", "phase", "core_element", "title", "owner", "start", "due", "status"]
_STYLE = {"description_width": "8em"}


def _date(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


class PlanEditor(Screen):
    """Edit the plan's activities; the table and the timeline follow every change.

    Parameters
    ----------
    project : Project
    lang : {"nb", "da", "en"}, optional
    as_of : date, optional
        The day "overdue" is judged on (default today).
    max_rows : int
        Rows shown in the table (the filters narrow it down).

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> ed = PlanEditor(demo_project(tmp, scale=0.05), as_of="2026-06-30")
    >>> ed.activity.value = ed.activity.options[0][1]
    >>> ed.status.value = "in_progress"
    >>> ed.save_button.click()
    >>> ed.project.plan.activity(ed.activity.value)["status"]
    'in_progress'
    """

    screen_id = "plan"

    def __init__(self, project, lang: str | None = None, *, as_of=None, max_rows: int = 200):
        self.framework = load_framework("implementere")
        self.as_of = as_of
        self.max_rows = max_rows
        self._titles: dict[str, str] = {}
        self._stored_title = ""
        super().__init__(project, lang)

    # -- building -------------------------------------------------------------------
    def _build(self) -> None:
        self.filter_phase = W.Dropdown(style=_STYLE)
        self.filter_element = W.Dropdown(style=_STYLE)
        self.filter_owner = W.Dropdown(style=_STYLE)
        self.only_overdue = W.Checkbox(indent=False)
        self.table = W.HTML()
        self.activity = W.Dropdown(layout=W.Layout(width="40em"), style=_STYLE)
        self.title = W.Text(layout=W.Layout(width="40em"), style=_STYLE)
        self.phase = W.Dropdown(style=_STYLE)
        self.core_element = W.Dropdown(style=_STYLE)
        self.owner = W.Combobox(ensure_option=False, style=_STYLE)
        self.start = W.DatePicker(style=_STYLE)
        self.due = W.DatePicker(style=_STYLE)
        self.status = W.Dropdown(style=_STYLE)
        self.notes = W.Textarea(layout=W.Layout(width="40em"), style=_STYLE)
        self.save_button = W.Button(button_style="primary", icon="save")
        self.complete_button = W.Button(button_style="success", icon="check")
        self.add_button = W.Button(icon="plus")
        self.remove_button = W.Button(button_style="danger", icon="trash")
        self.edit_heading, self.chart_heading = heading(), heading()
        # The timeline: one Figure reused for every redraw.
        self.chart = FigureView(width=10, height=5, constrained=False)
        chart_box = self.chart.image
        filters = W.HBox([self.filter_phase, self.filter_element, self.filter_owner,
                          self.only_overdue])
        buttons = W.HBox([self.save_button, self.complete_button, self.add_button,
                          self.remove_button])
        form = W.VBox([self.activity, self.title, W.HBox([self.phase, self.core_element]),
                       self.owner, W.HBox([self.start, self.due]), self.status, self.notes,
                       buttons])
        self.root = W.VBox([style_widget(), filters, self.table, self.edit_heading, form,
                            self.message, self.chart_heading, chart_box])
        for w in (self.filter_phase, self.filter_element, self.filter_owner, self.only_overdue):
            w.observe(self._on_filter, "value")
        self.activity.observe(self._on_select, "value")
        self.phase.observe(self._on_phase, "value")
        self.save_button.on_click(lambda _: self.save_activity())
        self.complete_button.on_click(lambda _: self.complete_activity())
        self.add_button.on_click(lambda _: self.add_activity())
        self.remove_button.on_click(lambda _: self.remove_activity())

    def _role(self, owner: str) -> str:
        return role_label(owner, self.lang)

    def _role_id(self, text: str) -> str:
        """A role's name (in any language) back to its id; other text as typed."""
        for role in self.framework.roles:
            if text in (role.id, *role.labels.values()):
                return role.id
        return text

    def _relabel(self) -> None:
        t, fw = self._t, self.framework
        phases = [(p.label(self.lang), p.id) for p in fw.phases]
        self._set_options(self.filter_phase, [(t("ui_all"), _ALL), *phases])
        self._set_options(self.filter_element, [(t("ui_all"), _ALL)] + [
            (f"{ce.id}: {ce.label(self.lang)}", ce.id) for ce in fw.core_elements])
        self._set_options(self.phase, phases)
        self._set_options(self.status, [(t(f"status_{s}"), s) for s in STATUSES])
        self.owner.options = tuple(r.label(self.lang) for r in fw.roles)
        labels = {"filter_phase": "phase", "filter_element": "core_element", "phase": "phase",
                  "core_element": "core_element", "title": "ui_title", "owner": "ui_owner",
                  "filter_owner": "ui_owner", "start": "ui_start", "due": "ui_due",
                  "status": "status", "notes": "ui_notes", "activity": "activity",
                  "only_overdue": "ui_only_overdue"}
        for attr, key in labels.items():
            getattr(self, attr).description = t(key)
        for button, key in ((self.save_button, "ui_save_changes"),
                            (self.complete_button, "ui_complete"),
                            (self.add_button, "ui_add_activity"),
                            (self.remove_button, "ui_remove")):
            button.description = t(key)
        set_heading(self.edit_heading, t("ui_edit_activity"))
        set_heading(self.chart_heading, t("ui_timeline"))
        self._on_phase({"new": self.phase.value})
        self.refresh()

    # -- views ------------------------------------------------------------------------
    def filtered(self) -> pd.DataFrame:
        """The activities that pass the filters, with an ``overdue`` column."""
        acts = self.project.plan.activities
        late = set(self.project.plan.overdue(as_of=self.as_of)["activity_id"])
        out = acts.assign(overdue=acts["activity_id"].isin(late))
        if self.filter_phase.value not in (None, _ALL):
            out = out[out["phase"] == self.filter_phase.value]
        if self.filter_element.value not in (None, _ALL):
            out = out[out["core_element"] == self.filter_element.value]
        if self.filter_owner.value not in (None, _ALL):
            out = out[out["owner"] == self.filter_owner.value]
        if self.only_overdue.value:
            out = out[out["overdue"]]
        return out

    def refresh(self) -> None:
        """Re-render the table, the activity list and the timeline from the plan."""
        acts = self.project.plan.activities
        owners = sorted(o for o in acts["owner"].dropna().unique() if o)
        with self._quiet():
            self._set_options(self.filter_owner, [(self._t("ui_all"), _ALL)] +
                              [(self._role(o), o) for o in owners])
        shown = self.filtered()
        view = plan_view(self.project, self.lang, as_of=self.as_of).loc[shown.index, _COLUMNS]
        self._titles = dict(zip(view["activity_id"], view["title"], strict=True))
        classes = ["ik-overdue" if late else ("ik-done" if st == "done" else "")
                   for late, st in zip(shown["overdue"], shown["status"], strict=True)]
        # The activity's id is the data's key, not something people read: rows and choices
        # are named by their titles.
        shown_cols = [c for c in _COLUMNS if c != "activity_id"]
        labels = {c: self._t(c if c in ("phase", "core_element", "status", "activity")
                             else f"ui_{c}") for c in shown_cols}
        n_late = int(shown["overdue"].sum())
        summary = self._t("ui_plan_summary", n=len(shown), total=len(acts), late=n_late)
        self.table.value = (f"<p>{esc(summary)}</p>" + frame_html(
            view[shown_cols], self.lang, labels=labels, row_classes=classes,
            max_rows=self.max_rows, more=self._t("ui_more_rows")))
        seen: dict[str, int] = {}
        options = []
        for aid in shown["activity_id"]:
            title = str(self._titles[aid])
            seen[title] = seen.get(title, 0) + 1  # two activities of one title stay apart
            options.append((title if seen[title] == 1 else f"{title} ({seen[title]})", aid))
        with self._quiet():
            self._set_options(self.activity, options)
            if self.activity.value is None and options:
                self.activity.value = options[0][1]
        self._fill_form()
        self.redraw()

    def redraw(self) -> None:
        """Redraw the timeline of the filtered activities."""
        acts = self.filtered()
        n = len(acts)
        height = max(3.0, min(12.0, 1.5 + 0.22 * n))
        if abs(self.chart.figure.get_figheight() - height) > 0.01:
            self.chart.figure.set_figheight(height)
        # plan_timeline labels each bar with its title up to 40 bars, else the element
        self.chart.margins(left=2.9 if n <= 40 else 0.9, right=0.2, top=0.4, bottom=1.1)
        try:
            self.chart.draw(chart_function("plan_timeline"), acts, as_of=self.as_of,
                            lang=self.lang)
        except ImplementereError as exc:
            self._fail(exc)

    # -- form -------------------------------------------------------------------------
    def _on_filter(self, change) -> None:
        if not self._busy:
            self.refresh()

    def _on_phase(self, change) -> None:
        phase = change["new"]
        if phase is None:
            return
        elements = [(f"{ce.id}: {ce.label(self.lang)}", ce.id)
                    for ce in self.framework.core_elements_in(phase)]
        self._set_options(self.core_element, elements)

    def _on_select(self, change) -> None:
        if not self._busy:
            self._fill_form()

    def _fill_form(self) -> None:
        aid = self.activity.value
        if aid is None or aid not in set(self.project.plan.activities["activity_id"]):
            return
        a = self.project.plan.activity(aid)
        with self._quiet():
            # a template title is shown in the screens' language; saved unchanged it stays
            # in the project's language (see _fields)
            self._stored_title = str(a["title"])
            self.title.value = self._titles.get(aid, self._stored_title)
            self.phase.value = a["phase"]
            self.core_element.value = int(a["core_element"])
            self.owner.value = self._role(a["owner"]) if isinstance(a["owner"], str) else ""
            self.start.value, self.due.value = _date(a["start"]), _date(a["due"])
            self.status.value = a["status"]
            self.notes.value = a["notes"] if isinstance(a["notes"], str) else ""

    def _fields(self) -> dict:
        title = self.title.value.strip()
        if title == self._titles.get(self.activity.value):
            title = self._stored_title
        return {"title": title, "phase": self.phase.value,
                "core_element": self.core_element.value,
                "owner": self._role_id(self.owner.value.strip()),
                "start": self.start.value, "due": self.due.value, "status": self.status.value,
                "notes": self.notes.value}

    def _apply(self, action, done_key: str) -> bool:
        try:
            action()
        except ImplementereError as exc:
            self._fail(exc)
            return False
        if not self._save():
            return False
        self.refresh()
        self._ok(self._t(done_key))
        return True

    # -- actions ----------------------------------------------------------------------
    def save_activity(self) -> bool:
        """Save the form into the selected activity."""
        aid = self.activity.value
        if aid is None:
            return False
        fields = self._fields()

        def save():
            plan = self.project.plan
            if (self.as_of is not None and fields["status"] == "done"
                    and pd.isna(plan.activity(aid)["completed"])):
                fields["completed"] = self.as_of  # done on the day the screen stands on
            plan.update(aid, **fields)

        return self._apply(save, "ui_saved")

    def complete_activity(self) -> bool:
        """Mark the selected activity done today (the screen's ``as_of`` day when it has one)."""
        aid = self.activity.value
        if aid is None:
            return False
        return self._apply(lambda: self.project.plan.complete(aid, date=self.as_of), "ui_saved")

    def add_activity(self) -> bool:
        """Add the form as a new activity and select it."""
        new: list[str] = []
        fields = self._fields()
        ok = self._apply(lambda: new.append(self.project.plan.add(**fields)), "ui_added")
        if ok and new[0] in [o[1] for o in self.activity.options]:
            self.activity.value = new[0]
        return ok

    def remove_activity(self) -> bool:
        """Remove the selected activity."""
        aid = self.activity.value
        if aid is None:
            return False
        return self._apply(lambda: self.project.plan.remove(aid), "ui_removed")
