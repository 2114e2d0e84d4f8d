"""The verdicts in plain words: each value in its claim's unit, the size of a miss in the claim's own terms, the
verdict line with an unstated assumption, and what a later edition's data say "since the report"."""

from __future__ import annotations

import pytest

from sots.analysis import claims, verdicts

pytestmark = pytest.mark.unit


def claim(**over) -> dict:
    base = {"id": "F2", "label": "Savings delivered", "reason": "r", "claim": "x", "stated": 241,
            "unit": "GBP million", "rule": "reproduced", "figures": ["f"], "tolerance": 0.5, "explanation": "e",
            "chapter": "notebooks/finance"}
    return {**base, **over}


def judged(value, p10=None, p90=None, **over) -> claims.Verdict:
    entry = {"value": value, **({"p10": p10, "p90": p90} if p10 is not None else {})}
    return claims.evaluate(claim(**over), {"f": entry})


@pytest.mark.parametrize(("value", "unit", "places", "text"), [
    (240.7, "GBP million", 1, "£240.7m"), (241, "GBP million", None, "£241m"), (4.0877, "GBP billion", 2, "£4.09bn"),
    (68.92, "per cent", 1, "68.9%"), (24.22, "per cent growth", 1, "+24.2%"), (-3.21, "per cent growth", 1, "−3.2%"),
    (0.01, "per cent growth", 1, "0.0%"), (21, "rank of ICBs (1 = highest)", 0, "21st"),
    (2, "rank of 40 ICBs", 0, "2nd"),
    (1.6999, "million persons", 2, "1.70 million"), (2.437, "per cent a year", 2, "2.44% a year"),
    (4500, "cases in the backlog", None, "4,500 cases in the backlog"), (3, "oversight segment", None, "segment 3"),
])
def test_a_value_reads_in_its_unit(value, unit, places, text):
    assert verdicts.shown(value, unit, places) == text


@pytest.mark.parametrize(("over", "value", "miss"), [
    ({"stated": 2, "unit": "rank of ICBs (1 = highest)", "tolerance": 0}, 21, "19 places lower"),
    ({"stated": 5, "unit": "rank of ICBs (1 = highest)", "tolerance": 0}, 4, "1 place higher"),
    ({"stated": 6.6, "unit": "per cent", "tolerance": 0.05}, 6.797, "0.20 points above"),
    ({"stated": 3, "unit": "per cent growth"}, 40.33, "13 times the stated rise"),
    ({"stated": 21, "unit": "per cent growth"}, 34.0, "1.6 times the stated rise"),
    ({"stated": 60, "unit": "per cent growth"}, 11.45, "19% of the stated rise"),
    ({"stated": 63, "unit": "per cent growth"}, 43.16, "19.8 points below"),
    ({"stated": 100, "unit": "per cent growth", "tolerance": 5}, 82.59, "17 points below"),
    ({"stated": 4.5, "unit": "GBP billion", "tolerance": 0.05}, 4.0877, "£0.41bn (9%) below"),
    ({"stated": 1.8, "unit": "million persons", "tolerance": 0.05}, 1.9, "0.10 million above"),
])
def test_the_size_of_a_miss_is_in_the_claims_own_terms(over, value, miss):
    (check,) = judged(value, **over).checks
    assert verdicts.miss(check) == miss


def test_the_verdict_line_and_brief_for_each_status():
    reproduced = judged(240.7)
    assert verdicts.line(reproduced) == "£240.7m, matching the report's £241m to within £0.5m."
    assert verdicts.brief(reproduced) == "Matches"
    assert (verdicts.said(reproduced), verdicts.found(reproduced)) == (["£241m"], ["£240.7m"])
    missed = judged(230.0)
    assert verdicts.line(missed) == "£230.0m against the report's £241m: £11.0m (5%) below."
    assert verdicts.brief(missed) == "£11.0m (5%) below"
    inside = judged(24.2, p10=18.0, p90=30.3, stated=21, unit="per cent growth",
                    checks=[{"figure": "f", "interval": True}])
    assert inside.status == claims.CONSISTENT and verdicts.brief(inside) == "Inside the likely range"
    assert verdicts.line(inside) == ("+24.2% against the report's +21%: 3.2 points above, but the report's figure is "
                                     "inside the likely range of +18.0% to +30.3%.")
    stated_only = claims.evaluate(claim(rule="stated only", figures=[]), {})
    assert verdicts.line(stated_only) == "No open data settle it."
    assert verdicts.brief(stated_only) == "Not checkable from open data"
    assert verdicts.found(stated_only) == ["–"] and verdicts.said(stated_only) == ["£241m"]
    unchecked = claims.evaluate(claim(), {"f": {"value": None, "not_computed": "No published figure for 2024/25."}})
    assert verdicts.line(unchecked).endswith("No published figure for 2024/25.")
    assert verdicts.brief(unchecked) == "Not checked"


def test_a_claim_with_two_numbers_gives_each_and_an_unstated_assumption_is_said():
    c = claim(stated=60, unit="per cent growth", rule="reproduced", figures=["f", "g"], checks=[{"figure": "f"}],
              assumption={"figure": "g", "holds_with": "{value} of growth beyond demography"})
    verdict = claims.evaluate(c, {"f": {"value": 11.45}, "g": {"value": 2.437, "unit": "per cent a year"}})
    assert verdicts.line(verdict) == (
        "+11.4% against the report's +60%: 19% of the stated rise. It holds only with 2.44% a year of growth beyond "
        "demography, which the report does not state.")
    two = claim(stated=4.5, unit="GBP billion", tolerance=0.05, figures=["f", "s"], checks=[
        {"figure": "f", "scale": 0.001}, {"figure": "s", "stated": 60, "unit": "per cent", "tolerance": 5}])
    verdict = claims.evaluate(two, {"f": {"value": 4087.7}, "s": {"value": 72.38}})
    assert verdicts.said(verdict) == ["£4.5bn", "60%"] and verdicts.found(verdict) == ["£4.09bn", "72%"]
    assert verdicts.brief(verdict) == "£0.41bn (9%) below; 12 points above"


def test_since_the_report_gives_a_later_editions_figures_against_the_reports():
    two = claim(stated=4.5, unit="GBP billion", tolerance=0.05, figures=["f", "s"], checks=[
        {"figure": "f", "scale": 0.001}, {"figure": "s", "stated": 60, "unit": "per cent", "tolerance": 5}])
    report = claims.evaluate(two, {"f": {"value": 4087.7}, "s": {"value": 72.38}})
    later = {"f": {"value": 4136.1}, "s": {"value": None, "not_computed": "The trust accounts do not cover 2024/25."}}
    assert verdicts.since_line(report, later, "2024/25", "2023/24") == (
        "Since the report: 2024/25 data give £4.14bn, against £4.09bn in 2023/24; no 2024/25 figure yet (the trust "
        "accounts do not cover 2024/25).")
    assert verdicts.since_brief(report, later, "2024/25") == "2024/25: £4.14bn; no figure yet"
    same = {"f": {"value": 4087.7}, "s": {"value": 72.38}}
    assert verdicts.since_brief(report, same, "2024/25") == "2024/25: the same"
    assert verdicts.since_line(report, same, "2024/25", "2023/24").startswith("Since the report: 2024/25 data give "
                                                                              "the same, £4.09bn")
    two_people = claim(stated=1.7, unit="million persons", tolerance=0.05, figures=["f", "g"],
                       checks=[{"figure": "f"}, {"figure": "g", "stated": 1.8}])
    people = claims.evaluate(two_people, {"f": {"value": 1.6999}, "g": {"value": 1.8203}})
    assert verdicts.since_line(people, {"f": {"value": 1.6999}, "g": {"value": 1.8250}}, "2024/25", "2023/24") == (
        "Since the report: 2024/25 data give the same, 1.70 million; 1.825 million, against 1.820 million in 2023/24.")
    # Two values that round alike are shown to as many more decimals as tell them apart.
    close = claims.evaluate(claim(stated=1.8, unit="million persons", tolerance=0.05), {"f": {"value": 1.8203}})
    assert verdicts.since_line(close, {"f": {"value": 1.8250}}, "2024/25", "2023/24") == (
        "Since the report: 2024/25 data give 1.825 million, against 1.820 million in 2023/24.")


def test_a_bound_holds_only_strictly_below_and_reads_as_a_bound():
    # "Healthy life expectancy is below 68": the highest value must be under 68; 68 itself is not below it.
    def bound(value):
        return claims.evaluate(claim(stated=68, unit="years", tolerance=0.1, checks=[
            {"figure": "f", "bound": "below", "what": "the highest of any area"}]), {"f": {"value": value}})
    assert [bound(v).status for v in (64.6, 67.99, 68, 70)] == [
        claims.REPRODUCED, claims.REPRODUCED, claims.NOT_REPRODUCED, claims.NOT_REPRODUCED]
    assert verdicts.line(bound(64.6)) == "The highest of any area: 64.6 years, below the report's 68 years."
    assert verdicts.line(bound(70)) == ("The highest of any area: 70.0 years, not below the report's 68 years, "
                                        "2.0 years above.")
    assert "not below the stated bound of 68" in bound(70).technical
    assert (verdicts.brief(bound(64.6)), verdicts.brief(bound(70))) == ("Below, as stated", "2.0 years above")


def test_each_comparison_leads_with_what_it_is_when_the_register_says():
    two = claim(stated=60, unit="per cent", figures=["f", "g"], checks=[
        {"figure": "f", "what": "start of the year"}, {"figure": "g", "stated": 72.6, "what": "end of the year"}])
    verdict = claims.evaluate(two, {"f": {"value": 64.9}, "g": {"value": 66.1}})
    assert verdicts.line(verdict) == ("Start of the year: 64.9% against the report's 60%, 4.9 points above; end of the "
                                      "year: 66.1% against the report's 72.6%, 6.5 points below.")


def test_a_claim_fixed_in_time_adds_nothing_since_the_report():
    fixed = claims.evaluate(claim(fixed=True), {"f": {"value": 240.7}})
    assert verdicts.since_line(fixed, {"f": {"value": 240.7}}, "2024/25", "2023/24") == ""
    assert verdicts.since_brief(fixed, {"f": {"value": 240.7}}, "2024/25") == ""


def test_a_chapters_verdicts_in_one_sentence_name_each_claim_by_its_label():
    vs = [judged(241.0, id="F2", label="Savings delivered"), judged(300.0, id="F3", label="Share that recurs"),
          judged(250.0, id="F4", label="Share of funding")]
    assert verdicts.summary(vs) == ("Of the report's 3 claims checked here, 1 is reproduced (Savings delivered) and 2 "
                                    "are not reproduced (Share that recurs; Share of funding).")
    assert verdicts.summary([]) == ""


def test_counts_read_as_a_sentence_with_verbs_that_agree():
    assert verdicts.counted({"reproduced": 1, "consistent": 2, "not reproduced": 7, "stated only": 12}) == (
        "1 is reproduced, 2 are consistent with public data, 7 are not reproduced and 12 are stated only")


def test_every_reason_and_label_of_the_project_register_reads_without_an_amount():
    """The register's reasons are one line each, and every headline claim has a label short enough for the panel."""
    register = claims.load()
    assert all(len(c["reason"]) <= 120 and "\n" not in c["reason"] for c in register.values())
    headline = [c["id"] for c in register.values() if c.get("headline")]
    assert headline == ["F1", "F2", "F3", "F4", "F8", "F9", "D1", "D2", "D3", "D4", "D6"]


def test_the_largest_misses_are_ranked_by_how_far_they_are_from_what_the_report_said():
    small = judged(230.0, id="F2", label="Savings")  # 11 below 241: 5%
    large = judged(40.3, id="D3", label="Bed days", stated=3, unit="per cent growth")  # 13 times
    inside = judged(24.2, p10=18.0, p90=30.3, id="D1", label="Inside", stated=21, unit="per cent growth",
                    checks=[{"figure": "f", "interval": True}])
    held = judged(240.7, id="F4", label="Held")
    assert verdicts.gap(held) == 0 and verdicts.gap(inside) == 0
    assert verdicts.gap(large) == pytest.approx(37.3 / 3)
    assert verdicts.largest_misses([small, held, inside, large]) == (
        "Bed days (13 times the stated rise); Savings (£11.0m (5%) below)")
    assert verdicts.largest_misses([small, large], n=1) == "Bed days (13 times the stated rise)"
    assert verdicts.largest_misses([held, inside]) == ""
