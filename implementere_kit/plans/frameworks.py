"""Implementation frameworks as data: the implementere.no model, EPIS, NIRN, Socialstyrelsen's
drejebog and the Stages of Implementation Completion (SIC).

Each framework is a YAML file in ``implementere_kit/plans/framework_data/`` with labels in nb/da/en
and a ``source`` on the framework and on the facts that need one; :func:`load_framework` reads
it into small frozen dataclasses. ``framework_data/crosswalk.csv`` maps the phases (SIC: the
stages) of every pair of frameworks, each mapping stored once; :func:`crosswalk` reads it in
either direction. Only implementere ↔ EPIS is stated by a source (implementere.no builds on
EPIS); the other rows are our reading of the phase descriptions, hence mostly ``overlaps``.

Examples
--------
>>> from implementere_kit.plans.frameworks import crosswalk, load_framework
>>> fw = load_framework("implementere")
>>> [p.id for p in fw.phases]
['forberede', 'planlegge', 'implementere', 'viderefore']
>>> fw.core_element(3).label("nb")
'Velge og tilpasse implementeringsstrategier'
>>> crosswalk("implementere", "epis").loc[0, ["id_a", "id_b", "relation"]].tolist()
['forberede', 'exploration', 'equivalent']

References
----------
.. [1] implementere.no, "Hva må du gjøre" (RKBU/RBUP), https://implementere.no/hva-ma-du-gjore/
.. [2] Aarons GA, Hurlburt M, Horwitz SM (2011). Adm Policy Ment Health 38:4–23.
.. [3] Fixsen DL et al. (2005). Implementation Research: A Synthesis of the Literature. FMHI #231.
.. [4] Socialstyrelsen (2022). Drejebog for national udvikling af sociale indsatser, 2. udg.
.. [5] Chamberlain P, Brown CH, Saldana L (2011). Implement Sci 6:116, Table 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from .._data import LANGS, list_data, load_yaml, package_file
from ..errors import ImplementereError, Problem, UnknownNameError, ValidationError, safe_value
from ..i18n import check_lang
from .intervention import INTERVENTION_TYPES

__all__ = [
    "TOOL_KINDS", "RELATIONS", "Item", "Tool", "Activity", "Checklist", "Phase", "CoreElement",
    "Stage", "Driver", "Framework", "list_frameworks", "load_framework", "crosswalk",
    "sic_phase_of_stage",
]

_DATA = "plans/framework_data"
TOOL_KINDS = ("checklist", "template", "video", "text")
RELATIONS = ("equivalent", "overlaps")
_EMPTY: Mapping[str, str] = MappingProxyType({})
_NOHASH = {"repr": False, "hash": False}


# -- items -------------------------------------------------------------------------------
# Frozen, with tuples and read-only mappings: load_framework() is cached, so a caller that
# mutated a returned framework would otherwise change it for everyone else.
@dataclass(frozen=True)
class Item:
    """Anything with an ``id`` and a label in nb/da/en (a checklist question, an SIC activity)."""

    id: Any
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY, **_NOHASH)
    descriptions: Mapping[str, str] = field(default_factory=lambda: _EMPTY, compare=False, **_NOHASH)
    source: str = field(default="", repr=False)

    def label(self, lang: str = "nb") -> str:
        """The label in ``lang`` (``nb``, ``da`` or ``en``)."""
        return self.labels[check_lang(lang)]

    def description(self, lang: str = "nb") -> str:
        """The description in ``lang``, or ``""`` when there is none."""
        return self.descriptions.get(check_lang(lang), "")


@dataclass(frozen=True)
class Tool(Item):
    """A tool offered with a core element; ``kind`` is one of :data:`TOOL_KINDS`."""

    kind: str = "text"


@dataclass(frozen=True)
class Activity(Item):
    """A default plan activity; ``applies_to`` empty means every intervention type."""

    role: str = ""
    sic_stage: int | None = None
    applies_to: tuple[str, ...] = ()
    start_week: int = 0
    duration_weeks: int = 1

    def applies(self, intervention_type: str) -> bool:
        return not self.applies_to or intervention_type in self.applies_to


@dataclass(frozen=True)
class Checklist(Item):
    """Questions to tick; iterating a checklist yields its items."""

    items: tuple[Item, ...] = field(default=(), repr=False)

    def __iter__(self) -> Iterator[Item]:
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
    """An implementation framework loaded by :func:`load_framework`.

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

    def stages_frame(self, lang: str = "nb") -> pd.DataFrame:
        """One row per SIC stage: ``stage``, ``phase``, ``label``, ``n_activities``."""
        rows = [(s.id, s.phase, s.label(lang), len(s.activities)) for s in self.stages]
        return pd.DataFrame(rows, columns=["stage", "phase", "label", "n_activities"])

    def stage_activities(self, lang: str = "nb") -> pd.DataFrame:
        """The default SIC activities: ``stage``, ``phase``, ``activity``, ``label``."""
        rows = [(s.id, s.phase, a.id, a.label(lang)) for s in self.stages for a in s.activities]
        return pd.DataFrame(rows, columns=["stage", "phase", "activity", "label"])

    def activity_templates(self, intervention_type: str | None = None) -> pd.DataFrame:
        """The default plan, one row per template activity.

        Parameters
        ----------
        intervention_type : str, optional
            Keep only activities for this type (``evidence-based``, ``ready-made`` or
            ``self-developed``); by default every activity is returned.

        Examples
        --------
        >>> fw = load_framework("implementere")
        >>> own = fw.activity_templates("self-developed")
        >>> "ke1_develop" in set(own.activity_id), "ke3_contract" in set(own.activity_id)
        (True, False)
        """
        if intervention_type is not None and intervention_type not in INTERVENTION_TYPES:
            raise UnknownNameError("intervention type", intervention_type, INTERVENTION_TYPES)
        cols = ["activity_id", "phase", "core_element", "sic_stage", "title_nb", "title_da",
                "title_en", "role", "applies_to", "start_week", "duration_weeks"]
        rows = [(a.id, c.phase, c.id, a.sic_stage, *(a.labels[lg] for lg in LANGS), a.role,
                 a.applies_to, a.start_week, a.duration_weeks)
                for c in self.core_elements for a in c.activities
                if intervention_type is None or a.applies(intervention_type)]
        df = pd.DataFrame(rows, columns=cols)
        return df.astype({"core_element": "int64", "sic_stage": "Int64", "start_week": "int64",
                          "duration_weeks": "int64"})

    def checklist_items(self) -> pd.DataFrame:
        """Every checklist question: ``checklist_id``, ``question_id``, ``label_nb/da/en``.

        Examples
        --------
        >>> items = load_framework("implementere").checklist_items()
        >>> items.query("checklist_id == 'utvikle_tiltak'").question_id.iloc[-1]
        'why_it_works'
        """
        rows = [(cid, q.id, *(q.labels[lg] for lg in LANGS))
                for cid, cl in self.checklists.items() for q in cl.items]
        return pd.DataFrame(rows, columns=["checklist_id", "question_id",
                                           *(f"label_{lg}" for lg in LANGS)])


# -- public loaders ---------------------------------------------------------------------
def list_frameworks() -> list[str]:
    """Names of the frameworks shipped with the package."""
    return list_data(_DATA)


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> Framework:
    from ._framework_reader import parse_framework  # imports this module's dataclasses

    return parse_framework(load_yaml(path), path)


def load_framework(name: str | Path) -> Framework:
    """Load a shipped framework by name, or a user's definition from a ``.yaml`` path.

    Raises :class:`~implementere_kit.errors.UnknownNameError` for an unknown name and
    :class:`~implementere_kit.errors.ValidationError` naming the file and every bad key for a
    malformed definition.

    Examples
    --------
    >>> load_framework("sic").stage(3).label("en")
    'Readiness Planning'
    >>> load_framework("nope")
    Traceback (most recent call last):
    ...
    implementere_kit.errors.UnknownNameError: unknown framework 'nope'; known: epis, implementere, nirn, sic, socialstyrelsen
    """
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise UnknownNameError("framework file", str(path), list_frameworks())
    elif name not in list_frameworks():
        raise UnknownNameError("framework", name, list_frameworks())
    else:
        path = package_file(_DATA, f"{name}.yaml")
    return _load(str(path), path.stat().st_mtime)


def _units(fw: Framework) -> tuple[Item, ...]:
    """What the crosswalk maps: SIC's stages, every other framework's phases."""
    return fw.stages or fw.phases


_CW_COLUMNS = ["framework_a", "id_a", "framework_b", "id_b", "relation"]


def _read_crosswalk(path: str | Path) -> pd.DataFrame:
    """Read and check a crosswalk CSV: known ids, known relations, each mapping stored once."""
    file = str(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _CW_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError([Problem("missing column", file=file, resource="crosswalk", column=c)
                               for c in missing])
    known, problems, seen, orientation = list_frameworks(), [], set(), {}

    def bad(row, column, message, expected=None, found=None):
        problems.append(Problem(message, file=file, resource="crosswalk", row=row, column=column,
                                expected=expected, found=None if found is None else safe_value(found)))

    for row, (fa, ia, fb, ib, rel) in enumerate(df[_CW_COLUMNS].itertuples(index=False), start=1):
        for col, fw, uid in (("a", fa, ia), ("b", fb, ib)):
            if fw not in known:
                bad(row, f"framework_{col}", "unknown framework", ", ".join(known), fw)
                continue
            ids = [str(u.id) for u in _units(load_framework(fw))]
            if uid not in ids:
                bad(row, f"id_{col}", f"unknown phase or stage of {fw}", ", ".join(ids), uid)
        if rel not in RELATIONS:
            bad(row, "relation", "unknown relation", " or ".join(RELATIONS), rel)
        if fa == fb:
            bad(row, "framework_b", "maps a framework to itself", f"a framework other than {fa}")
        pair = frozenset((fa, fb))
        if orientation.setdefault(pair, (fa, fb)) != (fa, fb):
            bad(row, "framework_a", "pair stored in both directions", f"{orientation[pair][0]} first")
        if (fa, ia, fb, ib) in seen or (fb, ib, fa, ia) in seen:
            bad(row, "id_a", "mapping stored twice", "each mapping once")
        seen.add((fa, ia, fb, ib))
    if problems:
        raise ValidationError(problems)
    return df


@lru_cache(maxsize=1)
def _crosswalk_table() -> pd.DataFrame:
    return _read_crosswalk(package_file(_DATA, "crosswalk.csv"))


def crosswalk(a: str, b: str, *, lang: str = "en") -> pd.DataFrame:
    """Map the phases (SIC: stages) of framework ``a`` onto those of framework ``b``.

    Works in both directions whichever way the mapping is stored. ``relation`` is
    ``equivalent`` or ``overlaps`` (partly the same work). Rows follow ``a``'s order.

    Examples
    --------
    >>> cw = crosswalk("sic", "implementere")
    >>> cw.query("id_a == 8")[["label_a", "id_b"]].values.tolist()
    [['Competency (certification)', 'viderefore']]
    """
    check_lang(lang)
    known = list_frameworks()
    for name in (a, b):
        if name not in known:
            raise UnknownNameError("framework", name, known)
    ua = {str(u.id): u for u in _units(load_framework(a))}
    ub = {str(u.id): u for u in _units(load_framework(b))}
    if a == b:
        pairs = [(k, k, "equivalent") for k in ua]
    else:
        t = _crosswalk_table()
        fwd = t[(t.framework_a == a) & (t.framework_b == b)]
        back = t[(t.framework_a == b) & (t.framework_b == a)]
        pairs = [*zip(fwd.id_a, fwd.id_b, fwd.relation, strict=True),
                 *zip(back.id_b, back.id_a, back.relation, strict=True)]
    if not pairs:
        raise ImplementereError(f"no crosswalk between {a!r} and {b!r} in crosswalk.csv")
    oa, ob = {k: n for n, k in enumerate(ua)}, {k: n for n, k in enumerate(ub)}
    pairs.sort(key=lambda p: (oa[p[0]], ob[p[1]]))
    rows = [(ua[x].id, ua[x].label(lang), ub[y].id, ub[y].label(lang), rel) for x, y, rel in pairs]
    return pd.DataFrame(rows, columns=["id_a", "label_a", "id_b", "label_b", "relation"])


def sic_phase_of_stage(stage: int) -> str:
    """SIC phase (``pre``, ``impl`` or ``sustain``) of a stage 1–8.

    Examples
    --------
    >>> [sic_phase_of_stage(s) for s in (3, 4, 8)]
    ['pre', 'impl', 'sustain']
    """
    return load_framework("sic").stage(stage).phase
