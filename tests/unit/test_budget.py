import pandas as pd
import pytest

from sots.analysis import budget

pytestmark = pytest.mark.unit

RATES = pd.DataFrame({
    "area_code": ["A"] * 4, "pod": ["apc"] * 4,
    "activity": ["emer_n", "emer_bds", "emer_n", "daycase_n"],
    "sex": ["f", "f", "m", "m"], "age": [70, 70, 70, 70], "rate": [0.5, 4.0, 0.2, 1.0],
})
COSTS = pd.DataFrame({"year": ["2023/24", "2023/24", "2024/25"], "activity": ["emer_n", "daycase_n", "emer_n"],
                      "unit_cost_gbp": [2000.0, 1000.0, 3000.0]})


def test_cost_per_person_prices_each_activity_and_skips_bed_days():
    got = budget.cost_per_person(RATES, COSTS, "2023/24").set_index(["sex", "activity"])["cost_gbp"].to_dict()
    assert got == {("f", "emer_n"): 1000.0, ("m", "emer_n"): 400.0, ("m", "daycase_n"): 1000.0}
    total = budget.cost_per_person_total(RATES, COSTS, "2023/24").set_index("sex")["cost_gbp"].to_dict()
    assert total == {"f": 1000.0, "m": 1400.0}


def test_cost_per_person_needs_the_cost_year():
    with pytest.raises(ValueError, match="no unit costs for 2099/00"):
        budget.cost_per_person(RATES, COSTS, "2099/00")


def test_implied_annual_growth_back_solves_the_total():
    r = budget.implied_annual_growth(0.60, 0.20, 15)
    assert (1.20 * (1 + r) ** 15) == pytest.approx(1.60)
    assert r == pytest.approx((1.6 / 1.2) ** (1 / 15) - 1)
    assert budget.implied_annual_growth(0.2, 0.2, 10) == pytest.approx(0.0)


def test_waterfall_steps_add_up():
    w = budget.waterfall(100.0, 0.2, 0.01, 10).set_index("step")
    assert w.loc["Demographic change", "end"] == pytest.approx(120.0)
    assert w.loc["End year", "end"] == pytest.approx(120.0 * 1.01 ** 10)
    assert w.loc["Other (non-demographic) growth", "start"] == pytest.approx(120.0)
