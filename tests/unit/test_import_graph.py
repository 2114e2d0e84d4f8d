"""The package's modules import one another without a cycle, and no wing imports a higher one, so each can be
read, tested and reused alone."""

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
            for alias in node.names:  # `from sots.inputs import data` imports the module sots.inputs.data
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
    # the graph is really read
    assert "sots.chapters.context" in deps and "sots.analysis.claims" in deps["sots.chapters.context"]
    try:
        order = list(TopologicalSorter(deps).static_order())
    except CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")
    assert set(order) == set(deps)


# The wings, lowest first: a module imports only its own wing or lower ones, so the inputs can be read without the
# analysis, the analysis without the chapters, and nothing but the site knows how a book is built.
WINGS = ("base", "inputs", "analysis", "chapters", "site")
EXEMPT = {"sots.cli"}  # the command line wires the wings together


def wing(module: str) -> str:
    """A module's wing: its folder under sots/ (the chapter modules in sots/chapters/ are the chapters wing), or the
    base for a module directly in sots/."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in WINGS) else "base"


def test_every_module_is_in_a_wing():
    deps = graph()
    assert {wing(m) for m in deps} == set(WINGS), sorted({wing(m) for m in deps} - set(WINGS))


def test_no_module_imports_a_higher_wing():
    deps = graph()
    assert wing("sots.site.build") == "site" and "sots.site.execcache" in deps["sots.site.execution"]  # read
    upward = sorted(f"{module} ({wing(module)}) imports {dep} ({wing(dep)})"
                    for module, imported in deps.items() if module not in EXEMPT
                    for dep in imported if WINGS.index(wing(dep)) > WINGS.index(wing(module)))
    assert not upward, "imports up the wings (" + " < ".join(WINGS) + "):\n" + "\n".join(upward)
