""""What to look at next": plain-language points derived from an evaluation's numbers.

Each rule looks at one measure and speaks only when the numbers give it a reason: a core
component delivered below the fidelity threshold, a network figure outside the 95 %
funnel limit in the unfavourable direction, overdue plan activities, an instrument below
its reliability criterion, groups over the planned size or sessions short of leaders, an
adapted core component not judged fidelity-consistent, an implementation outcome below its
target. Messages name components, activities and indicators, never people.
"""

from __future__ import annotations

import pandas as pd

from ..i18n import fmt_number, fmt_percent, t

__all__ = ["advice"]


def _pct(x, lang: str) -> str:
    return fmt_percent(x, lang)


def _num(x, lang: str) -> str:
    return fmt_number(x, lang, 2)


def _core_adherence(ev) -> list[str]:
    if ev.adherence is None:
        if len(ev.tables["sessions"]):  # delivery has begun but nobody checks fidelity
            return [t("next_no_fidelity_checks", ev.lang)]
        return []
    a = ev.adherence
    low = a[a["core"] & a["meets_threshold"].eq(False).fillna(False).astype(bool)]
    thr = ev.intervention.fidelity_threshold
    return [t("next_core_adherence", ev.lang, component=r.name or r.component,
              value=_pct(r.adherence, ev.lang), threshold=_pct(thr, ev.lang))
            for r in low.itertuples(index=False)]


def _network(ev) -> list[str]:
    from ..measures.catalogue import format_value, measure

    if ev.comparison is None or "flag" not in ev.comparison:
        return []
    out = []
    for r in ev.comparison.itertuples(index=False):
        flag = r.flag if isinstance(r.flag, str) else ""
        high, low = flag.startswith("above"), flag.startswith("below")
        m = measure(r.indicator)  # which way is better comes from the catalogue
        bad = high if m.direction == "lower" else low if m.direction == "higher" else False
        if not bad:
            continue
        out.append(t("next_network_high" if high else "next_network_low", ev.lang,
                     indicator=m.label(ev.lang), value=format_value(r.value, m.unit, ev.lang),
                     network=format_value(r.network_value, m.unit, ev.lang)))
    return out


def _overdue(ev) -> list[str]:
    od = ev.overdue
    if od.empty:
        return []
    oldest = od.sort_values("days_overdue", ascending=False).iloc[0]
    return [t("next_overdue", ev.lang, n=len(od), title=oldest["title"],
              days=int(oldest["days_overdue"]))]


def _reliability(ev) -> list[str]:
    rel = ev.reliability
    if rel is None:
        return []
    bad = rel[~rel["meets_criterion"].astype(bool) & rel["value"].notna()]
    return [t("next_reliability", ev.lang, measure=name, statistic=r["statistic"],
              value=_num(r["value"], ev.lang), criterion=_num(r["criterion"], ev.lang))
            for name, r in bad.iterrows()]


def _dosage(ev) -> list[str]:
    rule, out = ev.intervention.dosage, []
    if rule is None:
        return out
    m = ev.measures.set_index("measure")
    if rule.max_group_size and "groups_over_size" in m.index:
        n_over = m.loc["groups_over_size", "numerator"]
        if pd.notna(n_over) and n_over > 0:
            out.append(t("next_group_size", ev.lang, n=int(n_over), max=rule.max_group_size))
    if rule.leaders_per_group and "sessions_staffed" in m.index:
        ok = m.loc["sessions_staffed", "value"]
        if pd.notna(ok) and ok < 1:
            out.append(t("next_leaders", ev.lang, share=_pct(1 - ok, ev.lang),
                         planned=rule.leaders_per_group))
    return out


def _adaptations(ev) -> list[str]:
    a = ev.adaptations
    # A change judged fidelity-consistent (FRAME) kept the core; the others are worth a word
    # with the owner: those that changed it and those nobody has judged yet.
    core = a[(a["kind"] == "core") & (a["fidelity"] != "consistent")]
    names = {c.id: c.label(ev.lang) for c in ev.intervention.components}
    return [t("next_core_adaptation", ev.lang, component=names.get(r.component, r.component),
              date=pd.Timestamp(r.date).date().isoformat())
            for r in core.itertuples(index=False)]


def _outcomes(ev) -> list[str]:
    from ..measures.catalogue import format_value

    m = ev.measures
    # Adherence is judged per core component above; the measures would repeat it.
    low = m[m["meets"].eq(False).fillna(False).astype(bool)
            & ~m["measure"].isin(["adherence", "adherence_core"])]
    return [t("next_outcome_low", ev.lang, outcome=r.label,
              value=format_value(r.value, r.unit, ev.lang),
              target=format_value(r.target, r.unit, ev.lang))
            for r in low.itertuples(index=False)]


def advice(ev) -> list[str]:
    """Every point the rules find, most pressing kinds first; one reassuring line if none."""
    points = []
    for rule in (_core_adherence, _network, _overdue, _reliability, _dosage, _adaptations,
                 _outcomes):
        points += rule(ev)
    return points or [t("next_nothing", ev.lang)]
