"""Checks of the exercises in lessons 0–3: getting started, frameworks, intervention types
and roles, theory of change.

Each ``check_exercise_X_Y`` takes the learner's answer and returns a
:class:`~implementere_kit.teaching.feedback.Feedback`: correct, not yet right (with what is
wrong and a hint), or not answered yet. Expected values come from the framework data,
the intervention definitions and the example data — never from the learner's own
variables — so a wrong answer cannot pass by construction.
"""

from __future__ import annotations

from ..errors import ValidationError, safe_value
from ._answers import coded_exercise, mapping_answer, mappings_answer, number_answer, unanswered
from .data import content, site_for_checks
from .feedback import Feedback, close, feedback, fnum, fpct, is_unanswered, language

__all__ = ["check_exercise_0_1", "check_exercise_0_2", "check_exercise_1_1",
           "check_exercise_1_2", "check_exercise_1_3", "check_exercise_2_1",
           "check_exercise_2_2", "check_exercise_2_3", "check_exercise_3_1",
           "check_exercise_3_2"]


# -- lesson 0 ------------------------------------------------------------------------------
def check_exercise_0_1(needed, *, lang: str | None = None) -> Feedback:
    """Sessions a KEEP family must attend to graduate (80 % of 16, rounded up)."""
    from ..plans.intervention import load_intervention

    ex = "0.1"
    x, early = number_answer(ex, needed, lang)
    if early:
        return early
    rule = load_intervention("keep").dosage
    exact = rule.sessions * rule.min_attendance
    fmt = {"sessions": rule.sessions, "share": fpct(rule.min_attendance, lang),
           "exact": fnum(exact, lang, 1), "needed": rule.sessions_to_graduate}
    if close(x, rule.sessions_to_graduate, 1e-9):
        return feedback(ex, "correct", [("ex0_1_correct", fmt)], lang)
    if close(x, exact, 1e-6):
        return feedback(ex, "wrong", [("ex0_1_round_up", fmt)], lang)
    if x < exact:
        return feedback(ex, "wrong", [("ex0_1_too_few", {**fmt, "x": fnum(x, lang, 0),
                                                         "got": fpct(x / rule.sessions, lang)})],
                        lang)
    return feedback(ex, "wrong", [("ex0_1_too_many", fmt)], lang)


def check_exercise_0_2(n_families, *, lang: str | None = None) -> Feedback:
    """Families (participants) in the example site Bøgely (902)."""
    ex = "0.2"
    x, early = number_answer(ex, n_families, lang)
    if early:
        return early
    counts = {code: len(site_for_checks(code).table("participants")) for code in ("902", "903")}
    if close(x, counts["902"], 1e-9):
        return feedback(ex, "correct", [("ex0_2_correct", {"n": counts["902"]})], lang)
    if close(x, counts["903"], 1e-9):
        return feedback(ex, "wrong", [("ex0_2_havnstrup", {})], lang)
    return feedback(ex, "wrong", [("ex0_2_wrong", {})], lang)


# -- lesson 1 ------------------------------------------------------------------------------
def _element_ids(answer) -> list[int] | None:
    """Core element numbers from a list of CoreElement objects, numbers or a table."""
    if hasattr(answer, "columns") and "core_element" in answer.columns:
        answer = answer["core_element"].tolist()
    if not isinstance(answer, list | tuple):
        return None
    out = []
    for a in answer:
        value = getattr(a, "id", a)
        try:
            out.append(int(str(value).lower().removeprefix("ke")))
        except ValueError:
            return None
    return out


def check_exercise_1_1(planning, *, lang: str | None = None) -> Feedback:
    """The core elements of phase II, Planlegge."""
    from ..plans.frameworks import load_framework

    ex = "1.1"
    if is_unanswered(planning):
        return unanswered(ex, lang)
    fw = load_framework("implementere")
    ids = _element_ids(planning)
    if ids is None:
        return feedback(ex, "wrong", [("ex1_1_want_list", {"found": type(planning).__name__})],
                        lang)
    expected = [c.id for c in fw.core_elements_in("planlegge")]
    fmt = {"expected": ", ".join(map(str, expected)), "found": ", ".join(map(str, ids))}
    if sorted(ids) == sorted(expected):
        return feedback(ex, "correct", [("ex1_1_correct", fmt)], lang)
    for phase in fw.phases:
        if sorted(ids) == sorted(c.id for c in fw.core_elements_in(phase.id)):
            return feedback(ex, "wrong", [("ex1_1_other_phase",
                                           {**fmt, "phase": phase.label(lang or "en")})], lang)
    return feedback(ex, "wrong", [("ex1_1_wrong", fmt)], lang)


def check_exercise_1_2(answers, *, lang: str | None = None) -> Feedback:
    """The implementere.no phase of each described situation (b, c and d)."""
    from ..plans.frameworks import load_framework

    phases = [p.id for p in load_framework("implementere").phases]
    return coded_exercise("1.2", answers, content("exercises")["situations"], phases,
                          "not_a_phase", "ex1_2_", lang)


def check_exercise_1_3(missing_driver, planned_in, *, lang: str | None = None) -> Feedback:
    """Which NIRN driver is missing when leaders get no supervision after training, and
    which core element should have planned it."""
    from ..plans.frameworks import load_framework

    ex = "1.3"
    open_ = [name for name, v in (("missing_driver", missing_driver),
                                  ("planned_in", planned_in)) if is_unanswered(v)]
    if len(open_) == 2:
        return unanswered(ex, lang)
    if open_:
        return unanswered(ex, lang, open_)
    spec = content("exercises")["drivers"]
    drivers = {d.id: d for d in load_framework("nirn").drivers}
    items = load_framework("implementere").checklist_items()
    hit = items[items["question_id"] == spec["checklist_item"]]["checklist_id"]
    element = int(str(hit.iloc[0]).removeprefix("ke"))
    lines = []
    driver = str(missing_driver).strip().lower()
    if driver not in drivers:
        lines.append(("not_a_driver", {"found": safe_value(missing_driver),
                                       "expected": ", ".join(drivers)}))
    elif driver != spec["missing"]:
        key = f"ex1_3_{driver}" if driver in ("training", "selection", "fidelity_assessment") \
            else "ex1_3_other_driver"
        lines.append((key, {"found": driver}))
    got = _element_ids([planned_in])
    if got is None or got[0] != element:
        lines.append(("ex1_3_element", {"found": safe_value(planned_in)}))
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", [("ex1_3_correct", {"element": element})], lang)


# -- lesson 2 ------------------------------------------------------------------------------
def check_exercise_2_1(types, *, lang: str | None = None) -> Feedback:
    """The type of each described intervention."""
    from ..plans.intervention import INTERVENTION_TYPES

    return coded_exercise("2.1", types, content("exercises")["types"], INTERVENTION_TYPES,
                          "not_a_type", "ex2_1_", lang)


def check_exercise_2_2(accountable, *, lang: str | None = None) -> Feedback:
    """One accountable role per task; the municipality's obligations stay with the
    municipality's own roles."""
    from ..plans.frameworks import load_framework

    ex = "2.2"
    tasks = content("exercises")["tasks"]
    early = mapping_answer(ex, accountable, tasks, lang)
    if early:
        return early
    roles = [r.id for r in load_framework("implementere").roles]
    lines = []
    for key, task in tasks.items():
        got = accountable[key]
        if got not in roles:
            lines.append(("not_a_role", {"item": key, "found": safe_value(got),
                                         "expected": ", ".join(roles)}))
        elif task["municipal"] and got == "intervention_owner":
            lines.append(("ex2_2_owner_obligation", {"item": key}))
        elif got not in task["accept"]:
            lines.append((f"ex2_2_{key}", {"item": key, "found": got}))
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", ["ex2_2_correct"], lang)


def check_exercise_2_3(answers, *, lang: str | None = None) -> Feedback:
    """The questions of the "Utvikle tiltak" checklist answered for a local idea; the
    answer to the question behind the arrow deliverables → results (why we expect it to
    work) must be a whole sentence."""
    from ..plans.frameworks import load_framework
    from ..plans.intervention import Intervention

    ex = "2.3"
    questions = load_framework("implementere").checklists["utvikle_tiltak"]
    early = mapping_answer(ex, answers, questions.item_ids, lang,
                           blank=lambda v: not str(v).strip())
    if early:
        return early
    try:
        Intervention.from_checklist(dict(answers), id="local", name="local")
    except ValidationError as exc:
        return feedback(ex, "wrong", [("ex2_3_problems", {"problems": "; ".join(
            f"{p.column}: {p.message}" for p in exc.problems)})], lang)
    why = next(q for q in questions if q.toc == "deliverables->results")
    fmt = {"question": why.label(language(lang)), "n": len(questions)}
    if len(str(answers[why.id]).split()) < 5:
        return feedback(ex, "wrong", [("ex2_3_why_short", fmt)], lang)
    return feedback(ex, "correct", [("ex2_3_correct", fmt)], lang)


# -- lesson 3 ------------------------------------------------------------------------------
def _links() -> list[str]:
    from ..plans.intervention import TheoryOfChange

    links = TheoryOfChange().links()
    return [f"{s}->{t}" for s, t in zip(links["source"], links["target"], strict=True)]


def _levels() -> list[str]:
    links = _links()
    return [link.split("->")[0] for link in links] + [links[-1].split("->")[1]]


def check_exercise_3_1(boxes, assumptions, *, lang: str | None = None) -> Feedback:
    """A theory of change: every box filled and a critical assumption on every arrow."""
    from ..plans.intervention import TheoryOfChange

    ex = "3.1"
    levels, links = _levels(), _links()
    early = mappings_answer(ex, [(boxes, levels), (assumptions, links)], lang)
    if early:
        return early
    lists = {lvl: [boxes[lvl]] if isinstance(boxes[lvl], str) else boxes[lvl] for lvl in levels}
    try:
        TheoryOfChange(**lists, assumptions=dict(assumptions))
    except (ValidationError, TypeError) as exc:
        detail = ("; ".join(f"{p.column}: {p.message}" for p in exc.problems)
                  if isinstance(exc, ValidationError) else str(exc))
        return feedback(ex, "wrong", [("ex3_1_problems", {"problems": detail})], lang)
    empty = [lvl for lvl in levels if not [b for b in lists[lvl] if str(b).strip()]]
    empty += [link for link in links if not str(assumptions[link]).strip()]
    if empty:
        return feedback(ex, "wrong", [("ex3_1_empty", {"items": ", ".join(empty)})], lang)
    return feedback(ex, "correct", ["ex3_1_correct"], lang)


def check_exercise_3_2(measures, *, lang: str | None = None) -> Feedback:
    """A measure on every arrow that can show whether that step happened."""
    ex = "3.2"
    links = _links()
    early = mapping_answer(ex, measures, links, lang)
    if early:
        return early
    catalogue = content("toc_measures")
    lines = []
    for link in links:
        got = measures[link]
        if got not in catalogue:
            lines.append(("not_a_measure", {"item": link, "found": safe_value(got)}))
        elif link not in catalogue[got]["arrows"]:
            lines.append((f"ex3_2_{link.split('->')[1]}", {"item": link, "found": got}))
    if lines:
        return feedback(ex, "wrong", lines, lang)
    return feedback(ex, "correct", ["ex3_2_correct"], lang)
