"""Charts of delivery: adherence over time (a p-chart), attendance and drop-out.

The p-chart limits of the run chart are computed by
:func:`implementere_kit.measures.control.p_chart`, the one implementation of control limits
for proportions that the network's funnel plots use too.

References
----------

Carroll C, Patterson M, Wood S, et al. (2007). A conceptual framework for implementation
fidelity. Implementation Science 2:40. https://doi.org/10.1186/1748-5908-2-40
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..measures._fidelity_input import _check_rule
from ..measures.catalogue import measure
from ..measures.control import p_chart
from ..plans.intervention import DosageRule
from ..store.tables import row_problems
from ._base import (
    GOOD,
    GREY,
    HIGHLIGHT,
    OKABE_ITO,
    PALETTE,
    date_axis,
    date_numbers,
    label,
    localised_ticks,
    new_axes,
    numbers,
    percent_axis,
    raise_if,
    require,
)

__all__ = ["fidelity_run_chart", "attendance_histogram", "dropout_chart"]

_SERIES = ("practitioner_id", "site", "group_id", "component")


@localised_ticks
def fidelity_run_chart(adherence_by_month: pd.DataFrame, ax=None, threshold: float = 0.8,
                       lang: str = "nb", series: str | None = None, **kwargs):
    """Run chart of adherence per month with the threshold and p-chart limits.

    The centre line is the pooled adherence p̄ = Σ credit ÷ Σ items over every point; the
    control limits p̄ ± 3·sqrt(p̄(1 − p̄)/nᵢ) use each month's items scored, so a month
    with few checklists gets wide limits. With one series the limits are drawn as steps;
    with several, points outside their own limits are ringed.

    Parameters
    ----------
    adherence_by_month : DataFrame
        :func:`~implementere_kit.measures.fidelity.adherence` grouped by ``month`` (and
        optionally ``site``, ``practitioner_id``, ``group_id`` or ``component``):
        ``month``, ``adherence``, ``n_items``.
    threshold : float
        The adherence every month should reach (dashed line).
    series : str, optional
        Column with one line each; default the first of practitioner_id, site,
        group_id, component present (else one line).
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to each series' ``plot`` call.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> adh = pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03"],
    ...                     "adherence": [0.9, 0.6, 0.85], "n_items": [20, 20, 10]})
    >>> ax = fidelity_run_chart(adh, threshold=0.8, lang="en")
    >>> ax.get_ylabel(), len(ax.lines)  # series, threshold, centre, two limits
    ('Adherence (share)', 5)
    >>> plt.close(ax.figure)
    """
    df = require(adherence_by_month, ["month", "adherence", "n_items"], "adherence")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not 0 < threshold <= 1:
        raise ValidationError([Problem("bad threshold", column="threshold",
                                       expected="a share, 0 < threshold ≤ 1",
                                       found=safe_value(threshold))])
    if series is not None and series not in df:
        raise ValidationError([Problem("series column missing", resource="adherence",
                                       column=series, expected="a column of the table")])
    problems: list[Problem] = []
    p = numbers(df, "adherence", "adherence", problems)
    n = numbers(df, "n_items", "adherence", problems)
    month = pd.to_datetime(df["month"].astype("string") + "-01", format="%Y-%m-%d",
                           errors="coerce")
    problems += row_problems(month.isna(), df["month"], message="not a month",
                             column="month", expected="YYYY-MM", resource="adherence")
    raise_if(problems)
    ok = ~np.isnan(p) & (n > 0)
    if not ok.any():
        raise ValidationError([Problem("no month with items scored", resource="adherence",
                                       column="n_items", expected="at least one n_items > 0")])
    key = series if series is not None else next((c for c in _SERIES if c in df), None)
    data = pd.DataFrame({"series": df[key].astype(str) if key else "", "x": date_numbers(month),
                         "p": p, "n": n})[ok].sort_values(["series", "x"])
    pc = p_chart(data["p"] * data["n"], data["n"])
    data["lcl"], data["ucl"] = pc["lcl"].to_numpy(), pc["ucl"].to_numpy()
    data["out"] = pc["out_of_control"].to_numpy()
    center = float(pc["center"].iloc[0])
    ax = new_axes(ax, (9, 4))
    groups = list(data.groupby("series", sort=True))
    for i, (name, g) in enumerate(groups):
        ax.plot(g["x"], g["p"], **{"marker": "o", "color": PALETTE[i % len(PALETTE)],
                                   "label": name or measure("adherence").label(lang),
                                   **kwargs})
    ax.axhline(threshold, color="black", linestyle="--", linewidth=1.2,
               label=f"{label('chart_threshold', lang)} ({threshold:.0%})")
    ax.axhline(center, color=GREY, linewidth=1, label=label("chart_center_line", lang))
    if len(groups) == 1:
        g = groups[0][1]
        ax.step(g["x"], g["lcl"], where="mid", color=GREY, linestyle=":",
                label=label("chart_control_limits", lang))
        ax.step(g["x"], g["ucl"], where="mid", color=GREY, linestyle=":")
    out = data[data["out"]]
    if len(out):
        ax.scatter(out["x"], out["p"], s=160, facecolors="none", edgecolors=HIGHLIGHT,
                   linewidths=1.5, zorder=3, label=label("chart_out_of_control", lang))
    ax.set_ylim(0, 1.05)
    percent_axis(ax.yaxis)
    date_axis(ax.xaxis)
    ax.set_title(label("chart_fidelity_title", lang))
    ax.set_xlabel(label("chart_month", lang))
    ax.set_ylabel(label("chart_adherence", lang))
    ax.legend(loc="lower left", fontsize=7, ncol=2)
    return ax


@localised_ticks
def attendance_histogram(summary: pd.DataFrame, rule: DosageRule, ax=None, lang: str = "nb",
                         **kwargs):
    """How many participants attended 0, 1, 2, … sessions, with the graduation line.

    Bar ``k`` spans [k, k + 1) so the vertical line at ``rule.sessions_to_graduate``
    falls exactly between those who graduate (right, green) and those who do not (left,
    orange).

    Parameters
    ----------
    summary : DataFrame
        The result of :func:`~implementere_kit.measures.fidelity.attendance_summary`
        (``n_attended`` is used).
    rule : DosageRule
        The intervention's dosage rule.
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to both ``bar`` calls.

    Returns
    -------
    matplotlib Axes
        One bar per number of sessions from 0 to the most attended (at least
        ``rule.sessions``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from implementere_kit.plans.intervention import DosageRule
    >>> rule = DosageRule(sessions=16, min_attendance=0.8)
    >>> s = pd.DataFrame({"n_attended": [16, 13, 12, 5]})
    >>> ax = attendance_histogram(s, rule, lang="en")
    >>> len(ax.patches), ax.lines[0].get_xdata()[0]
    (17, 13)
    >>> plt.close(ax.figure)
    """
    df = require(summary, ["n_attended"], "attendance_summary")
    _check_rule(rule)
    problems: list[Problem] = []
    k = numbers(df, "n_attended", "attendance_summary", problems)
    bad = ~np.isnan(k) & ((k < 0) | (k != np.round(k)))
    problems += row_problems(bad, pd.Series(k), message="not a count of sessions",
                             column="n_attended", expected="a whole number ≥ 0",
                             resource="attendance_summary")
    raise_if(problems)
    k = k[~np.isnan(k)].astype(int)
    top = max(rule.sessions, int(k.max()) if len(k) else 0)
    counts = np.bincount(k, minlength=top + 1)
    x = np.arange(top + 1)
    # No line where the practitioner decides completion: attendance alone says nothing.
    grad = rule.sessions_to_graduate
    ax = new_axes(ax, (8, 4))
    below = x < (grad if grad is not None else np.inf)
    ax.bar(x[below] + 0.05, counts[below], **{"width": 0.9, "align": "edge",
                                              "color": OKABE_ITO["orange"],
                                              "label": label("chart_not_graduated", lang),
                                              **kwargs})
    ax.bar(x[~below] + 0.05, counts[~below], **{"width": 0.9, "align": "edge", "color": GOOD,
                                                "label": label("chart_graduated", lang),
                                                **kwargs})
    if grad is not None:
        ax.axvline(grad, color="black", linestyle="--", linewidth=1.2,
                   label=label("chart_graduation_line", lang, n=grad))
    step = 1 if top <= 24 else 2
    ax.set_xticks(x[::step] + 0.5, [str(v) for v in x[::step]])
    ax.set_xlim(0, top + 1)
    ax.set_title(label("chart_attendance_title", lang))
    ax.set_xlabel(label("chart_sessions_attended", lang))
    ax.set_ylabel(label("chart_participants", lang))
    ax.legend(loc="upper left", fontsize=8)
    return ax


@localised_ticks
def dropout_chart(dropout_by_session_df: pd.DataFrame, ax=None, lang: str = "nb", **kwargs):
    """Drop-outs by the last session they attended, with the cumulative share.

    Bars count drop-outs per last session (on ``ax``); a step line on a twin axis (the
    figure's second axes) shows the share of all participants dropped out by then.

    Parameters
    ----------
    dropout_by_session_df : DataFrame
        The result of :func:`~implementere_kit.measures.fidelity.dropout_by_session`.
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to ``bar``.

    Returns
    -------
    matplotlib Axes
        The bar axes; the twin axes is ``ax.figure.axes[-1]``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> d = pd.DataFrame({"last_session": [0, 1, 2], "n_dropped_out": [1, 0, 2],
    ...                   "cumulative_share": [0.1, 0.1, 0.3]})
    >>> ax = dropout_chart(d, lang="nb")
    >>> [float(p.get_height()) for p in ax.patches], ax.get_xlabel()
    ([1.0, 0.0, 2.0], 'Siste økt deltatt')
    >>> plt.close(ax.figure)
    """
    df = require(dropout_by_session_df, ["last_session", "n_dropped_out", "cumulative_share"],
                 "dropout_by_session")
    problems: list[Problem] = []
    x = numbers(df, "last_session", "dropout_by_session", problems)
    h = numbers(df, "n_dropped_out", "dropout_by_session", problems)
    cum = numbers(df, "cumulative_share", "dropout_by_session", problems)
    raise_if(problems)
    ax = new_axes(ax, (8, 4))
    ax.bar(x, h, **{"color": HIGHLIGHT, "width": 0.8, "label": label("chart_n_dropouts", lang),
                    **kwargs})
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    twin = ax.twinx()
    twin.plot(x, cum, drawstyle="steps-mid", color=OKABE_ITO["blue"], linewidth=1.5,
              label=label("chart_cumulative_dropout", lang))
    top = np.nanmax(cum) if len(cum) and not np.isnan(cum).all() else 0.0
    twin.set_ylim(0, max(0.05, float(top) * 1.2))
    percent_axis(twin.yaxis)
    twin.set_ylabel(label("chart_cumulative_dropout", lang))
    ax.set_title(label("chart_dropout_title", lang))
    ax.set_xlabel(label("chart_last_session", lang))
    ax.set_ylabel(label("chart_n_dropouts", lang))
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right", fontsize=8)
    return ax
