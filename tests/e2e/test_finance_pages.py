"""The acute spend and finance chapters in the built book: charts drawn offline, prose equal to results.json,
published figures cited, and another ICB told plainly where figures exist only for L&SC."""

from __future__ import annotations

import json

import pytest

from helpers import CURRENT, focal, page_text

pytestmark = pytest.mark.e2e

EDITION = "2023-24"  # the edition that reproduces the report
ACUTE = f"{EDITION}/notebooks/acute_spend.html"
FINANCE = f"{EDITION}/notebooks/finance.html"
# A build for one ICB publishes the current edition only.
CURRENT_ACUTE = f"{CURRENT}/notebooks/acute_spend.html"
CURRENT_FINANCE = f"{CURRENT}/notebooks/finance.html"
def test_both_chapters_draw_every_chart_with_lsc_highlighted(crawl):
    """The charts as the browser drew them (the crawl of tests/e2e/test_browser.py, which also checks that every page
    loads offline with no console errors and asks no other host for anything)."""
    for page, n_charts in ((ACUTE, 4), (FINANCE, 3)):
        charts = crawl.pages[page].charts
        assert len(charts) == n_charts, page
        assert all(c["marks"] for c in charts), charts
        assert all("Lancashire and South Cumbria" in c["label"] for c in charts), charts
        if page == ACUTE:  # in each ranking, L&SC's bar and no other is highlighted
            assert [focal(c) for c in charts[1:]] == [["Lancashire and South Cumbria"]] * 3, charts


def test_results_json_has_the_issue_figures(built_site):
    results = json.loads((built_site / EDITION / "results.json").read_text())
    for name in ("acute_cost_per_ga_weighted_head_gbp", "acute_cost_per_ga_weighted_head_rank",
                 "acute_cost_per_head_gbp", "acute_cost_per_head_rank",
                 "savings_delivered_gbp_m", "savings_recurrent_pct",
                 "savings_implied_funding_base_gbp_m", "savings_share_of_core_total_allocation_pct",
                 "savings_share_of_core_combined_allocation_pct", "icb_total_allocation_gbp_m",
                 "hospital_share_of_budget_pct"):
        assert set(results[name]) == {"value", "unit", "edition", "icb", "inputs", "method", "provenance"}, name
        assert results[name]["icb"] == "QE1"


def test_prose_quotes_results_json_and_cites_each_published_figure(built_site):
    results = {k: v["value"] for k, v in json.loads((built_site / EDITION / "results.json").read_text()).items()}
    acute = page_text(built_site / ACUTE)
    assert f"£{results['acute_cost_per_ga_weighted_head_gbp']:,.0f}" in acute
    assert f"ranks {results['acute_cost_per_ga_weighted_head_rank']}st of 42" in acute
    assert "Not supported on the measure it names" in acute
    finance = page_text(built_site / FINANCE)
    assert f"£{results['savings_delivered_gbp_m']:,.1f}m" in finance
    assert f"{results['savings_recurrent_pct']:.1f}%" in finance
    assert f"£{results['savings_implied_funding_base_gbp_m']:,.0f}m" in finance
    assert f"£{results['icb_total_allocation_gbp_m']:,.1f}m" in finance
    # Each published figure's source, by publisher and title, and its address as text (never a link).
    for publisher, address in (("Cumbria Crack / LDRS", "https://cumbriacrack.com/2024/05/20/"),
                               ("Healthcare Management UK", "https://www.healthcare-management.uk/")):
        assert publisher in finance and address in finance
        assert f'href="{address}' not in (built_site / FINANCE).read_text()


def test_another_icb_is_told_the_published_figures_are_for_lsc_only(another_icb_site, serve, visit):
    finance = page_text(another_icb_site / CURRENT_FINANCE)
    assert "No published figure gives this for South West London" in finance
    assert "for Lancashire and South Cumbria only" in finance
    v = visit(f"{serve(another_icb_site)}/{CURRENT_FINANCE}")
    charts = v.charts()
    assert len(charts) == 1 and charts[0]["marks"] and "South West London" in charts[0]["label"]
    v = visit(f"{serve(another_icb_site)}/{CURRENT_ACUTE}")
    charts = v.charts()
    # The rank dots and the two acute cost rankings (the trust ranking too where the trust file has the year).
    assert len(charts) >= 3 and all("South West London" in c["label"] for c in charts), charts
    assert [focal(c) for c in charts[1:]] == [["South West London"]] * (len(charts) - 1), charts
    assert "there is no claimed rank to check for South West London" in page_text(another_icb_site / CURRENT_ACUTE)
    assert v.console == []
