"""Interventions (tiltak / indsatser): type, owner and support, components, dosage,
theory of change and the log of adaptations.

The three intervention types and what they mean for implementation follow
implementere.no ("Hva slags tiltak?"): an evidence-based intervention comes with quality
assurance and requirements from its owner (tiltakseier); a ready-made one without
evidence is well described and has some support; a self-developed one fits local needs
and the municipality develops both the intervention and its implementation plan.

Ready-made definitions ship as YAML in ``implementere_kit/interventions/`` (KEEP, FFT,
DUÅ, PMTO, Opsporingsmodellen); each cites its sources in ``source``.

Examples
--------
>>> from implementere_kit import load_intervention
>>> keep = load_intervention("keep")
>>> keep.type, keep.dosage.sessions, keep.dosage.min_attendance
('evidence-based', 16, 0.8)
>>> [c.id for c in keep.core_components()][:2]
['curriculum', 'role_play']

References
----------
implementere.no, "Utvikle tiltak selv eller implementere noe andre har utviklet?" (ready-made
and self-developed interventions, intervention owners and their support) and "Hva må du
gjøre", Fase I (the "Utvikle tiltak" checklist). https://implementere.no
Socialstyrelsen (DK), forandringsteori: resources → activities → deliverables → results →
long-term effects, with critical assumptions on each arrow.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .._data import list_data, load_yaml, package_file
from ..errors import Problem, UnknownNameError, ValidationError
from ._intervention_spec import (
    _TOC_LINKS,
    COMPONENT_KINDS,  # noqa: F401 - importable from here, as before the split
    INTERVENTION_TYPES,
    SUPPORT_KINDS,
    TOC_LEVELS,
    _build,
    _check_adaptation,
    _check_component,
    _check_dosage,
    _check_toc,
    _intervention_problems,
    _parse_intervention,
    _problem,
)

__all__ = [
    "INTERVENTION_TYPES",
    "SUPPORT_KINDS",
    "DEVELOP_CHECKLIST_KEYS",
    "Component",
    "DosageRule",
    "TheoryOfChange",
    "Adaptation",
    "Intervention",
    "load_intervention",
    "list_interventions",
]

#: Keys of the "Utvikle tiltak" checklist (implementere.no, Fase I, Kjerneelement 2).
DEVELOP_CHECKLIST_KEYS = (
    "target_group",  # Hvem er tiltaket for?
    "goal",  # Hva er målet?
    "format",  # Hvilken form (gruppe, individ, …)?
    "scope",  # Omfang: hvor mange økter, hvor lenge?
    "content",  # Innhold
    "methods",  # Metoder
    "materials",  # Hvilke materialer trengs?
    "why_it_works",  # Hvorfor antar vi at tiltaket virker?
)

@dataclass(frozen=True)
class Component:
    """A component of an intervention: ``core`` (must be delivered as intended) or
    ``flexible`` (may be adapted to local conditions), with the reason why."""

    id: str
    name: str
    kind: str = "core"
    rationale: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        _check_component(self)


@dataclass(frozen=True)
class DosageRule:
    """How much of the intervention a participant should get, and when they graduate.

    Parameters
    ----------
    sessions : int
        Planned number of sessions (KEEP: 16).
    min_attendance : float
        Share of ``sessions`` a participant must attend to graduate (KEEP: 0.8).
    makeups_count : bool
        Whether a make-up session counts as attending the session it replaces.
    session_minutes : int, optional
        Planned length of one session (KEEP: 90).
    interval_days : int, optional
        Planned days between sessions (weekly: 7).
    max_group_size : int, optional
        Most participants (families) in one group (KEEP: 6).
    leaders_per_group : int, optional
        Group leaders per group (KEEP: 2).
    min_sessions, max_sessions : int, optional
        A range of sessions when the dose varies by case (FFT: 12–20); ``sessions``
        must lie inside it.

    Examples
    --------
    >>> rule = DosageRule(sessions=16, min_attendance=0.8, makeups_count=True)
    >>> rule.sessions_to_graduate
    13
    """

    sessions: int
    min_attendance: float = 0.8
    makeups_count: bool = True
    session_minutes: int | None = None
    interval_days: int | None = None
    max_group_size: int | None = None
    leaders_per_group: int | None = None
    min_sessions: int | None = None
    max_sessions: int | None = None

    def __post_init__(self) -> None:
        _check_dosage(self)

    @property
    def sessions_to_graduate(self) -> int:
        """Fewest sessions attended that meet ``min_attendance`` (rounded up)."""
        # A tiny tolerance keeps 0.8 × 16 = 12.8000000001 from rounding up to 14.
        return math.ceil(self.sessions * self.min_attendance - 1e-9)

    @classmethod
    def from_dict(cls, data: dict) -> DosageRule:
        """Build from a mapping such as the ``dosage`` block of a YAML definition."""
        problems: list[Problem] = []
        rule = _build(cls, data, "dosage", problems)
        if problems:
            raise ValidationError(problems)
        return rule


@dataclass(frozen=True)
class TheoryOfChange:
    """A theory of change (forandringsteori) as Socialstyrelsen draws it:
    resources → activities → deliverables → results → long-term effects, with the critical
    assumption on each arrow.

    ``assumptions`` maps ``"resources->activities"`` style keys to the assumption text.

    Examples
    --------
    >>> toc = TheoryOfChange(resources=["2 trained leaders"], activities=["16 group sessions"],
    ...     assumptions={"resources->activities": "leaders have time set aside"})
    >>> toc.links().iloc[0]["assumption"]
    'leaders have time set aside'
    """

    resources: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    deliverables: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    long_term_effects: list[str] = field(default_factory=list)
    assumptions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_toc(self)

    def elements(self):
        """One row per box: ``level``, ``order``, ``text``."""
        import pandas as pd

        rows = [(lvl, i, text) for lvl in TOC_LEVELS for i, text in enumerate(getattr(self, lvl))]
        return pd.DataFrame(rows, columns=["level", "order", "text"])

    def links(self):
        """One row per arrow between levels: ``source``, ``target``, ``assumption``."""
        import pandas as pd

        rows = [(*link.split("->"), self.assumptions.get(link, "")) for link in _TOC_LINKS]
        return pd.DataFrame(rows, columns=["source", "target", "assumption"])

    def missing_assumptions(self) -> list[str]:
        """Links between two non-empty levels whose critical assumption is not written down."""
        return [link for link in _TOC_LINKS
                if all(getattr(self, lvl) for lvl in link.split("->"))
                and not str(self.assumptions.get(link) or "").strip()]


@dataclass(frozen=True)
class Adaptation:
    """One entry of the adaptations log: what was changed in a component, why, and by whom."""

    date: dt.date
    component: str
    change: str
    reason: str
    kind: str  # core or flexible: the kind of the component that was adapted
    decided_by: str = ""

    def __post_init__(self) -> None:
        _check_adaptation(self)


@dataclass(frozen=True)
class Intervention:
    """An intervention and everything its implementation depends on.

    Build one from a shipped definition with :func:`load_intervention`, from the
    "Utvikle tiltak" checklist with :meth:`from_checklist`, or directly. ``labels``
    holds the name in each language (``nb``, ``da``, ``en``); :meth:`label` reads it.
    """

    id: str
    name: str
    type: str
    owner: str = ""
    support: tuple[str, ...] = ()
    target_group: str = ""
    description: str = ""
    components: tuple[Component, ...] = ()
    dosage: DosageRule | None = None
    theory_of_change: TheoryOfChange = field(default_factory=TheoryOfChange)
    requirements: tuple[str, ...] = ()
    adaptations: tuple[Adaptation, ...] = ()
    fidelity_threshold: float = 0.8
    checklist: dict[str, str] = field(default_factory=dict)
    source: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _intervention_problems({f.name: getattr(self, f.name) for f in fields(self)})
        if problems:
            raise ValidationError(problems)

    # -- queries ---------------------------------------------------------------------
    def label(self, lang: str = "nb") -> str:
        """The intervention's name in ``lang``, or :attr:`name` when no labels are given."""
        from ..i18n import check_lang

        return self.labels.get(check_lang(lang)) or self.name

    def component(self, component_id: str) -> Component:
        for c in self.components:
            if c.id == component_id:
                return c
        raise UnknownNameError("component", component_id, [c.id for c in self.components])

    def core_components(self) -> list[Component]:
        return [c for c in self.components if c.kind == "core"]

    def flexible_components(self) -> list[Component]:
        return [c for c in self.components if c.kind == "flexible"]

    def components_frame(self):
        """Components as a DataFrame (id, name, kind, rationale, description)."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.components],
                            columns=["id", "name", "kind", "rationale", "description"])

    def adaptations_frame(self):
        """The adaptations log as a DataFrame, oldest first."""
        import pandas as pd

        cols = ["date", "component", "change", "reason", "kind", "decided_by"]
        df = pd.DataFrame([asdict(a) for a in self.adaptations], columns=cols)
        df["date"] = pd.to_datetime(df["date"])
        return df.sort_values("date", kind="stable").reset_index(drop=True)

    # -- changes (return new objects: interventions are values) -----------------------
    def with_adaptation(self, date, component: str, change: str, reason: str,
                        decided_by: str = "") -> Intervention:
        """Return a copy with one more entry in the adaptations log.

        The entry's kind is taken from the component, so adapting a core component is
        recorded as such (a fidelity risk to discuss with the owner).

        Examples
        --------
        >>> keep = load_intervention("keep")
        >>> k2 = keep.with_adaptation("2024-03-01", "refreshments", "no dinner", "budget")
        >>> k2.adaptations[-1].kind
        'flexible'
        """
        kind = self.component(component).kind
        entry = Adaptation(date=date, component=component, change=change, reason=reason,
                           kind=kind, decided_by=decided_by)
        return replace(self, adaptations=(*self.adaptations, entry))

    # -- (de)serialisation ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict that :meth:`from_dict` reads back."""
        d = asdict(self)
        d["support"] = list(self.support)
        d["requirements"] = list(self.requirements)
        d["components"] = [asdict(c) for c in self.components]
        d["dosage"] = asdict(self.dosage) if self.dosage else None
        d["adaptations"] = [{**asdict(a), "date": a.date.isoformat()} for a in self.adaptations]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, file: str | None = None) -> Intervention:
        """Build from a mapping (a parsed YAML definition or :meth:`to_dict` output).

        Every problem in the definition is reported in one :class:`ValidationError`,
        each naming ``file`` and the key (``dosage.sessions``, ``components[2].kind``).
        """
        return _parse_intervention(cls, data, file)

    @classmethod
    def from_checklist(cls, answers: dict[str, str], *, id: str, name: str,
                       components: list[Component] | None = None,
                       dosage: DosageRule | None = None) -> Intervention:
        """Build a self-developed intervention from the "Utvikle tiltak" checklist.

        ``answers`` holds the eight questions (:data:`DEVELOP_CHECKLIST_KEYS`); every one
        must be answered, since the checklist exists to make sure nothing is left out.

        Examples
        --------
        >>> ans = {k: "…" for k in DEVELOP_CHECKLIST_KEYS}
        >>> ans["target_group"] = "Foreldre til barn 3–6 år"
        >>> Intervention.from_checklist(ans, id="lokal", name="Foreldrekafé").target_group
        'Foreldre til barn 3–6 år'
        """
        problems = [_problem("checklist question not answered", f"checklist.{k}",
                             "a short answer") for k in DEVELOP_CHECKLIST_KEYS
                    if not str(answers.get(k) or "").strip()]
        problems += [_problem("unknown checklist question", f"checklist.{k}",
                              ", ".join(DEVELOP_CHECKLIST_KEYS))
                     for k in answers if k not in DEVELOP_CHECKLIST_KEYS]
        if problems:
            raise ValidationError(problems)
        toc = TheoryOfChange(activities=[answers["content"]], results=[answers["goal"]],
                             assumptions={"activities->deliverables": answers["why_it_works"]})
        return cls(id=id, name=name, type="self-developed", owner="",
                   target_group=answers["target_group"], description=answers["goal"],
                   components=tuple(components or ()), dosage=dosage, theory_of_change=toc,
                   checklist={k: str(answers[k]) for k in DEVELOP_CHECKLIST_KEYS},
                   source="Utvikle tiltak (implementere.no, Fase I)")


def list_interventions() -> list[str]:
    """Ids of the intervention definitions shipped with the package.

    Examples
    --------
    >>> list_interventions()
    ['duaa', 'fft', 'keep', 'opsporingsmodellen', 'pmto']
    """
    return list_data("plans/interventions")


def load_intervention(name: str) -> Intervention:
    """Load a shipped intervention definition (``keep``, ``fft``, …) or a YAML file path."""
    from pathlib import Path

    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        if name not in list_interventions():
            raise UnknownNameError("intervention", name, list_interventions())
        path = package_file("plans/interventions", f"{name}.yaml")
    elif not path.exists():
        raise UnknownNameError("intervention file", str(path), list_interventions())
    return Intervention.from_dict(load_yaml(path), file=str(path))
