"""The workspace (a persistent folder of projects) and the overviews every face shows."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.store.overview import (
    network_status,
    phase_overview,
    plan_view,
    status_view,
)
from implementere_kit.store.workspace import (
    DEMO_NAME,
    WORKSPACE_ENV,
    ProjectExistsError,
    Workspace,
    default_workspace,
)


def test_default_is_the_environment_then_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path / "ws"))
    assert default_workspace() == tmp_path / "ws"
    monkeypatch.delenv(WORKSPACE_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    folder = default_workspace()
    assert folder == tmp_path / "xdg" / "implementere-kit"  # platformdirs on Linux
    assert not str(folder).startswith(tempfile.gettempdir() + "/implementere")


def test_create_list_open_and_refuse_a_taken_name(tmp_path):
    ws = Workspace(tmp_path / "ws")
    p = ws.create("havnstrup", site="903", country="DK", intervention="keep",
                  site_name="Havnstrup", language="da")
    p.plan.complete("ke1_needs", date="2024-01-01")
    p.save()
    with pytest.raises(ProjectExistsError, match="havnstrup"):
        ws.create("havnstrup", site="9901", country="NO", intervention="fft", overwrite=True)
    again = ws.open("havnstrup")
    assert again.site == "903" and again.plan.activity("ke1_needs")["status"] == "done"
    listed = ws.projects()
    assert listed[["name", "site", "intervention", "language", "demo"]].values.tolist() == [
        ["havnstrup", "903", "keep", "da", False]]
    assert listed["intervention_labels"].iloc[0]["da"].startswith("KEEP")


@pytest.mark.parametrize("name", ["../x", "a/b", "/etc", "", " ", ".hidden", "x" * 90, None])
def test_a_name_cannot_leave_the_workspace(tmp_path, name):
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(ValidationError, match="not a project name"):
        ws.folder(name)


def test_relative_paths_resolve_against_the_workspace_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ws = Workspace(tmp_path / "ws")
    assert ws.resolve("p") == ws.path / "p"
    assert ws.resolve(tmp_path / "abs") == tmp_path / "abs"


def test_demo_is_made_once_marked_and_kept(tmp_path):
    ws = Workspace(tmp_path / "ws")
    demo = ws.demo()
    assert demo.path == ws.path / DEMO_NAME and demo.site == "903"
    demo.plan.update("ke1_needs", notes="øving")
    demo.save()
    assert ws.demo().plan.activity("ke1_needs")["notes"] == "øving"  # not made anew
    assert ws.projects()["demo"].tolist() == [True]
    assert sorted(p.name for p in ws.path.iterdir()) == [DEMO_NAME]  # no temporary leftovers


def test_a_damaged_project_is_listed_with_its_problem(tmp_path):
    ws = Workspace(tmp_path / "ws")
    (ws.path / "broken").mkdir()
    (ws.path / "broken" / "project.json").write_text("{not json")
    rows = ws.projects()
    assert rows["name"].tolist() == ["broken"] and "cannot be read" in rows["problem"].iloc[0]


def test_settings_are_kept_apart_from_projects(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.set_setting("ui_language", "en")
    ws.set_setting("other", 1)
    assert Workspace(tmp_path / "ws").settings() == {"ui_language": "en", "other": 1}
    (ws.path / "settings.json").write_text("[1, 2]")
    assert ws.settings() == {}
    assert ws.projects().empty


def test_workspace_on_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(Exception, match="cannot use"):
        Workspace(f)


# -- overviews ----------------------------------------------------------------------------
def test_plan_view_and_status_view_speak_the_readers_language(tmp_path):
    ws = Workspace(tmp_path / "ws")
    p = ws.create("p", site="903", country="DK", intervention="keep", start="2025-01-06",
                  language="da")
    view = plan_view(p, "nb", as_of="2025-06-01")
    first = view.iloc[0]
    assert (first["phase"], first["status"]) == ("Forberede", "Ikke startet")
    # owners are the municipality's roles (sources, issue 13), named in nb
    assert set(view["owner"]) == {"Tjenesteleder", "Implementeringsteam", "Koordinator", "Utøvere"}
    assert view["overdue"].sum() == len(p.plan.overdue(as_of="2025-06-01"))
    p.plan.update(p.plan.activities["activity_id"].iloc[0], title="Vores egen titel")
    assert plan_view(p, "en")["title"].iloc[0] == "Vores egen titel"  # typed: shown as typed
    st = status_view(p, "da", as_of="2025-06-01")
    assert list(st.columns[:2]) == ["Fase", "Kerneopgave"] and st.iloc[0, 0] == "Forberede"
    assert st["Andel færdig"].str.endswith(" %").all()


def test_phase_overview_counts_checklists(tmp_path):
    p = Workspace(tmp_path / "ws").create("p", site="903", country="DK", intervention="keep")
    p.plan.answer("ke1", "meets_need", done=True)
    ov = phase_overview(p).set_index("phase")
    assert ov.loc["forberede", "checklist_done"] == 1
    assert ov.loc["viderefore", "checklist_done"] == 0
    assert list(ov.index) == ["forberede", "planlegge", "implementere", "viderefore"]


def test_network_status_across_folders(network_dir):
    folders = sorted(Path(network_dir).glob("*/project.json"))
    prog, scores, summary = network_status([f.parent for f in folders], as_of="2026-06-30")
    assert len(summary) == len(folders) and list(summary.columns[:3]) == [
        "site", "site_name", "intervention"]
    assert set(prog["phase"]) == {"forberede", "planlegge", "implementere", "viderefore"}
    assert json.loads(folders[0].read_text())["site"] in set(summary["site"])


def test_owner_requirement_titles_follow_the_language(network_dir):
    """A Danish KEEP project's activities from the owner's requirements read in English on
    an English screen and report, unless someone retitled them."""
    from implementere_kit import Project
    from implementere_kit.report.evaluation import evaluate
    from implementere_kit.store.overview import plan_view

    p = Project.open(network_dir / "dk-903-keep")
    req = {r.id: r for r in p.intervention.requirements}
    da = plan_view(p, "da").set_index("activity_id")["title"]
    en = plan_view(p, "en").set_index("activity_id")["title"]
    assert en["req_coordinator"] == req["coordinator"].label("en") != da["req_coordinator"]
    assert en["ke1_needs"] != da["ke1_needs"]  # template activities as before
    p.plan.activities.loc[p.plan.activities["activity_id"] == "req_coordinator",
                          "title"] = "Vores egen koordinator"
    assert plan_view(p, "en").set_index("activity_id")["title"]["req_coordinator"] == \
        "Vores egen koordinator"
    ev = evaluate(Project.open(network_dir / "dk-903-keep"), lang="en")
    assert req["three_groups"].label("en") in set(ev.activities["title"])
