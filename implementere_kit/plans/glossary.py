"""One term per concept in nb, da and en (``plans/glossary.yaml``).

The terms follow implementere.no (nb) and Socialstyrelsen (da) where their published texts
show them; where no published use was found the choice is ours and marked unverified.
:func:`avoided_terms` finds the variants a label should not use, so a test can read every
label we ship; ``docs/glossary.md`` is :func:`glossary_markdown`'s output.

Examples
--------
>>> term("intervention_owner", "nb"), term("fidelity", "da"), term("site", "en")
('tiltakseier', 'fidelitet', 'municipality/organisation')
>>> avoided_terms("Sjekkliste for programtroskap", "nb")
['programtroskap']
"""

from __future__ import annotations

import re
from functools import lru_cache

from .._data import LANGS, load_yaml, package_file
from ..errors import UnknownNameError

__all__ = ["glossary", "term", "avoided_terms", "glossary_markdown"]


@lru_cache(maxsize=1)
def _data() -> dict:
    from .._definitions import check, unique_ids, unknown_refs

    path = package_file("plans", "glossary.yaml")
    data, file = load_yaml(path), str(path)

    def more(d) -> list:
        concepts = [c for c in d.get("concepts") or [] if isinstance(c, dict)]
        found = unique_ids(concepts, "concepts.id", file=file)
        for c in concepts:
            found += unknown_refs(c.get("source", []), list(d.get("sources") or {}),
                                  f"concepts.{c.get('id')}.source", "source", file=file)
        return found

    check(data, "glossary", file=file, more=more)
    return data


def glossary():
    """One row per concept: ``concept``, ``nb``, ``da``, ``en``, ``verified``, ``sources``
    and ``note``."""
    import pandas as pd

    d = _data()
    rows = [(c["id"], *(c[lg]["term"] for lg in LANGS), c.get("verified", True),
             "; ".join(d["sources"][s] for s in c.get("source", [])), c.get("note", "").strip())
            for c in d["concepts"]]
    return pd.DataFrame(rows, columns=["concept", *LANGS, "verified", "sources", "note"])


def term(concept: str, lang: str) -> str:
    """The chosen term for ``concept`` in ``lang``."""
    from ..i18n import check_lang

    check_lang(lang)
    for c in _data()["concepts"]:
        if c["id"] == concept:
            return c[lang]["term"]
    raise UnknownNameError("concept", concept, [c["id"] for c in _data()["concepts"]])


@lru_cache(maxsize=3)
def _avoid_pattern(lang: str):
    words = sorted({w for c in _data()["concepts"] for w in c[lang].get("avoid", [])},
                   key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)", re.IGNORECASE)


def avoided_terms(text: str, lang: str) -> list[str]:
    """The variants in ``text`` that the glossary replaces by its term in ``lang``."""
    pattern = _avoid_pattern(lang)
    return [m.group(1) for m in pattern.finditer(text)] if pattern else []


def glossary_markdown() -> str:
    """The glossary as the Markdown page ``docs/glossary.md``."""
    d = _data()
    out = ["# Glossary: one term per concept (nb, da, en)", "",
           "Written from `implementere_kit/plans/glossary.yaml` by",
           "`implementere_kit.plans.glossary.glossary_markdown()`; a test keeps this page and the",
           "data equal, and another reads every label the toolkit ships for the words in the",
           "*avoid* column. *Unverified* marks a term we chose because no published use was found.",
           "", "| concept | nb | da | en | avoid | verified |", "|---|---|---|---|---|---|"]
    for c in d["concepts"]:
        avoid = "; ".join(f"{lg}: {', '.join(c[lg]['avoid'])}" for lg in LANGS
                          if c[lg].get("avoid"))
        out.append(f"| {c['id'].replace('_', ' ')} | {c['nb']['term']} | {c['da']['term']} | "
                   f"{c['en']['term']} | {avoid} | {'yes' if c.get('verified', True) else 'no'} |")
    out += ["", "In code:", "", "```python",
            "from implementere_kit.plans.glossary import avoided_terms, term",
            "",
            'print(term("intervention_owner", "da"))',
            'print(avoided_terms("Sjekkliste for troskap", "nb"))',
            "```", "", "prints", "", "```text", "metodeejer", "['troskap']", "```"]
    out += ["", "## Notes and sources", ""]
    for c in d["concepts"]:
        refs = "; ".join(d["sources"][s] for s in c.get("source", []))
        note = " ".join(c.get("note", "").split())
        if note or refs:
            out.append(f"- **{c['id'].replace('_', ' ')}**: " + " ".join(
                x for x in (note, f"Sources: {refs}." if refs else "") if x))
    return "\n".join(out) + "\n"
