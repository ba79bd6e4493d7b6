"""Screens tested headless: set ``.value``, ``.click()``, then check the project ON DISK.

ipywidgets run without a browser (a dummy comm is used), so every callback runs as it would
in Jupyter or Voila. Each test reopens the project folder with ``Project.open`` to prove the
change was saved, not just held in memory.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pandas as pd
import pytest

from implementere_kit import Project
from implementere_kit.exchange.network import NetworkStore
from implementere_kit.exchange.package import export_package
from implementere_kit.i18n import t
from implementere_kit.plans.frameworks import load_framework
from implementere_kit.plans.intervention import DEVELOP_CHECKLIST_KEYS

W = pytest.importorskip("ipywidgets")
from implementere_kit.widgets import (  # noqa: E402
    App,
    Dashboard,
    ExchangeScreen,
    Feedback,
    FidelityData,
    InterventionEditor,
    PhaseGuide,
    PlanEditor,
    StartScreen,
)
from implementere_kit.widgets.start import SELF_DEVELOPED  # noqa: E402

AS_OF = "2026-06-30"  # the example network's "today"


@pytest.fixture
def fresh(tmp_path):
    """A new FFT project in Fjordheim started long ago, so part of its plan is overdue."""
    return Project.create(tmp_path / "fjordheim", site="9901", country="NO", intervention="fft",
                          site_name="Fjordheim", start="2023-01-02", language="nb")


def _reopen(project) -> Project:
    return Project.open(project.path)


def _upload(widget, name: str, content: bytes) -> None:
    """What the browser sends when a file is chosen in a FileUpload."""
    widget.value = ({"name": name, "type": "text/csv", "size": len(content),
                     "content": memoryview(content),
                     "last_modified": dt.datetime.now(dt.UTC)},)


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
    for child in getattr(widget, "children", ()):
        out += _texts(child)
    return out


# -- packaging ----------------------------------------------------------------------------
def test_import_implementere_kit_does_not_import_ipywidgets():
    code = ("import sys, implementere_kit as ik, implementere_kit.app\n"
            "ik.Project, ik.Plan\nprint('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- start screen -------------------------------------------------------------------------
def test_start_creates_project_on_disk(tmp_path):
    made = []
    s = StartScreen(lang="nb", on_project=made.append)
    s.folder.value = str(tmp_path / "nordvika")
    s.site.value, s.country.value, s.site_name.value = "9902", "NO", "Nordvika"
    s.intervention.value = "pmto"
    s.start.value = dt.date(2025, 1, 6)
    s.create_button.click()
    disk = Project.open(tmp_path / "nordvika")
    assert (disk.site, disk.site_name, disk.intervention.id) == ("9902", "Nordvika", "pmto")
    assert disk.period["start"] == "2025-01-06"
    assert made and made[0].path == disk.path
    assert "9902" in s.current.value and "ik-ok" in s.message.value


def test_start_shows_every_problem_and_creates_nothing(tmp_path):
    s = StartScreen(lang="en")
    s.folder.value = str(tmp_path / "bad")
    s.site.value, s.country.value = "12", "NO"
    s.intervention.value = SELF_DEVELOPED
    s.new_name.value = "Foreldrekafé"
    s.develop_answers["target_group"].value = "Foreldre til barn 3–6 år"
    s.create_button.click()
    html = s.message.value
    # every unanswered question of "Utvikle tiltak" is listed, not just the first
    for key in DEVELOP_CHECKLIST_KEYS[1:]:
        assert f"checklist.{key}" in html
    assert not (tmp_path / "bad" / "project.json").exists() and s.project is None


def test_start_self_developed_records_checklist(tmp_path):
    s = StartScreen(lang="nb")
    assert s.develop.layout.display == "none"
    s.intervention.value = SELF_DEVELOPED
    assert s.develop.layout.display == ""
    s.folder.value = str(tmp_path / "kafe")
    s.site.value, s.country.value = "9903", "NO"
    s.new_name.value = "Foreldrekafé"
    for key, box in s.develop_answers.items():
        box.value = f"svar på {key}"
    s.create_button.click()
    disk = Project.open(tmp_path / "kafe")
    assert disk.intervention.type == "self-developed" and disk.intervention.id == "foreldrekafe"
    ans = disk.plan.checklist_answers
    mine = ans[ans["checklist_id"] == "utvikle_tiltak"]
    assert sorted(mine["question_id"]) == sorted(DEVELOP_CHECKLIST_KEYS)
    assert mine["done"].all()
    # the guide of a self-developed project shows the checklist, ticked
    g = PhaseGuide(disk, phases=["forberede"])
    assert g.checks[("utvikle_tiltak", "goal")].value is True


def test_start_opens_project_and_reports_a_missing_one(havnstrup, tmp_path):
    opened = []
    s = StartScreen(on_project=opened.append)
    s.open_path.value = str(tmp_path / "nowhere")
    s.open_button.click()
    assert "project.json" in s.message.value and not opened
    s.open_path.value = str(havnstrup)
    s.open_button.click()
    assert opened[0].site == "903" and s.lang == "da"  # the project's language


def test_language_switch_relabels_and_is_saved(havnstrup):
    s = StartScreen(Project.open(havnstrup))
    assert s.create_button.description == "Opret projekt"
    s.language.value = "en"
    assert s.create_button.description == "Create project"
    assert s.site.description == "Municipality code"
    assert Project.open(havnstrup).language == "en"
    s.language.value = "nb"
    assert s.create_button.description == "Opprett prosjekt"


# -- phase guide ----------------------------------------------------------------------------
def test_guide_tick_and_answer_are_saved_at_once(fresh):
    g = PhaseGuide(fresh)
    key = ("ke3", g.framework.core_element(3).checklist.items[0].id)
    assert g.checks[key].value is False
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


def test_guide_shows_current_phase_and_next_steps(fresh):
    g = PhaseGuide(fresh, lang="en", as_of="2023-02-01")
    first = fresh.plan.activities.sort_values(["due", "activity_id"]).iloc[0]
    assert "Current phase: Prepare" in g.status.value
    assert first["title"] in g.status.value
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
def _overdue_rows(html: str) -> int:
    return html.count('class="ik-overdue"')


def test_plan_editor_status_change_saves_and_redraws(fresh):
    ed = PlanEditor(fresh, as_of="2023-06-01")
    late = fresh.plan.overdue(as_of="2023-06-01")
    assert 0 < len(late) == _overdue_rows(ed.table.value)
    draws, png = ed.chart.n_draws, ed.chart.image.value
    aid = late["activity_id"].iloc[0]
    ed.activity.value = aid
    ed.status.value = "done"
    ed.save_button.click()
    disk = _reopen(fresh).plan.activity(aid)
    assert disk["status"] == "done" and pd.notna(disk["completed"])
    assert _overdue_rows(ed.table.value) == len(late) - 1
    assert ed.chart.n_draws == draws + 1 and ed.chart.image.value != png


def test_plan_editor_add_complete_remove(fresh):
    ed = PlanEditor(fresh, as_of="2023-06-01")
    n = len(fresh.plan)
    ed.title.value = "Informasjonsmøte for skolene"
    ed.phase.value = "planlegge"
    ed.core_element.value = 4
    ed.owner.value = "coordinator"
    ed.start.value, ed.due.value = dt.date(2023, 3, 1), dt.date(2023, 3, 15)
    ed.status.value = "todo"
    ed.add_button.click()
    disk = _reopen(fresh).plan
    assert len(disk) == n + 1
    new = disk.activities.iloc[-1]
    assert (new["title"], new["core_element"], new["owner"]) == (
        "Informasjonsmøte for skolene", 4, "coordinator")
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
    assert "due before start" in ed.message.value
    assert _reopen(fresh).plan.activity(aid)["due"] == before["due"]


def test_plan_editor_filters(fresh):
    ed = PlanEditor(fresh, lang="en", as_of="2023-06-01")
    ed.filter_phase.value = "planlegge"
    shown = ed.filtered()
    assert set(shown["phase"]) == {"planlegge"}
    assert len(ed.activity.options) == len(shown)
    ed.filter_phase.value = "__all__"
    ed.only_overdue.value = True
    assert len(ed.filtered()) == len(fresh.plan.overdue(as_of="2023-06-01"))
    ed.only_overdue.value = False
    ed.filter_owner.value = "leader"
    assert set(ed.filtered()["owner"]) == {"leader"}
    assert "Service leader" in [label for label, _ in ed.filter_owner.options]


# -- intervention editor ------------------------------------------------------------------------
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
    assert iv.theory_of_change.assumptions["resources->activities"] == "Terapeutene har tid avsatt"
    ed.comp_id.value, ed.comp_name.value, ed.comp_kind.value = "tolk", "Tolk ved behov", "flexible"
    ed.add_component_button.click()
    assert _reopen(fresh).intervention.component("tolk").kind == "flexible"
    ed.adapt_component.value = "tolk"
    ed.adapt_change.value, ed.adapt_reason.value = "Skjermtolk", "Ingen tolk lokalt"
    ed.adapt_button.click()
    log = _reopen(fresh).intervention.adaptations
    assert (log[-1].component, log[-1].kind, log[-1].change) == ("tolk", "flexible", "Skjermtolk")
    assert "Skjermtolk" in ed.adaptations_table.value


def test_intervention_editor_shows_problems_and_keeps_disk(fresh):
    ed = InterventionEditor(fresh, lang="en")
    before = _reopen(fresh).intervention
    ed.dosage["min_sessions"].value = 30  # above max_sessions
    ed.comp_kind.value = "core"
    ed.save_button.click()
    assert "min_sessions above max_sessions" in ed.message.value
    ed.add_component_button.click()  # no id, no name
    assert "component without id" in ed.message.value
    assert _reopen(fresh).intervention == before


# -- fidelity data ------------------------------------------------------------------------------
BAD_CSV = ("check_id;Kommune;Dato;Punkt;Komponent;Leveret\n"
           "K9;903;31.02.2024;curriculum;curriculum;kanskje\n"
           "K9;903;01.03.2024;role_play;role_play;ja\n").encode("cp1252")


def test_upload_with_problems_lists_them_and_imports_nothing(havnstrup):
    p = Project.open(havnstrup)
    generation, rows = p.meta["generation"], len(p.table("fidelity_checks"))
    fd = FidelityData(p, lang="en")
    fd.table.value = "fidelity_checks"
    _upload(fd.upload, "../tjekliste.csv", BAD_CSV)
    html = fd.problems.value
    cells = re.findall(r"<tr><td>(.*?)</tr>", html)
    assert len(cells) == 2  # both problems, each on row 1
    assert "not a date" in html and "31.02.2024" in html
    assert "value not allowed" in html and "kanskje" in html
    assert "<th>Row</th>" in html and fd.pending is None and fd.import_button.disabled
    fd.import_button.click()
    disk = Project.open(havnstrup)
    assert disk.meta["generation"] == generation
    assert len(disk.table("fidelity_checks")) == rows


def test_clean_upload_is_imported(havnstrup):
    p = Project.open(havnstrup)
    rows = len(p.table("fidelity_checks"))
    fd = FidelityData(p)
    fd.table.value = "fidelity_checks"
    _upload(fd.upload, "tjekliste.csv", BAD_CSV.replace(b"31.02", b"28.02").replace(
        b"kanskje", b"delvis"))
    assert fd.problems.value == "" and not fd.import_button.disabled
    fd.import_button.click()
    disk = Project.open(havnstrup).table("fidelity_checks")
    assert len(disk) == rows + 2
    assert disk[disk["check_id"] == "K9"]["delivered"].tolist() == ["partly", "yes"]


def test_manual_row_register_and_checklist(havnstrup):
    p = Project.open(havnstrup)
    fd = FidelityData(p)
    fd.table.value = "eligible"
    assert fd.fields["site"].value == "903"
    fd.fields["period"].value, fd.fields["n_eligible"].value = "2031", "55"
    fd.add_row_button.click()
    elig = Project.open(havnstrup).table("eligible")
    assert elig.set_index("period").loc["2031", "n_eligible"] == 55
    fd.fields["n_eligible"].value = "mange"
    fd.add_row_button.click()  # the problem is shown on row 1 of what was entered
    assert "<td>1</td>" in fd.message.value and "mange" in fd.message.value
    group = p.table("participants")["group_id"].iloc[0]
    fd.group.value, fd.session_no.value = group, 17
    fd.load_register_button.click()
    first = next(iter(fd.attended))
    fd.attended[first].value = True
    fd.save_register_button.click()
    fd.save_register_button.click()  # saving twice replaces, never doubles
    att = Project.open(havnstrup).table("attendance")
    here = att[att["session_no"] == 17]
    assert len(here) == len(fd.attended) and here.set_index("participant_id").loc[
        first, "attended"]
    fd.save_checklist_button.click()  # nothing scored yet: refused
    assert "curriculum" in fd.message.value.lower() or "Ikke vurderet" in fd.message.value
    for w in fd.delivered.values():
        w.value = "yes"
    fd.save_checklist_button.click()
    checks = Project.open(havnstrup).table("fidelity_checks")
    assert (checks["session_no"] == 17).sum() == len(p.intervention.components)


# -- exchange and dashboard -------------------------------------------------------------------
def test_export_verdicts(havnstrup, tmp_path):
    ex = ExchangeScreen(Project.open(havnstrup), lang="en", network=tmp_path / "net.duckdb")
    ex.out_dir.value = str(tmp_path / "out")
    ex.export_button.click()
    assert ex.last_export.is_file() and "found no personal identifiers" in ex.verdict.value
    p = Project.open(havnstrup)
    # free text never leaves (the allow-list); a CPR number where a count belongs does
    # reach the scanner, which stops the export
    elig = p.table("eligible").copy()
    elig.loc[0, "n_eligible"] = 101901234
    p.set_table("eligible", elig)
    ex.project = p
    ex.level.value = "pseudonymised"
    ex.out_dir.value = str(tmp_path / "refused")
    ex.export_button.click()
    assert "privacy guard stopped the export" in ex.verdict.value
    assert "101901234" not in ex.verdict.value and "n_eligible" in ex.verdict.value
    assert not any((tmp_path / "refused").glob("*.zip"))


def test_network_import_share_back_and_dashboard(havnstrup, network_dir, tmp_path):
    p = Project.open(havnstrup)
    ex = ExchangeScreen(p, network=tmp_path / "net.duckdb")
    ex.out_dir.value = str(tmp_path / "out")
    ex.export_button.click()
    other = export_package(network_dir / "dk-901-keep", tmp_path / "alund.zip")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    ex.packages.value = f"{ex.last_export}\n{other}\n{broken}"
    summary = ex.validate()
    assert summary["n_problems"].tolist()[:2] == [0, 0] and summary["n_problems"].iloc[2] > 0
    ex.packages.value = f"{ex.last_export}\n{other}"
    results = ex.import_packages()
    assert set(results["action"]) == {"imported"}
    with NetworkStore(tmp_path / "net.duckdb") as store:
        assert sorted(store.provenance()["site"]) == ["901", "903"]
        share = {f.name: f for f in store.share_back(tmp_path / "sb")}
    dash = Dashboard(p, as_of=AS_OF, sections=["network"])
    assert "funnel" not in dash.figures and set(dash.sections) == {"network"}
    ex.share_back.value = str(share["share-back-901.zip"])  # another site's: refused
    ex.open_button.click()
    assert "no benchmarks for this site" in ex.share_back_result.value
    ex.share_back.value = str(share["share-back-903.zip"])
    ex.open_button.click()
    bench = Project.open(havnstrup).table("benchmarks")
    assert len(bench) and set(bench["site"]) == {"903"}
    dash.refresh_button.click()
    assert "funnel" in dash.figures and dash.indicator.options
    assert t("col_network_median", "da") in dash.sections["network"].value
    assert t("indicator_adherence", "da") in dash.sections["network"].value


def test_dashboard_sections(havnstrup):
    d = Dashboard(Project.open(havnstrup), lang="en", as_of=AS_OF)
    assert "Stage reached: 8 of 8" in d.sections["sic"].value
    assert "Share of participants who graduated" in d.sections["fidelity"].value
    assert t("outcome_acceptability", "en") in d.sections["outcomes"].value
    assert {"progress", "sic", "fidelity", "attendance"} <= set(d.figures)
    assert all(len(f.image.value) > 1000 for f in d.figures.values())
    assert d.summary().loc[0, "stage_reached"] == 8
    with pytest.raises(KeyError, match="dashboard section"):
        Dashboard(d.project, sections=["nope"])


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


def test_app_builds_tabs_lazily_and_tracks_screen(fresh):
    app = App(fresh, as_of="2023-06-01")
    assert app.tab_ids[app.tabs.selected_index] == "guide"
    assert set(app._screens) == {"start", "guide"}
    app.tabs.selected_index = app.tab_ids.index("plan")
    assert isinstance(app.screen("plan"), PlanEditor) and app.feedback.screen == "plan"
    app.feedback.comment.value = "Hei"
    app.feedback.send_button.click()
    assert _reopen(fresh).table("feedback")["screen"].tolist() == ["plan"]


def test_app_without_project_then_create(tmp_path):
    app = App(lang="en")
    assert app.tab_ids == ["start"] and app.feedback is None
    app.start.folder.value = str(tmp_path / "ny")
    app.start.site.value, app.start.country.value = "101", "DK"
    app.start.intervention.value = "keep"
    app.start.create_button.click()
    assert app.tab_ids[1] == "guide" and app.project.site == "101"
    assert app.tabs.titles[1] == "Guide"


@pytest.mark.parametrize("lang", ["nb", "da", "en"])
def test_every_visible_text_is_translated(fresh, lang):
    """Switching language re-renders every label, and no label is a missing locale key."""
    fb = Feedback(fresh)
    fb.comment.value = "x"
    fb.send()  # a row in a table, so the data screen shows one
    app = App(fresh, lang="nb" if lang != "nb" else "da", as_of="2023-06-01")
    for sid in app.tab_ids:
        app.screen(sid)
    app.start.language.value = lang
    assert app.tabs.titles[1] == {"nb": "Veileder", "da": "Vejledning", "en": "Guide"}[lang]
    save = {"nb": "Lagre endringer", "da": "Gem ændringer", "en": "Save changes"}[lang]
    assert app.screen("plan").save_button.description == save
    texts = _texts(app.root)
    missing = sorted({m for text in texts for m in re.findall(r"\bui_[a-z_]+", text)})
    assert missing == []
    assert all(s.lang == lang for s in app._screens.values())
