"""The Python examples in docs/ run as written."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("doc", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_python_blocks_run(doc, capsys):
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert blocks, f"{doc.name} has no python example"
    for code in blocks:
        exec(compile(code, str(doc), "exec"), {})  # noqa: S102 - our own documentation
    assert capsys.readouterr().out
