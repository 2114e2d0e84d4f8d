"""The budget chapter's logic on the committed data: its figures, the register's verdict in its prose, its tables."""

import json

import pandas as pd
import pytest

from helpers import DATA, ROOT
from sots import chapter, claims
from sots.chapters import budget

pytestmark = pytest.mark.unit

GOLDEN = json.loads((ROOT / "tests" / "golden" / "2023-24" / "QE1.json").read_text())["figures"]


@pytest.fixture(scope="module")
def run():
    """The chapter for QE1 at 2023/24 prices, 2023 to 2038, as the report edition's build runs it."""
    ch = chapter.open("budget", edition="2023-24", icb="QE1", data_dir=DATA)
    return ch, budget.record(ch, "2023/24", 2023, 2038)


def test_the_figures_are_the_golden_ones_and_reach_the_stated_rise(run):
    ch, b = run
    for figure_id in ("hospital_cost_demographic_growth_2038_pct", "implied_non_demographic_growth_pa_pct"):
        assert ch.figures[figure_id]["value"] == pytest.approx(GOLDEN[figure_id]["value"],
                                                               abs=GOLDEN[figure_id]["tolerance"])
    stated = claims.by_key(claims.load(), budget.CLAIM)["stated"]
    assert b.claimed_pct == stated == 60
    assert (1 + b.demographic_growth) * (1 + b.implied_growth) ** 15 == pytest.approx(1 + stated / 100)
    assert list(ch.tables_read) == ["icb_lookup", "population_estimates", "population_projection", "activity_rates",
                                    "unit_costs"]
    assert ch.figures["implied_non_demographic_growth_pa_pct"]["inputs"]["claimed_growth_pct"] == 60


def test_the_prose_quotes_the_registers_verdict_and_claim_id(run):
    ch, b = run
    assert ch.verdict(budget.CLAIM).status == claims.NOT_REPRODUCED  # 11.4% by demography against a stated 60%
    assert ch.glued["claim_verdict"] == "not reproduced by demography alone"
    assert ch.glued["budget_claims"] == "F9"
    assert ch.glued["base_cost_m"] == pytest.approx(b.total["2023"] / 1e6) and ch.glued["years"] == 15
    assert ch.glued["nondem_share_pct"] == pytest.approx((1 - b.demographic_growth / 0.6) * 100)


@pytest.mark.parametrize("status, text", [
    (claims.REPRODUCED, "reproduced by demography alone"),
    (claims.NOT_REPRODUCED, "not reproduced by demography alone"),
    (claims.STATED_ONLY, "not checked in this edition"),
])
def test_verdict_text_passes_the_status_through(status, text):
    assert budget.verdict_text(status) == text


def test_the_activities_add_up_to_the_total(run):
    _, b = run
    split = budget.by_activity(b)
    assert split["£m in 2023"].sum() == pytest.approx(b.total["2023"] / 1e6)
    assert split["£m in 2038"].sum() == pytest.approx(b.total["2038"] / 1e6)
    assert "Unplanned admissions" in set(split["Activity"])
    assert set(budget.by_activity_formats(b)) == set(split.columns) - {"Activity"}


def test_the_age_profile_times_the_population_is_the_total(run):
    _, b = run
    profile = budget.age_profile(b).set_index(["sex", "age"])["value"]
    people = b.population.groupby(["sex", "age"])["2023"].sum()
    assert (profile * people.reindex(profile.index)).sum() == pytest.approx(b.total["2023"])
    assert profile.index.get_level_values("age").min() == 17  # no rates under 17


def test_the_waterfalls_end_at_demography_alone_and_at_the_stated_rise(run):
    _, b = run
    base = b.total["2023"] / 1e6
    none = budget.scenario_steps(b, 0.0)
    assert list(none["step"]) == ["2023", "Demography", "Other: 0% a year", "2038"]
    assert none["end"].iloc[-1] == pytest.approx(b.total["2038"] / 1e6)
    implied = budget.implied_steps(b)
    assert implied["step"].iloc[2] == f"Other: {b.implied_growth * 100:.2f}% a year"
    assert implied["end"].iloc[-1] == pytest.approx(base * 1.6)
    assert budget.implied_title(b) == "Hospital cost reaching +60% by 2038"


def test_the_published_series_includes_eden_and_differs_only_for_lancashire_and_south_cumbria(run):
    ch, b = run
    effect = budget.footprint_effect(ch, b).set_index("Figure")
    assert effect.loc["Demographic growth to 2038 (%)", "This book"] == pytest.approx(b.demographic_growth * 100)
    assert effect["Difference (points)"].abs().max() > 0
    other = chapter.open("budget", edition="2023-24", icb="QHM", data_dir=DATA)
    made = budget.record(other, "2023/24", 2023, 2038)
    assert (budget.footprint_effect(other, made)["Difference (points)"] == 0).all()  # one ONS series either way
    assert isinstance(effect, pd.DataFrame)
