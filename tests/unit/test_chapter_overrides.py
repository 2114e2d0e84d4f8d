"""Chapter assumptions from the command line: typed by each notebook's defaults, checked before any work."""

import json

import pytest

from helpers import DATA, REGISTER, ROOT
from sots.cli import parse_params
from sots.errors import BuildError, InputError, SotsError
from sots.site import buildkey, execution, pipeline, plan
from sots.site.pipeline import Parameters, chapter_overrides, chapter_parameters

pytestmark = pytest.mark.unit

BEDDAYS, BUDGET, FUNDING = (ROOT / "notebooks" / f"{n}.ipynb" for n in ("beddays", "budget", "funding_per_head"))
RESERVED = {"edition", "icb", "data_dir", "root", "results_fragment", "allocation_year", "unit_cost_year"}


def test_chapter_parameters_read_the_defaults_as_python_values():
    params = chapter_parameters(BEDDAYS)
    assert params["base_year"] == 2023 and params["runs"] == 1000 and params["edition"] == "2023-24"
    assert chapter_parameters(BUDGET)["non_demographic_growth_pa_pct"] == 0.0


def test_overrides_go_typed_to_the_chapters_that_declare_them():
    typed = chapter_overrides({"base_year": "2022", "non_demographic_growth_pa_pct": "1.5"}, [BEDDAYS, BUDGET, FUNDING],
                              RESERVED)
    assert typed[BEDDAYS] == {"base_year": 2022}
    assert typed[BUDGET] == {"base_year": 2022, "non_demographic_growth_pa_pct": 1.5}
    assert typed[FUNDING] == {}
    assert isinstance(typed[BUDGET]["non_demographic_growth_pa_pct"], float)


@pytest.mark.parametrize("overrides, message", [
    ({"nosuch": "1"}, "parameter 'nosuch': no chapter declares it (chapters take: base_year,"),
    ({"icb": "QWE"}, "parameter 'icb': set by the edition or the build"),
    ({"unit_cost_year": "2024/25"}, "parameter 'unit_cost_year': an input of the edition, set in editions.yml"),
    ({"base_year": "twenty"},
     "parameter 'base_year': expected int like its default 2023 in beddays.ipynb, got 'twenty'"),
    ({"non_demographic_growth_pa_pct": "lots"}, "expected a finite float like its default 0.0 in budget.ipynb"),
    ({"non_demographic_growth_pa_pct": "nan"},
     "expected a finite float like its default 0.0 in budget.ipynb, got 'nan'"),
    ({"non_demographic_growth_pa_pct": "-inf"}, "expected a finite float like its default 0.0 in budget.ipynb"),
])
def test_a_wrong_override_is_named_in_one_line(overrides, message):
    with pytest.raises(InputError) as err:
        chapter_overrides(overrides, [BEDDAYS, BUDGET], RESERVED)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_parse_params():
    assert parse_params(["base_year=2022", " runs = 200 "]) == {"base_year": "2022", "runs": "200"}
    with pytest.raises(SotsError, match="expected NAME=VALUE"):
        parse_params(["base_year"])
    with pytest.raises(SotsError, match="given twice"):
        parse_params(["runs=1", "runs=2"])


# --- Typed once: by the plan, injected as they are --------------------------------------------------------------------

def test_the_plan_keeps_each_notebooks_typed_overrides(tmp_path):
    options = buildkey.Options(icb="QE1", overrides={"base_year": "2022", "runs": "200"}, pdf=False)
    made = plan.make(plan.Request(options=options), ROOT, None, tmp_path / "site", DATA, None)
    assert made.overrides == {"base_year": "2022", "runs": "200"}  # the texts, as given (the build's log line)
    assert set(made.typed_overrides) == set(made.notebooks)
    assert made.typed_overrides[BEDDAYS] == {"base_year": 2022, "runs": 200}
    assert made.typed_overrides[BUDGET] == {"base_year": 2022} and made.typed_overrides[FUNDING] == {}


class Unrun:
    """An executor that runs nothing: it keeps the chapters it is handed."""

    def __init__(self):
        self.runs = []

    def map(self, fn, runs):
        self.runs += runs
        return []


def _book(tmp_path, overrides):
    edition = next(e for e in REGISTER if e.id == "2023-24")
    return execution.Book(label="2023-24 QE1", params=Parameters(edition, "QE1", DATA, overrides=overrides),
                          sources=[BEDDAYS, FUNDING], notebooks=tmp_path / "book" / "notebooks",
                          results=tmp_path / "results")


def test_execution_injects_the_plans_typed_values_and_types_nothing_again(tmp_path, monkeypatch):
    def retyped(*args, **kwargs):
        raise AssertionError("execution typed the overrides again")

    monkeypatch.setattr(pipeline, "chapter_overrides", retyped)
    executor, book = Unrun(), _book(tmp_path, {"base_year": "2022"})
    execution.run([book], executor, None, execution.LogReport(lambda _: None), ROOT,
                  typed={BEDDAYS: {"base_year": 2022}, FUNDING: {}})
    beddays, funding = (next(r for r in executor.runs if r.source == nb) for nb in (BEDDAYS, FUNDING))
    assert beddays.parameters["base_year"] == 2022 and "base_year" not in funding.parameters
    # The edition's data years reach each chapter in its build parameter, and as no parameter of their own.
    assert json.loads(beddays.parameters["build"])["inputs"] == book.params.edition.inputs
    assert "allocation_year" not in funding.parameters and funding.parameters["root"] == ".."


def test_overrides_the_plan_did_not_type_stop_the_run_rather_than_being_dropped(tmp_path):
    with pytest.raises(BuildError, match="the chapter parameters base_year were not typed"):
        execution.run([_book(tmp_path, {"base_year": "2022"})], Unrun(), None, execution.LogReport(lambda _: None),
                      ROOT)
