"""Checking of intervention definitions (private; see :mod:`implementere_kit.plans.intervention`).

The vocabularies an intervention is checked against (its type, the kinds of support an
owner offers, component kinds, the levels of a theory of change) and the checks behind the
constructors of :class:`~implementere_kit.plans.intervention.Component`, ``DosageRule``,
``TheoryOfChange``, ``Adaptation`` and ``Intervention``. Each collects every problem before
raising one :class:`~implementere_kit.errors.ValidationError`, each problem naming its key
(``dosage.sessions``, ``components[2].kind``), so one pass over a definition typed by a
person reports everything wrong with it.

Examples
--------
>>> [p.column for p in _intervention_problems({"id": "x", "name": "", "type": "magic"})]
['name', 'type']

References
----------
implementere.no, "Utvikle tiltak selv eller implementere noe andre har utviklet?" (the three
intervention types) and "Tiltakseiere" (the support an owner offers). https://implementere.no
Socialstyrelsen (DK), forandringsteori: resources → activities → deliverables → results →
long-term effects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, fields, replace
from typing import Any

from .._data import LANGS
from ..errors import Problem, ValidationError, safe_value

#: The three intervention types (implementere.no).
INTERVENTION_TYPES = ("evidence-based", "ready-made", "self-developed")
#: What an intervention owner may offer (implementere.no, "Tiltakseiere").
SUPPORT_KINDS = (
    "handbook",
    "training",
    "supervision",
    "certification",
    "skills_training",
    "refresher_training",
    "contract",
)
COMPONENT_KINDS = ("core", "flexible")
TOC_LEVELS = ("resources", "activities", "deliverables", "results", "long_term_effects")
_TOC_LINKS = tuple(f"{a}->{b}" for a, b in zip(TOC_LEVELS, TOC_LEVELS[1:], strict=False))
_NOTHING = object()  # "no found value", since None can itself be what was found


def _problem(msg: str, column: str, expected: str | None = None,
             found: object = _NOTHING) -> Problem:
    # Found values go through safe_value: a definition may be typed by a person and must
    # never have an identifier echoed back in an error message.
    return Problem(msg, resource="intervention", column=column, expected=expected,
                   found=None if found is _NOTHING else safe_value(found))


def _is_whole(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_text(v: object, allow_empty: bool = True) -> bool:
    return isinstance(v, str) and (allow_empty or bool(v.strip()))


def _build(cls, data: object, column: str, problems: list[Problem]):
    """Construct dataclass ``cls`` from a mapping, adding problems instead of raising,
    so that one pass over a definition reports everything wrong with it."""
    if not isinstance(data, dict):
        problems.append(_problem("expected a mapping", column, "key: value pairs",
                                 type(data).__name__))
        return None
    known = [f.name for f in fields(cls)]
    required = [f.name for f in fields(cls)
                if f.default is MISSING and f.default_factory is MISSING]
    bad = [_problem("unknown field", f"{column}.{k}", ", ".join(known))
           for k in data if k not in known]
    bad += [_problem("missing field", f"{column}.{k}") for k in required if k not in data]
    if bad:
        problems += bad
        return None
    try:
        return cls(**data)
    except ValidationError as exc:
        problems += exc.problems
        return None


def _check_component(c) -> None:
    """A component's own fields."""
    ok_id = _is_text(c.id, allow_empty=False)
    col = f"components.{c.id if ok_id else '?'}"
    problems = [] if ok_id else [_problem("component without id", "components.id",
                                          "a short key", c.id)]
    if not _is_text(c.name, allow_empty=False):
        problems.append(_problem("component without name", f"{col}.name", "a short name",
                                 c.name))
    if c.kind not in COMPONENT_KINDS:
        problems.append(_problem("unknown component kind", f"{col}.kind",
                                 " or ".join(COMPONENT_KINDS), c.kind))
    problems += [_problem("not text", f"{col}.{k}", "text", getattr(c, k))
                 for k in ("rationale", "description") if not _is_text(getattr(c, k))]
    if problems:
        raise ValidationError(problems)


def _check_dosage(rule) -> None:
    """A dosage rule's numbers and the sessions range."""
    problems = []
    if not _is_whole(rule.sessions) or rule.sessions < 1:
        problems.append(_problem("bad number of sessions", "dosage.sessions",
                                 "a whole number ≥ 1", rule.sessions))
    share = rule.min_attendance
    if isinstance(share, bool) or not (isinstance(share, int | float) and 0 < share <= 1):
        problems.append(_problem("bad minimum attendance", "dosage.min_attendance",
                                 "a share in (0, 1], e.g. 0.8", share))
    if not isinstance(rule.makeups_count, bool):
        problems.append(_problem("bad makeups_count", "dosage.makeups_count",
                                 "true or false", rule.makeups_count))
    optional = ("session_minutes", "interval_days", "max_group_size", "leaders_per_group",
                "min_sessions", "max_sessions")
    for name in optional:
        v = getattr(rule, name)
        if v is not None and (not _is_whole(v) or v < 1):
            problems.append(_problem(f"bad {name}", f"dosage.{name}", "a whole number ≥ 1", v))
    if not problems:  # the range checks compare numbers, so only once all are numbers
        lo, hi = rule.min_sessions, rule.max_sessions
        if lo is not None and hi is not None and lo > hi:
            problems.append(_problem("min_sessions above max_sessions",
                                     "dosage.min_sessions", f"≤ {hi}", lo))
        elif (lo is not None and rule.sessions < lo) or (hi is not None and rule.sessions > hi):
            problems.append(_problem("sessions outside min_sessions–max_sessions",
                                     "dosage.sessions", f"{lo or 1}–{hi or '∞'}",
                                     rule.sessions))
    if problems:
        raise ValidationError(problems)


def _check_toc(toc) -> None:
    """Boxes and assumptions of a theory of change; keeps its own copies of them."""
    problems = []
    for lvl in TOC_LEVELS:
        boxes = getattr(toc, lvl)
        if not isinstance(boxes, list | tuple) or not all(_is_text(b) for b in boxes):
            problems.append(_problem("expected a list of texts", f"theory_of_change.{lvl}",
                                     "a list of short texts", boxes))
        else:
            # Own copy: the lists may come from the cached YAML, which must stay untouched.
            object.__setattr__(toc, lvl, list(boxes))
    if not isinstance(toc.assumptions, dict):
        problems.append(_problem("expected a mapping", "theory_of_change.assumptions",
                                 "link: assumption", toc.assumptions))
    else:
        problems += [_problem("unknown link in theory of change",
                              f"theory_of_change.assumptions.{k}", ", ".join(_TOC_LINKS))
                     for k in toc.assumptions if k not in _TOC_LINKS]
        problems += [_problem("assumption is not text", f"theory_of_change.assumptions.{k}",
                              "text", v)
                     for k, v in toc.assumptions.items() if k in _TOC_LINKS and not _is_text(v)]
        object.__setattr__(toc, "assumptions", dict(toc.assumptions))
    if problems:
        raise ValidationError(problems)


def _check_adaptation(a) -> None:
    """An adaptations-log entry; turns its date into a day."""
    problems = []
    if isinstance(a.date, dt.datetime):  # also pandas Timestamps: the log keeps days
        object.__setattr__(a, "date", a.date.date())
    if isinstance(a.date, str):
        try:
            object.__setattr__(a, "date", dt.date.fromisoformat(a.date))
        except ValueError:
            problems.append(_problem("bad date", "adaptations.date", "YYYY-MM-DD", a.date))
    elif not isinstance(a.date, dt.date):
        problems.append(_problem("bad date", "adaptations.date", "YYYY-MM-DD", a.date))
    if a.kind not in COMPONENT_KINDS:
        problems.append(_problem("unknown adaptation kind", "adaptations.kind",
                                 " or ".join(COMPONENT_KINDS), a.kind))
    if problems:
        raise ValidationError(problems)


def _intervention_problems(v: dict[str, Any]) -> list[Problem]:
    """Checks on an intervention's own fields, shared by the constructor and from_dict."""
    from .intervention import Component

    problems = [_problem("missing or empty", k, "a short text", v.get(k))
                for k in ("id", "name") if not _is_text(v.get(k), allow_empty=False)]
    if v.get("type") not in INTERVENTION_TYPES:
        problems.append(_problem("unknown intervention type", "type",
                                 ", ".join(INTERVENTION_TYPES), v.get("type")))
    for k in ("support", "requirements", "components"):
        if not isinstance(v.get(k, ()), list | tuple):  # a lone string would split into letters
            problems.append(_problem("expected a list", k, "a list", v[k]))
            v = {**v, k: ()}
    bad = [s for s in v.get("support", ()) if s not in SUPPORT_KINDS]
    if bad:
        problems.append(_problem("unknown kind of support", "support",
                                 ", ".join(SUPPORT_KINDS), bad))
    if not all(isinstance(c, Component) for c in v.get("components", ())):
        problems.append(_problem("expected Component objects", "components", "Component(...)"))
        v = {**v, "components": ()}
    ids = [c.id for c in v.get("components", ())]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        problems.append(_problem("duplicate component id", "components", "unique ids", dup))
    thr = v.get("fidelity_threshold", 0.8)
    if isinstance(thr, bool) or not (isinstance(thr, int | float) and 0 < thr <= 1):
        problems.append(_problem("bad fidelity threshold", "fidelity_threshold",
                                 "a share in (0, 1]", thr))
    labels = v.get("labels") or {}
    if not isinstance(labels, dict) or (labels and (
            set(labels) != set(LANGS) or not all(_is_text(t, False) for t in labels.values()))):
        problems.append(_problem("labels must name the intervention in every language",
                                 "labels", ", ".join(LANGS), labels))
    problems += [_problem("not text", k, "text", v.get(k))
                 for k in ("owner", "target_group", "description", "source")
                 if not _is_text(v.get(k, ""))]
    problems += [_problem("not text", f"requirements[{i}]", "text", r)
                 for i, r in enumerate(v.get("requirements", ())) if not _is_text(r)]
    return problems


def _parse_intervention(cls, data, file: str | None):
    """The body of :meth:`Intervention.from_dict`: check every part of a definition,
    build the parts, and raise one error naming ``file`` and every bad key."""
    from .intervention import Adaptation, Component, DosageRule, TheoryOfChange

    if not isinstance(data, dict):
        raise ValidationError([Problem("intervention definition is not a mapping", file=file,
                                       found=type(data).__name__)])
    known = [f.name for f in fields(cls)]
    problems = [_problem("unknown field", k, ", ".join(known)) for k in data if k not in known]
    missing = [k for k in ("id", "name", "type") if k not in data]
    problems += [_problem("missing field", k) for k in missing]
    d = {k: v for k, v in data.items() if k in known}
    for k in ("support", "requirements", "components", "adaptations"):
        if not isinstance(d.get(k) or [], list | tuple):
            problems.append(_problem("expected a list", k, "a list", d.pop(k)))
    for k in ("support", "requirements"):
        d[k] = tuple(d.get(k) or ())
    comps = [_build(Component, c, f"components[{i}]", problems)
             for i, c in enumerate(d.get("components") or ())]
    d["components"] = tuple(c for c in comps if c is not None)
    if d.get("dosage") is not None:
        d["dosage"] = _build(DosageRule, d["dosage"], "dosage", problems)
    toc = d.get("theory_of_change")
    d["theory_of_change"] = (_build(TheoryOfChange, toc or {}, "theory_of_change", problems)
                             or TheoryOfChange())
    adapts = [_build(Adaptation, a, f"adaptations[{i}]", problems)
              for i, a in enumerate(d.get("adaptations") or ())]
    d["adaptations"] = tuple(a for a in adapts if a is not None)
    for k in ("checklist", "labels"):
        if not isinstance(d.get(k) or {}, dict):
            problems.append(_problem("expected a mapping", k, "key: text", d.pop(k)))
        d[k] = dict(d.get(k) or {})
    problems += [p for p in _intervention_problems(d) if p.column not in missing]
    if problems:
        raise ValidationError([replace(p, file=file) for p in problems])
    return cls(**d)
