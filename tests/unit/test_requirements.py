"""requirements.txt pins exactly what the project needs: every import comes from a pinned distribution, every
pyproject dependency is pinned, and every pin is a direct need or required by one (read from the files and the
installed packages' metadata; no network)."""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions

import pytest
from packaging.requirements import Requirement

from helpers import ROOT

pytestmark = pytest.mark.unit

# Needs that are not pyproject dependencies, each with its reason (keep requirements.txt's header in step).
OTHER_NEEDS = {
    "pytest": "runs the tests",
    "pytest-xdist": "runs them on two workers (`make test`; tests/conftest.py groups them)",
    "playwright": "drives Chromium in tests/e2e",
    "hypothesis": "generates the inputs of the property-based tests (tests/unit/test_properties.py)",
    "packaging": "parses requirements in this test",
    "openpyxl": "pandas' reader for .xlsx files",
    "ruff": "the linter `make test` runs before the tests",
    "setuptools": "the build backend (pyproject's build-system)",
    "wheel": "setuptools' editable build with --no-build-isolation, as the Makefile installs the package",
}


def norm(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str | None = None) -> dict[str, str]:
    """requirements.txt (or ``text``) as {normalised name: version}; each line must be `name==version`."""
    found: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines() if text is None else text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name), f"not an exact pin: {line!r}"
        assert norm(name) not in found, f"pinned twice: {name}"
        found[norm(name)] = version
    return found


def pyproject_dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def imported_modules(source: str) -> set[str]:
    """The top-level names of every absolute import in ``source``, at any depth (imports inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def notebook_code(path) -> str:
    """A notebook's code cells as one Python source, without IPython's magic and shell lines."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    lines = []
    for cell in cells:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines += [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def third_party_imports() -> dict[str, list[str]]:
    """{module: [files importing it]} for src/, tests/ and notebooks/, less the standard library and local modules."""
    local = {"sots"} | {p.stem for p in (ROOT / "tests").rglob("*.py")}
    sources = {p: p.read_text() for folder in ("src", "tests") for p in sorted((ROOT / folder).rglob("*.py"))}
    sources |= {p: notebook_code(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    found: dict[str, list[str]] = {}
    for path, source in sources.items():
        for module in imported_modules(source) - set(sys.stdlib_module_names) - local:
            found.setdefault(module, []).append(str(path.relative_to(ROOT)))
    return found


def required_closure(roots: set[str]) -> set[str]:
    """``roots`` and every distribution they require, by the installed metadata, following requested extras."""
    seen: set[tuple[str, str]] = set()
    todo = [(norm(r), "") for r in roots]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            pytest.fail(f"{name} is needed but not installed: run `make venv`")
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo += [(norm(req.name), e) for e in ("", *sorted(req.extras))]
    return {name for name, _ in seen}


def test_the_helpers_read_what_they_should():
    assert norm("Jinja2") == "jinja2" and norm("sphinx_design") == norm("Sphinx.Design") == "sphinx-design"
    assert imported_modules("import a.b, c\nfrom d.e import f\nfrom . import g\ndef h():\n    import yaml\n") == {
        "a", "c", "d", "yaml"}
    assert pins("# a comment\n\nJinja2==3.1.6\n  sphinx_design==0.8.0\n") == {
        "jinja2": "3.1.6", "sphinx-design": "0.8.0"}
    for bad in ("pandas>=3", "pandas", "pandas==3.1.1\nPandas==3.1.0"):
        with pytest.raises(AssertionError):
            pins(bad)


def test_every_import_comes_from_a_pinned_distribution():
    pinned = pins()
    imports = third_party_imports()
    # The scan sees the imports the package is known to make, so an empty or broken scan cannot pass.
    assert {"pandas", "altair", "yaml", "papermill", "pytest", "playwright", "IPython"} <= set(imports)
    providers = packages_distributions()
    unpinned = {module: (providers.get(module, ["(no installed distribution)"]), files)
                for module, files in imports.items()
                if not any(norm(d) in pinned for d in providers.get(module, []))}
    assert unpinned == {}, f"imported but not provided by a pin in requirements.txt: {unpinned}"


def test_every_pyproject_dependency_is_pinned():
    deps = pyproject_dependencies()
    assert "pandas" in deps
    missing = [d for d in deps if norm(Requirement(d).name) not in pins()]
    assert missing == [], f"pyproject.toml dependencies not pinned in requirements.txt: {missing}"


def test_the_pins_are_exactly_the_needs_and_what_they_require():
    needed = required_closure({Requirement(d).name for d in pyproject_dependencies()} | set(OTHER_NEEDS))
    pinned = set(pins())
    assert sorted(pinned - needed) == [], "pins that nothing needs: remove them from requirements.txt"
    assert sorted(needed - pinned) == [], "needed but not pinned: add them to requirements.txt"


def test_the_installed_versions_are_the_pinned_ones():
    """The closure above is read from the installed metadata, so it speaks for the pins only if they are installed."""
    wrong = {name: (version, distribution(name).version) for name, version in pins().items()
             if distribution(name).version != version}
    assert wrong == {}, "installed versions differ from requirements.txt: run `make venv`"
