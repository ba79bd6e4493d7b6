"""The parts of a framework (private; see :mod:`implementere_kit.plans.frameworks`).

Small frozen dataclasses with tuples and read-only mappings — :func:`load_framework` is
cached, so a caller that changed a returned framework would change it for everyone — and
:func:`build_framework`, which checks a parsed definition against
``definition_schemas/framework.yaml`` and what the schema cannot say (references between
parts, unique ids), then builds the objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from .._data import LANGS
from .._definitions import check, labels, unique_ids, unknown_refs
from ..errors import UnknownNameError
from ..i18n import check_lang

__all__ = ["Item", "Tool", "Question", "Activity", "Checklist", "Phase", "CoreElement",
           "Stage", "Driver", "Framework", "build_framework", "TOOL_KINDS"]

TOOL_KINDS = ("checklist", "template", "video", "text", "website")
_EMPTY: Mapping[str, str] = MappingProxyType({})
_NOHASH = {"repr": False, "hash": False}


@dataclass(frozen=True)
class Item:
    """Anything with an ``id`` and a label in nb/da/en (a role, an SIC activity).

    ``verified`` is false where the fact could not be checked in its source; ``note`` says
    what was and was not checked.
    """

    id: Any
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY, **_NOHASH)
    descriptions: Mapping[str, str] = field(default_factory=lambda: _EMPTY, compare=False, **_NOHASH)
    source: str = field(default="", repr=False)
    verified: bool = field(default=True, repr=False)
    note: str = field(default="", repr=False, compare=False)

    def label(self, lang: str = "nb") -> str:
        """The label in ``lang`` (``nb``, ``da`` or ``en``)."""
        return self.labels[check_lang(lang)]

    def description(self, lang: str = "nb") -> str:
        """The description in ``lang``, or ``""`` when there is none."""
        return self.descriptions.get(check_lang(lang), "")


@dataclass(frozen=True)
class Tool(Item):
    """A tool offered with a core element; ``kind`` is one of :data:`TOOL_KINDS` and ``url``
    the implementere.no page that offers it."""

    kind: str = "text"
    url: str = ""


@dataclass(frozen=True)
class Question(Item):
    """A checklist question; ``toc`` is the box or arrow of the theory of change its answer
    belongs to (``"deliverables->results"`` for "why do we assume it will work?")."""

    toc: str = ""


@dataclass(frozen=True)
class Activity(Item):
    """A template plan activity.

    It belongs in a plan when the intervention's type is in ``applies_to`` (empty: every
    type), its owner offers one of ``needs_support`` (empty: no condition) and none of
    ``without_support``.
    """

    role: str = ""
    sic_stage: int | None = None
    applies_to: tuple[str, ...] = ()
    needs_support: tuple[str, ...] = ()
    without_support: tuple[str, ...] = ()
    start_week: int = 0
    duration_weeks: int = 1

    def applies(self, intervention_type: str, support=None) -> bool:
        """Whether the activity belongs in the plan of such an intervention; ``support`` of
        ``None`` leaves the support conditions out."""
        if self.applies_to and intervention_type not in self.applies_to:
            return False
        if support is None:
            return True
        offered = set(support)
        return ((not self.needs_support or bool(offered & set(self.needs_support)))
                and not offered & set(self.without_support))


@dataclass(frozen=True)
class Checklist(Item):
    """Questions to tick; iterating a checklist yields its questions."""

    items: tuple[Question, ...] = field(default=(), repr=False)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]


@dataclass(frozen=True)
class Phase(Item):
    """A phase (NIRN: a stage); ``number`` is the drejebog's phase number where it has one."""

    number: int | None = None


@dataclass(frozen=True)
class CoreElement(Item):
    """A core element (kjerneelement) of implementere.no, with its tools, checklist and plan."""

    phase: str = ""
    tools: tuple[Tool, ...] = field(default=(), repr=False)
    checklist: Checklist = field(default_factory=lambda: Checklist(""), repr=False)
    activities: tuple[Activity, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Stage(Item):
    """An SIC stage; ``phase`` is ``pre``, ``impl`` or ``sustain``."""

    phase: str = ""
    activities: tuple[Item, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Driver(Item):
    """A NIRN implementation driver; ``group`` is competency, organisation or leadership."""

    group: str = ""


def _find(items, key, kind: str):
    for it in items:
        if str(it.id) == str(key):  # str() so 3, "3" match and True does not match 1
            return it
    raise UnknownNameError(kind, key, [str(i.id) for i in items])


@dataclass(frozen=True, repr=False)
class Framework:
    """An implementation framework loaded by :func:`~implementere_kit.plans.frameworks.load_framework`.

    Empty tuples stand for parts a framework does not have (EPIS has no core elements).
    ``checklists`` holds the core-element checklists as ``ke1`` … ``ke9`` and the top-level
    ones (``utvikle_tiltak``, ``implementere_tiltak``).
    """

    id: str
    labels: Mapping[str, str] = field(hash=False)
    source: str
    descriptions: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    phases: tuple[Phase, ...] = ()
    core_elements: tuple[CoreElement, ...] = ()
    stages: tuple[Stage, ...] = ()
    checklists: Mapping[str, Checklist] = field(default_factory=lambda: _EMPTY, hash=False)
    drivers: tuple[Driver, ...] = ()
    driver_groups: tuple[Item, ...] = ()
    domains: tuple[Item, ...] = ()
    roles: tuple[Item, ...] = ()
    file: str = ""

    def __repr__(self) -> str:
        return (f"Framework(id={self.id!r}, phases={len(self.phases)}, "
                f"core_elements={len(self.core_elements)}, stages={len(self.stages)})")

    label = Item.label
    description = Item.description

    @property
    def name(self) -> str:
        """The English label."""
        return self.labels["en"]

    def phase(self, phase_id: str) -> Phase:
        return _find(self.phases, phase_id, "phase")

    def role(self, role_id: str) -> Item:
        return _find(self.roles, role_id, "role")

    def core_element(self, element_id: int | str) -> CoreElement:
        """Core element by number: ``3``, ``"3"`` or ``"ke3"``."""
        key = element_id[2:] if isinstance(element_id, str) and element_id.startswith("ke") else element_id
        return _find(self.core_elements, key, "core element")

    def stage(self, stage_id: int | str) -> Stage:
        return _find(self.stages, stage_id, "stage")

    def core_elements_in(self, phase_id: str) -> list[CoreElement]:
        self.phase(phase_id)  # raises for an unknown phase
        return [c for c in self.core_elements if c.phase == phase_id]

    def phases_frame(self, lang: str = "nb") -> pd.DataFrame:
        """One row per phase: ``phase``, ``order``, ``number``, ``label``, ``description``."""
        rows = [(p.id, i, p.number, p.label(lang), p.description(lang))
                for i, p in enumerate(self.phases, start=1)]
        df = pd.DataFrame(rows, columns=["phase", "order", "number", "label", "description"])
        return df.astype({"number": "Int64"})

    def core_elements_frame(self, lang: str = "nb") -> pd.DataFrame:
        """One row per core element with its phase, label and the size of its parts."""
        rows = [(c.id, c.phase, c.label(lang), c.description(lang), len(c.tools),
                 len(c.checklist), len(c.activities)) for c in self.core_elements]
        return pd.DataFrame(rows, columns=["core_element", "phase", "label", "description",
                                           "n_tools", "n_checklist", "n_activities"])

    def tools_frame(self, lang: str = "nb") -> pd.DataFrame:
        """Every tool: ``core_element``, ``tool``, ``kind``, ``label``, ``url`` (the
        implementere.no page that offers it) and ``verified`` (the page was seen).

        Examples
        --------
        >>> from implementere_kit.plans.frameworks import load_framework
        >>> tools = load_framework("implementere").tools_frame("nb")
        >>> tools.set_index("tool").loc["contract_tips", "url"]
        'https://implementere.no/hva-ma-du-gjore/ii-planlegge/3-velg-og-tilpasse-implementeringsstrategier/'
        """
        rows = [(c.id, t.id, t.kind, t.label(lang), t.url, t.verified)
                for c in self.core_elements for t in c.tools]
        return pd.DataFrame(rows, columns=["core_element", "tool", "kind", "label", "url",
                                           "verified"])

    def stages_frame(self, lang: str = "nb") -> pd.DataFrame:
        """One row per SIC stage: ``stage``, ``phase``, ``label``, ``n_activities``."""
        rows = [(s.id, s.phase, s.label(lang), len(s.activities)) for s in self.stages]
        return pd.DataFrame(rows, columns=["stage", "phase", "label", "n_activities"])

    def stage_activities(self, lang: str = "nb") -> pd.DataFrame:
        """The default SIC activities: ``stage``, ``phase``, ``activity``, ``label``."""
        rows = [(s.id, s.phase, a.id, a.label(lang)) for s in self.stages for a in s.activities]
        return pd.DataFrame(rows, columns=["stage", "phase", "activity", "label"])

    def activity_templates(self, intervention_type: str | None = None,
                           support=None) -> pd.DataFrame:
        """The template plan, one row per activity.

        Parameters
        ----------
        intervention_type : str, optional
            Keep only activities for this type (``evidence-based``, ``ready-made`` or
            ``self-developed``); by default every activity is returned.
        support : sequence of str, optional
            The owner's support (``handbook``, ``training``, …): keep only activities it
            implies. ``None`` leaves the support conditions out.

        Examples
        --------
        >>> from implementere_kit.plans.frameworks import load_framework
        >>> fw = load_framework("implementere")
        >>> ids = set(fw.activity_templates("ready-made", support=["handbook"]).activity_id)
        >>> "ke3_owner_training" in ids, "ke3_local_training" in ids
        (False, True)
        """
        from .intervention_types import INTERVENTION_TYPES, SUPPORT_KINDS

        if intervention_type is not None and intervention_type not in INTERVENTION_TYPES:
            raise UnknownNameError("intervention type", intervention_type, INTERVENTION_TYPES)
        bad = [s for s in (support or ()) if s not in SUPPORT_KINDS]
        if bad:
            raise UnknownNameError("kind of support", bad[0], SUPPORT_KINDS)
        cols = ["activity_id", "phase", "core_element", "sic_stage", "title_nb", "title_da",
                "title_en", "role", "applies_to", "needs_support", "without_support",
                "start_week", "duration_weeks"]
        rows = [(a.id, c.phase, c.id, a.sic_stage, *(a.labels[lg] for lg in LANGS), a.role,
                 a.applies_to, a.needs_support, a.without_support, a.start_week,
                 a.duration_weeks)
                for c in self.core_elements for a in c.activities
                if intervention_type is None or a.applies(intervention_type, support)]
        df = pd.DataFrame(rows, columns=cols)
        return df.astype({"core_element": "int64", "sic_stage": "Int64", "start_week": "int64",
                          "duration_weeks": "int64"})

    def checklist_items(self) -> pd.DataFrame:
        """Every checklist question: ``checklist_id``, ``question_id``, ``label_nb/da/en``
        and ``toc`` (the part of the theory of change the answer belongs to, if any).

        Examples
        --------
        >>> from implementere_kit.plans.frameworks import load_framework
        >>> items = load_framework("implementere").checklist_items()
        >>> items.query("checklist_id == 'utvikle_tiltak'")[["question_id", "toc"]].iloc[-1].tolist()
        ['why_it_works', 'deliverables->results']
        """
        rows = [(cid, q.id, *(q.labels[lg] for lg in LANGS), q.toc)
                for cid, cl in self.checklists.items() for q in cl.items]
        return pd.DataFrame(rows, columns=["checklist_id", "question_id",
                                           *(f"label_{lg}" for lg in LANGS), "toc"])


# -- building from a checked definition ---------------------------------------------------
def _base(e: Mapping) -> dict:
    return {"id": e["id"], "labels": MappingProxyType(labels(e["label"])),
            "descriptions": MappingProxyType(labels(e["description"])) if "description" in e
            else _EMPTY, "source": e.get("source", ""), "verified": e.get("verified", True),
            "note": e.get("note", "")}


def _entries(value) -> list[Mapping]:
    """The mappings of a list that may be malformed (the schema reports the rest)."""
    return [e for e in value if isinstance(e, Mapping)] if isinstance(value, list) else []


def _references(data: Mapping, file: str) -> list:
    """What the schema cannot check: ids unique, and references that resolve. Written to
    run on a definition the schema found faults in too, so one pass reports everything."""
    from .intervention_types import INTERVENTION_TYPES, SUPPORT_KINDS

    out, kw = [], {"file": file, "resource": "framework"}
    phase_ids = [p.get("id") for p in _entries(data.get("phases"))]
    roles = [r.get("id") for r in _entries(data.get("roles"))]
    for key in ("phases", "roles", "core_elements", "stages", "drivers", "domains"):
        out += unique_ids(_entries(data.get(key)), f"{key}.id", **kw)
    ces = _entries(data.get("core_elements"))
    # An activity id is unique in its core element and across them (plans key on it).
    across = [{"id": i} for c in ces for i in {a.get("id") for a in _entries(c.get("activities"))}]
    out += unique_ids(across, "core_elements.activities.id", **kw)
    out += unique_ids([a for s in _entries(data.get("stages"))
                       for a in _entries(s.get("activities"))], "stages.activities.id", **kw)
    for c in ces:
        where = f"core_elements.{c.get('id')}"
        if isinstance(c.get("phase"), str):
            out += unknown_refs(c["phase"], phase_ids, f"{where}.phase", "phase", **kw)
        out += unique_ids(_entries(c.get("tools")), f"{where}.tools.id", **kw)
        out += unique_ids(_entries(c.get("checklist")), f"{where}.checklist.id", **kw)
        out += unique_ids(_entries(c.get("activities")), f"{where}.activities.id", **kw)
        for a in _entries(c.get("activities")):
            at = f"{where}.activities.{a.get('id')}"
            if roles and isinstance(a.get("role"), str):
                out += unknown_refs(a["role"], roles, f"{at}.role", "role", **kw)
            for k, known, what in (("applies_to", INTERVENTION_TYPES, "intervention type"),
                                   ("needs_support", SUPPORT_KINDS, "kind of support"),
                                   ("without_support", SUPPORT_KINDS, "kind of support")):
                if isinstance(a.get(k), list):
                    out += unknown_refs(a[k], known, f"{at}.{k}", what, **kw)
    for s in _entries(data.get("stages")):
        if isinstance(s.get("phase"), str):
            out += unknown_refs(s["phase"], phase_ids, f"stages.{s.get('id')}.phase", "phase",
                                **kw)
    lists = data.get("checklists")
    for name, cl in (lists.items() if isinstance(lists, Mapping) else ()):
        if str(name) in {f"ke{c.get('id')}" for c in ces}:
            out += unknown_refs(name, [], f"checklists.{name}",
                                "checklist name (ke1 … ke9 are the core elements')", **kw)
        if isinstance(cl, Mapping):
            out += unique_ids(_entries(cl.get("items")), f"checklists.{name}.items.id", **kw)
    return out


def _question(e: Mapping) -> Question:
    return Question(**_base(e), toc=e.get("toc", ""))


def build_framework(data, file: str) -> Framework:
    """Check a parsed definition and build the :class:`Framework`, or raise one
    :class:`ValidationError` listing every problem (file, key path, expected, found)."""
    check(data, "framework", file=file, more=lambda d: _references(d, file))
    roles = tuple(Item(**_base(r)) for r in data.get("roles", []))
    phases = tuple(Phase(**_base(p), number=p.get("number")) for p in data["phases"])
    core, checklists = [], {}
    for c in data.get("core_elements", []):
        base = _base(c)
        cl = Checklist(f"ke{c['id']}", base["labels"],
                       items=tuple(_question(q) for q in c["checklist"]))
        checklists[cl.id] = cl
        tools = tuple(Tool(**_base(t), kind=t["kind"], url=t.get("url", ""))
                      for t in c.get("tools", []))
        acts = tuple(Activity(**_base(a), role=a["role"], sic_stage=a.get("sic_stage"),
                              applies_to=tuple(a.get("applies_to", ())),
                              needs_support=tuple(a.get("needs_support", ())),
                              without_support=tuple(a.get("without_support", ())),
                              start_week=a.get("start_week", 0),
                              duration_weeks=a.get("duration_weeks", 1))
                     for a in c["activities"])
        core.append(CoreElement(**base, phase=c["phase"], tools=tools, checklist=cl,
                                activities=acts))
    for name, c in data.get("checklists", {}).items():
        checklists[str(name)] = Checklist(**_base({**c, "id": str(name)}),
                                          items=tuple(_question(q) for q in c["items"]))
    stages = tuple(Stage(**_base(s), phase=s.get("phase", ""),
                         activities=tuple(Item(**_base(a)) for a in s.get("activities", [])))
                   for s in data.get("stages", []))
    groups = tuple(Item(**_base(g)) for g in data.get("drivers", []))
    drivers = tuple(Driver(**_base(d), group=g["id"]) for g in data.get("drivers", [])
                    for d in g.get("drivers", []))
    domains = tuple(Item(**_base(d)) for d in data.get("domains", []))
    return Framework(data["id"], MappingProxyType(labels(data["label"])), data["source"],
                     MappingProxyType(labels(data["description"])) if "description" in data
                     else _EMPTY, phases, tuple(core), stages, MappingProxyType(checklists),
                     drivers, groups, domains, roles, file)
