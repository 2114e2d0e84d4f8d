"""What a notebook receives: the edition's id, the ICB and paths, as strings, and only what it declares; the data
years only in the build parameter."""

import json

import nbformat
import pytest

from helpers import ROOT
from sots.errors import InputError
from sots.inputs import editions
from sots.site import pipeline

pytestmark = pytest.mark.unit

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_parameter_is_a_string_and_paths_are_relative(tmp_path):
    edition = editions.get(editions.load(ROOT / "editions.yml"), "2024-25")
    params = pipeline.Parameters(edition=edition, icb="QE1", data_dir=tmp_path / "data")
    got = params.for_notebook(tmp_path / "nb", tmp_path / "results" / "x.json")
    assert got == {"edition": "2024-25", "icb": "QE1", "data_dir": "../data", "root": "..",
                   "results_fragment": "../results/x.json", "results_dir": "../results", "report_results": "",
                   "build": ""}


def test_the_data_years_are_no_parameter_and_reserved_for_editions_yml(tmp_path):
    """One channel: the years reach a chapter in ``build`` alone, and -p may not set one."""
    edition = editions.get(editions.load(ROOT / "editions.yml"), "2024-25")
    params = pipeline.Parameters(edition=edition, icb="QE1", data_dir=tmp_path / "data")
    offered = params.for_notebook(tmp_path / "nb", tmp_path / "x.json")
    assert not set(editions.inputs()) & set(offered)
    assert set(editions.inputs()) <= params.reserved()
    with pytest.raises(InputError) as err:
        pipeline.chapter_overrides({"allocation_year": "2030/31"}, NOTEBOOKS, params.reserved())
    assert str(err.value) == ("parameter 'allocation_year': an input of the edition, set in editions.yml (its data "
                              "year), not by -p")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_declares_a_data_year(notebook):
    """The years cannot disagree with the chapter's: a notebook has none of its own, it asks ``ch.data_year``."""
    assert not set(editions.inputs()) & set(pipeline.chapter_parameters(notebook))
    assert pipeline.chapter_parameters(notebook).get("root") == ".."


def test_the_build_parameter_carries_provenance_and_a_relative_chart_folder(tmp_path):
    made = {"edition": "2024-25", "code_sha256": "abc1234", "parameters_sha256": "0123456789ab"}
    inputs = {"allocation_year": "2024/25", "unit_cost_year": "2024/25", "outturn_year": "2024/25",
              "projection_vintage": "2018-based"}
    text = pipeline.build_parameter(made, tmp_path / "_static" / "chart-data" / "finance", tmp_path / "notebooks",
                                    tmp_path / "reads" / "finance.json", inputs)
    assert json.loads(text) == {"provenance": made, "chart_data": "../_static/chart-data/finance",
                                "reads": "../reads/finance.json", "inputs": inputs}
    assert pipeline.build_parameter(None, None, tmp_path) == ""  # by hand: the notebook's default


def test_a_notebook_receives_only_the_parameters_it_declares_in_its_order(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_code_cell('outturn_year = "2023/24"\nicb = "QE1"\nthreshold = 3',
                                          metadata={"tags": ["parameters"]})]
    nbformat.write(nb, tmp_path / "n.ipynb")
    offered = {"edition": "2024-25", "icb": "QWE", "outturn_year": "2024/25", "unit_cost_year": "2024/25"}
    assert list(pipeline.declared(offered, tmp_path / "n.ipynb").items()) == [
        ("outturn_year", "2024/25"), ("icb", "QWE")]


def test_the_funding_chapter_declares_the_parameters_it_uses():
    names = set(pipeline.declared({k: "" for k in (
        "edition", "edition_title", "allocation_year", "unit_cost_year", "outturn_year", "projection_vintage",
        "icb", "data_dir", "root", "results_fragment", "build")}, ROOT / "notebooks" / "funding_per_head.ipynb"))
    assert names == {"edition", "icb", "data_dir", "root", "results_fragment", "build"}


def test_provenance_names_edition_code_and_a_hash_of_the_parameters_not_the_commit():
    one = pipeline.provenance("2023-24", "abc", {"icb": "QE1", "edition": "2023-24"})
    assert one == pipeline.provenance("2023-24", "abc", {"edition": "2023-24", "icb": "QE1"})  # order-free
    # No commit: a chapter's outputs depend only on what the execution cache keys them on (the build adds it).
    assert set(one) == {"edition", "code_sha256", "parameters_sha256"} and len(one["parameters_sha256"]) == 12
    assert pipeline.provenance("2023-24", "abc", {"icb": "QWE"})["parameters_sha256"] != one["parameters_sha256"]
