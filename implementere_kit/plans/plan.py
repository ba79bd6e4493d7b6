"""The implementation plan: activities per phase and core element, and checklist answers.

A plan starts from the template in the implementere.no framework (four phases, nine core
elements), tailored to the intervention: its type and the support its owner actually offers
decide which template activities belong, and the owner's requirements enter as the
municipality's obligations, each with a role, a core element and dates. The plan is then
edited: activities added, updated, completed or removed, each change validated before it is
applied.

Examples
--------
>>> from implementere_kit import Plan
>>> plan = Plan.from_template("evidence-based", start="2024-01-08")
>>> aid = plan.add(phase="planlegge", core_element=3, title="Avtale med tiltakseier",
...                due="2024-05-01")
>>> plan.complete(aid, date="2024-04-20")
>>> plan.activity(aid)["status"]
'done'
>>> plan.progress(as_of="2024-06-01", by=("phase",))["phase"].tolist()
['forberede', 'planlegge', 'implementere', 'viderefore']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from ..errors import Problem, UnknownNameError, ValidationError, safe_value
from ..store.tables import empty_table, parse_dates, row_problems, table_schema, validate_table
from .intervention import INTERVENTION_TYPES, Intervention
from .progress import PHASE_ORDER, overdue_activities, phase_progress

__all__ = ["Plan", "STATUSES"]

STATUSES = ("todo", "in_progress", "done", "skipped")
_EDITABLE = ("phase", "core_element", "sic_stage", "title", "owner", "start", "due",
             "completed", "status", "notes")


def _framework():
    from .frameworks import load_framework

    return load_framework("implementere")


def _date(value, column: str):
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return pd.NaT
    parsed = parse_dates(pd.Series([value])).iloc[0]
    if pd.isna(parsed):
        raise ValidationError([Problem("not a date", resource="activities", column=column,
                                       expected="YYYY-MM-DD, dd.mm.yyyy or dd-mm-yyyy",
                                       found=safe_value(value))])
    return parsed


class Plan:
    """An implementation plan: an ``activities`` table and a ``checklist_answers`` table.

    Both tables follow ``schemas/tables.yaml``. Edit through the methods, which validate,
    rather than writing into the DataFrames directly.
    """

    def __init__(self, activities: pd.DataFrame | None = None,
                 checklist_answers: pd.DataFrame | None = None):
        acts = empty_table("activities") if activities is None else activities
        answers = empty_table("checklist_answers") if checklist_answers is None else checklist_answers
        self.activities = validate_table(acts, "activities")
        self.checklist_answers = validate_table(answers, "checklist_answers")
        self._check_rules(self.activities)

    @classmethod
    def _from_typed(cls, activities: pd.DataFrame | None,
                    checklist_answers: pd.DataFrame | None) -> Plan:
        """A plan from tables the schema engine has just typed and checked (as a project
        is opened): only the rules across columns are left to check."""
        plan = cls.__new__(cls)
        plan.activities = empty_table("activities") if activities is None else activities
        plan.checklist_answers = (empty_table("checklist_answers") if checklist_answers is None
                                  else checklist_answers)
        cls._check_rules(plan.activities)
        return plan

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_template(cls, intervention: Intervention | str, start=None, lang: str = "nb") -> Plan:
        """Generate a plan from the implementere.no template for an intervention.

        The template's activities are kept when the intervention's type and its owner's
        actual support imply them (training with the owner only when the owner trains, a
        contract only when there is one, local training and peer supervision when the owner
        offers neither). The owner's requirements become the municipality's obligations:
        activities of the role, core element, weeks and SIC stage the definition gives, each
        standing in for the template activities it ``replaces``.

        Parameters
        ----------
        intervention : Intervention or str
            The intervention, or just its type (``evidence-based``, ``ready-made``,
            ``self-developed``); a type alone brings the support typical of the type
            (:func:`~implementere_kit.plans.intervention_types.typical_support`) and no
            requirements.
        start : date, optional
            Project start; start and due dates follow from each activity's weeks. Default
            today.
        lang : str
            Language of the activity titles and of the ``source`` column.

        Examples
        --------
        >>> from implementere_kit import load_intervention
        >>> plan = Plan.from_template(load_intervention("keep"), start="2024-01-08", lang="da")
        >>> plan.activity("req_three_groups")["title"]
        'Hver gruppeleder gennemfører tre grupper à 16 uger for at kvalificere sig til certificering'
        >>> plan.activity("req_three_groups")["phase"], plan.activity("req_three_groups")["owner"]
        ('implementere', 'practitioners')
        """
        from ..i18n import check_lang, t
        from .intervention_types import typical_support

        check_lang(lang)
        iv = intervention if isinstance(intervention, Intervention) else None
        kind = iv.type if iv is not None else intervention
        if kind not in INTERVENTION_TYPES:
            raise UnknownNameError("intervention type", kind, INTERVENTION_TYPES)
        support = iv.support if iv is not None else typical_support(kind)
        requirements = iv.requirements if iv is not None else ()
        t0 = _date(start if start is not None else dt.date.today(), "start")
        fw = _framework()
        tpl = fw.activity_templates(kind, support=support)
        replaced = {a for r in requirements for a in r.replaces}
        tpl = tpl[~tpl["activity_id"].isin(replaced)].reset_index(drop=True)

        def weeks(w):
            return t0 + pd.to_timedelta(w * 7, unit="D")

        acts = pd.DataFrame({
            "activity_id": tpl["activity_id"].astype(str),
            "phase": tpl["phase"],
            "core_element": tpl["core_element"].astype(int),
            "sic_stage": tpl["sic_stage"],
            "title": tpl[f"title_{lang}"],
            "owner": tpl["role"],
            "start": weeks(tpl["start_week"]),
            "due": weeks(tpl["start_week"] + tpl["duration_weeks"]),
            "completed": pd.NaT,
            "status": "todo",
            "notes": "",
            "source": t("plan_source_template", lang),
        })
        if requirements:
            phase_of = {c.id: c.phase for c in fw.core_elements}
            start_w = pd.Series([r.start_week for r in requirements])
            req = pd.DataFrame({
                "activity_id": [f"req_{r.id}" for r in requirements],
                "phase": [phase_of[r.core_element] for r in requirements],
                "core_element": [r.core_element for r in requirements],
                "sic_stage": pd.array([r.sic_stage for r in requirements], dtype="Int64"),
                "title": [r.label(lang) for r in requirements],
                "owner": [r.role for r in requirements],
                "start": weeks(start_w),
                "due": weeks(start_w + [r.duration_weeks for r in requirements]),
                "completed": pd.NaT, "status": "todo", "notes": "",
                "source": t("plan_source_requirement", lang, intervention=iv.label(lang)),
            })
            # Each obligation sits with its core element, in the order of its start.
            acts = (pd.concat([acts, req], ignore_index=True)
                    .sort_values(["core_element", "start"], kind="stable")
                    .reset_index(drop=True))
        return cls(acts)

    # -- validation -----------------------------------------------------------------
    @staticmethod
    def _check_rules(acts: pd.DataFrame) -> None:
        """Rules across columns that a per-column schema cannot express."""
        phase_of = {ke.id: ke.phase for ke in _framework().core_elements}
        expected_phase = acts["core_element"].map(phase_of)
        done = acts["status"] == "done"
        rules = [  # (mask, message, column, expected, found)
            (acts["core_element"].notna() & (expected_phase != acts["phase"]),
             "core element belongs to another phase", "phase",
             "the phase of its core element", acts["phase"]),
            (acts["due"].notna() & acts["start"].notna() & (acts["due"] < acts["start"]),
             "due before start", "due", "on or after the start date", acts["due"].dt.date),
            (done & acts["completed"].isna(), "done without a completion date", "completed",
             "a date", acts["completed"]),
            (~done & acts["completed"].notna(), "completion date on an activity not done",
             "status", "done", acts["status"]),
        ]
        problems = [p for mask, message, column, expected, found in rules
                    for p in row_problems(mask, found, message=message, column=column,
                                          expected=expected, resource="activities")]
        if problems:
            raise ValidationError(problems)

    def _apply(self, acts: pd.DataFrame) -> None:
        acts = validate_table(acts.reset_index(drop=True), "activities")
        self._check_rules(acts)
        self.activities = acts

    def _checked_row(self, row: dict, position: int) -> pd.DataFrame:
        """Validate one activity as it would stand at ``position``; return it typed.

        Editing validates the row that changes, not the whole plan again: a widget saving
        one field of a 1,000-activity plan stays fast.
        """
        try:
            typed = validate_table(pd.DataFrame([row]), "activities")
            typed.index = [position]
            self._check_rules(typed)
        except ValidationError as exc:
            raise ValidationError([replace(p, row=position + 1 if p.row else p.row)
                                   for p in exc.problems]) from None
        return typed

    def _row(self, activity_id: str) -> int:
        hits = self.activities.index[self.activities["activity_id"] == activity_id]
        if len(hits) == 0:
            raise UnknownNameError("activity", activity_id, self.activities["activity_id"].tolist()[:20])
        return int(hits[0])

    # -- editing ----------------------------------------------------------------------
    def add(self, *, phase: str, core_element: int, title: str, activity_id: str | None = None,
            **fields) -> str:
        """Add an activity and return its id (``u1``, ``u2``, … unless given)."""
        unknown = sorted(set(fields) - set(_EDITABLE))
        if unknown:
            raise ValidationError([Problem("unknown activity field", resource="activities",
                                           column=k, expected=", ".join(_EDITABLE)) for k in unknown])
        if activity_id is None:
            used = self.activities["activity_id"].astype(str)
            nums = used.str.extract(r"^u(\d+)$")[0].dropna().astype(int)
            activity_id = f"u{(nums.max() if len(nums) else 0) + 1}"
        row = {c: pd.NA for c in table_schema("activities").columns}
        row.update({"status": "todo", "notes": "", "source": "user"})
        row.update(fields, activity_id=activity_id, phase=phase, core_element=core_element,
                   title=title)
        for c in ("start", "due", "completed"):
            row[c] = _date(row[c], c) if row[c] is not pd.NA else pd.NaT
        n = len(self.activities)
        if (self.activities["activity_id"] == activity_id).any():
            raise ValidationError([Problem("duplicate primary key", resource="activities",
                                           row=n + 1, column="activity_id", expected="unique",
                                           found=repr(activity_id))])
        typed = self._checked_row(row, n)
        self.activities = pd.concat([self.activities, typed], ignore_index=True)
        return activity_id

    def update(self, activity_id: str, **fields) -> None:
        """Change fields of one activity (validated; nothing changes if any value is bad)."""
        unknown = sorted(set(fields) - set(_EDITABLE))
        if unknown:
            raise ValidationError([Problem("unknown activity field", resource="activities",
                                           column=k, expected=", ".join(_EDITABLE)) for k in unknown])
        i = self._row(activity_id)
        row = self.activities.loc[i].to_dict()
        if fields.get("status") == "done" and "completed" not in fields and pd.isna(row["completed"]):
            fields["completed"] = dt.date.today()
        if fields.get("status") in ("todo", "in_progress", "skipped") and "completed" not in fields:
            fields["completed"] = None
        for c, v in fields.items():
            if c in ("start", "due", "completed"):
                v = _date(v, c)
            row[c] = pd.NA if v is None else v
        typed = self._checked_row(row, i)
        acts = self.activities.copy()
        for c in acts.columns:
            acts.at[i, c] = typed.at[i, c]
        self.activities = acts

    def complete(self, activity_id: str, date=None) -> None:
        """Mark an activity done on ``date`` (default today)."""
        self.update(activity_id, status="done", completed=date if date is not None else dt.date.today())

    def remove(self, activity_id: str) -> None:
        i = self._row(activity_id)
        self._apply(self.activities.drop(index=i))

    def activity(self, activity_id: str) -> dict:
        """One activity as a dict."""
        return self.activities.loc[self._row(activity_id)].to_dict()

    # -- checklists -----------------------------------------------------------------
    def answer(self, checklist_id: str, question_id: str, answer: str | None = None,
               done: bool = True, date=None, by: str = "") -> None:
        """Record (or replace) the answer to one checklist question.

        ``checklist_id`` is ``ke1`` … ``ke9`` for the core elements' checklists, or
        ``utvikle_tiltak`` / ``implementere_tiltak``.
        """
        items = _framework().checklist_items()
        known = items[items["checklist_id"] == checklist_id]
        if known.empty:
            raise UnknownNameError("checklist", checklist_id, items["checklist_id"].unique())
        if question_id not in set(known["question_id"]):
            raise UnknownNameError(f"question of {checklist_id}", question_id, known["question_id"])
        row = pd.DataFrame([{"checklist_id": checklist_id, "question_id": question_id,
                             "answer": answer, "done": bool(done),
                             "answered_at": _date(date if date is not None else dt.date.today(),
                                                  "answered_at"),
                             "answered_by": by}])
        old = self.checklist_answers
        keep = ~((old["checklist_id"] == checklist_id) & (old["question_id"] == question_id))
        frames = [f for f in (old[keep], row) if len(f)]
        self.checklist_answers = validate_table(pd.concat(frames, ignore_index=True),
                                                "checklist_answers")

    def checklist_progress(self) -> pd.DataFrame:
        """Per checklist: number of questions, number ticked done, share done."""
        items = _framework().checklist_items()
        done = self.checklist_answers[self.checklist_answers["done"].fillna(False).astype(bool)]
        merged = items.merge(done[["checklist_id", "question_id"]].assign(is_done=True),
                             how="left", on=["checklist_id", "question_id"])
        merged["is_done"] = merged["is_done"].fillna(False).astype(bool)
        g = merged.groupby("checklist_id", sort=False)
        out = pd.DataFrame({"n_questions": g.size(), "n_done": g["is_done"].sum()})
        out["share_done"] = out["n_done"] / out["n_questions"]
        return out.reset_index()

    # -- progress ---------------------------------------------------------------------
    def progress(self, as_of=None, by=("phase", "core_element")) -> pd.DataFrame:
        """Share of activities done and overdue counts; see :func:`phase_progress`."""
        return phase_progress(self.activities, as_of=as_of, by=by)

    def overdue(self, as_of=None) -> pd.DataFrame:
        """Open activities past their due date as of ``as_of`` (default today)."""
        return overdue_activities(self.activities, as_of=as_of)

    def current_phase(self) -> str:
        """The furthest phase where work has started (an activity done or in progress).

        Work left over in earlier phases does not hold a project back here; it shows up
        as overdue instead. A plan where nothing has started is in ``forberede``.
        """
        started = self.activities.loc[
            self.activities["status"].isin(("done", "in_progress")), "phase"]
        reached = [PHASE_ORDER.index(p) for p in started.unique() if p in PHASE_ORDER]
        return PHASE_ORDER[max(reached)] if reached else PHASE_ORDER[0]

    def sic_events(self, site: str) -> pd.DataFrame:
        """Activities tagged with a SIC stage, in the shape :func:`sic_scores` reads.

        ``basis`` is ``plan``: these are the plan's activities, not the SIC instrument's
        activity list, so their counts per stage — and the proportions scored from them —
        describe this plan and cannot be compared with SIC norms.
        """
        a = self.activities[self.activities["sic_stage"].notna()]
        return pd.DataFrame({"site": site, "stage": a["sic_stage"].astype(int),
                             "activity": a["activity_id"], "date": a["completed"],
                             "basis": "plan"}).reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.activities)

    def __repr__(self) -> str:
        n_done = int((self.activities["status"] == "done").sum())
        return f"<Plan: {len(self)} activities, {n_done} done, current phase {self.current_phase()}>"

    def _repr_html_(self) -> str:
        return self.progress(by=("phase",)).to_html(index=False)


