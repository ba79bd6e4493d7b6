"""Frameworks side by side, roles and checklists, for the teaching notebooks.

- :func:`compare_frameworks` and :func:`place_situations` put the phases of the
  implementere.no model next to those of EPIS, NIRN and Socialstyrelsen's drejebog, through
  :func:`~implementere_kit.plans.frameworks.crosswalk`;
- :func:`framework_parts` lists a framework's drivers, domains or roles;
- :func:`checklist` shows one checklist of the implementere.no model in one language;
- :func:`responsibility_matrix` counts who owns which activities of a plan, per core
  element; :func:`raci_table` shows a learner's choice of accountable roles.

References
----------
implementere.no, "Hva må du gjøre" (four phases, nine core elements; the model is largely
based on EPIS). https://implementere.no/hva-ma-du-gjore/
Aarons GA, Hurlburt M, Horwitz SM (2011). Advancing a conceptual model of evidence-based
practice implementation in public service sectors. Adm Policy Ment Health 38:4–23.
Fixsen DL, Naoom SF, Blase KA, Friedman RM, Wallace F (2005). Implementation Research: A
Synthesis of the Literature. FMHI Publication #231 (six stages); NIRN's Active
Implementation Frameworks use four (https://nirn.fpg.unc.edu).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..errors import Problem, ValidationError, safe_value

__all__ = ["compare_frameworks", "place_situations", "framework_parts", "checklist",
           "responsibility_matrix", "raci_table"]

_OTHERS = ("epis", "nirn", "socialstyrelsen")


def compare_frameworks(base: str = "implementere", others: Sequence[str] = _OTHERS, *,
                       lang: str = "en") -> pd.DataFrame:
    """The phases of ``base`` with the matching phases of each framework in ``others``.

    Parameters
    ----------
    base : str
        The framework whose phases make the rows (default the implementere.no model).
    others : sequence of str
        Frameworks to compare with; one column each, named by the framework id.
    lang : {"nb", "da", "en"}
        Language of the labels.

    Returns
    -------
    DataFrame
        ``phase``, ``label`` and one column per framework in ``others`` holding the labels
        of its matching phases (SIC: stages), joined by ``" / "``. A phase that only partly
        matches (``overlaps`` in the crosswalk) is marked ``(partly)`` (in ``lang``).

    Examples
    --------
    >>> cmp = compare_frameworks(others=["epis", "nirn"])
    >>> cmp.loc[2, ["phase", "epis", "nirn"]].tolist()
    ['implementere', 'Implementation', 'Initial Implementation (partly) / Full Implementation (partly)']
    """
    from ..plans.frameworks import crosswalk, load_framework
    from .feedback import message

    fw = load_framework(base)
    units = fw.stages or fw.phases
    out = pd.DataFrame({"phase": [u.id for u in units], "label": [u.label(lang) for u in units]})
    for other in others:
        cw = crosswalk(base, other, lang=lang)
        partly = message("partly", lang)
        text = cw["label_b"].where(cw["relation"] == "equivalent", cw["label_b"] + f" ({partly})")
        joined = text.groupby(cw["id_a"], sort=False).agg(" / ".join)
        out[other] = out["phase"].map(joined).fillna("")
    return out


def place_situations(answers: Mapping[str, str | None], base: str = "implementere",
                     others: Sequence[str] = _OTHERS, *, lang: str = "en") -> pd.DataFrame:
    """Place described local situations in ``base``'s phases and, through it, in the others.

    Parameters
    ----------
    answers : mapping
        ``{situation: phase id of base}``, e.g. ``{"Contract signed": "planlegge"}``. A
        situation not answered yet (``None`` or ``...``) gets a row with empty columns, so
        an exercise shows what is left to do.
    base, others, lang
        As in :func:`compare_frameworks`.

    Returns
    -------
    DataFrame
        One row per situation, in the given order: ``situation`` and the columns of
        :func:`compare_frameworks`.

    Raises
    ------
    ValidationError
        Listing every answer that is not a phase id of ``base``.

    Examples
    --------
    >>> place_situations({"Leaders are being trained": "planlegge", "Next": None},
    ...                  others=["nirn"])
                       situation      phase label          nirn
    0  Leaders are being trained  planlegge  Plan  Installation
    1                       Next       None   NaN           NaN
    """
    table = compare_frameworks(base, others, lang=lang).astype({"phase": str})
    known = table["phase"].tolist()
    given = [None if v is None or v is Ellipsis else str(v) for v in answers.values()]
    problems = [Problem(f"not a phase of {base}", resource="answers", row=i, column="phase",
                        expected=", ".join(known), found=safe_value(phase))
                for i, phase in enumerate(given, start=1)
                if phase is not None and phase not in known]
    if problems:
        raise ValidationError(problems)
    chosen = pd.DataFrame({"situation": list(answers), "phase": given}, dtype=object)
    return chosen.merge(table, on="phase", how="left")


def framework_parts(name: str, part: str, *, lang: str = "en") -> pd.DataFrame:
    """A framework's drivers, driver groups, domains or roles as a table.

    Parameters
    ----------
    name : str
        A shipped framework (``nirn`` has drivers, ``epis`` domains, …).
    part : {"drivers", "driver_groups", "domains", "roles"}
    lang : {"nb", "da", "en"}

    Returns
    -------
    DataFrame
        ``id``, ``label``, ``description`` and, for drivers, ``group`` (competency,
        organisation or leadership). Empty when the framework has no such part.

    Examples
    --------
    >>> framework_parts("nirn", "drivers").query("group == 'competency'").id.tolist()
    ['selection', 'training', 'coaching', 'fidelity_assessment']
    """
    from ..plans.frameworks import load_framework

    parts = ("drivers", "driver_groups", "domains", "roles")
    if part not in parts:
        raise ValidationError([Problem("unknown framework part", column="part",
                                       expected=", ".join(parts), found=safe_value(part))])
    items = getattr(load_framework(name), part)
    out = pd.DataFrame({"id": [i.id for i in items], "label": [i.label(lang) for i in items],
                        "description": [i.description(lang) for i in items]})
    if part == "drivers":
        out["group"] = [i.group for i in items]
    return out


def checklist(checklist_id: str, *, lang: str = "en") -> pd.DataFrame:
    """The questions of one checklist of the implementere.no model, in one language.

    Parameters
    ----------
    checklist_id : str
        ``ke1`` … ``ke9`` (one per core element), ``utvikle_tiltak`` or
        ``implementere_tiltak`` (the two checklists for developing an intervention and for
        implementing one).
    lang : {"nb", "da", "en"}

    Examples
    --------
    >>> checklist("utvikle_tiltak", lang="en").head(2)
      question_id                                question
    0  target_group  Whom is the intervention meant to help?
    1          goal   What should the intervention achieve?
    """
    from ..i18n import check_lang
    from ..plans.frameworks import load_framework

    check_lang(lang)
    items = load_framework("implementere").checklist_items()
    known = list(dict.fromkeys(items["checklist_id"]))
    if checklist_id not in known:
        raise ValidationError([Problem("unknown checklist", column="checklist_id",
                                       expected=", ".join(known), found=safe_value(checklist_id))])
    mine = items[items["checklist_id"] == checklist_id]
    return pd.DataFrame({"question_id": mine["question_id"].to_numpy(),
                         "question": mine[f"label_{lang}"].to_numpy()})


def _role_labels(lang: str) -> dict[str, str]:
    from ..plans.frameworks import load_framework

    return {r.id: r.label(lang) for r in load_framework("implementere").roles}


def responsibility_matrix(activities: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """How many of a plan's activities each role owns, per core element.

    Parameters
    ----------
    activities : DataFrame
        A plan's ``activities`` table (``core_element`` and ``owner`` are used), e.g.
        ``Plan.from_template("keep").activities``.
    lang : {"nb", "da", "en"}
        Language of the role labels (the column names).

    Returns
    -------
    DataFrame
        One row per core element (the index, named in ``lang``: a Danish table says
        *kerneopgave*), one column per role of the implementere.no framework (in the
        framework's order), then any other owner found; counts of activities.

    Examples
    --------
    >>> import pandas as pd
    >>> acts = pd.DataFrame({"core_element": [1, 1, 3], "owner": ["leader", "leader",
    ...                                                          "coordinator"]})
    >>> responsibility_matrix(acts).loc[1, ["Service leader", "Coordinator"]].tolist()
    [2, 0]
    """
    missing = [c for c in ("core_element", "owner") if c not in activities.columns]
    if missing:
        raise ValidationError([Problem("column missing", resource="activities", column=c,
                                       expected=f"column {c}") for c in missing])
    from ..i18n import t

    labels = _role_labels(lang)
    owners = activities["owner"].astype("string").fillna("")
    counts = pd.crosstab(activities["core_element"].astype("int64"), owners)
    order = [r for r in labels if r in counts.columns] + sorted(
        c for c in counts.columns if c not in labels)
    counts = counts.reindex(columns=list(dict.fromkeys([*labels, *order])), fill_value=0)
    counts.columns = [labels.get(c, c) for c in counts.columns]
    counts.index.name = t("core_element", lang)
    counts.columns.name = None
    return counts


def raci_table(accountable: Mapping[str, str | None], tasks: Mapping[str, str] | None = None,
               *, lang: str = "en") -> pd.DataFrame:
    """The role a learner made accountable for each task, in words: the task's text and the
    role's label under headings in ``lang``, numbered from 1 (the ids the learner typed stay
    in the code cell; a task not answered yet shows a dash).

    Parameters
    ----------
    accountable : mapping
        ``{task id: role id}``; ``None`` or ``...`` for a task not answered yet.
    tasks : mapping, optional
        ``{task id: task text}`` in the order to show; default the tasks of lesson 2
        (``content/exercises.yaml``) in ``lang``.
    lang : {"nb", "da", "en"}

    Examples
    --------
    >>> raci_table({"t1": "leader", "t2": ...}, {"t1": "Decide", "t2": "Train"})
           Task    Accountable (A)
    No.
    1    Decide  Service leader
    2     Train               –
    >>> raci_table({}, lang="nb").columns.tolist()
    ['Oppgave', 'Ansvarlig (A)']
    """
    from ..i18n import MISSING, t

    if tasks is None:
        from .data import content

        tasks = {k: v[lang] for k, v in content("exercises")["tasks"].items()}
    labels = _role_labels(lang)
    roles = []
    for task_id in tasks:
        role = accountable.get(task_id)
        role = None if role is Ellipsis or role is None or role == "" else str(role)
        # a role outside the framework is shown as typed: the learner's own words
        roles.append(MISSING if role is None else labels.get(role, role))
    index = pd.RangeIndex(1, len(tasks) + 1, name=t("raci_number", lang))
    return pd.DataFrame({t("raci_task", lang): list(tasks.values()),
                         t("raci_accountable", lang): roles}, index=index)
