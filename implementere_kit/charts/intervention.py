"""Charts of the intervention: its theory of change and the adaptations made to it.

References
----------
Socialstyrelsen (DK). Forandringsteori: koncept og begreber — a cause-and-effect chain from
resources and activities through deliverables and results to long-term effects, with the
critical assumptions about the arrows between the boxes followed up.
https://socialstyrelsen.dk/projekter-og-initiativer/voksne/udbredelses-og-forankringsprojektet-1/copy_of_udbredelse-af-hjemlosestrategien/om-projektet/forandringsteori

Stirman SW, Miller CJ, Toder K, Calloway A (2013). Development of a framework and coding
system for modifications and adaptations of evidence-based interventions. Implementation
Science 8:65 (why adaptations of core components deserve a closer look).
https://doi.org/10.1186/1748-5908-8-65
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pandas as pd

from ..errors import Problem, ValidationError
from ..plans.intervention import TOC_LEVELS, TheoryOfChange
from ..store.tables import row_problems
from ._base import (
    HIGHLIGHT,
    OKABE_ITO,
    PALETTE,
    column_label,
    date_axis,
    date_numbers,
    dates,
    label,
    localised_ticks,
    new_axes,
    raise_if,
    require,
)

__all__ = ["theory_of_change_chart", "adaptations_chart"]


def theory_of_change_chart(toc, ax=None, lang: str = "nb", wrap: int = 26, **kwargs):
    """Draw a theory of change: a column of boxes per level, arrows between the levels.

    The critical assumption of each link is written under its arrow, in a band below
    the boxes. An arrow is drawn only between two levels that both have boxes.

    Parameters
    ----------
    toc : TheoryOfChange
        Anything with ``elements()`` (``level``, ``order``, ``text``) and ``links()``
        (``source``, ``target``, ``assumption``), e.g. ``intervention.theory_of_change``;
        a :class:`TheoryOfChange` is drawn in ``lang``.
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
        Language of the headings, and of the boxes and assumptions that are translated
        (a text typed in one language is drawn as written).
    wrap : int
        Characters per line in the boxes.
    **kwargs
        Passed to every box (``FancyBboxPatch``).

    Returns
    -------
    matplotlib Axes
        ``ax.patches`` holds one ``FancyBboxPatch`` per box and one ``FancyArrowPatch``
        per arrow.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from implementere_kit.plans.intervention import TheoryOfChange
    >>> toc = TheoryOfChange(resources=["2 leaders"], activities=["16 sessions"],
    ...                      assumptions={"resources->activities": "time set aside"})
    >>> ax = theory_of_change_chart(toc, lang="en")
    >>> sorted(type(p).__name__ for p in ax.patches)
    ['FancyArrowPatch', 'FancyBboxPatch', 'FancyBboxPatch']
    >>> plt.close(ax.figure)
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if not (hasattr(toc, "elements") and hasattr(toc, "links")):
        raise ValidationError([Problem("not a theory of change", column="toc",
                                       expected="a TheoryOfChange", found=type(toc).__name__)])
    # Our own TheoryOfChange knows its translations; anything else is drawn as it is.
    args = (lang,) if isinstance(toc, TheoryOfChange) else ()
    el = require(toc.elements(*args), ["level", "order", "text"], "theory_of_change")
    links = require(toc.links(*args), ["source", "target", "assumption"], "theory_of_change")
    counts = el.groupby("level").size()
    tallest = int(counts.max()) if len(counts) else 1
    ax = new_axes(ax, (15, 2.6 + 1.2 * tallest))
    top = tallest + 1.6  # boxes fill [1.6, top]; the band below holds the assumptions
    for i, level in enumerate(TOC_LEVELS):
        colour = PALETTE[i % len(PALETTE)]
        ax.text(i, top + 0.35, label(f"toc_{level}", lang), ha="center", va="bottom",
                fontweight="bold", fontsize=10)
        boxes = el[el["level"] == level].sort_values("order")
        k = len(boxes)
        for j, text in enumerate(boxes["text"]):
            slot = tallest / k
            y0 = top - (j + 1) * slot + 0.06 * slot
            h = slot * 0.88
            ax.add_patch(FancyBboxPatch((i - 0.42, y0), 0.84, h, **{
                "boxstyle": "round,pad=0.01,rounding_size=0.05", "facecolor": colour,
                "alpha": 0.25, "edgecolor": colour, "linewidth": 1.5, **kwargs}))
            ax.text(i, y0 + h / 2, textwrap.fill(str(text), wrap), ha="center", va="center",
                    fontsize=7.5)
    for src, dst, assumption in links[["source", "target", "assumption"]].itertuples(index=False):
        if not ((el["level"] == src).any() and (el["level"] == dst).any()):
            continue
        a, b = TOC_LEVELS.index(src), TOC_LEVELS.index(dst)
        ax.add_patch(FancyArrowPatch((a + 0.1, 1.35), (b - 0.1, 1.35), arrowstyle="-|>",
                                     mutation_scale=18, color="black", linewidth=1.3))
        if str(assumption or "").strip():
            ax.text((a + b) / 2, 1.15, textwrap.fill(str(assumption), wrap + 6), ha="center",
                    va="top", fontsize=7, style="italic")
    ax.set_xlim(-0.5, len(TOC_LEVELS) - 0.5)
    ax.set_ylim(-0.2, top + 0.9)
    ax.set_axis_off()
    ax.set_title(label("chart_toc_title", lang))
    return ax


@localised_ticks
def adaptations_chart(adaptations: pd.DataFrame, ax=None, lang: str = "nb",
                      components: Sequence | None = None, **kwargs):
    """Adaptations over time, one row per component; core and flexible marked apart.

    Adaptations of core components are red diamonds, of flexible components blue
    circles: shape and colour both carry the difference.

    Parameters
    ----------
    adaptations : DataFrame
        ``date``, ``component`` and ``kind`` (``core`` or ``flexible``), e.g. the
        adaptations of a report (:attr:`Evaluation.adaptations
        <implementere_kit.report.Evaluation.adaptations>`).
    components : sequence, optional
        Component ids (or :class:`~implementere_kit.plans.intervention.Component` objects, whose
        names become the labels) to show as rows, in order; default those adapted.
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to both ``scatter`` calls.

    Returns
    -------
    matplotlib Axes
        A scatter collection per kind present (core first). With no adaptations the
        axes says so in a text.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> a = pd.DataFrame({"date": ["2024-03-01"], "component": ["refreshments"],
    ...                   "kind": ["flexible"]})
    >>> ax = adaptations_chart(a, lang="en")
    >>> len(ax.collections), ax.collections[0].get_offsets().shape[0]
    (1, 1)
    >>> plt.close(ax.figure)
    """
    df = require(adaptations, ["date", "component", "kind"], "adaptations")
    problems: list[Problem] = []
    when = dates(df, "date", "adaptations", problems)
    problems += row_problems(~df["kind"].isin(("core", "flexible")), df["kind"],
                             message="unknown kind", column="kind",
                             expected="core or flexible", resource="adaptations")
    raise_if(problems)
    if components is not None:
        ids = [getattr(c, "id", c) for c in components]
        names = [c.label(lang) if hasattr(c, "label") else c for c in components]
    else:
        ids = list(dict.fromkeys(df["component"].astype(str)))
        names = ids
    unknown = sorted(set(df["component"].astype(str)) - set(map(str, ids)))
    ids, names = [*ids, *unknown], [*names, *unknown]
    pos = {str(c): len(ids) - 1 - i for i, c in enumerate(ids)}
    ax = new_axes(ax, (9, 1.5 + 0.35 * max(len(ids), 2)))
    x = date_numbers(when)
    y = df["component"].astype(str).map(pos).to_numpy(dtype=float)
    for kind, marker, colour in (("core", "D", HIGHLIGHT), ("flexible", "o", OKABE_ITO["blue"])):
        m = (df["kind"] == kind).to_numpy()
        if m.any():
            ax.scatter(x[m], y[m], **{"marker": marker, "color": colour, "s": 70, "zorder": 3,
                                      "edgecolors": "black",
                                      "label": label(f"chart_{kind}", lang), **kwargs})
    if len(df) == 0:
        ax.text(0.5, 0.5, label("chart_no_adaptations", lang), transform=ax.transAxes,
                ha="center", va="center", color=PALETTE[-1])
    else:
        date_axis(ax.xaxis)
        ax.legend(loc="best", fontsize=8)
    ax.set_yticks([pos[str(c)] for c in ids], [str(n) for n in names])
    ax.set_ylim(-0.7, max(len(ids), 1) - 0.3)
    ax.set_title(label("chart_adaptations_title", lang))
    ax.set_xlabel(column_label("date", lang))
    ax.set_ylabel(label("chart_component", lang))
    return ax
