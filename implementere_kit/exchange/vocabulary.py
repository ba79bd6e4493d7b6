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
``outcome_instrument``, ``outcome_scale``
    the shipped family outcome instruments and their scales.
``period``
    ``YYYY``, ``YYYY-MM`` or ``YYYY-Qn``, or two of them joined by ``:``; or ``all`` (the
    whole period, in aggregate and share-back packages).
``record``
    nothing: the ids of a project's own records (barriers, adaptations, costs) always leave
    as keyed pseudonyms ``x_…``.
``intervention``, ``municipality``
    the shipped interventions' ids; the official municipality names of
    ``store/municipalities.csv`` (share-back packages name the site they are for).
``measure``, ``sum``, ``reason``
    the ids of the measures catalogue and of its sums, and every reason a figure can be
    empty for (suppression rules and "no data" texts of the catalogue).

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
                "instrument", "instrument_item", "instrument_scale", "outcome_instrument",
                "outcome_scale", "period", "record", "intervention", "municipality",
                "measure", "sum", "reason", *PROJECT_SPECIFIC)

_CODE = re.compile(r"[a-z][a-z0-9_]{0,62}")
_YM = r"(?:19|20)\d\d(?:-(?:0[1-9]|1[0-2])|-Q[1-4])?"
#: Values a vocabulary accepts by shape rather than by list (RE2 and Python alike).
_PATTERNS = {"activity": r"^req[1-9]\d{0,2}$", "period": rf"^(?:all|{_YM}(?::{_YM})?)$"}
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
    if name.startswith("outcome_"):
        from ..measures.family_outcomes import list_outcome_instruments, load_outcome_instrument

        found = list(map(load_outcome_instrument, list_outcome_instruments()))
        return frozenset(i.id for i in found) if name == "outcome_instrument" else frozenset(
            s for i in found for s in i.scales)
    if name in ("intervention", "municipality", "measure", "sum", "reason"):
        return _named(name)
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
    return frozenset()  # component, period, record: by project, by pattern or never


def _named(name: str) -> frozenset[str]:
    """The vocabularies defined by the toolkit's lists of interventions, municipalities
    and measures."""
    if name == "intervention":
        from ..plans.intervention import list_interventions

        return frozenset(list_interventions())
    if name == "municipality":
        from ..store.municipalities import municipalities

        return frozenset(municipalities()["name"])
    from ..measures import catalogue

    if name == "measure":
        return frozenset(catalogue.measure_ids())
    if name == "sum":
        return frozenset(catalogue.sums())
    from ..measures.engine import no_data_reasons
    from .aggregate import REASONS
    from .indicators import NETWORK_REASONS

    return frozenset({*REASONS, *NETWORK_REASONS, "suppressed"}) | frozenset(
        r for m in catalogue.measures().values() for r in no_data_reasons(m).values())


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
