"""Every chapter opened by hand, as an analyst opens it in JupyterLab, runs top to bottom with its defaults and
records the build's figures: nothing it needs comes from the build's environment or from another notebook's run."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

from helpers import ROOT
from sots import toc
from sots.analysis import claims
from sots.inputs import editions
from sots.site import kernels, pipeline

pytestmark = pytest.mark.integration

NOTEBOOKS = toc.notebooks_in_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))
# The edition whose data years the notebooks' defaults are: the one the report is from.
DEFAULT_EDITION = yaml.safe_load((ROOT / "claims.yml").read_text())["report"]["edition"]


def golden() -> dict[str, dict]:
    return json.loads((ROOT / "tests" / "golden" / DEFAULT_EDITION / "QE1.json").read_text())["figures"]


def run_by_hand(name: str, tmp_path) -> dict[str, dict]:
    """Run ``name`` from notebooks/ with no parameters injected; return the figures its chapter context recorded."""
    nb = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
    dump = tmp_path / f"{name.split('/')[-1]}.json"
    nb.cells.append(nbformat.v4.new_code_cell(f"import json; json.dump(ch.figures, open({str(dump)!r}, 'w'))"))
    # A fresh kernel of its own, started as a build starts one (on Unix sockets: chapters run two at a time here, and
    # kernels started at once on TCP could pick the same port).
    folder = str(ROOT / "notebooks")
    kernel = kernels.start(folder)
    try:
        NotebookClient(nb, km=kernel[0], timeout=600, resources={"metadata": {"path": folder}}).execute()
    finally:
        kernels.stop(kernel)
    return json.loads(dump.read_text())


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_defaults_are_the_report_edition_and_the_project_folder(name):
    """By hand a chapter is the report's edition, and reads that edition's data years from the project's editions.yml
    (``root``): a notebook declares no data year of its own."""
    defaults = pipeline.chapter_parameters(ROOT / f"{name}.ipynb")
    expected = {k: v for k, v in {"edition": DEFAULT_EDITION, "icb": "QE1", "data_dir": "../data", "root": "..",
                                  "results_fragment": "", "report_results": "", "build": ""}.items() if k in defaults}
    assert {k: defaults[k] for k in expected} == expected and "root" in expected
    assert not set(editions.inputs()) & set(defaults)


def test_every_chapter_by_hand_records_the_golden_figures(tmp_path):
    expected = golden()
    recorded: dict[str, dict] = {}
    by_chapter: dict[str, dict[str, dict]] = {}
    # Two at a time (the machine's cores), each in its own kernel, so no chapter can lean on another's run.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(NOTEBOOKS, pool.map(lambda name: run_by_hand(name, tmp_path), NOTEBOOKS)))
    for name in NOTEBOOKS:
        by_chapter[name] = runs[name]
        for figure_id, entry in by_chapter[name].items():
            assert figure_id not in recorded, f"{figure_id} recorded by two chapters"
            assert "provenance" not in entry  # by hand there is no build to record
            recorded[figure_id] = entry
    # A chapter's verdict (on its own figures) is the claims page's (on every chapter's): each claim's checked
    # figures are recorded by the chapter the register names as its evidence.
    for claim in claims.load().values():
        if claim["chapter"] in by_chapter:
            own = claims.evaluate(claim, by_chapter[claim["chapter"]])
            assert own.status == claims.evaluate(claim, recorded).status, claim["id"]
            assert {c.figure for c in own.checks} <= set(by_chapter[claim["chapter"]]), claim["id"]
    assert set(expected) <= set(recorded), f"not recorded by hand: {sorted(set(expected) - set(recorded))}"
    for figure_id, want in expected.items():
        got = recorded[figure_id]["value"]
        if want["value"] is None:
            assert got is None, figure_id
        else:
            assert got == pytest.approx(want["value"], abs=want["tolerance"]), figure_id
    written = [p for p in (ROOT / "notebooks").iterdir() if p.suffix != ".ipynb"]
    assert written == [], f"a chapter run by hand wrote into notebooks/: {written}"
