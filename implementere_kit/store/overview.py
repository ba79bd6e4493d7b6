"""Where projects stand, as the screens, the command line and the demo show it.

The summaries here are computed once for every face: the guide's progress per phase
(:func:`phase_overview`), a plan's activities in a reader's language (:func:`plan_view`),
a project's status table (:func:`status_view`) and the progress of several project folders
side by side (:func:`network_status`).

Activity titles of the implementere.no template are shown in the reader's language as
long as nobody has retitled them; a title someone typed is shown as typed. Owners that
are roles of the framework (``intervention_owner``) are shown by the role's name.

Examples
--------
>>> import tempfile, implementere_kit as ik
>>> tmp = tempfile.TemporaryDirectory()
>>> p = ik.Project.create(tmp.name + "/p", site="903", country="DK",
...                       intervention="keep", start="2025-01-06", language="da")
>>> plan_view(p, "en", as_of="2025-03-01")[["phase", "owner", "status"]].iloc[0].tolist()
['Prepare', 'Service leader', 'Not started']
>>> phase_overview(p, as_of="2025-03-01")[["phase", "n_overdue", "checklist_total"]]
          phase  n_overdue  checklist_total
0     forberede          5               13
1     planlegge          0               19
2  implementere          0               10
3    viderefore          0               12
>>> tmp.cleanup()
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ..i18n import check_lang, display_frame, t

__all__ = ["phase_overview", "plan_view", "status_view", "network_status", "role_label",
           "phase_label", "activity_titles"]


@lru_cache(maxsize=1)
def _framework():
    from ..plans.frameworks import load_framework

    return load_framework("implementere")


@lru_cache(maxsize=1)
def _templates() -> pd.DataFrame:
    return _framework().activity_templates().set_index("activity_id")


def phase_label(phase: str, lang: str) -> str:
    """A phase id (``forberede``) as its name in ``lang``."""
    try:
        return _framework().phase(phase).label(lang)
    except Exception:  # an unknown phase id is shown as it is
        return str(phase)


def role_label(owner: object, lang: str) -> object:
    """A role id of the framework (``intervention_owner``) as its name; other text as is."""
    if not isinstance(owner, str):  # no owner (an activity added without one) stays blank
        return owner
    for role in _framework().roles:
        if role.id == owner:
            return role.label(check_lang(lang))
    return owner


def activity_titles(activities: pd.DataFrame, lang: str, intervention=None) -> pd.Series:
    """Titles in ``lang`` for template activities, and for the activities of
    ``intervention``'s owner requirements (``req_<id>``), that nobody retitled; other
    titles as typed."""
    tpl = _templates()
    langs = [f"title_{code}" for code in ("nb", "da", "en") if f"title_{code}" in tpl]
    reqs = {f"req_{r.id}": r.labels for r in getattr(intervention, "requirements", ())
            if isinstance(r.labels, dict)}

    def one(aid, title):
        if aid in tpl.index and any(tpl.at[aid, c] == title for c in langs):
            return tpl.at[aid, f"title_{check_lang(lang)}"]
        if aid in reqs and title in reqs[aid].values():
            return reqs[aid].get(check_lang(lang), title)
        return title

    return pd.Series([one(a, ti) for a, ti in zip(activities["activity_id"], activities["title"],
                                                  strict=True)], index=activities.index)


def phase_overview(project, as_of=None, phases=None) -> pd.DataFrame:
    """Per phase: share of plan activities done, overdue, and checklist questions ticked.

    Returns
    -------
    DataFrame
        ``phase``, ``share_done`` (NaN for a phase without activities), ``n_overdue``,
        ``checklist_done``, ``checklist_total``, in the framework's phase order.
    """
    fw, plan = _framework(), project.plan
    acts = plan.progress(as_of=as_of, by=("phase",)).set_index("phase")
    cl = plan.checklist_progress().set_index("checklist_id")
    rows = []
    for ph in fw.phases:
        if phases is not None and ph.id not in phases:
            continue
        ids = [f"ke{ce.id}" for ce in fw.core_elements_in(ph.id)]
        c = cl.reindex(ids).fillna(0)
        a = acts.loc[ph.id] if ph.id in acts.index else None
        rows.append({"phase": ph.id,
                     "share_done": float(a["share_done"]) if a is not None else float("nan"),
                     "n_overdue": int(a["n_overdue"]) if a is not None else 0,
                     "checklist_done": int(c["n_done"].sum()),
                     "checklist_total": int(c["n_questions"].sum())})
    return pd.DataFrame(rows)


def plan_view(project, lang: str, as_of=None) -> pd.DataFrame:
    """The plan's activities for people: titles, phases, owners and status in ``lang``.

    Dates stay dates and ``overdue`` is a boolean, so a screen can still sort and mark
    rows; :func:`~implementere_kit.i18n.display_frame` turns the rest into text.
    """
    check_lang(lang)
    acts = project.plan.activities
    late = set(project.plan.overdue(as_of=as_of)["activity_id"])
    return pd.DataFrame({
        "activity_id": acts["activity_id"],
        "phase": [phase_label(p, lang) for p in acts["phase"]],
        "core_element": acts["core_element"],
        "title": activity_titles(acts, lang, project.intervention),
        "owner": [role_label(o, lang) for o in acts["owner"]],
        "start": acts["start"], "due": acts["due"], "completed": acts["completed"],
        "status": [t(f"status_{s}", lang) for s in acts["status"]],
        "overdue": acts["activity_id"].isin(late),
    }, index=acts.index)


def status_view(project, lang: str, as_of=None) -> pd.DataFrame:
    """Progress per phase and core element as text in ``lang`` (the CLI's ``status``)."""
    st = project.status(as_of=as_of)
    return display_frame(st, lang, percent=["share_done"],
                         labels={"phase": lambda p: phase_label(p, lang)})


def network_status(folders, as_of=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Plan progress per phase, SIC scores and a SIC summary across project folders.

    Returns
    -------
    progress, scores, summary : DataFrame
        One block per project, each led by ``site``, ``site_name`` and ``intervention``.
    """
    from ..plans.progress import sic_scores, sic_summary
    from .project import Project

    progress, scores, summary = [], [], []
    for folder in folders:
        project = Project.open(folder)
        head = {"site": project.site, "site_name": project.site_name,
                "intervention": project.intervention.id}
        progress.append(project.plan.progress(as_of=as_of, by=("phase",)).assign(**head))
        events = project.sic_events()
        scores.append(sic_scores(events).assign(site_name=project.site_name))
        sm = sic_summary(events)
        sm["current_phase"] = project.plan.current_phase()
        sm["n_overdue"] = len(project.plan.overdue(as_of=as_of))
        summary.append(sm.assign(**head))
    order = ["site", "site_name", "intervention"]
    prog = pd.concat(progress, ignore_index=True)
    prog = prog[order + [c for c in prog.columns if c not in order]]
    summ = pd.concat(summary, ignore_index=True)
    summ = summ[order + [c for c in summ.columns if c not in order]]
    return prog, pd.concat(scores, ignore_index=True), summ
