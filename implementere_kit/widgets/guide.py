"""Phase guide: the four phases and nine core elements of implementere.no, with their
checklists and tools, and what is done and what comes next.

Ticking a checklist item or answering a question is saved to the project at once
(:meth:`Plan.answer <implementere_kit.plans.plan.Plan.answer>` then :meth:`Project.save
<implementere_kit.store.project.Project.save>`), so closing the browser loses nothing.

References
----------
implementere.no, "Hva må du gjøre" (four phases, nine core elements, tools per element),
https://implementere.no/hva-ma-du-gjore/
"""

from __future__ import annotations

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError
from ..i18n import fmt_date, fmt_percent
from ..plans.frameworks import load_framework
from ..store.overview import activity_titles, phase_overview
from ._base import Screen, esc, frame_html, style_widget

__all__ = ["PhaseGuide"]

# Top-level checklists of Fase I shown with the phase's core elements.
_EXTRA = {"forberede": ("implementere_tiltak", "utvikle_tiltak")}


class PhaseGuide(Screen):
    """Guide through the phases; every tick and answer is saved to the project.

    Parameters
    ----------
    project : Project
    lang : {"nb", "da", "en"}, optional
    phases : list of str, optional
        Phases to show (default all four): ``forberede``, ``planlegge``, ``implementere``,
        ``viderefore``.
    as_of : date, optional
        The day "overdue" is judged on (default today).

    Attributes
    ----------
    checks, answers : dict
        ``(checklist_id, question_id)`` → the item's Checkbox / answer Text.
    status : HTML
        Progress per phase, the current phase and what is next.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> g = PhaseGuide(demo_project(tmp, scale=0.05), phases=["forberede"])
    >>> g.checks[("ke1", "meets_need")].value = True   # saved at once
    >>> from implementere_kit import Project
    >>> bool(Project.open(g.project.path).plan.checklist_answers["done"].any())
    True
    """

    screen_id = "guide"

    def __init__(self, project, lang: str | None = None, *, phases=None, as_of=None):
        self.framework = load_framework("implementere")
        known = [p.id for p in self.framework.phases]
        for p in phases or ():
            self.framework.phase(p)  # raises UnknownNameError for a wrong phase
        self.phases = [p for p in known if phases is None or p in phases]
        self.as_of = as_of
        super().__init__(project, lang)

    # -- building -------------------------------------------------------------------
    def _checklists(self, phase: str) -> list[tuple[str, object, object]]:
        """(checklist id, checklist, core element or None) shown in a phase."""
        out = [(f"ke{ce.id}", ce.checklist, ce) for ce in self.framework.core_elements_in(phase)]
        for cid in _EXTRA.get(phase, ()):
            if cid == "utvikle_tiltak" and self.project.intervention.type != "self-developed":
                continue
            out.append((cid, self.framework.checklists[cid], None))
        return out

    def _build(self) -> None:
        done = self.project.plan.checklist_answers
        known = {(r.checklist_id, r.question_id): r for r in done.itertuples(index=False)}
        self.checks: dict[tuple[str, str], W.Checkbox] = {}
        self.answers: dict[tuple[str, str], W.Text] = {}
        self._questions: dict[tuple[str, str], W.HTML] = {}
        self._element_texts: dict[str, W.HTML] = {}
        self.accordions: dict[str, W.Accordion] = {}
        self._phase_texts: dict[str, W.HTML] = {}
        pages = []
        for phase in self.phases:
            sections = []
            for cid, checklist, _ in self._checklists(phase):
                rows = []
                for item in checklist:
                    key = (cid, item.id)
                    prev = known.get(key)
                    check = W.Checkbox(value=bool(prev.done) if prev is not None else False,
                                       indent=False, layout=W.Layout(width="2em"))
                    check.add_class(f"ik-q-{cid}-{item.id}")
                    answer = W.Text(value=(prev.answer or "") if prev is not None and
                                    isinstance(prev.answer, str) else "",
                                    continuous_update=False, layout=W.Layout(width="22em"))
                    answer.add_class(f"ik-a-{cid}-{item.id}")
                    label = W.HTML(layout=W.Layout(width="28em"))
                    check.observe(lambda ch, k=key: self._record(k), "value")
                    answer.observe(lambda ch, k=key: self._record(k), "value")
                    self.checks[key], self.answers[key], self._questions[key] = check, answer, label
                    rows.append(W.HBox([check, label, answer]))
                self._element_texts[cid] = W.HTML()
                sections.append(W.VBox([self._element_texts[cid], *rows]))
            acc = W.Accordion(children=sections)
            if sections:
                acc.selected_index = 0
            self.accordions[phase] = acc
            self._phase_texts[phase] = W.HTML()
            pages.append(W.VBox([self._phase_texts[phase], acc]))
        self.tabs = W.Tab(children=pages)
        self.status = W.HTML()
        self.root = W.VBox([style_widget(), self.status, self.message, self.tabs])

    def _relabel(self) -> None:
        lang = self.lang
        for phase in self.phases:
            ph = self.framework.phase(phase)
            self._phase_texts[phase].value = f"<p>{esc(ph.description(lang))}</p>"
            for cid, checklist, ce in self._checklists(phase):
                for item in checklist:
                    self._questions[(cid, item.id)].value = esc(item.label(lang))
                    self.answers[(cid, item.id)].placeholder = self._t("ui_answer_placeholder")
                self._element_texts[cid].value = self._element_html(checklist, ce)
        self.tabs.titles = tuple(self.framework.phase(p).label(lang) for p in self.phases)
        self._refresh_status()

    def _element_html(self, checklist, ce) -> str:
        lang = self.lang
        if ce is None:
            return f"<p><i>{esc(checklist.source)}</i></p>"
        tools = "".join(f"<li>{esc(tool.label(lang))} <small>({esc(self._t(f'ui_tool_{tool.kind}'))})"
                        f"</small></li>" for tool in ce.tools)
        link = ce.source.split(" ")[0] if ce.source.startswith("http") else ""
        more = (f'<a href="{esc(link)}" target="_blank" rel="noopener">{esc(self._t("ui_read_more"))}'
                f"</a>") if link else ""
        return (f"<p>{esc(ce.description(lang))} {more}</p>"
                f"<b>{esc(self._t('ui_tools'))}</b><ul>{tools}</ul>"
                f"<b>{esc(self._t('ui_checklist'))}</b>")

    # -- saving -----------------------------------------------------------------------
    def _record(self, key: tuple[str, str]) -> None:
        if self._busy:
            return
        cid, qid = key
        text = self.answers[key].value.strip()
        try:
            self.project.plan.answer(cid, qid, answer=text or None, done=self.checks[key].value)
        except ImplementereError as exc:
            self._fail(exc)
            return
        if not self._save():
            return
        self._ok(self._t("ui_saved"))
        self._refresh_status()

    # -- status -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read progress and next steps from the project."""
        self._refresh_status()

    def progress(self) -> pd.DataFrame:
        """Per phase: share of plan activities done and of checklist questions ticked."""
        return phase_overview(self.project, as_of=self.as_of)

    def next_steps(self, n: int = 3) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        """The next open activities (by due date) and unticked questions of the current phase."""
        plan = self.project.plan
        acts = plan.activities
        todo = acts[acts["status"].isin(("todo", "in_progress"))].sort_values(["due", "activity_id"])
        current = plan.current_phase()
        open_q = [k for cid, _, ce in self._checklists_all(current)
                  for k in self.checks if k[0] == cid and not self.checks[k].value]
        return todo.head(n), open_q[:n]

    def _checklists_all(self, phase: str):
        return self._checklists(phase) if phase in self.phases else []

    def _refresh_status(self) -> None:
        lang, fw = self.lang, self.framework
        prog = self.progress()
        current = self.project.plan.current_phase()
        table = pd.DataFrame({
            self._t("phase"): [fw.phase(p).label(lang) for p in prog["phase"]],
            self._t("share_done"): [fmt_percent(v, lang) for v in prog["share_done"]],
            self._t("ui_checklist"): [f"{d}/{n}" for d, n in zip(prog["checklist_done"],
                                                                prog["checklist_total"],
                                                                strict=True)],
            self._t("n_overdue"): prog["n_overdue"],
        })
        marks = ["ik-current" if p == current else "" for p in prog["phase"]]
        acts, questions = self.next_steps()
        titles = activity_titles(acts, lang, self.project.intervention)
        items = [f"<li>{esc(title)} <small>({esc(self._t('ui_due'))} "
                 f"{esc(fmt_date(due, lang))})</small></li>"
                 for title, due in zip(titles, acts["due"], strict=True)]
        items += [f"<li>☐ {self._questions[k].value}</li>" for k in questions]
        self.status.value = (
            f"<h3>{esc(self._t('current_phase'))}: {esc(fw.phase(current).label(lang))}</h3>"
            f"{frame_html(table, lang, labels={c: c for c in table.columns}, row_classes=marks)}"
            f"<b>{esc(self._t('ui_next'))}</b><ul>{''.join(items)}</ul>")
        for phase in self.phases:
            titles = []
            for cid, checklist, ce in self._checklists(phase):
                n_done = sum(self.checks[(cid, i.id)].value for i in checklist)
                name = (f"{self._t('core_element')} {ce.id}: {ce.label(lang)}" if ce is not None
                        else checklist.label(lang))
                titles.append(f"{name} ({n_done}/{len(checklist)})")
            self.accordions[phase].titles = tuple(titles)
