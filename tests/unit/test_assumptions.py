"""Chapter assumptions set with -p: every one has a range, the chapters' defaults are inside it, and a value outside
it (or out of order, or not a finite number) stops the build in one line before any work."""

import pandas as pd
import pytest

from helpers import DATA, ROOT
from sots.analysis import assumptions
from sots.errors import InputError
from sots.inputs import data, editions, geography
from sots.site import pipeline

pytestmark = pytest.mark.unit

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def allowed() -> dict[str, assumptions.Assumption]:
    projection = data.load("population_projection", DATA)
    return assumptions.limits(projection, geography.LSC_GSS)


def reserved() -> set[str]:
    edition = editions.current(editions.load(ROOT / editions.EDITIONS_FILE))
    return pipeline.Parameters(edition, "QE1", DATA).reserved()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_assumption_has_a_range_and_its_default_is_inside_it(notebook, allowed):
    own = {k: v for k, v in pipeline.chapter_parameters(notebook).items() if k not in reserved()}
    assumptions.check(own, allowed, notebook.name)  # raises on a parameter without a range or a default outside it


def test_ranges_come_from_the_projection_for_years_and_variants(allowed):
    assert (allowed["population_year"].low, allowed["population_year"].high) == (2018, 2043)
    assert allowed["variant"].choices == tuple(f"v{i}" for i in range(1, 12))
    other = assumptions.limits(data.load("population_projection", DATA), "E54000031")  # South West London
    assert other["variant"].choices == ("v1",)  # variants are published only for Lancashire and South Cumbria


def test_a_projection_with_other_years_moves_the_ranges_with_it():
    """A 2022-based vintage running to 2047 (long, as prepared): no code change, the years come from the table."""
    later = pd.DataFrame({"area_code": geography.LSC_GSS, "variant": "v1", "sex": "f", "age": 0,
                          "year": range(2022, 2048), "persons": 1.0})
    allowed = assumptions.limits(later, geography.LSC_GSS)
    assert (allowed["population_year"].low, allowed["population_year"].high) == (2022, 2047)
    assert (allowed["target_year"].low, allowed["target_year"].high) == (2023, 2047)
    assert allowed["base_year"].low == 2022


@pytest.mark.parametrize("values, message", [
    ({"runs": 0}, "parameter 'runs': expected a number from 1 to 100,000 (Monte Carlo runs), got 0"),
    ({"runs": -5}, "parameter 'runs': expected a number from 1 to 100,000"),
    ({"seed": -1}, "parameter 'seed': expected a number from 0 to 4,294,967,295"),
    ({"non_demographic_growth_pa_pct": float("nan")}, "parameter 'non_demographic_growth_pa_pct': expected a number"),
    ({"variant": "v12"}, "parameter 'variant': expected one of v1, v2,"),
    ({"base_year": 2040}, "parameter 'base_year': expected a number from 2018 to 2032"),
    ({"base_year": 2030, "target_year": 2030}, "parameter 'base_year': expected a year before target_year (2030)"),
    ({"threshold": 3}, "parameter 'threshold': x.ipynb declares it, but sots.analysis.assumptions gives no range for "
                       "it"),
])
def test_a_value_outside_its_range_is_named(values, message, allowed):
    with pytest.raises(InputError) as err:
        assumptions.check(values, allowed, "x.ipynb")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_overrides_are_checked_with_each_chapters_other_values(allowed):
    beddays, budget = ROOT / "notebooks" / "beddays.ipynb", ROOT / "notebooks" / "budget.ipynb"
    with pytest.raises(InputError, match="parameter 'runs': expected a number from 1"):
        pipeline.chapter_overrides({"runs": "0"}, [beddays, budget], reserved(), allowed)
    # budget.ipynb measures to 2038 by default: a base year after it is refused there, not in beddays.ipynb alone
    with pytest.raises(InputError, match=r"parameter 'base_year': expected a number from 2018 to 2032"):
        pipeline.chapter_overrides({"base_year": "2039"}, [beddays, budget], reserved(), allowed)
    with pytest.raises(InputError, match=r"expected a year before target_year \(2025\) in budget.ipynb, got 2025"):
        pipeline.chapter_overrides({"target_year": "2025", "base_year": "2025"}, [budget], reserved(), allowed)
    typed = pipeline.chapter_overrides({"runs": "200", "base_year": "2022"}, [beddays, budget], reserved(), allowed)
    assert typed[beddays] == {"base_year": 2022, "runs": 200} and typed[budget] == {"base_year": 2022}
