"""Notebooks are thin: a parameters cell, one setup line, calls, charts and glue; the logic is in the package.

These read the notebooks' source only; `tests/integration/test_chapters_by_hand.py` runs them.
"""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml

from helpers import ROOT
from sots import toc
from sots.analysis import claims

pytestmark = pytest.mark.unit

MAX_CODE_LINES = 60
NOTEBOOKS = toc.notebooks_in_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))
# What only the chapter context may do: resolve the ICB, load tables, make a Recorder, read the environment.
HIDDEN_SETUP = re.compile(r"\b(Recorder\(|data\.load\(|resolve_icb\(|table_hashes\(|os\.environ|getenv\()")
# A bare comparison with a stated value decides a status outside sots.analysis.claims.
OWN_VERDICT = re.compile(
    r"round\([^)]*\)\s*==|<\s*0\.05\b|\bstated\w*\s*(==|!=|<=|>=|<|>)|(==|!=|<=|>=|<|>)\s*stated\w*")


def code(name: str) -> list[str]:
    nb = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
    return [line for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines() if line.strip()]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_notebook_has_more_than_60_code_lines(name):
    assert len(code(name)) <= MAX_CODE_LINES


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_claim_id_is_typed_in_a_notebook(name):
    ids = "|".join(re.escape(cid) for cid in claims.load())
    typed = [line for line in code(name) if re.search(rf"[\"']({ids})[\"']", line)]
    assert typed == []
    # Nor in its prose: a heading's or sentence's claim ids are glued from the register.
    nb = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
    prose = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    assert [m.group(0) for text in prose for m in re.finditer(rf"\b({ids})\b", text)] == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_sets_up_through_the_chapter_context_once(name):
    lines = code(name)
    assert sum("chapter.open(" in line for line in lines) == 1
    assert [line for line in lines if HIDDEN_SETUP.search(line)] == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_notebook_decides_a_claims_status_itself(name):
    assert [line for line in code(name) if OWN_VERDICT.search(line)] == []


def test_the_chapter_modules_decide_no_status_themselves():
    for path in (ROOT / "src" / "sots" / "chapters").glob("*.py"):
        own = [line for line in path.read_text().splitlines() if OWN_VERDICT.search(line)]
        assert own == [], path.name
