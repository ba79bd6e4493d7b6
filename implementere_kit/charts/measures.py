"""Charts of measures: funnel plots against the network, score distributions, reliability.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185–1202. https://doi.org/10.1002/sim.1970

Socialstyrelsen (DK). Udvælgelseskriterier for validerede måleredskaber (ICC and kappa
> 0.60, Cronbach's alpha > 0.70).
https://socialstyrelsen.dk/tvaergaende-omrader/socialstyrelsens-viden/validerede-maleredskaber-1/udvaelgelseskriterier-test
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import Problem, UnknownNameError, ValidationError
from ._base import (
    GOOD,
    GREY,
    HIGHLIGHT,
    OKABE_ITO,
    PALETTE,
    column_label,
    label,
    localised_ticks,
    new_axes,
    numbers,
    percent_axis,
    raise_if,
    require,
)

__all__ = ["funnel_plot", "score_distribution", "reliability_chart", "indicator_label",
           "intervention_label"]


def indicator_label(indicator: str, lang: str) -> str:
    """A measure's name for people: the catalogue's label (the id of anything else)."""
    from ..measures.catalogue import measures

    m = measures().get(indicator)
    return m.label(lang) if m is not None else str(indicator)


def intervention_label(intervention: str, lang: str) -> str:
    """An intervention's name in ``lang`` (its id when the toolkit does not ship it)."""
    from ..errors import ImplementereError
    from ..plans.intervention import load_intervention

    try:
        return load_intervention(str(intervention)).label(lang)
    except ImplementereError:
        return str(intervention)


@localised_ticks
def funnel_plot(benchmarks: pd.DataFrame, indicator: str, highlight: str | None = None,
                ax=None, lang: str = "nb", period: str | None = None,
                intervention: str | None = None, month: str | None = None, **kwargs):
    """Funnel plot of one measure for the sites of one intervention: each site's value
    against its denominator, with the network's control limits.

    Points are (denominator, value) per site. For shares the network value p₀ is drawn as
    a line with the 95 % and 99.8 % control limits p₀ ± z·sqrt(p₀(1 − p₀)/n) over a grid
    of n, so a small site's value is judged against the noise its size brings. Other
    measures (means, days) get the network line only. KEEP and FFT sites are never in one
    plot: with several interventions in ``benchmarks``, say which.

    Parameters
    ----------
    benchmarks : DataFrame
        :meth:`NetworkStore.benchmarks` or the ``benchmarks`` table of a share-back
        package (``site``, ``indicator``, ``value``, ``network_value``, and ``denominator``
        or ``n``; ``site_name``, ``intervention`` and ``period`` are used when present).
    indicator : str
        A catalogue measure id, e.g. ``"completion"``, ``"dropout"``, ``"adherence"``.
    highlight : str, optional
        The site to mark (the reader's own municipality).
    period : str, optional
        ``"YYYY"`` or ``"YYYY-MM"`` to plot one period; default the whole period.
    intervention : str, optional
        The intervention whose sites to plot (needed when there are several).
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to the ``scatter`` of the other sites.

    Returns
    -------
    matplotlib Axes
        Lines: network value, then lower/upper 95 %, then lower/upper 99.8 % limits.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> b = pd.DataFrame({"site": ["101", "147", "151"], "indicator": "dropout",
    ...                   "n": [20, 80, 40], "value": [0.3, 0.1, 0.15],
    ...                   "network_value": 0.15, "intervention": "keep"})
    >>> ax = funnel_plot(b, "dropout", highlight="101", lang="en")
    >>> len(ax.lines), ax.get_title()
    (5, 'Funnel plot: Drop-out (KEEP – support and training for foster and kinship carers)')
    >>> plt.close(ax.figure)
    """
    from ..exchange.indicators import site_key
    from ..measures.catalogue import measures
    from ..measures.control import Z95, Z998, funnel_limits

    df = require(benchmarks, ["site", "indicator", "value", "network_value"], "benchmarks")
    rows = df[df["indicator"] == indicator]
    period = period or month
    col = "period" if "period" in rows else "month" if "month" in rows else None
    if col is not None:
        whole = rows[col].isna() | (rows[col].astype(str) == "all")
        rows = rows[whole] if period is None else rows[rows[col].astype(str) == period]
    if "intervention" in rows:
        found = sorted(rows["intervention"].dropna().astype(str).unique())
        if intervention is None and len(found) > 1:
            raise ValidationError([Problem("sites of several interventions in one funnel plot",
                                           resource="benchmarks", column="intervention",
                                           expected="intervention= one of " + ", ".join(found))])
        intervention = intervention or (found[0] if found else None)
        rows = rows[rows["intervention"].astype(str) == str(intervention)]
    if rows.empty:
        known = sorted(df["indicator"].dropna().astype(str).unique())
        raise UnknownNameError("indicator" + (f" in period {period}" if period else ""),
                               indicator, known)
    rows = rows.loc[site_key(rows["site"]).sort_values(kind="stable").index].reset_index(
        drop=True)
    problems: list[Problem] = []
    n = numbers(rows, "denominator" if "denominator" in rows else "n", "benchmarks", problems)
    v = numbers(rows, "value", "benchmarks", problems)
    net = numbers(rows, "network_value", "benchmarks", problems)
    raise_if(problems)
    sites = rows["site"].astype(str).to_numpy()
    names = (rows["site_name"].fillna("").astype(str).to_numpy() if "site_name" in rows
             else np.full(len(rows), ""))
    shown = np.array([f"{s} {m}".strip() for s, m in zip(sites, names, strict=True)])
    if highlight is not None and str(highlight) not in set(sites):
        raise UnknownNameError(f"site with {indicator} figures", highlight, set(sites))
    ok = ~np.isnan(n) & ~np.isnan(v)
    ax = new_axes(ax, (7, 4.5))
    m = measures().get(indicator)
    is_prop = m.is_share if m is not None else False
    p0 = net[~np.isnan(net)][0] if (~np.isnan(net)).any() else np.nan
    n_max = float(np.nanmax(n[ok])) if ok.any() else 10.0
    grid = np.linspace(1.0, max(n_max * 1.15, 10.0), 300)
    if not np.isnan(p0):
        ax.plot(grid, np.full_like(grid, p0), color="black", linewidth=1.2,
                label=label("chart_network", lang))
        if is_prop:
            for z, style, key in ((Z95, "--", "chart_limit95"), (Z998, ":", "chart_limit998")):
                lo, hi = funnel_limits(p0, grid, z)
                ax.plot(grid, lo, color=GREY, linestyle=style, label=label(key, lang))
                ax.plot(grid, hi, color=GREY, linestyle=style)
    mine = ok & (sites == str(highlight)) if highlight is not None else np.zeros(len(ok), bool)
    others = ok & ~mine
    if others.any():  # a share-back package holds the reader's own site only
        name = label("chart_other_sites" if highlight is not None else "col_sites", lang)
        ax.scatter(n[others], v[others], **{"color": OKABE_ITO["blue"], "s": 30, "zorder": 3,
                                            "label": name, **kwargs})
        if highlight is None and others.sum() <= 30:  # the network's view: name every site
            for x, y, s in zip(n[others], v[others], shown[others], strict=True):
                ax.annotate(s, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7)
    if mine.any():
        ax.scatter(n[mine], v[mine], color=HIGHLIGHT, marker="D", s=80, zorder=4,
                   edgecolors="black", label=shown[mine][0])
        ax.annotate(shown[mine][0], (n[mine][0], v[mine][0]), xytext=(6, 6),
                    textcoords="offset points", fontsize=9, color=HIGHLIGHT)
    if is_prop:
        ax.set_ylim(0, 1.02)
        percent_axis(ax.yaxis)
    ax.set_xlim(0, grid[-1])
    title = indicator_label(indicator, lang)
    ax.set_title(label("chart_funnel_title_iv", lang, indicator=title,
                       intervention=intervention_label(intervention, lang))
                 if intervention is not None else label("chart_funnel_title", lang,
                                                        indicator=title))
    ax.set_xlabel(label("chart_n", lang))
    ax.set_ylabel(title)
    if ax.get_legend_handles_labels()[0]:  # nothing to explain when nothing is drawn
        ax.legend(loc="best", fontsize=8)
    return ax


@localised_ticks
def score_distribution(scores: pd.DataFrame, scale: str, by: Sequence[str] = ("site", "wave"),
                       ax=None, lang: str = "nb", instrument=None, **kwargs):
    """Box plots of one instrument scale's scores per group (by default site and wave).

    Parameters
    ----------
    scores : DataFrame
        The result of :func:`~implementere_kit.measures.instruments.score_instrument`.
    scale : str
        The scale column to plot (e.g. ``"acceptability"``).
    by : sequence of str
        Grouping columns present in ``scores``; one box per group with scores. Columns
        of ``by`` missing from ``scores`` are ignored, so a single-site table works.
    instrument : str or Instrument, optional
        Gives the scale's label and the answer range for the y axis.
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to ``boxplot``.

    Returns
    -------
    matplotlib Axes
        One box (a patch) per group.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> s = pd.DataFrame({"site": "903", "wave": [1, 1, 2, 2], "acceptability": [3, 4, 4, 5]})
    >>> ax = score_distribution(s, "acceptability", instrument="aim", lang="en")
    >>> len(ax.patches), [t.get_text() for t in ax.get_xticklabels()]
    (2, ['903 / 1', '903 / 2'])
    >>> plt.close(ax.figure)
    """
    df = require(scores, [scale], "scores")
    keys = [c for c in by if c in df.columns]
    problems: list[Problem] = []
    df = df.assign(_score=numbers(df, scale, "scores", problems))
    raise_if(problems)
    groups = ([(k if isinstance(k, tuple) else (k,), g["_score"].dropna().to_numpy())
               for k, g in df.groupby(keys, sort=True)] if keys
              else [((), df["_score"].dropna().to_numpy())])
    groups = [(k, v) for k, v in groups if len(v)]
    if not groups:
        raise ValidationError([Problem("no scores to plot", resource="scores", column=scale,
                                       expected="at least one score")])
    inst = None
    if instrument is not None:
        from ..measures.instruments import load_instrument

        inst = load_instrument(instrument)
    scale_name = inst.scale_label(scale, lang) if inst is not None else column_label(scale, lang)
    ax = new_axes(ax, (max(5.0, 1 + 0.7 * len(groups)), 4))
    pos = np.arange(1, len(groups) + 1)
    parts = ax.boxplot([v for _, v in groups], positions=pos, widths=0.6,
                       **{"patch_artist": True, **kwargs})
    last = [k[-1] if k else "" for k, _ in groups]
    colours = {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(dict.fromkeys(last))}
    for box, v in zip(parts["boxes"], last, strict=True):
        box.set_facecolor(colours[v])
        box.set_alpha(0.8)
    for med in parts["medians"]:
        med.set_color("black")
    ax.set_xticks(pos, [" / ".join(map(str, k)) for k, _ in groups])
    if inst is not None:
        pad = 0.05 * (inst.max - inst.min)
        ax.set_ylim(inst.min - pad, inst.max + pad)
    ax.set_title(label("chart_scores_title", lang, scale=scale_name))
    ax.set_xlabel(" / ".join(column_label(c, lang) for c in keys))
    ax.set_ylabel(scale_name)
    return ax


@localised_ticks
def reliability_chart(table: pd.DataFrame, ax=None, lang: str = "nb", **kwargs):
    """Reliability estimates with confidence intervals and the criterion each must pass.

    Parameters
    ----------
    table : DataFrame
        :func:`~implementere_kit.measures.reliability.reliability_table` (``value``, ``ci_low``,
        ``ci_high``, ``criterion``; ``meets_criterion``, ``statistic`` and ``ci_level``
        are used when present). Row labels are the index when it is not a plain range
        (the measure names), else ``statistic``.
    ax : matplotlib Axes, optional
    lang : {"nb", "da", "en"}
    **kwargs
        Passed to ``errorbar``.

    Returns
    -------
    matplotlib Axes
        One marker per row (green when it meets its criterion, red when not) with its CI,
        and a short dashed vertical segment at each row's criterion.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from implementere_kit.measures.reliability import ReliabilityResult, reliability_table
    >>> tab = reliability_table({"FIMP": ReliabilityResult("ICC(2,1)", 0.72, 0.55, 0.84,
    ...                                                    criterion=0.6)})
    >>> ax = reliability_chart(tab, lang="en")
    >>> ax.collections[-1].get_segments()[0][0].tolist()  # the criterion at x = 0.6
    [0.6, -0.4]
    >>> plt.close(ax.figure)
    """
    df = require(table, ["value", "ci_low", "ci_high", "criterion"], "reliability_table")
    problems: list[Problem] = []
    value, lo, hi, crit = (numbers(df, c, "reliability_table", problems)
                           for c in ("value", "ci_low", "ci_high", "criterion"))
    raise_if(problems)
    if isinstance(table.index, pd.RangeIndex) and "statistic" in df:
        names = df["statistic"].astype(str).tolist()
    elif not isinstance(table.index, pd.RangeIndex):
        names = [str(i) + (f" ({s})" if "statistic" in df else "")
                 for i, s in zip(table.index, df.get("statistic", [""] * len(df)), strict=True)]
    else:
        names = [str(i + 1) for i in range(len(df))]
    meets = (df["meets_criterion"].fillna(False).astype(bool).to_numpy()
             if "meets_criterion" in df else value > crit)
    level = float(df["ci_level"].iloc[0]) if "ci_level" in df and len(df) else 0.95
    k = len(df)
    y = np.arange(k)[::-1].astype(float)
    ax = new_axes(ax, (7, 1.5 + 0.55 * k))
    xerr = np.vstack([np.nan_to_num(value - lo), np.nan_to_num(hi - value)])
    ax.errorbar(value, y, xerr=np.clip(xerr, 0, None), **{"fmt": "none", "ecolor": "black",
                                                          "capsize": 4, **kwargs})
    ax.scatter(value, y, c=[GOOD if m else HIGHLIGHT for m in meets], s=60, zorder=3,
               edgecolors="black")
    has = ~np.isnan(crit)
    ax.vlines(crit[has], y[has] - 0.4, y[has] + 0.4, colors="black", linestyles="--",
              label=label("chart_criterion", lang))
    # Estimates or CI bounds can be ±inf or far below zero (α of a tiny sample): keep the
    # axis on the finite part and no lower than −1, where nothing is worth reading anyway.
    shown = np.concatenate([lo, value, [0.0]])
    low = max(float(np.min(shown[np.isfinite(shown)])), -1.0)
    ax.set_xlim(min(0.0, low - 0.05), 1.0)
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_yticks(y, names)
    ax.set_title(label("chart_reliability_title", lang))
    ax.set_xlabel(label("chart_estimate_ci", lang, ci=f"{level * 100:g}"))
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="", color=GOOD,
                      label=label("chart_meets", lang)),
               Line2D([], [], marker="o", linestyle="", color=HIGHLIGHT,
                      label=label("chart_below", lang)),
               Line2D([], [], color="black", linestyle="--", label=label("chart_criterion", lang))]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    return ax
