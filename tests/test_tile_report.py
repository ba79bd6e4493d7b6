"""The site report's TILE sections and the network meeting pack."""

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from matplotlib.figure import Figure

from implementere_kit import report
from implementere_kit.errors import UnknownNameError, ValidationError
from implementere_kit.i18n import t
from implementere_kit.report import tile_section

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ev(network_dir):
    return report.evaluate(network_dir / "dk-903-keep", lang="da", as_of="2026-06-30")


@pytest.mark.parametrize("name,key,figures", [
    ("family_outcomes", "report_section_family_outcomes", 0),
    ("components", "report_section_components", 2),
    ("barriers", "report_section_barriers", 1),
    ("frame_adaptations", "report_section_frame", 1),
    ("cost", "report_section_cost", 1)])
def test_sections_have_data(ev, name, key, figures):
    items = tile_section(ev, name)
    assert str(items[0]) == f"## {t(key, 'da')}"
    assert sum(isinstance(i, Figure) for i in items) == figures
    tables = [i for i in items if hasattr(i, "data")]
    assert tables and all(len(s.data) for s in tables)
    html = "".join(s.to_html() for s in tables)
    assert "&lt;NA&gt;" not in html and "<NA>" not in html and ">nan<" not in html


def test_outcome_section_states_the_design_and_links_the_theory_of_change(ev):
    items = tile_section(ev, "family_outcomes")
    text = " ".join(str(i) for i in items if isinstance(i, str))
    assert t("report_design_prepost", "da") in text
    links = items[-1].data
    assert links.iloc[1, 2].startswith("PSS")


def test_components_section_says_observational(ev):
    text = " ".join(str(i) for i in tile_section(ev, "components") if isinstance(i, str))
    assert "Observationelle data" in text
    assert "MixedLM" not in text and "OLS" not in text  # the method in Danish, too


def test_barriers_section_with_network_advice(ev, network_dir):
    others = sorted(p.parent for p in network_dir.glob("dk-*/project.json"))
    items = tile_section(ev, "barriers", network=others)
    assert t("report_network_advice", "da") in " ".join(str(i) for i in items
                                                        if isinstance(i, str))


def test_a_period_without_tile_data(network_dir):
    ev = report.evaluate(network_dir / "dk-905-keep", lang="en", as_of="2025-10-01")
    assert str(tile_section(ev, "components")[-1]) == t("report_no_components", "en")
    with pytest.raises(UnknownNameError):
        tile_section(ev, "weather")


def test_the_evaluator_notebook_shows_the_sections():
    nb = json.loads(report.notebook_path("evaluator").read_text())
    src = "".join("".join(c["source"]) for c in nb["cells"])
    for name in ("family_outcomes", "components", "barriers", "frame_adaptations", "cost"):
        assert f'"{name}"' in src


def test_meeting_notebook_ships_and_matches_the_repository():
    shipped = report.notebook_path("meeting")
    assert shipped.read_bytes() == (REPO / "notebooks/network/meeting_pack.ipynb").read_bytes()
    nb = json.loads(shipped.read_text())
    params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and "store_path = " in "".join(params[0]["source"])
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_meeting_pack_workbook(tmp_path):
    store = report.demo_network_store()
    out = report.build_meeting_pack(store, tmp_path / "pack.xlsx", fmt="xlsx", lang="en",
                                    as_of="2026-06-30")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Sites", "Barriers", "Solutions", "Adaptations",
                               "Core components adapted", "Themes", "Agreed follow-up"]
    site = t("col_site", "en")  # headings are in the pack's language
    sites = pd.read_excel(out, sheet_name="Sites", dtype={site: str})
    assert sites[site].tolist() == ["901", "902", "903", "904"]
    da = report.build_meeting_pack(store, tmp_path / "pakke.xlsx", fmt="xlsx", lang="da",
                                   as_of="2026-06-30")
    book = openpyxl.load_workbook(da)
    assert book.sheetnames[:2] == [t("sheet_sites", "da"), t("sheet_barriers", "da")]
    assert t("col_site", "da") in [c.value for c in book.worksheets[0][1]]


def test_meeting_pack_html(tmp_path):
    out = report.build_meeting_pack(report.demo_network_store(), tmp_path / "pack.html",
                                    lang="da", as_of="2026-06-30")
    html = out.read_text(encoding="utf-8")
    for key in ("meeting_title", "meeting_section_sites", "meeting_section_themes",
                "meeting_section_solutions", "meeting_section_adaptations"):
        assert t(key, "da") in html, key
    assert "Traceback" not in html and "<script src=" not in html


def test_meeting_pack_of_nothing(tmp_path):
    with pytest.raises(ValidationError, match="no network store"):
        report.meeting_report(tmp_path / "missing.duckdb")
