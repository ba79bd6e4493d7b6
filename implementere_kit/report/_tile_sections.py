"""The site report's TILE sections: family outcomes, components against outcomes, barriers
and solutions, FRAME adaptations and implementation cost.

Each section is a list of headings, tables and figures, like those of
:mod:`implementere_kit.report._sections`; the evaluator notebook shows them with
``display(*tile_section(ev, "family_outcomes"))``. They read the project's own tables,
cut to the report's period, and compute everything through the library, so the numbers
are those of ``ik.outcome_change``, ``ik.component_analysis`` and ``ik.implementation_cost``.

Examples
--------
>>> from implementere_kit import report
>>> ev = report.evaluate(report.demo_project_folder(), lang="en")
>>> str(tile_section(ev, "barriers")[0])
'## What got in the way and what helped'
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..errors import UnknownNameError
from ..i18n import fmt_number, fmt_percent, t
from ..store.tables import parse_dates
from ._sections import md_text

__all__ = ["tile_section", "TILE_SECTIONS"]


def _fmt(x, lang: str, decimals: int = 1) -> str:
    """A number in ``lang`` (decimal comma in nb and da) with a true minus sign."""
    return fmt_number(x, lang, decimals).replace("-", "−")


def _ci(est, lo, hi, lang: str, decimals: int = 1) -> str:
    if est is None or pd.isna(est):
        return "–"
    if pd.isna(lo) or pd.isna(hi):
        return _fmt(est, lang, decimals)
    return (f"{_fmt(est, lang, decimals)} ({_fmt(lo, lang, decimals)}; "
            f"{_fmt(hi, lang, decimals)})")


def _cut(ev, name: str) -> pd.DataFrame:
    """The project's table ``name`` cut to the report's period."""
    df = ev.project.table(name)
    if df.empty:
        return df
    end, start = ev.as_of, ev.start
    d = parse_dates(df["date"])
    if name == "outcome_scores":
        keep = d.isna() | (d <= end)
        if start is not None:  # a change counts in the period its after-measurement falls in
            keep &= (df["wave"] == "pre") | d.isna() | (d >= start)
    elif name == "barriers":  # barriers raised by the end and still open at the start
        keep = d <= end
        if start is not None:
            keep &= df["resolved"].isna() | (parse_dates(df["resolved"]) >= start)
    else:
        keep = (d <= end) & ((d >= start) if start is not None else True)
    return df[keep].reset_index(drop=True)


def _tools():
    from ._sections import figure, heading, styled

    return figure, heading, styled


def _family_outcomes(ev, network=None) -> list:
    from ..measures.family_outcomes import load_outcome_instrument, outcome_links
    from ..measures.outcome_change import outcome_change

    figure, heading, styled = _tools()
    L = ev.lang
    items: list = [heading("report_section_family_outcomes", L)]
    links = outcome_links(ev.intervention, lang=L)
    links = links.assign(instrument=links["label"].fillna("–"))[["result_id", "result",
                                                                 "instrument"]]
    scores = _cut(ev, "outcome_scores")
    if scores.empty:
        return [*items, styled(links.rename(columns={"result": "toc_result"}), L),
                md_text("report_no_family_outcomes", L)]
    oc = outcome_change(scores)
    items.append(md_text("report_design_prepost", L))
    rows = []
    for (inst_id, informant, scale, wave_to), part in oc.groupby(
            ["instrument", "informant", "scale", "wave_to"], sort=False, dropna=False):
        s = part.set_index("statistic")
        es = s.index[1]
        try:
            inst = load_outcome_instrument(inst_id)
            name, scale_label = inst.name, inst.scale(scale).label(L)
        except Exception:  # an instrument of the municipality's own, not shipped
            name, scale_label = inst_id, scale
        first = s.iloc[0]
        rows.append({"instrument": name, "scale": scale_label,
                     "informant": t(f"informant_{informant}", L) if pd.notna(informant) else "–",
                     "wave_to": t(f"outcome_wave_{wave_to}", L), "n": int(first["n"]),
                     "mean_pre": _fmt(first["mean_pre"], L),
                     "mean_post": _fmt(first["mean_post"], L),
                     "mean_change": _ci(*s.loc["mean_change", ["estimate", "ci_low", "ci_high"]],
                                        L),
                     "effect_size": _ci(*s.loc[es, ["estimate", "ci_low", "ci_high"]], L, 2),
                     "n_improved": int(first["n_improved"]),
                     "n_unchanged": int(first["n_unchanged"]),
                     "n_deteriorated": int(first["n_deteriorated"])})
    items.append(styled(pd.DataFrame(rows), L))
    items.append(md_text("report_rci_note", L))
    items.append(heading("report_toc_links", L, level=3))
    items.append(styled(links.rename(columns={"result": "toc_result"}), L))
    return items


def _components(ev, network=None) -> list:
    from .. import charts
    from ..measures.components import component_analysis, component_data

    figure, heading, styled = _tools()
    L = ev.lang
    items: list = [heading("report_section_components", L)]
    data = component_data(ev.project)
    if data.empty:
        return [*items, md_text("report_no_components", L)]
    ca = component_analysis(ev.project)
    method = ca["method_id"].dropna()
    items.append(md_text("report_design_observational", L, method=t(
        f"method_{method.iloc[0]}", L) if len(method) else "–"))
    items.append(figure(lambda ax: charts.dose_response_chart(data, ax=ax, lang=L), (7, 4.2)))
    names = {c.id: c.label(L) for c in ev.intervention.components}
    shown = ca[ca["term"] != "pre_score"]
    items.append(figure(lambda ax: charts.component_chart(shown, ax=ax, lang=L, names=names),
                        (8, 1.6 + 0.42 * max(len(shown), 2))))
    table = pd.DataFrame({
        "model": [names.get(c, c) if isinstance(c, str) else t(f"term_{m}", L)
                  for c, m in zip(shown["component"], shown["model"], strict=True)],
        "term": [t(f"term_{x}", L) for x in shown["term"]],
        "estimate": [_ci(e, lo, hi, L) for e, lo, hi in zip(
            shown["estimate"], shown["ci_low"], shown["ci_high"], strict=True)],
        "p": [("–" if pd.isna(p) else f"< {fmt_number(0.001, L, 3)}" if p < 0.001
               else fmt_number(p, L, 3)) for p in shown["p"]],
        "n": shown["n"].astype(int)})
    items.append(styled(table, L))
    return items


def _barriers(ev, network=None) -> list:
    from .. import charts
    from ..learning.barriers import advice_for, barrier_summary, what_helped
    from ..learning.vocabulary import label_values

    figure, heading, styled = _tools()
    L = ev.lang
    items: list = [heading("report_section_barriers", L)]
    b = _cut(ev, "barriers")
    if b.empty:
        return [*items, md_text("report_no_barriers", L)]
    items.append(figure(lambda ax: charts.barriers_chart(b, ax=ax, lang=L), (8, 3.6)))
    # phases are named by styled (display_frame with the framework's phase labels)
    summary = label_values(barrier_summary(b, by=("phase", "domain")), "barriers", L)
    items.append(styled(summary.drop(columns=["n_working", "n_with_solution"]), L,
                        percent=["share_resolved"]))
    items.append(heading("report_what_helped", L, level=3))
    helped = what_helped(b).drop(columns=["site"])
    items.append(styled(label_values(helped, "barriers", L), L))
    if network is not None:
        advice = advice_for(b, network, site=ev.project.site)
        items.append(heading("report_network_advice", L, level=3))
        if advice.empty:
            items.append(md_text("report_no_network_advice", L))
        else:
            advice = label_values(advice, "barriers", L).assign(
                cases=[" · ".join(c) for c in advice["cases"]])
            items.append(styled(advice.drop(columns=["barrier_id"]), L,
                                percent=["share_helped"]))
    return items


def _frame_adaptations(ev, network=None) -> list:
    from .. import charts
    from ..learning.adaptations import adaptation_summary, core_adaptations, uncoded
    from ..learning.vocabulary import label_values

    figure, heading, styled = _tools()
    L = ev.lang
    items: list = [heading("report_section_frame", L)]
    a = _cut(ev, "adaptations")
    if a.empty:
        return [*items, md_text("report_no_frame", L)]
    s = adaptation_summary(a, ev.intervention)
    share = s["item"].str.startswith("share")
    s["value"] = [fmt_percent(v, L) if sh else f"{int(v)}"
                  for v, sh in zip(s["value"], share, strict=True)]
    s["item"] = [t(f"frame_summary_{m}", L) for m in s["item"]]
    items.append(styled(s, L))
    items.append(figure(lambda ax: charts.frame_chart(a, ax=ax, lang=L), (8, 3.5)))
    cols = ["date", "component", "description", "what", "nature", "context_change",
            "planning", "decided_by", "fidelity", "goal", "national_transfer"]
    names = {c.id: c.label(L) for c in ev.intervention.components}
    shown = a.sort_values("date", kind="stable")[cols].assign(
        component=lambda d: d["component"].map(lambda c: names.get(c, c)))
    items.append(styled(label_values(shown, "adaptations", L), L))
    core = core_adaptations(a, ev.intervention)
    if len(core):
        items.append(md_text("report_core_adaptations", L, n=len(core), components=", ".join(
            sorted({names.get(c, c) for c in core["component"]}))))
    n_uncoded = len(uncoded(a))
    if n_uncoded:
        items.append(md_text("report_uncoded_adaptations", L, n=n_uncoded))
    return items


def _cost(ev, network=None) -> list:
    from .. import charts
    from ..measures.cost import cost_breakdown, implementation_cost, period_bounds

    figure, heading, styled = _tools()
    L = ev.lang
    items: list = [heading("report_section_cost", L)]
    cost = implementation_cost(ev.project)
    if cost.empty:
        return [*items, md_text("report_no_costs", L)]
    if ev.start is not None:  # periods overlapping the report's; cumulative figures from start
        keep = [p == "all" or (period_bounds(p)[1] >= ev.start and period_bounds(p)[0] <= ev.end)
                for p in cost["period"]]
        cost = cost[keep].reset_index(drop=True)
    breakdown = cost_breakdown(ev.project)
    breakdown = breakdown[breakdown["period"].isin(cost["period"])]
    items.append(md_text("report_cost_note", L, currency=cost["currency"].iloc[0]))
    items.append(figure(lambda ax: charts.cost_chart(breakdown, cost, ax=ax, lang=L), (10, 4)))
    show = cost[["period", "cost", "n_reached", "n_completed", "cost_per_reached",
                 "cost_per_completed", "cum_cost_per_reached", "cum_cost_per_completed"]].copy()
    show["period"] = [t("report_all_periods", L) if p == "all" else p for p in show["period"]]
    for c in ("cost", "cost_per_reached", "cost_per_completed", "cum_cost_per_reached",
              "cum_cost_per_completed"):
        show[c] = ["–" if pd.isna(v) else f"{v:,.0f}".replace(",", " ") for v in show[c]]
    items.append(styled(show, L))
    return items


TILE_SECTIONS: dict[str, Callable] = {
    "family_outcomes": _family_outcomes, "components": _components, "barriers": _barriers,
    "frame_adaptations": _frame_adaptations, "cost": _cost}


def tile_section(ev, name: str, network=None) -> list:
    """The headings, tables and figures of one TILE section of the site report.

    ``network`` (a network store, or a list of project folders) adds advice from the
    solutions other sites logged to the barriers section.
    """
    if name not in TILE_SECTIONS:
        raise UnknownNameError("report section", name, list(TILE_SECTIONS))
    return TILE_SECTIONS[name](ev, network)
