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

Per participant, DuckDB folds the sessions attended into 64-bit masks (``bit_or`` of
``1 << (session_no % 64)`` per word ``session_no // 64``) and counts their bits: distinct
sessions without the sort or hash set that ``count(DISTINCT ...)`` needs, with no cap on
session numbers. The SQL is the catalogue's (:mod:`implementere_kit.measures.engine`), the
same for a project, a package and the network.

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
from ._dosage import dosage_summary
from ._fidelity_input import (
    _attendance_input,
    _check_by,
    _check_rule,
    _checked_frame,
    _completion_of,
    _month,
    _participants,
    _rows,
    _table,
)
from .adherence_competence import adherence, competence_summary
from .catalogue import parameters

__all__ = ["attendance_summary", "dosage_summary", "adherence", "competence_summary", "reach",
           "dropout_by_session", "DURATION_TOLERANCE"]

#: A session "keeps time" when its length is within this share of the planned minutes (the
#: catalogue's ``duration_tolerance``).
DURATION_TOLERANCE = parameters()["duration_tolerance"]


# -- attendance and dose -----------------------------------------------------------------
def attendance_summary(attendance: pd.DataFrame, rule: DosageRule,
                       participants: pd.DataFrame | None = None, *,
                       completion: str | None = None) -> pd.DataFrame:
    """Sessions attended, graduation and drop-out per participant.

    Computed by the catalogue's one definition (the ``u_attendance`` and
    ``u_participants`` views of :mod:`implementere_kit.measures.engine`), so these rows add
    up to the measures ``completion``, ``dropout`` and ``dose`` everywhere.

    Parameters
    ----------
    attendance : DataFrame
        Table ``attendance``: ``participant_id``, ``session_no``, ``attended`` (bool) and
        optionally ``makeup`` (bool; a make-up row counts for the session it replaces).
    rule : DosageRule
        Planned sessions, minimum attendance and whether make-ups count.
    participants : DataFrame, optional
        Table ``participants``. When given, every participant gets a row (0 sessions if
        they have no attendance rows) and site, group, completion and drop-out columns are
        added.
    completion : {"attendance", "recorded"}, optional
        How a participant completes (default: what ``rule`` says, else attendance; pass
        :func:`~implementere_kit.measures.catalogue.completion_rule` of the intervention).

    Returns
    -------
    DataFrame
        One row per participant, sorted by id: ``participant_id``, ``n_attended`` (distinct
        sessions attended; make-ups only if ``rule.makeups_count``; no cap on session
        numbers), ``n_makeup`` (distinct sessions made up), ``attendance_rate``
        (n_attended ÷ rule.sessions, at most 1), ``graduated`` (n_attended ≥
        rule.sessions_to_graduate: the attendance criterion) and ``last_session`` (highest
        session attended, regular or make-up; 0 if none). With ``participants`` also
        ``site``, ``group_id``, ``end_reason``, ``dropped_out`` (ended before the end of the
        course without completing, whatever reason was recorded: the catalogue's
        drop-out), ``dropout_session`` (the last session attended by a drop-out),
        ``ended`` and ``completed`` (by the completion rule).

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
    from .catalogue import Rules
    from .engine import from_tables, prepare

    _check_rule(rule)
    how = _completion_of(rule, completion)
    pid, tables, parts = _attendance_input(attendance, rule, participants)
    rules = Rules("", sessions=rule.sessions, to_graduate=rule.sessions_to_graduate,
                  makeups_count=rule.makeups_count, completion=how)
    with from_tables(tables, rules) as src:
        prepare(src, None, families_=["participants"], detail=True)
        cols = "participant_id, n_counted, n_makeup, last_session"
        if parts is None:
            agg = src.con.execute(f"SELECT {cols} FROM u_attendance").df()
        else:
            agg = src.con.execute(f"SELECT {cols}, is_ended, completed, dropped_out "
                                  "FROM u_participants").df()
    return _summary(agg, pid, parts, rule)


def _summary(agg: pd.DataFrame, pid: pd.Series, parts, rule: DosageRule) -> pd.DataFrame:
    agg = agg.sort_values("participant_id", kind="stable").reset_index(drop=True)
    n = agg["n_counted"].to_numpy(dtype=np.int64)
    out = pd.DataFrame({"participant_id": agg["participant_id"].astype(object)
                        if parts is None else agg["participant_id"],
                        "n_attended": n, "n_makeup": agg["n_makeup"].to_numpy(dtype=np.int64),
                        "attendance_rate": np.minimum(n / rule.sessions, 1.0),
                        "graduated": _graduated(n, agg, parts, rule),
                        "last_session": agg["last_session"].to_numpy(dtype=np.int64)})
    if parts is None:
        if isinstance(pid.dtype, pd.CategoricalDtype):
            out["participant_id"] = pd.Categorical(out["participant_id"],
                                                   categories=pid.cat.categories)
        return out
    info = parts.set_index("participant_id").reindex(out["participant_id"])
    out.insert(1, "site", info["site"].array)
    out.insert(2, "group_id", info["group_id"].array)
    dropped = agg["dropped_out"].to_numpy(dtype=bool)
    out["end_reason"] = info["end_reason"].array
    out["dropped_out"] = dropped
    out["dropout_session"] = pd.array(np.where(dropped, out["last_session"], 0), dtype="Int64")
    out.loc[~dropped, "dropout_session"] = pd.NA
    out["ended"] = agg["is_ended"].to_numpy(dtype=bool)
    out["completed"] = agg["completed"].to_numpy(dtype=bool)
    return out


def _graduated(n: np.ndarray, agg: pd.DataFrame, parts, rule: DosageRule):
    """The attendance criterion; where the practitioner decides completion (FFT, PMTO: no
    attendance share) what was recorded, unknown without ``participants``."""
    if rule.sessions_to_graduate is not None:
        return n >= rule.sessions_to_graduate
    if parts is None:
        return pd.array([pd.NA] * len(n), dtype="boolean")
    return agg["completed"].to_numpy(dtype=bool)


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

