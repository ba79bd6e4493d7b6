import pandas as pd

from implementere_kit.cli import main


def test_new_and_status(tmp_path, capsys):
    folder = tmp_path / "keep"
    assert main(["new", str(folder), "--site", "903", "--country", "DK", "--intervention", "keep",
                 "--name", "Havnstrup", "--start", "2024-01-01", "--lang", "da"]) == 0
    assert (folder / "project.json").exists()
    capsys.readouterr()
    assert main(["status", str(folder), "--as-of", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    assert "Havnstrup" in out and "Andel færdig" in out  # Danish headings from the project
    assert main(["status", str(folder), "--as-of", "2024-06-01", "--lang", "en"]) == 0
    assert "Share done" in capsys.readouterr().out


def test_errors_are_one_line_without_traceback(tmp_path, capsys):
    assert main(["status", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "project.json is missing" in err
    assert "Traceback" not in err
    assert main(["new", str(tmp_path / "x"), "--site", "903", "--country", "DK",
                 "--intervention", "nope"]) == 1
    assert "known: " in capsys.readouterr().err


def test_help_explains_each_command(capsys):
    import argparse

    import pytest

    from implementere_kit.cli import build_parser

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines as it likes
    assert out.startswith("usage: implementere-kit")
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {c.dest: c.help for c in sub._choices_actions}
    # the job end to end: a project, its status, a package, the network, the report, the app
    assert {"new", "status", "export", "validate", "merge", "benchmark", "report", "app",
            "demo"} <= set(helps)
    for cmd, text in helps.items():
        assert text and f"{cmd} {' '.join(text.split())}" in out, cmd
    # each command's own help names what it needs
    with pytest.raises(SystemExit):
        main(["new", "--help"])
    new = capsys.readouterr().out
    assert all(arg in new for arg in ("path", "--site", "--country", "--intervention"))


def test_demo_prints_progress_and_sic(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "reports"), "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "Ålund" in out and "Polarvik" in out and "Stage reached" in out
    summary = pd.read_csv(tmp_path / "reports" / "sic_summary.csv", dtype={"site": str})
    assert len(summary) == 9 and "9901" in set(summary["site"])
    progress = pd.read_csv(tmp_path / "reports" / "plan_progress.csv")
    assert set(progress["phase"]) == {"forberede", "planlegge", "implementere", "viderefore"}
    assert str(tmp_path / "reports" / "sic_summary.csv") in out


def test_report_command_xlsx_and_errors(havnstrup, tmp_path, capsys):
    import openpyxl

    out = tmp_path / "havnstrup.xlsx"
    assert main(["report", str(havnstrup), "-o", str(out), "--format", "xlsx", "--lang", "en"]) == 0
    assert "summary" in openpyxl.load_workbook(out).sheetnames
    capsys.readouterr()
    assert main(["report", str(havnstrup), "-o", str(out), "--period", "last spring"]) == 1
    err = capsys.readouterr().err
    assert "period" in err and "Traceback" not in err
    assert main(["report", "-o", str(out)]) == 1
    assert "either a PROJECT" in capsys.readouterr().err


def test_app_command_line():
    from implementere_kit.app import app_command, app_url

    cmd = app_command(port=8999)
    assert "--no-browser" in cmd and "--Voila.port_retries=0" in cmd
    assert app_url(cmd) == "http://127.0.0.1:8999/"
