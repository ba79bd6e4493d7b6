"""Dose delivered per group, site or month (private; importable from
:mod:`implementere_kit.measures.fidelity`, which documents the measures)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..plans.intervention import DosageRule
from ._fidelity_input import (
    _attendance_input,
    _check_by,
    _check_rule,
    _collect,
    _completion_of,
    _table,
)

__all__ = ["dosage_summary"]


def dosage_summary(attendance: pd.DataFrame, rule: DosageRule, sessions: pd.DataFrame,
                   participants: pd.DataFrame,
                   by: Sequence[str] = ("site", "group_id"), *,
                   completion: str | None = None) -> pd.DataFrame:
    """Dose delivered per group, site or month, against the dosage rule.

    The shares are the catalogue's measures (:mod:`implementere_kit.measures.catalogue`)
    computed per unit by the engine; the means and sizes describe the unit.

    Parameters
    ----------
    attendance : DataFrame
        Table ``attendance``.
    rule : DosageRule
        The planned dose; second, as in :func:`attendance_summary`.
    sessions, participants : DataFrame
        Tables ``sessions`` (``leaders`` is a ';'-separated list of practitioner ids) and
        ``participants``.
    by : sequence of str
        Any of ``site``, ``group_id``, ``month``; ``()`` gives one overall row. For
        participant measures ``month`` is the month of enrolment (a family belongs to the
        cohort it joined); for session measures it is the month the session was held, so
        a course running over several months shows up in each of them.
    completion : {"attendance", "recorded"}, optional
        As in :func:`attendance_summary`.

    Returns
    -------
    DataFrame
        One row per unit: ``n_participants`` (measure ``participants``), ``n_groups``
        (``groups``), ``group_size`` (the largest group in the unit), ``max_group_size``
        (planned) and ``over_max_group_size``; ``mean_dosage`` (``dose``: sessions
        attended ÷ planned, over participants who have ended), ``share_graduated``
        (``completion_enrolled``), ``share_dropped_out`` (``dropout``); ``sessions_held``
        (``sessions``), ``sessions_planned`` (rule.sessions × groups; missing by month)
        and ``share_sessions_held``; ``mean_duration``, ``planned_duration`` and
        ``share_duration_ok`` (``sessions_on_time``); ``mean_leaders`` (distinct leaders
        per session), ``planned_leaders`` and ``share_leaders_ok`` (``sessions_staffed``).

    Examples
    --------
    >>> import pandas as pd
    >>> from implementere_kit.plans.intervention import DosageRule
    >>> rule = DosageRule(sessions=2, min_attendance=0.5, session_minutes=90,
    ...                   max_group_size=1, leaders_per_group=2)
    >>> parts = pd.DataFrame({"participant_id": ["a", "b"], "site": "101",
    ...                       "group_id": "g1", "enrolled": "2024-01-08",
    ...                       "ended": ["2024-01-15", None]})
    >>> ses = pd.DataFrame({"site": "101", "group_id": "g1", "session_no": [1, 2],
    ...                     "date": ["2024-01-08", "2024-01-15"], "duration_min": [90, 60],
    ...                     "leaders": ["s1;s2", "s1"]})
    >>> att = pd.DataFrame({"participant_id": ["a", "a", "b"], "session_no": [1, 2, 1],
    ...                     "attended": True})
    >>> d = dosage_summary(att, rule, ses, parts)
    >>> d[["group_id", "n_participants", "over_max_group_size", "mean_dosage",
    ...    "share_duration_ok"]]
      group_id  n_participants  over_max_group_size  mean_dosage  share_duration_ok
    0       g1               2                 True          1.0                0.5
    """
    from .catalogue import Rules
    from .engine import compute, from_tables

    _check_rule(rule)
    by = _check_by(by, ("site", "group_id", "month"), "dosage")
    how = _completion_of(rule, completion)
    (_, tables, _), ses = _collect(
        lambda: _attendance_input(attendance, rule, participants, need_enrolled="month" in by),
        lambda: _table(sessions, "sessions"))
    tables["sessions"] = ses
    rules = Rules("", sessions=rule.sessions, to_graduate=rule.sessions_to_graduate,
                  makeups_count=rule.makeups_count, completion=how,
                  session_minutes=rule.session_minutes,
                  leaders_per_group=rule.leaders_per_group, max_group_size=rule.max_group_size)
    level = "month" if "month" in by else "all"
    eng_by = ("group_id",) if "group_id" in by else ()
    keys = (["site"] if "site" in by else []) + (["period"] if level == "month" else []) \
        + list(eng_by)
    named = {"participants": "n_participants", "groups": "n_groups", "dose": "mean_dosage",
             "completion_enrolled": "share_graduated", "dropout": "share_dropped_out",
             "sessions": "sessions_held", "sessions_on_time": "share_duration_ok",
             "sessions_staffed": "share_leaders_ok", "groups_over_size": "over"}
    with from_tables(tables, rules) as src:
        m = compute(src, ids=list(named), levels=(level,), by=eng_by, pool="site" not in by)
        group = ", ".join(["'all' AS _all", *keys])
        extra = src.con.execute(
            f"SELECT {group}, avg(duration_min) AS mean_duration, avg(n_leaders) AS "
            f"mean_leaders FROM (SELECT *, {_PERIOD_SQL[level]} AS period FROM u_sessions) "
            "GROUP BY ALL").df()
        sizes = src.con.execute(
            f"SELECT {group}, max(n_members) AS group_size FROM (SELECT *, "
            f"{_PERIOD_SQL[level]} AS period FROM u_groups WHERE n_members > 0) "
            "GROUP BY ALL").df()
    m["measure"] = m["measure"].map(named)
    idx = ["_all", *keys]
    wide = m.assign(_all="all").pivot_table(index=idx, columns="measure", values="value",
                                            aggfunc="first", dropna=False)
    over = m[m["measure"] == "over"].assign(_all="all").set_index(idx)["numerator"]
    out = (wide.reset_index().merge(extra, on=idx, how="outer")
           .merge(sizes, on=idx, how="outer"))
    out["over"] = out.set_index(idx).index.map(over.to_dict().get)
    for c in ("n_participants", "sessions_held", "n_groups"):
        out[c] = out.get(c, pd.Series(0, index=out.index)).fillna(0).astype("int64")
    for col, plan in (("max_group_size", rule.max_group_size),
                      ("planned_duration", rule.session_minutes),
                      ("planned_leaders", rule.leaders_per_group)):
        out[col] = pd.array([plan] * len(out), dtype="Int64")
    known = out["group_size"].notna() & (rule.max_group_size is not None)
    out["over_max_group_size"] = pd.array(
        np.where(known, out["over"].astype("float64").fillna(0) > 0, False), dtype="boolean")
    out.loc[~known.to_numpy(), "over_max_group_size"] = pd.NA
    out["sessions_planned"] = (np.nan if level == "month"
                               else (out["n_groups"] * rule.sessions).astype("float64"))
    out["share_sessions_held"] = out["sessions_held"] / out["sessions_planned"].replace(0, np.nan)
    out = out.rename(columns={"period": "month"})
    cols = [*by, "n_participants", "n_groups", "group_size", "max_group_size",
            "over_max_group_size", "mean_dosage", "share_graduated", "share_dropped_out",
            "sessions_held", "sessions_planned", "share_sessions_held", "mean_duration",
            "planned_duration", "share_duration_ok", "mean_leaders", "planned_leaders",
            "share_leaders_ok"]
    for c in cols:
        if c not in out:
            out[c] = np.nan
    return out.sort_values(list(by) or ["n_participants"], kind="stable")[cols] \
        .reset_index(drop=True)


_PERIOD_SQL = {"all": "'all'", "month": "strftime(date, '%Y-%m')"}
