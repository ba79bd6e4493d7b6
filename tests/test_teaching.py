"""Tests of the teaching notebooks and of implementere_kit.teaching.

The notebooks themselves run under ``pytest --nbval-lax notebooks/teaching``. Here we check
what nbval cannot: that the committed notebooks are exactly what their sources make (so
lesson, solution and the three languages cannot drift), that every lesson has objectives,
time, prerequisites and key points, that the solutions pass every check and the untouched
lessons get "not answered yet" (never ``Ellipsis``), and — in ``test_teaching_checks.py`` —
that every check fails for the wrong answers a learner is likely to give.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from implementere_kit.errors import ValidationError
from implementere_kit.teaching import build
from implementere_kit.teaching.feedback import Feedback, _messages, message

ROOT = Path(__file__).resolve().parents[1] / "notebooks" / "teaching"
SOURCES = sorted((ROOT / "source").glob("[0-9]*.py"))
LANGS = ("nb", "da", "en")


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _cells(path: Path, kind: str) -> list[str]:
    return ["".join(c["source"]) for c in _nb(path)["cells"] if c["cell_type"] == kind]


def _lessons(lang: str) -> list[Path]:
    return sorted((ROOT / lang).glob("*.ipynb"))


def _solutions(lang: str) -> list[Path]:
    return sorted((ROOT / lang / build.SOLUTION_DIRS[lang]).glob("*.ipynb"))


ALL = [p for lang in LANGS for p in _lessons(lang) + _solutions(lang)]


# -- one source, six notebooks ---------------------------------------------------------------
def test_committed_notebooks_are_what_the_sources_make():
    wanted = build.render_all(ROOT)
    on_disk = {p for lang in LANGS for p in (ROOT / lang).rglob("*.ipynb")}
    assert set(wanted) == on_disk, "run `make teaching`"
    stale = [p.name for p, text in wanted.items() if p.read_text(encoding="utf-8") != text]
    assert not stale, f"differ from their sources (run `make teaching`): {stale}"


def test_eight_lessons_in_each_language_each_with_a_solution():
    for lang in LANGS:
        lessons, solutions = _lessons(lang), _solutions(lang)
        assert [p.name[:3] for p in lessons] == [f"0{i}_" for i in range(8)]
        assert [p.name[:3] for p in solutions] == [f"0{i}_" for i in range(8)]


def test_languages_share_the_code_of_every_exercise():
    """Only the parameters cell and the placeholders' text differ between languages."""
    def code(path):
        cells = _cells(path, "code")[1:]  # the parameters cell sets lang
        # strings and comments carry translated text; the code around them must be equal
        return [re.sub(r'"[^"\n]*"|#.*', "", c) for c in cells]

    for i in range(8):
        per_lang = [code(_lessons(lang)[i]) for lang in LANGS]
        assert per_lang[0] == per_lang[1] == per_lang[2]


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_stored_without_outputs_on_the_python3_kernel(path):
    nb = _nb(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_placeholder_or_marker_left_and_no_test_asserts(path):
    text = "\n".join(_cells(path, "code") + _cells(path, "markdown"))
    assert "{{" not in text and "### BEGIN" not in text and "### END" not in text
    assert not re.search(r"^\s*assert ", "\n".join(_cells(path, "code")), re.MULTILINE)


_HEADINGS = {
    "nb": ("Etter denne leksjonen kan du", "Tid:", "Forkunnskaper:", "## Viktige punkter"),
    "da": ("Efter denne lektion kan du", "Tid:", "Forudsætninger:", "## Vigtige pointer"),
    "en": ("After this lesson you can", "Time:", "Prerequisites:", "## Key points"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_lesson_opens_with_objectives_time_prerequisites_and_closes_with_key_points(lang):
    objectives, time, prereq, key_points = _HEADINGS[lang]
    for path in _lessons(lang):
        md = _cells(path, "markdown")
        assert md[0].startswith("# ")
        assert objectives in md[1] and time in md[1] and prereq in md[1], path.name
        assert md[-1].startswith(key_points), path.name


@pytest.mark.parametrize("lang", LANGS)
def test_every_exercise_heading_is_followed_by_a_check_or_an_answer_cell(lang):
    word = {"nb": "Oppgave", "da": "Opgave", "en": "Exercise"}[lang]
    for path in _lessons(lang):
        cells = _nb(path)["cells"]
        for i, cell in enumerate(cells):
            text = "".join(cell["source"])
            m = re.match(rf"### {word} (\d\.\d)", text)
            if not m:
                continue
            # the cells up to the next Markdown cell belong to the exercise
            rest = cells[i + 1:]
            upto = next((j for j, c in enumerate(rest) if c["cell_type"] == "markdown"),
                        len(rest))
            own = rest[:upto]
            checked = any(f"check_exercise_{m.group(1).replace('.', '_')}(" in
                          "".join(c["source"]) for c in own)
            answer_box = bool(rest) and "answer" in rest[0]["metadata"].get("tags", [])
            assert checked or answer_box, f"{path.name}: exercise {m.group(1)}"


# -- one term per concept ---------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_lessons_use_the_glossary_terms(lang):
    """What a learner reads in a lesson uses the glossary's terms (``plans/glossary.yaml``),
    as the toolkit's own labels do; in Danish a core element of the model is never called a
    kerneelement, which is Socialstyrelsen's word for a core component."""
    from implementere_kit.plans.glossary import avoided_terms

    nine = re.compile(r"\bkerneelement\w*\s+(?:\d|nr\b)|\bni\s+kerneelement", re.IGNORECASE)
    bad = []
    for path in _lessons(lang) + _solutions(lang):
        for text in _cells(path, "markdown") + _cells(path, "code"):
            bad += [(path.name, word) for word in avoided_terms(text, lang)]
            bad += [(path.name, m.group(0)) for m in nine.finditer(text)] if lang == "da" else []
    assert bad == []


def test_lessons_quote_checklists_and_terms_from_the_toolkit():
    """Checklist names and questions, core elements and terms quoted in a lesson are filled in
    from the toolkit's data when the notebooks are made, so they say what the library says."""
    from implementere_kit.plans.frameworks import load_framework

    fw = load_framework("implementere")
    why = next(q for q in fw.checklists["utvikle_tiltak"] if q.toc == "deliverables->results")
    for lang in LANGS:
        roles = next(p for p in _lessons(lang) if p.name.startswith("02_"))
        text = "\n".join(_cells(roles, "markdown"))
        assert fw.checklists["utvikle_tiltak"].label(lang) in text
        assert fw.checklists["implementere_tiltak"].label(lang) in text
        assert why.label(lang) in text
        terms = "\n".join(_cells(next(p for p in _lessons(lang) if p.name.startswith("01_")),
                                  "markdown"))
        assert fw.core_element(3).label(lang) in terms
    with pytest.raises(ValidationError, match="question:utvikle_tiltak.nope"):
        build.library_text("question", "utvikle_tiltak.nope", "da")
    with pytest.raises(ValidationError, match="term:nope"):
        build.library_text("term", "nope", "nb")


# -- run the English notebooks in this process --------------------------------------------
def _run(path: Path) -> list[Feedback]:
    """Execute a notebook's code cells in one namespace; collect what each cell shows."""
    ns: dict = {"__name__": "__main__"}
    shown = []
    for src in _cells(path, "code"):
        tree = ast.parse(src)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, path.name, "exec"), ns)  # noqa: S102 - our own notebooks
        if last is not None:
            shown.append(eval(compile(ast.Expression(last.value), path.name, "eval"), ns))  # noqa: S307
    return shown


@pytest.fixture(autouse=True)
def _english_feedback():
    """Lessons call teaching.setup, which sets the language and NumPy's print options."""
    import numpy as np

    from implementere_kit.teaching import set_language

    options = np.get_printoptions()
    yield
    set_language("en")
    np.set_printoptions(**options)


@pytest.mark.parametrize("path", _solutions("en"), ids=lambda p: p.stem)
def test_solutions_pass_every_check(path, capsys):
    shown = _run(path)
    feedback = [s for s in shown if isinstance(s, Feedback)]
    assert feedback, "a solution without checks"
    assert all(f.ok for f in feedback), [str(f) for f in feedback if not f.ok]
    assert all(s is not Ellipsis for s in shown)


@pytest.mark.parametrize("path", _lessons("en"), ids=lambda p: p.stem)
def test_untouched_lessons_say_not_answered_yet_never_ellipsis(path, capsys):
    shown = _run(path)
    feedback = [s for s in shown if isinstance(s, Feedback)]
    assert feedback and all(f.status == "unanswered" for f in feedback)
    assert "Replace `...`" in str(feedback[0])
    assert all(s is not Ellipsis for s in shown)


# -- messages ------------------------------------------------------------------------------
def test_every_message_has_the_same_placeholders_in_every_language():
    for key, texts in _messages().items():
        fields = {lang: set(re.findall(r"(?<!\{)\{(\w+)\}", texts[lang])) for lang in LANGS}
        assert fields["nb"] == fields["da"] == fields["en"], key


def test_messages_used_by_the_checks_exist():
    from implementere_kit import teaching

    code = "\n".join(Path(m.__file__).read_text(encoding="utf-8") for m in (
        teaching.checks_intro, teaching.checks_delivery, teaching.checks_ratings,
        teaching.memo))
    used = set(re.findall(r'"((?:ex\d_\d|memo|want|not|verdict)_[a-z0-9_]+)"', code))
    known = set(_messages())
    assert used and used <= known, sorted(used - known)


def test_message_formats_numbers_for_each_language():
    assert message("ex0_1_round_up", "nb", exact="12,8") .startswith("12,8 er riktig")
    assert message("heading_unanswered", "da", exercise="4.2") == \
        "Opgave 4.2: ikke besvaret endnu"
