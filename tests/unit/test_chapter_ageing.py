"""The ageing chapter's logic: its figures on the committed data, the sentences it builds, and the register's
verdicts reaching its prose."""

import json

import pytest

from helpers import DATA, ROOT
from sots import chapter, claims
from sots.chapters import ageing

pytestmark = pytest.mark.unit

GOLDEN = json.loads((ROOT / "tests" / "golden" / "2023-24" / "QE1.json").read_text())["figures"]


def run(icb: str, allocation_year: str = "2023/24", edition: str = "2023-24"):
    ch = chapter.open("ageing", edition=edition, icb=icb, data_dir=DATA)
    people = ageing.project(ch, base_year=2023, variant="v1")
    ageing.residents_and_registered(ch, people, allocation_year)
    return ch, people


def test_the_figures_are_the_golden_values():
    ch, _ = run("QE1")
    assert len(ch.figures) == 7 and set(ch.figures) <= set(GOLDEN)
    for figure, entry in ch.figures.items():
        assert entry["value"] == pytest.approx(GOLDEN[figure]["value"], abs=GOLDEN[figure]["tolerance"])
    assert "Eden removed" in ch.figures["pop_65plus_growth_2033_pct"]["method"]
    # the resident figure comes from the projection; only the registered one from NHS England's populations
    assert "icb_weighted_population" not in ch.figures["resident_population_m"]["inputs"]
    assert "icb_weighted_population" in ch.figures["registered_population_m"]["inputs"]


def test_the_registers_verdicts_reach_the_prose():
    ch, _ = run("QE1")
    served, multimorbid = ch.verdict(ageing.SERVED_KEY), ch.verdict(ageing.MULTIMORBID_KEY)
    assert (served.status, multimorbid.status) == (claims.REPRODUCED, claims.NOT_REPRODUCED)
    assert ch.glued["served_sentence"] == ("The report's 1.7 million is the resident figure and its 1.8 million the "
                                           "registered one: the claims register finds the claim reproduced.")
    assert ch.glued["multimorbid_status"] == claims.NOT_REPRODUCED
    assert ch.glued["multimorbid_doubling"] == "does not double on its own"
    growth = ch.figures["pop_85plus_growth_25y_pct"]["value"]
    assert ch.glued["multimorbid_prevalence_rise_pct"] == pytest.approx((2 / (1 + growth / 100) - 1) * 100)
    assert (ch.glued["multimorbid_claim"], ch.glued["served_claim"]) == (multimorbid.id, served.id)


def test_another_icb_has_no_eden_correction_no_localities_and_is_not_the_reports_population():
    ch, people = run("QHM")
    assert "Eden" not in ch.figures["pop_65plus_growth_2033_pct"]["method"]
    assert ageing.localities(ch, people) is None
    eden = ageing.eden(ch, people)
    assert ch.glued["eden_residents"] == 0 and (eden["Difference (points)"].dropna() == 0).all()
    assert ch.glued["served_sentence"].startswith("The report's 1.7 million is not the resident figure (2.97 million)")
    assert ch.glued["served_sentence"].endswith("the claims register finds the claim not reproduced.")


def test_lancashire_splits_into_localities_and_places():
    ch, people = run("QE1")
    localities, formats = ageing.localities(ch, people)
    assert set(localities["Locality"]) == {"Central Lancashire", "East Lancashire", "North Lancashire"}
    assert set(localities["Band"]) == {"65+", "85+"} and "Growth to 2043 (%)" in formats
    places, _ = ageing.place_growth(people)
    assert set(places["Place"]) == {"Lancashire", "Blackburn with Darwen", "Blackpool", "South Cumbria"}
    older = ageing.older_by_place(people)
    assert set(older["band"]) == {"65+", "75+", "85+"} and older["year"].min() == 2018
    pyramid = ageing.pyramid(people)
    assert set(pyramid["year"]) == {2023, 2043}
    assert pyramid.loc[pyramid["year"] == 2023, "persons"].sum() == pytest.approx(people.residents())


def test_prevalence_rise_needed_to_double():
    assert ageing.prevalence_rise_pct(100, 60) == pytest.approx(25.0)  # 2 / 1.6 = 1.25
    assert ageing.prevalence_rise_pct(100, 100) == 0.0
    assert ageing.prevalence_rise_pct(100, 120) == 0.0  # population growth alone suffices


def test_doubling_text_follows_the_registers_check():
    def check(computed):
        return claims.Check(figure="pop_85plus_growth_25y_pct", stated=100, unit="per cent growth", tolerance=5,
                            computed=computed)
    assert ageing.doubling_text(check(82.6)) == "does not double on its own"
    assert ageing.doubling_text(check(100)) == "more than doubles on its own"


def test_served_sentence_names_each_figure_the_report_missed():
    claim = claims.by_key(claims.load(), ageing.SERVED_KEY)
    results = {"resident_population_m": {"value": 1.70}, "registered_population_m": {"value": 1.95}}
    verdict = claims.evaluate(claim, results)
    assert verdict.status == claims.NOT_REPRODUCED
    assert ageing.served_sentence(verdict) == (
        "The report's 1.7 million is the resident figure and its 1.8 million not the registered one (1.95 million): "
        "the claims register finds the claim not reproduced.")
