"""A measure NHS England did not publish for a year (distance from target, a weighted-population component, an
allocation line) is recorded as not computed with that reason and shown as "not published for <year>", never
filled from another measure; the chapters run on a copy of the prepared tables with the measure emptied for 2024/25."""

import shutil

import pandas as pd
import pytest

from helpers import DATA, ROOT, rehash
from sots.analysis import benchmark
from sots.chapters import acute_spend, funding_per_head
from sots.chapters import context as chapter
from sots.chapters import finance as page
from sots.inputs import data

pytestmark = pytest.mark.unit

GONE = "2024/25"  # the year whose measures are emptied


@pytest.fixture(scope="module")
def unpublished(tmp_path_factory):
    """The prepared tables with 2024/25's distance from target, running cost allowance and G&A weighted population
    empty, and their data package."""
    folder = tmp_path_factory.mktemp("data")
    for path in DATA.iterdir():
        shutil.copy(path, folder / path.name)
    for name, columns in (("icb_allocations", ["core_dft_post_convergence_frac", "running_cost_allowance_gbp_k"]),
                          ("icb_weighted_population", ["ga_weighted_persons"])):
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        frame.loc[frame["year"] == GONE, columns] = ""
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    rehash(folder)  # as if `sots prepare` had written them
    return folder


def reason(figures, figure_id):
    return figures[figure_id].get("not_computed")


def test_the_comparison_year_is_the_one_before_in_the_window_else_the_next():
    assert funding_per_head.other_year(["2023/24", "2024/25"], "2023/24") == "2024/25"
    assert funding_per_head.other_year(["2023/24", "2024/25"], "2024/25") == "2023/24"
    assert funding_per_head.other_year(["2022/23", "2023/24", "2024/25"], "2023/24") == "2022/23"
    assert funding_per_head.other_year(["2023/24", "2024/25", "2025/26"], "2025/26") == "2024/25"
    assert funding_per_head.other_year(["2022/23", "2023/24", "2099/00"], "2099/00") == "2023/24"
    assert funding_per_head.other_year(["2099/00"], "2099/00") is None
    assert funding_per_head.other_year_sentence(None, None) == (
        "There is no other allocation year in this edition to compare with.")


def test_funding_per_head_records_distance_from_target_as_not_published_in_that_year_only(unpublished):
    ch = chapter.open("funding_per_head", root=ROOT, edition="2023-24", icb="QE1", data_dir=unpublished)
    funding = funding_per_head.record(ch, "2023/24")
    why = "NHS England did not publish distance from target for 2024/25."
    assert reason(ch.figures, "distance_from_target_pct_2024_25") == why
    assert reason(ch.figures, "distance_from_target_rank_2024_25") == why
    assert ch.figures["distance_from_target_rank_2023_24"]["value"] == 4  # the other year is untouched
    assert ch.figures["core_allocation_per_head_rank_2024_25"]["value"] == 2
    assert ch.glued["other_finding"].data == (
        "In 2024/25 the ranks were 2nd per registered head, 4th per weighted head; NHS England did not publish "
        "distance from target for 2024/25.")
    summary = funding_per_head.summary_table(funding, ch.icb).df.set_index(["Measure", "Year"])
    assert summary.loc[("Distance from target", GONE)].tolist() == [
        "not published for 2024/25", "–", "not published for 2024/25"]
    assert summary.loc[("Distance from target", "2023/24"), "Value"] == "+6.25%"
    shown = funding_per_head.ranked_chart(ch, funding, "distance_from_target_pct", label="Distance from target (%)")
    assert shown.spec["title"]["subtitle"][-1] == "Distance from target not published for 2024/25"


def test_the_editions_own_year_unpublished_leaves_the_headline_not_computed(unpublished):
    ch = chapter.open("funding_per_head", root=ROOT, edition="2024-25", icb="QE1", data_dir=unpublished)
    funding = funding_per_head.record(ch, GONE)
    for figure_id in ("distance_from_target_pct", "distance_from_target_rank"):
        assert reason(ch.figures, figure_id) == "NHS England did not publish distance from target for 2024/25."
    assert ch.glued["dft_finding"].data == "NHS England did not publish distance from target for 2024/25."
    assert "this_distance_from_target_rank" not in ch.glued  # nothing filled in from another measure
    assert ch.figures["core_allocation_per_weighted_head_gbp"]["value"] > 0
    league = funding_per_head.league_table(funding)
    assert league.df["Distance from target (%)"].isna().all()
    assert "not published for 2024/25" in league._repr_html_()


def test_england_has_no_distance_from_target_for_a_year_it_was_not_published_for_every_icb():
    alloc = data.load("icb_allocations", DATA)
    weighted = data.load("icb_weighted_population", DATA)
    alloc.loc[(alloc["year"] == GONE) & (alloc["icb_code"] == "QE1"), "core_dft_post_convergence_frac"] = float("nan")
    england = benchmark.england_values(alloc, weighted).set_index("year")
    assert pd.isna(england.loc[GONE, "distance_from_target_pct"])
    assert pd.notna(england.loc["2023/24", "distance_from_target_pct"])
    ranks = benchmark.funding_measures(alloc, weighted)
    ranks = ranks[ranks["year"] == GONE]
    assert ranks["distance_from_target_rank"].isna().sum() == 1 and ranks["distance_from_target_rank"].max() == 41


def test_acute_spend_records_the_measures_per_g_and_a_weighted_head_as_not_published(unpublished):
    ch = chapter.open("acute_spend", root=ROOT, edition="2024-25", icb="QE1", data_dir=unpublished)
    spend = acute_spend.record(ch, GONE, GONE, 2022)
    why = "NHS England did not publish the general and acute weighted population for 2024/25."
    assert reason(ch.figures, "acute_cost_per_ga_weighted_head_gbp") == why
    assert reason(ch.figures, "acute_cost_per_ga_weighted_head_rank") == why
    assert ch.figures["acute_cost_per_head_rank"]["value"] == 4  # per resident head needs no weighted population
    assert ch.glued["ga_finding"].data.startswith(why[:-1] + ", so there is no estimate")
    assert ch.glued["ga_weighted_population"] == "not published for 2024/25"
    table = benchmark.rank_table(spend.ranks).set_index(["Measure", "Year"])
    assert table.loc[("Distance from target", GONE), "Value"] == "not published for 2024/25"
    assert table.loc[("Distance from target", GONE), "Rank"] == "–"
    assert not acute_spend.rank_dots(spend.ranks)["row"].str.startswith("Distance from target, 2024").any()
    assert "not published for 2024/25" in acute_spend.league_table(spend)._repr_html_()
    assert "Not published for 2024/25" in acute_spend.ga_chart(ch, spend).data


def test_finance_records_the_allocations_sum_as_not_computed_when_a_line_is_unpublished(unpublished):
    ch = chapter.open("finance", root=ROOT, edition="2024-25", icb="QE1", data_dir=unpublished)
    fin = page.record(ch, GONE)
    why = "NHS England did not publish the running cost allowance for 2024/25."
    assert reason(ch.figures, "icb_total_allocation_gbp_m") == why
    assert ch.glued["budget_findings"].data.startswith(f"The ICB's allocations for 2024/25 cannot be summed. {why}")
    bases = fin.bases.set_index("base")["amount_gbp_m"]
    assert pd.isna(bases["total_allocation"]) and bases["core_combined_allocation"] > 0
    assert "not published for 2024/25" in page.bases_table(fin)._repr_html_()
    # The 2023/24 sum still stands, and the 2023-24 edition, whose year is published, is unchanged.
    assert [row["label"] for row in fin.budget_split.to_dict("records") if "allocations" in row["label"]] == [
        "Public data: sum of ICB allocations, 2023/24"]
    earlier = chapter.open("finance", root=ROOT, edition="2023-24", icb="QE1", data_dir=unpublished)
    page.record(earlier, "2023/24")
    assert earlier.figures["icb_total_allocation_gbp_m"]["value"] == pytest.approx(4087.707, abs=1e-3)
    assert earlier.figures["savings_share_of_total_allocation_pct"]["value"] == pytest.approx(5.888, abs=1e-3)


def test_the_front_page_says_distance_from_target_was_not_published_rather_than_lose_its_glue():
    row = pd.Series({funding_per_head.DFT.key: float("nan"), funding_per_head.DFT.rank_key: pd.NA})
    assert funding_per_head.dft_headline(row, "2099/00") == "not published for 2099/00"
    row = pd.Series({funding_per_head.DFT.key: 6.2523, funding_per_head.DFT.rank_key: 4})
    assert funding_per_head.dft_headline(row, "2023/24") == "+6.25%, rank 4"
