"""Controlled vocabularies: the only text values that may leave a municipality as they are.

A text column in a package is either a code from a fixed set or a keyed pseudonym (see the
``export`` entries of ``store/schemas/tables.yaml``). The sets come from the toolkit's own
definitions, never from what someone typed:

``activity``
    ids of the implementere.no template activities, and ``req1`` … ``req999`` (the
    intervention owner's requirements added by the plan generator).
``role``, ``checklist``, ``checklist_question``
    the template's roles, checklist ids and question ids.
``sic_activity``
    the activities of the Stages of Implementation Completion.
``instrument``, ``instrument_item``, ``instrument_scale``
    the shipped instruments, their items and their scales.
``component``, ``fidelity_item``
    the component ids of the project's intervention (and the items of the shipped fidelity
    instruments). These are project specific: an arriving package is checked against the
    shape of a code instead — lower-case letters, digits and ``_``, at most four digits.
``period``
    ``YYYY``, ``YYYY-MM`` or ``YYYY-Qn``, or two of them joined by ``:``.

Examples
--------
>>> "ke1_needs" in vocabulary("activity"), "Ring Kari" in vocabulary("activity")
(True, False)
>>> is_code("role_play"), is_code("ola_01017512340"), is_code("Role play")
(True, False, False)
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["VOCABULARIES", "vocabulary", "vocabulary_pattern", "is_code", "project_vocabulary"]

#: Vocabularies whose values depend on the project's own intervention definition.
PROJECT_SPECIFIC = ("component", "fidelity_item")
VOCABULARIES = ("activity", "role", "checklist", "checklist_question", "sic_activity",
                "instrument", "instrument_item", "instrument_scale", "period",
                *PROJECT_SPECIFIC)

_CODE = re.compile(r"[a-z][a-z0-9_]{0,62}")
_YM = r"(?:19|20)\d\d(?:-(?:0[1-9]|1[0-2])|-Q[1-4])?"
#: Values a vocabulary accepts by shape rather than by list (RE2 and Python alike).
_PATTERNS = {"activity": r"^req[1-9]\d{0,2}$", "period": rf"^{_YM}(?::{_YM})?$"}
#: Shape of a project-specific code, checked on arrival: at most four digits, so no
#: identifier fits in one.
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
MAX_CODE_DIGITS = 4


def is_code(value: object) -> bool:
    """Whether ``value`` has the shape of a code (see :data:`CODE_PATTERN`)."""
    return (isinstance(value, str) and _CODE.fullmatch(value) is not None
            and sum(ch.isdigit() for ch in value) <= MAX_CODE_DIGITS)


@cache
def vocabulary(name: str) -> frozenset[str]:
    """The fixed values of a vocabulary (empty for the pattern-only ``period``)."""
    from ..errors import UnknownNameError

    if name not in VOCABULARIES:
        raise UnknownNameError("vocabulary", name, VOCABULARIES)
    if name in ("activity", "role", "checklist", "checklist_question"):
        from ..plans.frameworks import load_framework

        fw = load_framework("implementere")
        if name in ("activity", "role"):
            tpl = fw.activity_templates()
            col = "activity_id" if name == "activity" else "role"
            extra = {"tiltakseier"} if name == "role" else set()  # plan.py's requirement owner
            return frozenset(tpl[col].dropna().astype(str)) | extra
        items = fw.checklist_items()
        return frozenset(items["checklist_id" if name == "checklist" else "question_id"])
    if name == "sic_activity":
        from ..plans.frameworks import load_framework

        return frozenset(a.id for s in load_framework("sic").stages for a in s.activities)
    if name.startswith("instrument") or name == "fidelity_item":
        from ..measures.instruments import list_instruments, load_instrument

        out: set[str] = set()
        for inst in map(load_instrument, list_instruments()):
            if name == "instrument":
                out.add(inst.id)
            elif name == "instrument_scale":
                out |= set(inst.scales)
            elif name == "instrument_item" or "fidelity" in inst.name:
                out |= set(inst.items)
        return frozenset(out)
    return frozenset()  # component, period: by project or by pattern


def vocabulary_pattern(name: str) -> str | None:
    """A regular expression that values of ``name`` may match instead of being listed."""
    return _PATTERNS.get(name)


def project_vocabulary(name: str, intervention=None) -> frozenset[str]:
    """The vocabulary as the exporting project sees it: its intervention's components
    included for ``component`` and ``fidelity_item`` (each of the shape of a code)."""
    fixed = vocabulary(name)
    if name not in PROJECT_SPECIFIC or intervention is None:
        return fixed
    own = {c.id for c in intervention.components if is_code(c.id)}
    return fixed | frozenset(own)
