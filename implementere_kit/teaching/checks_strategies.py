"""Checks of the exercises in lessons 8 and 9: barriers → strategies, and which components
go with better outcomes.

Expected values are computed from the example data by a route other than the lesson's
where that is possible (unresolved barriers counted from the status column, dose from the
attendance rows), so a check is not true by construction. Judgements (the EPIS domain of a
described barrier, the strategies that reach a barrier's cause, the instrument that answers
a question) are data in ``content/exercises.yaml``.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ..errors import ValidationError, safe_value
from ._answers import coded_exercise, mapping_answer, number_answer, unanswered
from .data import content, site_for_checks
from .feedback import Feedback, close, feedback, fnum, fpct, is_unanswered

__all__ = ["check_exercise_8_1", "check_exercise_8_2", "check_exercise_8_3",
           "check_exercise_8_4", "check_exercise_8_5", "check_exercise_9_1",
           "check_exercise_9_3", "check_exercise_9_4", "unresolved_barriers"]

_SITE = "904"  # Mosebjerg: the site whose plan lesson 8 writes


# -- lesson 8 ------------------------------------------------------------------------------
def check_exercise_8_1(domains, *, lang: str | None = None) -> Feedback:
    """The EPIS domain of each described barrier."""
    from ..learning.vocabulary import values

    return coded_exercise("8.1", domains, content("exercises")["epis_situations"],
                          values("barriers", "domain"), "not_a_domain", "ex8_1_", lang)


def unresolved_barriers(project) -> pd.DataFrame:
    """A site's barriers that are open or being worked on (not resolved)."""
    b = project.table("barriers")
    return b[b["status"].isin(["open", "working_on_it"])].reset_index(drop=True)


def check_exercise_8_2(n_unresolved, *, lang: str | None = None) -> Feedback:
    """Mosebjerg's barriers that are not resolved yet (open or being worked on)."""
    ex = "8.2"
    x, early = number_answer(ex, n_unresolved, lang)
    if early:
        return early
    status = site_for_checks(_SITE).table("barriers")["status"]
    counts = status.value_counts()
    want = int(counts.get("open", 0) + counts.get("working_on_it", 0))
    fmt = {"n": want, "total": len(status), "open": int(counts.get("open", 0))}
    if close(x, want, 1e-9):
        return feedback(ex, "correct", [("ex8_2_correct", fmt)], lang)
    for key, value in (("ex8_2_only_open", counts.get("open", 0)),
                       ("ex8_2_all", len(status)),
                       ("ex8_2_resolved", counts.get("resolved", 0))):
        if close(x, float(value), 1e-9):
            return feedback(ex, "wrong", [(key, fmt)], lang)
    return feedback(ex, "wrong", [("ex8_2_wrong", fmt)], lang)


def _fit_lines(chosen: dict, barriers: pd.DataFrame) -> list:
    """Feedback lines for strategies that are unknown or do not reach a barrier's cause."""
    from ..learning.strategies import eric_strategies

    known = set(eric_strategies("en")["strategy"])
    fit = content("exercises")["strategy_fit"]
    topics = dict(zip(barriers["barrier_id"].astype(str), barriers["topic"], strict=True))
    lines = []
    for barrier, strategy in chosen.items():
        if strategy not in known:
            lines.append(("not_a_strategy", {"item": barrier, "found": safe_value(strategy)}))
        elif strategy not in fit.get(topics.get(barrier), ()):
            lines.append((f"ex8_3_{topics[barrier]}", {"item": barrier, "found": strategy}))
    return lines


def check_exercise_8_3(strategies, *, lang: str | None = None) -> Feedback:
    """An ERIC strategy for each of Mosebjerg's unresolved barriers that reaches its cause."""
    ex = "8.3"
    barriers = unresolved_barriers(site_for_checks(_SITE))
    ids = barriers["barrier_id"].astype(str).tolist()
    early = mapping_answer(ex, strategies, ids, lang)
    if early:
        return early
    lines = _fit_lines({b: strategies[b] for b in ids}, barriers)
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", ["ex8_3_correct"], lang)


def check_exercise_8_4(instruments, *, lang: str | None = None) -> Feedback:
    """The shipped instrument that answers each question (leadership, readiness,
    appropriateness)."""
    from ..measures.instruments import list_instruments

    return coded_exercise("8.4", instruments, content("exercises")["instrument_questions"],
                          list_instruments(), "not_an_instrument", "ex8_4_", lang)


def check_exercise_8_5(rows, *, lang: str | None = None) -> Feedback:
    """Strategy rows for Mosebjerg's plan: valid rows (the toolkit can add them to the
    plan), every unresolved barrier covered, strategies that reach the cause, and the
    municipality's own roles accountable."""
    from ..learning.strategies import STRATEGY_ROW, add_strategies
    from ..plans.plan import Plan

    ex = "8.5"
    if is_unanswered(rows) or (isinstance(rows, list) and rows
                               and all(is_unanswered(r) for r in rows)):
        return unanswered(ex, lang)
    if not isinstance(rows, list):
        return feedback(ex, "wrong", [("ex8_5_want_list", {"found": type(rows).__name__})],
                        lang)
    open_ = [f"{i}.{k}" for i, r in enumerate(rows, start=1) if isinstance(r, dict)
             for k in STRATEGY_ROW if is_unanswered(r.get(k))]
    if open_:
        return unanswered(ex, lang, open_)
    barriers = unresolved_barriers(site_for_checks(_SITE))
    try:
        add_strategies(Plan(), rows, site_for_checks(_SITE).table("barriers"), lang="en")
    except ValidationError as exc:
        return feedback(ex, "wrong", [("ex8_5_problems", {"problems": "; ".join(
            f"{p.row}.{p.column}: {p.found or p.message}" for p in exc.problems)})], lang)
    ids = barriers["barrier_id"].astype(str).tolist()
    lines = []
    missing = [b for b in ids if b not in {str(r["barrier"]) for r in rows}]
    if missing:
        lines.append(("ex8_5_uncovered", {"items": ", ".join(missing)}))
    lines += _fit_lines({str(r["barrier"]): r["strategy"] for r in rows
                         if str(r["barrier"]) in ids}, barriers)
    owner = [str(r["barrier"]) for r in rows if r["role"] == "intervention_owner"]
    if owner:
        lines.append(("ex8_5_owner", {"items": ", ".join(owner)}))
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", [("ex8_5_correct", {"n": len(rows)})], lang)


# -- lesson 9 ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _doses() -> pd.Series:
    """Each family's dose across the example sites, from the attendance rows: distinct
    sessions attended (make-ups counting) ÷ the sessions of the programme."""
    from .data import example_sites

    out = []
    for code in example_sites()["site"]:
        p = site_for_checks(code)
        att = p.table("attendance")
        att = att[att["attended"].astype(bool)]
        n = att.groupby("participant_id")["session_no"].nunique()
        n = n.reindex(p.table("participants")["participant_id"], fill_value=0)
        out.append(n / p.intervention.dosage.sessions)
    return pd.concat(out)


def check_exercise_9_1(share_full_dose, *, lang: str | None = None) -> Feedback:
    """The share of families who received at least 80 % of the sessions."""
    ex = "9.1"
    x, early = number_answer(ex, share_full_dose, lang)
    if early:
        return early
    dose = _doses()
    want = float((dose >= 0.8).mean())
    fmt = {"value": fpct(want, lang), "n": int((dose >= 0.8).sum()), "total": len(dose)}
    if close(x, want, 0.0005):
        return feedback(ex, "correct", [("ex9_1_correct", fmt)], lang)
    if close(x, float((dose >= 0.8).sum()), 1e-9):
        return feedback(ex, "wrong", [("ex9_1_count", fmt)], lang)
    if close(x, float((dose > 0.8).mean()), 0.0005):
        return feedback(ex, "wrong", [("ex9_1_strict", fmt)], lang)
    if 1 < x <= 100 and close(x / 100, want, 0.005):
        return feedback(ex, "wrong", [("want_share", fmt)], lang)
    return feedback(ex, "wrong", [("ex9_1_wrong", fmt)], lang)


@lru_cache(maxsize=1)
def component_intervals() -> pd.DataFrame:
    """Adherence estimates per component from ``component_analysis`` on the example sites."""
    from pathlib import Path

    from ..measures.components import component_analysis
    from .data import example_sites

    folders = [Path(p) for p in example_sites()["path"]]
    a = component_analysis(folders, instrument="pss")
    return a[a["term"] == "adherence"].reset_index(drop=True)


def check_exercise_9_3(above_zero, *, lang: str | None = None) -> Feedback:
    """The components whose 95 % interval lies wholly above zero."""
    ex = "9.3"
    if is_unanswered(above_zero):
        return unanswered(ex, lang)
    if hasattr(above_zero, "tolist"):
        above_zero = above_zero.tolist()
    if not isinstance(above_zero, list | tuple | set):
        return feedback(ex, "wrong", [("ex9_3_want_list", {"found": type(above_zero).__name__})],
                        lang)
    got = sorted(map(str, above_zero))
    a = component_intervals()
    want = sorted(a.loc[a["ci_low"] > 0, "component"])
    point = sorted(a.loc[a["estimate"] > 0, "component"])
    fmt = {"expected": ", ".join(want), "found": ", ".join(got) or "–"}
    if got == want:
        return feedback(ex, "correct", [("ex9_3_correct", fmt)], lang)
    if got == point:
        return feedback(ex, "wrong", [("ex9_3_estimate", fmt)], lang)
    return feedback(ex, "wrong", [("ex9_3_wrong", fmt)], lang)


def check_exercise_9_4(expected_by_chance, *, lang: str | None = None) -> Feedback:
    """Intervals expected to miss zero by chance alone when no component matters:
    components × 0.05."""
    ex = "9.4"
    x, early = number_answer(ex, expected_by_chance, lang)
    if early:
        return early
    k = len(component_intervals())
    want = k * 0.05
    fmt = {"k": k, "value": fnum(want, lang, 2)}
    if close(x, want, 0.005):
        return feedback(ex, "correct", [("ex9_4_correct", fmt)], lang)
    if close(x, 0.05, 1e-6) or close(x, 5, 1e-6):
        return feedback(ex, "wrong", [("ex9_4_one", fmt)], lang)
    if close(x, 1 - 0.95 ** k, 0.005):
        return feedback(ex, "wrong", [("ex9_4_at_least_one", fmt)], lang)
    return feedback(ex, "wrong", [("ex9_4_wrong", fmt)], lang)
