"""Checks of the exercises in lessons 4 and 5: fidelity and adaptation, outcomes.

Expected values are computed from the example data by a route other than the one the
lesson shows where that is possible (make-up graduates counted straight from the
attendance rows; reach summed over the eligible years by hand), so a check is not true by
construction. Wrong answers that are easy to make — adherence over every item instead of
the core components, a denominator that starts before the first family could enrol, a
"rise" that is within chance — get their own explanation.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pandas as pd

from ..errors import safe_value
from ._answers import mapping_answer, mappings_answer, number_answer, unanswered
from .data import content, site_for_checks
from .feedback import Feedback, close, feedback, fnum, fpct, is_unanswered, message
from .outcomes import VERDICTS

__all__ = ["check_exercise_4_1", "check_exercise_4_2", "check_exercise_4_3",
           "check_exercise_4_4", "check_exercise_5_1", "check_exercise_5_2",
           "check_exercise_5_3"]


# -- lesson 4 ------------------------------------------------------------------------------
def makeup_graduates(project) -> tuple[int, int, int]:
    """Graduates with make-ups counting, without, and those only thanks to make-ups,
    counted straight from the attendance rows (not through attendance_summary)."""
    rule = project.intervention.dosage
    att = project.table("attendance")
    att = att[att["attended"].astype(bool)]
    need = rule.sessions_to_graduate
    with_mk = att.groupby("participant_id")["session_no"].nunique()
    regular = att[~att["makeup"].astype(bool)].groupby("participant_id")["session_no"].nunique()
    regular = regular.reindex(with_mk.index, fill_value=0)
    return (int((with_mk >= need).sum()), int((regular >= need).sum()),
            int(((with_mk >= need) & (regular < need)).sum()))


@lru_cache(maxsize=8)
def _makeup_graduates(site: str) -> tuple[int, int, int]:
    return makeup_graduates(site_for_checks(site))


def check_exercise_4_1(n_thanks_to_makeups, *, lang: str | None = None) -> Feedback:
    """Families in Mosebjerg who graduate only because make-up sessions count."""
    ex = "4.1"
    x, early = number_answer(ex, n_thanks_to_makeups, lang)
    if early:
        return early
    total, without, thanks = _makeup_graduates("904")
    fmt = {"n": thanks, "total": total, "without": without}
    if close(x, thanks, 1e-9):
        return feedback(ex, "correct", [("ex4_1_correct", fmt)], lang)
    if close(x, total, 1e-9):
        return feedback(ex, "wrong", [("ex4_1_all_graduates", fmt)], lang)
    if close(x, without, 1e-9):
        return feedback(ex, "wrong", [("ex4_1_without", fmt)], lang)
    if total and close(x, thanks / total, 1e-3):
        return feedback(ex, "wrong", [("ex4_1_share", fmt)], lang)
    return feedback(ex, "wrong", [("ex4_1_wrong", fmt)], lang)


def _adherence(project, **kw) -> pd.DataFrame:
    from ..measures.adherence_competence import adherence

    iv = project.intervention
    return adherence(project.table("fidelity_checks"), iv.fidelity_threshold, by=(),
                     intervention=iv, **kw)


def core_adherence(project) -> float:
    """Adherence over the items of core components only (yes 1, partly ½, no 0)."""
    return float(_adherence(project)["core_adherence"].iloc[0])


@lru_cache(maxsize=1)
def _bogely_adherence() -> dict[str, float]:
    """Bøgely's core adherence and the values the likely wrong answers give."""
    from .delivery import checks_with_kind, share_delivered

    bogely = site_for_checks("902")
    checks = checks_with_kind(bogely)
    return {
        "want": core_adherence(bogely),
        "threshold": bogely.intervention.fidelity_threshold,
        "ex4_2_all_items": float(_adherence(bogely)["adherence"].iloc[0]),
        "ex4_2_flexible": share_delivered(checks[checks["kind"] == "flexible"]),
        "ex4_2_havnstrup": core_adherence(site_for_checks("903")),
        "ex4_2_partly_zero": float(_adherence(bogely, partly=0.0)["core_adherence"].iloc[0]),
        "ex4_2_partly_one": float(_adherence(bogely, partly=1.0)["core_adherence"].iloc[0]),
    }


def check_exercise_4_2(bogely_core, *, lang: str | None = None) -> Feedback:
    """Bøgely's adherence over core-component items only."""
    ex = "4.2"
    x, early = number_answer(ex, bogely_core, lang)
    if early:
        return early
    values = _bogely_adherence()
    want = values["want"]
    fmt = {"value": fpct(want, lang), "threshold": fpct(values["threshold"], lang)}
    if close(x, want, 0.0005):
        return feedback(ex, "correct", [("ex4_2_correct", fmt)], lang)
    for key, value in values.items():
        if key.startswith("ex4_2_") and close(x, value, 0.0005):
            return feedback(ex, "wrong", [(key, fmt)], lang)
    if 1 < x <= 100 and close(x / 100, want, 0.005):
        return feedback(ex, "wrong", [("want_share", fmt)], lang)
    return feedback(ex, "wrong", [("ex4_2_wrong", fmt)], lang)


def check_exercise_4_3(my_view, *, lang: str | None = None) -> Feedback:
    """The learner's view (core or flexible) of each proposed change, set beside the
    owner's definition. The learner decides; differences are points to discuss."""
    from ..plans.intervention import load_intervention

    ex = "4.3"
    proposals = content("exercises")["proposals"]
    early = mapping_answer(ex, my_view, proposals, lang)
    if early:
        return early
    bad = [k for k in proposals if my_view[k] not in ("core", "flexible")]
    if bad:
        return feedback(ex, "wrong", [("ex4_3_codes", {"items": ", ".join(bad)})], lang)
    keep = load_intervention("keep")
    lines = []
    for key, p in proposals.items():
        owner = keep.component(p["component"]).kind
        if my_view[key] != owner:
            lines.append((f"ex4_3_differs_{owner}", {"item": key, "component": p["component"]}))
    return feedback(ex, "answered", lines or ["ex4_3_all_agree"], lang)


def check_exercise_4_4(planned, consistent, *, lang: str | None = None) -> Feedback:
    """FRAME coding of the four logged changes: planned or not, fidelity-consistent or not."""
    ex = "4.4"
    events = content("frame")["events"]
    early = mappings_answer(ex, [(planned, list(events)), (consistent, list(events))], lang)
    if early:
        return early
    lines = []
    for key, event in events.items():
        if planned[key] not in ("planned", "unplanned"):
            lines.append(("ex4_4_planned_code", {"item": key, "found": safe_value(planned[key])}))
        elif planned[key] != event["planned"]:
            lines.append((f"ex4_4_{key}_planned", {"item": key}))
        if not isinstance(consistent[key], bool):
            lines.append(("ex4_4_consistent_code", {"item": key,
                                                    "found": safe_value(consistent[key])}))
        elif consistent[key] != event["consistent"]:
            lines.append((f"ex4_4_{key}_consistent", {"item": key}))
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", ["ex4_4_correct"], lang)


# -- lesson 5 ------------------------------------------------------------------------------
def _code(answer, codes, prefix: str) -> str | None:
    """An answer code, accepting the words of every language (``verdict_rise`` …)."""
    text = str(answer).strip().lower().replace("-", " ").replace("_", " ")
    for code in codes:
        words = {code.replace("_", " ")}
        words |= {message(f"{prefix}{code}", lg).lower() for lg in ("nb", "da", "en")}
        if text in words:
            return code
    return None


def iam_change(project) -> pd.DataFrame:
    """compare_waves for IAM (appropriateness) of a site's staff survey."""
    from ..measures.instruments import responses_from_long, score_instrument
    from .outcomes import compare_waves

    scores = score_instrument(responses_from_long(project.table("survey_responses"), "iam"),
                              "iam")
    return compare_waves(scores, "appropriateness")


def check_exercise_5_1(verdict, *, lang: str | None = None) -> Feedback:
    """Did appropriateness (IAM) in Havnstrup rise, fall, or not change clearly?"""
    ex = "5.1"
    if is_unanswered(verdict):
        return unanswered(ex, lang)
    codes = ("rise", "fall", "no_clear_change")
    got = _code(verdict, codes, "verdict_")
    if got is None:
        return feedback(ex, "wrong", [("ex5_1_codes", {"found": safe_value(verdict)})], lang)
    c = iam_change(site_for_checks("903")).iloc[0]
    fmt = {"first": fnum(c["mean_first"], lang, 3), "last": fnum(c["mean_last"], lang, 3),
           "n": int(c["n_paired"]), "change": fnum(c["change"], lang, 3),
           "low": fnum(c["ci_low"], lang, 2), "high": fnum(c["ci_high"], lang, 2)}
    truth = c["verdict"]
    if got == truth or (truth == "too_few" and got == "no_clear_change"):
        return feedback(ex, "correct", [(f"ex5_1_correct_{got}", fmt)], lang)
    if truth == "too_few":
        key = "ex5_1_too_few"
    elif truth == "no_clear_change":
        key = "ex5_1_within_chance"
    elif got == "no_clear_change":
        key = "ex5_1_missed_change"
    else:
        key = "ex5_1_wrong_direction"
    return feedback(ex, "wrong", [(key, fmt)], lang)


def reach_since_first_enrolment(project, as_of) -> tuple[float, float, int]:
    """Reach with the eligible years from the first enrolment on, the reach over every
    eligible year, and the first year — summed by hand from the two tables."""
    parts = project.table("participants")
    parts = parts[parts["enrolled"] <= pd.Timestamp(as_of)]
    elig = project.table("eligible")
    elig = elig[elig["period"].astype("string").str.fullmatch(r"\d{4}").fillna(False)
                .astype(bool)]
    years = elig["period"].astype(int)
    elig = elig[years <= pd.Timestamp(as_of).year]
    years = elig["period"].astype(int)
    first = int(parts["enrolled"].dt.year.min())
    n = len(parts)
    return (n / float(elig.loc[years >= first, "n_eligible"].sum()),
            n / float(elig["n_eligible"].sum()), first)


def check_exercise_5_2(reach_by_hand, *, lang: str | None = None) -> Feedback:
    """Havnstrup's reach with a denominator that starts in the year of the first enrolment."""
    from ..examples import AS_OF

    ex = "5.2"
    x, early = number_answer(ex, reach_by_hand, lang)
    if early:
        return early
    want, all_years, first = reach_since_first_enrolment(site_for_checks("903"), AS_OF)
    fmt = {"value": fpct(want, lang), "all_years": fpct(all_years, lang), "first": first}
    if close(x, want, 0.0005):
        return feedback(ex, "correct", [("ex5_2_correct", fmt)], lang)
    if close(x, all_years, 0.0005):
        return feedback(ex, "wrong", [("ex5_2_all_years", fmt)], lang)
    if 1 < x <= 100 and close(x / 100, want, 0.005):
        return feedback(ex, "wrong", [("want_share", fmt)], lang)
    return feedback(ex, "wrong", [("ex5_2_wrong", fmt)], lang)


def reaim_truth(lang: str | None = None):
    """Bøgely against Havnstrup per RE-AIM dimension, from the example data."""
    from .feedback import language

    return _reaim_truth(language(lang))


@lru_cache(maxsize=3)
def _reaim_truth(lang: str):
    from ..examples import AS_OF
    from .outcomes import reaim_side_by_side, reaim_verdicts

    table = reaim_side_by_side({"Bøgely": site_for_checks("902"),
                                "Havnstrup": site_for_checks("903")}, as_of=AS_OF, lang=lang)
    return reaim_verdicts(table, "Bøgely", "Havnstrup", lang=lang)


def check_exercise_5_3(verdicts, *, lang: str | None = None) -> Feedback:
    """Is Bøgely ahead of, behind, level with or mixed against Havnstrup in each RE-AIM
    dimension? The expected verdicts are computed from the data, dimension by dimension."""
    ex = "5.3"
    truth = reaim_truth(lang)
    given = ({str(k).strip().lower(): v for k, v in verdicts.items()}
             if isinstance(verdicts, Mapping) else verdicts)
    early = mapping_answer(ex, given, [d.lower() for d in truth.index], lang)
    if early:
        return early
    lines = []
    for dim, row in truth.iterrows():
        got = _code(given[dim.lower()], VERDICTS, "verdict_")
        if got is None:
            lines.append(("ex5_3_codes", {"item": dim, "found": safe_value(given[dim.lower()])}))
        elif got != row["verdict"]:
            lines.append(("ex5_3_wrong", {"item": dim, "found": message(f"verdict_{got}", lang),
                                          "want": message(f"verdict_{row['verdict']}", lang),
                                          "numbers": row["outcomes"] or "–"}))
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", ["ex5_3_correct"], lang)
