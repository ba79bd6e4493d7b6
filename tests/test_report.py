"""Reports: HTML from the evaluator and network notebooks, Excel export, parameter errors,
the period cut and "what to look at next"."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from implementere_kit import NetworkStore, Project, report
from implementere_kit.errors import ProjectError, UnknownNameError, ValidationError
from implementere_kit.exchange.package import export_package
from implementere_kit.i18n import t

AS_OF = "2026-06-30"  # the example network's "today" (implementere_kit.examples.AS_OF)
KEEP_SITES = ("dk-901-keep", "dk-902-keep", "dk-903-keep", "dk-904-keep")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store(network_dir, tmp_path_factory):
    """A network store of the four KEEP sites, and their share-back packages."""
    root = tmp_path_factory.mktemp("store")
    for name in KEEP_SITES:  # an export records itself in the project: never the shared copy
        shutil.copytree(network_dir / name, root / name)
    packages = [export_package(root / name, root / f"{name}.zip",
                               level="aggregate" if i % 2 else "pseudonymised", as_of=AS_OF)
                for i, name in enumerate(KEEP_SITES)]
    with NetworkStore(root / "network.duckdb") as st:
        st.merge(packages)
        st.share_back(root / "share-back", as_of=AS_OF)
    return root


@pytest.fixture
def no_papermill(monkeypatch):
    """Fail the test if a notebook would be run."""
    def boom(*a, **k):
        raise RuntimeError("papermill must not run for bad parameters")

    monkeypatch.setattr(report, "_run_notebook", boom)


def _text(html: str) -> str:
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _tables(html: str) -> list[list[list[str]]]:
    """Every <table> of an HTML page as rows of cell texts (header row first)."""
    from html.parser import HTMLParser

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr" and self.tables:
                self.tables[-1].append([])
            elif tag in ("td", "th") and self.tables:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Tables()
    parser.feed(html)
    return [t for t in parser.tables if t]


# -- HTML reports (the two papermill runs of this module) ------------------------------------
def test_build_html_report(havnstrup, store, tmp_path):
    out = report.build_report(havnstrup, tmp_path / "havnstrup.html", lang="en", as_of=AS_OF,
                              share_back=store / "share-back" / "share-back-903.zip")
    assert out == tmp_path / "havnstrup.html" and out.is_file()
    html = out.read_text(encoding="utf-8")
    for key in ("report_section_status", "report_section_fidelity", "report_section_outcomes",
                "report_section_reliability", "report_section_adaptations",
                "report_section_network", "report_section_next"):
        assert re.search(rf"<h2[^>]*>{re.escape(t(key, 'en'))}", html), key
    assert html.count("data:image/png;base64,") >= 10
    # no code: neither the parameters nor the calls, no input areas, no prompts
    for code in ("project_path =", "report.evaluate(", "display(*ev.section", "%matplotlib"):
        assert code not in html
    assert "class=\"jp-InputArea" not in html and "In&nbsp;[" not in html
    assert "<script src=" not in html  # opens offline
    # the advice in the HTML is the advice the library derives from the same numbers
    ev = report.evaluate(havnstrup, lang="en", as_of=AS_OF,
                         share_back=store / "share-back" / "share-back-903.zip")
    text = _text(html)
    assert ev.next_steps and all(step in text for step in ev.next_steps)
    # one report, one number per measure: each measure sits in one row of one measures
    # table, with the value the spreadsheet of the same report holds
    from implementere_kit.measures.catalogue import format_value, measure, measure_ids

    shown = {}
    for table in _tables(html):
        head = table[0]
        if head[:2] != [t("col_measure", "en"), t("col_value", "en")]:
            continue
        for row in table[1:]:
            assert row[0] not in shown, f"{row[0]} shown twice"
            shown[row[0]] = row[1]
    xlsx = report.build_report(havnstrup, tmp_path / "havnstrup.xlsx", fmt="xlsx", lang="en",
                               as_of=AS_OF, share_back=store / "share-back" / "share-back-903.zip")
    # the workbook speaks the report's language (sheet names and headings from the locales)
    sheet = pd.read_excel(xlsx, sheet_name=t("sheet_measures", "en"))
    ids, label, value = (t(f"col_{c}", "en") for c in ("measure_id", "label", "value"))
    assert sheet[ids].tolist() == measure_ids(report_only=True)
    assert sheet[ids].is_unique
    for _, r in sheet.iterrows():
        assert shown[r[label]] == format_value(r[value], measure(r[ids]).unit), r[ids]
    assert len(shown) == len(sheet)
    # the variant the report shows is named as such; the other one is not shown
    assert "Completion (of those who ended)" in shown and "Completion (of all enrolled)" \
        not in text
    # one as-of date, the same in the HTML and on the sheet
    facts = pd.read_excel(xlsx, sheet_name=t("sheet_summary", "en")).set_index(
        t("col_item", "en"))[value]
    assert facts[t("report_field_as_of", "en")] == pd.Timestamp(AS_OF)  # a date cell
    assert f"Figures as of {AS_OF}" in text
    assert set(re.findall(r"as of (\d{4}-\d{2}-\d{2})", text)) == {AS_OF}  # network too
    assert {v.attrs["as_of"] for v in ev.export_tables().values()} == {AS_OF}
    overdue = pd.read_excel(xlsx, sheet_name=t("sheet_overdue", "en"))
    assert overdue[t("col_days_overdue", "en")].tolist() == ev.overdue["days_overdue"].tolist()


def test_build_network_report(store, tmp_path):
    out = report.build_network_report(store / "network.duckdb", tmp_path / "net.html",
                                      lang="da")
    html = out.read_text(encoding="utf-8")
    for key in ("network_title", "network_section_sites", "network_section_indicators",
                "network_section_funnels", "network_section_flags"):
        assert t(key, "da") in html
    # one funnel plot per proportion indicator with network figures
    assert html.count("data:image/png;base64,") >= 3
    assert "net.section(" not in html and "store_path =" not in html
    text = _text(html)
    for site in ("901", "902", "903", "904"):
        assert site in text


# -- Excel and the evaluation behind it ----------------------------------------------------------
def test_xlsx_export_sheets_and_values(havnstrup, tmp_path, no_papermill):
    import openpyxl

    out = report.build_report(havnstrup, tmp_path / "r.xlsx", fmt="xlsx", as_of=AS_OF)
    wb = openpyxl.load_workbook(out)
    ids = ["summary", "measures", "phase_progress", "overdue", "sic", "adherence",
           "adherence_by_month", "dropout", "reliability", "adaptations", "next_steps"]
    # no network sheet without share-back; sheet names and headings in Havnstrup's language
    assert wb.sheetnames == [t(f"sheet_{i}", "da") for i in ids]
    ev = report.evaluate(havnstrup, as_of=AS_OF)
    sheet = pd.read_excel(out, sheet_name=t("sheet_adherence", "da"))
    assert sheet[t("col_adherence", "da")].tolist() == pytest.approx(
        ev.adherence["adherence"].tolist())
    summary = pd.read_excel(out, sheet_name=t("sheet_summary", "da"))
    assert summary[t("col_item", "da")].tolist() == ev.summary["item"].tolist()
    assert t("report_field_site", "da") in summary[t("col_item", "da")].tolist()
    m = pd.read_excel(out, sheet_name=t("sheet_measures", "da"))
    m = m.set_index(t("col_label", "da"))
    completion = "Gennemført (af dem der er afsluttet)"
    assert completion in m.index
    # the whole-report adherence is the pooled credit of the component breakdown
    credit = (ev.adherence["adherence"] * ev.adherence["n_items"]).sum()
    adherence = ev.measures.set_index("measure").loc["adherence", "label"]
    assert m.loc[adherence, t("col_value", "da")] == pytest.approx(
        credit / ev.adherence["n_items"].sum())


def test_build_reports_checks_all_before_running(network_dir, tmp_path, no_papermill):
    good = [network_dir / "dk-903-keep", network_dir / "dk-901-keep"]
    with pytest.raises(ValidationError) as err:
        report.build_reports([*good, tmp_path / "missing"], tmp_path / "out", fmt="xlsx")
    assert [p.file for p in err.value.problems] == [str(tmp_path / "missing")]
    assert not (tmp_path / "out").exists()
    written = report.build_reports(good, tmp_path / "out", fmt="xlsx", progress=False,
                                   as_of=AS_OF)
    assert [p.name for p in written] == ["dk-903-keep.xlsx", "dk-901-keep.xlsx"]
    assert all(p.stat().st_size > 0 for p in written)


@pytest.mark.parametrize("kwargs, error, column", [
    ({"period": "2025/01"}, ValidationError, "period"),
    ({"period": "2025-13"}, ValidationError, "period"),
    ({"period": "2025-06:2025-01"}, ValidationError, "period"),
    ({"period": "1999"}, ValidationError, "period"),  # no data then
    ({"lang": "sv"}, UnknownNameError, None),
    ({"fmt": "pdf"}, ValidationError, "fmt"),
])
def test_bad_parameters_fail_before_papermill(havnstrup, tmp_path, no_papermill, kwargs, error,
                                              column):
    with pytest.raises(error) as err:
        report.build_report(havnstrup, tmp_path / "r.html", **kwargs)
    if column:
        assert err.value.problems[0].column == column
    assert not (tmp_path / "r.html").exists()


def test_missing_project_and_wrong_share_back(havnstrup, store, tmp_path, no_papermill):
    with pytest.raises(ProjectError):
        report.build_report(tmp_path / "nothing-here", tmp_path / "r.html")
    with pytest.raises(ValidationError) as err:
        report.build_report(havnstrup, tmp_path / "r.html",
                            share_back=store / "share-back" / "share-back-901.zip")
    assert err.value.problems[0].column == "site"
    with pytest.raises(ValidationError):
        report.build_report(havnstrup, tmp_path / "r.html", share_back=tmp_path / "none.zip")
    with pytest.raises(ValidationError):
        report.build_network_report(tmp_path / "none.duckdb", tmp_path / "n.html")
    with pytest.raises(UnknownNameError):
        report.build_network_report(store / "network.duckdb", tmp_path / "n.html", lang="de")


def test_parse_period():
    def days(p):
        return [d.date().isoformat() for d in report.parse_period(p)]

    assert days("2024") == ["2024-01-01", "2024-12-31"]
    assert days("2024-02") == ["2024-02-01", "2024-02-29"]
    assert days("2024-02-10:2024-03") == ["2024-02-10", "2024-03-31"]
    assert report.parse_period(None) == (None, None)
    with pytest.raises(ValidationError):
        report.parse_period("2024-02-30")


def test_period_cuts_the_tables(havnstrup):
    ev = report.evaluate(havnstrup, period="2024")
    assert str(ev.as_of.date()) == "2024-12-31"
    for name in ("sessions", "fidelity_checks", "competence_ratings"):
        d = pd.to_datetime(ev.tables[name]["date"])
        assert len(d) and d.between("2024-01-01", "2024-12-31").all(), name
    whole = report.evaluate(havnstrup)
    assert len(ev.tables["sessions"]) < len(whole.tables["sessions"])
    parts = ev.tables["participants"]
    assert (parts["enrolled"] <= "2024-12-31").all()
    assert (parts["ended"].isna() | (parts["ended"] >= "2024-01-01")).all()
    assert set(ev.tables["attendance"]["participant_id"]) <= set(parts["participant_id"])


def test_reliability_pairs_the_double_ratings(havnstrup):
    ev = report.evaluate(havnstrup, lang="en", as_of=AS_OF)
    r = ev.tables["competence_ratings"]
    key = ["practitioner_id", "date", "dimension"]
    n_double = int((r.groupby(key)["rater_id"].nunique() >= 2).sum())
    row = ev.reliability.loc[t("report_icc_competence", "en")]
    assert row["statistic"] == "ICC(2,1)" and row["n"] == n_double > 0
    assert row["criterion"] == 0.6
    alphas = ev.reliability[ev.reliability["statistic"] == "Cronbach's alpha"]
    assert len(alphas) == 3  # AIM, IAM and FIM, latest wave


def test_what_to_look_at_next_follows_the_numbers(havnstrup):
    ev = report.evaluate(havnstrup, lang="en", as_of=AS_OF)
    low = ev.adherence[ev.adherence["core"] & ~ev.adherence["meets_threshold"].astype(bool)]
    assert len(low)  # the example site has core components below 80 %
    for name in low["name"]:
        assert any(f"'{name}'" in step for step in ev.next_steps)
    ok = ev.adherence[ev.adherence["meets_threshold"].astype(bool)]
    on_adherence = [s for s in ev.next_steps if s.startswith("Adherence")]
    assert not any(f"'{name}'" in step for name in ok["name"] for step in on_adherence)
    # adaptations of core components: those not judged fidelity-consistent (FRAME)
    a = ev.adaptations
    core = a[a["kind"] == "core"]
    assert set(core["fidelity"]) >= {"consistent", "inconsistent"}
    worth = core[core["fidelity"] != "consistent"]
    on_core = [s for s in ev.next_steps if "was adapted" in s]
    assert len(on_core) == len(worth)
    assert report.what_to_look_at_next(havnstrup, lang="en", as_of=AS_OF) == ev.next_steps
    # a network comparison: high drop-out is a worry, high completion is not; the site's
    # values are the report's own, judged against the network's limits at its own n
    bench = pd.DataFrame({"site": "903", "period": "all", "indicator": ["dropout", "completion"],
                          "network_value": [0.001, 0.2], "n_sites": 4})
    ev2 = report.evaluate(havnstrup, lang="en", as_of=AS_OF, share_back=bench)
    own = ev2.measures.set_index("measure")
    assert own.loc["dropout", "value"] > 0.03 and own.loc["completion", "value"] > 0.5
    net = [s for s in ev2.next_steps if "network" in s]
    assert net == [t("next_network_high", "en", indicator="Drop-out",
                     value=f"{100 * own.loc['dropout', 'value']:.0f}%", network="0%")]
    assert set(ev2.comparison["flag"]) == {"above998"}


def test_nothing_to_look_at(havnstrup):
    ev = report.evaluate(havnstrup, lang="nb", as_of="2022-06-02", period="2022-06")
    # a fortnight into the project: nothing delivered, nothing overdue, nothing measured
    for attr, value in (("overdue", ev.overdue.iloc[:0]), ("adherence", None),
                        ("attendance", None), ("reliability", None)):
        setattr(ev, attr, value)
    ev.measures = ev.measures.assign(meets=pd.NA)
    assert report.what_to_look_at_next(ev) == [t("next_nothing", "nb")]


def test_notebooks_ship_in_the_package_and_match_the_repository():
    for kind, copy in (("evaluator", "notebooks/evaluator/evaluate_project.ipynb"),
                       ("network", "notebooks/network/network_report.ipynb")):
        shipped = report.notebook_path(kind)
        assert shipped.read_bytes() == (REPO / copy).read_bytes(), copy
        nb = json.loads(shipped.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        assert all(not c.get("outputs") and not c.get("execution_count")
                   for c in nb["cells"] if c["cell_type"] == "code")
        params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(params) == 1
    src = "".join(json.loads(report.notebook_path("evaluator").read_text())["cells"][1]["source"])
    for name in ("project_path", "period", "lang", "share_back"):
        assert f"{name} = " in src


# -- example data says so on the first page -------------------------------------------------
def test_reports_from_example_data_say_synthetic_on_the_first_page(havnstrup, store, tmp_path):
    ev = report.evaluate(havnstrup, lang="en", as_of=AS_OF)
    title = [str(x) for x in ev.section("title")]
    assert "Synthetic example data" in title[1]
    assert ev.summary.iloc[0].tolist() == [t("report_field_data", "en"), "synthetic example data"]
    net = report.network_evaluation(store / "network.duckdb", lang="nb")
    assert t("report_synthetic", "nb") in str(net.section("title")[1])
    assert list(net.export_tables())[0] == "note"
    # a project of one's own (no flag) says nothing of the kind
    meta_file = havnstrup / "project.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta.pop("synthetic")
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    own = report.evaluate(havnstrup, lang="en", as_of=AS_OF)
    assert not any("ynthetic" in str(x) for x in own.section("title"))
    assert own.summary.iloc[0, 0] == t("report_field_site", "en")


def test_tables_show_markup_typed_into_a_title_as_text():
    import pandas as pd

    from implementere_kit.report._sections import styled

    df = pd.DataFrame({"title": ["<img src=x onerror=alert(1)>", "A & B"], "share_done": [0.5, 1]})
    html = styled(df, "da", percent=["share_done"]).to_html()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "A &amp; B" in html and "50 %" in html  # Danish: a space before the sign


def test_text_typed_by_staff_is_shown_not_run_in_the_html_report(tmp_path):
    """A title or theme typed as markup reaches the report as text: in tables (styled), in
    the "what to look at next" points and in the meeting pack's themes."""
    import shutil

    folder = shutil.copytree(report.demo_project_folder(), tmp_path / "p")
    p = Project.open(folder)
    attack = "<img src=x onerror=alert(1)> **loud**"
    for activity_id in p.plan.overdue(as_of="2026-06-30")["activity_id"]:
        p.plan.update(activity_id, title=attack)
    p.save()
    out = report.build_report(folder, tmp_path / "r.html", lang="en", as_of="2026-06-30")
    html = out.read_text(encoding="utf-8")
    assert "<img src=x" not in html and "onerror=alert(1)&gt;" in html
    assert "<strong>loud</strong>" not in html
