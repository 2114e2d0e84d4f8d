"""Savings, funding bases, deficits and published figures, on small known cases."""

import pandas as pd
import pytest

from sots.analysis import finance

pytestmark = pytest.mark.unit

SOURCE = {"source_title": "A report", "source_publisher": "LDRS", "source_url": "https://example.org/a"}


def _figures(rows):
    base = {"icb_code": "QE1", "year": "2023/24", "unit": "GBP million", "period": "2023/24", "geography": "x",
            "description": "x", "context": None, **SOURCE}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_money_units_and_shares():
    assert finance.to_gbp_m(4.5, "GBP billion") == 4500.0
    assert finance.to_gbp_m(240.7, "GBP million") == 240.7
    with pytest.raises(ValueError, match="unit 'percent' is not an amount of money"):
        finance.to_gbp_m(60, "percent")
    assert finance.share_pct(165.9, 240.7) == pytest.approx(68.924, abs=1e-3)
    assert finance.annualise(5.0, 10) == pytest.approx(6.0)
    assert finance.implied_base_gbp_m(240.7, 6.6) == pytest.approx(3646.97, abs=0.01)


def test_savings_from_published_figures():
    figs = _figures([
        {"figure_id": "lsc_2324_savings_delivered", "measure": "savings_delivered", "value": 240.0},
        {"figure_id": "lsc_2324_savings_recurrent", "measure": "savings_recurrent", "value": 180.0},
        {"figure_id": "lsc_2324_savings_shortfall_vs_plan", "measure": "savings_shortfall_vs_plan", "value": 60.0},
    ])
    s = finance.savings(figs, "QE1", "2023/24")
    assert s["delivered_gbp_m"] == 240.0 and s["recurrent_pct"] == 75.0
    assert s["plan_gbp_m"] == 300.0 and s["delivered_pct_of_plan"] == 80.0
    assert finance.savings(figs, "QWE", "2023/24") is None  # nothing published for another ICB
    assert finance.savings(figs, "QE1", "2024/25") is None


def test_funding_bases_and_which_one_a_stated_share_matches():
    allocations = pd.DataFrame([{
        "year": "2023/24", "icb_code": "QE1", "core_recurrent_allocation_gbp_k": 3_000_000.0,
        "core_total_allocation_gbp_k": 3_300_000.0, "core_combined_allocation_gbp_k": 3_640_000.0,
        "pmc_recurrent_allocation_gbp_k": 300_000.0, "other_primary_care_gbp_k": 200_000.0,
        "running_cost_allowance_gbp_k": 30_000.0,
    }])
    bases = finance.funding_bases(allocations, "QE1", "2023/24").set_index("base")["amount_gbp_m"]
    assert bases.to_dict() == {"core_recurrent_allocation": 3000.0, "core_total_allocation": 3300.0,
                               "core_combined_allocation": 3640.0, "core_and_primary_care_allocation": 4140.0,
                               "total_allocation": 4170.0}
    assert finance.total_allocation_gbp_m(allocations, "QE1", "2023/24") == 4170.0
    shares = finance.savings_shares(240.0, finance.funding_bases(allocations, "QE1", "2023/24"), 6.6).set_index("base")
    # 240 / 3,640 = 6.59% rounds to 6.6; 240 / 3,300 = 7.27% does not
    assert shares["share_pct"]["core_combined_allocation"] == pytest.approx(6.5934, abs=1e-4)
    assert shares["matches"].to_dict() == {"core_recurrent_allocation": False, "core_total_allocation": False,
                                           "core_combined_allocation": True, "core_and_primary_care_allocation": False,
                                           "total_allocation": False}
    assert shares["base_gap_gbp_m"]["core_combined_allocation"] == pytest.approx(3640.0 - 240.0 / 0.066)
    assert finance.nearest_base(shares.reset_index())["base"] == "core_combined_allocation"
    with pytest.raises(ValueError, match="no allocation for QE1 in 2030/31"):
        finance.funding_bases(allocations, "QE1", "2030/31")


def test_a_share_on_the_rounding_edge_matches():
    bases = pd.DataFrame({"base": ["x", "y"], "label": ["x", "y"], "amount_gbp_m": [100.0 / 0.0665, 100.0 / 0.0666]})
    shares = finance.savings_shares(100.0, bases, 6.6)
    assert shares["matches"].tolist() == [True, False]


def test_deficits_against_plans_with_the_reports_figures():
    figs = _figures([
        {"figure_id": "a", "measure": "system_deficit_before_support", "value": 228.6},
        {"figure_id": "b", "measure": "system_deficit_after_support", "value": 148.6},
        {"figure_id": "c", "measure": "icb_deficit", "value": 89.0},
        {"figure_id": "d", "measure": "system_deficit_before_support", "value": 354.8, "year": "2024/25"},
        {"figure_id": "e", "measure": "system_control_total_deficit", "value": 175.0, "year": "2024/25"},
        {"figure_id": "f", "measure": "deficit_support_funding", "value": 175.0, "year": "2024/25"},
    ])
    report = finance.report_figures("2023-24", "QE1")
    d = finance.deficits(figs, "QE1", report)
    outturns = d[d["kind"] == "outturn"].set_index(["year", "category"])["value_gbp_m"].to_dict()
    assert outturns == {("2023/24", "System, before support"): 228.6, ("2023/24", "System, after support"): 148.6,
                        ("2023/24", "ICB, after support"): 89.0, ("2024/25", "System, before support"): 354.8}
    plans = d[d["kind"] == "plan"].set_index(["year", "category"])
    # The published control total is used once (not again from the report); the ICB's limit comes from the report.
    assert plans["value_gbp_m"].to_dict() == {("2024/25", "System plan (before support)"): 175.0,
                                              ("2024/25", "ICB plan (after support)"): 95.0}
    assert plans.loc[("2024/25", "ICB plan (after support)"), "source"].startswith("NHS Lancashire and South Cumbria")
    assert plans.loc[("2024/25", "System plan (before support)"), "source"] == "LDRS, “A report”"
    support = finance.support_received(figs, "QE1")
    assert support[["year", "value_gbp_m"]].values.tolist() == [["2024/25", 175.0]]
    assert finance.deficits(figs, "QWE", None).empty


def test_published_lookup_and_sources():
    figs = _figures([
        {"figure_id": "lsc_2324_x", "measure": "x", "value": 1.0},
        {"figure_id": "eng_2324_x", "measure": "x", "value": 2.0, "icb_code": None,
         "source_title": "Another", "source_publisher": "House of Commons Library", "source_url": "https://e.org/b"},
    ])
    assert finance.published(figs, "QE1", "x")["value"] == 1.0
    assert finance.published(figs, None, "x")["value"] == 2.0
    assert finance.published(figs, "QE1", "y") is None
    assert finance.published_gbp_m(figs, None, "x", "2023/24") == 2.0
    table = finance.sources_table(figs)
    assert table.columns.tolist() == ["Publisher", "Title", "Address", "Figures used"]
    assert table["Address"].tolist() == ["https://example.org/a", "https://e.org/b"]


def test_report_figures_belong_to_one_icb_and_every_edition_checks_them():
    report = finance.report_figures("2023-24", "QE1")
    assert report.value("savings_share_of_funding_pct") == 6.6
    assert report.gbp_m("budget") == 4500.0
    assert report.value("hospital_share_of_budget_pct") == 60  # a second figure of claim F8
    assert report.figures["agency_savings"]["months"] == 10
    assert report.figures["system_control_total_deficit"]["year"] == "2024/25"
    assert finance.report_figures("2023-24", "QWE") is None
    # A later edition reruns the same report's checks against its own year.
    assert finance.report_figures("2024-25", "QE1").figures == report.figures


def test_the_report_and_its_claims_paraphrased():
    report = finance.edition_report("2023-24")
    assert report.icb_code == "QE1" and finance.edition_report("1999-00").icb_code == "QE1"
    text = finance.claims_markdown(report, ("F2", "F3"))
    assert text.splitlines() == ["- Trusts realised £241m of savings in the last financial year. (F2)",
                                 "- 69 per cent of those savings were recurrent. (F3)"]
