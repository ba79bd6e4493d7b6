"""Dashboard: where the project stands — plan progress, SIC stage, fidelity, implementation
outcomes, and the network comparison once a share-back package has been opened.

All numbers come from the library (:mod:`~implementere_kit.plans.progress`,
:mod:`~implementere_kit.measures.fidelity`, :mod:`~implementere_kit.measures.outcomes`); charts from
:mod:`implementere_kit.charts`, with a table instead when a chart is not available. A section
whose data are missing or invalid says so and the others still show.

References
----------
Chamberlain P, Brown CH, Saldana L (2011). Observational measure of implementation progress
in community based settings: the Stages of Implementation Completion (SIC). Implementation
Science 6:116. Proctor E et al. (2011). Outcomes for implementation research. Adm Policy
Ment Health 38:65–76.
"""

from __future__ import annotations

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError, UnknownNameError
from ..store.overview import phase_label
from ._base import (
    FigureView,
    Screen,
    chart_function,
    error_html,
    esc,
    frame_html,
    share_back_view,
    style_widget,
)

__all__ = ["Dashboard", "SECTIONS"]

SECTIONS = ("progress", "sic", "fidelity", "outcomes", "network")


class Dashboard(Screen):
    """Progress, SIC stage, fidelity, outcomes and network comparison of one project.

    Parameters
    ----------
    project : Project
    lang : {"nb", "da", "en"}, optional
    as_of : date, optional
        The day the figures describe (default today).
    sections : sequence of str, optional
        The sections to show, of :data:`SECTIONS` (default all).

    Attributes
    ----------
    sections : dict
        Section name (:data:`SECTIONS`) → its HTML text widget.
    figures : dict
        Chart name → :class:`~implementere_kit.widgets._base.FigureView`.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> d = Dashboard(demo_project(tmp, scale=0.05), as_of="2026-06-30")
    >>> "8" in d.sections["sic"].value      # the demo site reached SIC stage 8
    True
    """

    screen_id = "dashboard"

    def __init__(self, project, lang: str | None = None, *, as_of=None, sections=SECTIONS):
        unknown = [s for s in sections if s not in SECTIONS]
        if unknown:
            raise UnknownNameError("dashboard section", unknown[0], SECTIONS)
        self.as_of = as_of
        self._names = [s for s in SECTIONS if s in sections]
        super().__init__(project, lang)

    def _build(self) -> None:
        self.refresh_button = W.Button(icon="refresh")
        self.sections = {k: W.HTML() for k in self._names}
        self.figures: dict[str, FigureView] = {}
        self._boxes = {k: W.VBox([self.sections[k]]) for k in self._names}
        self.indicator = W.Dropdown()
        self.indicator.observe(lambda _: None if self._busy else self._funnel(), "value")
        self.root = W.VBox([style_widget(), self.refresh_button, self.message,
                            *self._boxes.values()])
        self.refresh_button.on_click(lambda _: self.refresh())

    def _relabel(self) -> None:
        self.refresh_button.description = self._t("ui_refresh")
        self.indicator.description = self._t("ui_indicator")
        self.refresh()

    # -- helpers ------------------------------------------------------------------------
    def _figure(self, name: str, section: str, chart: str, *args, **kwargs) -> None:
        """Draw ``charts.<chart>`` into the section's figure."""
        fn = chart_function(chart)
        view = self.figures.get(name)
        if view is None:
            view = self.figures[name] = FigureView(width=7, height=3.6)
            box = self._boxes[section]
            box.children = (*box.children, view.image)
        view.draw(fn, *args, lang=self.lang, **kwargs)

    def _head(self, key: str) -> str:
        return f"<h3>{esc(self._t(key))}</h3>"

    def refresh(self) -> None:
        """Recompute every section from the project."""
        for name in self._names:
            try:
                getattr(self, f"_{name}")()
            except ImplementereError as exc:
                self.sections[name].value = self._head(f"ui_dash_{name}") + error_html(
                    exc, self.lang)

    # -- sections -----------------------------------------------------------------------
    def _progress(self) -> None:

        plan = self.project.plan
        prog = plan.progress(as_of=self.as_of, by=("phase",))
        current = phase_label(plan.current_phase(), self.lang)
        text = f"<p>{esc(self._t('current_phase'))}: <b>{esc(current)}</b></p>"
        self._figure("progress", "progress", "phase_progress_chart", prog)
        self.sections["progress"].value = self._head("ui_dash_progress") + text

    def _sic(self) -> None:
        from ..plans.progress import sic_scores, sic_summary

        events = self.project.sic_events()
        if events.empty:
            self.sections["sic"].value = self._head("ui_dash_sic") + self._nodata()
            return
        summary = sic_summary(events).iloc[0]
        text = self._t("ui_sic_reached", stage=int(summary["stage_reached"]))
        self._figure("sic", "sic", "sic_chart", sic_scores(events))
        self.sections["sic"].value = self._head("ui_dash_sic") + f"<p><b>{esc(text)}</b></p>"

    def _fidelity(self) -> None:
        from ..measures.fidelity import adherence, attendance_summary

        p, iv = self.project, self.project.intervention
        checks, att = p.table("fidelity_checks"), p.table("attendance")
        parts = []
        if len(checks):
            by_comp = adherence(checks, threshold=iv.fidelity_threshold, by=("component",))
            cols = [c for c in ("component", "kind", "n_checks", "adherence", "meets_threshold")
                    if c in by_comp.columns]
            names = {c.id: c.label(self.lang) for c in iv.components}
            parts.append(f"<b>{esc(self._t('ui_adherence_by_component'))}</b>" + frame_html(
                by_comp[cols], self.lang, percent=["adherence"],
                values={"component": lambda c: names.get(c, c),
                        "kind": lambda k: self._t(f"ui_kind_{k}")}))
            monthly = adherence(checks, threshold=iv.fidelity_threshold, by=("month",))
            self._figure("fidelity", "fidelity", "fidelity_run_chart", monthly,
                         threshold=iv.fidelity_threshold)
        if len(att) and iv.dosage is not None:
            summary = attendance_summary(att, iv.dosage, p.table("participants") if len(
                p.table("participants")) else None)
            # the catalogue's completion, as every report shows it: one number, one definition
            m = self._measures().set_index("measure").loc["completion"]
            parts.insert(0, f"<p>{esc(m['label'])}: <b>{esc(self._value(m))}</b></p>")
            self._figure("attendance", "fidelity", "attendance_histogram", summary, iv.dosage)
        self.sections["fidelity"].value = (self._head("ui_dash_fidelity")
                                           + ("".join(parts) or self._nodata()))

    def _measures(self) -> pd.DataFrame:
        """The catalogue's measures of this project as of the dashboard's date."""
        from ..measures.summary import site_measures

        return site_measures(self.project, as_of=self.as_of, lang=self.lang)

    def _value(self, row) -> str:
        from ..measures.catalogue import format_value

        if bool(row["suppressed"]) or pd.isna(row["value"]):
            return row["note"] or "–"
        return format_value(row["value"], row["unit"], self.lang)

    def _outcomes(self) -> None:
        out = self._measures()
        out = out[out["section"] == "outcomes"]
        view = pd.DataFrame({
            self._t("col_measure"): out["label"],
            self._t("col_value"): [self._value(r) for _, r in out.iterrows()],
            self._t("col_n"): out["n"],
            self._t("col_note"): out["note"]})
        self.sections["outcomes"].value = (self._head("ui_dash_outcomes")
                                           + frame_html(view, self.lang))

    def _network(self) -> None:
        bench = self.project.table("benchmarks")
        if bench.empty:
            self.sections["network"].value = (self._head("ui_dash_network")
                                              + f"<p><i>{esc(self._t('ui_no_share_back'))}</i></p>")
            return
        from ..measures.catalogue import measure

        whole = bench[bench["period"].astype(str) == "all"] if "period" in bench else bench
        view = share_back_view(bench, self.lang)
        self.sections["network"].value = self._head("ui_dash_network") + frame_html(
            view, self.lang)
        # funnel plots are for shares
        codes = [c for c in dict.fromkeys(whole["indicator"].dropna()) if measure(c).is_share]
        with self._quiet():
            self._set_options(self.indicator, [(measure(c).label(self.lang), c) for c in codes])
            if self.indicator.value is None and codes:
                self.indicator.value = codes[0]
        box = self._boxes["network"]
        if self.indicator not in box.children:
            box.children = (*box.children, self.indicator)
        self._funnel()

    def _funnel(self) -> None:
        if self.indicator.value is None:
            return
        try:
            self._figure("funnel", "network", "funnel_plot", self.project.table("benchmarks"),
                         self.indicator.value, highlight=self.project.site)
        except ImplementereError as exc:
            self._fail(exc)

    def _nodata(self) -> str:
        return f"<p><i>{esc(self._t('ui_no_data'))}</i></p>"

    def summary(self) -> pd.DataFrame:
        """The figures at a glance: current phase, SIC stage reached, rows per data table."""
        from ..plans.progress import sic_summary

        events = self.project.sic_events()
        stage = int(sic_summary(events).iloc[0]["stage_reached"]) if len(events) else 0
        return pd.DataFrame([{"current_phase": self.project.plan.current_phase(),
                              "stage_reached": stage,
                              "n_fidelity_checks": len(self.project.table("fidelity_checks")),
                              "n_attendance": len(self.project.table("attendance"))}])
