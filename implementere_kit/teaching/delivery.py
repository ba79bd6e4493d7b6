"""Delivery in the lessons: dose with and without make-ups, adherence on core components,
and adaptations coded with FRAME.

- :func:`makeup_effect` shows who graduates only because make-up sessions count (KEEP:
  at least 80 % of 16 sessions, make-ups included);
- :func:`checks_with_kind` adds each checklist item's kind (core or flexible component)
  to a site's fidelity checks, and :func:`share_delivered` turns checks into one
  adherence share (yes 1, partly ½, no 0, not applicable left out);
- :func:`compare_with_owner` sets a learner's view of proposed changes (core or
  flexible?) beside the owner's definition of the components;
- :func:`frame_log` codes logged changes with two of FRAME's questions — planned or not,
  fidelity-consistent or not — and tells adaptations from drift.

References
----------
Carroll C, Patterson M, Wood S, Booth A, Rick J, Balain S (2007). A conceptual framework
for implementation fidelity. Implementation Science 2:40.
Wiltsey Stirman S, Baumann AA, Miller CJ (2019). The FRAME: an expanded framework for
reporting adaptations and modifications to evidence-based interventions. Implementation
Science 14:58. https://doi.org/10.1186/s13012-019-0898-y
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..plans.intervention import DosageRule
from .data import content

__all__ = ["makeup_effect", "checks_with_kind", "share_delivered", "compare_with_owner",
           "frame_log", "frame_category"]


def makeup_effect(attendance: pd.DataFrame, rule: DosageRule,
                  participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """Graduation with and without make-up sessions counting, per participant.

    Parameters
    ----------
    attendance, participants : DataFrame
        As for :func:`~implementere_kit.measures.fidelity.attendance_summary`.
    rule : DosageRule
        The dosage rule; its ``makeups_count`` is set both ways.

    Returns
    -------
    DataFrame
        :func:`~implementere_kit.measures.fidelity.attendance_summary` with make-ups counting, plus
        ``n_attended_without_makeups``, ``graduated_without_makeups`` and
        ``graduated_by_makeups`` (graduates only because make-ups count).

    Examples
    --------
    >>> import pandas as pd
    >>> keep = DosageRule(sessions=16, min_attendance=0.8)
    >>> att = pd.DataFrame({"participant_id": "f1", "session_no": list(range(1, 14)),
    ...                     "attended": True, "makeup": [False] * 12 + [True]})
    >>> makeup_effect(att, keep)[["n_attended", "n_attended_without_makeups",
    ...                           "graduated_by_makeups"]]
       n_attended  n_attended_without_makeups  graduated_by_makeups
    0          13                          12                  True
    """
    from ..measures.fidelity import attendance_summary

    with_mk = attendance_summary(attendance, replace(rule, makeups_count=True), participants)
    without = attendance_summary(attendance, replace(rule, makeups_count=False), participants)
    out = with_mk.copy()
    # Both summaries are sorted by participant_id over the same participants.
    out["n_attended_without_makeups"] = without["n_attended"].to_numpy()
    out["graduated_without_makeups"] = without["graduated"].to_numpy()
    out["graduated_by_makeups"] = out["graduated"] & ~out["graduated_without_makeups"]
    return out


def checks_with_kind(project) -> pd.DataFrame:
    """A project's ``fidelity_checks`` with a ``kind`` column: the kind (``core`` or
    ``flexible``) of the component each item belongs to, as the intervention defines it.

    Examples
    --------
    >>> from implementere_kit.teaching import example_site
    >>> sorted(checks_with_kind(example_site("903"))["kind"].unique())
    ['core', 'flexible']
    """
    checks = project.table("fidelity_checks").copy()
    kinds = {c.id: c.kind for c in project.intervention.components}
    checks["kind"] = checks["component"].map(kinds)
    return checks


def share_delivered(checks: pd.DataFrame) -> float:
    """Adherence over every item in ``checks``: yes 1, partly ½, no 0, n/a left out.

    The same number as ``adherence(checks, by=())``, as a plain float (NaN when no item
    was scored).

    Examples
    --------
    >>> import pandas as pd
    >>> chk = pd.DataFrame({"check_id": "c1", "site": "101", "date": "2024-02-01",
    ...                     "item": ["i1", "i2", "i3"], "component": "curriculum",
    ...                     "delivered": ["yes", "partly", "na"]})
    >>> share_delivered(chk)
    0.75
    """
    from ..measures.adherence_competence import adherence

    if len(checks) == 0:
        return float("nan")
    return float(adherence(checks, by=())["adherence"].iloc[0])


def _kind_label(kind: str | None, lang: str) -> str:
    from ..i18n import t

    return t(f"kind_{kind}", lang) if kind in ("core", "flexible") else ""


def compare_with_owner(my_view: Mapping[str, str | None], intervention, *,
                       lang: str = "en") -> pd.DataFrame:
    """A learner's view of proposed changes beside the owner's definition.

    Parameters
    ----------
    my_view : mapping
        ``{proposal id: "core" or "flexible"}``: does the change touch a core component
        (one that must be delivered as intended) or a flexible one? ``...`` or ``None``
        for a proposal not judged yet.
    intervention : Intervention
        Whose components the proposals touch (KEEP in the lessons).
    lang : {"nb", "da", "en"}

    Returns
    -------
    DataFrame
        ``proposal``, ``text``, ``component``, ``your_view``, ``owner`` (the kind the
        owner gives the component) and ``same``.

    Examples
    --------
    >>> from implementere_kit import load_intervention
    >>> t = compare_with_owner({"a": "flexible"}, load_intervention("keep"))
    >>> t.loc[[0, 1], ["proposal", "your_view", "owner", "same"]]
      proposal your_view     owner   same
    0        a  Flexible  Flexible   True
    1        b                Core  False
    """
    rows = []
    for pid, p in content("exercises")["proposals"].items():
        comp = intervention.component(p["component"])
        mine = my_view.get(pid)
        mine = None if mine is Ellipsis else mine
        rows.append((pid, p[lang], comp.name, _kind_label(mine, lang) or (mine or ""),
                     _kind_label(comp.kind, lang), mine == comp.kind))
    return pd.DataFrame(rows, columns=["proposal", "text", "component", "your_view", "owner",
                                       "same"])


def frame_category(planned: str | None, consistent: bool | None) -> str | None:
    """Adaptation, planned change to a core component, modification or drift.

    Parameters
    ----------
    planned : {"planned", "unplanned"}
        FRAME asks whether a change was planned (proactive, or reactive but decided on)
        or unplanned (made in the moment).
    consistent : bool
        FRAME's "fidelity-consistent": are the core components kept as intended?

    Examples
    --------
    >>> frame_category("unplanned", False), frame_category("planned", True)
    ('drift', 'adaptation')
    """
    if planned not in ("planned", "unplanned") or not isinstance(consistent, bool):
        return None
    if planned == "planned":
        return "adaptation" if consistent else "planned_core_change"
    return "modification" if consistent else "drift"


def frame_log(planned: Mapping[str, str | None], consistent: Mapping[str, bool | None], *,
              lang: str = "en") -> pd.DataFrame:
    """The lesson's logged changes, coded by the learner, with what they amount to.

    Parameters
    ----------
    planned : mapping
        ``{event id: "planned" or "unplanned"}``.
    consistent : mapping
        ``{event id: True or False}``: fidelity-consistent or not.
    lang : {"nb", "da", "en"}

    Returns
    -------
    DataFrame
        ``event``, ``text``, ``planned``, ``fidelity_consistent`` and ``category``
        (adaptation, planned change to a core component, modification or drift, in
        ``lang``); empty where the coding is not finished.

    Raises
    ------
    ValidationError
        For a ``planned`` value other than planned/unplanned or a ``consistent`` value
        that is not True/False.
    """
    frame = content("frame")
    problems = []
    for eid, value in planned.items():
        if value not in ("planned", "unplanned", None, Ellipsis):
            problems.append(Problem("not a FRAME planning code", resource="planned", column=eid,
                                    expected="'planned' or 'unplanned'", found=safe_value(value)))
    for eid, value in consistent.items():
        if not isinstance(value, bool) and value not in (None, Ellipsis):
            problems.append(Problem("not True or False", resource="consistent", column=eid,
                                    expected="True or False", found=safe_value(value)))
    if problems:
        raise ValidationError(problems)
    rows = []
    for eid, event in frame["events"].items():
        p, c = planned.get(eid), consistent.get(eid)
        cat = frame_category(p if isinstance(p, str) else None, c if isinstance(c, bool) else None)
        rows.append((eid, event[lang], p if isinstance(p, str) else "",
                     c if isinstance(c, bool) else None,
                     frame["categories"][cat][lang] if cat else ""))
    return pd.DataFrame(rows, columns=["event", "text", "planned", "fidelity_consistent",
                                       "category"])
