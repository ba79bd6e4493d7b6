"""Tests of implementere_kit.store.readers: real files written byte by byte into tmp_path."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from implementere_kit.errors import UnknownNameError, ValidationError
from implementere_kit.store.readers import (
    UnreadableFileError,
    column_mapping,
    read_table,
    unknown_columns,
)
from implementere_kit.store.tables import table_names, table_schema

NB_ATTENDANCE = "Deltaker;Møte nr;Oppmøte;Erstatning\nBjørn-Åse Ærø;1;ja;nei\nFamilie 07;2;nei;ja\n"


def _write(tmp_path, name, text, encoding="utf-8", sep=";"):
    path = tmp_path / name
    path.write_bytes(text.replace(";", sep).encode(encoding))
    return path


# ---------------------------------------------------------------- encodings and separators

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings_keep_nordic_letters(tmp_path, encoding):
    # utf-16 with BOM is what Excel writes for "Unicode text" (tab-separated).
    sep = "\t" if encoding == "utf-16" else ";"
    path = _write(tmp_path, "oppmøte.csv", NB_ATTENDANCE, encoding, sep)
    raw = path.read_bytes()
    assert raw.startswith(b"\xff\xfe") == (encoding == "utf-16")
    df = read_table(path, "attendance")
    assert df["participant_id"].tolist() == ["Bjørn-Åse Ærø", "Familie 07"]
    assert df["session_no"].tolist() == [1, 2]
    assert df["attended"].tolist() == [True, False]
    assert df["makeup"].tolist() == [False, True]


def test_utf16_without_bom_is_recognised(tmp_path):
    path = _write(tmp_path, "a.txt", NB_ATTENDANCE, "utf-16-le", "\t")
    assert read_table(path)["participant_id"].tolist() == ["Bjørn-Åse Ærø", "Familie 07"]


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_separator_is_sniffed(tmp_path, sep):
    dec = '"87,5"' if sep == "," else "87,5"  # a comma file must quote a decimal comma
    text = (f"Kommunenr{sep}Gruppe{sep}Samling{sep}Dato{sep}Varighet\n"
            f"0301{sep}G1{sep}1{sep}05.09.2024{sep}90\n"
            f"0301{sep}G1{sep}2{sep}12.09.2024{sep}{dec}\n")
    path = tmp_path / "samlinger.csv"
    path.write_text(text, encoding="utf-8")
    df = read_table(path, "sessions")
    assert df.columns[:6].tolist() == ["site", "group_id", "session_no", "date",
                                       "duration_min", "leaders"]
    assert df["site"].tolist() == ["0301", "0301"]
    assert df["duration_min"].tolist() == [90.0, 87.5]
    assert df["date"].tolist() == [pd.Timestamp("2024-09-05"), pd.Timestamp("2024-09-12")]


def test_excel_sep_hint_title_line_and_trailing_blank_lines(tmp_path):
    text = ("sep=;\nFremmøde KEEP hold 3;;;\nDeltager;Sessionsnr;Fremmøde;Indhentning\n"
            "F1;1;mødt;\nF2;1;afbud;\nF2;1;x;x\n;;;\n;;;\n")
    df = read_table(_write(tmp_path, "hold3.csv", text, "cp1252"), "attendance")
    assert len(df) == 3
    assert df["attended"].tolist() == [True, False, True]
    assert df["makeup"].tolist() == [pd.NA, pd.NA, True]


# ---------------------------------------------------------------- numbers, codes and dates

def test_decimal_commas_only_where_numbers_belong(tmp_path):
    text = ("Kommunenr;Gruppe;Sessionsnr;Dato;Varighed;Postnr;Vægt\n"
            "0301;0012;1;2024-09-05;12,5;0150;3,5\n"
            "0301;0012;2;2024-09-12;90;0151;4\n")
    df = read_table(_write(tmp_path, "s.csv", text), "sessions")
    assert df["duration_min"].tolist() == [12.5, 90.0]
    assert df["site"].tolist() == ["0301", "0301"]
    assert df["group_id"].tolist() == ["0012", "0012"]
    assert df["Postnr"].tolist() == ["0150", "0151"]  # integer-looking codes stay text
    assert df["Vægt"].tolist() == [3.5, 4.0]  # an extra column of decimal numbers
    raw = read_table(tmp_path / "s.csv")  # without a table everything stays text
    assert raw["duration_min"].tolist() == ["12,5", "90"]
    assert raw["site"].dtype == "string"


def test_thousands_separators_in_counts(tmp_path):
    text = "Kommune;Periode;Antall i målgruppen\n0301;2024;1 234\n0301;2025;12\u00a0500\n"
    df = read_table(_write(tmp_path, "e.csv", text), "eligible")
    assert df["n_eligible"].tolist() == [1234, 12500]
    with pytest.raises(ValidationError) as exc:  # 1.234 could be a decimal: not guessed
        read_table(_write(tmp_path, "e.csv", text.replace("1 234", "1.234")), "eligible")
    assert [(p.row, p.column) for p in exc.value.problems] == [(1, "n_eligible")]


def test_three_date_formats_give_the_same_day(tmp_path):
    text = ("Deltaker;Kommune;Innskrevet\nA;0301;05.09.2024\nB;0301;05-09-2024\n"
            "C;0301;2024-09-05\n")
    df = read_table(_write(tmp_path, "d.csv", text), "participants")
    assert df["enrolled"].tolist() == [pd.Timestamp("2024-09-05")] * 3


# ---------------------------------------------------------------- Excel workbooks

def _workbook(path, rows, title="Ark1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_xlsx_with_danish_headings_dates_and_numeric_codes(tmp_path):
    path = _workbook(tmp_path / "deltagere.xlsx", [
        ["Deltager ID", "Kommunenr", "Hold", "Indskrevet", "Afsluttet", "Årsag", "Henvist af"],
        ["F1", 301, "H1", dt.datetime(2024, 2, 1), None, None, "Skole"],
        ["F2", "1103", "H1", dt.datetime(2024, 2, 3), dt.datetime(2024, 5, 1), "frafald",
         "Sundhedsplejen"],
    ])
    raw = read_table(path)
    assert raw.columns.tolist() == ["participant_id", "site", "group_id", "enrolled", "ended",
                                    "end_reason", "referral_source"]
    assert raw["site"].tolist() == ["0301", "1103"]  # 301 was a number; 1103 shows NO codes
    assert raw["enrolled"].tolist() == ["2024-02-01", "2024-02-03"]
    df = read_table(path, "participants")
    assert df["enrolled"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-03")]
    assert df["ended"].isna().tolist() == [True, False]
    assert df["end_reason"].tolist() == [pd.NA, "dropped_out"]
    assert df["referral_source"].tolist() == ["Skole", "Sundhedsplejen"]


def test_xlsx_codes_are_not_padded_without_evidence(tmp_path):
    dk = _workbook(tmp_path / "dk.xlsx", [["Kommune", "Deltager"], [101, "a"], [461, "b"]])
    assert read_table(dk)["site"].tolist() == ["101", "461"]  # Danish codes have 3 digits
    oslo = _workbook(tmp_path / "oslo.xlsx", [["Kommune", "Deltaker"], [301, "a"]])
    assert read_table(oslo)["site"].tolist() == ["301"]  # documented: no evidence, no guess


def test_xlsx_sheet_choice_numbers_and_formulas(tmp_path):
    path = tmp_path / "bok.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["ignored"])
    ws = wb.create_sheet("Samlinger")
    ws.append(["Kommunenr", "Gruppe", "Samling", "Dato", "Varighet", "Sum"])
    ws.append(["0301", "G1", 1.0, dt.datetime(2024, 9, 5, 0, 0), 87.5, "=1+1"])
    wb.save(path)
    raw = read_table(path, sheet="Samlinger")
    assert raw.loc[0, "session_no"] == "1"
    assert raw.loc[0, "duration_min"] == "87.5"
    assert pd.isna(raw.loc[0, "Sum"])  # a formula is never computed; it has no cached value
    assert read_table(path, sheet=1).equals(raw)
    df = read_table(path, "sessions", sheet="Samlinger")
    assert df["session_no"].tolist() == [1] and df["duration_min"].tolist() == [87.5]
    with pytest.raises(UnreadableFileError, match="no sheet 'Mangler'.*'Samlinger'"):
        read_table(path, sheet="Mangler")


# ---------------------------------------------------------------- headings

def test_norwegian_and_danish_headings_of_the_group_tables():
    assert column_mapping(["Deltaker", "Møte nr", "Oppmøte", "Erstatning"], "attendance") == {
        "Deltaker": "participant_id", "Møte nr": "session_no", "Oppmøte": "attended",
        "Erstatning": "makeup"}
    assert column_mapping(["Deltager_ID", "Sessionsnr", "Tilstede", "Indhentning"],
                          "attendance") == {
        "Deltager_ID": "participant_id", "Sessionsnr": "session_no", "Tilstede": "attended",
        "Indhentning": "makeup"}
    assert column_mapping(["Familie", "Kommunenummer", "Gruppe", "Innskrevet", "Avsluttet",
                           "Årsak", "Henviser"], "participants") == {
        "Familie": "participant_id", "Kommunenummer": "site", "Gruppe": "group_id",
        "Innskrevet": "enrolled", "Avsluttet": "ended", "Årsak": "end_reason",
        "Henviser": "referral_source"}
    assert column_mapping(["Kommune", "Gruppe", "Gang", "Dato", "Varighed", "Gruppeledere"],
                          "sessions") == {
        "Kommune": "site", "Gruppe": "group_id", "Gang": "session_no", "Dato": "date",
        "Varighed": "duration_min", "Gruppeledere": "leaders"}


@pytest.mark.parametrize("heading", ["Møte nr.", "MØTE_NR", "moete-nr", "Mote Nr", "møtenr"])
def test_headings_match_whatever_the_spelling(heading):
    assert column_mapping([heading]) == {heading: "session_no"}


def test_folded_nordic_letters_and_english_names():
    got = column_mapping(["Aarsag", "Fremmoede", "participant_id", "Session No"])
    assert got == {"Aarsag": "end_reason", "Fremmoede": "attended",
                   "participant_id": "participant_id", "Session No": "session_no"}


def test_table_decides_ambiguous_headings():
    assert column_mapping(["Startdato"], "participants") == {"Startdato": "enrolled"}
    assert column_mapping(["Startdato"], "activities") == {"Startdato": "start"}
    assert column_mapping(["Aktivitet"], "activities") == {"Aktivitet": "title"}
    assert column_mapping(["Aktivitet"], "sic_events") == {"Aktivitet": "activity"}


def test_two_headings_for_one_column_and_unknown_columns():
    cols = ["Kommune", "Kommunenr", "Deltaker", "Favorittfarge", "Dato"]
    assert column_mapping(cols, "participants") == {"Kommunenr": "site",
                                                    "Deltaker": "participant_id"}
    assert unknown_columns(cols, "participants") == ["Kommune", "Favorittfarge", "Dato"]
    assert column_mapping(["site", "Site"]) == {"site": "site"}  # the exact name wins


def test_every_column_of_the_municipal_tables_has_nb_and_da_headings():
    from implementere_kit._data import load_yaml, package_file

    raw = load_yaml(package_file("store/schemas", "aliases.yaml"))
    assert raw["sources"]
    missing = []
    for t in table_names():
        if t.startswith("agg_") or t == "benchmarks":  # written by the toolkit itself
            continue
        for c in table_schema(t).columns:
            for lang in ("nb", "da"):
                words = ((raw["columns"].get(c) or {}).get(lang, [])
                         + ((raw["tables"].get(t) or {}).get(c) or {}).get(lang, []))
                # each word must actually map back to the column for this table
                if not any(column_mapping([w], t) == {w: c} for w in words):
                    missing.append((t, c, lang))
    assert missing == []


# ---------------------------------------------------------------- errors and safety

def test_validation_errors_name_file_row_and_column(tmp_path):
    text = "Deltaker;Møte nr;Oppmøte\nF1;1;ja\nF2;to;ja\nF3;3;kanskje\n;4;nei\n"
    with pytest.raises(ValidationError) as exc:
        read_table(_write(tmp_path, "oppmøte_mars.csv", text), "attendance")
    got = {(p.file, p.row, p.column, p.message) for p in exc.value.problems}
    assert got == {
        ("oppmøte_mars.csv", 2, "session_no", "wrong type"),
        ("oppmøte_mars.csv", 3, "attended", "wrong type"),
        ("oppmøte_mars.csv", 4, "participant_id", "required value missing"),
    }


def test_long_rows_and_repeated_headings_are_all_reported(tmp_path):
    text = "Dato;Dato;Gruppe\n1;2;3\n1;2;3;4\n1;2;3;\n1;2;3;4;5\n"
    with pytest.raises(ValidationError) as exc:
        read_table(_write(tmp_path, "rot.csv", text))
    got = {(p.row, p.column, p.message) for p in exc.value.problems}
    assert got == {(2, None, "row has more values than there are headings"),
                   (4, None, "row has more values than there are headings"),
                   (None, "Dato", "column heading appears more than once")}
    assert all(p.file == "rot.csv" for p in exc.value.problems)


def test_unreadable_file_names_encodings_and_separators(tmp_path):
    # 0x81 and 0x8d are undefined in cp1252 and invalid as UTF-8 here.
    path = tmp_path / "eksport.csv"
    path.write_bytes(b"Deltaker;Dato\n\x81\x8d;01.02.2024\n")
    with pytest.raises(UnreadableFileError) as exc:
        read_table(path)
    msg = str(exc.value)
    assert "eksport.csv" in msg and "no encoding fits" in msg
    for tried in ("utf-8-sig", "cp1252", "utf-16", "';'", "tab", "','"):
        assert tried in msg
    assert len(exc.value.problems) == 1


def test_ragged_text_is_unreadable_with_the_same_explanation(tmp_path):
    path = _write(tmp_path, "notat.txt", 'a,b,c\n1\n1,2,3,4,5\n"x;y";z\n1;2\n')
    with pytest.raises(UnreadableFileError, match=r"notat\.txt.*separators ';', tab, ','"):
        read_table(path)


@pytest.mark.parametrize("name, content, match", [
    ("tom.csv", b"", "empty"),
    ("bom.csv", b"\xef\xbb\xbf\r\n", "empty"),
    ("rapport.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ("rapport.csv", b"%PDF-1.7\n", "PDF"),
    ("gammel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "97-2003"),
    ("bilde.png", b"\x89PNG\r\n\x1a\n" + bytes(50), "unsupported file type"),
    ("data.csv", bytes(range(256)) * 4, "binary|no encoding"),
    ("ødelagt.xlsx", b"not a zip at all", "not a readable .xlsx"),
    ("falsk.xlsx", b"PK\x03\x04" + bytes(40), "not a readable .xlsx"),
])
def test_files_that_are_not_tables_get_a_clear_error(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=match) as exc:
        read_table(path)
    assert exc.value.problems[0].file == name


def test_missing_path_and_unknown_table(tmp_path):
    with pytest.raises(UnreadableFileError, match="no such file"):
        read_table(tmp_path / "finnes_ikke.csv")
    path = _write(tmp_path, "a.csv", NB_ATTENDANCE)
    with pytest.raises(UnknownNameError, match="attendence"):
        read_table(path, "attendence")


def test_formulas_in_a_csv_stay_plain_strings(tmp_path):
    payloads = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(1+1)", "-2+3"]
    lines = ["Kommune;Gruppe;Sessionsnr;Dato;Gruppeledere"]
    lines += [f'0301;G;{i};2024-01-0{i};"{p}"' for i, p in enumerate(payloads, start=1)]
    path = _write(tmp_path, "ondsinnet.csv", "\n".join(lines) + "\n")
    assert read_table(path)["leaders"].tolist() == payloads
    assert read_table(path, "sessions")["leaders"].tolist() == payloads


def test_yes_no_and_fixed_value_words(tmp_path):
    text = ("Deltager;Kommune;Indskrevet;Årsag\nA;101;01.02.2024;frafald\n"
            "B;101;01.02.2024;Flyttet\nC;101;01.02.2024;gennemført\nD;101;01.02.2024;kedede sig\n")
    with pytest.raises(ValidationError) as exc:
        read_table(_write(tmp_path, "p.csv", text), "participants")
    [problem] = exc.value.problems
    assert (problem.row, problem.column, problem.message) == (4, "end_reason",
                                                              "value not allowed")
    df = read_table(_write(tmp_path, "p.csv", text.replace("kedede sig", "andet")),
                    "participants")
    assert df["end_reason"].tolist() == ["dropped_out", "moved", "completed", "other"]
    att = "Deltager;Sessionsnr;Fremmøde\nA;1;Mødt\nB;1;Udeblevet\nC;1;✓\nD;1;ikke mødt\n"
    df = read_table(_write(tmp_path, "f.csv", att), "attendance")
    assert df["attended"].tolist() == [True, False, True, False]


def test_header_only_file_gives_an_empty_typed_table(tmp_path):
    df = read_table(_write(tmp_path, "tom.csv", "Deltaker;Møte nr;Oppmøte\n"), "attendance")
    assert len(df) == 0
    assert df.columns.tolist() == ["participant_id", "session_no", "attended", "makeup"]


def test_a_broken_alias_file_reports_every_problem():
    from implementere_kit.store.readers import _heading_key, _scope

    spec = {"site": {"nb": ["kommune"]}, "group_id": {"nb": ["Kommune"]},
            "no_such_column": {"nb": ["x"]}, "date": {"sv": ["datum"]}}
    with pytest.raises(ValidationError) as exc:
        _scope(spec, "columns", {"site", "group_id", "date"}, _heading_key)
    messages = [p.message for p in exc.value.problems]
    assert messages == ["alias 'Kommune' means both site and group_id",
                        "unknown alias target or language",
                        "unknown alias target or language"]
    assert [p.column for p in exc.value.problems[1:]] == ["no_such_column", "date"]
