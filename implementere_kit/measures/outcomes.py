"""Implementation outcomes (Proctor et al. 2011) and their RE-AIM arrangement.

:func:`implementation_outcomes` turns one project's tables into one tidy row per outcome.
Each outcome is a measure of the catalogue (:mod:`implementere_kit.measures.catalogue`,
:data:`CATALOGUE_ID` gives which), computed by its one implementation
(:mod:`implementere_kit.measures.engine`); its definition, target and target source are
the catalogue's:

==================== ===================================================== ==================
outcome              value                                                 meets
==================== ===================================================== ==================
acceptability        mean AIM score of the latest survey wave (1–5)        mean ≥ 4 (ours)
appropriateness      mean IAM score of the latest wave                     mean ≥ 4 (ours)
feasibility          mean FIM score of the latest wave                     mean ≥ 4 (ours)
adoption             staff who delivered at least once ÷ staff trained     —
fidelity_adherence   checklist credit (yes 1, partly ½) ÷ items scored     ≥ fidelity_threshold
fidelity_dosage      sessions attended ÷ sessions planned (ended families) ≥ min_attendance
penetration          staff delivering in the last 6 months ÷ trained       —
reach                participants ÷ eligible, periods the project enrolled —
sustainability       site delivering ``sustain_months`` after it began     —
sustainability_staff same, share of staff who began that long ago          —
==================== ===================================================== ==================

We found no pass mark for AIM, IAM and FIM in Weiner et al. (2017): "mean ≥ 4" (agree
on average) is this toolkit's convention, kept in :data:`SURVEY_TARGET`. Penetration
follows Proctor's providers delivering ÷ providers trained. Who delivered when comes from
``sessions.leaders`` and the staff table's delivery dates; leaders missing from the staff
table are not counted, since the denominator is trained staff. Sustainability follows
RE-AIM's setting-level maintenance: still delivering ``sustain_months`` (usually 6) after
delivery began; a site or practitioner that began less than that before ``as_of`` is too
early to judge. ``as_of`` is a cut-off for everything: rows dated after it are ignored.

An outcome whose data are missing is kept as a row with ``value`` NaN, ``n`` 0 and a
``source`` starting with ``"no data"`` that says what is missing, so every site has the
same rows and a network table lines up.

References
----------
Proctor E, Silmere H, Raghavan R, et al. (2011). Outcomes for implementation research:
conceptual distinctions, measurement challenges, and research agenda. Adm Policy Ment
Health 38:65–76. https://doi.org/10.1007/s10488-010-0319-7 (penetration as providers
delivering ÷ providers trained: GEM construct "Penetration",
https://www.gem-measures.org/Public/ConstructDetail.aspx?cid=1197&cat=1)

Glasgow RE, Vogt TM, Boles SM (1999). Evaluating the public health impact of health
promotion interventions: the RE-AIM framework. Am J Public Health 89:1322–1327.
Setting-level maintenance at ≥ 6 months: https://re-aim.org/assessing-maintenance/

Reilly KL, Kennedy S, Porter G, Estabrooks P (2020). Comparing, contrasting, and
integrating dissemination and implementation outcomes included in the RE-AIM and
implementation outcomes frameworks. Front Public Health 8:430, Table 2 (the mapping used
by :func:`reaim_summary`, kept as data in ``framework_data/mappings/reaim.yaml``).
https://doi.org/10.3389/fpubh.2020.00430

Weiner BJ, Lewis CC, Stanick C, et al. (2017). Psychometric assessment of three newly
developed implementation outcome measures. Implementation Science 12:108.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from .._data import load_yaml, package_file
from ..errors import Problem, ValidationError
from ..plans.intervention import Intervention
from ..store.tables import row_problems
from ._outcomes_data import (
    _SURVEYS,
    _TABLES,
    PENETRATION_MONTHS,
    SURVEY_TARGET,
    _check_args,
    _inputs,
    _nodata,
    _row,
    _share,
    _validated,
)

__all__ = ["implementation_outcomes", "network_outcomes", "reaim_summary", "OUTCOMES",
           "SURVEY_TARGET", "PENETRATION_MONTHS", "CATALOGUE_ID"]

OUTCOMES = ("acceptability", "appropriateness", "feasibility", "adoption", "fidelity_adherence",
            "fidelity_dosage", "penetration", "reach", "sustainability", "sustainability_staff")
#: The catalogue measure behind each outcome.
CATALOGUE_ID = {"acceptability": "acceptability", "appropriateness": "appropriateness",
                "feasibility": "feasibility", "adoption": "adoption",
                "fidelity_adherence": "adherence", "fidelity_dosage": "dose",
                "penetration": "penetration", "reach": "reach",
                "sustainability": "sustainability",
                "sustainability_staff": "sustainability_staff"}
_COLUMNS = ["site", "outcome", "value", "n", "numerator", "denominator", "target", "meets",
            "source", "definition"]


def _definition(outcome: str, months: int) -> str:
    from .catalogue import measure

    m = measure(CATALOGUE_ID[outcome])
    text = m.definition("en")
    if "sustain_months" in m.parameters and months != 6:
        text = text.replace("six months", f"{months} months")
    return text


def _outcome_frame(rows: list[dict], site: str, months: int) -> pd.DataFrame:
    df = pd.DataFrame(rows).set_index("outcome").reindex(list(OUTCOMES)).reset_index()
    df.insert(0, "site", pd.array([site] * len(df), dtype="string"))
    df["definition"] = [_definition(o, months) for o in df["outcome"]]
    return _finish(df)


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    df["n"] = df["n"].astype("int64")
    meets = pd.array(df["value"] >= df["target"], dtype="boolean")
    meets[(df["value"].isna() | df["target"].isna()).to_numpy()] = pd.NA
    df["meets"] = meets
    for c in ("outcome", "source", "definition"):
        df[c] = df[c].astype("string")
    return df[_COLUMNS].reset_index(drop=True)


# -- public API ----------------------------------------------------------------------------
def implementation_outcomes(project_or_tables, *, as_of=None, sustain_months: int = 6,
                            intervention: Intervention | str | None = None,
                            site: str | None = None) -> pd.DataFrame:
    """Proctor's implementation outcomes for one site, as one tidy row per outcome.

    Parameters
    ----------
    project_or_tables : Project or dict
        A :class:`~implementere_kit.store.project.Project`, or ``{table name: DataFrame}`` with
        any of ``staff``, ``sessions``, ``participants``, ``attendance``,
        ``fidelity_checks``, ``survey_responses``, ``eligible`` (see
        ``schemas/tables.yaml``). Tables left out count as empty.
    as_of : date, optional
        The day the outcomes describe (default today). Rows dated after it are ignored.
    sustain_months : int
        How long delivery must have gone on to count as sustained (RE-AIM: 6 months).
    intervention : Intervention or str
        With a dict of tables only (a Project has its own): gives the dosage rule and the
        fidelity threshold.
    site : str, optional
        With a dict of tables only: the site to report; rows of other sites are left out.
        Needed when the tables hold more than one site.

    Returns
    -------
    DataFrame
        One row per outcome in :data:`OUTCOMES`: ``site``, ``outcome``, ``value``, ``n``
        (respondents, staff, checklists, participants, eligible people or sites behind
        the value), ``numerator`` and ``denominator`` (counts, or the adherence credit and
        items scored; NaN for the survey means), ``target`` and ``meets`` (value ≥ target;
        NA where there is no target), ``source`` and ``definition``. Missing data give
        value NaN, ``n`` 0 and a source starting ``"no data"``.

    Raises
    ------
    ValidationError
        Listing every problem in every table used (row, column, expected, found), bad
        arguments, or a dict of tables without an intervention or with several sites.

    Examples
    --------
    >>> import pandas as pd
    >>> staff = pd.DataFrame({"practitioner_id": ["s1", "s2", "s3"], "site": "903",
    ...                       "trained": "2024-01-15"})
    >>> sessions = pd.DataFrame({"site": "903", "group_id": "g1", "session_no": [1, 2],
    ...                          "date": ["2024-03-01", "2024-12-01"],
    ...                          "leaders": ["s1;s2", "s1"]})
    >>> out = implementation_outcomes({"staff": staff, "sessions": sessions},
    ...                               intervention="keep", as_of="2025-01-31")
    >>> out.set_index("outcome").loc[["adoption", "penetration", "sustainability"],
    ...                              ["value", "numerator", "denominator"]].round(3)
                    value  numerator  denominator
    outcome
    adoption        0.667        2.0          3.0
    penetration     0.333        1.0          3.0
    sustainability  1.000        1.0          1.0
    >>> out.set_index("outcome").loc["reach", "source"]
    'no data: participants, eligible empty'
    """
    from .catalogue import Rules, measure
    from .engine import compute, from_tables

    when, months = _check_args(as_of, sustain_months)
    tables, iv, code = _inputs(project_or_tables, intervention, site)
    typed = dict(zip(_TABLES, _validated(tables, *_TABLES), strict=True))
    if typed["survey_responses"] is not None:  # answers checked item by item, rows as given
        from ._fidelity_input import _collect
        from .instruments import responses_from_long

        _collect(*[lambda i=i: responses_from_long(typed["survey_responses"], i)
                   for i in _SURVEYS.values()])
    with from_tables({k: v for k, v in typed.items() if v is not None}, Rules.of(iv),
                     site=code) as src:
        found = compute(src, as_of=when, ids=[CATALOGUE_ID[o] for o in OUTCOMES],
                        params={"sustain_months": months}, complete=True)
    found = found[found["site"].isna() | (found["site"] == code)].set_index("measure")
    rows = []
    for outcome in OUTCOMES:
        m = measure(CATALOGUE_ID[outcome])
        r = found.loc[m.id] if m.id in found.index else None
        if m.missing(iv) or r is None or pd.isna(r["value"]):
            why = m.missing(iv) or (r["reason"] if r is not None and isinstance(r["reason"], str)
                                    else f"no data: {', '.join(m.tables)} empty")
            rows.append({**_nodata(outcome, why.removeprefix("no data: ")),
                         "target": m.target(iv) or np.nan})
            continue
        rows.append(_row(outcome, r["value"], 0 if pd.isna(r["n"]) else r["n"],
                         r["numerator"], r["denominator"], m.target(iv) or np.nan,
                         ", ".join(m.tables)))
    return _outcome_frame(rows, code, months)


def network_outcomes(projects: Sequence, **kw) -> pd.DataFrame:
    """Implementation outcomes of several sites, plus pooled ``site="network"`` rows.

    Parameters
    ----------
    projects : sequence
        Projects, project folders (paths) or dicts of tables (then pass
        ``intervention=``; each dict's site is read from its tables).
    **kw
        Passed to :func:`implementation_outcomes` (``as_of``, ``sustain_months``,
        ``intervention``). ``as_of`` is fixed once, so every site is judged on the same day.

    Returns
    -------
    DataFrame
        The rows of every site, then one ``network`` row per outcome. Shares are pooled
        as Σ numerator ÷ Σ denominator (a site with more staff or families weighs more;
        never a mean of the site values); survey means are respondent-weighted;
        ``sustainability`` becomes the share of sites judged that sustain delivery. The
        network's ``target`` is kept only when every site has the same one.

    Raises
    ------
    ValidationError
        Every problem of every site, each naming its project folder or site in ``file``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = {"staff": pd.DataFrame({"practitioner_id": ["a1", "a2", "a3"], "site": "101",
    ...                             "first_delivery": ["2024-02-01", "2024-03-01", None]})}
    >>> b = {"staff": pd.DataFrame({"practitioner_id": ["b1"], "site": "147",
    ...                             "first_delivery": ["2024-02-01"]})}
    >>> net = network_outcomes([a, b], intervention="keep", as_of="2024-06-30")
    >>> net[net.outcome == "adoption"][["site", "value", "numerator", "denominator"]].round(3)
           site  value  numerator  denominator
    3       101  0.667        2.0          3.0
    13      147  1.000        1.0          1.0
    23  network  0.750        3.0          4.0
    """
    kw = {**kw, "as_of": _check_args(kw.get("as_of"), kw.get("sustain_months", 6))[0]}
    frames, problems = [], []
    for i, item in enumerate(projects):
        where = str(item.path) if hasattr(item, "path") else f"site {i + 1} of the list"
        try:
            if not isinstance(item, Mapping) and not hasattr(item, "table"):
                from ..store.project import Project

                item = Project.open(item)
                where = str(item.path)
            frames.append(implementation_outcomes(item, **kw))
        except ValidationError as exc:
            problems += [p if p.file else dataclasses.replace(p, file=where)
                         for p in exc.problems]
    if problems:
        raise ValidationError(problems)
    if not frames:
        raise ValidationError("no projects given: pass a list of projects or folders")
    sites = pd.concat(frames, ignore_index=True)
    rows = []
    for outcome, g in sites.groupby("outcome", sort=False):
        g = g[g["value"].notna()]
        targets = sites.loc[sites["outcome"] == outcome, "target"].dropna().unique()
        target = targets[0] if len(targets) == 1 else np.nan
        if g.empty:
            rows.append({**_nodata(outcome, "no site has data"), "target": target})
        elif outcome in _SURVEYS:
            mean = float((g["value"] * g["n"]).sum() / g["n"].sum())
            rows.append(_row(outcome, mean, g["n"].sum(), target=target,
                             source=f"respondent-weighted mean over {len(g)} sites"))
        else:
            num, den = g["numerator"].sum(), g["denominator"].sum()
            rows.append({**_share(outcome, num, den, g["n"].sum(),
                                  f"Σ numerator ÷ Σ denominator over {len(g)} sites"),
                         "target": target})
    net = _outcome_frame(rows, "network", int(kw.get("sustain_months", 6)))
    net.loc[net["outcome"] == "sustainability", "definition"] = \
        "sites judged that still deliver ÷ sites judged"
    return _finish(pd.concat([sites, net], ignore_index=True))


@lru_cache(maxsize=1)
def _reaim() -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    """``{outcome: (dimension, Proctor outcome, relation)}`` in dimension order, and
    ``{dimension: level}``, from ``framework_data/mappings/reaim.yaml`` (Reilly et al. 2020)."""
    raw = load_yaml(package_file("plans/framework_data", "mappings/reaim.yaml"))
    table = {r["outcome"]: (r["dimension"], r["proctor_outcome"], r["relation"])
             for r in raw["outcomes"]}
    return table, dict(raw["levels"])


def reaim_summary(outcomes_df: pd.DataFrame) -> pd.DataFrame:
    """Arrange implementation outcomes by RE-AIM dimension.

    Reach ← ``reach``; Effectiveness ← rows with outcome ``effectiveness`` if you add
    them (effects on children and families are outside the toolkit's tables), otherwise
    one NaN row per site saying so; Adoption ← ``adoption`` and ``penetration``;
    Implementation ← ``fidelity_adherence`` and ``fidelity_dosage``; Maintenance ←
    ``sustainability`` and ``sustainability_staff`` (setting level; individual-level
    maintenance, effects ≥ 6 months after the last contact, needs effect data too).
    Acceptability, appropriateness and feasibility are not RE-AIM outcomes but predictors
    of them (Reilly et al. 2020): they come last, as ``Antecedents``.

    Parameters
    ----------
    outcomes_df : DataFrame
        The result of :func:`implementation_outcomes` or :func:`network_outcomes`
        (``site``, ``outcome`` and ``value`` are required).

    Returns
    -------
    DataFrame
        ``site``, ``dimension``, ``level``, ``outcome``, ``proctor_outcome``,
        ``relation`` (consistent, combined metric, predictor), ``value``, ``n``,
        ``meets`` and ``definition``, sorted by site and dimension.

    Examples
    --------
    >>> import pandas as pd
    >>> out = pd.DataFrame({"site": "101", "outcome": ["reach", "adoption"],
    ...                     "value": [0.4, 0.75]})
    >>> reaim_summary(out)[["dimension", "outcome", "proctor_outcome", "value"]]
           dimension        outcome                   proctor_outcome  value
    0          Reach          reach  penetration (service recipients)   0.40
    1  Effectiveness  effectiveness           none (a client outcome)    NaN
    2       Adoption       adoption                          adoption   0.75
    """
    if not isinstance(outcomes_df, pd.DataFrame):
        raise ValidationError([Problem("outcomes must be a DataFrame", resource="outcomes",
                                       found=type(outcomes_df).__name__)])
    df = outcomes_df.reset_index(drop=True)
    problems = [Problem("required column missing", resource="outcomes", column=c,
                        expected="columns site, outcome, value")
                for c in ("site", "outcome", "value") if c not in df.columns]
    if problems:
        raise ValidationError(problems)
    reaim, levels = _reaim()
    problems = row_problems(~df["outcome"].isin(list(reaim)), df["outcome"],
                            message="unknown outcome", column="outcome",
                            expected="one of " + ", ".join(reaim), resource="outcomes")
    if problems:
        raise ValidationError(problems)
    sites = list(dict.fromkeys(df["site"].astype("string")))
    lacking = [s for s in sites
               if not ((df["site"].astype("string") == s) & (df["outcome"] == "effectiveness")).any()]
    no_effect = pd.DataFrame({
        "site": lacking, "outcome": "effectiveness", "value": np.nan,
        "definition": "not computed: needs effect data on participants; add rows with "
                      "outcome 'effectiveness' to include them"})
    df = pd.concat([df, no_effect], ignore_index=True)
    df = df.assign(**{c: pd.NA for c in ("n", "meets", "definition") if c not in df.columns})
    spec = pd.DataFrame([reaim[o] for o in df["outcome"]], index=df.index,
                        columns=["dimension", "proctor_outcome", "relation"])
    df = df.assign(**spec, level=spec["dimension"].map(levels))
    # reaim.yaml lists the outcomes in dimension order
    df["_s"] = df["site"].astype("string").map({s: i for i, s in enumerate(sites)})
    df["_o"] = df["outcome"].map({k: i for i, k in enumerate(reaim)})
    df = df.sort_values(["_s", "_o"], kind="stable")
    cols = ["site", "dimension", "level", "outcome", "proctor_outcome", "relation", "value",
            "n", "meets", "definition"]
    return df[cols].reset_index(drop=True)
