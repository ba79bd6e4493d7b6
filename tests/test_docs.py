"""The Python examples in docs/ run as written and print what the page says they print.

A ```python block may be followed by a line "prints" and a ```text block: the block's
output must then be exactly that text (trailing spaces aside).
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
_EXAMPLE = re.compile(r"```python\n(.*?)```(?:\s*prints\s*```text\n(.*?)```)?", re.S)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]


@pytest.mark.parametrize("doc", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_python_blocks_run_and_print_what_the_page_shows(doc, capsys):
    examples = _EXAMPLE.findall(doc.read_text(encoding="utf-8"))
    assert examples, f"{doc.name} has no python example"
    assert any(shown for _, shown in examples), f"{doc.name} shows no output to check"
    for code, shown in examples:
        exec(compile(code, str(doc), "exec"), {})  # noqa: S102 - our own documentation
        printed = capsys.readouterr().out
        if shown:
            assert _lines(printed) == _lines(shown)


def test_the_examples_are_found():
    text = "```python\nprint(1)\n```\n\nprints\n\n```text\n1\n```\n```python\nx = 2\n```"
    assert _EXAMPLE.findall(text) == [("print(1)\n", "1\n"), ("x = 2\n", "")]
