"""Progress of an implementation: phases and core elements of the plan, and the Stages of
Implementation Completion (SIC).

SIC (Chamberlain, Brown & Saldana 2011) records a completion date for each activity in
eight stages grouped in three phases: pre-implementation (stages 1–3), implementation
(4–7) and sustainability (8). It is scored by the duration of each stage and phase (days
from the first to the last completed activity), the proportion of activities completed,
and the furthest stage reached.

Those scores are defined on SIC's own activity list. A project without SIC records falls back
on its plan's activities tagged with a stage (:meth:`~implementere_kit.plans.plan.Plan.sic_events`,
``basis`` ``plan``): their number per stage is whatever the plan holds, so proportions and
durations computed from them describe the plan and must not be compared with SIC norms. Every
result carries a ``basis`` column (``sic`` or ``plan``) so that a report can say which it is.

References
----------
Chamberlain P, Brown CH, Saldana L (2011). Observational measure of implementation
progress in community based settings: the Stages of Implementation Completion (SIC).
Implementation Science 6:116. https://doi.org/10.1186/1748-5908-6-116
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from ..store.tables import parse_dates, row_problems

__all__ = ["sic_scores", "sic_summary", "phase_progress", "overdue_activities",
           "PHASE_ORDER"]

PHASE_ORDER = ("forberede", "planlegge", "implementere", "viderefore")
_OPEN = ("todo", "in_progress")
#: Where SIC events come from: SIC's own activity list, or the plan's tagged activities.
_BASES = ("sic", "plan")


def _sic_phases() -> dict[int, str]:
    """SIC phase of each stage, as the SIC framework's definition file gives it."""
    from .frameworks import load_framework

    return {s.id: s.phase for s in load_framework("sic").stages}


def _check_events(events: pd.DataFrame) -> pd.DataFrame:
    """Validate SIC events, collecting every bad row, and return a typed copy."""
    if not isinstance(events, pd.DataFrame):
        raise ValidationError([Problem("SIC events must be a DataFrame", resource="sic_events",
                                       found=type(events).__name__)])
    need = ["site", "stage", "activity", "date"]
    missing = [c for c in need if c not in events.columns]
    if missing:
        raise ValidationError([Problem("required column missing", resource="sic_events", column=c,
                                       expected=", ".join(need),
                                       found=", ".join(map(str, events.columns)))
                               for c in missing])
    ev = events.reset_index(drop=True)
    stage = pd.to_numeric(ev["stage"], errors="coerce")
    bad_stage = stage.isna() | (stage != stage.round()) | (stage < 1) | (stage > 8)
    problems = row_problems(bad_stage, ev["stage"], message="stage outside 1–8",
                            column="stage", expected="a whole number 1–8", resource="sic_events")
    date = parse_dates(ev["date"])
    blank = ev["date"].isna() | (ev["date"].astype("string").str.strip() == "")
    problems += row_problems(date.isna() & ~blank, ev["date"], message="date cannot be parsed",
                             column="date", expected="YYYY-MM-DD, dd.mm.yyyy or dd-mm-yyyy",
                             resource="sic_events")
    basis = ev["basis"] if "basis" in ev.columns else pd.Series("sic", index=ev.index)
    problems += row_problems(~basis.isin(_BASES), basis, message="unknown basis",
                             column="basis", expected=" or ".join(_BASES), resource="sic_events")
    if problems:
        raise ValidationError(problems)
    return pd.DataFrame({"site": ev["site"].astype("string"), "stage": stage.astype(int),
                         "activity": ev["activity"], "date": date, "basis": basis.astype(str)})


def _basis(ev: pd.DataFrame, sites: pd.Index) -> pd.Series:
    """Per site: ``plan`` when every event comes from the plan, else ``sic``."""
    return (ev.groupby("site")["basis"].agg(lambda b: "plan" if (b == "plan").all() else "sic")
            .reindex(sites))


def sic_scores(events: pd.DataFrame) -> pd.DataFrame:
    """Score SIC per site and stage.

    Parameters
    ----------
    events : DataFrame
        Columns ``site``, ``stage`` (1–8), ``activity`` and ``date`` (completion date;
        missing means not done). Every activity of the site's SIC list should have a row.

    Returns
    -------
    DataFrame
        One row per site and stage 1–8 with ``phase``, ``n_activities``, ``n_completed``,
        ``proportion`` (completed ÷ activities, NaN for a stage without activities),
        ``first_date``, ``last_date``, ``duration_days`` (last − first completed date;
        NaN when nothing in the stage is completed) and ``basis`` (``sic``, or ``plan`` when
        the events are the plan's activities: not comparable with SIC norms).

    Raises
    ------
    ValidationError
        Naming every row with a stage outside 1–8 or a date that cannot be parsed.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"site": "9901", "stage": [1, 1, 1, 2],
    ...                    "activity": ["a", "b", "c", "d"],
    ...                    "date": ["2024-01-01", "2024-01-11", None, "2024-02-01"]})
    >>> s = sic_scores(ev)
    >>> s[["stage", "n_activities", "n_completed", "proportion", "duration_days"]].head(2)
       stage  n_activities  n_completed  proportion  duration_days
    0      1             3            2    0.666667           10.0
    1      2             1            1    1.000000            0.0
    """
    ev = _check_events(events)
    sites = pd.Index(ev["site"].unique(), name="site")
    grid = pd.MultiIndex.from_product([sites, range(1, 9)], names=["site", "stage"])
    g = ev.groupby(["site", "stage"], sort=False)
    agg = pd.DataFrame({
        "n_activities": g.size(),
        "n_completed": g["date"].count(),
        "first_date": g["date"].min(),
        "last_date": g["date"].max(),
    }).reindex(grid)
    agg["n_activities"] = agg["n_activities"].fillna(0).astype(int)
    agg["n_completed"] = agg["n_completed"].fillna(0).astype(int)
    out = agg.reset_index()
    out.insert(2, "phase", out["stage"].map(_sic_phases()))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["proportion"] = out["n_completed"] / out["n_activities"].replace(0, np.nan)
    out["duration_days"] = (out["last_date"] - out["first_date"]).dt.days.astype("float64")
    out["basis"] = out["site"].map(_basis(ev, sites))
    cols = ["site", "stage", "phase", "n_activities", "n_completed", "proportion",
            "first_date", "last_date", "duration_days", "basis"]
    return out[cols]


def sic_summary(events: pd.DataFrame) -> pd.DataFrame:
    """Summarise SIC per site: furthest stage reached and each phase's duration and proportion.

    Returns one row per site with ``stage_reached`` (highest stage with a completed
    activity, 0 if none), ``n_completed``, ``pre_duration_days``, ``pre_proportion``,
    ``impl_duration_days``, ``impl_proportion``, ``sustain_duration_days``,
    ``sustain_proportion``, ``total_duration_days`` and ``basis`` (see :func:`sic_scores`).
    Durations run from the first to the last completed date over the phase's stages (NaN
    when none completed).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"site": "101", "stage": [1, 2, 4, 4],
    ...                    "activity": list("abcd"),
    ...                    "date": ["2024-01-01", "2024-03-01", "2024-06-01", None]})
    >>> sic_summary(ev)[["site", "stage_reached", "pre_duration_days", "impl_proportion"]]
      site  stage_reached  pre_duration_days  impl_proportion
    0  101              4               60.0              0.5
    """
    ev = _check_events(events)
    ev["phase"] = ev["stage"].map(_sic_phases())
    done = ev[ev["date"].notna()]
    sites = pd.Index(ev["site"].unique(), name="site")
    out = pd.DataFrame(index=sites)
    out["stage_reached"] = done.groupby("site")["stage"].max().reindex(sites).fillna(0).astype(int)
    out["n_completed"] = done.groupby("site").size().reindex(sites).fillna(0).astype(int)
    for phase in ("pre", "impl", "sustain"):
        e = ev[ev["phase"] == phase]
        g = e.groupby("site")["date"]
        span = (g.max() - g.min()).dt.days.astype("float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            prop = g.count() / g.size()
        out[f"{phase}_duration_days"] = span.reindex(sites)
        out[f"{phase}_proportion"] = prop.reindex(sites).astype("float64")
    g = done.groupby("site")["date"]
    out["total_duration_days"] = (g.max() - g.min()).dt.days.astype("float64").reindex(sites)
    out["basis"] = _basis(ev, sites)
    return out.reset_index()


def _as_of(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()


def overdue_activities(activities: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Activities not done (or done only after ``as_of``) nor skipped whose due date is before
    ``as_of`` (default today): the rows of the catalogue's ``activities_overdue``."""
    when = _as_of(as_of)
    due = parse_dates(activities["due"])
    later = (parse_dates(activities["completed"]) > when if "completed" in activities
             else pd.Series(False, index=activities.index))  # done only after as_of
    mask = (activities["status"].isin(_OPEN) | later) & due.notna() & (due < when)
    out = activities[mask].copy()
    out["days_overdue"] = (when - due[mask]).dt.days
    return out.sort_values(["due", "activity_id"]).reset_index(drop=True)


def phase_progress(activities: pd.DataFrame, as_of=None, by=("phase", "core_element")) -> pd.DataFrame:
    """Share of activities done per phase and core element, and how many are overdue.

    Activities marked ``skipped`` (not applicable) count in neither numerator nor
    denominator.

    Parameters
    ----------
    activities : DataFrame
        A plan's activities table.
    as_of : date, optional
        The day progress is judged on (default today): an activity completed after it
        was not done yet (and overdue if it was due before it).
    by : tuple
        ``("phase", "core_element")`` (default) or ``("phase",)``.

    Returns
    -------
    DataFrame
        ``n_activities``, ``n_done``, ``share_done``, ``n_overdue`` per group, phases in
        their order Forberede → Videreføre.

    Examples
    --------
    >>> import pandas as pd
    >>> acts = pd.DataFrame({"activity_id": ["a", "b", "c"], "phase": "forberede",
    ...     "core_element": [1, 1, 2], "status": ["done", "todo", "skipped"],
    ...     "due": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"])})
    >>> phase_progress(acts, as_of="2024-06-01", by=("phase",))
           phase  n_activities  n_done  share_done  n_overdue
    0  forberede             2       1         0.5          1
    """
    by = list(by)
    when = _as_of(as_of)
    cols = by + ["status", "due"] + (["completed"] if "completed" in activities else [])
    a = activities.loc[activities["status"] != "skipped", cols].copy()
    # done on the as-of day: completed by then (an activity done without a date counts)
    later = (parse_dates(a["completed"]) > when if "completed" in a
             else pd.Series(False, index=a.index))
    a["is_done"] = a["status"].eq("done") & ~later
    due = parse_dates(a["due"])
    a["is_overdue"] = (a["status"].isin(_OPEN) | later) & due.notna() & (due < when)
    a["phase"] = pd.Categorical(a["phase"], categories=PHASE_ORDER, ordered=True)
    g = a.groupby(by, observed=True, sort=True)
    out = pd.DataFrame({"n_activities": g.size(), "n_done": g["is_done"].sum(),
                        "n_overdue": g["is_overdue"].sum()})
    out["share_done"] = out["n_done"] / out["n_activities"]
    out = out[["n_activities", "n_done", "share_done", "n_overdue"]].reset_index()
    out["phase"] = out["phase"].astype(str)
    for c in ("n_activities", "n_done", "n_overdue"):
        out[c] = out[c].astype(int)
    return out
