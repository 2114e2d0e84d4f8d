"""The claims register's schema and the status each rule computes, at the tolerance boundaries."""

from __future__ import annotations

import re

import pytest
import yaml

from sots.analysis import claims
from sots.chapters import statuses
from sots.errors import InputError

pytestmark = pytest.mark.unit


def claim(**over) -> dict:
    base = {"id": "F2", "label": "Savings delivered", "reason": "The published outturn, rounded.", "claim": "x",
            "stated": 241, "unit": "GBP million", "rule": "reproduced", "figures": ["savings"], "tolerance": 0.5,
            "explanation": "e", "chapter": "notebooks/finance"}
    return {**base, **over}


def results(value, **more) -> dict:
    return {"savings": {"value": value, **more}}


@pytest.mark.parametrize(("computed", "status"), [
    (241.5, claims.REPRODUCED), (240.5, claims.REPRODUCED), (241.0, claims.REPRODUCED),
    (241.500001, claims.NOT_REPRODUCED), (240.499999, claims.NOT_REPRODUCED), (300.0, claims.NOT_REPRODUCED),
])
def test_reproduced_exactly_at_the_tolerance_and_not_beyond_it(computed, status):
    assert claims.evaluate(claim(), results(computed)).status == status


def test_floating_point_error_at_the_boundary_does_not_flip_the_status():
    # 6.65 - 6.6 is 0.05000000000000071 in floating point: still within a tolerance of 0.05.
    assert claims.evaluate(claim(stated=6.6, tolerance=0.05), results(6.65)).status == claims.REPRODUCED
    assert claims.evaluate(claim(stated=6.6, tolerance=0.05), results(6.6501)).status == claims.NOT_REPRODUCED


def test_a_zero_tolerance_rank_must_match_exactly():
    c = claim(stated=2, tolerance=0)
    assert claims.evaluate(c, results(2)).status == claims.REPRODUCED
    assert claims.evaluate(c, results(3)).status == claims.NOT_REPRODUCED


def test_a_proxy_rule_gives_consistent_and_an_interval_counts_as_consistent():
    assert claims.evaluate(claim(rule="consistent"), results(241.2)).status == claims.CONSISTENT
    c = claim(stated=21, checks=[{"figure": "savings", "interval": True}])
    assert claims.evaluate(c, results(24.2, p10=21.0, p90=30.0)).status == claims.CONSISTENT  # on the p10 edge
    assert claims.evaluate(c, results(24.2, p10=21.1, p90=30.0)).status == claims.NOT_REPRODUCED
    # Without interval: true the interval is not used.
    assert claims.evaluate(claim(stated=21), results(24.2, p10=18.0, p90=30.0)).status == claims.NOT_REPRODUCED


def test_scale_turns_millions_into_billions_and_every_check_must_hold():
    c = claim(stated=4.5, tolerance=0.05, figures=["savings", "share"], checks=[
        {"figure": "savings", "scale": 0.001}, {"figure": "share", "stated": 60, "tolerance": 5}])
    both = {"savings": {"value": 4550.0}, "share": {"value": 65.0}}
    assert claims.evaluate(c, both).status == claims.REPRODUCED
    one_off = {"savings": {"value": 4550.0}, "share": {"value": 65.1}}
    verdict = claims.evaluate(c, one_off)
    assert verdict.status == claims.NOT_REPRODUCED
    assert "share gives 65 against the stated 60" in verdict.technical and "+5, beyond" in verdict.technical


def test_a_figure_that_misses_is_not_reproduced_even_when_another_is_missing():
    # The budget is computed and misses; the hospital share is not computed: one number of the claim is shown wrong,
    # so the claim is not reproduced, never "stated only".
    c = claim(stated=4.5, tolerance=0.05, figures=["savings", "share"], checks=[
        {"figure": "savings", "scale": 0.001}, {"figure": "share", "stated": 60, "tolerance": 5}])
    missing_share = {"savings": {"value": 4136.1}, "share": {"value": None, "not_computed": "No trust accounts."}}
    assert claims.evaluate(c, missing_share).status == claims.NOT_REPRODUCED
    # When what is computed holds, the claim waits for the missing figure, and says why.
    holding = {"savings": {"value": 4510.0}, "share": {"value": None, "not_computed": "No trust accounts."}}
    verdict = claims.evaluate(c, holding)
    assert verdict.status == claims.STATED_ONLY and "No trust accounts." in verdict.note


@pytest.mark.parametrize("values", [(v, s) for v in (None, 4000.0, 4500.0, 4600.0) for s in (None, 50.0, 60.0, 70.0)])
def test_no_computed_figure_that_misses_leaves_a_claim_stated_only(values):
    """The rule F8 broke: whatever is missing, a claim with a computed figure outside its tolerance is not reproduced,
    and a claim is reproduced only when every figure is computed and holds."""
    c = claim(stated=4.5, tolerance=0.05, figures=["savings", "share"], checks=[
        {"figure": "savings", "scale": 0.001}, {"figure": "share", "stated": 60, "tolerance": 5}])
    total, share = values
    verdict = claims.evaluate(c, {"savings": {"value": total}, "share": {"value": share}})
    computed = [ch for ch in verdict.checks if ch.computed is not None]
    if any(not ch.holds for ch in computed):
        assert verdict.status == claims.NOT_REPRODUCED
    elif len(computed) < 2:
        assert verdict.status == claims.STATED_ONLY
    else:
        assert verdict.status == claims.REPRODUCED


def test_stated_only_and_missing_figures():
    c = claim(rule="stated only", figures=["savings"])
    verdict = claims.evaluate(c, results(6.0))
    assert verdict.status == claims.STATED_ONLY and verdict.context == {"savings": 6.0} and verdict.checks == ()
    missing = claims.evaluate(claim(), {})
    assert missing.status == claims.STATED_ONLY and "lack one it needs" in missing.explanation


def test_the_technical_line_gives_the_gap_by_figure_id_and_the_explanation_is_the_registers():
    verdict = claims.evaluate(claim(), results(230.0))
    assert "gives 230.0 against the stated 241 (GBP million): a difference of -11.0, beyond the tolerance of 0.5" \
        in verdict.technical
    assert verdict.explanation == "e" and verdict.label == "Savings delivered"


def test_counts():
    vs = [claims.evaluate(claim(id=f"F{i}"), results(v)) for i, v in enumerate((241, 230, 100, 241.9), 1)]
    assert claims.counts(vs) == {"reproduced": 1, "consistent": 0, "not reproduced": 3, "stated only": 0}


def test_an_assumption_the_claim_needs_is_read_with_its_unit():
    c = claim(stated=60, unit="per cent growth", figures=["growth", "other"], checks=[{"figure": "growth"}],
              assumption={"figure": "other", "holds_with": "{value} of other growth"})
    found = {"growth": {"value": 11.4}, "other": {"value": 2.44, "unit": "per cent a year"}}
    assert claims.evaluate(c, found).assumed == (2.44, "per cent a year")
    assert claims.evaluate(c, {"growth": {"value": 11.4}, "other": {"value": None}}).assumed is None


@pytest.mark.parametrize(("change", "message"), [
    ({"rule": "maybe"}, "claim F2: field 'rule': 'maybe' is not one of"),
    ({"tolerance": -1}, "claim F2: field 'tolerance': expected a finite number, 0 or more, in the stated unit, got -1"),
    ({"stated": "241"}, "claim F2: field 'stated': expected a finite number in the claim's unit, or null for a claim "
                        "that states none, got '241'"),
    ({"chapter": "finance"}, "claim F2: field 'chapter': 'finance' does not match"),
    ({"figures": []}, "claim F2: field 'figures': [] should be non-empty"),
    ({"checks": [{"figure": "savings", "scal": 2}]}, "claim F2: Additional properties are not allowed ('scal'"),
    ({"rule": "stated only", "checks": [{"figure": "savings"}]}, "claim F2: field 'checks' is not allowed"),
    ({"checks": [{"figure": "other"}]}, "claim F2: field 'checks': figure 'other' is not in its figures"),
    ({"reason": "The outturn was £240.7m."}, "claim F2: field 'reason': expected one line of up to 120 characters "
                                             "quoting no amount or share"),
    ({"reason": "It is 0.2 per cent off."}, "claim F2: field 'reason': expected one line"),
    ({"label": "x" * 61}, "claim F2: field 'label': expected a short name in plain words, up to 60 characters"),
    ({"assumption": {"figure": "savings", "holds_with": "some growth"}},
     "claim F2: field 'assumption.holds_with': expected the words for the assumption, with {value} where"),
    ({"assumption": {"figure": "other", "holds_with": "{value} of growth"}},
     "claim F2: field 'assumption': figure 'other' is not in its figures"),
])
def test_the_schema_rejects_a_bad_entry_naming_file_claim_and_field(tmp_path, change, message):
    path = tmp_path / "claims.yml"
    path.write_text(yaml.safe_dump({"claims": [claim(id="F1"), claim(**change)]}))
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")) as raised:
        claims.load(path)
    assert "\n" not in str(raised.value)


def test_a_missing_field_is_named_with_its_claim(tmp_path):
    path = tmp_path / "claims.yml"
    entry = claim()
    del entry["explanation"]
    path.write_text(yaml.safe_dump({"claims": [entry]}))
    with pytest.raises(InputError, match=re.escape(f"{path}: claim F2: missing field 'explanation'")):
        claims.load(path)


def test_the_project_register_covers_every_claim_of_the_report_and_ships_its_schema():
    register = claims.load()
    expected = [f"F{i}" for i in range(1, 10)] + [f"D{i}" for i in range(1, 8)] + [f"Q{i}" for i in range(1, 9)]
    assert sorted(register) == sorted(expected)
    assert claims.schema()["title"].startswith("The claims register")
    stated_only = [c["id"] for c in register.values() if c["rule"] == claims.STATED_ONLY]
    assert {"D7", "Q1", "Q3", "Q4"} <= set(stated_only)
    # The quality chapter checks these against open data and published pages (issue 24).
    checked = ("Q2", "Q5", "Q6", "Q7", "Q8")
    assert {register[c]["rule"] for c in checked} <= {claims.REPRODUCED, claims.CONSISTENT}
    assert {register[c]["chapter"] for c in checked} == {"notebooks/quality"}


def test_decimals_follow_the_tolerance():
    assert [claims.decimals(t) for t in (0, 0.5, 0.05, 5, 1)] == [0, 1, 2, 0, 0]


def test_a_figure_not_computed_gives_its_chapters_reason():
    verdict = claims.evaluate(claim(), {"savings": {"value": None, "not_computed": "No published figure for 2024/25."}})
    assert verdict.status == claims.STATED_ONLY
    assert "No published figure for 2024/25." in verdict.explanation
    assert "This edition does not compute savings. No published figure for 2024/25." in verdict.technical


def test_chapter_links_and_badge_words():
    assert statuses.chapter_href("notebooks/finance") == "finance.html"
    assert statuses.chapter_href("book/intro") == "../book/intro.html"
    assert statuses.chapter_href("notebooks/finance", page_folder="book") == "../notebooks/finance.html"
    assert statuses.BADGE_TEXT == {"reproduced": "Reproduced", "consistent": "Consistent",
                                 "not reproduced": "Not reproduced", "stated only": "Stated only"}


def test_a_figure_no_chapter_records_is_named_with_the_nearest_id():
    register = {"F2": claim(figures=["savings_delivered_gbp_mm"]), "F3": claim(id="F3", figures=["share"])}
    recorded = {"savings_delivered_gbp_m": {"value": 240.7}, "share": {"value": None, "not_computed": "why"}}
    (problem,) = claims.unrecorded_figures(register, recorded)
    assert problem == ("claims.yml: claim F2, field 'figures': expected a figure a chapter records, got "
                       "'savings_delivered_gbp_mm', which no chapter records or declares not computed; did you mean "
                       "'savings_delivered_gbp_m'?")
    assert claims.unrecorded_figures({"F3": register["F3"]}, recorded) == []
