"""The acute spend and finance chapters, executed by papermill on the committed data, report what direct
computations in plain pandas give."""

import json
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest

from helpers import DATA, ROOT
from sots.inputs import editions
from sots.prose import ordinal
from sots.site.execution import execute
from sots.site.kernels import KERNEL_ARGS
from sots.site.pipeline import Parameters

pytestmark = pytest.mark.integration

EDITION = editions.get(editions.load(ROOT / "editions.yml"), "2023-24")  # the edition that reproduces the report

NOTEBOOKS = [ROOT / "notebooks" / "acute_spend.ipynb", ROOT / "notebooks" / "finance.ipynb"]
YEAR = "2023/24"
REPORT_YEAR = YEAR  # the report's own year, on whose figures its verdicts are computed in every edition


@pytest.fixture(scope="module")
def chapters(tmp_path_factory):
    """Both chapters for L&SC and for South West London: icb -> merged figures."""
    out = {}
    for icb in ("QE1", "QWE"):
        tmp = tmp_path_factory.mktemp(icb)
        fragments = execute(NOTEBOOKS, tmp / "nb", tmp / "results",
                            Parameters(edition=EDITION, icb=icb, data_dir=DATA), log=lambda _: None)
        out[icb] = {k: v for f in fragments for k, v in json.loads(f.read_text()).items()}
    return out


def direct_acute(cost_year=YEAR, population_year="2022"):
    """The activity-based estimate for every ICB straight from the CSVs: Σ rate × population × unit cost."""
    rates = pd.read_csv(DATA / "activity_rates.csv")
    costs = pd.read_csv(DATA / "unit_costs.csv")
    pop = pd.read_csv(DATA / "population_projection.csv")
    lookup = pd.read_csv(DATA / "icb_lookup.csv")
    wp = pd.read_csv(DATA / "icb_weighted_population.csv")
    # The long table's persons in the population year, under that year's name.
    pop = pop[(pop["variant"] == "v1") & (pop["year"] == int(population_year))].rename(
        columns={"persons": population_year})
    priced = rates.merge(costs[costs["year"] == cost_year], on="activity").merge(pop, on=["area_code", "sex", "age"])
    cost = (priced["rate"] * priced["unit_cost_gbp"] * priced[population_year]).groupby(priced["area_code"]).sum()
    residents = pop.groupby("area_code")[population_year].sum()
    df = lookup.merge(wp[wp["year"] == YEAR], on="icb_code").set_index("icb_code")
    df["cost"] = df["icb_gss_code"].map(cost)
    df["per_head"] = df["cost"] / df["icb_gss_code"].map(residents)
    df["per_ga"] = df["per_head"] * df["registered_population_persons"] / df["ga_weighted_persons"]
    england = cost["E92000001"]
    return df, england


def rank(series, icb):
    return int((series > series[icb]).sum() + 1)


@pytest.mark.parametrize("icb", ["QE1", "QWE"])
def test_acute_estimate_and_ranks_equal_a_direct_computation(chapters, icb):
    figures = chapters[icb]
    df, _ = direct_acute()
    assert len(df) == 42 and df["cost"].notna().all()
    assert figures["acute_cost_gbp_m"]["value"] == pytest.approx(df.loc[icb, "cost"] / 1e6)
    assert figures["acute_cost_per_head_gbp"]["value"] == pytest.approx(df.loc[icb, "per_head"])
    assert figures["acute_cost_per_ga_weighted_head_gbp"]["value"] == pytest.approx(df.loc[icb, "per_ga"])
    assert figures["acute_cost_per_head_rank"]["value"] == rank(df["per_head"], icb)
    assert figures["acute_cost_per_ga_weighted_head_rank"]["value"] == rank(df["per_ga"], icb)
    for key in ("acute_cost_per_head_gbp", "acute_cost_per_ga_weighted_head_rank"):
        entry = figures[key]
        assert entry["icb"] == icb and entry["unit"] and entry["method"]
        assert entry["inputs"]["unit_cost_year"] == YEAR and entry["inputs"]["population_year"] == 2022
        assert entry["inputs"]["activity_rates"].startswith("sha256:")


def test_lsc_is_not_second_on_the_estimate_per_weighted_head(chapters):
    """The finding the chapter reports for claim F1, from the direct computation."""
    df, england = direct_acute()
    assert rank(df["per_ga"], "QE1") == 21 and rank(df["per_head"], "QE1") == 4
    assert chapters["QE1"]["acute_cost_per_ga_weighted_head_rank"]["value"] == 21
    # The ICB series add up to England's estimate within 1%: the same method on the same population.
    assert df["cost"].sum() == pytest.approx(england, rel=0.01)


def test_acute_trust_spend_per_head_ranks_among_icbs_named_by_their_own_code(chapters):
    opex = pd.read_csv(DATA / "trust_operating_expenditure.csv")
    wp = pd.read_csv(DATA / "icb_weighted_population.csv")
    wp = wp[wp["year"] == YEAR].set_index("icb_code")
    acute = opex[(opex["year"] == YEAR) & (opex["sector"] == "Acute") & opex["host_icb_code"].isin(wp.index)]
    per_head = (acute.groupby("host_icb_code")["total_operating_expenditure_gbp"].sum()
                / wp["registered_population_persons"])
    per_head = per_head.dropna()
    assert len(per_head) == 30  # 12 ICBs sit under 2026 merged codes
    figures = chapters["QE1"]
    assert figures["acute_trust_opex_per_head_gbp"]["value"] == pytest.approx(per_head["QE1"])
    assert figures["acute_trust_opex_per_head_rank"]["value"] == rank(per_head, "QE1")
    assert figures["acute_trust_opex_per_head_rank"]["inputs"]["n_icbs"] == 30


def test_savings_and_the_funding_bases_equal_a_direct_computation(chapters):
    figures = chapters["QE1"]
    published = pd.read_csv(DATA / "published_figures.csv").set_index("figure_id")["value"]
    delivered, recurrent = published["lsc_2324_savings_delivered"], published["lsc_2324_savings_recurrent"]
    assert figures["savings_delivered_gbp_m"]["value"] == delivered == 240.7
    assert figures["savings_recurrent_pct"]["value"] == pytest.approx(recurrent / delivered * 100)
    assert round(figures["savings_recurrent_pct"]["value"]) == 69  # the report's 69%: reproduced
    assert figures["savings_implied_funding_base_gbp_m"]["value"] == pytest.approx(delivered / 0.066)

    alloc = pd.read_csv(DATA / "icb_allocations.csv").set_index(["icb_code", "year"]).loc[("QE1", YEAR)]
    core_combined = alloc["core_combined_allocation_gbp_k"] / 1000
    primary = (alloc["pmc_recurrent_allocation_gbp_k"] + alloc["other_primary_care_gbp_k"]) / 1000
    bases = {
        "core_recurrent_allocation": alloc["core_recurrent_allocation_gbp_k"] / 1000,
        "core_total_allocation": alloc["core_total_allocation_gbp_k"] / 1000,
        "core_combined_allocation": core_combined,
        "core_and_primary_care_allocation": core_combined + primary,
        "total_allocation": core_combined + primary + alloc["running_cost_allowance_gbp_k"] / 1000,
    }
    shares = {b: figures[f"savings_share_of_{b}_pct"]["value"] for b in bases}
    for base, amount in bases.items():
        assert shares[base] == pytest.approx(delivered / amount * 100)
    # No published base gives 6.6% once rounded; the closest is core combined at 6.80%.
    assert not any(6.55 <= s <= 6.65 for s in shares.values())
    assert min(shares, key=lambda b: abs(shares[b] - 6.6)) == "core_combined_allocation"
    assert round(shares["core_combined_allocation"], 2) == 6.80
    assert figures["icb_total_allocation_gbp_m"]["value"] == pytest.approx(bases["total_allocation"])


def test_budget_split_and_deficits_equal_a_direct_computation(chapters):
    figures = chapters["QE1"]
    opex = pd.read_csv(DATA / "trust_operating_expenditure.csv")
    acute = opex[(opex["year"] == YEAR) & (opex["sector"] == "Acute") & (opex["host_icb_code"] == "QE1")]
    assert sorted(acute["trust_code"]) == ["RTX", "RXL", "RXN", "RXR"]
    acute_m = acute["total_operating_expenditure_gbp"].sum() / 1e6
    assert figures["acute_trust_opex_gbp_m"]["value"] == pytest.approx(acute_m) == pytest.approx(2958.75, abs=0.01)
    assert figures["hospital_share_of_budget_pct"]["value"] == pytest.approx(
        acute_m / figures["icb_total_allocation_gbp_m"]["value"] * 100)
    assert figures["agency_savings_annualised_gbp_m"]["value"] == pytest.approx(6.0)
    # 2024/25: £354.8m before support against the £175m control total, as Healthcare Management UK reports.
    assert figures["deficit_above_control_total_gbp_m_2024_25"]["value"] == pytest.approx(179.8)


def test_another_icb_has_no_published_figures_but_its_allocations_and_trusts(chapters):
    figures = chapters["QWE"]
    # The published figures are Lancashire and South Cumbria's: for another ICB each is recorded as not computed, why.
    published_only = [e for k, e in figures.items() if k.startswith(("savings_", "agency_", "deficit_"))]
    assert published_only and all(e["value"] is None and "No published" in e["not_computed"] for e in published_only)
    alloc = pd.read_csv(DATA / "icb_allocations.csv").set_index(["icb_code", "year"]).loc[("QWE", YEAR)]
    total = (alloc["core_combined_allocation_gbp_k"] + alloc["pmc_recurrent_allocation_gbp_k"]
             + alloc["other_primary_care_gbp_k"] + alloc["running_cost_allowance_gbp_k"]) / 1000
    assert figures["icb_total_allocation_gbp_m"]["value"] == pytest.approx(total)
    assert "hospital_share_of_budget_pct" in figures and {e["icb"] for e in figures.values()} == {"QWE"}


def test_the_unit_cost_year_is_the_build_parameters(tmp_path):
    """The chapter prices at the data year the build gives it (the one channel: its ``build`` parameter's inputs)."""
    fragment = tmp_path / "acute.json"
    inputs = {**editions.get(editions.load(ROOT / "editions.yml"), "2023-24").inputs, "unit_cost_year": "2024/25"}
    pm.execute_notebook(
        str(NOTEBOOKS[0]), str(tmp_path / "out.ipynb"), cwd=str(ROOT / "notebooks"), kernel_name="python3",
        parameters={"edition": "2023-24", "icb": "QE1", "data_dir": str(DATA), "results_fragment": str(fragment),
                    "build": json.dumps({"inputs": inputs})},
        progress_bar=False, extra_arguments=KERNEL_ARGS,
    )
    figures = json.loads(fragment.read_text())
    df, _ = direct_acute(cost_year="2024/25")
    assert figures["acute_cost_per_ga_weighted_head_gbp"]["value"] == pytest.approx(df.loc["QE1", "per_ga"])
    assert figures["acute_cost_per_ga_weighted_head_gbp"]["inputs"]["unit_cost_year"] == "2024/25"


LATER = editions.get(editions.load(ROOT / "editions.yml"), "2024-25")  # an edition after the report's, on newer data


def glued_text(executed: Path) -> str:
    """Every text an executed notebook glued or showed (its outputs' plain and Markdown text, under any prefix such
    as scrapbook's), joined."""
    cells = json.loads(executed.read_text())["cells"]
    return "\n".join("".join(value) for cell in cells for output in cell.get("outputs", [])
                     for kind, value in output.get("data", {}).items()
                     if kind.endswith(("text/plain", "text/markdown")))


def test_a_later_edition_gives_the_reports_verdicts_on_its_year_and_says_what_its_own_data_lack(chapters, tmp_path):
    """Both notebooks under papermill in the later edition, with the report edition's results as a build gives them:
    the verdicts are on the report's year, with its figures; the trust accounts' missing year is said, not ranked."""
    report = tmp_path / "report_results.json"
    report.write_text(json.dumps(chapters["QE1"]))
    text = {}
    for notebook in NOTEBOOKS:
        executed = tmp_path / notebook.name
        pm.execute_notebook(
            str(notebook), str(executed), cwd=str(ROOT / "notebooks"), kernel_name="python3",
            parameters={"edition": LATER.id, "icb": "QE1", "data_dir": str(DATA),
                        "results_fragment": str(tmp_path / f"{notebook.stem}.json"), "report_results": str(report)},
            progress_bar=False, extra_arguments=KERNEL_ARGS,
        )
        text[notebook.stem] = glued_text(executed)
    year = LATER.inputs["allocation_year"]
    acute, finance = text["acute_spend"], text["finance"]
    assert f"The trust accounts here do not cover {year}, so no ICB is ranked" in acute
    assert " 0 ICBs" not in acute and "names no acute trust" not in acute
    rank = chapters["QE1"]["acute_cost_per_ga_weighted_head_rank"]["value"]
    assert f"for {REPORT_YEAR}, the report's year, Lancashire and South Cumbria ranks {ordinal(rank)} of 42" in acute
    delivered = chapters["QE1"]["savings_delivered_gbp_m"]["value"]
    assert f"savings delivered in {REPORT_YEAR}, **reproduced** (£{delivered:,.1f}m" in finance
    assert f"savings for {year} yet" in finance
    assert "Since the report:" in finance and "largest" in finance
