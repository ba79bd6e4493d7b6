"""Which components matter: dose and component delivery per participant, against the
change in their outcome.

:func:`participant_exposure` gives each participant the dose they received and the
delivery of each component, built from the toolkit's own measures so there is one
definition of each: dose and graduation from
:func:`~implementere_kit.measures.fidelity.attendance_summary` (sessions attended ÷
planned), delivery from :func:`~implementere_kit.measures.adherence_competence.adherence`
(checklist credit yes 1, partly ½, no 0) of the fidelity-checked sessions of the
participant's group or case — by default only the sessions the participant attended
(``received="attended"``), or all of them (``received="group"``).

:func:`component_analysis` sets the change on the instrument's primary scale, turned so
that a positive value is an improvement, against dose and delivery: one model with dose,
one adding the core components' adherence, and one per component adding that component's
adherence; every model adjusts for the score before (``pre_score``). With three or more
sites the site is a random intercept (statsmodels ``MixedLM``, REML, Wald intervals);
with one or two sites there is no between-site variance to estimate, so it is ordinary
least squares with HC3 robust standard errors (site as a fixed effect with two). The
design is observational — families were not assigned doses or component delivery — and
the output says so, in ``attrs["design"]`` and in the ``design`` column.

References
----------
Carroll C, Patterson M, Wood S, et al. (2007). A conceptual framework for implementation
fidelity. Implementation Science 2:40 (adherence and dose as fidelity).
Socialstyrelsen, Tidlig Indsats – Livslang Effekt, "Implementering": the evaluations ask
which parts of a method must be present for it to work and which may be adapted.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ._site_data import SiteData, site_data
from .adherence_competence import adherence
from .fidelity import attendance_summary

__all__ = ["participant_exposure", "component_data", "component_analysis", "DESIGN", "RECEIVED",
           "METHODS"]

DESIGN = "observational"
DESIGN_NOTE = ("observational: doses and component delivery were not assigned at random, so "
               "an association may reflect who got more (or better) delivery, not its effect")
RECEIVED = ("attended", "group")
#: How a model was fitted (``method_id`` → ``method``); labels for people are the locale
#: keys ``method_<id>``.
METHODS = {
    "mixedlm": "MixedLM, site random intercept (REML)",
    "ols_fallback": "OLS with HC3 robust SE, site fixed effects: MixedLM gave no standard "
                    "errors (site variance at zero)",
    "ols_two_sites": "OLS with HC3 robust SE, site fixed effect: two sites are too few for a "
                     "site variance",
    "ols_one_site": "OLS with HC3 robust SE: one site, no site variance to estimate",
}
_TABLES = ["participants", "attendance", "fidelity_checks", "outcome_scores"]
_COLUMNS = ["intervention", "instrument", "scale", "model", "term", "component", "kind",
            "estimate", "ci_low", "ci_high", "p", "n", "n_sites", "method", "method_id",
            "design", "note"]


def _site_exposure(s: SiteData, received: str) -> pd.DataFrame:
    iv = s.intervention
    parts, att = s.table("participants"), s.table("attendance")
    if iv is None or iv.dosage is None or parts.empty or att.empty:
        return pd.DataFrame()
    summary = attendance_summary(att, iv.dosage, parts)
    out = summary[["participant_id", "site", "group_id", "n_attended", "attendance_rate",
                   "graduated"]].rename(columns={"attendance_rate": "dose"})
    checks = s.table("fidelity_checks")
    known = {c.id for c in iv.components}
    checks = checks[checks["component"].isin(known)] if len(checks) else checks
    if checks.empty:
        return out.assign(core_adherence=np.nan)
    thr = iv.fidelity_threshold
    if received == "group":
        per = adherence(checks, thr, by=("group_id", "component"))
        wide = per.pivot(index="group_id", columns="component", values="adherence")
        core = adherence(checks, thr, by=("group_id",), intervention=iv)
        wide["core_adherence"] = core.set_index("group_id")["core_adherence"]
        return out.merge(_prefixed(wide).reset_index(), on="group_id", how="left")
    per = adherence(checks, thr, by=("group_id", "session_no", "component"))
    core = adherence(checks, thr, by=("group_id", "session_no"), intervention=iv)
    seen = att.loc[att["attended"].astype(bool), ["participant_id", "session_no"]]
    seen = seen.merge(out[["participant_id", "group_id"]], on="participant_id")
    comp = seen.merge(per, on=["group_id", "session_no"]).pivot_table(
        index="participant_id", columns="component", values="adherence", aggfunc="mean")
    comp["core_adherence"] = seen.merge(core, on=["group_id", "session_no"]).groupby(
        "participant_id")["core_adherence"].mean()
    return out.merge(_prefixed(comp).reset_index(), on="participant_id", how="left")


def _prefixed(wide: pd.DataFrame) -> pd.DataFrame:
    wide = wide.rename(columns={c: f"adherence_{c}" for c in wide.columns
                                if c != "core_adherence"})
    wide.columns.name = None
    return wide


def participant_exposure(source, *, received: str = "attended") -> pd.DataFrame:
    """Dose received and delivery of each component, one row per participant.

    Parameters
    ----------
    source : Project, folder, list of them, NetworkStore or ``*.duckdb`` path
    received : {"attended", "group"}
        Delivery over the checked sessions the participant attended, or over all checked
        sessions of their group or case.

    Returns
    -------
    DataFrame
        ``participant_id``, ``site``, ``group_id``, ``intervention``, ``n_attended``,
        ``dose`` (attendance rate), ``graduated``, ``core_adherence`` and one
        ``adherence_<component>`` column per component checked. NaN where no checked
        session reached the participant.

    Examples
    --------
    >>> from implementere_kit.report import demo_project_folder
    >>> e = participant_exposure(demo_project_folder())
    >>> {"dose", "core_adherence", "adherence_role_play"} <= set(e.columns)
    True
    """
    if received not in RECEIVED:
        raise ValidationError([Problem("unknown kind of delivery", column="received",
                                       expected=" or ".join(RECEIVED),
                                       found=safe_value(received))])
    frames = []
    for s in site_data(source, _TABLES):
        e = _site_exposure(s, received)
        if len(e):
            frames.append(e.assign(intervention=s.intervention_id))
    if not frames:
        return pd.DataFrame(columns=["participant_id", "site", "group_id", "intervention",
                                     "n_attended", "dose", "graduated", "core_adherence"])
    out = pd.concat(frames, ignore_index=True)
    first = ["participant_id", "site", "group_id", "intervention", "n_attended", "dose",
             "graduated", "core_adherence"]
    return out[first + sorted(c for c in out.columns if c not in first)]


def _ols(y, exog, site, level, reason: str):
    import statsmodels.api as sm

    if len(np.unique(site)) >= 2:
        fixed = pd.get_dummies(pd.Series(site, index=exog.index), prefix="site",
                               drop_first=True, dtype=float)
        exog = pd.concat([exog, fixed], axis=1)
    res = sm.OLS(y, exog).fit(cov_type="HC3")
    return res.params, res.conf_int(alpha=1 - level), res.pvalues, reason


def _fit(y: np.ndarray, X: pd.DataFrame, site: np.ndarray, level: float):
    """Estimates, intervals and p-values of ``X``'s columns, the method used, and a note."""
    import statsmodels.api as sm
    from scipy import stats

    n_sites = len(np.unique(site))
    exog = sm.add_constant(X, has_constant="add")
    note = ""
    if n_sites >= 3:
        from statsmodels.regression.mixed_linear_model import MixedLM

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = MixedLM(y, exog, groups=site).fit(reml=True)
            params, bse = res.fe_params, res.bse_fe
        if np.isfinite(bse.to_numpy()).all():
            if any("converge" in str(w.message).lower() or "boundary" in str(w.message).lower()
                   for w in caught):
                note = "the site variance is at or near zero (MixedLM warned)"
            z = stats.norm.ppf(1 - (1 - level) / 2)
            ci = pd.DataFrame({0: params - z * bse, 1: params + z * bse})
            pvalues = pd.Series(2 * stats.norm.sf(np.abs(params / bse)), index=params.index)
            method = METHODS["mixedlm"]
        else:  # a singular fit gives no standard errors: fixed site effects instead
            params, ci, pvalues, method = _ols(y, exog, site, level, METHODS["ols_fallback"])
    elif n_sites == 2:
        params, ci, pvalues, method = _ols(y, exog, site, level, METHODS["ols_two_sites"])
    else:
        params, ci, pvalues, method = _ols(y, exog, site, level, METHODS["ols_one_site"])
    cols = list(X.columns)
    return (pd.DataFrame({"estimate": params[cols], "ci_low": ci.loc[cols, 0],
                          "ci_high": ci.loc[cols, 1], "p": pvalues[cols]}), method, note)


def component_data(source, instrument: str | None = None, scale: str | None = None, *,
                   received: str = "attended") -> pd.DataFrame:
    """Per participant: dose, delivery (:func:`participant_exposure`) and the outcome change.

    Adds ``instrument``, ``scale``, ``informant``, ``pre``, ``post``, ``change`` (post − pre)
    and ``improvement`` (the change turned so that positive is better) for participants
    with a pre and a post score on ``scale`` (default the instrument's primary scale; the
    instrument defaults to the one with the most pre–post pairs). One informant per
    intervention — the most frequent — since parents' and teachers' scores differ.
    ``attrs`` carry ``instrument``, ``scale`` and ``higher_is_better``.
    """
    from .family_outcomes import load_outcome_instrument
    from .outcome_change import participant_change

    if received not in RECEIVED:
        raise ValidationError([Problem("unknown kind of delivery", column="received",
                                       expected=" or ".join(RECEIVED),
                                       found=safe_value(received))])
    sites = source if isinstance(source, list) and source and isinstance(source[0], SiteData) \
        else site_data(source, _TABLES)
    scores = pd.concat([s.table("outcome_scores") for s in sites], ignore_index=True) \
        if sites else pd.DataFrame()
    if scores.empty:
        return pd.DataFrame()
    inst = load_outcome_instrument(instrument or _busiest(scores))
    scale = scale or inst.primary
    spec = inst.scale(scale)
    frames = []
    for iv_id in sorted({s.intervention_id for s in sites}):
        group = [s for s in sites if s.intervention_id == iv_id]
        expo = [e for e in (_site_exposure(s, received) for s in group) if len(e)]
        mine = scores[(scores["instrument"] == inst.id)
                      & scores["site"].isin([s.site for s in group])]
        if not expo or mine.empty:
            continue
        informant = mine["informant"].dropna().mode()
        if len(informant):
            mine = mine[mine["informant"] == informant.iloc[0]]
        change = participant_change(mine, inst, scale, "post")
        data = pd.concat(expo, ignore_index=True).assign(intervention=iv_id).merge(
            change[["participant_id", "pre", "post", "change"]], on="participant_id")
        frames.append(data.assign(informant=informant.iloc[0] if len(informant) else pd.NA))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out["improvement"] = (1.0 if spec.higher_is_better else -1.0) * out["change"]
    out.insert(4, "instrument", inst.id)
    out.insert(5, "scale", scale)
    out.attrs.update(instrument=inst.id, scale=scale, higher_is_better=spec.higher_is_better)
    return out


def component_analysis(source, instrument: str | None = None, scale: str | None = None, *,
                       received: str = "attended", level: float = 0.95) -> pd.DataFrame:
    """Outcome change against dose and component delivery, one row per model term.

    Parameters
    ----------
    source : Project, folder, list of them, NetworkStore or ``*.duckdb`` path
    instrument : str, optional
        Outcome instrument id; default the one with the most pre–post pairs.
    scale : str, optional
        Default the instrument's primary scale.
    received : {"attended", "group"}
        See :func:`participant_exposure`.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``intervention``, ``instrument``, ``scale``, ``model`` (``dose``, ``core`` or
        ``component:<id>``), ``term`` (``dose``, ``pre_score``, ``core_adherence``,
        ``adherence``), ``component`` and ``kind``, ``estimate`` (points of improvement per
        unit of the term: dose and adherence run 0–1), ``ci_low``, ``ci_high``, ``p``,
        ``n``, ``n_sites``, ``method`` (in words) and ``method_id`` (a key of
        :data:`METHODS`), ``design`` (``observational``) and ``note``.
        ``attrs["design"]`` explains what observational means here.

    Examples
    --------
    >>> from implementere_kit.report import demo_project_folder
    >>> ca = component_analysis(demo_project_folder())
    >>> ca.attrs["design"].split(":")[0], ca["design"].unique().tolist()
    ('observational', ['observational'])
    >>> ca.loc[ca["model"] == "dose", "term"].tolist()
    ['dose', 'pre_score']
    """
    if isinstance(level, bool) or not isinstance(level, float) or not 0 < level < 1:
        raise ValidationError([Problem("confidence level must lie between 0 and 1",
                                       column="level", expected="e.g. 0.95",
                                       found=safe_value(level))])
    sites = site_data(source, _TABLES)
    data = component_data(sites, instrument, scale, received=received)
    if data.empty:
        return _empty("no participant has both a pre and a post score and a dose")
    rows = []
    for iv_id, part in data.groupby("intervention", sort=True):
        iv = next(s.intervention for s in sites if s.intervention_id == iv_id)
        rows += _models(part, iv, iv_id, data.attrs["instrument"], data.attrs["scale"], level)
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out.attrs["design"] = DESIGN_NOTE
    return out


def _busiest(scores: pd.DataFrame) -> str:
    waves = scores.pivot_table(index=["instrument", "participant_id"], columns="wave",
                               values="score", aggfunc="count")
    pairs = (waves.get("pre", 0) > 0) & (waves.get("post", 0) > 0)
    return str(pairs.groupby(level="instrument").sum().idxmax())


def _empty(note: str) -> pd.DataFrame:
    out = pd.DataFrame(columns=_COLUMNS)
    out.attrs["design"] = DESIGN_NOTE
    out.attrs["note"] = note
    return out


def _models(data, iv, iv_id, inst_id, scale, level) -> list[dict]:
    kinds = {c.id: c.kind for c in iv.components}
    specs = [("dose", ["dose"], None), ("core", ["dose", "core_adherence"], None)]
    specs += [(f"component:{c}", ["dose", f"adherence_{c}"], c)
              for c in kinds if f"adherence_{c}" in data.columns]
    rows = []
    for model, terms, comp in specs:
        d = data.dropna(subset=["improvement", "pre", *terms])
        note = ""
        X = d[terms].astype(float).assign(pre_score=d["pre"].astype(float))
        flat = [t for t in terms if X[t].nunique() < 2]
        base = {"intervention": iv_id, "instrument": inst_id, "scale": scale, "model": model,
                "component": comp, "kind": kinds.get(comp) if comp else pd.NA,
                "n": len(d), "n_sites": d["site"].nunique(), "design": DESIGN}
        if len(d) < len(terms) + 6 or flat:
            note = ("no variation in " + ", ".join(flat) if flat
                    else f"too few participants ({len(d)}) for {len(terms) + 2} parameters")
            rows += [{**base, "term": _term(t), "estimate": math.nan, "ci_low": math.nan,
                      "ci_high": math.nan, "p": math.nan, "method": pd.NA, "method_id": pd.NA,
                      "note": note}
                     for t in [*terms, "pre_score"]]
            continue
        est, method, note = _fit(d["improvement"].to_numpy(float), X,
                                 d["site"].astype(str).to_numpy(), level)
        method_id = next(k for k, v in METHODS.items() if v == method)
        rows += [{**base, "term": _term(t), **est.loc[t].to_dict(), "method": method,
                  "method_id": method_id, "note": note or pd.NA} for t in X.columns]
    return rows


def _term(column: str) -> str:
    return "adherence" if column.startswith("adherence_") else column
