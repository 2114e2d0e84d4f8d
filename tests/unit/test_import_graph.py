"""The package's modules import one another without a cycle, so each can be read, tested and reused alone."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter

import pytest

from helpers import ROOT

pytestmark = pytest.mark.unit

PACKAGE = ROOT / "src" / "sots"


def module_name(path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path) -> set[str]:
    """The sots modules ``path`` imports, at any depth of the file (function-level imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sots")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sots"):
            for alias in node.names:  # `from sots import data` imports the module sots.data
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                          or (PACKAGE.parent / candidate.replace(".", "/")).is_dir() else node.module)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules and m != name} - {"sots"}
            for name, path in modules.items()}


def test_the_import_graph_has_no_cycle():
    deps = graph()
    assert "sots.chapter" in deps and "sots.claims" in deps["sots.chapter"]  # the graph is really read
    try:
        order = list(TopologicalSorter(deps).static_order())
    except CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")
    assert set(order) == set(deps)

