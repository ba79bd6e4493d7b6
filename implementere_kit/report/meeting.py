"""The network meeting pack: what a network meeting is run from, as HTML or Excel.

:func:`meeting_report` reads a network store (or a list of project folders) through
:func:`implementere_kit.learning.meetings.meeting_pack` — each site's position per
intervention, barriers and the solutions that helped across sites, adaptations across
sites, themes for discussion and the actions agreed last time — and
:func:`build_meeting_pack` turns it into a self-contained HTML file with the
``meeting_pack`` notebook (the same papermill machinery as the other reports) or an Excel
workbook. ``implementere-kit report --network STORE --meeting -o pack.html`` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError
from ..i18n import check_lang, t
from ._sections import MarkdownText, md_escape, md_text

__all__ = ["MeetingReport", "meeting_report", "build_meeting_pack"]


@dataclass
class MeetingReport:
    """The meeting pack's tables in one language; :meth:`section` gives what to show."""

    lang: str
    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp

    def export_tables(self) -> dict[str, pd.DataFrame]:
        """The pack's tables for Excel: what the HTML shows, in the pack's language."""
        from ..learning.meetings import PACK_TABLES

        return {name: self.view(name) for name in PACK_TABLES}

    def view(self, name: str) -> pd.DataFrame:
        """One table of the pack as people read it: coded values, phases, interventions and
        components by their names in :attr:`lang` (the HTML and the workbook show this)."""
        from ..learning.vocabulary import label_values

        L, tab = self.lang, self.tables
        intervention_labels = _intervention_labels(tab["sites"]["intervention"], L)
        if name == "sites":
            pos = tab["sites"]
            return pos.assign(current_phase=[t(p, L) if isinstance(p, str) else "–"
                                             for p in pos["current_phase"]],
                              intervention=pos["intervention"].map(intervention_labels))
        if name == "barriers":
            b = tab["barriers"]
            b = label_values(b, "barriers", L).assign(phase=[t(p, L) for p in b["phase"]])
            return b[["phase", "domain", "topic", "n", "n_sites", "n_open", "n_resolved",
                      "n_helped"]]
        if name == "solutions":
            s = tab["solutions"]
            s = label_values(s, "barriers", L).assign(cases=[" · ".join(c) for c in s["cases"]])
            return s[["topic", "strategy", "n_sites", "sites_helped", "share_helped",
                      "recommended", "cases"]]
        if name == "adaptations":  # FRAME answers (rows) by site (columns)
            prof = tab["adaptations"]
            prof = prof[prof["value"] != "not_coded"]
            if prof.empty:
                return pd.DataFrame(columns=["dimension", "value"])
            wide = prof.pivot_table(index=["dimension", "value"], columns="site", values="n",
                                    aggfunc="sum", fill_value=0).reset_index()
            wide = wide[wide.drop(columns=["dimension", "value"]).sum(axis=1) > 0]
            wide["value"] = [t(f"{_prefix(d)}_{v}", L) for d, v in zip(wide["dimension"],
                                                                       wide["value"], strict=True)]
            wide["dimension"] = [t(f"frame_{d}", L) for d in wide["dimension"]]
            wide.columns = [str(c) for c in wide.columns]
            return wide.reset_index(drop=True)
        if name == "core_adaptations":
            core = tab["core_adaptations"]
            names = _component_names(tab["sites"]["intervention"], L)
            shown = core[["site", "date", "component", "what", "fidelity"]].assign(
                component=core["component"].map(lambda c: names.get(c, c)))
            return label_values(shown, "adaptations", L)
        if name == "themes":
            return tab["themes"][["sites", "theme"]]
        if name == "previous_actions":
            prev = tab["previous_actions"]
            if "intervention" in prev:
                prev = prev.assign(intervention=[
                    _intervention_labels([i], L)[str(i)] if isinstance(i, str) else "–"
                    for i in prev["intervention"]])
            return prev
        raise KeyError(name)

    def section(self, name: str) -> list:
        from ._sections import heading, styled

        L, tab = self.lang, self.tables
        pos = tab["sites"]
        if name == "title":
            labels = _intervention_labels(pos["intervention"], L)
            return [heading("meeting_title", L, level=1),
                    md_text("meeting_summary", L, n_sites=len(pos),
                                   interventions=", ".join(sorted(set(labels.values()))),
                                   date=self.as_of.date().isoformat())]
        if name == "sites":
            return [heading("meeting_section_sites", L),
                    styled(self.view("sites"), L, percent=["share_plan_done"])]
        if name == "themes":
            th = tab["themes"]
            body = (MarkdownText("\n".join(f"- {md_escape(x)}" for x in th["theme"])) if len(th)
                    else md_text("meeting_no_themes", L))
            return [heading("meeting_section_themes", L), body]
        if name == "barriers":
            if tab["barriers"].empty:
                return [heading("meeting_section_barriers", L),
                        md_text("report_no_barriers", L)]
            return [heading("meeting_section_barriers", L), styled(self.view("barriers"), L)]
        if name == "solutions":
            if tab["solutions"].empty:
                return [heading("meeting_section_solutions", L),
                        md_text("report_no_network_advice", L)]
            return [heading("meeting_section_solutions", L),
                    styled(self.view("solutions"), L, percent=["share_helped"])]
        if name == "adaptations":
            items: list = [heading("meeting_section_adaptations", L)]
            if tab["adaptations"].empty:
                return [*items, md_text("report_no_frame", L)]
            items.append(styled(self.view("adaptations"), L))
            if len(tab["core_adaptations"]):
                items.append(heading("report_core_adaptations_title", L, level=3))
                items.append(styled(self.view("core_adaptations"), L))
            return items
        if name == "previous":
            if tab["previous_actions"].empty:
                return [heading("meeting_section_previous", L),
                        md_text("meeting_no_previous", L)]
            return [heading("meeting_section_previous", L),
                    styled(self.view("previous_actions"), L)]
        raise KeyError(name)


def _interventions(ids):
    from ..errors import UnknownNameError
    from ..plans.intervention import load_intervention

    out = {}
    for i in set(map(str, ids)):
        try:
            out[i] = load_intervention(i)
        except (UnknownNameError, ValidationError):
            out[i] = None  # an intervention of a site's own: shown by its id
    return out


def _intervention_labels(ids, lang: str) -> dict[str, str]:
    return {i: iv.label(lang) if iv is not None else i for i, iv in _interventions(ids).items()}


def _component_names(ids, lang: str) -> dict[str, str]:
    return {c.id: c.label(lang) for iv in _interventions(ids).values() if iv is not None
            for c in iv.components}


def _prefix(dimension: str) -> str:
    from ..learning.vocabulary import PREFIX

    return PREFIX[("adaptations", dimension)]


def meeting_report(source, lang: str = "nb", *, intervention: str | None = None,
                   as_of=None, meetings=None) -> MeetingReport:
    """The meeting pack of a network store (or list of project folders) in ``lang``.

    Raises
    ------
    ValidationError
        When ``source`` is a path to nothing.
    """
    from ..learning.meetings import meeting_pack

    check_lang(lang)
    if isinstance(source, str | Path) and not Path(source).exists():
        raise ValidationError([Problem("no network store or project here", file=str(source),
                                       expected="a DuckDB file made by NetworkStore or a "
                                                "project folder", found="nothing")])
    when = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    tables = meeting_pack(source, meetings=meetings, intervention=intervention, as_of=when,
                          lang=lang)
    return MeetingReport(lang, tables, when)


def build_meeting_pack(store_path, out, *, lang: str = "nb", intervention: str | None = None,
                       fmt: str = "html", as_of=None) -> Path:
    """Write the meeting pack of a network store as HTML (notebook) or Excel."""
    from .._io import atomic_write_bytes
    from ._render import _check_format, _run_notebook
    from ._xlsx import write_xlsx

    _check_format(fmt)
    report = meeting_report(store_path, lang, intervention=intervention, as_of=as_of)
    if fmt == "xlsx":
        return write_xlsx(report.export_tables(), out, lang=lang)
    params = {"store_path": str(Path(store_path).resolve()), "lang": lang,
              "intervention": intervention, "as_of": report.as_of.date().isoformat()}
    html = _run_notebook("meeting", params, t("meeting_title", lang))
    return atomic_write_bytes(out, html.encode("utf-8"))
