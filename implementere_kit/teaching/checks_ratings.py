"""Checks of the exercises in lessons 6 and 7: reliability, and the capstone on Mosebjerg.

The reliability checks work on every example site's competence ratings, double-rated
occasions lined up by :func:`~implementere_kit.teaching.ratings.double_rated`. What they
guard against: judging a dimension by its point estimate when the lower end of the interval
is below the criterion; counting sessions × dimensions as independent pairs; putting the
global rating into Cronbach's alpha as if it were one more item.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ..errors import safe_value
from ._answers import number_answer, unanswered
from .data import example_sites, site_for_checks
from .feedback import Feedback, close, feedback, fnum, fpct, is_unanswered

__all__ = ["check_exercise_6_1", "check_exercise_6_2", "check_exercise_6_3",
           "check_exercise_7_1", "check_exercise_7_2", "check_exercise_7_3"]


@lru_cache(maxsize=1)
def all_ratings() -> pd.DataFrame:
    """Every example site's competence ratings in one table."""
    frames = [site_for_checks(code).table("competence_ratings") for code in example_sites()["site"]]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


@lru_cache(maxsize=1)
def _pairs() -> pd.DataFrame:
    from .ratings import double_rated

    return double_rated(all_ratings())


@lru_cache(maxsize=1)
def _by_dimension() -> pd.DataFrame:
    from .ratings import icc_by_dimension

    return icc_by_dimension(_pairs())


@lru_cache(maxsize=1)
def _alphas() -> tuple[float, float]:
    """Cronbach's alpha of R1's forms without and with the global (overall) rating."""
    from ..measures.reliability import cronbach_alpha
    from .ratings import items_wide

    forms = items_wide(all_ratings(), "R1")
    return cronbach_alpha(forms.drop(columns="overall")).value, cronbach_alpha(forms).value


# -- lesson 6 ------------------------------------------------------------------------------
def check_exercise_6_1(uncertain, *, lang: str | None = None) -> Feedback:
    """The dimensions whose 95 % interval reaches below the criterion (0.60)."""
    ex = "6.1"
    if is_unanswered(uncertain):
        return unanswered(ex, lang)
    if isinstance(uncertain, str):
        uncertain = [uncertain]
    if not isinstance(uncertain, list | tuple | set):
        return feedback(ex, "wrong", [("ex6_1_want_list", {"found": type(uncertain).__name__})],
                        lang)
    table = _by_dimension()
    dims = set(table.index)
    got = {str(d).strip() for d in uncertain}
    want = set(table.index[~table["lower_bound_clears"]])
    by_point = set(table.index[~table["meets_criterion"]])
    fmt = {"want": ", ".join(sorted(want)) or "–", "found": ", ".join(sorted(got)) or "–"}
    unknown = got - dims
    if unknown:
        return feedback(ex, "wrong", [("not_a_dimension", {"found": ", ".join(sorted(unknown)),
                                                           "expected": ", ".join(sorted(dims))})],
                        lang)
    if got == want:
        return feedback(ex, "correct", [("ex6_1_correct", fmt)], lang)
    if got == by_point and want != by_point:
        return feedback(ex, "wrong", [("ex6_1_point_estimate", fmt)], lang)
    lines = []
    if want - got:
        lines.append(("ex6_1_missing", {"items": ", ".join(sorted(want - got))}))
    if got - want:
        lines.append(("ex6_1_extra", {"items": ", ".join(sorted(got - want))}))
    return feedback(ex, "wrong", lines, lang)


def check_exercise_6_2(n_sessions, *, lang: str | None = None) -> Feedback:
    """How many rating occasions (sessions) the per-dimension ICCs rest on."""
    ex = "6.2"
    x, early = number_answer(ex, n_sessions, lang)
    if early:
        return early
    pairs = _pairs()
    subject = [n for n in pairs.index.names if n != "dimension"]
    sessions = pairs.reset_index()[subject].drop_duplicates().shape[0]
    dims = pairs.index.get_level_values("dimension").nunique()
    fmt = {"sessions": sessions, "pairs": len(pairs), "dims": dims}
    if close(x, sessions, 1e-9):
        return feedback(ex, "correct", [("ex6_2_correct", fmt)], lang)
    if close(x, len(pairs), 1e-9):
        return feedback(ex, "wrong", [("ex6_2_pairs", fmt)], lang)
    return feedback(ex, "wrong", [("ex6_2_wrong", fmt)], lang)


def check_exercise_6_3(alpha_specific, *, lang: str | None = None) -> Feedback:
    """Cronbach's alpha of rater R1's forms over the four specific dimensions, without the
    global (overall) rating."""
    ex = "6.3"
    x, early = number_answer(ex, alpha_specific, lang)
    if early:
        return early
    want, with_overall = _alphas()
    fmt = {"value": fnum(want, lang, 2), "with_overall": fnum(with_overall, lang, 2)}
    if close(x, want, 0.0005):
        return feedback(ex, "correct", [("ex6_3_correct", fmt)], lang)
    if close(x, with_overall, 0.0005):
        return feedback(ex, "wrong", [("ex6_3_with_overall", fmt)], lang)
    return feedback(ex, "wrong", [("ex6_3_wrong", fmt)], lang)


# -- lesson 7 ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _mosebjerg():
    from ..measures.fidelity import attendance_summary

    p = site_for_checks("904")
    return p, attendance_summary(p.table("attendance"), p.intervention.dosage,
                                 p.table("participants"))


def check_exercise_7_1(dropout_share, *, lang: str | None = None) -> Feedback:
    """The share of Mosebjerg's families who dropped out."""
    ex = "7.1"
    x, early = number_answer(ex, dropout_share, lang)
    if early:
        return early
    # drop-out as the catalogue defines it (measures.yaml: dropout), whatever reason was
    # recorded: the summary's columns come from the one SQL definition
    _, summary = _mosebjerg()
    dropped = int(summary["dropped_out"].sum())
    total = len(summary)
    want = dropped / total
    ended = int(summary["ended"].sum())
    fmt = {"value": fpct(want, lang), "n": dropped, "total": total}
    if close(x, want, 0.0005):
        return feedback(ex, "correct", [("ex7_1_correct", fmt)], lang)
    if close(x, dropped, 1e-9):
        return feedback(ex, "wrong", [("ex7_1_count", fmt)], lang)
    if ended and close(x, dropped / ended, 0.0005) and ended != total:
        return feedback(ex, "wrong", [("ex7_1_ended", fmt)], lang)
    if 1 < x <= 100 and close(x / 100, want, 0.005):
        return feedback(ex, "wrong", [("want_share", fmt)], lang)
    return feedback(ex, "wrong", [("ex7_1_wrong", fmt)], lang)


def check_exercise_7_2(by_session_4, *, lang: str | None = None) -> Feedback:
    """The share of all Mosebjerg families who had dropped out by session 4."""
    ex = "7.2"
    x, early = number_answer(ex, by_session_4, lang)
    if early:
        return early
    _, summary = _mosebjerg()
    early = summary["dropped_out"].astype(bool) & (summary["dropout_session"].fillna(99) <= 4)
    want = float(early.sum() / len(summary))
    of_dropouts = float(early.sum() / max(int(summary["dropped_out"].sum()), 1))
    fmt = {"value": fpct(want, lang), "of_dropouts": fpct(of_dropouts, lang)}
    if close(x, want, 0.0005):
        return feedback(ex, "correct", [("ex7_2_correct", fmt)], lang)
    if close(x, of_dropouts, 0.0005) and of_dropouts != want:
        return feedback(ex, "wrong", [("ex7_2_of_dropouts", fmt)], lang)
    return feedback(ex, "wrong", [("ex7_2_wrong", fmt)], lang)


@lru_cache(maxsize=1)
def _core_adherence_904() -> float:
    from .checks_delivery import core_adherence

    return core_adherence(_mosebjerg()[0])


def check_exercise_7_3(meets_threshold, *, lang: str | None = None) -> Feedback:
    """Is Mosebjerg's adherence on core components at or above the owner's threshold?"""
    ex = "7.3"
    if is_unanswered(meets_threshold):
        return unanswered(ex, lang)
    if not isinstance(meets_threshold, bool):
        return feedback(ex, "wrong", [("want_bool", {"found": safe_value(meets_threshold)})],
                        lang)
    p, _ = _mosebjerg()
    value = _core_adherence_904()
    threshold = p.intervention.fidelity_threshold
    want = bool(value >= threshold)
    fmt = {"value": fpct(value, lang), "threshold": fpct(threshold, lang)}
    if meets_threshold == want:
        return feedback(ex, "correct", [(f"ex7_3_correct_{str(want).lower()}", fmt)], lang)
    return feedback(ex, "wrong", [(f"ex7_3_wrong_{str(want).lower()}", fmt)], lang)
