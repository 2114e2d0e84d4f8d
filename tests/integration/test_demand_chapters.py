"""The three demand chapters, run by papermill on the committed data, against an independent computation.

The independent computation reads data/ with plain pandas and builds the Lancashire and South Cumbria footprint by
hand (Lancashire, Blackburn with Darwen, Blackpool, and Westmorland and Furness scaled by Barrow and South Lakeland's
share of its mid-2020 population by age), so a mistake in sots.inputs.geography or sots.analysis.demand cannot hide in
both.
"""

import json
import re

import pandas as pd
import pytest

from helpers import DATA, ROOT
from sots.inputs import editions
from sots.site.execution import execute
from sots.site.pipeline import Parameters, chapter_overrides

pytestmark = pytest.mark.integration

CHAPTERS = ["ageing", "beddays", "budget"]
YEARS = [str(y) for y in range(2018, 2044)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each ICB's figures and executed notebooks' folder from running all three chapters once."""
    out = {}
    edition = editions.get(editions.load(ROOT / "editions.yml"), "2023-24")  # the edition reproducing the report
    for icb in ("QE1", "QWE"):
        tmp = tmp_path_factory.mktemp(icb)
        notebooks = [ROOT / "notebooks" / f"{c}.ipynb" for c in CHAPTERS]
        fragments = execute(notebooks, tmp / "nb", tmp / "results", Parameters(edition, icb, DATA), log=lambda _: None)
        out[icb] = ({k: v for f in fragments for k, v in json.loads(f.read_text()).items()}, tmp / "nb")
    return out


@pytest.fixture(scope="module")
def figures(runs):
    """Each ICB's figures from running all three chapters once."""
    return {icb: found for icb, (found, _) in runs.items()}


def glued_prose(folder, chapter):
    """Each value an executed chapter glued as text or Markdown (the sentences its prose pastes), by name."""
    nb = json.loads((folder / f"{chapter}.ipynb").read_text())
    glued = {}
    for out in (out for cell in nb["cells"] for out in cell.get("outputs", [])):
        book = out.get("metadata", {}).get("scrapbook")
        if book:  # papermill records each glued value under its own MIME prefix
            mime = book["mime_prefix"]
            glued[book["name"]] = out["data"].get(mime + "text/markdown") or out["data"][mime + "text/plain"]
    return glued


def principal_projection():
    """The principal projection by area, sex and age, one column per year ("2018"), pivoted from the long table."""
    proj = pd.read_csv(DATA / "population_projection.csv")
    wide = proj[proj["variant"] == "v1"].pivot(index=["area_code", "sex", "age"], columns="year", values="persons")
    wide.columns = [str(y) for y in wide.columns]
    return wide.reset_index()


def lsc_population():
    """Persons by area, sex and age for the exact footprint (principal), computed without sots."""
    proj = principal_projection()
    est = pd.read_csv(DATA / "population_estimates.csv")
    est = est[est["year"] == 2020].pivot(index="age", columns="area_code", values="persons")
    share = (est["E07000027"] + est["E07000031"]) / (est["E07000027"] + est["E07000031"] + est["E07000030"])
    parts = []
    for area in ("E10000017", "E06000008", "E06000009", "E06000064"):
        p = proj[proj["area_code"] == area].copy()
        if area == "E06000064":
            p[YEARS] = p[YEARS].mul(p["age"].map(share).to_numpy(), axis=0)
        parts.append(p)
    return pd.concat(parts)


def icb_population(gss):
    proj = principal_projection()
    return proj[proj["area_code"] == gss]


def with_rates(pop, activities):
    rates = pd.read_csv(DATA / "activity_rates.csv")
    r = rates[rates["activity"].isin(activities)].groupby(["area_code", "sex", "age"], as_index=False)["rate"].sum()
    m = pop.merge(r, on=["area_code", "sex", "age"])
    m[YEARS] = m[YEARS].mul(m["rate"], axis=0)
    return m


def pct(frame, youngest, base, target):
    older = frame[frame["age"] >= youngest]
    return (older[target].sum() / older[base].sum() - 1) * 100


@pytest.mark.parametrize("icb, population", [("QE1", lsc_population), ("QWE", lambda: icb_population("E54000031"))])
def test_headline_growth_equals_an_independent_computation(figures, icb, population):
    got, pop = figures[icb], population()
    for band, youngest in (("65plus", 65), ("85plus", 85)):
        for target in ("2033", "2043"):
            assert got[f"pop_{band}_growth_{target}_pct"]["value"] == pytest.approx(
                pct(pop, youngest, "2023", target), abs=0.1)
            beds = with_rates(pop, ["emer_bds", "ordelec_bds"])
            entry = got[f"beddays_{band}_growth_{target}_pct"]
            assert entry["value"] == pytest.approx(pct(beds, youngest, "2023", target), abs=0.1)
            assert entry["inputs"]["base_year"] == 2023
            assert entry["p10"] <= entry["p50"] <= entry["p90"]
    assert got["pop_85plus_growth_25y_pct"]["value"] == pytest.approx(pct(pop, 85, "2018", "2043"), abs=0.1)
    assert got["resident_population_m"]["value"] == pytest.approx(pop["2023"].sum() / 1e6, abs=1e-6)


def test_lsc_population_leaves_out_eden(figures):
    """The exact footprint is smaller than the published ICB series by Eden's residents (tens of thousands)."""
    published = icb_population("E54000048")["2023"].sum() / 1e6
    exact = figures["QE1"]["resident_population_m"]["value"]
    assert 0.03 < published - exact < 0.08


def test_hospital_cost_growth_equals_an_independent_computation(figures):
    costs = pd.read_csv(DATA / "unit_costs.csv")
    costs = costs[costs["year"] == "2023/24"].set_index("activity")["unit_cost_gbp"]
    parts = []
    for activity, cost in costs.items():
        part = with_rates(lsc_population(), [activity])
        part[YEARS] = part[YEARS] * cost
        parts.append(part)
    priced = pd.concat(parts)
    growth = (priced["2038"].sum() / priced["2023"].sum() - 1) * 100
    got = figures["QE1"]
    assert got["hospital_cost_demographic_growth_2038_pct"]["value"] == pytest.approx(growth, abs=0.1)
    r = ((1.60 / (1 + growth / 100)) ** (1 / 15) - 1) * 100
    assert got["implied_non_demographic_growth_pa_pct"]["value"] == pytest.approx(r, abs=0.01)


def test_jean_bishop_scenario_equals_an_independent_computation(figures):
    beds = with_rates(lsc_population(), ["emer_bds"])
    expected = 0.136 * beds.loc[beds["age"] >= 80, "2033"].sum()
    assert figures["QE1"]["jean_bishop_beddays_avoided_2033"]["value"] == pytest.approx(expected, rel=1e-9)


def test_a_chapter_assumption_set_on_the_command_line_changes_the_figures(tmp_path):
    """`-p base_year=2022` reaches the bed days chapter typed, and its figures follow the new base."""
    edition = editions.get(editions.load(ROOT / "editions.yml"), "2023-24")
    params = Parameters(edition, "QE1", DATA, overrides={"base_year": "2022", "runs": "200"})
    notebook = ROOT / "notebooks" / "beddays.ipynb"
    typed = chapter_overrides(params.overrides, [notebook], params.reserved())  # as the build's plan types them
    (fragment,) = execute([notebook], tmp_path / "nb", tmp_path / "res", params, log=lambda _: None, typed=typed)
    got = json.loads(fragment.read_text())["beddays_65plus_growth_2033_pct"]
    beds = with_rates(lsc_population(), ["emer_bds", "ordelec_bds"])
    assert got["inputs"]["base_year"] == 2022 and got["inputs"]["runs"] == 200
    assert got["value"] == pytest.approx(pct(beds, 65, "2022", "2033"), abs=0.1)


def test_the_report_icbs_prose_gives_the_reports_verdicts_and_another_icbs_grades_nothing(runs):
    """Run by papermill as a build runs them: the report's verdicts reach Lancashire and South Cumbria's key findings,
    and South West London's chapters neither grade its figures nor set them against the report's."""
    report = {c: glued_prose(runs["QE1"][1], c) for c in CHAPTERS}
    assert "**Not reproduced.** +11.4% against the report's +60%" in report["budget"]["claim_finding"]
    assert "by 2033, **consistent** (+24.2% against the report's +21%" in report["beddays"]["findings_65plus"]
    assert "**reproduced**" in report["ageing"]["served_finding"]
    for chapter in CHAPTERS:
        for name, text in glued_prose(runs["QWE"][1], chapter).items():
            if name == "claims_summary":  # the one sentence that says whose the report's claims are
                assert text.strip("'\"").startswith("The report's claims are about Lancashire and South Cumbria")
                continue
            assert not re.search(r"reproduced|consistent|stated only|the report:|\b0(\.0)? points\b|1\.7 million",
                                 text), (chapter, name, text)
