"""The wheel's modules import each other without a circle (imports inside functions count; typing-only ones do not)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports when it runs: anywhere in it, but under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return (found & modules) - {name}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, path = [], {}, []

    def visit(module: str) -> None:
        state[module], path[len(path) :] = "open", [module]
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                found.append([*path[path.index(other) :], other])
            elif other not in state:
                visit(other)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_the_wheel_has_no_import_circle():
    files = {module_name(p): p for p in (ROOT / "mnist_hub").rglob("*.py")}
    graph = {name: runtime_imports(path, name, set(files)) for name, path in files.items()}
    assert graph["mnist_hub.loading"], "the graph sees imports"
    assert circles(graph) == []


def test_a_circle_is_seen_also_through_an_import_inside_a_function(tmp_path):
    assert circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b", "a"]]
    probe = tmp_path / "probe.py"
    lines = ["from typing import TYPE_CHECKING", "if TYPE_CHECKING:", "    import x", "def f():", "    from y import z"]
    probe.write_text("\n".join(lines) + "\n")
    assert runtime_imports(probe, "probe", {"x", "y", "y.z"}) == {"y", "y.z"}
