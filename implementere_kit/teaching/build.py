"""Make the teaching notebooks in nb, da and en from one source per lesson.

Each lesson is written once, in ``notebooks/teaching/source/``:

- ``NN_name.py`` — the cells, in jupytext's percent format. Text is not written here but
  referred to by key, ``{{key}}``: a Markdown cell holds ``# {{intro}}``, a code cell may
  hold ``"{{situation_a}}"`` or ``# {{your_answer}}``. ``{{@lang}}`` becomes the language
  code. (Not «key»: Norwegian and Danish text quotes with « ».)
- ``NN_name.yaml`` — the translation catalogue: every key with its ``nb``, ``da`` and
  ``en`` text, and ``_file`` (the notebook's file name in each language). Keys shared by
  all lessons are in ``_common.yaml``.
- Words the toolkit defines elsewhere are referred to, not copied, so a lesson always says
  what the library says (:func:`library_text`): ``{{term:intervention_owner}}`` (the
  glossary's term), ``{{checklist:utvikle_tiltak}}`` (a checklist's name),
  ``{{question:utvikle_tiltak.why_it_works}}`` (a checklist question),
  ``{{core_element:3}}`` (a core element's name) and ``{{role:leader}}`` (a role of the
  implementere.no model), each in the notebook's language. They may appear in cells and in catalogue texts.

One source gives two notebooks per language, so lesson and solution cannot drift:

- a code cell's lines between ``### BEGIN SOLUTION`` and ``### BEGIN PROMPT`` go to the
  solution, the lines between ``### BEGIN PROMPT`` and ``### END`` to the lesson (where
  the learner fills in ``...``); the rest of the cell goes to both;
- a cell tagged ``solution`` goes only to the solution, one tagged ``lesson`` only to
  the lesson; a Markdown cell tagged ``answer`` holds the model answer in the solution
  and an empty answer box for the learner in the lesson.

Notebooks are written without outputs, with stable cell ids, so that building twice gives
the same bytes. ``python -m implementere_kit.teaching.build`` (``make teaching``) writes
them; ``--check`` only compares and exits 1 when a committed notebook differs from its
source. Authors can open a source file as a notebook in JupyterLab with jupytext.

Examples
--------
>>> cells = split_markers("x = 1\\n### BEGIN SOLUTION\\ny = 2\\n### BEGIN PROMPT\\ny = ...\\n"
...                       "### END\\ncheck(y)")
>>> cells["solution"], cells["lesson"]
('x = 1\\ny = 2\\ncheck(y)', 'x = 1\\ny = ...\\ncheck(y)')
>>> library_text("term", "intervention_owner", "da")
'metodeejer'
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from pathlib import Path

from .._data import LANGS, load_yaml
from ..errors import Problem, ValidationError

__all__ = ["build", "render_all", "split_markers", "library_text", "SOLUTION_DIRS",
           "default_root"]

#: Folder of the solution notebooks in each language.
SOLUTION_DIRS = {"nb": "losninger", "da": "loesninger", "en": "solutions"}
_SUFFIX = {"nb": "_losning", "da": "_loesning", "en": "_solution"}
_KEY = re.compile(r"\{\{(@?[A-Za-z0-9_]+)\}\}")
_REF = re.compile(r"\{\{(term|checklist|question|core_element|role):([A-Za-z0-9_.]+)\}\}")
_MARK = re.compile(r"^\s*### (BEGIN SOLUTION|BEGIN PROMPT|END)\s*$")
_INTERNAL_TAGS = {"solution", "lesson"}


def default_root() -> Path:
    """``notebooks/teaching`` of the source checkout this package was installed from."""
    return Path(__file__).resolve().parents[2] / "notebooks" / "teaching"


def split_markers(source: str) -> dict[str, str]:
    """The lesson and solution versions of one code cell (see the module docstring)."""
    out = {"lesson": [], "solution": []}
    where = "both"
    for line in source.splitlines():
        m = _MARK.match(line)
        if m:
            where = {"BEGIN SOLUTION": "solution", "BEGIN PROMPT": "lesson", "END": "both"}[
                m.group(1)]
            continue
        for version in out:
            if where in ("both", version):
                out[version].append(line)
    return {k: "\n".join(v).strip("\n") for k, v in out.items()}


def library_text(kind: str, ref: str, lang: str) -> str:
    """What the toolkit's data say for a reference in a lesson, in ``lang``.

    ``kind`` is ``term`` (a concept of ``plans/glossary.yaml``), or a part of the
    implementere.no framework: ``checklist`` (a checklist id), ``question``
    (``<checklist>.<question id>``), ``core_element`` (its number) or ``role`` (a role id).

    Raises
    ------
    ValidationError
        For an unknown kind or a reference the data do not have.
    """
    from ..plans.frameworks import load_framework
    from ..plans.glossary import term

    fw = load_framework("implementere")
    try:
        if kind == "term":
            return term(ref, lang)
        if kind == "checklist":
            return fw.checklists[ref].label(lang)
        if kind == "question":
            checklist, _, question = ref.partition(".")
            return next(q for q in fw.checklists[checklist] if q.id == question).label(lang)
        if kind == "core_element":
            return fw.core_element(ref).label(lang)
        if kind == "role":
            return fw.role(ref).label(lang)
    except (LookupError, StopIteration):  # UnknownNameError is a KeyError
        pass
    raise ValidationError([Problem("reference the toolkit's data do not have",
                                   column=f"{kind}:{ref}",
                                   expected="a glossary concept, checklist, "
                                            "<checklist>.<question>, core element or role")])


def _catalogue(path: Path, common: dict) -> dict[str, dict[str, str]]:
    raw = load_yaml(path) or {}
    merged = {**common, **raw}
    problems = [Problem("catalogue entry lacks a language", file=str(path), column=str(k),
                        expected="nb, da and en")
                for k, v in merged.items()
                if not isinstance(v, dict) or any(lang not in v for lang in LANGS)]
    if problems:
        raise ValidationError(problems)
    return {str(k): {lang: str(v[lang]).rstrip("\n") for lang in LANGS}
            for k, v in merged.items()}


def _fill(text: str, cat: dict, lang: str, used: set, where: str) -> str:
    def repl(m):
        key = m.group(1)
        if key == "@lang":
            return lang
        if key not in cat:
            raise ValidationError([Problem("key not in the catalogue", file=where, column=key,
                                           expected="an entry in the lesson's .yaml or "
                                                    "_common.yaml")])
        used.add(key)
        return cat[key][lang]

    def ref(m):
        try:
            return library_text(m.group(1), m.group(2), lang)
        except ValidationError as exc:
            raise ValidationError([Problem(p.message, file=where, column=p.column,
                                           expected=p.expected) for p in exc.problems]) from None

    # library references first (a catalogue key never contains a colon), then the
    # catalogue's texts, whose own references are filled in as they are put in
    return _KEY.sub(lambda m: _REF.sub(ref, repl(m)), _REF.sub(ref, text))


def _cell_id(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:12]


def _render(source: Path, cat: dict, lang: str, version: str, used: set) -> str:
    import jupytext
    import nbformat

    src = jupytext.read(source, fmt="py:percent")
    cells = []
    stem = source.stem
    if version == "solution":
        cells.append(("markdown", "{{solution_note}}", {}))
    for cell in src.cells:
        tags = list(cell.metadata.get("tags", []))
        if ("solution" in tags and version == "lesson") or ("lesson" in tags
                                                            and version == "solution"):
            continue
        text = cell.source
        if cell.cell_type == "markdown" and "answer" in tags and version == "lesson":
            text = "{{answer_prompt}}"
        elif cell.cell_type == "code":
            text = split_markers(text)[version]
        meta = {"tags": [t for t in tags if t not in _INTERNAL_TAGS]} if tags else {}
        if meta and not meta["tags"]:
            meta = {}
        cells.append((cell.cell_type, text, meta))
    if version == "solution":  # the note goes after the title
        cells[0], cells[1] = cells[1], cells[0]
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, (kind, text, meta) in enumerate(cells):
        body = _fill(text, cat, lang, used, f"{source.name}, cell {i + 1}")
        if kind == "code":
            try:
                ast.parse(body)
            except SyntaxError as exc:
                raise ValidationError([Problem("generated code does not parse",
                                               file=source.name, row=i + 1, column=lang,
                                               found=str(exc))]) from None
            new = nbformat.v4.new_code_cell(body, metadata=meta)
        else:
            new = nbformat.v4.new_markdown_cell(body, metadata=meta)
        new.id = _cell_id(stem, lang, version, i)
        nb.cells.append(new)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def render_all(root: Path | None = None) -> dict[Path, str]:
    """Every notebook the sources make: ``{path: text}``, paths under ``root``.

    Raises
    ------
    ValidationError
        A key missing from a catalogue, a catalogue entry without all three languages,
        a catalogue key no cell uses, or generated code that does not parse.
    """
    root = Path(root) if root is not None else default_root()
    src_dir = root / "source"
    common = load_yaml(src_dir / "_common.yaml") or {}
    out: dict[Path, str] = {}
    problems = []
    for source in sorted(src_dir.glob("[0-9]*.py")):
        cat = _catalogue(source.with_suffix(".yaml"), common)
        names = cat.pop("_file", None)
        if names is None:
            raise ValidationError([Problem("no _file entry", file=str(source.with_suffix(".yaml")),
                                           expected="_file: the notebook name per language")])
        used: set[str] = set()
        for lang in LANGS:
            name = names[lang]
            out[root / lang / f"{name}.ipynb"] = _render(source, cat, lang, "lesson", used)
            out[root / lang / SOLUTION_DIRS[lang] / f"{name}{_SUFFIX[lang]}.ipynb"] = _render(
                source, cat, lang, "solution", used)
        own = set(load_yaml(source.with_suffix(".yaml")) or {}) - {"_file"}
        problems += [Problem("catalogue key not used by any cell",
                             file=str(source.with_suffix(".yaml")), column=k)
                     for k in sorted(own - used)]
    if problems:
        raise ValidationError(problems)
    return out


def build(root: Path | None = None, *, check: bool = False) -> list[Path]:
    """Write the notebooks (or, with ``check``, list those that differ from the sources).

    Notebooks of a language folder that no source makes any more are removed (listed
    under ``check``).
    """
    root = Path(root) if root is not None else default_root()
    wanted = render_all(root)
    stale = [p for lang in LANGS for p in sorted((root / lang).rglob("*.ipynb"))
             if p not in wanted and ".ipynb_checkpoints" not in p.parts]
    changed = [p for p, text in wanted.items()
               if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if not check:
        from .._io import atomic_write_bytes

        for p in changed:
            atomic_write_bytes(p, wanted[p].encode("utf-8"))
            p.chmod(0o644)  # the temporary file is private; a notebook is for everyone
        for p in stale:
            p.unlink()
    return changed + stale


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    try:
        paths = build(check=check)
    except ValidationError as exc:
        print(f"teaching notebooks: {exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(("differs from its source: " if check else "written: ") + str(p))
    return 1 if check and paths else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
