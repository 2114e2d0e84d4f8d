"""Demographic projections on a tiny synthetic population, with answers worked out by hand."""

import pandas as pd
import pytest

from sots.analysis import demand
from sots.inputs import data
from sots.inputs.geography import Component

pytestmark = pytest.mark.unit

YEARS = [str(y) for y in range(2018, 2044)]  # the mid-years of a 2018-based projection


def _projection(first: int = 2018, last: int = 2043):
    """A prepared (long) projection: two areas, two variants; persons = 10 at every age in the first year, rising by 1
    a year (2 on v6), area B twice area A."""
    rows = []
    for area, scale in (("A", 1), ("B", 2)):
        for variant, extra in (("v1", 0), ("v6", 1)):
            for sex in "fm":
                for age in (10, 65, 70, 85, 90):
                    rows += [{"area_code": area, "variant": variant, "sex": sex, "age": age, "year": y,
                              "persons": float(scale * (10 + (1 + extra) * (y - first)))}
                             for y in range(first, last + 1)]
    return pd.DataFrame(rows)


def test_footprint_population_scales_each_component_by_its_age_share():
    share = pd.Series({10: 0.5, 65: 0.5, 70: 0.5, 85: 1.0, 90: 0.0})
    pop = demand.footprint_population(_projection(), [Component("A", "North"), Component("B", "South", share)])
    south = pop[(pop.place == "South") & (pop.sex == "f")].set_index("age")["2018"]
    assert south.to_dict() == {10: 10.0, 65: 10.0, 70: 10.0, 85: 20.0, 90: 0.0}
    assert set(pop.place) == {"North", "South"}
    with pytest.raises(ValueError, match="no v9 projection for area A"):
        demand.footprint_population(_projection(), [Component("A", "North")], "v9")


def test_band_totals_and_growth():
    pop = demand.footprint_population(_projection(), [Component("A", "North")])
    totals = demand.band_totals(pop).set_index("band")
    # 2 sexes x ages: all ages 5 each, 65+ 4, 75+ 2 (85 and 90), 85+ 2
    assert totals.loc["All ages", "2018"] == 100 and totals.loc["65+", "2018"] == 80
    assert totals.loc["75+", "2018"] == 40 and totals.loc["85+", "2028"] == 2 * 2 * 20
    assert demand.growth(totals.loc["85+"], 2018, 2028) == pytest.approx(1.0)  # 10 -> 20 persons each
    by_place = demand.band_totals(pop, by=["place"])
    assert by_place.columns[:2].tolist() == ["place", "band"]


def test_activity_uses_each_components_own_rates_and_skips_ages_without_rates():
    rates = pd.DataFrame({
        "area_code": ["A", "A", "B", "B", "A"], "activity": ["emer_bds"] * 4 + ["ordelec_bds"],
        "sex": ["f", "m", "f", "m", "f"], "age": [85, 85, 85, 85, 85], "rate": [2.0, 1.0, 10.0, 10.0, 0.5],
    })
    pop = demand.footprint_population(_projection(), [Component("A", "North"), Component("B", "South")])
    bd = demand.activity(pop, rates, ["emer_bds", "ordelec_bds"]).set_index(["place", "sex"])["2018"]
    # A: women 10 x (2 + 0.5), men 10 x 1; B: 20 x 10 each. Ages without rates drop out.
    assert bd.to_dict() == {("North", "f"): 25.0, ("North", "m"): 10.0, ("South", "f"): 200.0, ("South", "m"): 200.0}
    with pytest.raises(ValueError, match=r"no activity rates for \['B'\]"):
        demand.activity(pop, rates[rates.area_code == "A"], ["emer_bds"])


def test_variants_available_are_those_every_component_has():
    proj = _projection()
    proj = proj[~((proj.area_code == "B") & (proj.variant == "v6"))]
    assert demand.variants_available(proj, [Component("A", "x")]) == ["v1", "v6"]
    assert demand.variants_available(proj, [Component("A", "x"), Component("B", "y")]) == ["v1"]


def _series(v1_2043, v6_2043):
    base = {y: 100.0 for y in YEARS}
    return {"v1": pd.Series({**base, "2043": v1_2043}), "v6": pd.Series({**base, "2043": v6_2043})}


def test_monte_carlo_is_reproducible_and_p50_lies_in_its_interval():
    mc = demand.MonteCarlo(runs=2000, seed=7)
    a = mc.growth(_series(150.0, 120.0), 2023, [2043])
    b = mc.growth(_series(150.0, 120.0), 2023, [2043])
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(demand.MonteCarlo(runs=2000, seed=8).growth(_series(150.0, 120.0), 2023, [2043]))
    p = demand.percentiles(a, [2043]).loc[2043]
    assert p["p10"] < p["p50"] < p["p90"]
    # only v1 and v6 of the default weights are available: renormalised to 0.4 / 0.55 and 0.15 / 0.55
    assert (a["variant"] == "v1").mean() == pytest.approx(0.4 / 0.55, abs=0.03)


def test_monte_carlo_rate_multiplier_has_the_documented_80pct_interval():
    mc = demand.MonteCarlo(runs=20000, seed=1, variant_weights={"v1": 1.0})
    runs = mc.growth(_series(100.0, 100.0), 2023, [2033])  # no demographic growth: spread is the multiplier only
    p = demand.percentiles(runs, [2033]).loc[2033]
    half_width = demand.RATE_80PCT_HALF_WIDTH_PER_YEAR * 10
    assert p["p10"] == pytest.approx(-half_width, abs=0.002) and p["p90"] == pytest.approx(half_width, abs=0.002)


def test_method_grid_closest_and_consistent_methods():
    s = {("exact", "v1", "population", "65+"): pd.Series({"2018": 100.0, "2019": 110.0, "2033": 121.0}),
         ("exact", "v1", "bed days", "65+"): pd.Series({"2018": 100.0, "2019": 100.0, "2033": 150.0})}
    grid = demand.method_grid(s, [2018, 2019], 2033)
    assert len(grid) == 4
    near = demand.closest_methods(grid, "65+", 21.0, n=2)
    assert near[["measure", "base_year"]].values.tolist() == [["population", 2018], ["population", 2019]]
    assert near["gap_pp"].tolist() == pytest.approx([0.0, -11.0])
    consistent = demand.consistent_methods({"D1": grid, "D2": grid}, {"D1": 21.0, "D2": 50.0}, ["D1", "D2"])
    # population 2018: gaps 0 and -29; bed days 2018 or 2019: +29 and 0 -> all total 29; population 2019: 11 + 40
    assert consistent["total_gap_pp"].tolist() == pytest.approx([29.0, 29.0, 29.0, 51.0])


def test_a_projection_with_other_years_needs_no_code_change():
    """A 2022-based vintage running to 2047: its years and vintage come from the table, and the demand functions
    give the years it has, worked out by hand as for 2018-based."""
    proj = _projection(2022, 2047)
    assert data.projection_years(proj) == list(range(2022, 2048))
    assert data.projection_vintage(proj) == "2022-based"
    pop = demand.footprint_population(proj, [Component("A", "North"), Component("B", "South")], "v6")
    assert demand.year_columns(pop) == [str(y) for y in range(2022, 2048)]
    totals = demand.band_totals(pop).set_index("band")
    assert list(totals.columns) == demand.year_columns(pop)
    # v6 rises by 2 a year: 85+ of A is 2 sexes x 2 ages x (10 + 2 x 25) = 240 in 2047, B twice that.
    assert totals.loc["85+", "2047"] == 240 + 480
    assert demand.growth(totals.loc["85+"], 2022, 2047) == pytest.approx(5.0)  # 10 -> 60 persons each
    rates = pd.DataFrame({"area_code": ["A", "B"], "activity": "emer_bds", "sex": "f", "age": 85, "rate": 2.0})
    bd = demand.activity(pop, rates, ["emer_bds"]).set_index("place")
    assert bd.loc["North", "2047"] == 2.0 * 60 and bd.loc["South", "2022"] == 2.0 * 20
    assert demand.variants_available(proj, [Component("A", "x")]) == ["v1", "v6"]


def test_projection_by_year_pivots_the_long_table_for_some_areas_and_one_variant():
    wide = data.projection_by_year(_projection(), ["B"], "v6")
    assert wide.columns.tolist() == ["area_code", "sex", "age", *YEARS]
    assert wide[["sex", "age"]].values.tolist() == [[s, a] for s in "fm" for a in (10, 65, 70, 85, 90)]
    assert wide["2018"].tolist() == [20.0] * 10 and wide["2043"].tolist() == [2 * (10 + 2 * 25)] * 10
