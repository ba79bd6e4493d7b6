"""Reading and validating framework definitions (YAML) for :mod:`implementere_kit.plans.frameworks`.

Kept apart from the public module so each stays short. Every problem in a definition is
collected (file, key path, expected, found) and raised together as one
:class:`~implementere_kit.errors.ValidationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .._data import LANGS
from ..errors import Problem, ValidationError, safe_value
from .frameworks import (
    _EMPTY,
    TOOL_KINDS,
    Activity,
    Checklist,
    CoreElement,
    Driver,
    Framework,
    Item,
    Phase,
    Stage,
    Tool,
)
from .intervention import INTERVENTION_TYPES

__all__ = ["parse_framework"]


class _Reader:
    """Walks a YAML definition and records every problem instead of stopping at the first."""

    def __init__(self, file: str):
        self.file, self.problems = file, []

    def bad(self, key: str, message: str, expected: str | None = None, found: object = None):
        self.problems.append(Problem(message, file=self.file, resource="framework", column=key,
                                     expected=expected,
                                     found=None if found is None else safe_value(found)))

    def mapping(self, obj, key: str, required=(), optional=()) -> dict:
        if not isinstance(obj, dict):
            self.bad(key or "(top level)", "not a mapping", "key: value pairs", type(obj).__name__)
            return {}
        allowed = (*required, *optional)
        for k in required:
            if k not in obj:
                self.bad(_k(key, k), "missing key")
        for k in obj:
            if k not in allowed:
                self.bad(_k(key, k), "unknown key", ", ".join(allowed))
        return obj

    def seq(self, obj, key: str) -> list:
        if obj is None or isinstance(obj, list):
            return obj or []
        self.bad(key, "not a list", "a list", type(obj).__name__)
        return []

    def labels(self, raw, key: str) -> Mapping[str, str]:
        if raw is None:
            return _EMPTY
        if isinstance(raw, str) and raw.strip():
            return MappingProxyType(dict.fromkeys(LANGS, raw))
        if not isinstance(raw, dict):
            self.bad(key, "not a text", "a text or a mapping nb/da/en → text", type(raw).__name__)
            return _EMPTY
        missing = [lg for lg in LANGS if not (isinstance(raw.get(lg), str) and raw[lg].strip())]
        if missing:
            self.bad(key, f"lacks languages {missing}", "nb, da and en")
        extra = sorted(str(k) for k in raw if k not in LANGS)
        if extra:
            self.bad(key, "unknown language", "nb, da, en", extra)
        return MappingProxyType({lg: str(raw.get(lg) or "") for lg in LANGS})

    def integer(self, value, key: str, lo: int | None = None, hi: int | None = None):
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f" from {lo}" if lo is not None else ""
            self.bad(key, "bad number", f"a whole number{span}{f' to {hi}' if hi else ''}", value)
            return None
        return value

    def text(self, value, key: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.bad(key, "empty or not a text", "a text", value)
            return ""
        return value

    def entries(self, raw, key: str, optional=(), int_ids: bool = False):
        """``(entry, id, path)`` for each element of a list of ``{id, label, …}`` entries."""
        out = []
        for i, e in enumerate(self.seq(raw, key), start=1):
            raw_id = e.get("id") if isinstance(e, dict) else None
            path = f"{key}.{raw_id}" if isinstance(raw_id, str | int) else f"{key}[{i}]"
            e = self.mapping(e, path, ("id", "label"), ("description", "source", *optional))
            if "id" not in e:
                continue
            eid = self.integer(raw_id, f"{path}.id", 1) if int_ids else self.text(raw_id, f"{path}.id")
            if eid not in (None, ""):
                out.append((e, eid, path))
        ids = [eid for _, eid, _ in out]
        dup = sorted({str(i) for i in ids if ids.count(i) > 1})
        if dup:
            self.bad(f"{key}.id", "duplicate id", "unique ids", dup)
        return out

    def base(self, e: dict, eid, path: str) -> dict:
        return {"id": eid, "labels": self.labels(e.get("label"), f"{path}.label"),
                "descriptions": self.labels(e.get("description"), f"{path}.description"),
                "source": self.text(e.get("source"), f"{path}.source")}


def _k(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def parse_framework(data: object, file: str) -> Framework:
    """Build a :class:`Framework` from parsed YAML, or raise listing every problem."""
    r = _Reader(file)
    top = r.mapping(data, "", ("id", "label", "source", "phases"),
                    ("description", "roles", "core_elements", "stages", "checklists", "drivers",
                     "domains"))
    if "phases" in top and not top["phases"]:
        r.bad("phases", "no phases", "at least one phase")
    phases = tuple(Phase(**r.base(e, i, p), number=r.integer(e["number"], f"{p}.number", 0)
                         if "number" in e else None)
                   for e, i, p in r.entries(top.get("phases"), "phases", ("number",)))
    phase_ids = [p.id for p in phases]
    roles = tuple(Item(**r.base(e, i, p)) for e, i, p in r.entries(top.get("roles"), "roles"))
    role_ids = [x.id for x in roles]

    def in_phases(e: dict, path: str) -> str:
        if "phase" in e and e["phase"] not in phase_ids:
            r.bad(f"{path}.phase", "unknown phase", ", ".join(map(str, phase_ids)), e["phase"])
        return e.get("phase", "")

    def activity(e: dict, i: str, p: str) -> Activity:
        if role_ids and e.get("role") not in role_ids:
            r.bad(f"{p}.role", "unknown role", ", ".join(role_ids), e.get("role"))
        applies = r.seq(e.get("applies_to"), f"{p}.applies_to")
        if any(t not in INTERVENTION_TYPES for t in applies):
            r.bad(f"{p}.applies_to", "unknown intervention type", ", ".join(INTERVENTION_TYPES),
                  applies)
        stage = e.get("sic_stage")
        return Activity(**r.base(e, i, p), role=str(e.get("role") or ""),
                        sic_stage=None if stage is None else r.integer(stage, f"{p}.sic_stage", 1, 8),
                        applies_to=tuple(applies),
                        start_week=r.integer(e.get("start_week"), f"{p}.start_week", 0) or 0,
                        duration_weeks=r.integer(e.get("duration_weeks"), f"{p}.duration_weeks", 1) or 1)

    core, checklists, all_acts = [], {}, []
    for e, i, p in r.entries(top.get("core_elements"), "core_elements",
                             ("phase", "tools", "checklist", "activities"), int_ids=True):
        for k in ("phase", "checklist", "activities"):
            if k not in e:
                r.bad(f"{p}.{k}", "missing key")
        tools = []
        for te, ti, tp in r.entries(e.get("tools"), f"{p}.tools", ("kind",)):
            if te.get("kind") not in TOOL_KINDS:
                r.bad(f"{tp}.kind", "unknown tool kind", ", ".join(TOOL_KINDS), te.get("kind"))
            tools.append(Tool(**r.base(te, ti, tp), kind=str(te.get("kind"))))
        acts = [activity(*x) for x in r.entries(
            e.get("activities"), f"{p}.activities",
            ("role", "sic_stage", "applies_to", "start_week", "duration_weeks"))]
        all_acts += [a.id for a in acts]
        items = tuple(Item(**r.base(*x)) for x in r.entries(e.get("checklist"), f"{p}.checklist"))
        base = r.base(e, i, p)
        checklists[f"ke{i}"] = Checklist(f"ke{i}", base["labels"], items=items)
        core.append(CoreElement(**base, phase=in_phases(e, p), tools=tuple(tools),
                                checklist=checklists[f"ke{i}"], activities=tuple(acts)))
    dup = sorted({a for a in all_acts if all_acts.count(a) > 1})
    if dup:
        r.bad("core_elements.activities.id", "duplicate activity id", "unique ids", dup)

    raw_lists = top.get("checklists") or {}
    for name, c in (raw_lists.items() if isinstance(raw_lists, dict) else []):
        path = f"checklists.{name}"
        if name in checklists:
            r.bad(path, "name taken by a core-element checklist", "a name other than ke1 … ke9")
        c = r.mapping(c, path, ("label", "items"), ("source", "description"))
        items = tuple(Item(**r.base(*x)) for x in r.entries(c.get("items"), f"{path}.items"))
        checklists[str(name)] = Checklist(**r.base(c, str(name), path), items=items)
    if not isinstance(raw_lists, dict):
        r.bad("checklists", "not a mapping", "name: {label, items}", type(raw_lists).__name__)

    stages, stage_acts = [], []
    for e, i, p in r.entries(top.get("stages"), "stages", ("phase", "activities"), int_ids=True):
        acts = tuple(Item(**r.base(*x)) for x in r.entries(e.get("activities"), f"{p}.activities"))
        stage_acts += [a.id for a in acts]
        stages.append(Stage(**r.base(e, i, p), phase=in_phases(e, p), activities=acts))
    dup = sorted({a for a in stage_acts if stage_acts.count(a) > 1})
    if dup:
        r.bad("stages.activities.id", "duplicate activity id", "unique ids", dup)

    groups, drivers = [], []
    for e, i, p in r.entries(top.get("drivers"), "drivers", ("drivers",)):
        groups.append(Item(**r.base(e, i, p)))
        drivers += [Driver(**r.base(*x), group=i) for x in r.entries(e.get("drivers"), f"{p}.drivers")]
    domains = tuple(Item(**r.base(*x)) for x in r.entries(top.get("domains"), "domains"))

    fid = r.text(top.get("id"), "id")
    labels = r.labels(top.get("label"), "label")
    source = r.text(top.get("source"), "source")
    if r.problems:
        raise ValidationError(r.problems)
    return Framework(fid, labels, source, r.labels(top.get("description"), "description"),
                     phases, tuple(core), tuple(stages), MappingProxyType(checklists),
                     tuple(drivers), tuple(groups), domains, roles, file)
