"""Charts of the plan and of progress: the plan's timeline, SIC stages, share done per phase.

References
----------
implementere.no, "Hva må du gjøre": four phases (Forberede, Planlegge, Implementere,
Videreføre) with nine core elements. https://www.implementere.no/

Chamberlain P, Brown CH, Saldana L (2011). Observational measure of implementation
progress in community based settings: the Stages of Implementation Completion (SIC).
Implementation Science 6:116. https://doi.org/10.1186/1748-5908-6-116
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..errors import Problem
from ..plans.progress import PHASE_ORDER
from ..store.tables import row_problems
from ._base import (
    GREY,
    HIGHLIGHT,
    PALETTE,
    PHASE_COLOURS,
    column_label,
    date_axis,
    date_numbers,
    dates,
    label,
    localised_ticks,
    new_axes,
    numbers,
    percent_axis,
    phase_label,
    raise_if,
    require,
)

__all__ = ["plan_timeline", "sic_chart", "phase_progress_chart"]

#: Up to this many activities each bar gets its title as a tick label; above it, one
#: label per core element keeps a 1,000-activity plan as quick to redraw as bare bars.
MAX_BAR_LABELS = 40
_OPEN = ("todo", "in_progress")


@localised_ticks
def plan_timeline(activities: pd.DataFrame, as_of=None, ax=None, lang: str = "nb", **kwargs):
    """Gantt chart of a plan: one bar per activity, by phase and core element.

    Bars run from ``start`` to ``due`` and are coloured by phase. Done and skipped
    activities are faded; overdue ones (open, due before ``as_of``) get a red edge and a
    red cross at their due date (one scatter collection); a dashed vertical line marks
    ``as_of``. Each phase is drawn with at most two vectorised ``barh`` calls (overdue or
    not), never one call per activity, so a plan of 1,000 activities redraws about as fast
    as bare bars.

    Parameters
    ----------
    activities : DataFrame
        A plan's ``activities`` table (``phase``, ``core_element``, ``start``, ``due``,
        ``status``; ``title`` is used for labels when there are few activities).
        Activities with neither start nor due date are left out; one without a start is
        drawn as a one-day bar at its due date.
    as_of : date, optional
        The day overdue is judged on and the vertical line is drawn at (default today).
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to every ``barh`` call (e.g. ``height``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from implementere_kit import Plan
    >>> plan = Plan.from_template("evidence-based", start="2024-01-08")
    >>> ax = plan_timeline(plan.activities, as_of="2024-06-01", lang="en")
    >>> len(ax.patches) == len(plan.activities), ax.get_title()
    (True, 'Implementation plan')
    >>> plt.close(ax.figure)
    """
    import matplotlib.colors as mcolors
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    acts = require(activities, ["phase", "core_element", "start", "due", "status"], "activities")
    problems: list[Problem] = []
    start = dates(acts, "start", "activities", problems)
    due = dates(acts, "due", "activities", problems)
    problems += row_problems(~acts["phase"].isin(PHASE_ORDER), acts["phase"],
                             message="unknown phase", column="phase",
                             expected=", ".join(PHASE_ORDER), resource="activities")
    raise_if(problems)
    when = pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()
    keep = (start.notna() | due.notna()).to_numpy()
    df = pd.DataFrame({"phase": pd.Categorical(acts["phase"], PHASE_ORDER, ordered=True),
                       "core_element": acts["core_element"], "start": start.fillna(due),
                       "due": due.fillna(start), "status": acts["status"].astype(str),
                       "title": acts["title"] if "title" in acts else acts.index.astype(str)})
    df = df[keep].sort_values(["phase", "core_element", "start", "due"], kind="stable")
    n = len(df)
    y = np.arange(n)[::-1].astype(float)  # first activity on top
    left = date_numbers(df["start"])
    width = np.maximum(date_numbers(df["due"]) - left, 1.0)
    status = df["status"].to_numpy()
    overdue = np.isin(status, _OPEN) & (df["due"] < when).to_numpy()
    faded = np.isin(status, ("done", "skipped"))
    ax = new_axes(ax, (11, max(3.0, min(12.0, 1.5 + 0.22 * n))))
    phases = df["phase"].astype(str).to_numpy()
    present = [p for p in PHASE_ORDER if (phases == p).any()]
    for phase in present:
        colour = np.array(mcolors.to_rgba(PHASE_COLOURS[phase]))
        for late in (False, True):
            m = (phases == phase) & (overdue == late)
            if not m.any():
                continue
            fc = np.tile(colour, (int(m.sum()), 1))
            fc[faded[m], 3] = 0.35
            fc[(status[m] == "skipped")] = mcolors.to_rgba(GREY, 0.35)
            style = ({"edgecolor": HIGHLIGHT, "linewidth": 1.5} if late
                     else {"edgecolor": "none", "linewidth": 0})
            ax.barh(y[m], width[m], left=left[m], **{"height": 0.8, "color": fc, **style,
                                                     **kwargs})
    if overdue.any():
        # A marker at the due date says "overdue" without relying on colour. Hatching each
        # bar would say it too, but triples the redraw time of a large plan.
        ax.scatter(left[overdue] + width[overdue], y[overdue], marker="X", s=36,
                   color=HIGHLIGHT, edgecolors="black", linewidths=0.5, zorder=3)
    ax.axvline(date_numbers([when])[0], color="black", linestyle="--", linewidth=1.2)
    # y labels: each bar's title when there are few, else one label per core element
    if n <= MAX_BAR_LABELS:
        ax.set_yticks(y, [str(s)[:45] for s in df["title"]], fontsize=8)
    else:
        ke = df["core_element"].to_numpy()
        groups = pd.Series(y).groupby([phases, ke], sort=False)
        mids = groups.mean()
        ax.set_yticks(mids.to_numpy(), [label("chart_ke_short", lang, n=k) for _, k in mids.index])
        edges = groups.min().to_numpy()[:-1] - 0.5
        if len(edges):  # separators across the whole width (axes coordinates in x)
            ax.hlines(edges, 0, 1, transform=ax.get_yaxis_transform(), colors=GREY,
                      linewidth=0.5)
    ax.set_ylim(-0.7, n - 0.3)
    # Every text costs about a millisecond per redraw: few date ticks, no "Date" label.
    date_axis(ax.xaxis, maxticks=7)
    ax.set_title(label("chart_plan_timeline_title", lang))
    ax.set_ylabel(column_label("core_element", lang))
    handles = [Patch(color=PHASE_COLOURS[p], label=phase_label(p, lang)) for p in present]
    handles += [Line2D([], [], marker="X", color=HIGHLIGHT, markeredgecolor="black",
                       markeredgewidth=0.5, linestyle="", label=label("overdue", lang)),
                Patch(color=GREY, alpha=0.35, label=label("done", lang)),
                Line2D([], [], color="black", linestyle="--",
                       label=label("chart_as_of", lang, date=when.date().isoformat()))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08),
              ncol=min(4, len(handles)), frameon=False, fontsize=8)
    return ax


@localised_ticks
def sic_chart(scores: pd.DataFrame, ax=None, lang: str = "nb", **kwargs):
    """Days spent in each SIC stage per site, as stacked horizontal bars.

    Each site's bar is the sum of its stage durations (first to last completed activity
    of the stage, as :func:`~implementere_kit.plans.progress.sic_scores` scores them); the
    furthest stage reached is written at the end of the bar.

    Parameters
    ----------
    scores : DataFrame
        The result of :func:`~implementere_kit.plans.progress.sic_scores` (``site``, ``stage``,
        ``n_completed``, ``duration_days``).
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to each ``barh`` call.

    Returns
    -------
    matplotlib Axes
        Eight bar segments per site (zero-width where a stage has no duration).

    Examples
    --------
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from implementere_kit import sic_scores
    >>> ev = pd.DataFrame({"site": "9901", "stage": [1, 1, 2], "activity": ["a", "b", "c"],
    ...                    "date": ["2024-01-01", "2024-01-31", "2024-02-10"]})
    >>> ax = sic_chart(sic_scores(ev), lang="en")
    >>> len(ax.patches), ax.texts[0].get_text()
    (8, 'Stage 2')
    >>> plt.close(ax.figure)
    """
    from ..plans.frameworks import load_framework

    df = require(scores, ["site", "stage", "n_completed", "duration_days"], "sic_scores")
    problems: list[Problem] = []
    stage = numbers(df, "stage", "sic_scores", problems)
    days = numbers(df, "duration_days", "sic_scores", problems)
    done = numbers(df, "n_completed", "sic_scores", problems)
    raise_if(problems)
    sites = list(dict.fromkeys(df["site"].astype(str)))
    pos = {s: len(sites) - 1 - i for i, s in enumerate(sites)}
    frame = pd.DataFrame({"site": df["site"].astype(str), "stage": stage,
                          "days": np.nan_to_num(days), "done": np.nan_to_num(done)})
    wide = frame.pivot_table(index="site", columns="stage", values="days", aggfunc="sum")
    wide = wide.reindex(index=sites, columns=range(1, 9)).fillna(0.0)
    y = np.array([pos[s] for s in sites], dtype=float)
    ax = new_axes(ax, (11, 1.8 + 0.5 * len(sites)))
    sic = load_framework("sic")
    lefts = np.zeros(len(sites))
    for s in range(1, 9):
        w = wide[s].to_numpy()
        ax.barh(y, w, left=lefts, **{"height": 0.6, "color": PALETTE[s - 1],
                                     "label": f"{s}. {sic.stage(s).label(lang)}", **kwargs})
        lefts = lefts + w
    reached = frame[frame["done"] > 0].groupby("site")["stage"].max()
    for s in sites:
        n = int(reached.get(s, 0))
        ax.annotate(label("chart_stage_n", lang, n=n), (lefts[sites.index(s)], pos[s]),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, sites)
    ax.set_xlim(0, max(float(lefts.max()), 1.0) * 1.15)
    ax.set_title(label("chart_sic_title", lang))
    ax.set_xlabel(column_label("duration_days", lang))
    ax.set_ylabel(column_label("site", lang))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=7)
    return ax


@localised_ticks
def phase_progress_chart(progress: pd.DataFrame, ax=None, lang: str = "nb", **kwargs):
    """Share of activities done per phase, one bar per phase.

    Parameters
    ----------
    progress : DataFrame
        The result of :func:`~implementere_kit.plans.progress.phase_progress` by phase, or by
        phase and core element (then summed per phase). ``n_overdue`` is shown if present.
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to ``bar``.

    Returns
    -------
    matplotlib Axes
        One bar per phase present, its height the share done (0–1), labelled
        "done/total".

    Examples
    --------
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> prog = pd.DataFrame({"phase": ["forberede", "planlegge"], "n_activities": [4, 10],
    ...                      "n_done": [4, 5], "n_overdue": [0, 2]})
    >>> ax = phase_progress_chart(prog, lang="da")
    >>> [round(float(p.get_height()), 2) for p in ax.patches], ax.get_ylabel()
    ([1.0, 0.5], 'Andel færdig')
    >>> plt.close(ax.figure)
    """
    df = require(progress, ["phase", "n_activities", "n_done"], "phase_progress")
    cols = ["n_activities", "n_done"] + (["n_overdue"] if "n_overdue" in df else [])
    problems: list[Problem] = []
    for c in cols:
        df[c] = numbers(df, c, "phase_progress", problems)
    raise_if(problems)
    g = df.groupby("phase")[cols].sum()
    phases = [p for p in PHASE_ORDER if p in g.index] + [p for p in g.index
                                                         if p not in PHASE_ORDER]
    g = g.reindex(phases)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (g["n_done"] / g["n_activities"].replace(0, np.nan)).fillna(0).to_numpy()
    ax = new_axes(ax, (7, 4))
    x = np.arange(len(phases))
    colours = [PHASE_COLOURS.get(p, GREY) for p in phases]
    ax.bar(x, share, **{"color": colours, "width": 0.6, **kwargs})
    for i, p in enumerate(phases):
        text = f"{int(g.at[p, 'n_done'])}/{int(g.at[p, 'n_activities'])}"
        if "n_overdue" in g and g.at[p, "n_overdue"] > 0:
            text += f"\n{int(g.at[p, 'n_overdue'])} {label('overdue', lang).lower()}"
        ax.text(i, share[i] + 0.02, text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [phase_label(p, lang) for p in phases])
    ax.set_ylim(0, 1.25)
    percent_axis(ax.yaxis)
    ax.set_title(label("chart_phase_progress_title", lang))
    ax.set_xlabel(column_label("phase", lang))
    ax.set_ylabel(column_label("share_done", lang))
    return ax
