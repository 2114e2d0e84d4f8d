"""The acute spend chapter: its sentences on hand-worked cases, the register's verdict passing through to its prose,
and the chapter recorded on the prepared tables."""

import pandas as pd
import pytest

from helpers import ROOT
from sots import chapter, claims
from sots.chapters import acute_spend

pytestmark = pytest.mark.unit

DATA = ROOT / "data"
RANK = acute_spend.NAMED.rank_key  # the figure the claim checks

# Three ICBs on the estimate per G&A weighted head (£): Aye 900 (1st), Bee 800 (2nd), Cee 700 (3rd).
ACUTE = pd.DataFrame({
    "icb_code": ["QAA", "QBB", "QCC"], "short_name": ["Aye", "Bee", "Cee"],
    "acute_cost_per_ga_weighted_head_gbp": [900.0, 800.0, 700.0], RANK: [1, 2, 3],
    "acute_cost_per_head_rank": [2, 3, 1],
})
ENGLAND = pd.Series({"acute_cost_per_ga_weighted_head_gbp": 750.0})


def ranks(core_rank: int) -> pd.DataFrame:
    """The focal ICB's ranks: the claim's own measure (2nd) and core allocation per registered head in two years."""
    return pd.DataFrame({
        "measure": [acute_spend.NAMED.key, "core_allocation_per_head_gbp", "core_allocation_per_head_gbp"],
        "label": [acute_spend.NAMED.label] + ["Core allocation per registered head"] * 2,
        "year": ["2023/24", "2023/24", "2024/25"], "rank": [2, core_rank, 2],
    })


def verdict(rank: int, rule: str | None = None) -> claims.Verdict:
    """The register's verdict on the chapter's claim when the estimate ranks ``rank`` (None: not computed)."""
    claim = claims.by_key(claims.load(), acute_spend.KEY)
    results = {} if rank is None else {RANK: {"value": rank}}
    return claims.evaluate({**claim, "rule": rule or claim["rule"]}, results)


def test_the_register_states_second_and_checks_the_estimates_rank():
    claim = claims.by_key(claims.load(), acute_spend.KEY)
    assert (claim["stated"], claim["chapter"]) == (2, "notebooks/acute_spend") and RANK in claim["figures"]


def test_a_reproduced_rank_is_supported_and_lists_the_other_measures_at_it():
    v = verdict(2)
    assert v.status == claims.REPRODUCED
    text = acute_spend.verdict_text("Bee", v, ACUTE, ENGLAND, ranks(2), "QBB", "Aye")
    assert text == (
        "**Supported on the measure it names.** On the activity-based estimate of acute cost per G&A weighted head, "
        "Bee ranks 2nd of 3 at £800 (England £750, 6.7% above). Per resident head, before weighting for need, it "
        "ranks 3rd. It ranks 2nd also on core allocation per registered head (2023/24 and 2024/25).")


def test_a_rank_that_misses_is_not_supported_and_is_set_against_the_icb_at_the_stated_rank():
    v = verdict(3)
    assert v.status == claims.NOT_REPRODUCED
    text = acute_spend.verdict_text("Cee", v, ACUTE, ENGLAND, ranks(5), "QCC", "Aye")
    # 700 / 800 - 1 = -12.5%; 700 / 750 - 1 = -6.67%; core allocation is 2nd in 2024/25 only.
    assert text == (
        "**Not supported on the measure it names.** On the activity-based estimate of acute cost per G&A weighted "
        "head, Cee ranks 3rd of 3 at £700 (England £750, 6.7% below). The 2nd highest, Bee, is £800: Cee is 12.5% "
        "below it. Per resident head, before weighting for need, it ranks 1st. It ranks 2nd only on core allocation "
        "per registered head (2024/25). That measures funding per patient, not spending on acute care per weighted "
        "head.")


def test_the_prose_leads_with_whatever_status_the_register_gives():
    consistent = verdict(2, rule=claims.CONSISTENT)
    assert consistent.status == claims.CONSISTENT
    text = acute_spend.verdict_text("Bee", consistent, ACUTE, ENGLAND, ranks(2), "QBB", "Aye")
    assert text.startswith("**Consistent with the measure it names.** On the activity-based estimate")
    unchecked = verdict(None)
    assert unchecked.status == claims.STATED_ONLY
    assert acute_spend.verdict_text("Bee", unchecked, ACUTE, ENGLAND, ranks(2), "QBB", "Aye") == (
        "**Not checked: this edition does not compute the measure it names.** Not checked in this edition, which "
        "lacks a figure it needs.")
    assert set(acute_spend.LEADS) == set(claims.STATUSES)


def test_a_register_checking_a_figure_the_chapter_does_not_record_leaves_the_claim_unchecked_in_the_prose():
    claim = claims.by_key(claims.load(), acute_spend.KEY)
    misspelt = {**claim, "figures": [RANK + "_x", *claim["figures"][1:]]}
    v = claims.evaluate(misspelt, {RANK: {"value": 2}})
    assert v.status == claims.STATED_ONLY
    assert acute_spend.verdict_text("Bee", v, ACUTE, ENGLAND, ranks(2), "QBB", "Aye") == (
        "**Not checked: this edition does not compute the measure it names.** Not checked in this edition, which "
        "lacks a figure it needs.")


def test_another_icb_has_no_claimed_rank_to_check():
    assert acute_spend.verdict_text("Cee", None, ACUTE, ENGLAND, ranks(5), "QCC", "Aye") == (
        "The report's claim is about Aye, so there is no claimed rank to check for Cee; its ranks are shown below.")
    assert acute_spend.claim_label(None) == "" and acute_spend.claim_label(2) == "report: 2nd"


def test_no_other_measure_at_the_stated_rank():
    check = verdict(2).checks[0]
    assert acute_spend.other_measures_text(ranks(5).iloc[:2], check) == "It ranks 2nd on no other measure here."


def test_the_trust_finding_or_why_there_is_none():
    trow = pd.Series({"acute_trust_opex_gbp": 2_500e6, "acute_trust_opex_per_head_gbp": 1_250.4,
                      "acute_trust_opex_per_head_rank": 3, "acute_trust_opex_per_ga_weighted_head_gbp": 1_100.6,
                      "acute_trust_opex_per_ga_weighted_head_rank": 11})
    assert acute_spend.trust_text("Bee", "2023/24", trow, 4, 30, True) == (
        "The 4 acute trusts Bee hosts spent £2,500.0m in 2023/24: £1,250 per registered head, the 3rd highest of the "
        "30 ICBs the trust file names by their own code, and £1,101 per G&A weighted head (11th).")
    assert acute_spend.trust_text("Bee", "2024/25", None, 0, 30, False) == (
        "The trust accounts here do not cover 2024/25, so there is no acute trust measure for it.")
    assert acute_spend.trust_text("Bee", "2023/24", None, 0, 30, True).startswith(
        "The trust file assigns Bee's trusts to a 2026 merged-ICB code")
    assert acute_spend.no_trust_measure("Bee", "2024/25", False) == "The trust accounts here do not cover 2024/25."


def test_the_unit_cost_note_names_the_activities_carried_forward():
    costs = pd.DataFrame({"year": ["2024/25"] * 3 + ["2023/24"], "cost_year": ["2024/25"] + ["2023/24"] * 3,
                          "activity": ["emer_n", "op_first", "op_fup", "emer_n"]})
    assert acute_spend.unit_cost_note(costs, "2024/25") == (
        "At 2024/25 unit costs, 2 of the 3 priced activities (outpatient attendances) carry forward their 2023/24 "
        "cost, because the 2024/25 schedule has no outpatient attendance currencies.")
    assert acute_spend.unit_cost_note(costs, "2023/24") == (
        "Every activity is priced at its own 2023/24 national average cost.")
    assert acute_spend.weighting_effect(110.0, 100.0) == "lowers"
    assert acute_spend.weighting_effect(90.0, 100.0) == "raises"


def test_the_league_is_highest_per_weighted_head_first_in_gbp_million():
    acute = pd.DataFrame({"icb_code": ["QBB", "QAA"], "short_name": ["Bee", "Aye"], "acute_cost_gbp": [3e9, 1.5e9],
                          "resident_population_persons": [1e6, 2e6], "registered_population_persons": [1.1e6, 2.1e6],
                          "ga_weighted_persons": [1e6, 2e6], "acute_cost_per_head_gbp": [3000.0, 750.0],
                          "acute_cost_per_head_rank": [1, 2], "acute_cost_per_ga_weighted_head_gbp": [3300.0, 787.5],
                          RANK: [2, 1]})
    league = acute_spend.league(acute)
    assert list(league["ICB"]) == ["Aye", "Bee"] and list(league["Cost (£m)"]) == [1500.0, 3000.0]
    assert list(league.columns) == list(acute_spend.LEAGUE_COLUMNS.values())
    assert set(acute_spend.LEAGUE_FORMATS) <= set(league.columns)


def test_the_chapter_on_the_prepared_tables_quotes_the_registers_verdict():
    ch = chapter.open("acute_spend", edition="2023-24", icb="QE1", data_dir=DATA)
    spend = acute_spend.record(ch, "2023/24", "2023/24", 2022)
    assert ch.figures[RANK]["value"] == 21 and spend.claimed == 2 and spend.trust_comparable
    status = ch.verdict(acute_spend.KEY).status
    assert status == claims.NOT_REPRODUCED
    assert ch.glued["verdict"].data.startswith(acute_spend.LEADS[status])
    assert ch.glued["report_claim"].data.endswith(f"({ch.claims()[0]['id']})")
    # Each figure names the tables it came from: the estimate's, not the trust accounts it was made before.
    assert "trust_operating_expenditure" not in ch.figures[RANK]["inputs"]
    assert "trust_operating_expenditure" in ch.figures["acute_trust_opex_per_head_rank"]["inputs"]


def test_another_icb_in_a_year_without_trust_accounts():
    ch = chapter.open("acute_spend", edition="2024-25", icb="QHM", data_dir=DATA)
    spend = acute_spend.record(ch, "2024/25", "2024/25", 2022)
    assert spend.claimed is None and not spend.trust_comparable
    assert ch.figures["acute_trust_opex_per_head_gbp"] == {
        "value": None, "not_computed": "The trust accounts here do not cover 2024/25.", "edition": "2024-25",
        "icb": "QHM"}
    assert ch.glued["verdict"].data.startswith("The report's claim is about Lancashire and South Cumbria")
