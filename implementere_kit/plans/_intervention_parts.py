"""The parts of an intervention (private; import them from :mod:`implementere_kit.plans.intervention`).

Components, the dosage rule, the theory of change and the owner's requirements. Each checks
itself when made — against its part of ``definition_schemas/intervention.yaml``, through the
one definition checker, plus the rules across fields a schema cannot say — and lists every
problem in one :class:`~implementere_kit.errors.ValidationError`, each naming its key
(``dosage.sessions``, ``components.c.kind``).

Texts people read (a component's name, rationale and description) may come in nb, da and en:
the field holds the English text and ``texts`` the translations, which count only while they
still translate the field (a name edited in one language simply shows as written).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .._definitions import labels, problems, texts, unique_ids, unknown_refs
from ..errors import Problem, ValidationError, safe_value

__all__ = ["COMPONENT_KINDS", "TOC_LEVELS", "TOC_LINKS", "COMPLETION_RULES", "Component",
           "DosageRule", "TheoryOfChange", "Requirement", "translated"]

COMPONENT_KINDS = ("core", "flexible")
TOC_LEVELS = ("resources", "activities", "deliverables", "results", "long_term_effects")
TOC_LINKS = tuple(f"{a}->{b}" for a, b in zip(TOC_LEVELS, TOC_LEVELS[1:], strict=False))
#: Who decides that a participant has completed: their ``attendance`` (a share of the
#: sessions) or the ``practitioner`` (the therapist ends the course as completed).
COMPLETION_RULES = ("attendance", "practitioner")
_TEXT_FIELDS = ("name", "rationale", "description")


def _raise(found: list[Problem]) -> None:
    if found:
        raise ValidationError(found)


def translated(obj, name: str, lang: str) -> str:
    """``obj.<name>`` in ``lang`` when ``obj.texts`` holds a translation of its current text."""
    from ..i18n import check_lang

    check_lang(lang)
    value = getattr(obj, name)
    tr = obj.texts.get(name) if isinstance(obj.texts, Mapping) else None
    if tr and tr.get("en") == value and tr.get(lang):
        return tr[lang]
    return value


@dataclass(frozen=True)
class Component:
    """A component of an intervention: ``core`` (must be delivered as intended) or
    ``flexible`` (may be adapted to local conditions), with the reason why.

    Examples
    --------
    >>> c = Component("role_play", "Role play", texts={"name": {"nb": "Rollespill",
    ...               "da": "Rollespil", "en": "Role play"}})
    >>> c.label("da"), c.kind
    ('Rollespil', 'core')
    """

    id: str
    name: str
    kind: str = "core"
    rationale: str = ""
    description: str = ""
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        ok_id = isinstance(self.id, str) and bool(self.id.strip())
        data = {k: getattr(self, k) for k in ("id", "name", "kind", "rationale", "description")}
        _raise(problems(data, "intervention#component", resource="intervention",
                        prefix=f"components.{self.id}" if ok_id else "components"))
        object.__setattr__(self, "texts", {k: dict(v) for k, v in dict(self.texts).items()})

    def label(self, lang: str = "nb") -> str:
        """The component's name in ``lang``."""
        return translated(self, "name", lang)

    def text(self, name: str, lang: str = "nb") -> str:
        """``name`` (``rationale`` or ``description``) in ``lang``."""
        return translated(self, name, lang)

    def to_dict(self) -> dict:
        out = {"id": self.id, "kind": self.kind}
        for k in _TEXT_FIELDS:
            tr = self.texts.get(k)
            out[k] = dict(tr) if tr and tr.get("en") == getattr(self, k) else getattr(self, k)
        return out


@dataclass(frozen=True)
class DosageRule:
    """How much of the intervention a participant should get, and when they have completed.

    Parameters
    ----------
    sessions : int
        Planned number of sessions (KEEP: 16).
    min_attendance : float or None
        Share of ``sessions`` a participant must attend to complete (KEEP: 0.8); ``None``
        when the practitioner decides (``completion="practitioner"``).
    makeups_count : bool
        Whether a make-up session counts as attending the session it replaces.
    session_minutes, interval_days, max_group_size, leaders_per_group : int, optional
        Planned length of a session, days between sessions, most participants in a group,
        group leaders per group.
    min_sessions, max_sessions : int, optional
        A range of sessions when the dose varies by case (FFT: 12–20); ``sessions``
        must lie inside it.
    completion : {"attendance", "practitioner"}
        Who decides that a participant has completed: attendance of ``min_attendance`` of
        the sessions (a group course such as KEEP), or the practitioner, who ends the course
        as completed (FFT, PMTO: no owner rule counts sessions).
    min_attendance_basis, min_attendance_note : str
        ``source`` when the share comes from the owner or the literature (cited in the note),
        ``local`` when it is a convention the project may change.

    Examples
    --------
    >>> DosageRule(sessions=16, min_attendance=0.8, makeups_count=True).sessions_to_graduate
    13
    >>> DosageRule(sessions=12, min_attendance=None, completion="practitioner").sessions_to_graduate
    """

    sessions: int
    min_attendance: float | None = 0.8
    makeups_count: bool = True
    session_minutes: int | None = None
    interval_days: int | None = None
    max_group_size: int | None = None
    leaders_per_group: int | None = None
    min_sessions: int | None = None
    max_sessions: int | None = None
    completion: str = "attendance"
    min_attendance_basis: str = "local"
    min_attendance_note: str = ""

    def __post_init__(self) -> None:
        found = problems(self._data(), "intervention#dosage", resource="intervention",
                         prefix="dosage")
        if not found:  # rules across fields compare numbers, so only once all are numbers
            found = self._rules()
        _raise(found)

    def _data(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def _rules(self) -> list[Problem]:
        def p(msg, col, expected, found):
            return Problem(msg, resource="intervention", column=f"dosage.{col}",
                           expected=expected, found=safe_value(found))

        out = []
        if self.completion == "attendance" and self.min_attendance is None:
            out.append(p("no attendance share to complete", "min_attendance",
                         "a share, or completion: practitioner", None))
        if self.completion == "practitioner" and self.min_attendance is not None:
            out.append(p("the practitioner decides completion, so no share applies",
                         "min_attendance", "null", self.min_attendance))
        lo, hi = self.min_sessions, self.max_sessions
        if lo is not None and hi is not None and lo > hi:
            out.append(p("min_sessions above max_sessions", "min_sessions", f"≤ {hi}", lo))
        elif (lo is not None and self.sessions < lo) or (hi is not None and self.sessions > hi):
            out.append(p("sessions outside min_sessions–max_sessions", "sessions",
                         f"{lo or 1}–{hi or '∞'}", self.sessions))
        return out

    @property
    def sessions_to_graduate(self) -> int | None:
        """Fewest sessions attended that meet ``min_attendance`` (rounded up); ``None`` when
        the practitioner decides completion."""
        if self.min_attendance is None:
            return None
        # A tiny tolerance keeps 0.8 × 16 = 12.8000000001 from rounding up to 14.
        return math.ceil(self.sessions * self.min_attendance - 1e-9)

    @classmethod
    def from_dict(cls, data: dict) -> DosageRule:
        """Build from a mapping such as the ``dosage`` block of a YAML definition."""
        _raise(problems(data, "intervention#dosage", resource="intervention", prefix="dosage"))
        return cls(**data)


@dataclass(frozen=True)
class TheoryOfChange:
    """A theory of change (forandringsteori) as Socialstyrelsen draws it:
    resources → activities → deliverables → results → long-term effects, with the critical
    assumption on each arrow.

    ``assumptions`` maps ``"resources->activities"`` style keys to the assumption text. A box
    or an assumption may be given as one text (shown as written in every language: what a
    user typed, or a project saved before boxes were translated) or as a mapping nb/da/en →
    text. The fields hold the English (or the only) text and ``texts`` maps an English text
    to its translations, so a box edited in one language simply shows as written; read the
    boxes with :meth:`boxes` and :meth:`assumption`, or ``elements(lang)``/``links(lang)``.

    Examples
    --------
    >>> toc = TheoryOfChange(resources=["2 trained leaders"], activities=["16 group sessions"],
    ...     assumptions={"resources->activities": {"nb": "lederne har avsatt tid",
    ...                  "da": "lederne har tid afsat", "en": "leaders have time set aside"}})
    >>> toc.links().iloc[0]["assumption"], toc.assumption("resources->activities", "da")
    ('leaders have time set aside', 'lederne har tid afsat')
    >>> toc.boxes("resources", "nb")
    ['2 trained leaders']
    """

    resources: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    deliverables: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    long_term_effects: list[str] = field(default_factory=list)
    assumptions: dict[str, str] = field(default_factory=dict)
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        data = {lvl: list(v) if isinstance(v, tuple) else v
                for lvl in TOC_LEVELS for v in [getattr(self, lvl)]}
        data["assumptions"] = self.assumptions
        _raise(problems(data, "intervention#theory_of_change", resource="intervention",
                        prefix="theory_of_change"))
        if not isinstance(self.texts, Mapping):
            _raise([_p("expected a mapping English text → nb/da/en", "theory_of_change.texts",
                       "a mapping", type(self.texts).__name__)])
        # Own copies (the lists may come from the cached YAML, which must stay untouched);
        # a mapping nb/da/en becomes its English text plus an entry of ``texts``.
        trs = {k: labels(v) for k, v in self.texts.items() if isinstance(v, Mapping)}

        def own(value) -> str:
            en, tr = texts(value)
            if tr:
                trs[en] = tr
            return en

        for lvl in TOC_LEVELS:
            object.__setattr__(self, lvl, [own(v) for v in getattr(self, lvl)])
        object.__setattr__(self, "assumptions", {k: own(v) for k, v in self.assumptions.items()})
        used = {*(t for lvl in TOC_LEVELS for t in getattr(self, lvl)), *self.assumptions.values()}
        # Only translations of a text still present count (and are kept).
        object.__setattr__(self, "texts", {k: v for k, v in trs.items()
                                           if k in used and v.get("en") == k})

    def _in(self, text: str, lang: str | None) -> str:
        from ..i18n import check_lang

        if lang is None:
            return text
        return self.texts.get(text, {}).get(check_lang(lang)) or text

    def boxes(self, level: str, lang: str = "nb") -> list[str]:
        """The boxes of ``level`` (``resources``, …) in ``lang`` (as written when not
        translated)."""
        if level not in TOC_LEVELS:
            _raise([_p("unknown level of the theory of change", "level",
                       ", ".join(TOC_LEVELS), level)])
        return [self._in(t, lang) for t in getattr(self, level)]

    def assumption(self, link: str, lang: str = "nb") -> str:
        """The critical assumption on ``link`` (``"resources->activities"``, …) in ``lang``."""
        return self._in(self.assumptions.get(link, ""), lang)

    def elements(self, lang: str | None = None):
        """One row per box: ``level``, ``order``, ``text`` (in ``lang`` when given)."""
        import pandas as pd

        rows = [(lvl, i, self._in(text, lang)) for lvl in TOC_LEVELS
                for i, text in enumerate(getattr(self, lvl))]
        return pd.DataFrame(rows, columns=["level", "order", "text"])

    def links(self, lang: str | None = None):
        """One row per arrow between levels: ``source``, ``target``, ``assumption`` (in
        ``lang`` when given)."""
        import pandas as pd

        rows = [(*link.split("->"), self._in(self.assumptions.get(link, ""), lang))
                for link in TOC_LINKS]
        return pd.DataFrame(rows, columns=["source", "target", "assumption"])

    def missing_assumptions(self) -> list[str]:
        """Links between two non-empty levels whose critical assumption is not written down."""
        return [link for link in TOC_LINKS
                if all(getattr(self, lvl) for lvl in link.split("->"))
                and not str(self.assumptions.get(link) or "").strip()]

    def to_dict(self) -> dict:
        """The definition's form: a translated text as its mapping nb/da/en, others as
        written (what the constructor and ``Intervention.from_dict`` read back)."""
        def out(text):
            return dict(self.texts[text]) if text in self.texts else text

        return {**{lvl: [out(t) for t in getattr(self, lvl)] for lvl in TOC_LEVELS},
                "assumptions": {k: out(v) for k, v in self.assumptions.items()}}


@dataclass(frozen=True)
class Requirement:
    """A requirement of the intervention owner, held as the municipality's obligation.

    An owner's contract lists what the municipality commits to; in the plan each such
    commitment is an activity of one of the municipality's roles (``role``, a role of the
    implementere framework), in a core element, from ``start_week`` for ``duration_weeks``
    weeks after the project start, tagged with an SIC stage where it marks one. ``replaces``
    names template activities it stands in for (the owner's own version of the same work).

    Examples
    --------
    >>> r = Requirement("facilitator_training", {"nb": "Gruppeledere på kurs",
    ...                 "da": "Gruppeledere på kursus", "en": "Group leaders on the course"},
    ...                 role="practitioners", core_element=3, sic_stage=4, start_week=26)
    >>> r.label("da"), r.role
    ('Gruppeledere på kursus', 'practitioners')
    """

    id: str
    labels: Mapping[str, str] = field(hash=False)
    role: str = "implementation_team"
    core_element: int = 3
    sic_stage: int | None = None
    start_week: int = 14
    duration_weeks: int = 12
    source: str = ""
    replaces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        data = self.to_dict()
        if isinstance(self.replaces, tuple):
            data["replaces"] = list(self.replaces)
        _raise(problems(data, "intervention#requirement", resource="intervention",
                        prefix=f"requirements.{self.id}"))
        object.__setattr__(self, "labels", dict(self.labels))
        object.__setattr__(self, "replaces", tuple(self.replaces))

    def label(self, lang: str = "nb") -> str:
        from ..i18n import check_lang

        return self.labels[check_lang(lang)]

    def to_dict(self) -> dict:
        out = {"id": self.id, "label": dict(self.labels) if isinstance(self.labels, Mapping)
               else self.labels, "role": self.role, "core_element": self.core_element,
               "sic_stage": self.sic_stage, "start_week": self.start_week,
               "duration_weeks": self.duration_weeks}
        if self.source:
            out["source"] = self.source
        if self.replaces:
            out["replaces"] = list(self.replaces)
        return out


def _framework():
    from .frameworks import load_framework

    return load_framework("implementere")


def _p(msg: str, column: str, expected=None, found=None) -> Problem:
    return Problem(msg, resource="intervention", column=column, expected=expected,
                   found=None if found is None else safe_value(found))


def _cross_problems(d: dict) -> list[Problem]:
    """What the schema cannot say: known type and support, unique ids, real roles and core
    elements for the requirements. Written to run on a definition that may be malformed."""
    from .intervention_types import INTERVENTION_TYPES, SUPPORT_KINDS

    out = []
    if isinstance(d.get("type"), str) and d["type"] not in INTERVENTION_TYPES:
        out.append(_p("unknown intervention type", "type", ", ".join(INTERVENTION_TYPES),
                      d["type"]))
    support = d.get("support", ())
    if isinstance(support, list | tuple) and any(s not in SUPPORT_KINDS for s in support):
        out += unknown_refs([s for s in support if s not in SUPPORT_KINDS], SUPPORT_KINDS,
                            "support", "kind of support", resource="intervention")
    comps = [c for c in d.get("components") or () if isinstance(c, dict | Component)]
    for pr in unique_ids(comps, "components", resource="intervention"):
        out.append(replace(pr, message="duplicate component id"))
    reqs = [r for r in d.get("requirements") or () if isinstance(r, dict | Requirement)]
    out += unique_ids(reqs, "requirements", resource="intervention")
    fw = _framework()
    roles, ces = [r.id for r in fw.roles], [c.id for c in fw.core_elements]
    acts = [a.id for c in fw.core_elements for a in c.activities]
    for r in reqs:
        get = r.get if isinstance(r, dict) else lambda k, r=r: getattr(r, k, None)
        where = f"requirements.{get('id')}"
        if isinstance(get("role"), str):
            out += unknown_refs(get("role"), roles, f"{where}.role", "role of the municipality",
                                resource="intervention")
        if isinstance(get("core_element"), int):
            out += unknown_refs(get("core_element"), ces, f"{where}.core_element",
                                "core element", resource="intervention")
        if isinstance(get("replaces"), list | tuple):
            out += unknown_refs(list(get("replaces")), acts, f"{where}.replaces",
                                "template activity", resource="intervention")
    return out
