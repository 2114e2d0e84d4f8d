import pandas as pd
import pytest

from sots.analysis import benchmark
from sots.prose import ordinal

pytestmark = pytest.mark.unit


def test_per_head_converts_thousands_of_pounds_to_pounds_per_person():
    got = benchmark.per_head(pd.Series([1_000.0, 2_500.0]), pd.Series([500.0, 1_000.0]))
    assert got.tolist() == [2_000.0, 2_500.0]


def test_rank_desc_gives_one_to_the_highest_and_shares_ties():
    got = benchmark.rank_desc(pd.Series([10.0, 30.0, 20.0, 30.0, None]))
    assert got.tolist() == [4, 1, 3, 1, pd.NA]


def _three_icbs():
    allocations = pd.DataFrame(
        {
            "year": ["2023/24"] * 3,
            "icb_code": ["QAA", "QBB", "QCC"],
            "icb_name": ["NHS A ICB", "NHS B ICB", "NHS C ICB"],
            "region_name": ["R"] * 3,
            "core_recurrent_allocation_gbp_k": [1_000.0, 3_000.0, 2_000.0],
            "core_dft_post_convergence_frac": [0.0, 0.05, -0.02],
        }
    )
    weighted = pd.DataFrame(
        {
            "year": ["2023/24"] * 3,
            "icb_code": ["QAA", "QBB", "QCC"],
            "registered_population_persons": [1_000.0, 2_000.0, 1_000.0],
            "core_weighted_persons": [500.0, 3_000.0, 1_000.0],
        }
    )
    return allocations, weighted


def test_funding_measures_known_answers():
    m = benchmark.funding_measures(*_three_icbs()).set_index("icb_code")
    # £k * 1000 / persons: A 1,000; B 1,500; C 2,000 per registered head
    assert m["core_allocation_per_head_gbp"].to_dict() == {"QAA": 1_000.0, "QBB": 1_500.0, "QCC": 2_000.0}
    assert m["core_allocation_per_head_rank"].to_dict() == {"QAA": 3, "QBB": 2, "QCC": 1}
    # per weighted head: A 2,000; B 1,000; C 2,000 -> A and C tie for 1st
    assert m["core_allocation_per_weighted_head_gbp"].to_dict() == {"QAA": 2_000.0, "QBB": 1_000.0, "QCC": 2_000.0}
    assert m["core_allocation_per_weighted_head_rank"].to_dict() == {"QAA": 1, "QBB": 3, "QCC": 1}
    assert m["distance_from_target_pct"].to_dict() == pytest.approx({"QAA": 0.0, "QBB": 5.0, "QCC": -2.0})
    assert m["distance_from_target_rank"].to_dict() == {"QAA": 2, "QBB": 1, "QCC": 3}
    assert m.loc["QBB", "need_index"] == 1.5


def test_ranks_are_within_each_year():
    allocations, weighted = _three_icbs()
    later = [allocations.assign(year="2024/25", core_recurrent_allocation_gbp_k=[9_000.0, 1.0, 1.0]), allocations]
    allocations = pd.concat(later, ignore_index=True)
    weighted = pd.concat([weighted.assign(year="2024/25"), weighted], ignore_index=True)
    m = benchmark.funding_measures(allocations, weighted)
    ranks = m.set_index(["year", "icb_code"])["core_allocation_per_head_rank"]
    assert ranks[("2024/25", "QAA")] == 1 and ranks[("2023/24", "QAA")] == 3


def test_england_values_are_totals_over_icbs():
    eng = benchmark.england_values(*_three_icbs()).iloc[0]
    assert eng["core_allocation_per_head_gbp"] == pytest.approx(6_000_000 / 4_000)
    assert eng["core_allocation_per_weighted_head_gbp"] == pytest.approx(6_000_000 / 4_500)
    target = 1_000 / 1.0 + 3_000 / 1.05 + 2_000 / 0.98
    assert eng["distance_from_target_pct"] == pytest.approx((6_000 / target - 1) * 100)


def test_focal_summary_shows_each_measure_in_its_unit():
    allocations, weighted = _three_icbs()
    measures = benchmark.funding_measures(allocations, weighted)
    summary = benchmark.focal_summary(measures, benchmark.england_values(allocations, weighted), "QBB")
    assert summary["Value"].tolist() == ["£1,500", "£1,000", "+5.00%"]
    assert summary["Rank"].tolist() == ["2 of 3", "3 of 3", "1 of 3"]


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                     (13, "13th"), (21, "21st"), (22, "22nd"), (42, "42nd"), (111, "111th")])
def test_ordinal(n, text):
    assert ordinal(n) == text
