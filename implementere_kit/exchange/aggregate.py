"""Aggregate packages: counts and rates, with small cells suppressed.

A cell describing fewer than ``k`` people (1 ≤ n < k; default k = 5) is suppressed: its
count and every rate computed from it are blanked and ``suppressed`` is set. A single
suppressed cell could be recovered by subtracting the others from a total published
elsewhere (for instance the site's number of participants), so within each site a
second cell — the smallest one left — is suppressed too whenever only one was
(secondary, or complementary, suppression).

References
----------
Hundepool A et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 5 (tabular data:
threshold rule and secondary suppression).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["suppress_small_cells", "aggregate_tables"]


def suppress_small_cells(df: pd.DataFrame, count: str, k: int = 5, *, within=("site",),
                         values=()) -> pd.DataFrame:
    """Blank cells with ``1 ≤ count < k`` and, where only one cell of a ``within`` group
    was blanked, the smallest other cell as well.

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
    out["suppressed"] = sup.to_numpy()
    out[count] = out[count].astype("Int64").mask(sup)
    for v in values:
        out[v] = out[v].astype("float64").mask(sup)
    return out


def _month(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m")


def aggregate_tables(project, tables: dict[str, pd.DataFrame], k: int = 5) -> dict[str, pd.DataFrame]:
    """The tables of an aggregate package for one project (no row describes one person)."""
    from ..measures.fidelity import adherence, attendance_summary

    site = project.site
    intervention = project.intervention
    out: dict[str, pd.DataFrame] = {}
    for name, drop in (("sic_events", []), ("eligible", []), ("activities", ["notes"]),
                       ("checklist_answers", ["answer", "answered_by"])):
        if name in tables:
            out[name] = tables[name].drop(columns=[c for c in drop if c in tables[name]])
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
        out["agg_participants"] = agg
    sessions = tables.get("sessions")
    if sessions is not None and len(sessions):
        g = sessions.groupby(["site", "group_id"])
        agg = g.agg(n_sessions=("session_no", "nunique"),
                    mean_duration_min=("duration_min", "mean"),
                    first_date=("date", "min"), last_date=("date", "max")).reset_index()
        agg["planned_sessions"] = intervention.dosage.sessions if intervention.dosage else pd.NA
        agg["planned_minutes"] = (intervention.dosage.session_minutes
                                  if intervention.dosage else pd.NA)
        agg["month"] = _month(agg.pop("first_date"))
        agg = agg.drop(columns="last_date")
        out["agg_sessions"] = agg
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


