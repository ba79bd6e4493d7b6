"""The report as a workbook Excel users expect (``report/_xlsx.py``)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from implementere_kit import report
from implementere_kit.examples import AS_OF
from implementere_kit.i18n import t
from implementere_kit.plans.frameworks import load_framework
from implementere_kit.report._xlsx import percent_columns, write_xlsx


@pytest.fixture(scope="module")
def book(network_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("xlsx") / "r.xlsx"
    report.build_report(network_dir / "dk-903-keep", out, fmt="xlsx", as_of=AS_OF, lang="da")
    return openpyxl.load_workbook(out)


def _column(ws, heading: str) -> list:
    heads = [c.value for c in ws[1]]
    j = heads.index(heading) + 1
    return [ws.cell(row=i, column=j) for i in range(2, ws.max_row + 1)]


def _measure_cells(book, heading: str) -> dict:
    """The measures sheet's cells under ``heading`` by measure id."""
    ws = book[t("sheet_measures", "da")]
    ids = [c.value for c in _column(ws, t("col_measure_id", "da"))]
    return dict(zip(ids, _column(ws, t(heading, "da")), strict=True))


def test_numbers_are_numbers_with_formats(book):
    ws = book[t("sheet_phase_progress", "da")]
    shares = _column(ws, t("share_done", "da"))
    assert all(isinstance(c.value, float) and 0 <= c.value <= 1 for c in shares)
    assert {c.number_format for c in shares} == {"0%"}
    counts = _column(ws, t("n_activities", "da"))
    assert all(isinstance(c.value, int) for c in counts) and counts[0].number_format == "#,##0"
    # dosage and outcome figures are rows of the measures sheet (measures, issue 12): each
    # value as its unit says — shares as percentages, scores with two decimals, counts whole
    value, unit = _measure_cells(book, "col_value"), _measure_cells(book, "col_unit")
    unit = {k: c.value for k, c in unit.items()}
    assert 0 <= value["dose"].value <= 1 and value["dose"].number_format == "0%"
    assert unit["dose"] == t("unit_share", "da")
    score = value["acceptability"]
    assert isinstance(score.value, float) and score.number_format == "#,##0.00"
    assert value["sessions"].value == int(value["sessions"].value)
    assert value["sessions"].number_format == "#,##0"


def test_headings_and_values_in_the_report_language(book):
    ws = book[t("sheet_overdue", "da")]
    heads = [c.value for c in ws[1]]
    assert heads == [t("col_title", "da"), t("phase", "da"), t("core_element", "da"),
                     t("col_owner", "da"), t("col_due", "da"), t("col_days_overdue", "da")]
    owners = {c.value for c in _column(ws, t("col_owner", "da"))}
    # the plan's owners are the municipality's roles (sources, issue 13), named in Danish
    roles = {r.id: r.label("da") for r in load_framework("implementere").roles}
    assert owners and owners <= {roles[r] for r in ("leader", "practitioners", "coordinator",
                                                    "implementation_team")}
    phases = {c.value for c in _column(ws, t("phase", "da"))}
    assert phases <= {"Forberede", "Planlægge", "Implementere", "Videreføre"}
    sic = book[t("sheet_sic", "da")]  # where the SIC stages come from, said in Danish
    assert {c.value for c in _column(sic, t("col_basis", "da"))} <= {
        t("sic_basis_plan", "da"), t("sic_basis_sic", "da")}
    due = _column(ws, t("col_due", "da"))[0]
    assert isinstance(due.value, dt.datetime) and due.number_format == "dd.mm.yyyy"
    every = [c.value for s in book.worksheets for row in s.iter_rows() for c in row]
    assert not [v for v in every if isinstance(v, bool) or v in ("True", "False", "NaN", "nan")]
    for sheet in book.worksheets:  # a heading names one column
        heads = [c.value for c in sheet[1]]
        assert len(heads) == len(set(heads)), (sheet.title, heads)


def test_summary_values_are_typed_and_the_as_of_date_is_the_htmls(book, network_dir):
    ws = book[t("sheet_summary", "da")]
    rows = {r[0].value: r[1] for r in ws.iter_rows(min_row=2)}
    as_of = rows[t("report_field_as_of", "da")]
    assert as_of.value == dt.datetime(2026, 6, 30)
    ev = report.evaluate(network_dir / "dk-903-keep", as_of=AS_OF, lang="da")
    assert ev.as_of.date() == as_of.value.date()  # the date the HTML report prints
    # the summary holds the report's facts; overdue activities and drop-out are measures,
    # shown once: on the measures sheet (measures, issue 12)
    facts = ("data", "site", "intervention", "period", "as_of", "phase")
    assert list(rows) == [t(f"report_field_{f}", "da") for f in facts]
    value = _measure_cells(book, "col_value")
    assert isinstance(value["activities_overdue"].value, int)
    dropped = value["dropout"]
    assert isinstance(dropped.value, float) and dropped.number_format == "0%"


def test_frozen_header_filter_and_widths(book):
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
        assert all(c.font.bold for c in ws[1])
    ws = book[t("sheet_overdue", "da")]
    assert ws.column_dimensions["A"].width > 30  # long titles get room …
    assert 8 <= ws.column_dimensions["C"].width <= 20  # … a number column does not


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    df = pd.DataFrame({"title": ["=HYPERLINK(\"http://x\";\"klikk\")", "+1", "@A1", "ok"],
                       "n": [1, 2, 3, 4]})
    out = write_xlsx({"overdue": df}, tmp_path / "f.xlsx", lang="nb")
    ws = openpyxl.load_workbook(out).worksheets[0]
    cells = _column(ws, t("col_title", "nb"))
    assert [c.value for c in cells] == df["title"].tolist()
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells[:3]) and not cells[3].quotePrefix


def test_control_characters_in_text_still_give_a_workbook(tmp_path):
    # a title typed with a control character (openpyxl refuses those) and a heading with one
    df = pd.DataFrame({"title": ["a\x01b", "tab\tok", "=HYPERLINK(\"http://x\")"],
                       "x\x1bname": [1, 2, 3]})
    out = write_xlsx({"overdue": df}, tmp_path / "c.xlsx", lang="da")
    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws["A"]][1:] == ["a\ufffdb", "tab\tok", "=HYPERLINK(\"http://x\")"]
    assert ws["A4"].data_type == "s" and ws["B1"].value == "x\ufffdname"


def test_percent_columns_by_name():
    cols = ["share_done", "adherence", "n", "pre_proportion", "mean_duration", "value"]
    assert percent_columns(pd.DataFrame(columns=cols)) == ["share_done", "adherence",
                                                           "pre_proportion"]
