"""Fidelity measures: attendance and dose, graduation, drop-out and reach.

Carroll et al. (2007) make adherence the core of implementation fidelity: whether the
content was delivered as intended, and how much of it reached people — the dose, i.e.
frequency, duration and coverage (:func:`attendance_summary`, :func:`dosage_summary`).
Adherence and competence live in :mod:`implementere_kit.measures.adherence_competence` and are
importable from here too (:func:`adherence`, :func:`competence_summary`). Reach in RE-AIM
is the participation rate: participants ÷ the eligible population (:func:`reach`).

Dose is judged against the intervention's :class:`~implementere_kit.plans.intervention.DosageRule`.
For KEEP as tried in Denmark that is 16 weekly sessions of 1½ hours, up to six foster
families per group and two group leaders; a family graduates at ≥ 80 % attendance with
make-up sessions counting (13 of 16).

Per participant, DuckDB folds the sessions attended into a bitmask (``bit_or`` of
``1 << session_no``) in one hash aggregation and counts its bits: distinct sessions
without the sort or hash set that ``count(DISTINCT ...)`` needs, and never a Python loop
over rows. Ten million attendance rows take a few seconds.

References
----------
Carroll C, Patterson M, Wood S, Booth A, Rick J, Balain S (2007). A conceptual framework
for implementation fidelity. Implementation Science 2:40.
https://doi.org/10.1186/1748-5908-2-40

Glasgow RE, Vogt TM, Boles SM (1999). Evaluating the public health impact of health
promotion interventions: the RE-AIM framework. Am J Public Health 89:1322–1327. Reach as
participants ÷ eligible: https://re-aim.org/?p=156

Socialstyrelsen, KEEP – om at deltage (16 weeks, 1½ hours a week);
Vidensportal, KEEP (up to six foster families, two course leaders):
https://vidensportal.dk/temaer/plejefamilier/indsatser/keep-2013-keeping-foster-parents-trained-and-supported
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from ..plans.intervention import DosageRule
from ._fidelity_input import (
    _bool,
    _check_by,
    _check_rule,
    _checked_frame,
    _collect,
    _month,
    _participants,
    _rows,
    _session_numbers,
    _table,
    _units,
)
from .adherence_competence import adherence, competence_summary

__all__ = ["attendance_summary", "dosage_summary", "adherence", "competence_summary", "reach",
           "dropout_by_session", "DURATION_TOLERANCE"]

#: A session "keeps time" when its length is within this share of the planned minutes.
DURATION_TOLERANCE = 0.15
_NOT_DROPOUT = ("graduated", "completed")


# -- attendance and dose -----------------------------------------------------------------
def _bits(cond: str, word: int, words: int) -> str:
    """SQL counting the distinct sessions (bits) of one 64-bit word where ``cond`` holds."""
    span = f" AND s >= {64 * word} AND s < {64 * word + 64}" if words > 1 else ""
    return (f"bit_count(coalesce(bit_or(CASE WHEN {cond}{span} THEN 1::UBIGINT << "
            f"(s - {64 * word})::UBIGINT END), 0::UBIGINT))::INTEGER")


def _count_sessions(key, sess, attended, makeup, makeups_count: bool, width: int, order: bool):
    """Per key: sessions counted, sessions made up, highest session attended (DuckDB)."""
    import duckdb

    words = -(-width // 64)  # more than 63 sessions need more than one 64-bit mask
    counted = "a" if makeups_count else "a AND NOT m"
    sql = (f"SELECT k, {' + '.join(_bits(counted, w, words) for w in range(words))} AS n, "
           f"{' + '.join(_bits('a AND m', w, words) for w in range(words))} AS mk, "
           "coalesce(max(CASE WHEN a THEN s END), 0) AS last FROM t GROUP BY k"
           + (" ORDER BY k" if order else ""))
    t = pd.DataFrame({"k": key, "s": sess, "a": attended, "m": makeup}, copy=False)
    with duckdb.connect() as con:
        con.register("t", t)
        return con.sql(sql).df()


def attendance_summary(attendance: pd.DataFrame, rule: DosageRule,
                       participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """Sessions attended, graduation and drop-out per participant.

    Parameters
    ----------
    attendance : DataFrame
        Table ``attendance``: ``participant_id``, ``session_no``, ``attended`` (bool) and
        optionally ``makeup`` (bool; a make-up row counts for the session it replaces).
    rule : DosageRule
        Planned sessions, minimum attendance and whether make-ups count.
    participants : DataFrame, optional
        Table ``participants``. When given, every participant gets a row (0 sessions if
        they have no attendance rows) and site, group and drop-out columns are added.

    Returns
    -------
    DataFrame
        One row per participant, sorted by id: ``participant_id``, ``n_attended`` (distinct
        sessions attended; make-ups only if ``rule.makeups_count``), ``n_makeup`` (distinct
        sessions made up), ``attendance_rate`` (n_attended ÷ rule.sessions, at most 1),
        ``graduated`` (n_attended ≥ rule.sessions_to_graduate; where the practitioner
        decides completion — ``rule.completion == "practitioner"``, FFT and PMTO — an
        end_reason of graduated or completed, unknown without ``participants``) and
        ``last_session``
        (highest session attended, regular or make-up: how far the family got; 0 if
        none). With ``participants`` also ``site``, ``group_id``, ``end_reason``,
        ``dropped_out`` (end_reason ``dropped_out``, or ended for another reason than
        graduated/completed without reaching graduation) and ``dropout_session`` (the
        last session attended by a drop-out).

    Raises
    ------
    ValidationError
        Listing every missing column, session number outside 1..rule.sessions (or
        ``max_sessions``), non-boolean ``attended``/``makeup`` value, and attendance row
        whose participant is not in ``participants``.

    Examples
    --------
    >>> import pandas as pd
    >>> from implementere_kit.plans.intervention import DosageRule
    >>> keep = DosageRule(sessions=16, min_attendance=0.8, makeups_count=True)
    >>> att = pd.DataFrame({"participant_id": "f1", "session_no": list(range(1, 14)),
    ...                     "attended": True, "makeup": [False] * 12 + [True]})
    >>> s = attendance_summary(att, keep)
    >>> s[["participant_id", "n_attended", "n_makeup", "attendance_rate", "graduated"]]
      participant_id  n_attended  n_makeup  attendance_rate  graduated
    0             f1          13         1           0.8125       True
    """
    _check_rule(rule)
    max_no = max(rule.sessions, rule.max_sessions or 0)
    att, problems = _checked_frame(attendance, "attendance",
                                   ["participant_id", "session_no", "attended"])
    if problems:
        raise ValidationError(problems)
    pid = att["participant_id"]
    blank = pid.isna().to_numpy()
    if pd.api.types.is_string_dtype(pid.dtype):
        blank = blank | (pid == "").fillna(False).to_numpy(dtype=bool)
    _rows(problems, blank, "attendance", "participant_id", "required value missing", "an id", pid)
    sess = _session_numbers(att["session_no"], max_no, problems)
    attended = _bool(att["attended"], "attendance", "attended", problems, missing_ok=False)
    makeup = (_bool(att["makeup"], "attendance", "makeup", problems, missing_ok=True)
              if "makeup" in att.columns else np.zeros(len(att), dtype=bool))
    parts = None
    if participants is not None:
        try:
            parts = _participants(participants)
        except ValidationError as exc:  # report the attendance problems too
            problems += exc.problems
    if problems:
        raise ValidationError(problems)
    # DuckDB groups integer codes far faster than categorical labels.
    cat = isinstance(pid.dtype, pd.CategoricalDtype)
    agg = _count_sessions(pid.cat.codes.to_numpy() if cat else pid, sess, attended, makeup,
                          rule.makeups_count, max_no + 1, order=parts is None and not cat)
    found = pid.cat.categories.take(agg["k"].to_numpy()) if cat else pd.Index(agg["k"])
    if parts is None:
        ids, pos = found, np.arange(len(found))
    else:
        ids = parts["participant_id"].array
        pos = pd.Index(ids).get_indexer(found)
        if (pos < 0).any():
            _rows(problems, pid.isin(found[pos < 0]).to_numpy(dtype=bool), "attendance",
                  "participant_id", "participant not in the participants table",
                  "an id of participants", pid)
            raise ValidationError(problems)
    n_attended, n_makeup, last = (np.zeros(len(ids), dtype=np.int64) for _ in range(3))
    n_attended[pos], n_makeup[pos], last[pos] = agg["n"], agg["mk"], agg["last"]
    if rule.sessions_to_graduate is not None:
        graduated = n_attended >= rule.sessions_to_graduate
    elif parts is None:  # the practitioner decides, and nothing says what they decided
        graduated = pd.array([pd.NA] * len(ids), dtype="boolean")
    else:  # the practitioner decides: completed is what they recorded
        graduated = parts["end_reason"].isin(_NOT_DROPOUT).fillna(False).to_numpy(dtype=bool)
    out = pd.DataFrame({"participant_id": ids, "n_attended": n_attended, "n_makeup": n_makeup,
                        "attendance_rate": np.minimum(n_attended / rule.sessions, 1.0),
                        "graduated": graduated, "last_session": last})
    if parts is None:
        return out if not cat else out.sort_values("participant_id").reset_index(drop=True)
    out.insert(1, "site", parts["site"].array)
    out.insert(2, "group_id", parts["group_id"].array)
    reason = parts["end_reason"]
    ended = (parts["ended"].notna() | reason.notna()).to_numpy()
    other = ~reason.isin(_NOT_DROPOUT).fillna(False).to_numpy(dtype=bool)
    dropped = (reason == "dropped_out").fillna(False).to_numpy(dtype=bool) \
        | (ended & other & ~out["graduated"].to_numpy())
    out["end_reason"] = reason.array
    out["dropped_out"] = dropped
    out["dropout_session"] = pd.array(np.where(dropped, last, 0), dtype="Int64")
    out.loc[~dropped, "dropout_session"] = pd.NA
    return out.sort_values("participant_id", kind="stable").reset_index(drop=True)


def dosage_summary(attendance: pd.DataFrame, rule: DosageRule, sessions: pd.DataFrame,
                   participants: pd.DataFrame,
                   by: Sequence[str] = ("site", "group_id")) -> pd.DataFrame:
    """Dose delivered per group, site or month, against the dosage rule.

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

    Returns
    -------
    DataFrame
        One row per unit: ``n_participants``, ``n_groups``, ``group_size`` (the largest
        group in the unit, counting all its participants), ``max_group_size`` (planned)
        and ``over_max_group_size``; ``mean_dosage`` (mean attendance rate),
        ``share_graduated``, ``share_dropped_out``; ``sessions_held``,
        ``sessions_planned`` (rule.sessions × groups; missing when grouped by month) and
        ``share_sessions_held``; ``mean_duration``, ``planned_duration`` and
        ``share_duration_ok`` (share of sessions with a known length within ±15 % of
        planned); ``mean_leaders`` (distinct leaders per session), ``planned_leaders``
        and ``share_leaders_ok`` (sessions with at least the planned leaders).

    Examples
    --------
    >>> import pandas as pd
    >>> from implementere_kit.plans.intervention import DosageRule
    >>> rule = DosageRule(sessions=2, min_attendance=0.5, session_minutes=90,
    ...                   max_group_size=1, leaders_per_group=2)
    >>> parts = pd.DataFrame({"participant_id": ["a", "b"], "site": "101",
    ...                       "group_id": "g1", "enrolled": "2024-01-08"})
    >>> ses = pd.DataFrame({"site": "101", "group_id": "g1", "session_no": [1, 2],
    ...                     "date": ["2024-01-08", "2024-01-15"], "duration_min": [90, 60],
    ...                     "leaders": ["s1;s2", "s1"]})
    >>> att = pd.DataFrame({"participant_id": ["a", "a", "b"], "session_no": [1, 2, 1],
    ...                     "attended": True})
    >>> d = dosage_summary(att, rule, ses, parts)
    >>> d[["group_id", "n_participants", "over_max_group_size", "mean_dosage",
    ...    "share_duration_ok"]]
      group_id  n_participants  over_max_group_size  mean_dosage  share_duration_ok
    0       g1               2                 True         0.75                0.5
    """
    _check_rule(rule)
    by = _check_by(by, ("site", "group_id", "month"), "dosage")
    p, ses, parts = _collect(lambda: attendance_summary(attendance, rule, participants),
                             lambda: _table(sessions, "sessions"),
                             lambda: _participants(participants, need_enrolled="month" in by))
    if "month" in by:
        p = p.merge(parts[["participant_id", "enrolled"]], on="participant_id", how="left")
        p["month"] = _month(p["enrolled"])
    p["group_size"] = p.groupby(["site", "group_id"])["participant_id"].transform("size")
    ses["month"] = _month(ses["date"])
    tokens = ses["leaders"].str.split(";").explode().str.strip()
    tokens = tokens[tokens.notna() & (tokens != "")]
    n_leaders = tokens.groupby(level=0).nunique().reindex(ses.index, fill_value=0)
    ses["n_leaders"] = n_leaders.where(ses["leaders"].notna()).astype("float64")
    ses["leaders_ok"] = _flag(ses["n_leaders"], rule.leaders_per_group,
                              lambda n, plan: n >= plan)
    ses["duration_ok"] = _flag(ses["duration_min"], rule.session_minutes,
                               lambda d, plan: (d - plan).abs() <= DURATION_TOLERANCE * plan)
    p, keys = _units(p, by)
    ses, _ = _units(ses, by)
    gp, gs = p.groupby(keys, dropna=False), ses.groupby(keys, dropna=False)
    cols = sorted({*keys, "site", "group_id"})
    groups = pd.concat([p[cols], ses[cols]]).drop_duplicates()
    out = pd.concat({
        "n_participants": gp.size(), "n_groups": groups.groupby(keys, dropna=False)["group_id"]
        .nunique(), "group_size": gp["group_size"].max(),
        "mean_dosage": gp["attendance_rate"].mean(), "share_graduated": gp["graduated"].mean(),
        "share_dropped_out": gp["dropped_out"].mean(), "sessions_held": gs.size(),
        "mean_duration": gs["duration_min"].mean(), "share_duration_ok": gs["duration_ok"].mean(),
        "mean_leaders": gs["n_leaders"].mean(), "share_leaders_ok": gs["leaders_ok"].mean(),
    }, axis=1).reset_index()
    for c in ("n_participants", "sessions_held", "n_groups"):
        out[c] = out[c].fillna(0).astype("int64")
    for col, plan in (("max_group_size", rule.max_group_size),
                      ("planned_duration", rule.session_minutes),
                      ("planned_leaders", rule.leaders_per_group)):
        out[col] = pd.array([plan] * len(out), dtype="Int64")
    out["over_max_group_size"] = pd.array(out["group_size"] > (rule.max_group_size or np.inf),
                                          dtype="boolean")
    unknown = out["group_size"].isna() | (rule.max_group_size is None)
    out.loc[unknown, "over_max_group_size"] = pd.NA
    out["sessions_planned"] = (np.nan if "month" in by
                               else (out["n_groups"] * rule.sessions).astype("float64"))
    out["share_sessions_held"] = out["sessions_held"] / out["sessions_planned"].replace(0, np.nan)
    return out[[*by, "n_participants", "n_groups", "group_size", "max_group_size",
                "over_max_group_size", "mean_dosage", "share_graduated", "share_dropped_out",
                "sessions_held", "sessions_planned", "share_sessions_held", "mean_duration",
                "planned_duration", "share_duration_ok", "mean_leaders", "planned_leaders",
                "share_leaders_ok"]]


def _flag(value: pd.Series, plan, test) -> pd.Series:
    """1.0 / 0.0 per session, NaN where the value or the plan is unknown (means skip it)."""
    if plan is None:
        return pd.Series(np.nan, index=value.index)
    return test(value, plan).astype("float64").where(value.notna())


# -- coverage: reach and drop-out ------------------------------------------------------------
def reach(participants: pd.DataFrame, eligible: pd.DataFrame,
          by: Sequence[str] = ("site",)) -> pd.DataFrame:
    """RE-AIM reach: participants enrolled ÷ eligible population, per site and period.

    Parameters
    ----------
    participants : DataFrame
        Table ``participants`` (``site`` and ``enrolled`` are used).
    eligible : DataFrame
        Table ``eligible``: ``site``, ``period`` and ``n_eligible``. A period is a year
        (``"2024"``), a month (``"2024-03"``) or ``"all"``; participants are counted by
        the date they enrolled.
    by : sequence of str
        ``("site",)`` or ``()`` to add up the sites per period.

    Returns
    -------
    DataFrame
        ``site`` (unless ``by=()``), ``period``, ``n_participants``, ``n_eligible``,
        ``reach`` and ``note``. Reach is NaN, with a note, where the eligible count is
        missing or 0; sites with participants but no eligible row get one such row. A
        reach above 1 is kept and flagged: it points to mismatched periods or counts.

    Examples
    --------
    >>> import pandas as pd
    >>> parts = pd.DataFrame({"participant_id": ["a", "b", "c"], "site": ["101", "101", "147"],
    ...                       "enrolled": ["2024-02-01", "2024-03-05", "2024-03-09"]})
    >>> elig = pd.DataFrame({"site": ["101"], "period": ["2024"], "n_eligible": [8]})
    >>> reach(parts, elig)[["site", "period", "reach", "note"]].values.tolist()
    [['101', '2024', 0.25, <NA>], ['147', <NA>, nan, 'no eligible population given']]
    """
    by = _check_by(by, ("site",), "reach")
    parts = _participants(participants, need_enrolled=True)
    elig = _table(eligible, "eligible")
    period = elig["period"].str.strip()
    period = period.where(period.str.lower() != "all", "all")
    ok = period.str.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?|all").fillna(False)
    problems: list[Problem] = []
    _rows(problems, ~ok.to_numpy(dtype=bool), "eligible", "period", "period not understood",
          "a year YYYY, a month YYYY-MM or all", elig["period"])
    if problems:
        raise ValidationError(problems)
    elig["period"] = period
    site_n = parts.groupby("site").size()
    counts = pd.concat([
        parts.groupby(["site", parts["enrolled"].dt.strftime("%Y")]).size(),
        parts.groupby(["site", _month(parts["enrolled"])]).size(),
        pd.Series(site_n.to_numpy(), index=pd.MultiIndex.from_arrays(
            [site_n.index, ["all"] * len(site_n)])),
    ]).rename("n_participants").rename_axis(["site", "period"]).reset_index()
    out = elig[["site", "period", "n_eligible"]].merge(counts, on=["site", "period"], how="left")
    missing = site_n[~site_n.index.isin(elig["site"])]
    out = pd.concat([out, pd.DataFrame({"site": missing.index, "period": pd.NA,
                                        "n_participants": missing.to_numpy()})],
                    ignore_index=True)
    out["n_participants"] = out["n_participants"].fillna(0).astype("int64")
    if not by:
        out = out.groupby("period", dropna=False)[["n_participants", "n_eligible"]].sum(
            min_count=1).reset_index()
    n_el = out["n_eligible"].astype("float64")
    out["reach"] = out["n_participants"] / n_el.where(n_el > 0)
    note = pd.Series(pd.NA, index=out.index, dtype="string")
    note[out["reach"] > 1] = "more participants than eligible: check periods and counts"
    note[n_el == 0] = "eligible population is 0"
    note[n_el.isna()] = "no eligible population given"
    out["note"] = note
    out["period"] = out["period"].astype("string")
    return out[[*by, "period", "n_participants", "n_eligible", "reach", "note"]]


def dropout_by_session(attendance_summary_df: pd.DataFrame) -> pd.DataFrame:
    """Drop-outs by the last session they attended, for a drop-out curve.

    Parameters
    ----------
    attendance_summary_df : DataFrame
        The result of :func:`attendance_summary` called with ``participants``.

    Returns
    -------
    DataFrame
        One row per session 0 (dropped out before attending) to the highest session
        anyone attended: ``last_session``, ``n_dropped_out``, ``share_of_dropouts``,
        ``share_of_participants`` and ``cumulative_share`` (share of all participants
        who had dropped out by then).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"last_session": [2, 16, 2, 0], "dropped_out": [True, False, True, True],
    ...                   "dropout_session": [2, None, 2, 0]})
    >>> d = dropout_by_session(s)
    >>> d.loc[d.last_session == 2, ["n_dropped_out", "cumulative_share"]].values.tolist()
    [[2.0, 0.75]]
    """
    df, problems = _checked_frame(attendance_summary_df, "attendance summary",
                          ["last_session", "dropped_out", "dropout_session"])
    if problems:
        problems.append(Problem("call attendance_summary(attendance, rule, participants) "
                                "with participants to get drop-out columns"))
        raise ValidationError(problems)
    top = int(df["last_session"].max()) if len(df) else 0
    sessions = pd.RangeIndex(0, top + 1, name="last_session")
    dropped = df.loc[df["dropped_out"].astype(bool), "dropout_session"].astype("int64")
    n = dropped.value_counts().reindex(sessions, fill_value=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"n_dropped_out": n,
                            "share_of_dropouts": n / n.sum() if n.sum() else np.nan,
                            "share_of_participants": n / len(df),
                            "cumulative_share": n.cumsum() / len(df)})
    return out.reset_index()
