""""What to look at next": plain-language points derived from an evaluation's numbers.

Each rule looks at one measure and speaks only when the numbers give it a reason: a core
component delivered below the fidelity threshold, a network figure outside the 95 %
funnel limit in the unfavourable direction, overdue plan activities, an instrument below
its reliability criterion, groups over the planned size or sessions short of leaders, an
adapted core component, an implementation outcome below its target. Messages name
components, activities and indicators, never people.
"""

from __future__ import annotations

import pandas as pd

from ..i18n import t

__all__ = ["advice"]

#: Network indicators where a high value is the worry; for the others a low value is.
_HIGH_IS_BAD = ("dropout",)
_SHARES = ("adherence", "dropout", "graduation", "reach", "attendance")


def _pct(x) -> str:
    return "–" if x is None or pd.isna(x) else f"{100 * float(x):.0f} %"


def _num(x) -> str:
    return "–" if x is None or pd.isna(x) else f"{float(x):.2f}"


def _core_adherence(ev) -> list[str]:
    if ev.adherence is None:
        if len(ev.tables["sessions"]):  # delivery has begun but nobody checks fidelity
            return [t("next_no_fidelity_checks", ev.lang)]
        return []
    a = ev.adherence
    low = a[a["core"] & a["meets_threshold"].eq(False).fillna(False).astype(bool)]
    thr = ev.intervention.fidelity_threshold
    return [t("next_core_adherence", ev.lang, component=r.name or r.component,
              value=_pct(r.adherence), threshold=_pct(thr))
            for r in low.itertuples(index=False)]


def _network(ev) -> list[str]:
    from ..charts import indicator_label

    if ev.comparison is None or "flag" not in ev.comparison:
        return []
    out = []
    for r in ev.comparison.itertuples(index=False):
        flag = r.flag if isinstance(r.flag, str) else ""
        high, low = flag.startswith("above"), flag.startswith("below")
        bad = (high if r.indicator in _HIGH_IS_BAD else low)
        if not bad:
            continue
        fmt = _pct if r.indicator in _SHARES else _num
        out.append(t("next_network_high" if high else "next_network_low", ev.lang,
                     indicator=indicator_label(r.indicator, ev.lang), value=fmt(r.value),
                     network=fmt(r.network_value)))
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
              value=_num(r["value"]), criterion=_num(r["criterion"]))
            for name, r in bad.iterrows()]


def _dosage(ev) -> list[str]:
    rule, out = ev.intervention.dosage, []
    if ev.attendance is None or rule is None:
        return out
    if rule.max_group_size:
        sizes = ev.attendance.groupby("group_id").size()
        n_over = int((sizes > rule.max_group_size).sum())
        if n_over:
            out.append(t("next_group_size", ev.lang, n=n_over, max=rule.max_group_size))
    if ev.dosage is not None and rule.leaders_per_group:
        ok = ev.dosage["share_leaders_ok"].iloc[0]
        if pd.notna(ok) and ok < 1:
            out.append(t("next_leaders", ev.lang, share=_pct(1 - ok),
                         planned=rule.leaders_per_group))
    return out


def _adaptations(ev) -> list[str]:
    a = ev.adaptations
    core = a[a["kind"] == "core"]
    names = {c.id: c.name for c in ev.intervention.components}
    return [t("next_core_adaptation", ev.lang, component=names.get(r.component, r.component),
              date=pd.Timestamp(r.date).date().isoformat())
            for r in core.itertuples(index=False)]


def _outcomes(ev) -> list[str]:
    o = ev.outcomes
    # Adherence is judged per core component above; the outcome would repeat it.
    low = o[o["meets"].eq(False).fillna(False).astype(bool)
            & (o["outcome"] != "fidelity_adherence")]
    out = []
    for r in low.itertuples(index=False):
        fmt = _num if r.outcome in ("acceptability", "appropriateness", "feasibility") else _pct
        out.append(t("next_outcome_low", ev.lang, outcome=t(f"outcome_{r.outcome}", ev.lang),
                     value=fmt(r.value), target=fmt(r.target)))
    return out


def advice(ev) -> list[str]:
    """Every point the rules find, most pressing kinds first; one reassuring line if none."""
    points = []
    for rule in (_core_adherence, _network, _overdue, _reliability, _dosage, _adaptations,
                 _outcomes):
        points += rule(ev)
    return points or [t("next_nothing", ev.lang)]
