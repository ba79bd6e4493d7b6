"""Data entry that cannot corrupt, tested headless: uploads with a preview, the editable
grid, the attendance register and the session checklist; then exchange and the dashboard.

Files are the kind municipalities export: Norwegian or Danish headings, ``;`` separators,
dd.mm.yyyy dates, decimal commas, ``ja``/``nej``, a byte-order mark.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from implementere_kit import Project
from implementere_kit.examples import AS_OF
from implementere_kit.exchange.network import NetworkStore
from implementere_kit.exchange.package import export_package
from implementere_kit.i18n import t
from implementere_kit.store.workspace import Workspace
from implementere_kit.widgets import Dashboard, ExchangeScreen, FidelityData

PARTS = ("Deltager-ID;Kommunenr;Gruppe;Startdato\n"
         "F1;903;G1;06.01.2025\nF2;903;G1;06.01.2025\nF3;903;G1;06.01.2025\n"
         ).encode("utf-8-sig")
SESSIONS = ("Kommunenr;Gruppe;Session;Dato;Varighed\n"
            "903;G1;1;13.01.2025;90\n903;G1;2;20.01.2025;85,5\n903;G7;1;13.01.2025;90\n"
            ).encode("utf-8-sig")
ATTENDANCE = ("Deltager-ID;Session;Mødt\nF1;1;ja\nF2;1;nej\nF3;1;ja\nF1;2;ja\nF2;2;ja\n"
              "F9;2;ja\nF3;3;ja\n").encode("utf-8-sig")


@pytest.fixture
def empty(tmp_path):
    """A new KEEP project in Havnstrup with no data yet."""
    return Workspace(tmp_path / "ws").create("havnstrup-keep", site="903", country="DK",
                                            intervention="keep", site_name="Havnstrup",
                                            start="2025-01-06", language="da")


def _upload(widget, name: str, content: bytes) -> None:
    """What the browser sends when a file is chosen in a FileUpload."""
    widget.value = ({"name": name, "type": "text/csv", "size": len(content),
                     "content": memoryview(content),
                     "last_modified": dt.datetime.now(dt.UTC)},)


def _import(fd, table, content):
    fd.table.value = table
    _upload(fd.upload, f"{table}.csv", content)
    return fd.preview


def test_upload_previews_then_stores_and_the_same_file_twice_changes_nothing(empty):
    fd = FidelityData(empty, lang="da")
    pv = _import(fd, "participants", PARTS)
    assert pv.counts == {"new": 3, "changed": 0, "unchanged": 0, "refused": 0}
    assert "3 nye, 0 ændret, 0 uændret, 0 afvist" in fd.preview_box.value
    assert Project.open(empty.path).table("participants").empty  # nothing before the click
    fd.import_button.click()
    assert len(Project.open(empty.path).table("participants")) == 3
    generation = Project.open(empty.path).meta["generation"]
    pv = _import(fd, "participants", PARTS)  # the same file again
    assert pv.counts["unchanged"] == 3 and not pv.ready and fd.import_button.disabled
    fd.import_button.click()
    assert Project.open(empty.path).meta["generation"] == generation  # nothing written


def test_references_are_checked_and_refused_rows_say_why(empty):
    fd = FidelityData(empty, lang="nb")
    _import(fd, "participants", PARTS)
    fd.import_button.click()
    pv = _import(fd, "sessions", SESSIONS)
    assert pv.counts["new"] == 2 and pv.refused["reason"].tolist() == ["unknown_group"]
    assert "Ingen deltaker hører til denne gruppen" in fd.preview_box.value
    fd.import_button.click()
    pv = _import(fd, "attendance", ATTENDANCE)
    assert pv.counts == {"new": 5, "changed": 0, "unchanged": 0, "refused": 2}
    assert sorted(pv.refused["reason"]) == ["unknown_participant", "unknown_session"]
    fd.import_button.click()
    att = Project.open(empty.path).table("attendance")
    assert len(att) == 5 and "F9" not in set(att["participant_id"])
    assert not ((att["participant_id"] == "F3") & (att["session_no"] == 3)).any()
    # a corrected file: F2 did come to session 1 — one row changes, nothing doubles
    fixed = ATTENDANCE.replace(b"F2;1;nej", b"F2;1;ja")
    pv = _import(fd, "attendance", fixed)
    assert (pv.counts["new"], pv.counts["changed"], pv.counts["unchanged"]) == (0, 1, 4)
    fd.import_button.click()
    att = Project.open(empty.path).table("attendance").set_index(["participant_id", "session_no"])
    assert len(att) == 5 and bool(att.loc[("F2", 1), "attended"]) is True


def test_a_malformed_file_lists_every_problem_and_stores_nothing(empty):
    fd = FidelityData(empty, lang="en")
    bad = ("Deltager-ID;Kommunenr;Gruppe;Startdato;Afslutningsårsag\n"
           "F1;903;G1;31.02.2025;\nF2;903;G1;06.01.2025;kanskje\n").encode("cp1252")
    _import(fd, "participants", bad)
    html = fd.problems.value
    assert len(re.findall(r"<tr><td>", html)) == 2  # both problems, each with its row
    assert "Not a date" in html and "31.02.2025" in html and "kanskje" in html
    assert fd.preview is None and fd.import_button.disabled
    assert not (empty.path / ".incoming").exists()  # the upload is not kept
    assert Project.open(empty.path).table("participants").empty


def test_grid_edits_adds_and_refuses_removing_what_is_used(empty):
    fd = FidelityData(empty, lang="nb")
    for table, data in (("participants", PARTS), ("sessions", SESSIONS),
                        ("attendance", ATTENDANCE)):
        _import(fd, table, data)
        fd.import_button.click()
    fd.table.value = "participants"
    grid = fd.grid
    assert [c for c in grid.cells[0]] == ["participant_id", "group_id", "enrolled",
                                          "referral_source", "ended", "end_reason"]
    assert "Falt fra" in grid.cells[0]["end_reason"]._options_labels
    grid.cells[1]["end_reason"].value = "dropped_out"
    grid.cells[1]["ended"].value = dt.date(2025, 2, 1)
    grid.add_row()
    new = grid.cells[-1]
    new["participant_id"].value, new["group_id"].value = "F4", "G1"
    new["enrolled"].value = dt.date(2025, 1, 20)
    grid.save_button.click()
    parts = Project.open(empty.path).table("participants").set_index("participant_id")
    assert parts.loc["F2", "end_reason"] == "dropped_out" and "F4" in parts.index
    assert parts.loc["F4", "site"] == "903"
    grid.remove[0].value = True  # F1 has attendance: refused, nothing changes
    grid.cells[2]["referral_source"].value = "skole"
    grid.save_button.click()
    assert "fortsatt i bruk" in grid.message.value
    parts = Project.open(empty.path).table("participants").set_index("participant_id")
    assert "F1" in parts.index and parts["referral_source"].isna().all()


def test_barriers_adaptations_and_costs_are_kept_in_the_grid(empty):
    from implementere_kit.learning.vocabulary import label_key

    fd = FidelityData(empty, lang="da")
    labels = dict(fd.table.options)
    for table in ("barriers", "adaptations", "costs"):
        assert labels[t(f"ui_table_{table}", "da")] == table
    fd.table.value = "barriers"
    grid = fd.grid
    grid.add_row()
    row = grid.cells[-1]
    # choices are shown in the user's language and stored as codes
    assert t(label_key("barriers", "domain", "inner_context"), "da") in \
        row["domain"]._options_labels
    assert t(label_key("barriers", "strategy", "train_educate"), "da") in \
        row["strategy"]._options_labels
    row["barrier_id"].value, row["date"].value = "B1", dt.date(2025, 3, 3)
    row["phase"].value, row["domain"].value = "implementere", "inner_context"
    row["topic"].value, row["description"].value = "staffing", "To gruppeledere sagde op"
    row["strategy"].value, row["result"].value = "train_educate", "helped"
    grid.save_button.click()  # status is required: refused, nothing stored
    assert Project.open(empty.path).table("barriers").empty
    assert grid.cells[-1]["barrier_id"].value == "B1"  # what was typed is kept
    grid.cells[-1]["status"].value = "resolved"
    grid.save_button.click()
    b = Project.open(empty.path).table("barriers")
    assert b[["barrier_id", "site", "domain", "strategy", "status"]].values.tolist() == [
        ["B1", "903", "inner_context", "train_educate", "resolved"]]
    assert b["description"].iloc[0] == "To gruppeledere sagde op"
    # an adaptation, coded after FRAME in the same grid
    fd.table.value = "adaptations"
    grid.add_row()
    row = grid.cells[-1]
    assert t(label_key("adaptations", "what", "content"), "da") in row["what"]._options_labels
    row["adaptation_id"].value, row["date"].value = "A1", dt.date(2025, 4, 1)
    row["component"].value, row["what"].value = "refreshments", "context"
    row["fidelity"].value, row["national_transfer"].value = "consistent", True
    grid.save_button.click()
    a = Project.open(empty.path).table("adaptations")
    assert a[["adaptation_id", "what", "fidelity"]].values.tolist() == [
        ["A1", "context", "consistent"]]
    assert bool(a["national_transfer"].iloc[0]) is True


def test_register_saves_only_for_a_session_that_exists_and_never_doubles(empty):
    fd = FidelityData(empty, lang="da")
    for table, data in (("participants", PARTS), ("sessions", SESSIONS)):
        _import(fd, table, data)
        fd.import_button.click()
    assert fd.group.options == ("G1",)  # only groups that exist, no typing
    assert [v for _, v in fd.session.options] == [1, 2]  # only sessions that were held
    assert fd.session.options[0][0] == "Session 1 – 13.01.2025"
    fd.session.value = 2
    fd.load_register_button.click()
    fd.attended["F1"].value = True
    fd.save_register_button.click()
    fd.save_register_button.click()  # twice: the same rows, not doubled
    att = Project.open(empty.path).table("attendance")
    assert len(att) == 3 and att.set_index("participant_id").loc["F1", "attended"]
    assert set(att["session_no"]) == {2}
    fd.save_checklist_button.click()  # nothing scored yet: refused
    assert "Ikke vurderet" in fd.message.value
    for w in fd.delivered.values():
        w.value = "yes"
    fd.save_checklist_button.click()
    checks = Project.open(empty.path).table("fidelity_checks")
    assert len(checks) == len(empty.intervention.components)
    assert set(checks["session_no"]) == {2} and checks["date"].iloc[0] == dt.datetime(2025, 1, 20)


# -- exchange and dashboard -------------------------------------------------------------------
def test_export_verdicts_and_download(havnstrup):
    ex = ExchangeScreen(Project.open(havnstrup), lang="en")
    ex.export_button.click()
    assert ex.last_export.parent == havnstrup / "exports" and ex.last_export.is_file()
    assert "found no personal identifiers" in ex.verdict.value
    assert f'download="{ex.last_export.name}"' in ex.verdict.value
    p = Project.open(havnstrup)
    # free text never leaves (the allow-list); a CPR number where a count belongs does
    # reach the scanner, which stops the export (merged from the exchange branch)
    elig = p.table("eligible").copy()
    elig.loc[0, "n_eligible"] = 101901234
    p.set_table("eligible", elig)
    ex.project = p
    ex.level.value = "pseudonymised"
    before = set((havnstrup / "exports").iterdir())
    ex.export_button.click()
    assert "privacy guard stopped the export" in ex.verdict.value
    # where, by name (not the raw column id), what kind and how many rows; never the value
    from implementere_kit.i18n import column_label

    assert "101901234" not in ex.verdict.value and "n_eligible" not in ex.verdict.value
    assert column_label("n_eligible", "en") in ex.verdict.value
    assert t("ui_table_eligible", "en") in ex.verdict.value
    assert set((havnstrup / "exports").iterdir()) == before


def test_a_false_positive_gets_a_reviewed_exception_in_the_app(havnstrup):
    """The export screen offers what stopped the export as a reviewed exception (never a
    key column), records it in the audit log with reason and reviewer, and the next export
    passes; a bad reason is refused without echoing it and records nothing."""
    p = Project.open(havnstrup)
    elig = p.table("eligible").copy()
    elig.loc[0, "n_eligible"] = 101901234  # reads as a CPR number that lost its leading zero
    p.set_table("eligible", elig)
    p.save()
    ex = ExchangeScreen(Project.open(havnstrup), lang="da")
    assert ex.exception_box.layout.display == "none" and ex.exceptions_list.value == ""
    ex.level.value = "pseudonymised"
    ex.export_button.click()
    assert ex.last_export is None and ex.exception_box.layout.display == ""
    assert t("ui_privacy_refused", "da") in ex.verdict.value and "n_eligible" not in \
        ex.verdict.value and t("ui_col_first_rows", "da") in ex.verdict.value
    [(label, value)] = ex.exception_finding.options
    assert value[:2] == ("eligible", "n_eligible") and "n_eligible" not in label
    assert t("ui_table_eligible", "da") in label
    ex.exception_finding.value = value
    ex.exception_reason.value = "kort"  # too short: refused, nothing recorded
    ex.exception_reviewer.value = "Databeskyttelsesrådgiver"
    ex.exception_button.click()
    assert "ik-fail" in ex.exception_result.value
    ex.exception_reason.value = "Tallet er CPR 0101901234 fra sagen"  # holds an identifier
    ex.exception_button.click()
    assert "ik-fail" in ex.exception_result.value and "0101901234" not in ex.exception_result.value
    assert Project.open(havnstrup).privacy_exceptions().empty
    ex.exception_reason.value = "Tallet er et antal borgere i målgruppen, ikke et CPR-nummer"
    ex.exception_button.click()
    assert "ik-ok" in ex.exception_result.value
    active = Project.open(havnstrup).privacy_exceptions()
    assert active[["table", "column", "kind"]].values.tolist() == [list(value)]
    assert "Databeskyttelsesrådgiver" in ex.exceptions_list.value
    ex.export_button.click()  # the reviewed exception lets the export through
    assert ex.last_export is not None and "ik-ok" in ex.verdict.value
    assert ex.exception_box.layout.display == "none"


def test_network_import_share_back_and_dashboard(havnstrup, network_dir, tmp_path):
    p = Project.open(havnstrup)
    ex = ExchangeScreen(p)
    ex.export_button.click()
    shutil.copytree(network_dir / "dk-901-keep", tmp_path / "alund")  # exports record
    other = export_package(tmp_path / "alund", tmp_path / "alund.zip")
    ex.receive_packages([(ex.last_export.name, ex.last_export.read_bytes()),
                         ("../alund.zip", other.read_bytes()), ("broken.zip", b"not a zip")])
    assert {f.name for f in (havnstrup / "network" / "received").iterdir()} == {
        ex.last_export.name, "alund.zip", "broken.zip"}
    summary = ex.validate()
    assert summary["n_problems"].tolist()[:2] == [0, 0] and summary["n_problems"].iloc[2] > 0
    ex.received = ex.received[:2]
    results = ex.import_packages()
    assert set(results["action"]) == {"imported"} and "importeret" in ex.network_result.value
    with NetworkStore(ex.store_path) as store:
        assert sorted(store.provenance()["site"]) == ["901", "903"]
        share = {f.name: f for f in store.share_back(tmp_path / "sb")}
    dash = Dashboard(p, as_of=AS_OF, sections=["network"])
    assert "funnel" not in dash.figures and set(dash.sections) == {"network"}
    ex.receive_share_back("share-back-901.zip", share["share-back-901.zip"].read_bytes())
    assert "ik-fail" in ex.share_back_result.value  # another site's: refused
    ex.receive_share_back("share-back-903.zip", share["share-back-903.zip"].read_bytes())
    bench = Project.open(havnstrup).table("benchmarks")
    assert len(bench) and set(bench["site"]) == {"903"}
    from implementere_kit.measures.catalogue import measure

    # the screen shows what it stored as the dashboard does: measures by name, no raw ids
    shown = ex.share_back_result.value
    assert t("col_network_value", "da") in shown and measure("completion").label("da") in shown
    assert not re.search(r"<td>[a-z]+_?[a-z_]*</td>", shown), "a raw id is shown"
    dash.refresh_button.click()
    html = dash.sections["network"].value
    assert "funnel" in dash.figures and dash.indicator.options
    # share-back carries no medians (they give other sites away): the network value, by the
    # catalogue's name for the measure
    assert t("col_network_value", "da") in html and measure("adherence").label("da") in html
    assert t("col_network_median", "da") not in html
    assert re.search(r"<td>\d+ %</td>", html) and "0." not in re.sub(r"<[^>]+>", " ", html)


def test_dashboard_speaks_the_screen_language(havnstrup):
    d = Dashboard(Project.open(havnstrup), lang="da", as_of=AS_OF)
    assert "Trin nået: 8 af 8" in d.sections["sic"].value
    text = " ".join(re.sub(r"<[^>]+>", " ", s.value) for s in d.sections.values())
    # completion and the outcomes by the catalogue's names, as every report shows them
    # (measures, issue 12)
    from implementere_kit.measures.catalogue import measure

    assert f"{measure('completion').label('da')}: " in text and re.search(r"\d+ %", text)
    assert measure("acceptability").label("da") in text
    for raw in ("NaN", "True", "False", "survey_responses", "core", "0.8"):
        assert raw not in text, raw
    assert {"progress", "sic", "fidelity", "attendance"} <= set(d.figures)
    assert all(len(f.image.value) > 1000 for f in d.figures.values())
    assert d.summary().loc[0, "stage_reached"] == 8
    with pytest.raises(KeyError, match="dashboard section"):
        Dashboard(d.project, sections=["nope"])
