"""The rows an edition reads: the window of years each table gives it, and the sha256 of the rows read."""

import pandas as pd
import pytest

from helpers import DATA
from sots.inputs import data, editions, slices

pytestmark = pytest.mark.unit

INPUTS_2324 = {"allocation_year": "2023/24", "unit_cost_year": "2023/24", "outturn_year": "2023/24",
               "projection_vintage": "2018-based"}
INPUTS_2425 = {**INPUTS_2324, "allocation_year": "2024/25", "unit_cost_year": "2024/25", "outturn_year": "2024/25"}


def source(source_id, *years):
    return {"id": source_id, "title": "t", "publisher": "p", "path": "https://example.org", "period": "x",
            "years": list(years)}


# A two-year allocations publication and a later one-year one; weighted populations published one year at a time.
SOURCES = {
    "icb_allocations": [source("alloc_2324_2425", "2023/24", "2024/25"), source("alloc_2099", "2099/00")],
    "icb_weighted_population": [source("wp_2324", "2023/24"), source("wp_2425", "2024/25"),
                                source("wp_2099", "2099/00")],
    "unit_costs": [source("ncc", "2023/24", "2024/25")],
    "trust_operating_expenditure": [source("tac", "2022/23", "2023/24")],
    "published_figures": [source("pages", "2023/24", "2024/25", "2025/26", "2099/00")],
    "activity_rates": [{"id": "rates", "title": "t", "publisher": "p", "path": "x", "period": "2022"}],
}


def test_a_two_year_publication_gives_an_edition_both_its_years_and_a_later_one_nothing():
    assert editions.window("icb_allocations", INPUTS_2324, SOURCES) == ("2023/24", "2024/25")
    assert editions.window("icb_allocations", INPUTS_2425, SOURCES) == ("2023/24", "2024/25")


def test_a_one_year_publication_gives_an_edition_its_own_year_and_the_one_before_to_compare_with():
    assert editions.window("icb_weighted_population", INPUTS_2324, SOURCES) == ("2023/24",)  # none before it
    assert editions.window("icb_weighted_population", INPUTS_2425, SOURCES) == ("2023/24", "2024/25")
    # A year published later never reaches it, and a two-year publication's edition gains no year before.
    later = {**SOURCES, "icb_weighted_population": [*SOURCES["icb_weighted_population"], source("wp_2526", "2025/26")]}
    assert editions.window("icb_weighted_population", INPUTS_2425, later) == ("2023/24", "2024/25")
    earlier = {**SOURCES, "icb_allocations": [source("alloc_2223", "2022/23"), *SOURCES["icb_allocations"]]}
    assert editions.window("icb_allocations", INPUTS_2324, earlier) == ("2023/24", "2024/25")


def test_every_governing_input_adds_the_years_of_its_publication():
    # A new edition's allocations come from the 2099/00 publication, its outturn from 2024/25's.
    new = {**INPUTS_2425, "allocation_year": "2099/00"}
    assert editions.window("icb_allocations", new, SOURCES) == ("2023/24", "2024/25", "2099/00")
    # The allocation year's, and the year before it, to compare with (its publication gives one year).
    assert editions.window("icb_weighted_population", new, SOURCES) == ("2024/25", "2099/00")
    assert editions.window("trust_operating_expenditure", INPUTS_2324, SOURCES) == ("2022/23", "2023/24")
    assert editions.window("trust_operating_expenditure", INPUTS_2425, SOURCES) == ()  # no accounts for 2024/25


def test_published_figures_stop_at_the_latest_year_of_the_editions_other_windows():
    # The other windows end at 2024/25 (allocations), so the 2025/26 and 2099/00 figures are not read.
    assert editions.window("published_figures", INPUTS_2324, SOURCES) == ("2023/24", "2024/25")
    new = {**INPUTS_2425, "allocation_year": "2099/00"}
    assert editions.window("published_figures", new, SOURCES) == ("2023/24", "2024/25", "2025/26", "2099/00")


def test_a_table_without_years_is_read_whole():
    assert editions.window("activity_rates", INPUTS_2324, SOURCES) is None
    assert editions.window("population_projection", INPUTS_2324, SOURCES) is None
    undated = {**SOURCES, "unit_costs": [{k: v for k, v in source("ncc").items() if k != "years"}]}
    assert editions.window("unit_costs", INPUTS_2324, undated) is None  # the package does not say which years


def test_a_source_of_undated_figures_never_opens_a_cut_off_table_whole():
    # The published pages' context figures have no year: their source lists no years, or (in a data package rebuilt
    # without the empty list) none at all. Either way 2023/24 reads what it read before, never the later figures.
    for undated in ({**source("context"), "years": []}, {k: v for k, v in source("context").items() if k != "years"}):
        with_context = {**SOURCES, "published_figures": [*SOURCES["published_figures"], undated]}
        assert editions.window("published_figures", INPUTS_2324, with_context) == ("2023/24", "2024/25")
    assert editions.window("published_figures", INPUTS_2324, {**SOURCES, "published_figures": []}) == ()


def test_every_year_keyed_table_is_governed_or_cut_off():
    keyed = {name for name in data.TABLES if data.year_keyed(name)}
    assert keyed == set(editions.GOVERNING_INPUTS) | set(editions.CUT_OFF_TABLES)
    assert not set(editions.GOVERNING_INPUTS) & set(editions.CUT_OFF_TABLES)
    assert {f for fields in editions.GOVERNING_INPUTS.values() for f in fields} <= set(editions.inputs())


def test_todays_editions_read_both_years_of_the_allocations_settlement():
    sources = data.table_sources(DATA)
    for inputs in (INPUTS_2324, INPUTS_2425):
        for name in ("icb_allocations", "icb_weighted_population", "unit_costs"):
            assert editions.window(name, inputs, sources) == ("2023/24", "2024/25"), name
        # The published figures also give earlier years (the published pages' figures, e.g. one from 2019/20): an
        # edition reads them all, up to the settlement's last year, and none after it.
        figures = editions.window("published_figures", inputs, sources)
        assert figures[-2:] == ("2023/24", "2024/25") and max(figures) == "2024/25", figures


def test_rows_keeps_the_window_and_the_undated_rows():
    frame = pd.DataFrame({"year": ["2023/24", None, "2025/26", "2024/25"], "value": [1.0, 2.0, 3.0, 4.0]})
    assert slices.rows(frame, ("2023/24", "2024/25"))["value"].tolist() == [1.0, 2.0, 4.0]
    assert slices.rows(frame, None) is frame


def test_the_hash_of_the_rows_read_is_unchanged_when_another_years_rows_are_added(tmp_path):
    window = ("2023/24", "2024/25")
    before = slices.rows(data.load("icb_allocations", DATA), window)
    raw = pd.read_csv(DATA / "icb_allocations.csv", dtype=str, keep_default_na=False)
    start = int(max(raw["year"])[:4]) + 1  # a year after every year in data/
    later = raw[raw["year"] == "2024/25"].assign(year=f"{start}/{(start + 1) % 100:02d}")
    pd.concat([raw, later]).to_csv(tmp_path / "icb_allocations.csv", index=False, lineterminator="\n")
    after = slices.rows(data.load("icb_allocations", tmp_path), window)
    assert len(data.load("icb_allocations", tmp_path)) == len(raw) + len(later)
    assert slices.digest(after) == slices.digest(before)
    changed = before.assign(core_recurrent_allocation_gbp_k=before["core_recurrent_allocation_gbp_k"] + 1)
    assert slices.digest(changed) != slices.digest(before)
    # A table read whole hashes as its file: the canonical CSV is how `sots prepare` writes it.
    assert slices.digest(data.load("icb_weighted_population", DATA)) == data.table_hashes(DATA)[
        "icb_weighted_population"]
