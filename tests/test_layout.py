"""The package's shape: no import cycles between its modules, no module too long to read.

The import graph is built from the source with ``ast``: every ``import`` and ``from …
import`` of an ``implementere_kit`` module counts, at the top of a module or inside a
function (a function-level import only postpones a cycle, it does not remove it). Imports
under ``if TYPE_CHECKING:`` are for type checkers and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "implementere_kit"
MAX_LINES = 450

# None left: the definition-file checker removed the last two. A cycle added later is a
# finding, not an entry for this set.
KNOWN_CYCLES: set[frozenset[str]] = set()
KNOWN_LONG: set[str] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Modules of the package that ``path`` imports (resolved, existing ones only)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(target: str) -> None:
        while target and target not in modules:  # `from .x import y`: y may be a name
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("implementere_kit."):
                        resolve(alias.name.removeprefix("implementere_kit."))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".") if package else []
                    base = base[:len(base) - (child.level - 1)] if child.level > 1 else base
                    root = ".".join([*base, *([child.module] if child.module else [])])
                elif (child.module or "").startswith("implementere_kit"):
                    root = child.module.removeprefix("implementere_kit").lstrip(".")
                else:
                    continue
                for alias in child.names:
                    resolve(f"{root}.{alias.name}".lstrip(".") if root else alias.name)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    # importing a submodule runs its package's __init__ first, but that is no cycle
    return {m: _imports(p, modules) - {""} for m, p in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(frozenset(group))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_the_graph_is_read_right():
    graph = import_graph()
    assert "store._schema" in graph["store.tables"]  # relative, several names
    assert "store.tables" in graph["store.project"]
    assert "measures.control" in graph["exchange.indicators"]  # re-export of a moved name
    assert "report.evaluation" not in graph["report._sections"]  # only for type checkers
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        frozenset({"a", "b", "c"})]


def test_no_import_cycles():
    found = set(cycles(import_graph())) - KNOWN_CYCLES
    assert not found, "import cycles: " + "; ".join(" ↔ ".join(sorted(c)) for c in found)


@pytest.mark.parametrize("cycle", sorted(KNOWN_CYCLES, key=sorted), ids=" ↔ ".join)
def test_known_cycles_are_still_there(cycle):
    """When this fails the cycle is gone: delete it from KNOWN_CYCLES."""
    assert cycle in set(cycles(import_graph()))


def test_no_module_over_the_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= KNOWN_LONG, long
    assert set(long) == KNOWN_LONG, "a known long module got shorter: update KNOWN_LONG"
