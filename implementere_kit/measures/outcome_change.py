"""Change in family outcomes from before to after the intervention, per instrument and scale.

:func:`outcome_change` reads ``outcome_scores`` (long form: one row per participant,
instrument, informant, scale and wave) and compares each participant's ``pre`` score with
their ``post`` (and ``follow_up``) score on the same scale, from the same informant:

``mean_change``
    mean of post − pre, with the paired t interval;
``hedges_g_av`` (default) or ``cohens_d_z``
    the standardised change with its interval (:mod:`implementere_kit.measures.change`);
``share_reliably_improved``
    the share whose change is reliable and in the better direction (Jacobson & Truax's RC,
    using the scale's published reliability), with a Wilson interval; every row also
    carries the counts improved / unchanged / deteriorated.

Signs follow the scale: on a stress or problem scale (``higher_is_better: false``) a fall
is an improvement, and the estimates stay in score units (a fall is negative). A pre–post
change without a comparison group is not an effect of the intervention: the result says
so in ``attrs["design"]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, UnknownNameError, ValidationError, safe_value
from ..store.tables import validate_table
from .change import EFFECT_SIZES, paired_change, paired_effect_size, reliable_change
from .family_outcomes import WAVES, OutcomeInstrument, load_outcome_instrument

__all__ = ["outcome_change", "participant_change", "DESIGN_NOTE"]

DESIGN_NOTE = ("pre–post comparison in the same families without a comparison group: "
               "change over time, not an estimate of the intervention's effect")
_COLUMNS = ["instrument", "informant", "scale", "wave_from", "wave_to", "statistic",
            "estimate", "ci_low", "ci_high", "n", "mean_pre", "mean_post", "sd_pre",
            "sd_post", "r_pre_post", "higher_is_better", "reliability", "reliability_kind",
            "reliability_source", "rci_sd", "rci_sd_source", "rci_threshold", "n_improved",
            "n_unchanged", "n_deteriorated", "note"]


def _scores(source) -> pd.DataFrame:
    """``outcome_scores`` of a project (object or folder), or the table itself."""
    if isinstance(source, pd.DataFrame):
        return validate_table(source, "outcome_scores")
    from ..store.project import Project

    if isinstance(source, Project):
        return source.table("outcome_scores")
    if isinstance(source, str | Path):
        return Project.open(source).table("outcome_scores")
    raise ValidationError([Problem("expected a project or an outcome_scores table",
                                   column="project", expected="Project, folder or DataFrame",
                                   found=type(source).__name__)])


def _instruments(instrument, present) -> dict[str, OutcomeInstrument | None]:
    """{id: definition or None (unknown)} for the instruments to report on."""
    if instrument is None:
        out = {}
        for name in present:
            try:
                out[name] = load_outcome_instrument(name)
            except (UnknownNameError, ValidationError):
                out[name] = None  # reported without reliable change
        return out
    items = instrument if isinstance(instrument, list | tuple) else [instrument]
    out = {}
    for it in items:
        if not isinstance(it, str | Path | OutcomeInstrument):
            raise ValidationError([Problem("instrument not understood", column="instrument",
                                           expected="an id, a .yaml path or an instrument",
                                           found=safe_value(it))])
        inst = load_outcome_instrument(it)
        out[inst.id] = inst
    return out


def participant_change(scores: pd.DataFrame, inst: OutcomeInstrument | None, scale: str,
                       wave_to: str = "post") -> pd.DataFrame:
    """Each participant's pre and ``wave_to`` score on one scale and their reliable change.

    ``scores`` are the rows of one instrument and informant. Returns ``participant_id``,
    ``site``, ``pre``, ``post``, ``change``, ``rc`` and ``category`` (NaN/None when the
    instrument or its reliability is unknown); ``attrs`` as in
    :func:`~implementere_kit.measures.change.reliable_change`.
    """
    rows = scores[(scores["scale"] == scale) & scores["wave"].isin(["pre", wave_to])]
    wide = rows.pivot_table(index=["participant_id", "site"], columns="wave", values="score",
                            aggfunc="first").reindex(columns=["pre", wave_to])
    wide = wide.dropna().reset_index()
    spec = inst.scales.get(scale) if inst is not None else None
    if spec is None or spec.reliability is None or len(wide) == 0:
        rc = pd.DataFrame({"pre": wide["pre"], "post": wide[wave_to],
                           "change": wide[wave_to] - wide["pre"], "rc": np.nan,
                           "category": pd.array([None] * len(wide), dtype="string")})
    else:
        rc = reliable_change(wide["pre"], wide[wave_to], spec.reliability, sd=spec.sd,
                             higher_is_better=spec.higher_is_better)
    out = pd.concat([wide[["participant_id", "site"]], rc.reset_index(drop=True)], axis=1)
    out.attrs = dict(rc.attrs)
    return out


def outcome_change(project, instrument=None, *, effect_size: str = "g_av",
                   level: float = 0.95) -> pd.DataFrame:
    """Change from ``pre`` to ``post`` (and ``follow_up``) per instrument and scale.

    Parameters
    ----------
    project : Project, folder or DataFrame
        A project (its ``outcome_scores``) or an ``outcome_scores`` table.
    instrument : str, path, OutcomeInstrument or list, optional
        Which instruments; default every instrument in the data. An instrument the
        toolkit does not know (and no definition is given for) gets mean change and
        effect size but no reliable change, with a note.
    effect_size : {"g_av", "d_z"}
        Hedges' g_av (bias-corrected, on the between-groups scale) or Cohen's d_z.
    level : float
        Confidence level of every interval.

    Returns
    -------
    DataFrame
        Three rows per instrument, informant, scale and comparison (``wave_from`` →
        ``wave_to``): ``statistic`` ``mean_change``, ``hedges_g_av`` (or ``cohens_d_z``)
        and ``share_reliably_improved``, each with ``estimate``, ``ci_low``, ``ci_high``;
        and on every row ``n`` (complete pairs), ``mean_pre``, ``mean_post``, ``sd_pre``,
        ``sd_post``, ``r_pre_post``, the scale's direction and reliability with its source,
        the SD used for the reliable change index and where it comes from, the smallest
        reliable change in points (``rci_threshold``), ``n_improved``, ``n_unchanged``,
        ``n_deteriorated`` and a ``note``. ``attrs["design"]`` states that a pre–post
        change is not an effect estimate.

    Examples
    --------
    >>> import pandas as pd
    >>> pre, post = [60, 55, 70, 48, 66, 59], [48, 50, 52, 47, 60, 49]
    >>> scores = pd.DataFrame({
    ...     "participant_id": [f"f{i}" for i in range(6)] * 2, "site": "901",
    ...     "instrument": "pss", "informant": "foster_carer", "scale": "total",
    ...     "wave": ["pre"] * 6 + ["post"] * 6, "score": pre + post})
    >>> res = outcome_change(scores)
    >>> res.set_index("statistic")["estimate"].round(2).to_dict()
    {'mean_change': -8.67, 'hedges_g_av': -1.28, 'share_reliably_improved': 0.5}
    >>> res[["n_improved", "n_unchanged", "n_deteriorated"]].iloc[0].tolist()
    [3, 3, 0]
    """
    from statsmodels.stats.proportion import proportion_confint

    if effect_size not in EFFECT_SIZES:
        raise ValidationError([Problem("unknown effect size", column="effect_size",
                                       expected=" or ".join(EFFECT_SIZES),
                                       found=safe_value(effect_size))])
    scores = _scores(project)
    chosen = _instruments(instrument, list(dict.fromkeys(scores["instrument"].dropna())))
    rows = []
    for name, inst in chosen.items():
        mine = scores[scores["instrument"] == name]
        informants = mine["informant"].astype("object").where(mine["informant"].notna(), "")
        for (informant, scale), part in mine.groupby([informants, mine["scale"]], sort=True):
            spec = inst.scales.get(scale) if inst is not None else None
            for wave_to in WAVES[1:]:
                if not (part["wave"] == wave_to).any():
                    continue
                pc = participant_change(part, inst, scale, wave_to)
                rows += _rows(pc, inst, spec, name, informant, scale, wave_to, effect_size,
                              level, proportion_confint)
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["informant"] = out["informant"].replace("", pd.NA)
    out.attrs.update(design=DESIGN_NOTE, effect_size=EFFECT_SIZES[effect_size], level=level)
    return out


def _rows(pc, inst, spec, name, informant, scale, wave_to, effect_size, level, confint):
    pre, post = pc["pre"].to_numpy(float), pc["post"].to_numpy(float)
    n = len(pc)
    mean = paired_change(pre, post, level)
    es = paired_effect_size(pre, post, effect_size, level)
    notes = []
    if inst is None:
        notes.append("instrument not known to the toolkit: no reliability or direction, so "
                     "no reliable change")
    elif spec is None:
        notes.append(f"scale not in the definition of {name}: no reliable change")
    if n < 3:
        notes.append("fewer than three complete pairs")
    counts = pc["category"].value_counts()
    n_imp, n_unch, n_det = (int(counts.get(k, 0)) for k in ("improved", "unchanged",
                                                             "deteriorated"))
    judged = n_imp + n_unch + n_det
    if judged:
        lo, hi = confint(n_imp, judged, alpha=1 - level, method="wilson")
        share = (n_imp / judged, float(lo), float(hi))
    else:
        share = (math.nan, math.nan, math.nan)
    r = float(np.corrcoef(pre, post)[0, 1]) if n >= 3 and pre.std() > 0 and post.std() > 0 \
        else math.nan
    rel = spec.reliability if spec is not None else None
    from_norm = spec is not None and spec.sd is not None
    common = {
        "instrument": name, "informant": informant, "scale": scale, "wave_from": "pre",
        "wave_to": wave_to, "n": n, "mean_pre": pre.mean() if n else math.nan,
        "mean_post": post.mean() if n else math.nan,
        "sd_pre": pre.std(ddof=1) if n > 1 else math.nan,
        "sd_post": post.std(ddof=1) if n > 1 else math.nan, "r_pre_post": r,
        "higher_is_better": spec.higher_is_better if spec is not None else pd.NA,
        "reliability": rel if rel is not None else math.nan,
        "reliability_kind": spec.reliability_kind if spec is not None else pd.NA,
        "reliability_source": spec.reliability_source if spec is not None else pd.NA,
        "rci_sd": pc.attrs.get("sd", math.nan) if rel is not None else math.nan,
        "rci_sd_source": (pd.NA if rel is None else spec.sd_source if from_norm
                          else "standard deviation of the pre scores (Jacobson & Truax 1991)"),
        "rci_threshold": pc.attrs.get("threshold", math.nan) if rel is not None else math.nan,
        "n_improved": n_imp, "n_unchanged": n_unch, "n_deteriorated": n_det,
        "note": "; ".join(notes) or pd.NA}
    return [{**common, "statistic": s, "estimate": est, "ci_low": lo, "ci_high": hi}
            for s, est, lo, hi in (("mean_change", mean.estimate, mean.ci_low, mean.ci_high),
                                   (es.statistic, es.estimate, es.ci_low, es.ci_high),
                                   ("share_reliably_improved", *share))]
