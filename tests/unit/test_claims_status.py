"""The claims register's schema and the status each rule computes, at the tolerance boundaries."""

from __future__ import annotations

import re

import pytest
import yaml

from sots import claims
from sots.errors import InputError

pytestmark = pytest.mark.unit


def claim(**over) -> dict:
    base = {"id": "F2", "claim": "x", "stated": 241, "unit": "GBP million", "rule": "reproduced",
            "figures": ["savings"], "tolerance": 0.5, "explanation": "e", "chapter": "notebooks/finance"}
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
    assert "share gives 65 against the stated 60" in verdict.explanation and "+5, beyond" in verdict.explanation


def test_stated_only_and_missing_figures():
    c = claim(rule="stated only", figures=["savings"])
    verdict = claims.evaluate(c, results(6.0))
    assert verdict.status == claims.STATED_ONLY and verdict.context == {"savings": 6.0} and verdict.checks == ()
    missing = claims.evaluate(claim(), {})
    assert missing.status == claims.STATED_ONLY and "lacks a figure" in missing.explanation


def test_the_explanation_gives_the_gap_of_a_claim_not_reproduced():
    verdict = claims.evaluate(claim(), results(230.0))
    assert "gives 230.0 against the stated 241 (GBP million): a difference of -11.0, beyond the tolerance of 0.5" \
        in verdict.explanation
    assert verdict.gap == pytest.approx(11 / 241)


def test_counts_and_discrepancies():
    vs = [claims.evaluate(claim(id=f"F{i}"), results(v)) for i, v in enumerate((241, 230, 100, 241.9), 1)]
    assert claims.counts(vs) == {"reproduced": 1, "consistent": 0, "not reproduced": 3, "stated only": 0}
    assert [v.id for v in claims.discrepancies(vs, 2)] == ["F3", "F2"]


@pytest.mark.parametrize(("change", "message"), [
    ({"rule": "maybe"}, "claim F2: field 'rule': 'maybe' is not one of"),
    ({"tolerance": -1}, "claim F2: field 'tolerance': -1 is less than the minimum of 0"),
    ({"stated": "241"}, "claim F2: field 'stated': '241' is not of type"),
    ({"chapter": "finance"}, "claim F2: field 'chapter': 'finance' does not match"),
    ({"figures": []}, "claim F2: field 'figures': [] should be non-empty"),
    ({"checks": [{"figure": "savings", "scal": 2}]}, "claim F2: Additional properties are not allowed ('scal'"),
    ({"rule": "stated only", "checks": [{"figure": "savings"}]}, "claim F2: field 'checks' is not allowed"),
    ({"checks": [{"figure": "other"}]}, "claim F2: field 'checks': figure 'other' is not in its figures"),
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
    assert {"D7", *(f"Q{i}" for i in range(1, 9))} <= set(stated_only)


def test_decimals_follow_the_tolerance():
    assert [claims.decimals(t) for t in (0, 0.5, 0.05, 5, 1)] == [0, 1, 2, 0, 0]


def test_the_table_escapes_text_shows_a_text_badge_and_links_to_the_chapter():
    verdicts = [claims.evaluate(claim(claim="A & B <i>"), results(240.7)),
                claims.evaluate(claim(id="Q1", rule="stated only", figures=[], chapter="book/intro"), {})]
    table = claims.rows(verdicts, {"notebooks/finance": "Savings"})
    first, second = table.iloc[0], table.iloc[1]
    assert first["What the report said (paraphrased)"] == "A &amp; B &lt;i&gt;"
    assert (first["Stated"], first["Computed"], first["Difference"]) == ("241 (GBP million)", "240.7", "-0.3")
    # The badge's border is the status's colour in the claims page's chart.
    assert first["Status"] == (f'<span class="sots-badge sots-badge-reproduced" style="border-color: '
                               f'{claims.STATUS_COLOURS["reproduced"]}">✓ reproduced</span>')
    assert first["Evidence"] == '<a href="finance.html">Savings</a>'
    assert second["Evidence"] == '<a href="../book/intro.html">book/intro</a>' and second["Computed"] == "–"
    assert "stated only" in second["Status"]
    assert claims.discrepancy_text(verdicts) == "none"


def test_a_figure_not_computed_gives_its_chapters_reason():
    verdict = claims.evaluate(claim(), {"savings": {"value": None, "not_computed": "No published figure for 2024/25."}})
    assert verdict.status == claims.STATED_ONLY
    assert "This edition does not compute savings. No published figure for 2024/25." in verdict.explanation


def test_a_figure_no_chapter_records_is_named_with_the_nearest_id():
    register = {"F2": claim(figures=["savings_delivered_gbp_mm"]), "F3": claim(id="F3", figures=["share"])}
    recorded = {"savings_delivered_gbp_m": {"value": 240.7}, "share": {"value": None, "not_computed": "why"}}
    (problem,) = claims.unrecorded_figures(register, recorded)
    assert problem == ("claims.yml: claim F2, field 'figures': expected a figure a chapter records, got "
                       "'savings_delivered_gbp_mm', which no chapter records or declares not computed; did you mean "
                       "'savings_delivered_gbp_m'?")
    assert claims.unrecorded_figures({"F3": register["F3"]}, recorded) == []


def test_a_chapters_verdicts_in_one_sentence_name_each_status_with_its_claims():
    verdicts = [claims.evaluate(claim(id="F2"), results(241.0)), claims.evaluate(claim(id="F3"), results(300.0)),
                claims.evaluate(claim(id="F4"), results(250.0))]
    assert claims.summary(verdicts) == (
        "Of the report's 3 claims checked here, 1 is reproduced (F2) and 2 are not reproduced (F3, F4).")
    assert claims.summary(verdicts[:1]) == "Of the report's 1 claim checked here, 1 is reproduced (F2)."
    assert claims.summary([]) == ""
