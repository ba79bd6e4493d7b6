"""Aggregate packages: counts and rates, with small cells suppressed.

The threshold ``k`` is the smallest number of people a published cell may describe:
5 by default, never below :data:`MIN_K` (3), and 3 or 4 only when asked for explicitly
(``allow_small_k``), which the package records (see :func:`check_k`).

A cell describing fewer than ``k`` people (1 ≤ n < k) is suppressed: its count and every
rate computed from it are blanked and ``suppressed`` is set. A single suppressed cell
could be recovered by subtracting the others from a total published elsewhere (for
instance the site's number of participants), so within each site a second cell — the
smallest one left — is suppressed too whenever only one was (secondary, or
complementary, suppression).

Sensitive event counts inside a shown cell — graduates and drop-outs among a month's
participants — follow the same rules: a part is blanked when it, or the rest of the cell
(participants who did not drop out), is 1 … k-1, with the same secondary suppression, so
"one drop-out among five" is never published. Which columns are counts of people, and
which are parts of them, is declared in tables.yaml (``k_count``, ``k_part_of``).

References
----------
Hundepool A et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 5 (tabular data:
threshold rule and secondary suppression).
"""

from __future__ import annotations

import pandas as pd

from ..errors import Problem, ValidationError, safe_value

__all__ = ["MIN_K", "SAFE_K", "check_k", "suppress_small_cells", "aggregate_tables"]

#: Never publish a cell of fewer people than this, whatever is asked for.
MIN_K = 3
#: The default threshold; a smaller one (3 or 4) needs ``allow_small_k=True``.
SAFE_K = 5


def check_k(k, allow_small_k: bool = False) -> int:
    """``k`` as an int if it is an allowed threshold, else a :class:`ValidationError`.

    Examples
    --------
    >>> check_k(5), check_k(4, allow_small_k=True)
    (5, 4)
    >>> try:
    ...     check_k(4)
    ... except ValidationError as err:
    ...     print(err.problems[0].message)
    k of 3 or 4 needs allow_small_k=True
    """
    import numbers

    if not isinstance(allow_small_k, bool):
        raise ValidationError([Problem("allow_small_k must be true or false",
                                       column="allow_small_k", expected="True or False",
                                       found=safe_value(allow_small_k))])
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValidationError([Problem("k must be a whole number", column="k",
                                       expected=f"a whole number ≥ {MIN_K} (default {SAFE_K})",
                                       found=safe_value(k))])
    k = int(k)
    if k < MIN_K:
        raise ValidationError([Problem(f"k below {MIN_K} is never allowed", column="k",
                                       expected=f"≥ {MIN_K} (default {SAFE_K})", found=str(k))])
    if k > 10**6:
        raise ValidationError([Problem("k is larger than any cell", column="k",
                                       expected="≤ 1000000", found=str(k))])
    if k < SAFE_K and not allow_small_k:
        raise ValidationError([Problem(f"k of {MIN_K} or {SAFE_K - 1} needs allow_small_k=True",
                                       column="k", expected=f"≥ {SAFE_K}, or allow_small_k "
                                       "(recorded in the package)", found=str(k))])
    return k


def suppress_small_cells(df: pd.DataFrame, count: str, k: int = 5, *, within=("site",),
                         values=(), whole: str | None = None,
                         flag: str | None = "suppressed") -> pd.DataFrame:
    """Blank cells with ``1 ≤ count < k`` and, where only one cell of a ``within`` group
    was blanked, the smallest other cell as well.

    With ``whole`` (the column ``count`` is a part of, e.g. drop-outs among participants)
    a cell is also blanked when the rest, ``whole - count``, is 1 … k-1; cells whose
    ``count`` is already missing are left alone. ``flag`` names the column that marks
    blanked rows (``None``: none is added).

    Examples
    --------
    >>> df = pd.DataFrame({"site": "101", "group_id": ["a", "b", "c"],
    ...                    "n": [3, 8, 12], "rate": [0.5, 0.7, 0.9]})
    >>> out = suppress_small_cells(df, "n", k=5, values=["rate"])
    >>> out["suppressed"].tolist()
    [True, True, False]
    >>> out["n"].tolist()
    [<NA>, <NA>, 12]
    """
    out = df.copy().reset_index(drop=True)
    n = out[count].astype("float64")
    primary = (n >= 1) & (n < k)
    if whole is not None:
        rest = out[whole].astype("float64") - n
        primary |= (rest >= 1) & (rest < k)
    sup = primary.copy()
    if within:
        key = out[list(within)].astype("string").agg("|".join, axis=1)
        n_sup = sup.groupby(key).transform("sum")
        lone = (n_sup == 1)
        # the smallest non-suppressed, non-zero cell in each group with a lone suppression
        cand = n[lone & ~sup & (n > 0)]
        if len(cand):
            pick = cand.sort_values(kind="stable").groupby(key[cand.index]).head(1).index
            sup.loc[pick] = True
    if flag:
        out[flag] = sup.to_numpy()
    out[count] = out[count].astype("Int64").mask(sup)
    for v in values:
        out[v] = out[v].astype("float64").mask(sup)
    return out


def _month(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m")


def aggregate_tables(project, tables: dict[str, pd.DataFrame], k: int = 5) -> dict[str, pd.DataFrame]:
    """The aggregate tables (``agg_*``) of one project: no row describes one person.

    Which other tables (the plan, SIC events, the eligible population) go into an
    aggregate package, and in what form, is the allow-list's decision.
    """
    from ..measures.fidelity import adherence, attendance_summary

    site = project.site
    intervention = project.intervention
    out: dict[str, pd.DataFrame] = {}
    parts, att = tables.get("participants"), tables.get("attendance")
    if parts is not None and att is not None and intervention.dosage is not None:
        summ = attendance_summary(att, intervention.dosage, participants=parts)
        summ = summ.merge(parts[["participant_id", "enrolled"]], on="participant_id", how="left")
        summ["month"] = _month(summ["enrolled"])
        # Cohorts by enrolment month, not by group: a KEEP group has at most six families,
        # so nearly every group cell would fall under k and be suppressed.
        g = summ.groupby(["site", "month"], dropna=False)
        agg = g.agg(n_participants=("participant_id", "size"),
                    n_graduated=("graduated", "sum"),
                    n_dropped_out=("dropped_out", "sum"),
                    mean_attendance_rate=("attendance_rate", "mean")).reset_index()
        for c in ("n_graduated", "n_dropped_out"):
            agg[c] = agg[c].astype("Int64")
        agg = suppress_small_cells(agg, "n_participants", k, values=["mean_attendance_rate"])
        agg.loc[agg["suppressed"], ["n_graduated", "n_dropped_out"]] = pd.NA
        for part in ("n_graduated", "n_dropped_out"):
            agg = suppress_small_cells(agg, part, k, whole="n_participants", flag=None)
        out["agg_participants"] = agg
    sessions = tables.get("sessions")
    if sessions is not None and len(sessions):
        out["agg_sessions"] = _session_aggregate(sessions, intervention.dosage, k)
    checks = tables.get("fidelity_checks")
    if checks is not None and len(checks):
        adh = adherence(checks, threshold=intervention.fidelity_threshold,
                        by=("site", "month", "component"), intervention=intervention)
        keep = [c for c in ("site", "month", "component", "kind", "n_checks", "n_items",
                            "adherence", "meets_threshold") if c in adh.columns]
        out["agg_adherence"] = adh[keep]
    surveys = tables.get("survey_responses")
    if surveys is not None and len(surveys):
        out["agg_surveys"] = _survey_aggregate(surveys, k)
    ratings = tables.get("competence_ratings")
    if ratings is not None and len(ratings):
        g = ratings.groupby(["site", "dimension"])
        agg = g.agg(n_practitioners=("practitioner_id", "nunique"),
                    n_ratings=("score", "size"), mean_score=("score", "mean")).reset_index()
        out["agg_competence"] = suppress_small_cells(agg, "n_practitioners", k,
                                                     values=["mean_score"])
    staff = tables.get("staff")
    if staff is not None and len(staff):
        out["agg_staff"] = pd.DataFrame({
            "site": [site], "n_trained": [int(staff["trained"].notna().sum())],
            "n_delivering": [int(staff["first_delivery"].notna().sum())],
            "n_certified": [int(staff["certified"].notna().sum())]})
    return out


def _session_aggregate(sessions: pd.DataFrame, dosage, k: int) -> pd.DataFrame:
    """Groups by the month of their first session; no group id, months under k suppressed."""
    per_group = sessions.groupby(["site", "group_id"]).agg(
        n_sessions=("session_no", "nunique"), first=("date", "min"),
        minutes=("duration_min", "sum"), timed=("duration_min", "count")).reset_index()
    per_group["month"] = _month(per_group["first"])
    g = per_group.groupby(["site", "month"])
    agg = g.agg(n_groups=("group_id", "size"), n_sessions=("n_sessions", "sum"),
                minutes=("minutes", "sum"), timed=("timed", "sum")).reset_index()
    agg["mean_sessions_per_group"] = agg["n_sessions"] / agg["n_groups"]
    agg["mean_duration_min"] = (agg.pop("minutes") / agg.pop("timed").where(lambda t: t > 0))
    agg["planned_sessions"] = dosage.sessions if dosage else pd.NA
    agg["planned_minutes"] = dosage.session_minutes if dosage else pd.NA
    agg = suppress_small_cells(agg, "n_groups", k, values=[
        "mean_sessions_per_group", "mean_duration_min"])
    agg["n_sessions"] = agg["n_sessions"].astype("Int64").mask(agg["suppressed"])
    return agg


def _survey_aggregate(surveys: pd.DataFrame, k: int) -> pd.DataFrame:
    from ..measures.instruments import load_instrument, responses_from_long, score_instrument

    rows = []
    for name in sorted(surveys["instrument"].unique()):
        inst = load_instrument(name)
        scores = score_instrument(responses_from_long(surveys, inst), inst)
        for scale in inst.scales:
            g = scores.groupby(["site", "wave"])[scale]
            part = g.agg(n_respondents="count", mean="mean", sd="std").reset_index()
            part.insert(1, "instrument", name)
            part.insert(3, "scale", scale)
            rows.append(part)
    agg = pd.concat(rows, ignore_index=True)
    agg["wave"] = agg["wave"].astype("Int64")
    return suppress_small_cells(agg, "n_respondents", k, within=("site", "instrument", "scale"),
                                values=["mean", "sd"])


