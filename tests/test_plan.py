import pandas as pd
import pytest

from implementere_kit import Plan, UnknownNameError, ValidationError, load_intervention
from implementere_kit.plans.frameworks import load_framework


def test_template_covers_every_core_element_in_its_phase():
    plan = Plan.from_template("ready-made", start="2024-01-01")
    acts = plan.activities
    assert set(acts["core_element"]) == set(range(1, 10))
    phase_of = {ke.id: ke.phase for ke in load_framework("implementere").core_elements}
    assert (acts["core_element"].map(phase_of) == acts["phase"]).all()
    assert (acts["status"] == "todo").all()
    assert (acts["due"] >= acts["start"]).all()
    assert acts["start"].min() >= pd.Timestamp("2024-01-01")


def test_template_depends_on_intervention_type():
    tpl = load_framework("implementere").activity_templates()
    only = tpl[tpl["applies_to"].map(len) > 0]
    ebp = set(Plan.from_template("evidence-based", start="2024-01-01").activities["activity_id"])
    own = set(Plan.from_template("self-developed", start="2024-01-01").activities["activity_id"])
    for _, row in only.iterrows():
        assert (row["activity_id"] in ebp) == ("evidence-based" in row["applies_to"])
        assert (row["activity_id"] in own) == ("self-developed" in row["applies_to"])
    assert ebp != own


def test_owner_requirements_become_the_municipalitys_activities():
    keep = load_intervention("keep")
    plan = Plan.from_template(keep, start="2024-01-01", lang="da")
    req = plan.activities[plan.activities["activity_id"].str.startswith("req_")]
    assert req["title"].tolist() == [r.label("da") for r in sorted(
        keep.requirements, key=lambda r: (r.core_element, r.start_week))]
    assert set(req["owner"]) <= {r.id for r in load_framework("implementere").roles}
    assert "intervention_owner" not in set(plan.activities["owner"])
    assert req["due"].nunique() > 1  # not all due the same week


def test_titles_follow_language():
    nb = Plan.from_template("ready-made", start="2024-01-01", lang="nb").activities["title"]
    en = Plan.from_template("ready-made", start="2024-01-01", lang="en").activities["title"]
    assert (nb != en).any()
    with pytest.raises(UnknownNameError, match="nb"):
        Plan.from_template("ready-made", lang="sv")


def test_add_update_complete_remove():
    plan = Plan.from_template("ready-made", start="2024-01-01")
    n = len(plan)
    aid = plan.add(phase="implementere", core_element=6, title="Veiledning", due="01.09.2024",
                   owner="teamleder")
    assert aid == "u1" and len(plan) == n + 1
    assert plan.activity(aid)["due"] == pd.Timestamp("2024-09-01")
    assert plan.add(phase="implementere", core_element=7, title="Justere") == "u2"
    plan.update(aid, status="in_progress", notes="startet")
    assert plan.activity(aid)["status"] == "in_progress"
    plan.complete(aid, date="2024-08-30")
    row = plan.activity(aid)
    assert row["status"] == "done" and row["completed"] == pd.Timestamp("2024-08-30")
    plan.update(aid, status="todo")  # reopening clears the completion date
    assert pd.isna(plan.activity(aid)["completed"])
    plan.remove(aid)
    assert aid not in set(plan.activities["activity_id"])


def test_bad_edits_change_nothing_and_name_the_problem():
    plan = Plan.from_template("ready-made", start="2024-01-01")
    before = plan.activities.copy()
    with pytest.raises(ValidationError) as exc:
        plan.add(phase="forberede", core_element=6, title="Feil fase")
    assert exc.value.problems[0].column == "phase"
    with pytest.raises(ValidationError):
        plan.add(phase="forberede", core_element=12, title="x")
    first = before["activity_id"].iloc[0]
    with pytest.raises(ValidationError, match="due before start"):
        plan.update(first, start="2024-05-01", due="2024-04-01")
    with pytest.raises(ValidationError, match="not a date"):
        plan.update(first, due="in May")
    with pytest.raises(ValidationError, match="unknown activity field"):
        plan.update(first, colour="red")
    with pytest.raises(UnknownNameError):
        plan.complete("nope")
    pd.testing.assert_frame_equal(plan.activities, before)


def test_progress_and_overdue():
    plan = Plan.from_template("ready-made", start="2024-01-01")
    first = plan.activities.iloc[0]
    plan.complete(first["activity_id"], date="2024-01-15")
    p = plan.progress(as_of="2024-01-15", by=("phase",)).set_index("phase")
    n_forb = (plan.activities["phase"] == "forberede").sum()
    assert p.loc["forberede", "n_done"] == 1
    # as of the day before it was completed, it was not done yet
    before = plan.progress(as_of="2024-01-14", by=("phase",)).set_index("phase")
    assert before.loc["forberede", "n_done"] == 0
    assert p.loc["forberede", "share_done"] == pytest.approx(1 / n_forb)
    far = plan.overdue(as_of="2030-01-01")
    assert len(far) == len(plan) - 1
    assert (far["days_overdue"] > 0).all()
    assert plan.current_phase() == "forberede"


def test_checklist_answers():
    plan = Plan.from_template("self-developed", start="2024-01-01")
    items = load_framework("implementere").checklist_items()
    q = items[items["checklist_id"] == "ke1"]["question_id"].iloc[0]
    plan.answer("ke1", q, answer="Ja, vedtatt i kommunestyret", date="2024-02-01")
    plan.answer("ke1", q, answer="Oppdatert", date="2024-02-02")  # replaces, no duplicate
    assert len(plan.checklist_answers) == 1
    assert plan.checklist_answers.iloc[0]["answer"] == "Oppdatert"
    prog = plan.checklist_progress().set_index("checklist_id")
    assert prog.loc["ke1", "n_done"] == 1
    assert prog.loc["ke1", "n_questions"] == (items["checklist_id"] == "ke1").sum()
    with pytest.raises(UnknownNameError):
        plan.answer("ke1", "no-such-question")
    with pytest.raises(UnknownNameError):
        plan.answer("ke42", q)
