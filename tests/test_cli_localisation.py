"""The command line speaks Danish and Norwegian all the way (issue 15, items 4 and 8).

Every command is driven with bad input — missing, unknown and malformed arguments, bad
dates and numbers, missing and damaged projects, keys, packages and stores — and with
``--help``, in da and in nb; each line it prints must be in that language: argparse's own
words, our help texts and the library's messages alike. The checks are those of
``test_localisation.py`` (``tests/_visible_text.py``): no English text, no raw id, no
Python repr. Values the user typed (quoted) and file names are left out of the check, and
so are the ids a user types (choices, table and column names), which a message lists on
purpose.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from implementere_kit.cli import build_parser, main
from implementere_kit.i18n import t
from tests._visible_text import problems

LANGS = ("da", "nb")
COUNTRY = {"da": "DK", "nb": "NO"}
SITE = {"da": "903", "nb": "9901"}
INTERVENTION = {"da": "keep", "nb": "fft"}


def run(argv) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # --help
            code = exc.code
    return code, out.getvalue() + err.getvalue()


def _parsers(parser=None, path=()):
    """Every (sub)parser of the command with its words (``("plan", "add")``)."""
    parser = parser or build_parser()
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


@functools.cache
def _typed_ids() -> frozenset[str]:
    """What a user types and a message may list: choices, table and column names, and the
    fields of the files a message points into (project.json, datapackage.json)."""
    from implementere_kit.store._meta import REQUIRED
    from implementere_kit.store._schema import table_names, table_schema

    ids = {str(c) for _, p in _parsers() for a in p._actions for c in (a.choices or ())}
    ids |= {*REQUIRED, "implementere_kit"}
    for name in table_names():
        ids.add(name)
        ids.update(table_schema(name).columns)
    return frozenset(ids)


def english_or_ids(text: str, lang: str) -> list[str]:
    """:func:`problems` of ``text`` without the values the user typed (quoted) and the
    names a message lists for the user to type."""
    plain = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", " ", text)
    typed = _typed_ids()
    return [p for p in problems(plain, lang)
            if not ((m := re.match(r"raw id '([^']+)'", p)) and m.group(1) in typed)]


def _leaky(network_dir, dst: Path, lang: str) -> Path:
    """A copy of an example project of ``lang`` with a person number where a count belongs
    (its export is refused by the privacy guard)."""
    import datetime as dt

    from implementere_kit import Project
    from tests.idgen import make_cpr, make_fnr

    shutil.copytree(network_dir / {"da": "dk-903-keep", "nb": "no-9901-fft"}[lang], dst)
    number = make_cpr(dt.date(1987, 5, 14), 2, 345) if lang == "da" else next(
        f for i in range(100, 200) if (f := make_fnr(dt.date(1987, 5, 14), i)))
    project = Project.open(dst)
    eligible = project.table("eligible")
    project.set_table("eligible", eligible.assign(
        n_eligible=[int(number)] + [40] * (len(eligible) - 1)))
    project.save()
    return dst


@pytest.fixture(scope="module")
def place(tmp_path_factory, network_dir) -> dict:
    """A project in each language, damaged copies of it, and bad packages and stores."""
    root = tmp_path_factory.mktemp("cli-l10n")
    made = {}
    for lang in LANGS:
        folder = root / f"p-{lang}"
        code, out = run(["new", folder, "--site", SITE[lang], "--country", COUNTRY[lang],
                         "--intervention", INTERVENTION[lang], "--start", "2025-01-06"])
        assert code == 0, out
        made[lang] = folder
        meta = json.loads((folder / "project.json").read_text(encoding="utf-8"))
        no_site = json.dumps({k: v for k, v in meta.items() if k != "site"})
        damage = {"json": {"project.json": "{garbage"},  # what each damaged copy holds
                  "fields": {"project.json": no_site},
                  "newer": {"project.json": json.dumps({**meta, "schema_version": 99})},
                  "key": {".secret.key": "not hex"},
                  "table": {f.name: "not parquet" for f in folder.glob("activities*")}}
        for kind, files in damage.items():
            copy = made[f"{kind}-{lang}"] = root / f"{kind}-{lang}"
            shutil.copytree(folder, copy)
            for name, text in files.items():
                (copy / name).write_text(text, encoding="utf-8")
        made[f"leak-{lang}"] = _leaky(network_dir, root / f"leak-{lang}", lang)
    (root / "file.txt").write_text("x", encoding="utf-8")
    (root / "junk.zip").write_bytes(b"PK\x03\x04junk")
    zipfile.ZipFile(root / "empty.zip", "w").close()
    (root / "nometa").mkdir()
    (root / "nometa" / "datapackage.json").write_text('{"name": "x", "resources": []}',
                                                      encoding="utf-8")
    (root / "junk.duckdb").write_bytes(b"junk" * 100)
    (root / "empty").mkdir()
    made["root"] = root
    return made


def _bad_invocations(place: dict, lang: str) -> list[list]:
    r, p = place["root"], place[lang]
    date_cmds = [["status", p, "--as-of"], ["plan", "list", p, "--as-of"],
                 ["plan", "done", p, "x", "--date"]]
    exception = ["privacy", "exception", "add", p, "--table", "costs", "--column", "note",
                 "--kind", "cpr"]
    out = [
        [], ["nope"], ["new"], ["new", r / "n", "--country", COUNTRY[lang]],
        ["new", r / "n", "--site", SITE[lang], "--country", "XX", "--intervention", "keep"],
        ["new", r / "n", "--site", "abc", "--country", COUNTRY[lang], "--intervention", "keep"],
        ["new", r / "n", "--site", SITE[lang], "--country", COUNTRY[lang], "--intervention",
         "nope"],
        ["new", p, "--site", SITE[lang], "--country", COUNTRY[lang], "--intervention", "keep"],
        ["new", r / "file.txt", "--site", SITE[lang], "--country", COUNTRY[lang],
         "--intervention", "keep"],
        ["status", p, "--bogus"], ["status", p, "--as-of"], ["status", p, "--lang", "fr"],
        *([*c, "31.02.2025"] for c in date_cmds), *([*c, "9999-12-31"] for c in date_cmds),
        ["status", r / "missing"], ["status", r / "empty"], ["status", r / "file.txt"],
        *(["status", place[f"{k}-{lang}"]] for k in ("json", "fields", "newer", "table")),
        ["plan"], ["plan", "x"], ["plan", "list", p, "--phase", "x"],
        ["plan", "done", p, "nope"],
        ["plan", "add", p, "--title", "t", "--phase", "planlegge", "--core-element", "1"],
        ["plan", "add", p, "--title", "t", "--phase", "planlegge", "--core-element", "x"],
        ["plan", "add", p, "--title", "t", "--phase", "planlegge", "--core-element", "10"],
        ["plan", "add", p, "--title", "t", "--phase", "planlegge", "--core-element", "3",
         "--start", "2025-05-01", "--due", "2025-01-01"],
        ["privacy"], ["privacy", "exception", "add", p],
        *([*exception, *more] for more in (
            ["--reason", "kort", "--reviewer", "koordinator"],
            ["--reason", "varekoder fra leverandøren", "--reviewer", "ola@example.no"],
            ["--reason", "varekoder fra leverandøren", "--reviewer", ""],
            ["--reason", "varekoder fra leverandøren", "--reviewer", "koordinator", "--date",
             "2199-01-01"])),
        ["privacy", "exception", "revoke", p, "99", "--reason", "ikke lenger nødvendig",
         "--reviewer", "koordinator"],
        ["privacy", "exception", "revoke", p, "0", "--reason", "x", "--reviewer", "x"],
        ["privacy", "log", place[f"json-{lang}"]],
        ["export", p], ["export", p, "-o", r / "p.txt"], ["export", p, "-o", r / "p.zip", "-k",
                                                              "2"],
        ["export", p, "-o", r / "p.zip", "-k", "3"], ["export", p, "-o", r / "p.zip", "-k", "x"],
        ["export", place[f"key-{lang}"], "-o", r / "k.zip", "--level", "pseudonymised"],
        ["export", r / "missing", "-o", r / "m.zip"],
        ["export", place[f"leak-{lang}"], "-o", r / "leak.zip"],
        ["validate"], ["validate", r / "missing.zip"], ["validate", r / "junk.zip"],
        ["validate", r / "empty.zip"], ["validate", r / "nometa"],
        ["merge", r / "junk.zip"], ["merge", r / "junk.zip", "--into", r],
        ["merge", r / "junk.zip", "--into", r / "no" / "s.duckdb"],
        ["merge", r / "junk.zip", r / "nometa", "-q", "--into", r / f"s-{lang}.duckdb"],
        ["merge", r / "junk.zip", "-q", "--into", r / "junk.duckdb"],
        ["benchmark", r / "missing.duckdb", "-o", r / "sb"],
        ["benchmark", r / "junk.duckdb", "-o", r / "sb"],
        ["report", p], ["report", "-o", r / "r.html"], ["report", p, "-o", r / "r.pdf"],
        ["report", p, "-o", r / "r.html", "--format", "xlsx"],
        ["report", p, "-o", r / "r.html", "--period", "nope"],
        ["report", p, "-o", r / "r.html", "--period", "2026:2025"],
        ["report", p, "-o", r / "r.html", "--period", "1990"],
        ["report", p, "-o", r / "r.html", "--share-back", r / "file.txt"],
        ["report", "--meeting", "-o", r / "r.html"], ["report", p, "--intervention", "keep",
                                                      "-o", r / "r.html"],
        ["app", "--port", "0"], ["app", "--workspace", r / "file.txt", "--port", "1"],
        ["demo", "--seed", "x"],
    ]
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_every_bad_invocation_speaks_the_language(place, lang, monkeypatch):
    monkeypatch.setenv("LANG", {"da": "da_DK.UTF-8", "nb": "nb_NO.UTF-8"}[lang])
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    found = []
    for argv in _bad_invocations(place, lang):
        code, text = run(argv)
        assert code == 1, (argv, text)
        if argv and "-q" not in argv:  # no command: the help; merge: a table of rejections
            assert f": {t('cli_error', lang)}: " in text, (argv, text)
        assert "Traceback" not in text
        found += [f"{' '.join(map(str, argv[:3]))}: {p}" for p in english_or_ids(text, lang)]
    assert not found, f"[{lang}]\n  " + "\n  ".join(found)


@pytest.mark.parametrize("lang", LANGS)
def test_help_of_every_command_speaks_the_language(lang):
    found = []
    for words, _ in _parsers():
        code, text = run([*words, "--help", "--lang", lang])
        assert code == 0 and text.startswith(t("argparse_usage", lang)), text
        found += [f"{' '.join(words) or 'implementere-kit'}: {p}"
                  for p in english_or_ids(text, lang)]
    assert not found, f"[{lang}]\n  " + "\n  ".join(found)


def test_the_language_is_known_before_the_bad_argument():
    """``--lang`` after the argument that fails, or given as ``--lang=``, still counts."""
    for argv in (["status", "P", "--as-of", "x", "--lang", "nb"],
                 ["status", "P", "--as-of", "x", "--lang=nb"]):
        code, text = run(argv)
        assert code == 1 and t("cli_not_a_date", "nb", found="'x'") in text, text
    code, text = run(["new", "P", "--country", "NO"])  # a new project's country
    assert t("argparse_required", "nb").replace("%s", "") in text, text


def test_argparse_speaks_english_again_after_the_command():
    run(["status", "--lang", "da"])
    with pytest.raises(SystemExit):
        argparse.ArgumentParser(prog="x").parse_args(["--nope"])
    assert argparse._("usage: ") == "usage: "


def test_library_messages_keep_their_values(tmp_path):
    """A translated pattern keeps the file it names; a masked value is masked in words."""
    from implementere_kit.errors import ProjectError, safe_value
    from implementere_kit.i18n import error_text, message_text

    text = message_text(f"{tmp_path}/project.json is damaged: not UTF-8 text", "da")
    assert text == f"{tmp_path}/project.json er beskadiget: ikke UTF-8-tekst"
    masked = safe_value("ola@example.no")
    assert t("value_masked", "nb") in error_text(ProjectError(f"bad {masked}"), "nb")
    assert message_text("no such message", "da") == "no such message"


_BAD_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_BAD_TEXT, lang=st.sampled_from(LANGS))
def test_any_bad_argument_is_told_in_the_language(place, text, lang):
    from implementere_kit.errors import safe_value

    p = place[lang]
    where = place["root"] / "args" / (text.replace("/", "_").replace("\\", "_") or "x")
    for argv in (["status", p, "--as-of", text, "--lang", lang],
                 ["plan", "add", p, "--title", "t", "--phase", "planlegge", "--core-element",
                  text],
                 ["report", p, "-o", place["root"] / "r.html", "--period", text, "--lang", lang],
                 ["status", where, "--lang", lang]):
        code, out = run(argv)
        if code == 0:
            continue
        assert code == 1 and out.count("\n") == 1, out
        # what the user typed is shown as typed (or masked): leave it out of the check
        shown = out.replace(safe_value(text), " ").replace(str(where), " ")
        assert not english_or_ids(shown, lang), (argv, out)


@pytest.mark.parametrize("lang", LANGS)
def test_network_commands_speak_the_language(place, lang, tmp_path, monkeypatch):
    """What export, validate, merge and benchmark print when they work: in words."""
    from implementere_kit import report

    monkeypatch.setenv("LANG", {"da": "da_DK.UTF-8", "nb": "nb_NO.UTF-8"}[lang])
    monkeypatch.delenv("LC_ALL", raising=False)
    store = tmp_path / "store"
    shutil.copytree(report.demo_network_store().parent, store)
    pkg = tmp_path / "p.zip"
    texts = []
    for argv in (["export", place[lang], "-o", pkg], ["validate", pkg],
                 ["merge", pkg, pkg, "-q", "--into", tmp_path / "s.duckdb"],
                 ["benchmark", store / "network.duckdb", "-o", tmp_path / "sb"]):
        code, text = run(argv)
        assert code == 0, (argv, text)
        texts.append(text)
    assert t("cli_package_valid", lang, path=pkg) in texts[1]
    assert t("ui_action_unchanged", lang) in texts[2]  # the same package twice: no change
    assert t("col_network_median", lang) in texts[3]
    found = english_or_ids("\n".join(texts), lang)
    assert not found, "\n".join(found)
