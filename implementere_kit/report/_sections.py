"""The sections of the evaluation report: headings, tables and figures, in display order.

Figures are ``matplotlib.figure.Figure`` objects made without pyplot, so nothing shows
twice in a notebook and nothing is left open in a long-running process.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..i18n import t

if TYPE_CHECKING:  # the evaluation calls the sections; they only read it
    from .evaluation import Evaluation

__all__ = ["SECTIONS", "MarkdownText", "heading", "figure", "styled", "md_escape", "md_text"]


class MarkdownText(str):
    """Text that a notebook renders as Markdown (no IPython import needed)."""

    def _repr_markdown_(self) -> str:
        return str(self)



# Markdown's active characters; HTML's are escaped by html.escape first.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]{}#|~])")


def md_escape(value) -> str:
    r"""Text a person typed, made inert in Markdown: a title ``<script>…`` or ``**x**`` is
    shown as typed, never run or formatted.

    >>> md_escape("<b>Møde</b> *nu*")
    '&lt;b&gt;Møde&lt;/b&gt; \\*nu\\*'
    """
    return _MD_ACTIVE.sub(r"\\\1", html.escape(str(value), quote=False))


def md_text(key: str, lang: str, **fmt) -> MarkdownText:
    """A locale text as Markdown, with every text filled into it escaped (:func:`md_escape`)."""
    return MarkdownText(t(key, lang, **{k: md_escape(v) if isinstance(v, str) else v
                                        for k, v in fmt.items()}))


def heading(key: str, lang: str, level: int = 2, **fmt) -> MarkdownText:
    return MarkdownText(f"{'#' * level} {md_text(key, lang, **fmt)}")


def figure(draw: Callable, size: tuple[float, float]):
    """A new Figure (not managed by pyplot) with one Axes passed to ``draw``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    draw(fig.add_subplot())
    return fig


def styled(df: pd.DataFrame, lang: str, percent: Sequence[str] = ()):
    """A table for people, no index: every cell through the one display layer
    (:func:`~implementere_kit.i18n.display_frame`: numbers with the decimal sign of
    ``lang``, shares in ``percent`` as percentages, yes/no, coded values), phases and
    roles by name, headings labelled."""
    from ..i18n import column_label, display_frame
    from ..store.overview import phase_label, role_label

    named = {"phase": phase_label, "owner": role_label, "role": role_label}
    values = {c: (lambda v, f=f: f(v, lang)) for c, f in named.items() if c in df.columns}
    out = display_frame(df, lang, percent=percent, labels=values, headings=False)
    out.columns = [column_label(str(c), lang) for c in df.columns]
    # escape: titles, names and notes are typed by people; markup in them stays text
    return out.style.format(na_rep="–", escape="html").hide(axis="index")


def indicator_values(df: pd.DataFrame, columns: Sequence[str], lang: str) -> pd.DataFrame:
    """Network figures as text in ``lang``, each in its measure's unit (shares as
    percentages)."""
    from ..measures.catalogue import format_value, measure

    out = df.copy()
    units = [measure(i).unit for i in out["indicator"]]
    for c in columns:
        out[c] = [format_value(v, u, lang) for v, u in zip(out[c], units, strict=True)]
    return out


def measure_table(ev: Evaluation, section: str):
    """The report's measures of one section, each once: name, value in its unit, n, target
    and whether it is met, and a note where a value is missing."""
    from ..measures.catalogue import format_value

    m = ev.measures[ev.measures["section"] == section]
    if m.empty:
        return None
    show = pd.DataFrame({
        "measure": m["label"].to_numpy(),
        "value": [format_value(v, u, ev.lang) for v, u in zip(m["value"], m["unit"], strict=True)],
        "n": m["n"].to_numpy(),
        "target": [format_value(v, u, ev.lang) for v, u in zip(m["target"], m["unit"], strict=True)],
        "meets": m["meets"].to_numpy(), "note": m["note"].to_numpy()})
    return styled(show, ev.lang)


def _title(ev: Evaluation) -> list:
    p = ev.project
    items = [heading("report_title", ev.lang, level=1, intervention=ev.intervention.label(ev.lang),
                     site=f"{p.site} {p.site_name}".strip()),
             md_text("report_period", ev.lang, period=ev.period_text,
                            date=ev.as_of.date().isoformat())]
    if p.meta.get("synthetic"):  # set by examples.make_network
        items.insert(1, MarkdownText(f"> **{t('report_synthetic', ev.lang)}**"))
    return items


def _status(ev: Evaluation) -> list:
    from .. import charts

    L = ev.lang
    items = [heading("report_section_status", L), styled(ev.summary, L),
             measure_table(ev, "status"),
             figure(lambda ax: charts.phase_progress_chart(ev.phase_progress, ax=ax, lang=L),
                    (7, 3.8))]
    n = len(ev.project.plan.activities)
    items.append(figure(lambda ax: charts.plan_timeline(ev.activities,
                                                        as_of=ev.as_of, ax=ax, lang=L),
                        (11, max(4.0, min(12.0, 1.5 + 0.16 * n)))))
    if ev.sic_scores is not None:
        items.append(figure(lambda ax: charts.sic_chart(ev.sic_scores, ax=ax, lang=L), (9, 3)))
    items.append(styled(ev.overdue, L) if len(ev.overdue)
                 else md_text("report_no_overdue", L))
    return [i for i in items if i is not None]


def _fidelity(ev: Evaluation) -> list:
    from .. import charts

    L = ev.lang
    items: list = [heading("report_section_fidelity", L), measure_table(ev, "fidelity")]
    if ev.adherence is not None:
        # adherence broken down by component (the measure itself is in the table above)
        a = ev.adherence[["name", "kind", "adherence", "n_items", "n_checks",
                          "meets_threshold"]].rename(columns={"name": "component"})
        items.append(styled(a, L, percent=["adherence"]))
        thr = ev.intervention.fidelity_threshold
        items.append(figure(lambda ax: charts.fidelity_run_chart(
            ev.adherence_by_month, ax=ax, threshold=thr, lang=L), (9, 3.8)))
    if ev.attendance is not None:
        rule = ev.intervention.dosage
        items.append(figure(lambda ax: charts.attendance_histogram(ev.attendance, rule, ax=ax,
                                                                   lang=L), (8, 3.5)))
        items.append(figure(lambda ax: charts.dropout_chart(ev.dropout, ax=ax, lang=L), (8, 3.5)))
    items = [i for i in items if i is not None]
    if len(items) == 1:
        items.append(md_text("report_none", L))
    return items


def _outcomes(ev: Evaluation) -> list:
    from .. import charts

    L = ev.lang
    items = [heading("report_section_outcomes", L), measure_table(ev, "outcomes"),
             md_text("report_measures_note", L)]
    panels = [(name, scale) for name, sc in ev.scores.items()
              for scale in sc.columns if scale not in ("respondent_id", "site", "wave",
                                                       "n_answered")][:6]
    if panels:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(3.6 * len(panels), 3.6), layout="constrained")
        for ax, (name, scale) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels,
                                     strict=True):
            charts.score_distribution(ev.scores[name], scale, by=("wave",), ax=ax, lang=L,
                                      instrument=name)
        items.append(fig)
    return [i for i in items if i is not None]


def _reliability(ev: Evaluation) -> list:
    from .. import charts

    L = ev.lang
    items: list = [heading("report_section_reliability", L)]
    rel = ev.reliability
    if rel is None:
        return [*items, md_text("report_no_reliability", L)]
    show = rel.reset_index()[["measure", "statistic", "value", "ci_low", "ci_high", "n",
                              "criterion", "meets_criterion"]]
    items.append(styled(show, L))
    items.append(figure(lambda ax: charts.reliability_chart(rel, ax=ax, lang=L),
                        (8, 1.6 + 0.6 * len(rel))))
    return items


def _toc(ev: Evaluation) -> list:
    from .. import charts

    toc = ev.intervention.theory_of_change
    if toc.elements().empty:
        return []
    tallest = int(toc.elements().groupby("level").size().max())
    return [heading("report_section_toc", ev.lang),
            figure(lambda ax: charts.theory_of_change_chart(toc, ax=ax, lang=ev.lang),
                   (15, 2.6 + 1.2 * tallest))]


def _adaptations(ev: Evaluation) -> list:
    from .. import charts

    L = ev.lang
    # Adaptations of the intervention's components over time; the FRAME section
    # (_tile_sections) lists every adaptation with its codes.
    a = ev.adaptations
    a = a[a["kind"].notna()]
    items: list = [heading("report_section_adaptations", L)]
    comps = ev.intervention.components
    items.append(figure(lambda ax: charts.adaptations_chart(a, ax=ax, lang=L, components=comps),
                        (10, 1.5 + 0.3 * max(len(comps), 2))))
    return items


def _network(ev: Evaluation) -> list:
    from .. import charts
    from ..measures.summary import note_text

    L = ev.lang
    items: list = [heading("report_section_network", L)]
    c = ev.comparison
    if c is None:
        return [*items, md_text("report_no_share_back", L)]
    items.append(md_text("report_network_as_of", L,
                                date=ev.network_as_of or ev.as_of.date().isoformat(),
                                intervention=ev.intervention.label(L)))
    show = indicator_values(c, ["network_value", "lower95", "upper95"], ev.lang)
    show = show.assign(indicator=c["label"],
                       note=[note_text(r, L, network=True) for r in c["network_reason"]])
    items.append(styled(show[["indicator", "network_value", "lower95", "upper95", "flag",
                              "n_sites", "note"]], L))
    for _, r in c[(c["unit"] == "share") & c["network_value"].notna()
                  & c["value"].notna()].iterrows():
        own = pd.DataFrame({"site": [str(ev.project.site)],
                            "site_name": [ev.project.site_name], "indicator": [r["indicator"]],
                            "n": [r["denominator"]], "denominator": [r["denominator"]],
                            "value": [r["value"]], "network_value": [r["network_value"]],
                            "intervention": [ev.intervention.id]})
        items.append(figure(lambda ax, own=own, ind=r["indicator"]: charts.funnel_plot(
            own, ind, highlight=str(ev.project.site), ax=ax, lang=L), (6.5, 4)))
    return items


def _next(ev: Evaluation) -> list:
    return [heading("report_section_next", ev.lang),
            MarkdownText("\n".join(f"- {md_escape(p)}" for p in ev.next_steps))]


SECTIONS: dict[str, Callable[[Evaluation], list]] = {
    "title": _title, "status": _status, "fidelity": _fidelity, "outcomes": _outcomes,
    "reliability": _reliability, "toc": _toc, "adaptations": _adaptations,
    "network": _network, "next": _next,
}
