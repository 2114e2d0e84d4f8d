"""The activity-based acute spend estimate and the acute trusts' spend per head, on hand-worked cases."""

import pandas as pd
import pytest

from sots.analysis import benchmark, finance

pytestmark = pytest.mark.unit

COSTS = pd.DataFrame({"year": ["2023/24", "2023/24", "2024/25", "2024/25"],
                      "activity": ["emer_n", "walkin", "emer_n", "walkin"],
                      "unit_cost_gbp": [2_000.0, 200.0, 4_000.0, 400.0]})


def _rates():
    """Two ICBs, A and B, with rates at age 17 only; bed days (emer_bds) carry no unit cost."""
    rows = []
    for area, sex, emer, walkin in (("E54000001", "f", 0.10, 0.5), ("E54000001", "m", 0.20, 0.5),
                                    ("E54000002", "f", 0.05, 1.0), ("E54000002", "m", 0.10, 0.0)):
        rows += [{"area_code": area, "pod": "apc", "activity": "emer_n", "sex": sex, "age": 17, "rate": emer},
                 {"area_code": area, "pod": "aae", "activity": "walkin", "sex": sex, "age": 17, "rate": walkin},
                 {"area_code": area, "pod": "apc", "activity": "emer_bds", "sex": sex, "age": 17, "rate": 9.0}]
    return pd.DataFrame(rows)


def _population():
    """2022: A has 100 of each sex at 17 and 100 at 0; B has 200 of each sex at 17 and none at 0. 2023 is doubled."""
    rows = []
    for area, at17, at0 in (("E54000001", 100.0, 100.0), ("E54000002", 200.0, 0.0)):
        for sex in "fm":
            for age, n in ((0, at0), (17, at17)):
                for year, v1 in ((2022, n), (2023, 2 * n)):
                    rows.append({"area_code": area, "variant": "v1", "sex": sex, "age": age, "year": year,
                                 "persons": v1})
                    rows.append({"area_code": area, "variant": "v2", "sex": sex, "age": age, "year": year,
                                 "persons": 1.0})
    return pd.DataFrame(rows)


LOOKUP = pd.DataFrame({"icb_code": ["QAA", "QBB"], "icb_gss_code": ["E54000001", "E54000002"]})
WEIGHTED = pd.DataFrame({"year": ["2023/24", "2023/24"], "icb_code": ["QAA", "QBB"],
                         "registered_population_persons": [500.0, 400.0], "ga_weighted_persons": [400.0, 500.0]})


def test_activity_cost_by_hand():
    cost = benchmark.activity_cost(_rates(), COSTS, _population(), "2023/24").set_index("area_code")
    # A: women 100 × (0.1 × £2,000 + 0.5 × £200) = £30,000; men 100 × (0.2 × £2,000 + 0.5 × £200) = £50,000.
    # B: women 200 × (0.05 × £2,000 + 1.0 × £200) = £60,000; men 200 × (0.1 × £2,000) = £40,000.
    assert cost["acute_cost_gbp"].to_dict() == pytest.approx({"E54000001": 80_000.0, "E54000002": 100_000.0})
    # Residents of all ages, under-17s included: A 400, B 400.
    assert cost["resident_population_persons"].to_dict() == {"E54000001": 400.0, "E54000002": 400.0}
    assert cost["acute_cost_per_head_gbp"].to_dict() == pytest.approx({"E54000001": 200.0, "E54000002": 250.0})


def test_the_cost_and_population_years_are_parameters():
    later = benchmark.activity_cost(_rates(), COSTS, _population(), "2024/25", population_year=2023)
    # Unit costs double and the population doubles: four times the cost, the same per head as at 2024/25 costs.
    assert later.set_index("area_code")["acute_cost_gbp"].to_dict() == pytest.approx(
        {"E54000001": 320_000.0, "E54000002": 400_000.0})
    with pytest.raises(ValueError, match="no population for 2050"):
        benchmark.activity_cost(_rates(), COSTS, _population(), "2023/24", population_year=2050)
    with pytest.raises(ValueError, match="no unit costs for 2099/00"):
        benchmark.activity_cost(_rates(), COSTS, _population(), "2099/00")


def test_acute_spend_per_head_and_per_ga_weighted_head_by_hand():
    cost = benchmark.activity_cost(_rates(), COSTS, _population(), "2023/24")
    m = benchmark.acute_spend_measures(cost, LOOKUP, WEIGHTED, "2023/24").set_index("icb_code")
    assert m["acute_cost_per_head_gbp"].to_dict() == pytest.approx({"QAA": 200.0, "QBB": 250.0})
    # per head × registered ÷ G&A weighted: A 200 × 500 / 400 = 250; B 250 × 400 / 500 = 200
    assert m["acute_cost_per_ga_weighted_head_gbp"].to_dict() == pytest.approx({"QAA": 250.0, "QBB": 200.0})
    assert m["acute_cost_per_head_rank"].to_dict() == {"QAA": 2, "QBB": 1}
    assert m["acute_cost_per_ga_weighted_head_rank"].to_dict() == {"QAA": 1, "QBB": 2}


def test_acute_spend_ranks_share_ties():
    cost = benchmark.activity_cost(_rates(), COSTS, _population(), "2023/24")
    same = WEIGHTED.assign(registered_population_persons=[400.0, 400.0], ga_weighted_persons=[400.0, 400.0])
    cost.loc[cost["area_code"] == "E54000001", "acute_cost_per_head_gbp"] = 250.0
    m = benchmark.acute_spend_measures(cost, LOOKUP, same, "2023/24").set_index("icb_code")
    assert m["acute_cost_per_head_rank"].to_dict() == {"QAA": 1, "QBB": 1}
    assert m["acute_cost_per_ga_weighted_head_rank"].to_dict() == {"QAA": 1, "QBB": 1}
    with pytest.raises(ValueError, match="no ICB ranks 2"):
        benchmark.value_at_rank(m.reset_index(), "acute_cost_per_head_gbp", "acute_cost_per_head_rank", 2)


def test_acute_spend_needs_the_weighted_population_year():
    cost = benchmark.activity_cost(_rates(), COSTS, _population(), "2023/24")
    with pytest.raises(ValueError, match="no weighted populations for 2030/31"):
        benchmark.acute_spend_measures(cost, LOOKUP, WEIGHTED, "2030/31")


def test_acute_trust_spend_only_for_icbs_named_by_their_own_code_with_tied_ranks():
    opex = pd.DataFrame({
        "year": ["2023/24"] * 5, "trust_code": ["RA1", "RA2", "RB1", "RM1", "RC1"],
        "sector": ["Acute", "Acute", "Acute", "Acute", "Mental Health"],
        "host_icb_code": ["QAA", "QAA", "QBB", "Z9B2Z", "QAA"],
        "total_operating_expenditure_gbp": [100_000.0, 100_000.0, 160_000.0, 999_000.0, 50_000.0],
    })
    totals = finance.trust_opex_by_icb(opex, "2023/24", ["QAA", "QBB", "QCC"])
    assert totals.set_index("icb_code")["acute_trust_opex_gbp"].to_dict() == {"QAA": 200_000.0, "QBB": 160_000.0}
    assert totals.set_index("icb_code")["n_trusts"].to_dict() == {"QAA": 2, "QBB": 1}
    m = benchmark.acute_trust_measures(totals, WEIGHTED, "2023/24").set_index("icb_code")
    # per registered head: A 200,000 / 500 = 400; B 160,000 / 400 = 400 -> a tie for 1st
    assert m["acute_trust_opex_per_head_gbp"].to_dict() == {"QAA": 400.0, "QBB": 400.0}
    assert m["acute_trust_opex_per_head_rank"].to_dict() == {"QAA": 1, "QBB": 1}
    # per G&A weighted head: A 500, B 320
    assert m["acute_trust_opex_per_ga_weighted_head_rank"].to_dict() == {"QAA": 1, "QBB": 2}


def test_focal_ranks_and_rank_table():
    cost = benchmark.activity_cost(_rates(), COSTS, _population(), "2023/24")
    m = benchmark.acute_spend_measures(cost, LOOKUP, WEIGHTED, "2023/24")
    england = pd.DataFrame({"year": ["2023/24"], "acute_cost_per_head_gbp": [225.0],
                            "acute_cost_per_ga_weighted_head_gbp": [226.0]})
    ranks = benchmark.focal_ranks(m, benchmark.ACUTE_MEASURES, "QAA", england, basis="2022 activity")
    assert ranks[["measure", "rank", "n"]].values.tolist() == [
        ["acute_cost_per_head_gbp", 2, 2], ["acute_cost_per_ga_weighted_head_gbp", 1, 2]]
    table = benchmark.rank_table(ranks)
    assert table["Rank"].tolist() == ["2 of 2", "1 of 2"]
    assert table["Value"].tolist() == ["£200", "£250"] and table["England"].tolist() == ["£225", "£226"]
    assert benchmark.focal_ranks(m, benchmark.ACUTE_MEASURES, "QZZ").empty
