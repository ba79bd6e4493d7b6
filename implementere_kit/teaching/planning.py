"""Interventions and theories of change in the lessons.

- :func:`intervention_overview` lists the shipped interventions with their type and the
  support their owner offers;
- :func:`measure_catalogue` lists measures that can be put on the arrows of a theory of
  change, and :func:`toc_table` lays out a learner's theory of change arrow by arrow:
  from which box, to which box, the critical assumption and the measure that shows
  whether the step happened.

References
----------
implementere.no, "Utvikle tiltak selv eller implementere noe andre har utviklet?"
(intervention types, owners and their support).
Socialstyrelsen (DK), forandringsteori: resources → activities → deliverables → results →
long-term effects, with a critical assumption on each arrow.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .data import content

__all__ = ["intervention_overview", "measure_catalogue", "toc_table"]


def intervention_overview(*, lang: str = "en") -> pd.DataFrame:
    """The shipped interventions: ``id``, ``name`` (in ``lang``), ``type`` (the id an
    exercise asks for) and ``type_label``, ``support`` (what the owner offers, in ``lang``),
    ``core`` and ``flexible`` (number of components).

    Examples
    --------
    >>> intervention_overview(lang="da").query("id == 'keep'")[["id", "type", "type_label"]]
         id            type      type_label
    2  keep  evidence-based  Evidensbaseret
    """
    from ..plans.intervention import list_interventions, load_intervention
    from ..plans.intervention_types import intervention_types, support_kinds

    types = dict(intervention_types(lang)[["type", "label"]].itertuples(index=False))
    kinds = dict(support_kinds(lang)[["support", "label"]].itertuples(index=False))
    rows = []
    for iid in list_interventions():
        iv = load_intervention(iid)
        rows.append((iid, iv.label(lang), iv.type, types[iv.type],
                     ", ".join(kinds[s] for s in iv.support),
                     len(iv.core_components()), len(iv.flexible_components())))
    return pd.DataFrame(rows, columns=["id", "name", "type", "type_label", "support", "core",
                                       "flexible"])


def measure_catalogue(*, lang: str = "en") -> pd.DataFrame:
    """Measures for the arrows of a theory of change: ``measure`` (the id to use),
    ``label`` in ``lang``, ``arrows`` (where it fits) and ``toolkit`` (what computes it
    here; empty when the data come from elsewhere).

    Examples
    --------
    >>> cat = measure_catalogue()
    >>> cat.set_index("measure").loc["adherence", "arrows"]
    'activities->deliverables'
    """
    rows = [(mid, m[lang], ", ".join(m["arrows"]), m["toolkit"])
            for mid, m in content("toc_measures").items()]
    return pd.DataFrame(rows, columns=["measure", "label", "arrows", "toolkit"])


def toc_table(boxes: Mapping, assumptions: Mapping, measures: Mapping | None = None, *,
              lang: str = "en") -> pd.DataFrame:
    """A theory of change arrow by arrow, as far as it is filled in.

    Parameters
    ----------
    boxes : mapping
        ``{level: [texts]}`` for resources, activities, deliverables, results and
        long_term_effects; ``...`` where not written yet.
    assumptions : mapping
        ``{"resources->activities": text, …}``: the critical assumption on each arrow.
    measures : mapping, optional
        ``{arrow: measure id}`` from :func:`measure_catalogue`.
    lang : {"nb", "da", "en"}

    Returns
    -------
    DataFrame
        One row per arrow: ``arrow``, ``from``, ``to``, ``assumption``, ``measure``.

    Examples
    --------
    >>> t = toc_table({"resources": ["2 leaders"], "activities": ...},
    ...               {"resources->activities": "time set aside"},
    ...               {"resources->activities": "adoption"})
    >>> t.loc[0, ["from", "to", "measure"]].tolist()
    ['2 leaders', '', 'Adoption – trained practitioners who have actually delivered']
    """
    from ..plans.intervention import TheoryOfChange

    def text(value) -> str:
        if value is None or value is Ellipsis:
            return ""
        if isinstance(value, list | tuple):
            return "; ".join(str(v) for v in value if v is not Ellipsis and v is not None)
        return str(value)

    catalogue = content("toc_measures")
    measures = measures or {}
    rows = []
    for src, dst in TheoryOfChange().links()[["source", "target"]].itertuples(index=False):
        arrow = f"{src}->{dst}"
        mid = measures.get(arrow)
        label = catalogue[mid][lang] if isinstance(mid, str) and mid in catalogue else text(mid)
        rows.append((arrow, text(boxes.get(src)), text(boxes.get(dst)),
                     text(assumptions.get(arrow)), label))
    return pd.DataFrame(rows, columns=["arrow", "from", "to", "assumption", "measure"])
