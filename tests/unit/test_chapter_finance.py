"""The finance chapter's findings: each status in its prose is the claims register's verdict on the report's own
year, quoted with that year's figures in every edition (a later edition's own data "since the report"); a book for
another ICB grades nothing; a year whose allocations cannot be summed is never left out of a "largest"."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import REPORT_EDITION, ROOT, rehash, report_results_file
from sots import escape
from sots.analysis import claims, finance
from sots.chapters import context as chapter
from sots.chapters import finance as page

pytestmark = pytest.mark.unit

DATA = ROOT / "data"
REGISTER = claims.load()


STATUS_WORDS = tuple(f"**{status}**" for status in claims.STATUSES)  # a status as the prose prints it


def verdict(key, **values):
    """The register's verdict on the claim ``key`` given figure id -> value (None: recorded as not computed)."""
    results = {f: {"value": v} if v is not None else {"value": None, "not_computed": "No data."}
               for f, v in values.items()}
    return claims.evaluate(claims.by_key(REGISTER, key), results)


@pytest.fixture(scope="module")
def report_results(tmp_path_factory):
    """The report edition's results for the report's ICB, as a build gives a later edition (``report_results``)."""
    ch = chapter.open("finance", root=ROOT, edition=REPORT_EDITION, icb="QE1", data_dir=DATA)
    page.record(ch, "2023/24")
    return report_results_file(tmp_path_factory.mktemp("report"), ch.figures)


@pytest.fixture(scope="module")
def unsummable(tmp_path_factory):
    """The prepared tables with 2024/25's running cost allowance unpublished, so that year's allocations cannot be
    summed (the other tables linked, not copied)."""
    folder = tmp_path_factory.mktemp("data")
    for path in DATA.iterdir():
        (folder / path.name).symlink_to(path)
    for name in ("icb_allocations.csv", "datapackage.json"):
        (folder / name).unlink()
        shutil.copy(DATA / name, folder / name)
    frame = pd.read_csv(folder / "icb_allocations.csv", dtype=str, keep_default_na=False)
    frame.loc[frame["year"] == "2024/25", "running_cost_allowance_gbp_k"] = ""
    frame.to_csv(folder / "icb_allocations.csv", index=False, lineterminator="\n")
    rehash(folder)
    return folder


def test_the_savings_sentence_gives_each_claims_verdict():
    delivered = verdict("savings_delivered", savings_delivered_gbp_m=240.7)
    recurrent = verdict("savings_recurrent_pct", savings_recurrent_pct=68.92)
    assert page.savings_verdicts(241, 240.7, 69, delivered, recurrent) == (
        " The report's £241m is the published £240.7m rounded and its 69% recurrent is the published share rounded: "
        "both **reproduced**.")
    # A recurrent share 1.9 points off is beyond the register's tolerance of 0.5: not reproduced, said so.
    recurrent = verdict("savings_recurrent_pct", savings_recurrent_pct=67.1)
    assert page.savings_verdicts(241, 240.7, 69, delivered, recurrent) == (
        " The report's £241m is the published £240.7m rounded and it gives 69% recurrent: **reproduced** and "
        "**not reproduced** respectively.")
    delivered = verdict("savings_delivered", savings_delivered_gbp_m=239.0)
    assert page.savings_verdicts(241, 239.0, 69, delivered, recurrent).startswith(
        " The report says £241m, against the published £239.0m, and it gives 69% recurrent: both **not reproduced**.")


def shares_for(amounts):
    """Savings of £240m against the five published bases with the given amounts (£ millions)."""
    bases = pd.DataFrame({"base": [b for b, _, _ in finance.FUNDING_BASES],
                          "label": [label for _, label, _ in finance.FUNDING_BASES], "amount_gbp_m": amounts})
    shares = finance.savings_shares(240.0, bases, 6.6)
    values = {f"savings_share_of_{b}_pct": s for b, s in zip(shares["base"], shares["share_pct"])}
    return shares, verdict("savings_share_of_funding_pct", **values)


def test_the_funding_base_finding_follows_the_registers_check_of_the_share():
    # 240 / 3,640 = 6.59%, which the register's check (core combined, within 0.05 points of 6.6) accepts.
    shares, v = shares_for([3000.0, 3300.0, 3640.0, 4140.0, 4170.0])
    assert v.status == claims.REPRODUCED
    text = page.base_findings(shares, 240.0, 6.6, 240.0 / 0.066, 4170.0, v)
    assert text == ("£240.0m ÷ 6.6% implies a funding base of **£3,636m** (£3,609m to £3,664m for any share that "
                    "rounds to 6.6%). It matches core services, combined (with discharge) (£3,640.0m, 6.59%): "
                    "**reproduced** on that base.")
    # 240 / 3,500 = 6.86%: the checked base, also the closest, misses, so no base matches.
    shares, v = shares_for([3000.0, 3300.0, 3500.0, 4140.0, 4170.0])
    text = page.base_findings(shares, 240.0, 6.6, 240.0 / 0.066, 4170.0, v)
    assert v.status == claims.NOT_REPRODUCED
    assert "**No published allocation base matches.** The closest is core services, combined" in text
    assert "6.86%, 0.26 points above 6.6%" in text and text.endswith(": **not reproduced**.")


def test_a_closer_base_than_the_checked_one_does_not_change_the_registers_verdict():
    # Core total gives 6.61%, within the tolerance, but the register checks core combined (6.00%): not reproduced.
    shares, v = shares_for([3000.0, 240.0 / 0.0661, 4000.0, 4140.0, 4170.0])
    assert v.status == claims.NOT_REPRODUCED
    text = page.base_findings(shares, 240.0, 6.6, 240.0 / 0.066, 4170.0, v)
    assert "No published allocation base matches" not in text
    assert ("On core services, combined (with discharge), the base the claims register checks, the savings are "
            "6.00%. The closest is core services, total (with elective recovery)") in text
    assert text.endswith("**not reproduced**.")


def test_a_stated_only_claim_says_why_from_the_register():
    control = verdict("system_control_total_deficit", deficit_above_control_total_gbp_m_2024_25=179.8)
    assert control.status == claims.STATED_ONLY
    assert page.why(control) == " (the agreed plan is not published as data)"
    # A checked claim whose figure the edition lacks: the register's note, not its explanation.
    savings = verdict("savings_delivered", savings_delivered_gbp_m=None)
    assert page.why(savings) == " (no data)"
    assert page.why(verdict("savings_delivered", savings_delivered_gbp_m=240.7)) == ""
    # One figure computed and missing the stated value: not reproduced, whatever the other would say; no why.
    budget = verdict("budget", icb_total_allocation_gbp_m=4136.1, hospital_share_of_budget_pct=None)
    assert budget.status == claims.NOT_REPRODUCED and page.why(budget) == ""


def test_a_years_deficits_against_the_reports_control_total_and_limit():
    figures = pd.DataFrame([
        {"figure_id": f"x{i}", "icb_code": "QE1", "year": y, "measure": m, "value": v, "unit": "GBP million",
         "source_publisher": "LDRS", "source_title": "A report", "source_url": "https://example.org/a"}
        for i, (y, m, v) in enumerate([("2023/24", "icb_deficit", 89.0),
                                       ("2024/25", "system_deficit_before_support", 354.8),
                                       ("2024/25", "system_control_total_deficit", 175.0)])])
    deficits = finance.deficits(figures, "QE1", finance.report_figures("2023-24", "QE1"))
    control = ("2024/25", 175.0,
               verdict("system_control_total_deficit", deficit_above_control_total_gbp_m_2024_25=179.8))
    limit = verdict("icb_deficit_limit")
    rows = deficits[deficits["year"] == "2024/25"]
    assert page.deficit_sentence("2024/25", rows, deficits, 179.8, control, limit) == (
        "In 2024/25 the system's deficit was £354.8m before support, against a control total of £175.0m: £179.8m "
        "worse than the plan. The report's £175m control total is **stated only** (the agreed plan is not published "
        "as data). The report expects the ICB alone to end the year with a deficit of no more than £95.0m, read here "
        "as 2024/25, the year of the control total; no ICB outturn for 2024/25 is published here, so this is "
        "**stated only** (if the report meant 2023/24, the ICB's published outturn of £89.0m is £6.0m below it).")
    assert page.deficit_sentence("2023/24", deficits[deficits["year"] == "2023/24"], deficits, None, control,
                                 limit) == "In 2023/24. The ICB's own deficit was £89.0m."


def test_the_budget_finding_gives_the_registers_verdict_not_its_own():
    v = verdict("budget", icb_total_allocation_gbp_m=4087.7, hospital_share_of_budget_pct=72.4)
    assert v.status == claims.NOT_REPRODUCED  # £4.09bn against £4.5bn, and 72.4% against 60%
    text = page.budget_verdict(4500.0, 60, 4087.7, {"2024/25": 4136.1}, "2023/24", 2958.8, v)
    # 4,500 - 4,087.7 = 412.3 (10.1% of 4,087.7); 2,958.8 - 2,700 = 258.8; 2,958.8 / 4,500 = 65.8%.
    assert text.startswith(" The report's £4.5bn is £412m (10.1%) more than the 2023/24 allocations, and more than "
                           "any other year's here (largest £4,136.1m, in 2024/25): it probably counts")
    assert "the acute trusts' spending is £259m more, 65.8% of £4.5bn" in text
    assert text.endswith("the report's £4.5bn and its 60% on hospitals are **not reproduced**.")
    v = verdict("budget", icb_total_allocation_gbp_m=None, hospital_share_of_budget_pct=None)
    text = page.budget_verdict(4500.0, 60, 4136.1, {}, "2024/25", None, v)
    assert "60% of £4.5bn is £2,700m. Against" in text and "largest" not in text
    assert text.endswith("are **stated only** (no data).")


def test_no_largest_leaves_out_a_year_whose_allocations_cannot_be_summed():
    v = verdict("budget", icb_total_allocation_gbp_m=4087.7, hospital_share_of_budget_pct=72.4)
    why = {"2099/00": "NHS England did not publish the running cost allowance for 2099/00."}
    text = page.budget_verdict(4500.0, 60, 4087.7, {"2024/25": 4136.1}, "2023/24", 2958.8, v, why)
    assert "largest" not in text and "any other year" not in text
    assert ("such as the trusts' other income or services commissioned by NHS England. The 2099/00 allocations cannot "
            "be summed (NHS England did not publish the running cost allowance for 2099/00), so the budget is not set "
            "against them. 60% of £4.5bn") in text
    assert page.other_years(4500.0, {"2024/25": 4136.1}, why, ", and") == ""
    # A year whose allocations exceed the budget: the budget is not "more than any year's".
    assert page.other_years(4100.0, {"2024/25": 4136.1}, {}, ", and") == ""
    assert page.other_years(4500.0, {"2023/24": 4087.7, "2024/25": 4136.1}, {}, "", "year's allocations") == (
        " more than any year's allocations here (largest £4,136.1m, in 2024/25)")
    later = page.budget_on_report_year(4500.0, 60, v, "2023/24", {"2023/24": 4087.7}, why, "2099/00")
    assert "largest" not in later and "The 2099/00 allocations cannot be summed" not in later  # said above it
    assert page.not_summed({}) == ""


def test_a_later_edition_quotes_the_budget_verdict_with_the_report_years_figures():
    v = verdict("budget", icb_total_allocation_gbp_m=4087.7, hospital_share_of_budget_pct=72.4)
    text = page.budget_on_report_year(4500.0, 60, v, "2023/24", {"2023/24": 4087.7, "2024/25": 4136.1}, {}, "2024/25")
    assert text.startswith(" The report's verdict is on the figures for 2023/24, its own year: its £4.5bn budget and "
                           "its 60% on hospitals are **not reproduced**. £4.09bn against the report's £4.5bn")
    assert "72% against the report's 60%" in text and v.claim["reason"] in text
    assert text.endswith(" The report's £4.5bn is more than any year's allocations here (largest £4,136.1m, in "
                         "2024/25).")
    unchecked = claims.evaluate(v.claim, {}, "Not given.")
    assert page.budget_on_report_year(4500.0, 60, unchecked, "2023/24", {}, {}, "2024/25") == (
        " The report's £4.5bn budget and its 60% on hospitals are **stated only** (not given).")


def test_a_later_edition_quotes_each_savings_verdict_with_the_report_years_figures():
    delivered = verdict("savings_delivered", savings_delivered_gbp_m=240.7)
    share = verdict("savings_share_of_funding_pct", savings_share_of_core_combined_allocation_pct=6.8)
    text = page.on_report_year([delivered, share], "2023/24")
    assert text.startswith("On the figures for 2023/24, the report's own year: savings delivered in 2023/24, "
                           "**reproduced** (£240.7m, matching the report's £241m to within £0.5m); savings as a share "
                           "of funding, **not reproduced** (6.80% against the report's 6.6%")
    assert text.endswith(f". {share.claim['reason']}")  # the likely reason for the claim that does not hold
    # Not checked, all for one reason (the report edition's figures not given): that reason once.
    unchecked = [claims.evaluate(v.claim, {}, "Not given.") for v in (delivered, share)]
    assert page.on_report_year(unchecked, "2023/24") == "Not given."


def test_the_chapter_records_its_figures_and_its_prose_agrees_with_its_verdicts():
    ch = chapter.open("finance", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    fin = page.record(ch, "2023/24")
    assert ch.figures["savings_delivered_gbp_m"]["value"] == 240.7
    assert set(ch.figures["savings_delivered_gbp_m"]["inputs"]) >= {"icb_lookup", "icb_allocations",
                                                                    "published_figures", "trust_operating_expenditure"}
    assert ch.glued["stated_share"] == 6.6
    intro = ch.glued["report_intro"].data
    assert intro.count("\n- ") == 8 and "(F2)" in intro and "Those figures are for" not in intro
    statuses = {key: ch.verdict(key).status for key in ("savings_delivered", "savings_share_of_funding_pct",
                                                        "system_control_total_deficit", "budget")}
    assert statuses == {"savings_delivered": claims.REPRODUCED, "savings_share_of_funding_pct": claims.NOT_REPRODUCED,
                        "system_control_total_deficit": claims.STATED_ONLY, "budget": claims.NOT_REPRODUCED}
    assert ch.glued["savings_findings"].data.endswith("both **reproduced**.")
    assert ch.glued["base_findings"].data.endswith("**not reproduced**.")
    assert "control total is **stated only**" in ch.glued["deficit_findings"].data
    assert "**reproduced**" not in ch.glued["deficit_findings"].data
    assert "on hospitals are **not reproduced**" in ch.glued["budget_findings"].data
    assert finance.nearest_base(fin.shares)["base"] == "core_combined_allocation"
    # The sources list: every published figure the findings quote, and only those (not the in-year savings required).
    assert sorted(fin.quoted["figure_id"]) == [
        "lsc_2023_running_budget", "lsc_2023_share_spent_on_hospitals", "lsc_2324_deficit_before_support",
        "lsc_2324_icb_deficit", "lsc_2324_nhse_support_funding", "lsc_2324_provider_deficit",
        "lsc_2324_savings_delivered", "lsc_2324_savings_recurrent", "lsc_2324_savings_shortfall_vs_plan",
        "lsc_2324_system_deficit_after_support", "lsc_2425_control_total_deficit", "lsc_2425_deficit_excl_support",
        "lsc_2425_deficit_support_funding", "lsc_2425_system_deficit_after_support", "lsc_2425_winter_surge_funding"]


def test_another_icb_records_each_published_figure_as_not_computed_with_why(report_results):
    ch = chapter.open("finance", root=ROOT, edition="2024-25", icb="QHM", data_dir=DATA, report_results=report_results)
    fin = page.record(ch, "2024/25")
    reason = ("No published figure gives this for North East and North Cumbria: the figures in this book taken from "
              "published pages are for Lancashire and South Cumbria only.")
    assert ch.figures["savings_delivered_gbp_m"] == {"value": None, "not_computed": reason, "edition": "2024-25",
                                                     "icb": "QHM"}
    assert ch.figures["hospital_share_of_budget_pct"]["not_computed"] == "The trust accounts here do not cover 2024/25."
    assert fin.shares is None and fin.deficits.empty and fin.quoted.empty
    assert ch.glued["report_intro"].data.endswith("says where a figure exists only for Lancashire and South Cumbria.")
    # Nothing graded, and none of its figures set against the report's stated values.
    findings = " ".join(ch.glued[k].data for k in ("savings_findings", "base_findings", "agency_findings",
                                                   "deficit_findings", "budget_findings"))
    assert not any(word in findings for word in STATUS_WORDS) and "the report's £" not in findings
    assert fin.budget_split["kind"].eq("public data").all()  # no bar of the report's
    assert ch.glued["budget_findings"].data.endswith(
        "The report's budget and hospital share are Lancashire and South Cumbria's, so they are not set against "
        "North East and North Cumbria's figures.")
    assert ch.glued["figures_intro"].startswith("The report's claims are about Lancashire and South Cumbria, so North "
                                                "East and North Cumbria's figures are not set against them")
    assert ch.glued["status_method"] == (
        "The report's claims are about Lancashire and South Cumbria, so this page gives none of them a status.")
    assert ch.glued["deficit_headline"] == (
        "No deficit of North East and North Cumbria is published here: the figures in this book taken from published "
        "pages are for Lancashire and South Cumbria only.")
    assert "not set against these" in ch.glued["shares_intro"] and "not shown" in ch.glued["budget_intro"]


def test_a_later_edition_gives_the_report_years_verdicts_and_its_own_year_since(report_results):
    ch = chapter.open("finance", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA, report_results=report_results)
    fin = page.record(ch, "2024/25")
    report = json.loads(Path(report_results).read_text())
    assert fin.shares is None  # no savings are published for 2024/25
    assert ch.figures["savings_delivered_gbp_m"]["not_computed"] == (
        "No published figure gives Lancashire and South Cumbria's savings for 2024/25.")
    # Each savings claim: the report's verdict, with the 2023/24 figures it is computed on, then that 2024/25 has none.
    savings = ch.glued["savings_findings"].data
    assert savings == (
        "On the figures for 2023/24, the report's own year: savings delivered in 2023/24, **reproduced** (£240.7m, "
        "matching the report's £241m to within £0.5m); share of the savings that recur, **reproduced** (68.9%, "
        "matching the report's 69% to within 0.5 points). No published figure gives Lancashire and South Cumbria's "
        "savings for 2024/25 yet.")
    base = ch.glued["base_findings"].data
    combined = report["savings_share_of_core_combined_allocation_pct"]["value"]
    assert base.startswith("On the figures for 2023/24, the report's own year: savings as a share of funding, **not "
                           f"reproduced** ({combined:.2f}% against the report's 6.6%")
    assert base.endswith("No published figure gives Lancashire and South Cumbria's savings for 2024/25 yet. NHS "
                         "England's allocation bases for the ICB are shown below for reference.")
    # The budget: this year's sum described, the verdict on 2023/24's (£4.09bn; 72%), 2024/25's since the report.
    budget = ch.glued["budget_findings"].data
    total_2324 = report["icb_total_allocation_gbp_m"]["value"] / 1000
    total_2425 = ch.figures["icb_total_allocation_gbp_m"]["value"]
    assert budget.startswith(f"The ICB's allocations for 2024/25 add up to **£{total_2425:,.1f}m**. The hospital "
                             "share cannot be computed: the trust accounts here do not cover 2024/25. The report's "
                             "verdict is on the figures for 2023/24, its own year: its £4.5bn budget and its 60% on "
                             f"hospitals are **not reproduced**. £{total_2324:.2f}bn against the report's £4.5bn")
    share_2324 = report["hospital_share_of_budget_pct"]["value"]
    assert f"{share_2324:.0f}% against the report's 60%" in budget
    assert (f"Since the report: 2024/25 data give £{total_2425 / 1000:.2f}bn, against £{total_2324:.2f}bn in 2023/24"
            in budget)
    assert escape.markdown("no 2024/25 figure yet (the trust accounts here do not cover 2024/25)") in budget
    assert "more than the 2024/25 allocations" not in budget  # no status beside this year's figures
    assert ch.glued["figures_intro"].endswith("Each status is the report's verdict on the figures for 2023/24, the "
                                              "report's own year, quoted with those figures; 2024/25's are given "
                                              "beside it.")
    assert "the figures of 2023/24, the report's own year" in ch.glued["status_method"]


def test_a_year_whose_allocations_cannot_be_summed_is_never_left_out_of_a_largest(unsummable, report_results):
    # The report's edition reads 2023/24 and 2024/25; 2024/25 cannot be summed.
    ch = chapter.open("finance", root=ROOT, edition=REPORT_EDITION, icb="QE1", data_dir=unsummable)
    page.record(ch, "2023/24")
    budget = ch.glued["budget_findings"].data
    assert "largest" not in budget and "any other year" not in budget
    assert ("The 2024/25 allocations cannot be summed (NHS England did not publish the running cost allowance for "
            "2024/25), so the budget is not set against them.") in budget
    assert "are **not reproduced**" in budget  # 2023/24's own sum still decides the verdict
    # A later edition whose own year cannot be summed: the verdict on 2023/24 stands; no largest; said once.
    later = chapter.open("finance", root=ROOT, edition="2024-25", icb="QE1", data_dir=unsummable,
                         report_results=report_results)
    page.record(later, "2024/25")
    budget = later.glued["budget_findings"].data
    assert budget.startswith("The ICB's allocations for 2024/25 cannot be summed. NHS England did not publish the "
                             "running cost allowance for 2024/25.")
    assert "largest" not in budget and "are **not reproduced**" in budget
    assert budget.count("cannot be summed") == 1


def test_the_key_findings_give_the_latest_outturn_and_the_allocations_total():
    deficits = pd.DataFrame({
        "year": ["2023/24", "2023/24", "2024/25", "2024/25", "2024/25"],
        "category": ["System, before support", "System, after support", "System, before support",
                     "System, after support", "ICB, after support"],
        "kind": ["outturn"] * 5, "value_gbp_m": [228.6, 148.6, 354.8, 129.8, 89.0]})
    assert page.deficit_headline(deficits, "2024/25", "X") == (
        "In 2024/25 the system's deficit was £354.8m before support and £129.8m after it.")
    # An edition reads no later year: the latest outturn up to its own.
    assert page.deficit_headline(deficits, "2023/24", "X").startswith("In 2023/24 the system's deficit was £228.6m")
    assert page.deficit_headline(deficits, "2022/23", "X") == (
        "No system deficit of X is published for 2022/23 or before.")
    assert page.allocation_headline(4136.06, "2024/25", None) == (
        "NHS England's allocations to the ICB for 2024/25 add up to £4,136.1m.")
    assert page.allocation_headline(None, "2099/00", "not published.") == (
        "The ICB's allocations for 2099/00 cannot be summed: not published.")
