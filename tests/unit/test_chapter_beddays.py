"""The bed days chapter's logic: its figures on the committed data, the sentences it builds, and the register's
verdicts reaching its prose and tables."""

import json

import pytest

from helpers import DATA, ROOT
from sots import chapter, claims
from sots.chapters import beddays

pytestmark = pytest.mark.unit

GOLDEN = json.loads((ROOT / "tests" / "golden" / "2023-24" / "QE1.json").read_text())["figures"]


@pytest.fixture(scope="module")
def run():
    """The chapter run once for Lancashire and South Cumbria with its defaults (what it glued is ``ch.glued``)."""
    ch = chapter.open("beddays", edition="2023-24", icb="QE1", data_dir=DATA)
    bd = beddays.project(ch, base_year=2023, runs=1000, seed=2024)
    found = beddays.search(ch, bd)
    avoided = beddays.scenario(ch, bd)
    return ch, bd, found, avoided


def test_the_four_figures_and_the_scenario_are_the_golden_values(run):
    ch, *_ = run
    for figure in [*beddays.FIGURES.values(), "jean_bishop_beddays_avoided_2033"]:
        assert ch.figures[figure]["value"] == pytest.approx(GOLDEN[figure]["value"], abs=GOLDEN[figure]["tolerance"])
    entry = ch.figures["beddays_65plus_growth_2033_pct"]
    assert entry["p10"] < entry["p50"] < entry["p90"]
    assert {k: entry["inputs"][k] for k in ("base_year", "target_year", "variant", "runs", "seed")} == {
        "base_year": 2023, "target_year": 2033, "variant": "v1", "runs": 1000, "seed": 2024}
    assert set(entry["inputs"]) >= {"icb_lookup", "population_projection", "population_estimates", "activity_rates"}


def test_the_same_seed_gives_the_same_interval_and_another_seed_another(run):
    ch, *_ = run
    again = chapter.open("beddays", edition="2023-24", icb="QE1", data_dir=DATA)
    beddays.project(again, base_year=2023, runs=1000, seed=2024)
    other = chapter.open("beddays", edition="2023-24", icb="QE1", data_dir=DATA)
    beddays.project(other, base_year=2023, runs=1000, seed=7)
    figure = "beddays_85plus_growth_2043_pct"
    assert again.figures[figure]["p10"] == ch.figures[figure]["p10"]
    assert other.figures[figure]["p10"] != ch.figures[figure]["p10"]
    assert other.figures[figure]["value"] == ch.figures[figure]["value"]  # the central figure is not drawn


def test_the_four_figures_table_shows_the_registers_status_of_each_claim(run):
    ch, bd, *_ = run
    table, formats = beddays.four_figures(ch, bd)
    expected = [claims.evaluate(claims.by_key(ch.register, f), ch.figures).status for f in beddays.FIGURES.values()]
    assert list(table["Status"]) == expected
    # On the committed data: the over-65s to 2033 and over-85s to 2043 lie inside the Monte Carlo range
    assert expected == [claims.CONSISTENT, claims.NOT_REPRODUCED, claims.NOT_REPRODUCED, claims.CONSISTENT]
    assert list(table["Claim"]) == [claims.by_key(ch.register, f)["id"] for f in beddays.FIGURES.values()]
    assert list(table["Report (%)"]) == [21, 63, 3, 63]
    assert formats["Report (%)"] == "{:+.0f}" and formats["Base 2023 (%)"] == "{:+.1f}"


def test_the_method_search_finds_a_method_for_every_claim_but_the_over_85s_to_2033(run):
    ch, _, found, _ = run
    d3 = claims.by_key(ch.register, "beddays_85plus_growth_2033_pct")["id"]
    assert found.unreached == [d3]
    assert ch.glued["flag_sentence"] == f"No method tried reaches {d3}, which is not reproduced."
    # each method reported as reaching a claim is within the claim's tolerance, as the register compares
    for row in found.closest.itertuples():
        claim = claims.by_key(ch.register, beddays.FIGURES[found.figures[row.Claim]])
        assert row.Reached == (abs(row.growth_pct - claim["stated"]) <= claim["tolerance"])
    assert ch.glued["over65_second_decade_implied_pct"] == pytest.approx((1.63 / 1.21 - 1) * 100)
    assert ch.glued["base_sentence"].endswith("2023 is the more plausible base, and this book's default.")
    assert ch.glued["claims_65plus"] == "D1, D2" and ch.glued["claims_85plus"] == "D3, D4"


def test_the_scenario_cuts_over_80s_unplanned_bed_days_by_the_stated_reduction(run):
    ch, _, _, avoided = run
    cut = claims.by_key(ch.register, beddays.SCENARIO_KEY)["stated"]
    assert ch.glued["jb_cut_pct"] == pytest.approx(cut)
    assert ch.figures["jean_bishop_beddays_avoided_2033"]["inputs"]["reduction"] == cut / 100
    assert sorted(avoided) == [2023, 2033, 2043] and avoided[2023] < avoided[2033] < avoided[2043]
    assert ch.glued["jb_beds_2033"] == pytest.approx(avoided[2033] / 365 / 0.92)


def test_the_eden_correction_moves_lancashire_and_south_cumbrias_figures_by_under_a_point(run):
    _, bd, *_ = run
    eden = beddays.eden(bd)
    assert len(eden) == 4 and (eden["Difference (points)"].abs() < 1).all() and (eden["Difference (points)"] != 0).all()


def _verdict(cid: str, stated: float, value: float, p10: float, p90: float) -> claims.Verdict:
    claim = {"id": cid, "stated": stated, "unit": "per cent growth", "rule": claims.REPRODUCED, "tolerance": 0.5,
             "figures": ["x"], "checks": [{"figure": "x", "interval": True}], "explanation": "", "chapter": "c"}
    return claims.evaluate(claim, {"x": {"value": value, "p10": p10, "p90": p90}})


def test_the_flag_sentence_says_each_unreached_claims_status_as_the_register_gives_it():
    outside, inside = _verdict("D3", 3, 40.3, 33.1, 47.4), _verdict("D4", 63, 70.3, 51.1, 88.2)
    assert (outside.status, inside.status) == (claims.NOT_REPRODUCED, claims.CONSISTENT)
    assert beddays.flag_sentence([]) == "Every figure is reached by at least one method tried."
    assert beddays.flag_sentence([outside]) == "No method tried reaches D3, which is not reproduced."
    assert beddays.flag_sentence([outside, outside]) == "No method tried reaches D3, D3, which are not reproduced."
    assert (beddays.flag_sentence([outside, inside])
            == "No method tried reaches D3, D4: D3 is not reproduced; D4 is consistent.")


def test_the_base_sentence_names_the_nearer_base_and_whether_it_is_the_default():
    gaps = {2022: 33.84, 2023: 30.41}
    assert beddays.base_sentence(gaps, ["D1", "D4"], 2023) == (
        "On the principal projection with all bed days, a 2022 base is 33.8 points from D1, D4 in total and a 2023 "
        "base 30.4: 2023 is the more plausible base, and this book's default.")
    assert beddays.base_sentence(gaps, ["D1", "D4"], 2022).endswith("2023 is the more plausible base.")
