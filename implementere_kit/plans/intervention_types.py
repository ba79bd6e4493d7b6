"""The three types of intervention and the kinds of support an intervention owner offers.

implementere.no sets three types side by side — evidence-based, ready-made without evidence
and self-developed — each with its advantage and what it means for the implementation, and
lists what an owner (tiltakseier) may offer: most often a handbook and training, with more
support also a written description of the implementation process, guidance during it,
supervision, certification, skills and refresher training, and sometimes a contract. That
table and list are data (``plans/intervention_types.yaml``); this module reads them for the
start screen, the plan template and the teaching notebooks.

Examples
--------
>>> from implementere_kit.plans.intervention_types import intervention_types, support_kinds
>>> intervention_types("en").loc[0, ["type", "label", "advantage"]].tolist()
['evidence-based', 'Evidence-based', 'There is documented evidence that it works.']
>>> support_kinds("da").set_index("support").loc["contract", "label"]
'Kontrakt'
>>> typical_support("ready-made")
('handbook', 'training')

References
----------
implementere.no, "Utvikle tiltak selv eller implementere noe andre har utviklet?"
https://implementere.no/hva-ma-du-vite/utvikle-tiltak-selv-eller-implementere-noe-andre-har-utviklet/
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

from .._data import load_yaml, package_file
from ..errors import UnknownNameError

__all__ = ["INTERVENTION_TYPES", "SUPPORT_KINDS", "intervention_types", "support_kinds",
           "typical_support", "types_source"]


@lru_cache(maxsize=1)
def _data() -> MappingProxyType:
    from .._definitions import check, unique_ids, unknown_refs

    path = package_file("plans", "intervention_types.yaml")
    data, file = load_yaml(path), str(path)

    def more(d) -> list:
        types, kinds = d.get("types") or [], d.get("support_kinds") or []
        found = unique_ids(types, "types.id", file=file)
        found += unique_ids(kinds, "support_kinds.id", file=file)
        for e in types:
            if isinstance(e, dict) and isinstance(e.get("typical_support"), list):
                found += unknown_refs(e["typical_support"], [k.get("id") for k in kinds],
                                      f"types.{e.get('id')}.typical_support",
                                      "kind of support", file=file)
        return found

    check(data, "intervention_types", file=file, more=more)
    return MappingProxyType(data)


def _ids(key: str) -> tuple[str, ...]:
    # The ids alone, read without the schema check (a test checks the file), so that the
    # vocabularies exist at import time without loading jsonschema.
    raw = load_yaml(package_file("plans", "intervention_types.yaml"))
    return tuple(str(e["id"]) for e in raw[key])


#: The three intervention types, in the page's order.
INTERVENTION_TYPES = _ids("types")
#: The kinds of support an owner may offer, in the page's order.
SUPPORT_KINDS = _ids("support_kinds")


def types_source() -> str:
    """The page the types and the support kinds come from."""
    return _data()["source"]


def intervention_types(lang: str = "nb"):
    """The three intervention types: ``type``, ``label``, ``advantage``, ``support``,
    ``plan`` (what the type means for the implementation plan) and ``typical_support``."""
    import pandas as pd

    from ..i18n import check_lang, t

    check_lang(lang)
    rows = [(e["id"], t(f"ui_type_{e['id']}", lang), e["advantage"][lang], e["support"][lang],
             e["plan"][lang], tuple(e["typical_support"])) for e in _data()["types"]]
    return pd.DataFrame(rows, columns=["type", "label", "advantage", "support", "plan",
                                       "typical_support"])


def support_kinds(lang: str = "nb"):
    """The kinds of owner support: ``support``, ``label`` and ``description``."""
    import pandas as pd

    from ..i18n import check_lang, t

    check_lang(lang)
    rows = [(e["id"], t(f"ui_support_{e['id']}", lang), e["description"][lang])
            for e in _data()["support_kinds"]]
    return pd.DataFrame(rows, columns=["support", "label", "description"])


def typical_support(intervention_type: str) -> tuple[str, ...]:
    """The support assumed when a plan is made from a type alone (our reading of the page)."""
    for e in _data()["types"]:
        if e["id"] == intervention_type:
            return tuple(e["typical_support"])
    raise UnknownNameError("intervention type", intervention_type,
                           [e["id"] for e in _data()["types"]])
