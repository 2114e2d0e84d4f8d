"""The acute spend chapter: its sentences on hand-worked cases, the register's verdict passing through to its prose,
and the chapter recorded on the prepared tables: in the report's edition, in a later one (the verdict on the report's
year, this year's data "since the report"), for another ICB (nothing graded) and in a year the trust accounts lack."""

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers import REPORT_EDITION, ROOT, report_results_file
from sots.analysis import claims
from sots.chapters import acute_spend
from sots.chapters import context as chapter

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


@pytest.fixture(scope="module")
def report_results(tmp_path_factory):
    """The report edition's results for the report's ICB, as a build gives a later edition (``report_results``)."""
    ch = chapter.open("acute_spend", root=ROOT, edition=REPORT_EDITION, icb="QE1", data_dir=DATA)
    acute_spend.record(ch, "2023/24", "2023/24", 2022)
    return report_results_file(tmp_path_factory.mktemp("report"), ch.figures)


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
        "**Not checked: this edition does not compute the measure it names.** Not checked on these figures, which "
        "lack one it needs.")
    assert set(acute_spend.LEADS) == set(claims.STATUSES)


def test_a_register_checking_a_figure_the_chapter_does_not_record_leaves_the_claim_unchecked_in_the_prose():
    claim = claims.by_key(claims.load(), acute_spend.KEY)
    misspelt = {**claim, "figures": [RANK + "_x", *claim["figures"][1:]]}
    v = claims.evaluate(misspelt, {RANK: {"value": 2}})
    assert v.status == claims.STATED_ONLY
    assert acute_spend.verdict_text("Bee", v, ACUTE, ENGLAND, ranks(2), "QBB", "Aye") == (
        "**Not checked: this edition does not compute the measure it names.** Not checked on these figures, which "
        "lack one it needs.")


def test_a_later_edition_gives_the_verdict_with_the_report_years_rank_and_its_own_data_since():
    # The report's year ranked Cee 3rd of 40 at £690; this edition's data (ACUTE) rank it 3rd again, at £700.
    later = acute_spend.Later(year="2024/25", report_year="2023/24", gbp=690.4, n_icbs=40,
                              since="Since the report: 2024/25 data give the same, 3rd.")
    text = acute_spend.verdict_text("Cee", verdict(3), ACUTE, ENGLAND, ranks(5), "QCC", "Aye", later)
    assert text == (
        "**Not supported on the measure it names.** On the activity-based estimate of acute cost per G&A weighted "
        "head for 2023/24, the report's year, Cee ranks 3rd of 40 at £690. Since the report: 2024/25 data give the "
        "same, 3rd. In 2024/25 data it is £700 (England £750, 6.7% below). The 2nd highest, Bee, is £800: Cee is "
        "12.5% below it. Per resident head, before weighting for need, it ranks 1st in 2024/25. It ranks 2nd only "
        "on core allocation per registered head (2024/25). That measures funding per patient, not spending on acute "
        "care per weighted head.")
    # The report's year ranked Bee 3rd (not supported); this edition's data put it 2nd: the lead is still the report's
    # verdict, and this year's sentences compare this year's rank, so no "2nd highest" is set against Bee itself.
    text = acute_spend.verdict_text("Bee", verdict(3), ACUTE, ENGLAND, ranks(2), "QBB", "Aye", later)
    assert text.startswith("**Not supported on the measure it names.**")
    assert "In 2024/25 data it is £800 (England £750, 6.7% above). Per resident head" in text
    assert "The 2nd highest" not in text and "It ranks 2nd also on core allocation per registered head" in text
    # This year's weighted populations unpublished: no £ for it, and the report year's results without a £ or count.
    unpublished = ACUTE.assign(acute_cost_per_ga_weighted_head_gbp=float("nan"))
    bare = acute_spend.Later(year="2024/25", report_year="2023/24", gbp=None, n_icbs=None, since="")
    text = acute_spend.verdict_text("Cee", verdict(3), unpublished, ENGLAND, ranks(5), "QCC", "Aye", bare)
    assert text.startswith("**Not supported on the measure it names.** On the activity-based estimate of acute cost "
                           "per G&A weighted head for 2023/24, the report's year, Cee ranks 3rd. Per resident head")
    assert "£nan" not in text and "In 2024/25 data" not in text


def test_another_icb_has_no_claimed_rank_to_check():
    assert acute_spend.verdict_text("Cee", None, ACUTE, ENGLAND, ranks(5), "QCC", "Aye") == (
        "The report's claim is about Aye, so there is no claimed rank to check for Cee; its ranks are shown below.")
    assert acute_spend.claim_label(None) == "" and acute_spend.claim_label(2) == "report: 2nd"
    assert acute_spend.rank_chart_note(None, "Aye") == "The report's claimed rank is about Aye, so none is marked."
    assert acute_spend.rank_chart_note(2, "Aye") == "The dashed line marks the rank the report claims."
    assert acute_spend.claim_intro("Quoted.", "Cee", "Aye", about_report=False) == (
        "Quoted.\n\nThat claim is about Aye. This page is built for Cee: it shows its own ranks and does not grade "
        "them against the claim.")
    assert acute_spend.claim_intro("Quoted.", "Aye", "Aye", about_report=True) == "Quoted."


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
        "The trust accounts here do not cover 2024/25, so there is no acute trust measure for that year.")
    assert acute_spend.trust_text("Bee", "2023/24", None, 0, 30, True).startswith(
        "The trust file assigns Bee's trusts to a 2026 merged-ICB code")
    assert acute_spend.no_trust_measure("Bee", "2024/25", False) == "The trust accounts here do not cover 2024/25."


def test_trust_accounts_that_lack_the_year_rank_no_icb_and_say_so():
    for covered, n in ((False, 0), (False, 30)):  # however many ICBs an empty trust file gives, none is ranked
        assert acute_spend.trust_ranking(n, "2024/25", covered) == (
            "The trust accounts here do not cover 2024/25, so no ICB is ranked on its acute trusts' spending.")
        assert acute_spend.trust_method(n, "2024/25", covered) == (
            "The trust accounts here do not cover 2024/25, so this edition ranks no ICB on them.")
    assert acute_spend.no_host_trusts("Bee", "2024/25", False) == (
        "The trust accounts here do not cover 2024/25, so they list no trust for it.")
    assert acute_spend.no_host_trusts("Bee", "2023/24") == (
        "The trust file names no acute trust hosted by Bee in 2023/24.")
    assert acute_spend.trust_ranking(30, "2023/24", True) == (
        "Total operating expenditure of the acute trusts each ICB hosts, per registered head, for the 30 ICBs that "
        "the trust file names by their own code.")
    assert acute_spend.trust_method(30, "2023/24", True).endswith("which is among the 30 ICBs named by their own code.")
    # A year the accounts cover but whose file names no ICB by its own code: said so, no "0 ICBs".
    assert acute_spend.trust_ranking(0, "2023/24", True) == (
        "The trust file names no ICB by its own code in 2023/24, so no ICB is ranked on its acute trusts.")
    assert "0 ICBs" not in acute_spend.trust_method(0, "2023/24", True)


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
    ch = chapter.open("acute_spend", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    spend = acute_spend.record(ch, "2023/24", "2023/24", 2022)
    assert ch.figures[RANK]["value"] == 21 and spend.claimed == 2 and spend.trust_comparable
    status = ch.verdict(acute_spend.KEY).status
    assert status == claims.NOT_REPRODUCED
    assert ch.glued["verdict"].data.startswith(acute_spend.LEADS[status])
    assert ch.glued["report_claim"].data.endswith(f"({ch.claims()[0]['id']})")
    ranking = ch.glued["trust_ranking"]
    assert ranking.startswith("Total operating expenditure") and " 30 ICBs " in ranking
    assert ch.glued["rank_chart_note"] == "The dashed line marks the rank the report claims."
    # Each figure names the tables it came from: the estimate's, not the trust accounts it was made before.
    assert "trust_operating_expenditure" not in ch.figures[RANK]["inputs"]
    assert "trust_operating_expenditure" in ch.figures["acute_trust_opex_per_head_rank"]["inputs"]


def test_another_icb_in_a_year_without_trust_accounts(report_results):
    ch = chapter.open("acute_spend", root=ROOT, edition="2024-25", icb="QHM", data_dir=DATA,
                      report_results=report_results)
    spend = acute_spend.record(ch, "2024/25", "2024/25", 2022)
    assert spend.claimed is None and not spend.trust_comparable and not spend.trust_year_covered
    assert ch.figures["acute_trust_opex_per_head_gbp"] == {
        "value": None, "not_computed": "The trust accounts here do not cover 2024/25.", "edition": "2024-25",
        "icb": "QHM"}
    assert ch.glued["verdict"].data.startswith("The report's claim is about Lancashire and South Cumbria")
    # Nothing graded, and the report's rank set against nothing of this ICB's.
    prose = " ".join(str(getattr(v, "data", v)) for v in ch.glued.values())
    assert not any(lead in prose for lead in acute_spend.LEADS.values()) and "2nd highest" not in prose
    assert "That claim is about Lancashire and South Cumbria." in ch.glued["report_claim"].data
    assert ch.glued["rank_chart_note"] == (
        "The report's claimed rank is about Lancashire and South Cumbria, so none is marked.")
    # The trust accounts lack the year: said so, with no ranking of "0 ICBs" and no "names no acute trust".
    for text in (ch.glued["trust_ranking"], ch.glued["trust_method"], ch.glued["trust_findings"].data,
                 acute_spend.host_trusts(spend, ch.who).data):
        assert text.startswith("The trust accounts here do not cover 2024/25") and "0 ICBs" not in text
    assert "names no acute trust" not in prose


def test_a_later_edition_quotes_the_report_years_verdict_and_gives_its_own_data_since(report_results):
    ch = chapter.open("acute_spend", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA,
                      report_results=report_results)
    spend = acute_spend.record(ch, "2024/25", "2024/25", 2022)
    verdict = ch.verdict(acute_spend.KEY)
    assert verdict.status == claims.NOT_REPRODUCED and verdict.checks[0].computed == 21  # the report's year's rank
    report_gbp = json.loads(Path(report_results).read_text())[acute_spend.NAMED.key]["value"]
    text = ch.glued["verdict"].data
    assert text.startswith(
        "**Not supported on the measure it names.** On the activity-based estimate of acute cost per G&A weighted "
        f"head for 2023/24, the report's year, Lancashire and South Cumbria ranks 21st of 42 at £{report_gbp:,.0f}. "
        "Since the report: 2024/25 data give the same, 21st. In 2024/25 data it is "
        f"£{ch.figures[acute_spend.NAMED.key]['value']:,.0f} (England £")
    assert f"£{report_gbp:,.0f}" != f"£{ch.figures[acute_spend.NAMED.key]['value']:,.0f}"  # the two years differ
    assert "it ranks 4th in 2024/25" in text
    # The trust accounts do not cover 2024/25: no ranking of "0 ICBs", no list of the ICB's trusts.
    assert not spend.trust_year_covered and not len(spend.focal_trusts)
    assert ch.glued["trust_ranking"] == (
        "The trust accounts here do not cover 2024/25, so no ICB is ranked on its acute trusts' spending.")
    assert "0 ICBs" not in ch.glued["trust_method"]
    assert ch.glued["rank_chart_note"] == "The dashed line marks the rank the report claims."
    assert acute_spend.later_edition(ch, None, "2024/25") is None  # another ICB's book: no verdict, nothing later


def test_the_report_edition_has_nothing_later():
    ch = chapter.open("acute_spend", root=ROOT, edition=REPORT_EDITION, icb="QE1", data_dir=DATA)
    acute_spend.record(ch, "2023/24", "2023/24", 2022)
    assert acute_spend.later_edition(ch, ch.verdict(acute_spend.KEY), "2023/24") is None
    assert "the report's year" not in ch.glued["verdict"].data
