"""Implementation cost (Proctor et al. 2011): what the implementation cost, per family
reached and per family completing, period by period.

The ``costs`` table holds, per period (``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``) and activity
type (training, supervision, delivery, coordination, …), hours × unit cost per hour plus
other costs, in one currency per project. Families are counted with the toolkit's own
definitions (:func:`~implementere_kit.measures.fidelity.attendance_summary`): a family is
*reached* when it has attended at least one session, on the date of its first attended
session; it *completes* when it graduates under the intervention's dosage rule, on the
date it ended (or its last session attended when no end date is recorded).

Costs are front-loaded — training and start-up come before families do — so the cost per
family of a single early period says little; the cumulative columns (all costs so far ÷
all families so far) show how the unit cost falls as delivery grows.

References
----------
Proctor E, Silmere H, Raghavan R, et al. (2011). Outcomes for implementation research:
conceptual distinctions, measurement challenges, and research agenda. Adm Policy Ment
Health 38:65–76 (implementation cost).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from ..store.tables import row_problems
from .fidelity import attendance_summary

__all__ = ["implementation_cost", "cost_breakdown", "period_bounds", "family_dates"]

_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")


def period_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``.

    Examples
    --------
    >>> [d.date().isoformat() for d in period_bounds("2024-Q2")]
    ['2024-04-01', '2024-06-30']
    """
    m = _PERIOD.match(str(period).strip())
    if not m:
        raise ValidationError([Problem("period not understood", column="period",
                                       expected="YYYY, YYYY-Qn or YYYY-MM", found=repr(period))])
    year, month, quarter = m.groups()
    if month:
        start = pd.Timestamp(f"{year}-{month}-01")
        return start, start + pd.offsets.MonthEnd(0)
    if quarter:
        start = pd.Timestamp(f"{year}-{3 * int(quarter) - 2:02d}-01")
        return start, start + pd.offsets.QuarterEnd(0)
    return pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-31")


def _costs(project) -> pd.DataFrame:
    costs = project.table("costs")
    problems = row_problems(~costs["period"].astype(str).str.strip().str.match(_PERIOD),
                            costs["period"], message="period not understood", column="period",
                            expected="YYYY, YYYY-Qn or YYYY-MM", resource="costs")
    currencies = costs["currency"].dropna().unique()
    if len(currencies) > 1:
        problems.append(Problem("more than one currency in one project", resource="costs",
                                column="currency", expected="one currency",
                                found=", ".join(sorted(map(str, currencies)))))
    if problems:
        raise ValidationError(problems)
    hours, unit = costs["hours"].astype(float), costs["unit_cost"].astype(float)
    other = costs["other_costs"].astype(float).fillna(0.0)
    unpriced = hours.notna() & (hours > 0) & unit.isna()
    return costs.assign(cost=(hours.fillna(0) * unit.fillna(0) + other).where(~unpriced),
                        unpriced=unpriced)


def family_dates(project) -> pd.DataFrame:
    """When each family was reached and, if it did, completed (see the module docstring)."""
    iv = project.intervention
    parts, att = project.table("participants"), project.table("attendance")
    if parts.empty or att.empty or iv.dosage is None:
        return pd.DataFrame(columns=["participant_id", "reached", "completed"])
    s = attendance_summary(att, iv.dosage, parts)
    seen = att[att["attended"].astype(bool)].merge(parts[["participant_id", "group_id"]],
                                                   on="participant_id")
    sessions = project.table("sessions")
    dated = seen.merge(sessions[["group_id", "session_no", "date"]],
                       on=["group_id", "session_no"], how="left")
    first = dated.groupby("participant_id")["date"].min()
    last = dated.groupby("participant_id")["date"].max()
    p = parts.set_index("participant_id")
    out = s[["participant_id", "n_attended", "graduated"]].copy()
    reached = out["participant_id"].map(first).fillna(out["participant_id"].map(p["enrolled"]))
    out["reached"] = reached.where(out["n_attended"] > 0)
    done = out["participant_id"].map(p["ended"]).fillna(out["participant_id"].map(last))
    out["completed"] = done.where(out["graduated"])
    return out[["participant_id", "reached", "completed"]]


def implementation_cost(project) -> pd.DataFrame:
    """Cost per family reached and per family completing, by period and in total.

    Parameters
    ----------
    project : Project or folder

    Returns
    -------
    DataFrame
        One row per period of the ``costs`` table, in time order, and a last row
        ``period == "all"``: ``start``, ``end``, ``cost``, ``n_reached``, ``n_completed``,
        ``cost_per_reached``, ``cost_per_completed``, the cumulative ``cum_cost``,
        ``cum_reached``, ``cum_completed``, ``cum_cost_per_reached``,
        ``cum_cost_per_completed``, ``currency`` and a ``note`` (hours without a unit
        cost make a period's cost unknown rather than too small).

    Examples
    --------
    >>> from implementere_kit.report import demo_project_folder
    >>> c = implementation_cost(demo_project_folder())
    >>> c.iloc[-1][["period", "currency"]].tolist()
    ['all', 'DKK']
    >>> bool(c.iloc[-1]["cost"] == c.iloc[:-1]["cost"].sum())
    True
    """
    from ..store.project import Project

    if not isinstance(project, Project):
        project = Project.open(project)
    costs = _costs(project)
    cols = ["period", "start", "end", "cost", "n_reached", "n_completed", "cost_per_reached",
            "cost_per_completed", "cum_cost", "cum_reached", "cum_completed",
            "cum_cost_per_reached", "cum_cost_per_completed", "currency", "note"]
    if costs.empty:
        return pd.DataFrame(columns=cols)
    fam = family_dates(project)
    periods = sorted(costs["period"].astype(str).str.strip().unique(),
                     key=lambda p: (period_bounds(p)[0], period_bounds(p)[1]))
    rows = []
    for per in periods:
        start, end = period_bounds(per)
        mine = costs[costs["period"].astype(str).str.strip() == per]
        cost = mine["cost"].sum(min_count=1) if not mine["unpriced"].any() else np.nan
        note = ("hours without a unit cost in this period: its cost is unknown"
                if mine["unpriced"].any() else pd.NA)
        rows.append({"period": per, "start": start, "end": end, "cost": cost,
                     "n_reached": int(fam["reached"].between(start, end).sum()),
                     "n_completed": int(fam["completed"].between(start, end).sum()),
                     "note": note})
    out = pd.DataFrame(rows)
    out["cum_cost"] = out["cost"].cumsum(skipna=False)
    ends = out["end"]
    out["cum_reached"] = [int((fam["reached"] <= e).sum()) for e in ends]
    out["cum_completed"] = [int((fam["completed"] <= e).sum()) for e in ends]
    total = {"period": "all", "start": out["start"].min(), "end": out["end"].max(),
             "cost": out["cost"].sum(min_count=len(out)), "n_reached": int(fam["reached"].notna().sum()),
             "n_completed": int(fam["completed"].notna().sum()),
             "note": "; ".join(sorted(set(out["note"].dropna()))) or pd.NA}
    total.update(cum_cost=total["cost"], cum_reached=total["n_reached"],
                 cum_completed=total["n_completed"])
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        for a, b, c in (("cost_per_reached", "cost", "n_reached"),
                        ("cost_per_completed", "cost", "n_completed"),
                        ("cum_cost_per_reached", "cum_cost", "cum_reached"),
                        ("cum_cost_per_completed", "cum_cost", "cum_completed")):
            out[a] = out[b] / out[c].replace(0, np.nan)
    out["currency"] = costs["currency"].dropna().iloc[0] if costs["currency"].notna().any() \
        else pd.NA
    return out[cols]


def cost_breakdown(project) -> pd.DataFrame:
    """Cost per period and activity type (long form: ``period``, ``start``,
    ``activity_type``, ``hours``, ``cost``), periods in time order."""
    from ..store.project import Project

    if not isinstance(project, Project):
        project = Project.open(project)
    costs = _costs(project)
    if costs.empty:
        return pd.DataFrame(columns=["period", "start", "activity_type", "hours", "cost"])
    costs = costs.assign(period=costs["period"].astype(str).str.strip())
    g = costs.groupby(["period", "activity_type"], sort=False)
    out = pd.DataFrame({"hours": g["hours"].sum(min_count=1),
                        "cost": g["cost"].sum(min_count=1)}).reset_index()
    out.insert(1, "start", [period_bounds(p)[0] for p in out["period"]])
    return out.sort_values(["start", "activity_type"], kind="stable").reset_index(drop=True)
