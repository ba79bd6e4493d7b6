"""Atomic writes with the user's normal permissions, and spreadsheet-safe text cells."""

from __future__ import annotations

import csv
import io
import os
import stat

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from implementere_kit._io import (
    FORMULA_TRIGGERS,
    atomic_write_bytes,
    atomic_write_csv,
    formula_like,
    text_cells,
)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_files_get_the_users_normal_permissions(tmp_path, umask_022):
    out = atomic_write_bytes(tmp_path / "report.html", b"x")
    assert _mode(out) == 0o644  # 0666 less the umask, not the 0600 of a temporary file


def test_a_replaced_file_keeps_its_mode_and_a_secret_stays_private(tmp_path, umask_022):
    f = tmp_path / "shared.csv"
    f.write_bytes(b"old")
    os.chmod(f, 0o664)
    atomic_write_bytes(f, b"new")
    assert _mode(f) == 0o664 and f.read_bytes() == b"new"
    key = atomic_write_bytes(tmp_path / ".secret.key", b"k", mode=0o600)
    assert _mode(key) == 0o600


def test_project_key_is_private(tmp_path, umask_022):
    from implementere_kit import Project

    p = Project.create(tmp_path / "p", site="903", country="DK", intervention="keep")
    assert _mode(p.path / ".secret.key") == 0o600
    assert _mode(p.path / "project.json") == 0o644


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"),
               min_size=1, max_size=20))
def test_no_text_cell_is_a_formula_in_a_csv(text):
    df = pd.DataFrame({"title": [text, "=SUM(A1:A9)", "+47 22 00 00 00"], "n": [1, -2, 3]})
    back = pd.read_csv(io.StringIO(text_cells(df).to_csv(index=False)), dtype=str,
                       keep_default_na=False)
    assert back["title"].tolist()[1:] == ["'=SUM(A1:A9)", "'+47 22 00 00 00"]
    cell = back["title"].iloc[0]
    assert not cell.startswith(FORMULA_TRIGGERS)
    assert cell == ("'" + text if text.startswith(FORMULA_TRIGGERS) else text)
    assert text_cells(df)["n"].tolist() == [1, -2, 3]  # numbers stay numbers


def test_csv_writer_neutralises_formulas_and_headings(tmp_path):
    df = pd.DataFrame({"=cmd": ["@SUM(1)", "-x", "\tTab", "Ålund"], "k": [-1, 2, 3, 4]})
    out = atomic_write_csv(tmp_path / "t.csv", df)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["'=cmd", "k"]
    assert [r[0] for r in rows[1:]] == ["'@SUM(1)", "'-x", "'\tTab", "Ålund"]
    assert [r[1] for r in rows[1:]] == ["-1", "2", "3", "4"]
    assert formula_like("=1") and not formula_like(1) and not formula_like("1=1")


def test_package_csv_cells_are_not_formulas(havnstrup, tmp_path):
    """Typed text that would be a formula never reaches a package's CSV: the allow-list
    turns it into a keyed pseudonym or leaves it out, and the writer neutralises the rest."""
    from implementere_kit import Project
    from implementere_kit.exchange.package import export_package

    p = Project.open(havnstrup)
    checks = p.table("fidelity_checks")
    p.set_table("fidelity_checks", checks.assign(item="=HYPERLINK(" + checks["item"] + ")",
                                                 component="@" + checks["component"]))
    acts = p.table("activities")
    p.set_table("activities", acts.assign(title="=cmd|' /C calc'!A0", owner="+leader",
                                          activity_id=[f"-{i}" for i in acts["activity_id"]]))
    p.save()
    out = export_package(havnstrup, tmp_path / "pkg", level="pseudonymised", fmt="csv")
    seen = 0
    for f in out.glob("*.csv"):
        for row in csv.reader(f.open(encoding="utf-8")):
            for cell in row:
                seen += 1
                if cell.startswith(FORMULA_TRIGGERS):
                    float(cell)  # only a negative number may start so
    assert seen > 1000
    rows = list(csv.reader((out / "fidelity_checks.csv").open(encoding="utf-8")))
    items = {r[rows[0].index("item")] for r in rows[1:]}
    assert items and all(i.startswith("x_") for i in items)  # typed text: a keyed pseudonym
