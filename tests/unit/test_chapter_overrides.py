"""Chapter assumptions from the command line: typed by each notebook's defaults, checked before any work."""

import pytest

from helpers import ROOT
from sots.cli import parse_params
from sots.errors import InputError, SotsError
from sots.site.pipeline import chapter_overrides, chapter_parameters

pytestmark = pytest.mark.unit

BEDDAYS, BUDGET, FUNDING = (ROOT / "notebooks" / f"{n}.ipynb" for n in ("beddays", "budget", "funding_per_head"))
RESERVED = {"edition", "icb", "data_dir", "results_fragment", "allocation_year", "unit_cost_year"}


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
