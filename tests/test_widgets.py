"""Screens tested headless: set ``.value``, ``.click()``, then check the project ON DISK.

ipywidgets run without a browser (a dummy comm is used), so every callback runs as it would
in Jupyter or Voila. Each test reopens the project folder with ``Project.open`` to prove the
change was saved, not just held in memory. Data entry (imports, the grid, attendance) is
in ``test_widgets_data.py``.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import ipywidgets as W
import pandas as pd
import pytest

from implementere_kit import Project
from implementere_kit.plans.frameworks import load_framework
from implementere_kit.plans.intervention import DEVELOP_CHECKLIST_KEYS
from implementere_kit.store.workspace import Workspace
from implementere_kit.widgets import (
    PROJECT_ENV,
    App,
    Feedback,
    InterventionEditor,
    PhaseGuide,
    PlanEditor,
    ReportScreen,
    StartScreen,
)
from implementere_kit.widgets.start import SELF_DEVELOPED


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws")


@pytest.fixture
def fresh(ws):
    """A new FFT project in Fjordheim started long ago, so part of its plan is overdue."""
    return ws.create("fjordheim-fft", site="9901", country="NO", intervention="fft",
                     site_name="Fjordheim", start="2023-01-02", language="nb")


def _reopen(project) -> Project:
    return Project.open(project.path)


def _texts(widget) -> list[str]:
    """Every text a person sees in a widget tree (labels, titles, options, HTML)."""
    out = []
    for attr in ("description", "placeholder", "tooltip"):
        v = getattr(widget, attr, None)
        if isinstance(v, str):
            out.append(v)
    if isinstance(widget, W.HTML | W.Label):
        out.append(widget.value)
    out += list(getattr(widget, "titles", ()) or ())
    out += list(getattr(widget, "_options_labels", ()) or ())
    if isinstance(widget, W.Combobox):
        out += list(widget.options)
    for child in getattr(widget, "children", ()):
        out += _texts(child)
    return out


def _form(s: StartScreen, name="Nordvika", site="9902", country="NO", iv="pmto"):
    s.site_name.value, s.site.value, s.country.value = name, site, country
    s.intervention.value = iv
    s.start.value = dt.date(2025, 1, 6)


# -- packaging ----------------------------------------------------------------------------
def test_import_implementere_kit_does_not_import_ipywidgets():
    code = ("import sys, implementere_kit as ik, implementere_kit.app\n"
            "ik.Project, ik.Plan\nprint('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- start screen: the workspace --------------------------------------------------------------
def test_start_creates_project_in_the_workspace(ws):
    made = []
    s = StartScreen(lang="nb", workspace=ws, on_project=made.append)
    _form(s)
    assert s.name.value == "nordvika-pmto" and s.report_lang.value == "nb"
    s.create_button.click()
    disk = ws.open("nordvika-pmto")
    assert (disk.site, disk.site_name, disk.intervention.id) == ("9902", "Nordvika", "pmto")
    assert disk.path.parent == ws.path and disk.period["start"] == "2025-01-06"
    assert made and made[0].path == disk.path
    assert "9902" in s.current.value and "ik-ok" in s.message.value
    assert [v for _, v in s.projects.options] == ["nordvika-pmto"]


def test_start_refuses_a_taken_name_and_keeps_everything(ws):
    made = []
    s = StartScreen(lang="da", workspace=ws, on_project=made.append)
    _form(s, "Havnstrup", "903", "DK", "keep")
    s.create_button.click()
    first = ws.open("havnstrup-keep")
    first.plan.complete(first.plan.activities["activity_id"].iloc[0])
    first.save()
    s2 = StartScreen(lang="da", workspace=ws, on_project=made.append)
    _form(s2, "Havnstrup", "903", "DK", "fft")
    s2.name.value = "havnstrup-keep"  # typed by hand: the name is taken
    s2.create_button.click()
    assert "findes allerede" in s2.message.value and "ik-fail" in s2.message.value
    assert s2.project is None and len(made) == 1  # the app does not switch to anything
    assert s2.intervention.value == "fft" and s2.site_name.value == "Havnstrup"  # form kept
    again = ws.open("havnstrup-keep")
    assert again.intervention.id == "keep" and (again.plan.activities["status"] == "done").any()


def test_start_names_are_names_not_paths(ws, tmp_path):
    s = StartScreen(lang="en", workspace=ws)
    _form(s)
    s.name.value = "../outside"
    s.create_button.click()
    assert "Not a valid project name" in s.message.value
    assert not (tmp_path / "outside").exists() and s.project is None


def test_start_demo_is_an_explicit_labelled_choice_made_once(ws):
    s = StartScreen(lang="nb", workspace=ws)
    assert s.projects.options == () and s.project is None  # no demo unless asked for
    s.demo_button.click()
    assert s.project.site == "903" and "DEMO" in s.current.value
    assert s.projects.options[0][0].startswith("DEMO")
    s.project.plan.complete("ke1_needs", date="2024-01-01")
    s.project.save()
    s2 = StartScreen(lang="nb", workspace=ws)
    s2.demo_button.click()  # the same copy, with the work done in it
    assert s2.project.plan.activity("ke1_needs")["status"] == "done"
    assert len(ws.projects()) == 1


def test_start_self_developed_records_checklist(ws):
    s = StartScreen(lang="nb", workspace=ws)
    assert s.develop.layout.display == "none"
    s.intervention.value = SELF_DEVELOPED
    assert s.develop.layout.display == ""
    s.site_name.value, s.site.value, s.country.value = "Skogheim", "9903", "NO"
    s.new_name.value = "Foreldrekafé"
    assert s.name.value == "skogheim-foreldrekafe"
    for key, box in s.develop_answers.items():
        box.value = f"svar på {key}"
    s.create_button.click()
    disk = ws.open("skogheim-foreldrekafe")
    assert disk.intervention.type == "self-developed" and disk.intervention.id == "foreldrekafe"
    mine = disk.plan.checklist_answers.query("checklist_id == 'utvikle_tiltak'")
    assert sorted(mine["question_id"]) == sorted(DEVELOP_CHECKLIST_KEYS) and mine["done"].all()
    g = PhaseGuide(disk, phases=["forberede"])
    assert g.checks[("utvikle_tiltak", "goal")].value is True


def test_start_shows_every_problem_and_creates_nothing(ws):
    s = StartScreen(lang="en", workspace=ws)
    s.site.value, s.country.value = "12", "NO"
    s.intervention.value = SELF_DEVELOPED
    s.new_name.value = "Foreldrekafé"
    s.develop_answers["target_group"].value = "Foreldre til barn 3–6 år"
    s.create_button.click()
    for key in DEVELOP_CHECKLIST_KEYS[1:]:  # every unanswered question, not just the first
        assert f"checklist.{key}" in s.message.value
    assert ws.projects().empty and s.project is None


def test_ui_language_is_not_the_report_language(fresh, ws):
    s = StartScreen(fresh, workspace=ws)
    assert s.lang == "nb" and s.create_button.description == "Opprett prosjekt"
    s.language.value = "en"
    assert s.create_button.description == "Create project"
    assert _reopen(fresh).language == "nb"  # the screens changed, the project did not
    assert ws.settings()["ui_language"] == "en"
    assert StartScreen(workspace=ws).lang == "en"  # remembered for the next session
    s.report_language.value = "da"  # the project's own setting, changed on purpose
    assert _reopen(fresh).language == "da" and s.lang == "en"


# -- phase guide ----------------------------------------------------------------------------
def test_guide_tick_and_answer_are_saved_at_once(fresh):
    g = PhaseGuide(fresh)
    key = ("ke3", g.framework.core_element(3).checklist.items[0].id)
    g.checks[key].value = True
    disk = _reopen(fresh).plan.checklist_answers.set_index(["checklist_id", "question_id"])
    assert bool(disk.loc[key, "done"]) is True
    g.answers[key].value = "Ja, avtalt med ledelsen"
    disk = _reopen(fresh).plan.checklist_answers.set_index(["checklist_id", "question_id"])
    assert disk.loc[key, "answer"] == "Ja, avtalt med ledelsen"
    n = len(g.framework.core_element(3).checklist)
    assert g.accordions["planlegge"].titles[0].endswith(f"(1/{n})")
    assert f"1/{g.progress().set_index('phase').loc['planlegge', 'checklist_total']}" in g.status.value
    g.checks[key].value = False  # unticking is saved too
    disk = _reopen(fresh).plan.checklist_answers.set_index(["checklist_id", "question_id"])
    assert bool(disk.loc[key, "done"]) is False


def test_guide_shows_next_steps_in_the_screen_language(fresh):
    g = PhaseGuide(fresh, lang="en", as_of="2023-02-01")
    first = fresh.plan.activities.sort_values(["due", "activity_id"]).iloc[0]
    tpl = load_framework("implementere").activity_templates().set_index("activity_id")
    assert "Current phase: Prepare" in g.status.value
    assert tpl.at[first["activity_id"], "title_en"] in g.status.value
    assert first["title"] not in g.status.value  # the Norwegian title is not shown in English
    assert "0 %" not in g.status.value and "0%" in g.status.value
    acts = fresh.plan.activities
    fresh.plan.update(acts.loc[acts["phase"] == "viderefore", "activity_id"].iloc[0],
                      status="in_progress")
    g.refresh()
    assert "Current phase: Sustain" in g.status.value


def test_guide_phases_and_language(fresh):
    g = PhaseGuide(fresh, phases=["implementere"])
    assert g.tabs.titles == ("Implementere",)
    assert {k[0] for k in g.checks} == {"ke6", "ke7"}
    q = load_framework("implementere").core_element(6).checklist.items[0]
    g.set_language("da")
    assert g._questions[("ke6", q.id)].value == q.label("da")
    with pytest.raises(KeyError):
        PhaseGuide(fresh, phases=["nope"])


# -- plan editor --------------------------------------------------------------------------
def test_plan_editor_status_change_saves_and_redraws(fresh):
    ed = PlanEditor(fresh, as_of="2023-06-01")
    late = fresh.plan.overdue(as_of="2023-06-01")
    assert 0 < len(late) == ed.table.value.count('class="ik-overdue"')
    draws, png = ed.chart.n_draws, ed.chart.image.value
    aid = late["activity_id"].iloc[0]
    ed.activity.value = aid
    ed.status.value = "done"
    ed.save_button.click()
    disk = _reopen(fresh).plan.activity(aid)
    assert disk["status"] == "done" and pd.notna(disk["completed"])
    assert ed.table.value.count('class="ik-overdue"') == len(late) - 1
    assert ed.chart.n_draws == draws + 1 and ed.chart.image.value != png


def test_plan_editor_shows_roles_and_keeps_titles_in_the_project_language(fresh):
    ed = PlanEditor(fresh, lang="en", as_of="2023-06-01")
    # the plan's activities belong to the municipality's roles (sources, issue 13), by name
    assert "intervention_owner" not in ed.table.value
    assert "<td>practitioners</td>" not in ed.table.value and "<td>leader</td>" not in ed.table.value
    assert "<td>Service leader</td>" in ed.table.value
    assert "<td>Practitioners</td>" in ed.table.value
    assert "Intervention owner" in ed.owner.options  # every role of the framework may own one
    aid = ed.activity.value
    stored = fresh.plan.activity(aid)["title"]
    assert ed.title.value != stored  # shown in English …
    ed.notes.value = "snakket med lederen"
    ed.save_button.click()
    disk = _reopen(fresh).plan.activity(aid)
    assert disk["title"] == stored and disk["notes"] == "snakket med lederen"  # … kept in nb


def test_plan_editor_add_complete_remove(fresh):
    ed = PlanEditor(fresh, lang="en", as_of="2023-06-01")
    n = len(fresh.plan)
    ed.title.value = "Informasjonsmøte for skolene"
    ed.phase.value = "planlegge"
    ed.core_element.value = 4
    ed.owner.value = "Coordinator"  # a role's name …
    ed.start.value, ed.due.value = dt.date(2023, 3, 1), dt.date(2023, 3, 15)
    ed.status.value = "todo"
    ed.add_button.click()
    new = _reopen(fresh).plan.activities.iloc[-1]
    assert (new["title"], new["core_element"], new["owner"]) == (
        "Informasjonsmøte for skolene", 4, "coordinator")  # … stored as the role's id
    assert ed.activity.value == new["activity_id"]
    ed.complete_button.click()
    assert _reopen(fresh).plan.activity(new["activity_id"])["status"] == "done"
    ed.remove_button.click()
    assert len(_reopen(fresh).plan) == n


def test_plan_editor_rejects_bad_edit_and_keeps_disk(fresh):
    ed = PlanEditor(fresh)
    aid = ed.activity.value
    before = _reopen(fresh).plan.activity(aid)
    ed.due.value = before["start"].date() - dt.timedelta(days=10)
    ed.save_button.click()
    assert "Fristen er før start" in ed.message.value  # the library's problem, in nb
    assert _reopen(fresh).plan.activity(aid)["due"] == before["due"]


def test_plan_editor_filters(fresh):
    ed = PlanEditor(fresh, lang="en", as_of="2023-06-01")
    ed.filter_phase.value = "planlegge"
    shown = ed.filtered()
    assert set(shown["phase"]) == {"planlegge"} and len(ed.activity.options) == len(shown)
    ed.filter_phase.value = "__all__"
    ed.only_overdue.value = True
    assert len(ed.filtered()) == len(fresh.plan.overdue(as_of="2023-06-01"))
    ed.only_overdue.value = False
    ed.filter_owner.value = "leader"
    assert set(ed.filtered()["owner"]) == {"leader"}
    assert "Service leader" in [label for label, _ in ed.filter_owner.options]


# -- intervention editor ------------------------------------------------------------------------
def test_intervention_editor_shows_the_theory_of_change_in_its_language(fresh):
    ed = InterventionEditor(fresh)  # nb
    toc = fresh.intervention.theory_of_change
    assert ed.toc["results"].value.splitlines() == toc.boxes("results", "nb")
    assert ed.assumptions["results->long_term_effects"].value == toc.assumption(
        "results->long_term_effects", "nb")
    ed.set_language("da")
    assert ed.toc["results"].value.splitlines() == toc.boxes("results", "da")
    # saving unchanged Danish boxes keeps every language; an edited line is kept as typed
    lines = ed.toc["results"].value.splitlines()
    ed.toc["results"].value = "\n".join(["Mindre skænderier derhjemme", *lines[1:]])
    ed.save_button.click()
    saved = _reopen(fresh).intervention.theory_of_change
    assert saved.results == ["Mindre skænderier derhjemme", *toc.results[1:]]
    assert saved.boxes("results", "nb")[1:] == toc.boxes("results", "nb")[1:]
    assert saved.boxes("resources", "en") == toc.resources
    assert saved.boxes("resources", "nb") == toc.boxes("resources", "nb")
    assert saved.assumption("resources->activities", "nb") == toc.assumption(
        "resources->activities", "nb")


def test_intervention_editor_saves_fields_components_adaptations(fresh):
    ed = InterventionEditor(fresh)
    ed.owner.value = "Funksjonell familieterapi Norge"
    ed.support.value = ("training", "supervision")
    ed.dosage["sessions"].value = 14
    ed.toc["resources"].value = "To terapeuter\nVeileder"
    ed.assumptions["resources->activities"].value = "Terapeutene har tid avsatt"
    ed.save_button.click()
    iv = _reopen(fresh).intervention
    assert iv.owner == "Funksjonell familieterapi Norge"
    assert iv.support == ("training", "supervision") and iv.dosage.sessions == 14
    assert iv.theory_of_change.resources == ["To terapeuter", "Veileder"]
    ed.comp_id.value, ed.comp_name.value, ed.comp_kind.value = "tolk", "Tolk ved behov", "flexible"
    ed.add_component_button.click()
    assert _reopen(fresh).intervention.component("tolk").kind == "flexible"
    ed.adapt_component.value = "tolk"
    ed.adapt_change.value, ed.adapt_reason.value = "Skjermtolk", "Ingen tolk lokalt"
    ed.adapt_button.click()
    # the adaptation is a row of the project's adaptations table, to be coded after FRAME
    log = _reopen(fresh).table("adaptations")
    assert log[["component", "description", "reason", "fidelity"]].values.tolist() == [
        ["tolk", "Skjermtolk", "Ingen tolk lokalt", "unknown"]]
    assert log["site"].tolist() == ["9901"] and log["what"].isna().all()
    assert "Skjermtolk" in ed.adaptations_table.value
    assert "Fleksibel" in ed.adaptations_table.value  # the component's kind, in Norwegian
    ed.adapt_component.value = "tolk"
    ed.adapt_change.value = "Tolk på telefon"
    ed.adapt_button.click()  # a second one gets an id of its own
    assert _reopen(fresh).table("adaptations")["adaptation_id"].nunique() == 2


def test_intervention_editor_shows_problems_and_keeps_disk(fresh):
    ed = InterventionEditor(fresh, lang="en")
    before = _reopen(fresh).intervention
    ed.dosage["min_sessions"].value = 30  # above max_sessions
    ed.save_button.click()
    assert "min_sessions above max_sessions" in ed.message.value
    ed.add_component_button.click()  # no id, no name
    assert "component without id" in ed.message.value
    assert _reopen(fresh).intervention == before


# -- report ------------------------------------------------------------------------------------
def test_report_screen_writes_the_project_language_not_the_screen_language(fresh):
    r = ReportScreen(fresh, lang="en")
    assert [v for _, v in r.period.options][:2] == ["__all__", "2023"]
    r.fmt.value = "xlsx"
    r.build_button.click()
    assert r.last_report == fresh.path / "reports" / "fjordheim-fft-all.xlsx"
    import openpyxl

    assert openpyxl.load_workbook(r.last_report).sheetnames[0] == "Sammendrag"  # nb
    assert 'download="fjordheim-fft-all.xlsx"' in r.result.value


# -- feedback and the app ---------------------------------------------------------------------
def test_feedback_is_recorded_with_screen_and_time(fresh):
    fb = Feedback(fresh, screen="plan")
    fb.send_button.click()
    assert "ik-fail" in fb.message.value and _reopen(fresh).table("feedback").empty
    fb.comment.value = "Fristene i fase II er for korte"
    fb.send_button.click()
    rows = _reopen(fresh).table("feedback")
    assert rows[["screen", "comment"]].values.tolist() == [["plan", "Fristene i fase II er for korte"]]
    assert dt.datetime.fromisoformat(rows["time"].iloc[0]).date() == dt.date.today()
    assert fb.comment.value == ""


def test_app_builds_tabs_lazily_and_tracks_screen(fresh, ws):
    app = App(fresh, workspace=ws, as_of="2023-06-01")
    assert app.tab_ids[app.tabs.selected_index] == "guide"
    assert set(app._screens) == {"start", "guide"}
    app.tabs.selected_index = app.tab_ids.index("plan")
    assert isinstance(app.screen("plan"), PlanEditor) and app.feedback.screen == "plan"
    app.feedback.comment.value = "Hei"
    app.feedback.send_button.click()
    assert _reopen(fresh).table("feedback")["screen"].tolist() == ["plan"]


def test_app_opens_a_project_by_name_and_resolves_against_the_workspace(fresh, ws,
                                                                         monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a relative name must not be read from the current folder
    app = App("fjordheim-fft", workspace=ws, phases=["implementere"])
    assert app.project.path == fresh.path
    assert app.screen("guide").phases == ["implementere"]


def test_app_without_project_then_create(ws, monkeypatch):
    monkeypatch.delenv(PROJECT_ENV, raising=False)  # the notebooks' tests set one
    app = App(lang="en", workspace=ws)
    assert app.tab_ids == ["start"] and app.feedback is None
    _form(app.start, "Ålund", "901", "DK", "keep")
    app.start.create_button.click()
    assert app.tab_ids[1] == "guide" and app.project.site == "901"
    assert app.tabs.titles[1] == "Guide" and app.project.language == "da"
    assert app.project.path.parent == ws.path


@pytest.mark.parametrize("lang", ["nb", "da", "en"])
def test_every_visible_text_is_translated(fresh, ws, lang):
    """Switching language re-renders every label; no label is a key, an id or a Python repr."""
    fb = Feedback(fresh)
    fb.comment.value = "x"
    fb.send()  # a row in a table, so the data screen shows one
    app = App(fresh, lang="nb" if lang != "nb" else "da", workspace=ws, as_of="2023-06-01")
    for sid in app.tab_ids:
        app.screen(sid)
    app.start.language.value = lang
    assert app.tabs.titles[1] == {"nb": "Veileder", "da": "Vejledning", "en": "Guide"}[lang]
    save = {"nb": "Lagre endringer", "da": "Gem ændringer", "en": "Save changes"}[lang]
    assert app.screen("plan").save_button.description == save
    texts = " ".join(_texts(app.root))
    assert re.findall(r"\b(?:ui|col|value|import|problem)_[a-z_]+\b", texts) == []
    for raw in ("intervention_owner", "participant_id", "NaN", "None", "True", "False",
                "<NA>", "nan"):
        assert not re.search(rf"(?<![\w-]){re.escape(raw)}(?![\w-])", texts), raw
    assert all(s.lang == lang for s in app._screens.values())
