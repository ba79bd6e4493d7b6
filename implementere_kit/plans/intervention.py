"""Interventions (tiltak / indsatser): type, owner and support, components, dosage,
theory of change and the owner's requirements.

What a municipality changes in the intervention is not part of the intervention: it is
kept in the project's ``adaptations`` table, coded after FRAME
(:mod:`implementere_kit.learning.adaptations`).

The three intervention types and the kinds of owner support are data
(:mod:`implementere_kit.plans.intervention_types`, from implementere.no). An owner's
support varies — a handbook, training, supervision, certification, a contract, a written
description of the implementation process, guidance during it — and the plan follows what
this intervention's owner actually offers. The owner's requirements are kept as the
municipality's obligations (:class:`Requirement`): who in the municipality does what, where
in the plan and when.

Ready-made definitions ship as YAML in ``implementere_kit/plans/interventions/`` (KEEP, FFT,
DUÅ, PMTO, Opsporingsmodellen); each cites its sources. Every definition — a shipped file, a
user's file or the copy in a project's ``project.json`` — is checked against
``definition_schemas/intervention.yaml`` by the one definition checker.

Examples
--------
>>> from implementere_kit import load_intervention
>>> keep = load_intervention("keep")
>>> keep.type, keep.dosage.sessions, keep.dosage.min_attendance
('evidence-based', 16, 0.8)
>>> [c.label("da") for c in keep.core_components()][:2]
['Manualbaseret forløb tilpasset gruppen', 'Aktiv læring med rollespil og video']
>>> load_intervention("fft").dosage.completion
'practitioner'

References
----------
implementere.no, "Utvikle tiltak selv eller implementere noe andre har utviklet?" (the three
types, owners and their support, the "Utvikle tiltak" checklist).
https://implementere.no/hva-ma-du-vite/utvikle-tiltak-selv-eller-implementere-noe-andre-har-utviklet/
Socialstyrelsen (DK), forandringsteori: resources → activities → deliverables → results →
long-term effects, with critical assumptions on each arrow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .._data import list_data, load_yaml, package_file
from .._definitions import check, problems, texts
from .._definitions import labels as _labels
from ..errors import Problem, UnknownNameError, ValidationError
from ._intervention_parts import (
    COMPLETION_RULES,
    COMPONENT_KINDS,
    TOC_LEVELS,
    TOC_LINKS,
    Component,
    DosageRule,
    Requirement,
    TheoryOfChange,
    _cross_problems,
    _framework,
    _p,
    translated,
)
from .intervention_types import INTERVENTION_TYPES, SUPPORT_KINDS

__all__ = [
    "INTERVENTION_TYPES", "SUPPORT_KINDS", "DEVELOP_CHECKLIST_KEYS", "COMPONENT_KINDS",
    "TOC_LEVELS", "COMPLETION_RULES", "Component", "DosageRule", "TheoryOfChange",
    "Requirement", "Intervention", "load_intervention", "list_interventions",
]

_TOC_LINKS = TOC_LINKS  # the name widgets used before the parts moved


#: Keys of the "Utvikle tiltak" checklist, read from the framework on first use (below).
DEVELOP_CHECKLIST_KEYS: tuple[str, ...]


def __getattr__(name: str):
    # The checklist is data in the framework file; reading it at import would parse the
    # whole framework, so it is read when first asked for.
    if name == "DEVELOP_CHECKLIST_KEYS":
        return tuple(_framework().checklists["utvikle_tiltak"].item_ids)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Intervention:
    """An intervention and everything its implementation depends on.

    Build one from a shipped definition with :func:`load_intervention`, from the
    "Utvikle tiltak" checklist with :meth:`from_checklist`, or directly. ``labels`` holds the
    name in each language; ``target_group`` and ``description`` hold the English (or the
    only) text and ``texts`` their translations — read them with :meth:`label` and
    :meth:`text`. ``fidelity_threshold_basis`` is ``source`` (cited in the note) or
    ``local`` (a convention the project may change).
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
    requirements: tuple[Requirement, ...] = ()
    fidelity_threshold: float = 0.8
    fidelity_threshold_basis: str = "local"
    fidelity_threshold_note: str = ""
    checklist: dict[str, str] = field(default_factory=dict)
    source: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        scalars = {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()
                   if k not in ("components", "dosage", "theory_of_change", "requirements",
                                "texts")}
        if not scalars["labels"]:
            del scalars["labels"]
        found = problems(scalars, "intervention")
        for k, cls in (("components", Component), ("requirements", Requirement)):
            if not isinstance(d[k], tuple | list) or not all(isinstance(x, cls) for x in d[k]):
                found.append(_p(f"expected {cls.__name__} objects", k, f"{cls.__name__}(...)"))
        _raise(found + _cross_problems({**d, "components": list(d["components"])
                                        if isinstance(d["components"], tuple | list) else ()}))
        for k in ("support", "components", "requirements"):
            object.__setattr__(self, k, tuple(getattr(self, k)))
        object.__setattr__(self, "labels", dict(self.labels))
        object.__setattr__(self, "texts", {k: dict(v) for k, v in self.texts.items()})

    # -- queries ---------------------------------------------------------------------
    def label(self, lang: str = "nb") -> str:
        """The intervention's name in ``lang``, or :attr:`name` when no labels are given."""
        from ..i18n import check_lang

        return self.labels.get(check_lang(lang)) or self.name

    def text(self, name: str, lang: str = "nb") -> str:
        """``target_group`` or ``description`` in ``lang`` (as written when not translated)."""
        return translated(self, name, lang)

    def component(self, component_id: str) -> Component:
        for c in self.components:
            if c.id == component_id:
                return c
        raise UnknownNameError("component", component_id, [c.id for c in self.components])

    def core_components(self) -> list[Component]:
        return [c for c in self.components if c.kind == "core"]

    def flexible_components(self) -> list[Component]:
        return [c for c in self.components if c.kind == "flexible"]

    def components_frame(self, lang: str | None = None):
        """Components as a DataFrame (id, name, kind, rationale, description), in ``lang``
        when given."""
        import pandas as pd

        def text(c, k):
            return translated(c, k, lang) if lang else getattr(c, k)

        rows = [(c.id, text(c, "name"), c.kind, text(c, "rationale"), text(c, "description"))
                for c in self.components]
        return pd.DataFrame(rows, columns=["id", "name", "kind", "rationale", "description"])

    def requirements_frame(self, lang: str = "nb"):
        """The owner's requirements as the municipality's obligations: ``requirement``,
        ``label``, ``role``, ``core_element``, ``sic_stage``, ``start_week``,
        ``duration_weeks``, ``source``."""
        import pandas as pd

        rows = [(r.id, r.label(lang), r.role, r.core_element, r.sic_stage, r.start_week,
                 r.duration_weeks, r.source) for r in self.requirements]
        df = pd.DataFrame(rows, columns=["requirement", "label", "role", "core_element",
                                         "sic_stage", "start_week", "duration_weeks", "source"])
        return df.astype({"sic_stage": "Int64"})

    def thresholds(self):
        """Each threshold with its basis: ``threshold``, ``value``, ``basis`` (``source`` or
        ``local``: a convention the project may change) and ``note``."""
        import pandas as pd

        rows = [("fidelity_threshold", self.fidelity_threshold, self.fidelity_threshold_basis,
                 self.fidelity_threshold_note)]
        if self.dosage is not None and self.dosage.min_attendance is not None:
            rows.append(("min_attendance", self.dosage.min_attendance,
                         self.dosage.min_attendance_basis, self.dosage.min_attendance_note))
        return pd.DataFrame(rows, columns=["threshold", "value", "basis", "note"])

    # -- (de)serialisation ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict that :meth:`from_dict` reads back (the definition file's form)."""
        d: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type,
                             "owner": self.owner, "support": list(self.support)}
        if self.labels:
            d["labels"] = dict(self.labels)
        for k in ("target_group", "description"):
            tr = self.texts.get(k)
            d[k] = dict(tr) if tr and tr.get("en") == getattr(self, k) else getattr(self, k)
        d.update(components=[c.to_dict() for c in self.components],
                 dosage=asdict(self.dosage) if self.dosage else None,
                 theory_of_change=self.theory_of_change.to_dict(),
                 requirements=[r.to_dict() for r in self.requirements],
                 fidelity_threshold=self.fidelity_threshold,
                 fidelity_threshold_basis=self.fidelity_threshold_basis,
                 fidelity_threshold_note=self.fidelity_threshold_note,
                 checklist=dict(self.checklist), source=self.source)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, file: str | None = None) -> Intervention:
        """Build from a mapping (a parsed YAML definition or :meth:`to_dict` output).

        Every problem in the definition is reported in one :class:`ValidationError`,
        each naming ``file`` and the key (``dosage.sessions``, ``components.a.kind``).
        """
        def more(d: dict) -> list[Problem]:
            found = _cross_problems(d)
            dosage = d.get("dosage")
            if isinstance(dosage, dict) and not problems(dosage, "intervention#dosage"):
                try:
                    DosageRule(**dosage)
                except ValidationError as exc:
                    found += exc.problems
            return [replace(p, file=file) for p in found]

        check(data, "intervention", file=file, more=more)
        return cls(**_objects(data))

    @classmethod
    def from_checklist(cls, answers: dict[str, str], *, id: str, name: str,
                       components: list[Component] | None = None,
                       dosage: DosageRule | None = None) -> Intervention:
        """Build a self-developed intervention from the "Utvikle tiltak" checklist.

        ``answers`` holds the eight questions (:data:`DEVELOP_CHECKLIST_KEYS`); every one
        must be answered, since the checklist exists to make sure nothing is left out. An
        answer whose question has a place in the theory of change goes there: the goal to
        the results, the content to the activities, and why we expect it to work to the
        assumption behind deliverables → results.

        Examples
        --------
        >>> from implementere_kit.plans.intervention import DEVELOP_CHECKLIST_KEYS
        >>> ans = {k: "…" for k in DEVELOP_CHECKLIST_KEYS}
        >>> ans["why_it_works"] = "Foreldre som møtes, lærer av hverandre"
        >>> iv = Intervention.from_checklist(ans, id="lokal", name="Foreldrekafé")
        >>> iv.theory_of_change.assumptions["deliverables->results"]
        'Foreldre som møtes, lærer av hverandre'
        """
        questions = _framework().checklists["utvikle_tiltak"].items
        keys = [q.id for q in questions]
        found = [_p("checklist question not answered", f"checklist.{k}", "a short answer")
                 for k in keys if not str(answers.get(k) or "").strip()]
        found += [_p("unknown checklist question", f"checklist.{k}", ", ".join(keys))
                  for k in answers if k not in keys]
        _raise(found)
        boxes: dict[str, list[str]] = {lvl: [] for lvl in TOC_LEVELS}
        assumptions = {}
        for q in questions:
            if q.toc in TOC_LEVELS:
                boxes[q.toc].append(answers[q.id])
            elif q.toc in TOC_LINKS:
                assumptions[q.toc] = answers[q.id]
        return cls(id=id, name=name, type="self-developed", owner="",
                   target_group=answers["target_group"], description=answers["goal"],
                   components=tuple(components or ()), dosage=dosage,
                   theory_of_change=TheoryOfChange(**boxes, assumptions=assumptions),
                   checklist={k: str(answers[k]) for k in keys},
                   source=_framework().checklists["utvikle_tiltak"].source)


def _raise(found: list[Problem]) -> None:
    if found:
        raise ValidationError(found)


def _objects(d: dict) -> dict:
    """Constructor arguments from a checked definition."""
    out = {k: v for k, v in d.items() if k not in ("components", "dosage", "theory_of_change",
                                                    "requirements")}
    trs = {}
    for k in ("target_group", "description"):
        if k in d:
            out[k], tr = texts(d[k])
            if tr:
                trs[k] = tr
    out["texts"] = trs
    out["support"] = tuple(d.get("support") or ())
    out["labels"] = dict(d.get("labels") or {})
    out["checklist"] = dict(d.get("checklist") or {})
    comps = []
    for c in d.get("components") or ():
        kw, ctr = {"id": c["id"], "kind": c.get("kind", "core")}, {}
        for k in ("name", "rationale", "description"):
            kw[k], tr = texts(c.get(k, ""))
            if tr:
                ctr[k] = tr
        comps.append(Component(**kw, texts=ctr))
    out["components"] = tuple(comps)
    out["dosage"] = DosageRule(**d["dosage"]) if d.get("dosage") else None
    out["theory_of_change"] = TheoryOfChange(**(d.get("theory_of_change") or {}))
    reqs = []
    for i, r in enumerate(d.get("requirements") or (), start=1):
        if isinstance(r, str):  # one text: the obligation as written, for the team to place
            reqs.append(Requirement(f"req{i}", _labels(r)))
        else:
            reqs.append(Requirement(**{**{k: v for k, v in r.items() if k != "label"},
                                       "labels": _labels(r["label"])}))
    out["requirements"] = tuple(reqs)
    return out


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
