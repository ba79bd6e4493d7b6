"""Outcomes in the lessons: survey waves compared honestly, reach per year, and two sites
side by side in RE-AIM.

- :func:`compare_waves` gives the change in a survey score between two waves with its 95 %
  confidence interval (paired when the same people answered both), so that a change of a
  few hundredths with a handful of respondents is not read as a finding;
- :func:`reach_by_year` lays out reach per year, so the learner can see which years
  belong in the denominator (none before the first family could enrol);
- :func:`reaim_side_by_side` and :func:`reaim_verdicts` put two sites' outcomes in
  RE-AIM's dimensions and say, per dimension, whether a site is ahead, behind, mixed or
  without data — computed from the numbers, never written in advance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value

__all__ = ["compare_waves", "reach_by_year", "reaim_side_by_side", "reaim_verdicts",
           "outcome_label", "VERDICTS"]

#: What :func:`reaim_verdicts` can say about a dimension.
VERDICTS = ("ahead", "behind", "level", "mixed", "no_data")


def compare_waves(scores: pd.DataFrame, scale: str, *, first=None, last=None,
                  respondent: str = "respondent_id", wave: str = "wave",
                  ci: float = 0.95) -> pd.DataFrame:
    """The change in a scale's mean score between two survey waves, with its interval.

    Parameters
    ----------
    scores : DataFrame
        Scores per respondent and wave, e.g. from
        :func:`~implementere_kit.measures.instruments.score_instrument`.
    scale : str
        The score column (``"appropriateness"``).
    first, last : optional
        The waves to compare (default the earliest and the latest).
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row: ``first``, ``last``, ``mean_first``, ``mean_last``, ``n_first``,
        ``n_last``, ``n_paired``, ``change`` (last − first), ``ci_low``, ``ci_high``,
        ``method`` (``paired`` when two or more people answered both waves, else
        ``welch``) and ``verdict``: ``rise`` or ``fall`` when the interval lies above or
        below 0, ``no_clear_change`` when it contains 0, ``too_few`` when no interval
        can be computed.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"respondent_id": list("abcdabcd"), "wave": [1] * 4 + [2] * 4,
    ...                   "x": [3.5, 3.75, 3.5, 3.75, 3.75, 3.5, 3.75, 3.75]})
    >>> compare_waves(s, "x")[["change", "n_paired", "verdict"]]
       change  n_paired          verdict
    0  0.0625         4  no_clear_change
    """
    from scipy import stats

    missing = [c for c in (respondent, wave, scale) if c not in scores.columns]
    if missing:
        raise ValidationError([Problem("column missing", resource="scores", column=c,
                                       expected=f"column {c}") for c in missing])
    df = scores[[respondent, wave, scale]].dropna(subset=[scale])
    waves = sorted(df[wave].unique())
    first = waves[0] if first is None and waves else first
    last = waves[-1] if last is None and waves else last
    if first is None or first == last:
        raise ValidationError([Problem("two different waves are needed", resource="scores",
                                       column=wave, found=safe_value(waves))])
    a = df[df[wave] == first].set_index(respondent)[scale]
    b = df[df[wave] == last].set_index(respondent)[scale]
    both = a.index.intersection(b.index)
    low = high = math.nan
    if len(both) >= 2:
        d = (b[both] - a[both]).to_numpy(dtype=float)
        change, method = float(d.mean()), "paired"
        se = d.std(ddof=1) / math.sqrt(len(d))
        q = stats.t.ppf(0.5 + ci / 2, len(d) - 1)
    else:
        change, method = float(b.mean() - a.mean()), "welch"
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        se = math.sqrt(va + vb) if len(a) > 1 and len(b) > 1 else math.nan
        dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else 1
        q = stats.t.ppf(0.5 + ci / 2, dof) if not math.isnan(se) else math.nan
    if not math.isnan(se):
        low, high = change - q * se, change + q * se
    verdict = ("too_few" if math.isnan(low) else "rise" if low > 0 else "fall" if high < 0
               else "no_clear_change")
    return pd.DataFrame([{"first": first, "last": last, "mean_first": float(a.mean()),
                          "mean_last": float(b.mean()), "n_first": len(a), "n_last": len(b),
                          "n_paired": len(both), "change": change, "ci_low": low,
                          "ci_high": high, "method": method, "verdict": verdict}])


def reach_by_year(project, *, as_of=None) -> pd.DataFrame:
    """Participants enrolled and eligible population per year, with reach per year.

    Parameters
    ----------
    project : Project
        A project with ``participants`` and ``eligible`` (by year) tables.
    as_of : date, optional
        Participants enrolled after it are left out.

    Returns
    -------
    DataFrame
        ``year`` (an integer), ``n_participants``, ``n_eligible`` and ``reach``.

    Examples
    --------
    >>> from implementere_kit.teaching import example_site
    >>> list(reach_by_year(example_site("903")).columns)
    ['year', 'n_participants', 'n_eligible', 'reach']
    """
    from ..measures.fidelity import reach

    parts = project.table("participants")
    if as_of is not None:
        parts = parts[parts["enrolled"] <= pd.Timestamp(as_of)]
    r = reach(parts, project.table("eligible"))
    r = r[r["period"].astype("string").str.fullmatch(r"\d{4}").fillna(False).astype(bool)]
    out = pd.DataFrame({"year": r["period"].astype(int).to_numpy(),
                        "n_participants": r["n_participants"].astype("int64").to_numpy(),
                        "n_eligible": r["n_eligible"].astype("int64").to_numpy()})
    out["reach"] = out["n_participants"] / out["n_eligible"].where(out["n_eligible"] > 0)
    return out.sort_values("year").reset_index(drop=True)


def reaim_side_by_side(projects: Mapping[str, object], *, as_of=None,
                       lang: str = "en") -> pd.DataFrame:
    """Implementation outcomes of several sites in RE-AIM's dimensions, one column each.

    Parameters
    ----------
    projects : mapping
        ``{column name: Project}``, e.g. ``{"Havnstrup": havnstrup, "Bøgely": bogely}``.
    as_of : date, optional
        Passed to :func:`~implementere_kit.measures.outcomes.implementation_outcomes`.
    lang : {"nb", "da", "en"}
        Language of the ``label`` column.

    Returns
    -------
    DataFrame
        ``dimension``, ``outcome``, ``label`` (the outcome in ``lang``) and one value
        column per site, in RE-AIM's order.
    """
    from ..measures.outcomes import implementation_outcomes, reaim_summary

    if not projects:
        raise ValidationError([Problem("no projects given", resource="projects",
                                       expected="a mapping of names to projects")])
    columns = {}
    for name, project in projects.items():
        r = reaim_summary(implementation_outcomes(project, as_of=as_of))
        columns[name] = r.set_index(["dimension", "outcome"])["value"]
    # Every site has the same rows, in RE-AIM's order (reaim_summary sorts them).
    table = pd.DataFrame(columns).reset_index()
    table.insert(2, "label", [outcome_label(o, lang) for o in table["outcome"]])
    return table.reset_index(drop=True)


def outcome_label(outcome: str, lang: str = "en") -> str:
    """An implementation outcome's name in ``lang`` (the toolkit's labels; effectiveness,
    which the toolkit does not compute, from the lessons' messages).

    Examples
    --------
    >>> outcome_label("reach", "nb"), outcome_label("effectiveness", "da")
    ('Rekkevidde', 'Effekt')
    """
    from ..i18n import t
    from .feedback import message

    text = t(f"outcome_{outcome}", lang)
    return text if text != f"outcome_{outcome}" else message(f"outcome_{outcome}", lang)


def reaim_verdicts(table: pd.DataFrame, site: str, reference: str, *,
                   lang: str = "en") -> pd.DataFrame:
    """Per RE-AIM dimension: is ``site`` ahead of, behind or level with ``reference``?

    Parameters
    ----------
    table : DataFrame
        From :func:`reaim_side_by_side`.
    site, reference : str
        Two of its value columns.
    lang : {"nb", "da", "en"}
        Language of the numbers in ``outcomes``.

    Returns
    -------
    DataFrame
        Indexed by dimension (RE-AIM's order, antecedents left out): ``verdict`` — ``ahead``
        or ``behind`` when every outcome with data in both points the same way, ``level``
        when all are equal, ``mixed`` otherwise, ``no_data`` when no outcome has data for
        both — and ``outcomes``, the comparisons it rests on (``site`` ↔ ``reference``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"dimension": ["Reach", "Adoption", "Adoption"],
    ...                   "outcome": ["reach", "adoption", "penetration"],
    ...                   "A": [0.2, 0.5, 0.3], "B": [0.1, 0.6, 0.1]})
    >>> reaim_verdicts(t, "A", "B")["verdict"].tolist()
    ['ahead', 'mixed']
    """
    from .feedback import fnum

    rows = {}
    for dim, g in table[table["dimension"] != "Antecedents"].groupby("dimension", sort=False):
        a, b = g[site].astype(float).to_numpy(), g[reference].astype(float).to_numpy()
        ok = ~(np.isnan(a) | np.isnan(b))
        signs = np.sign(np.round(a[ok] - b[ok], 9))
        names = (g["label"] if "label" in g else g["outcome"])[ok]
        parts = [f"{o} {fnum(x, lang)} ↔ {fnum(y, lang)}"
                 for o, x, y in zip(names, a[ok], b[ok], strict=True)]
        if not ok.any():
            verdict = "no_data"
        elif (signs > 0).all():
            verdict = "ahead"
        elif (signs < 0).all():
            verdict = "behind"
        elif (signs == 0).all():
            verdict = "level"
        else:
            verdict = "mixed"
        rows[dim] = {"verdict": verdict, "outcomes": "; ".join(parts)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "dimension"
    return out
