"""Charts of family outcomes against delivery, of barriers, FRAME adaptations and costs.

=========================  ============================================================
function                   draws
=========================  ============================================================
dose_response_chart        improvement per family against the dose received, per site,
                           with the mean improvement per dose band
component_chart            the association of each component's delivery with improvement
                           (estimates and intervals of :func:`component_analysis`)
barriers_chart             barriers per implementere.no phase, stacked by EPIS domain
frame_chart                adaptations per FRAME category, stacked by fidelity
cost_chart                 cost per period by activity type, and the cumulative cost per
                           family reached
=========================  ============================================================

Every function takes ``ax=`` and returns it; labels come from the locales; colours are
Okabe–Ito, and where colour means something a second cue carries it too (marker shape for
core or flexible, hatching for fidelity-inconsistent adaptations).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Problem
from ..store.tables import row_problems
from ._base import (
    GREY,
    HIGHLIGHT,
    OKABE_ITO,
    PALETTE,
    label,
    localised_ticks,
    new_axes,
    numbers,
    phase_label,
    raise_if,
    require,
)

__all__ = ["dose_response_chart", "component_chart", "barriers_chart", "frame_chart",
           "cost_chart", "DOMAIN_COLOURS"]

#: One colour per EPIS domain, the same on every chart.
DOMAIN_COLOURS = {"outer_context": OKABE_ITO["reddish_purple"],
                  "inner_context": OKABE_ITO["blue"],
                  "bridging_factors": OKABE_ITO["orange"],
                  "innovation": OKABE_ITO["bluish_green"]}
_PHASES = ("forberede", "planlegge", "implementere", "viderefore")


def _empty(ax, key: str, lang: str):
    ax.text(0.5, 0.5, label(key, lang), transform=ax.transAxes, ha="center", va="center",
            color=GREY)
    return ax


@localised_ticks
def dose_response_chart(data: pd.DataFrame, ax=None, lang: str = "nb", bands: int = 5,
                        **kwargs):
    """Improvement against dose: one point per family, one colour and marker per site, and
    the mean improvement per dose band (a line with markers).

    Parameters
    ----------
    data : DataFrame
        :func:`~implementere_kit.measures.components.component_data` (``site``, ``dose``,
        ``improvement``).
    bands : int
        Number of equal-width dose bands for the mean line.

    Returns
    -------
    matplotlib Axes
        One scatter collection per site and one line of band means (plus the zero line).

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> d = pd.DataFrame({"site": ["901"] * 4 + ["902"] * 2, "dose": [.5, .8, 1, 1, .3, .9],
    ...                   "improvement": [1, 4, 6, 5, -1, 3]})
    >>> ax = dose_response_chart(d, lang="en")
    >>> len(ax.collections), len(ax.lines)
    (2, 2)
    >>> plt.close(ax.figure)
    """
    df = require(data, ["site", "dose", "improvement"], "dose response")
    problems: list[Problem] = []
    dose = numbers(df, "dose", "dose response", problems)
    imp = numbers(df, "improvement", "dose response", problems)
    problems += row_problems((dose < 0) | (dose > 1), df["dose"], message="dose outside 0–1",
                             column="dose", expected="a share 0–1", resource="dose response")
    raise_if(problems)
    ax = new_axes(ax, (7, 4.2))
    ok = np.isfinite(dose) & np.isfinite(imp)
    if not ok.any():
        return _empty(ax, "chart_no_outcome_pairs", lang)
    markers = "osD^vP*X"
    for k, site in enumerate(sorted(df.loc[ok, "site"].astype(str).unique())):
        m = ok & (df["site"].astype(str) == site).to_numpy()
        ax.scatter(dose[m], imp[m], s=28, alpha=0.75, marker=markers[k % len(markers)],
                   color=PALETTE[k % (len(PALETTE) - 1)], edgecolors="white", linewidths=0.4,
                   label=site, **kwargs)
    edges = np.linspace(0, 1, bands + 1)
    idx = np.clip(np.digitize(dose[ok], edges[1:-1]), 0, bands - 1)
    means = pd.Series(imp[ok]).groupby(idx).mean()
    mids = (edges[:-1] + edges[1:]) / 2
    ax.plot(mids[means.index], means.to_numpy(), color=OKABE_ITO["black"], marker="s",
            linewidth=2, label=label("chart_band_mean", lang))
    ax.axhline(0, color=GREY, linewidth=0.8, linestyle="--")
    ax.set_xlim(-0.02, 1.02)
    from ._base import percent_axis

    percent_axis(ax.xaxis)
    ax.set_xlabel(label("chart_dose", lang))
    ax.set_ylabel(label("chart_improvement", lang))
    ax.set_title(label("chart_dose_response_title", lang))
    ax.legend(fontsize=8, loc="best")
    return ax


@localised_ticks
def component_chart(analysis: pd.DataFrame, ax=None, lang: str = "nb", names=None, **kwargs):
    """Forest plot of :func:`~implementere_kit.measures.components.component_analysis`:
    the estimate of each component's adherence (and of dose and core adherence) with its
    interval; core components as diamonds, flexible as circles.

    ``names`` maps component ids to the names shown (default the ids).

    Returns
    -------
    matplotlib Axes
        One error bar container per row shown (``ax.containers``).

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> a = pd.DataFrame({"model": ["dose", "component:a", "component:b"],
    ...                   "term": ["dose", "adherence", "adherence"], "component": [None, "a", "b"],
    ...                   "kind": [None, "core", "flexible"], "estimate": [3, 2, 0.1],
    ...                   "ci_low": [1, 0.5, -1], "ci_high": [5, 3.5, 1.2]})
    >>> ax = component_chart(a, lang="en")
    >>> len(ax.containers)
    3
    >>> plt.close(ax.figure)
    """
    df = require(analysis, ["model", "term", "component", "kind", "estimate", "ci_low",
                            "ci_high"], "component analysis")
    names = dict(names or {})
    show = df[((df["model"] == "dose") & (df["term"] == "dose"))
              | ((df["model"] == "core") & (df["term"] == "core_adherence"))
              | (df["model"].astype(str).str.startswith("component:")
                 & (df["term"] == "adherence"))]
    show = show[pd.to_numeric(show["estimate"], errors="coerce").notna()].reset_index(drop=True)
    ax = new_axes(ax, (7.5, 1.5 + 0.4 * max(len(show), 2)))
    if show.empty:
        return _empty(ax, "chart_no_outcome_pairs", lang)
    ylabels = []
    for i, r in show.iterrows():
        y = len(show) - 1 - i
        est, lo, hi = (float(r[c]) for c in ("estimate", "ci_low", "ci_high"))
        if r["term"] == "dose":
            colour, marker, text = OKABE_ITO["black"], "s", label("chart_dose", lang)
        elif r["term"] == "core_adherence":
            colour, marker, text = OKABE_ITO["black"], "s", label("chart_core_adherence", lang)
        else:
            core = r["kind"] == "core"
            colour, marker = (HIGHLIGHT, "D") if core else (OKABE_ITO["blue"], "o")
            text = names.get(r["component"], r["component"])
        ax.errorbar(est, y, xerr=[[est - lo], [hi - est]], fmt=marker, color=colour,
                    ecolor=colour, capsize=3, markersize=7, **kwargs)
        ylabels.append((y, text))
    ax.axvline(0, color=GREY, linewidth=0.8, linestyle="--")
    ax.set_yticks([y for y, _ in ylabels], [str(t) for _, t in ylabels])
    ax.set_ylim(-0.7, len(show) - 0.3)
    ax.set_xlabel(label("chart_effect_per_unit", lang))
    ax.set_title(label("chart_components_title", lang))
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="D", color=HIGHLIGHT, linestyle="", label=label(
        "chart_core", lang)), Line2D([], [], marker="o", color=OKABE_ITO["blue"],
                                     linestyle="", label=label("chart_flexible", lang))]
    ax.legend(handles=handles, fontsize=8, loc="best")
    return ax


@localised_ticks
def barriers_chart(barriers: pd.DataFrame, ax=None, lang: str = "nb", **kwargs):
    """Barriers per implementere.no phase, stacked by EPIS domain (open ones hatched).

    Returns
    -------
    matplotlib Axes
        Four phases × four domains × (resolved, not resolved) bar segments
        (``len(ax.patches) == 32``).

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> b = pd.DataFrame({"phase": ["planlegge", "implementere"],
    ...                   "domain": ["inner_context", "innovation"], "status": ["resolved", "open"]})
    >>> ax = barriers_chart(b, lang="en")
    >>> len(ax.patches)
    32
    >>> plt.close(ax.figure)
    """
    from ..learning.vocabulary import value_label, values

    df = require(barriers, ["phase", "domain", "status"], "barriers")
    problems = row_problems(~df["phase"].isin(_PHASES), df["phase"], message="unknown phase",
                            column="phase", expected=", ".join(_PHASES), resource="barriers")
    raise_if(problems)
    ax = new_axes(ax, (8, 3.6))
    domains = values("barriers", "domain")
    counts = (df.assign(done=df["status"] == "resolved")
              .groupby(["phase", "domain", "done"]).size())
    y = np.arange(len(_PHASES))[::-1]
    left = np.zeros(len(_PHASES))
    for dom in domains:
        for done in (True, False):
            w = np.array([counts.get((ph, dom, done), 0) for ph in _PHASES], float)
            ax.barh(y, w, left=left, color=DOMAIN_COLOURS[dom], edgecolor="white",
                    hatch=None if done else "///",
                    label=value_label("barriers", "domain", dom, lang) if done else None,
                    **kwargs)
            left += w
    ax.set_yticks(y, [phase_label(ph, lang) for ph in _PHASES])
    ax.set_xlabel(label("chart_n_barriers", lang))
    ax.set_title(label("chart_barriers_title", lang))
    from matplotlib.patches import Patch

    handles = ax.get_legend_handles_labels()[0] + [Patch(facecolor="white", edgecolor=GREY,
                                                         hatch="///",
                                                         label=label("chart_not_resolved", lang))]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    if len(df) == 0:
        _empty(ax, "chart_no_barriers", lang)
    return ax


@localised_ticks
def frame_chart(adaptations: pd.DataFrame, ax=None, lang: str = "nb", dimension: str = "what",
                **kwargs):
    """Adaptations per FRAME category of ``dimension``, stacked by fidelity: consistent,
    unknown, inconsistent (hatched, in the warning colour).

    Returns
    -------
    matplotlib Axes
        One bar segment per category × fidelity value.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> a = pd.DataFrame({"what": ["content", "context", "content"],
    ...                   "fidelity": ["consistent", "consistent", "inconsistent"]})
    >>> ax = frame_chart(a, lang="en")
    >>> len(ax.patches)  # 5 categories of "what" × 3 fidelity values
    15
    >>> plt.close(ax.figure)
    """
    from ..learning.adaptations import FRAME_DIMENSIONS
    from ..learning.vocabulary import value_label, values

    if dimension not in FRAME_DIMENSIONS or dimension == "fidelity":
        from ..errors import ValidationError

        raise ValidationError([Problem("not a FRAME dimension to chart", column="dimension",
                                       expected=", ".join(d for d in FRAME_DIMENSIONS
                                                          if d != "fidelity"),
                                       found=repr(dimension))])
    df = require(adaptations, [dimension, "fidelity"], "adaptations")
    cats = values("adaptations", dimension)
    ax = new_axes(ax, (8, 1.6 + 0.38 * len(cats)))
    y = np.arange(len(cats))[::-1]
    left = np.zeros(len(cats))
    style = {"consistent": (OKABE_ITO["bluish_green"], None),
             "unknown": (GREY, None), "inconsistent": (HIGHLIGHT, "xx")}
    counts = df.groupby([dimension, "fidelity"]).size()
    for fid in ("consistent", "unknown", "inconsistent"):
        w = np.array([counts.get((c, fid), 0) for c in cats], float)
        colour, hatch = style[fid]
        ax.barh(y, w, left=left, color=colour, hatch=hatch, edgecolor="white",
                label=value_label("adaptations", "fidelity", fid, lang), **kwargs)
        left += w
    ax.set_yticks(y, [value_label("adaptations", dimension, c, lang) for c in cats])
    ax.set_xlabel(label("chart_n_adaptations", lang))
    ax.set_title(label("chart_frame_title", lang, dimension=label(f"frame_{dimension}", lang)))
    ax.legend(fontsize=8, loc="lower right")
    return ax


@localised_ticks
def cost_chart(breakdown: pd.DataFrame, cost: pd.DataFrame | None = None, ax=None,
               lang: str = "nb", **kwargs):
    """Cost per period stacked by activity type; with ``cost`` (from
    :func:`~implementere_kit.measures.cost.implementation_cost`) also the cumulative cost
    per family reached, as a line on a second axis.

    Returns
    -------
    matplotlib Axes
        The bars' axes: periods × activity types bar segments; the line sits on a twin
        axis (``ax.figure.axes[-1]``).

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> b = pd.DataFrame({"period": ["2024-Q1", "2024-Q1", "2024-Q2"],
    ...                   "activity_type": ["training", "delivery", "delivery"],
    ...                   "cost": [100, 20, 50]})
    >>> ax = cost_chart(b, lang="en")
    >>> len(ax.patches)  # 2 periods × 2 activity types
    4
    >>> plt.close(ax.figure)
    """
    from ..learning.vocabulary import value_label, values

    df = require(breakdown, ["period", "activity_type", "cost"], "costs")
    periods = list(dict.fromkeys(df["period"].astype(str)))
    types = [t for t in values("costs", "activity_type") if (df["activity_type"] == t).any()]
    ax = new_axes(ax, (9, 4))
    x = np.arange(len(periods))
    bottom = np.zeros(len(periods))
    table = df.pivot_table(index="period", columns="activity_type", values="cost",
                           aggfunc="sum").reindex(periods)
    for k, typ in enumerate(types):
        h = table[typ].fillna(0).to_numpy(float)
        ax.bar(x, h, bottom=bottom, color=PALETTE[k % len(PALETTE)], edgecolor="white",
               label=value_label("costs", "activity_type", typ, lang), **kwargs)
        bottom += h
    step = max(1, len(periods) // 12)
    ax.set_xticks(x[::step], periods[::step], rotation=45, ha="right")
    ax.set_ylabel(label("chart_cost", lang))
    ax.set_title(label("chart_costs_title", lang))
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    if cost is not None and len(cost):
        c = cost[cost["period"] != "all"].set_index("period").reindex(periods)
        twin = ax.twinx()
        twin.plot(x, c["cum_cost_per_reached"].to_numpy(float), color=OKABE_ITO["black"],
                  marker="o", linewidth=2, label=label("chart_cum_cost_per_family", lang))
        twin.set_ylabel(label("chart_cum_cost_per_family", lang))
        twin.legend(fontsize=7, loc="upper center")
    if len(df) == 0:
        _empty(ax, "chart_no_costs", lang)
    return ax

