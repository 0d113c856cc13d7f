"""The generator's modules import each other without cycles.

The orchestrator (build.py) imports the renderers; the renderers import only the contract
(contract.py), never build.py. The CLI's shared parts (console.py) are imported by both command
modules, which never import each other's commands. A cycle, even through an import inside a
function, is reported with its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(tree: ast.Module, modules: set[str]) -> set[str]:
    """Modules of the package that `tree` imports anywhere (in functions too), leaving out
    imports under `if TYPE_CHECKING:` (never run). `from package import submodule` depends on
    the submodule, not on the package's __init__."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{alias.name}" for alias in node.names} & modules
                if subs:
                    found.update(subs)
                if len(subs) < len(node.names) and node.module in modules:
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name in modules)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(tree.body)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
            for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_renderers_depend_on_the_contract_not_the_orchestrator() -> None:
    graph = import_graph()
    # `serve` drives builds (an orchestrator, like the CLI); every other module under render/ is
    # a renderer or a part of one.
    renderers = [name for name in graph if name.startswith("generator.render")
                 and name != "generator.render.site.serve"]
    assert renderers
    for name in renderers:
        assert "generator.build" not in graph[name], name
    assert "generator.contract" in graph["generator.render.docx.procedure"]


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_cycle_finder(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(graph) == expected


def test_import_inside_a_function_counts(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    from generator.build import build\n"
                     "if TYPE_CHECKING:\n    from generator.cli import app\n")
    assert imports_of(tree, {"generator.build", "generator.cli"}) == {"generator.build"}
