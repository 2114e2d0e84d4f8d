"""The ageing chapter's logic: its figures on the committed data, the sentences it builds, and the report's verdicts
reaching its prose: in the report's edition, in a later one (on the report's own year's figures), and never in a
book for another ICB."""

import json
import re

import nbformat
import pytest

from helpers import ANOTHER_ICB, DATA, ROOT, report_results_file
from sots import escape
from sots.analysis import claims
from sots.chapters import ageing
from sots.chapters import context as chapter

pytestmark = pytest.mark.unit

GOLDEN = json.loads((ROOT / "tests" / "golden" / "2023-24" / "QE1.json").read_text())["figures"]
LATER, LATER_YEAR = "2024-25", "2024/25"  # an edition after the report's, and its allocation year
# Every glue name a notebook's prose reads: {glue:text}`name:fmt`, {glue:md}`name` and ```{glue:md} name.
GLUE_NAME = re.compile(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)|```\{glue(?::\w+)?\}\s+([A-Za-z0-9_]+)")


def run(icb: str = "QE1", allocation_year: str = "2023/24", edition: str = "2023-24", report_results: str = ""):
    """The chapter as its notebook runs it, from the setup line to the verdicts' summary."""
    ch = chapter.open("ageing", root=ROOT, edition=edition, icb=icb, data_dir=DATA, report_results=report_results)
    people = ageing.project(ch, base_year=2023, variant="v1")
    ageing.localities(ch, people)
    ageing.residents_and_registered(ch, people, allocation_year)
    ageing.eden(ch, people)
    ch.glue("claims_summary", ch.claims_summary())
    return ch, people


def text(ch, name: str) -> str:
    """A glued value as the page shows it: a Markdown object's text, or the value itself."""
    value = ch.glued[name]
    return getattr(value, "data", value)


def prose_names(notebook: str) -> set[str]:
    """The glue names the notebook's markdown cells read."""
    nb = nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
    return {a or b for cell in nb.cells if cell.cell_type == "markdown" for a, b in GLUE_NAME.findall(cell.source)}


@pytest.fixture(scope="module")
def report():
    """The report's own book: Lancashire and South Cumbria in the report's edition."""
    return run()


@pytest.fixture(scope="module")
def report_results(report, tmp_path_factory):
    """The report edition's figures, as the build gives a later edition (results.json of 2023-24 for QE1)."""
    return report_results_file(tmp_path_factory.mktemp("report"), report[0].figures)


def test_the_figures_are_the_golden_values(report):
    ch, _ = report
    assert len(ch.figures) == 8
    for figure in set(ch.figures) & set(GOLDEN):
        assert ch.figures[figure]["value"] == pytest.approx(GOLDEN[figure]["value"], abs=GOLDEN[figure]["tolerance"])
    growth = ch.figures["pop_85plus_growth_25y_pct"]["value"]
    assert ch.figures["multimorbid_85plus_prevalence_rise_needed_pct"]["value"] == pytest.approx(
        (2 / (1 + growth / 100) - 1) * 100)
    assert "Eden removed" in ch.figures["pop_65plus_growth_2033_pct"]["method"]
    # the resident figure comes from the projection; only the registered one from NHS England's populations
    assert "icb_weighted_population" not in ch.figures["resident_population_m"]["inputs"]
    assert "icb_weighted_population" in ch.figures["registered_population_m"]["inputs"]


@pytest.mark.parametrize("icb", ["QE1", ANOTHER_ICB])
def test_the_notebook_reads_only_what_the_module_glues(icb):
    ch, _ = run(icb)
    assert prose_names("ageing") <= set(ch.glued)


def test_the_report_edition_gives_the_reports_verdicts_with_their_numbers(report):
    ch, _ = report
    served, multimorbid = ch.verdict(ageing.SERVED_KEY), ch.verdict(ageing.MULTIMORBID_KEY)
    assert (served.status, multimorbid.status) == (claims.REPRODUCED, claims.NOT_REPRODUCED)
    assert text(ch, "multimorbid_finding") == (
        "Over the 25 years from 2018 to 2043, the number of over-85s grows by 82.6%: the population does not double "
        "on its own. The report says the number of over-85s with several long-term conditions is likely to double "
        "within 25 years. No open data give the share of over-85s who have several conditions, so only the "
        "population part is checked. **Not reproduced.** +83% against the report's +100%: 17 points below. It "
        "holds only with a 9.5% rise in the share of over-85s who have several long-term conditions, which the "
        "report does not state.")
    assert text(ch, "served_finding") == (
        "NHS England counted 1.82 million people on the ICB's GP practice lists for 2023/24, 7.1% more than its 1.70 "
        "million residents. The report's 1.7 million is the resident population (1.70 million) and its 1.8 million "
        "the registered one (1.82 million): **reproduced**.")
    assert text(ch, "served_paragraph").endswith("7.1% more. " + text(ch, "served_finding").split("residents. ")[1])
    assert text(ch, "intro_claims") == (
        "It checks two of the report's claims: that the number of over-85s with several long-term conditions is "
        "likely to double within 25 years, and that the system serves about 1.7 million people (about 1.8 million "
        "elsewhere in the report).")
    # readers need no claim ids: none is glued into the prose
    ids = {multimorbid.id, served.id}
    assert not [name for name, value in ch.glued.items() if isinstance(value, str) and value in ids]
    assert not any(re.search(rf"\b{cid}\b", str(text(ch, name))) for name in ch.glued for cid in ids)


def test_a_later_edition_gives_the_report_years_verdict_then_what_its_own_data_give(report_results):
    ch, _ = run(allocation_year=LATER_YEAR, edition=LATER, report_results=report_results)
    finding = text(ch, "multimorbid_finding")
    assert ("**Not reproduced**, on the data of the report's own year, 2023/24. +83% against the report's +100%: "
            "17 points below.") in finding
    assert finding.endswith("Since the report: 2024/25 data give the same, +83%.")
    served = text(ch, "served_finding")
    assert served.startswith("NHS England counted 1.82 million people on the ICB's GP practice lists for 2024/25")
    assert ("On the data of the report's own year, 2023/24, the report's 1.7 million is the resident population "
            "(1.70 million) and its 1.8 million the registered one (1.82 million): **reproduced**.") in served
    assert "2024/25 data give the same, 1.70 million; 1.825 million, against 1.820 million in 2023/24" in served


def test_a_later_editions_verdicts_are_on_the_report_years_figures_not_its_own(report, tmp_path):
    """Figures of the report's year that differ from the later edition's: the verdict quotes the report year's, the
    'since' its own."""
    path = report_results_file(tmp_path, report[0].figures, registered_population_m=1.95,
                               pop_85plus_growth_25y_pct=98.0)
    ch, _ = run(allocation_year=LATER_YEAR, edition=LATER, report_results=path)
    served = text(ch, "served_finding")
    assert ("its 1.8 million not the registered one (1.95 million): **not reproduced**. Since the report: 2024/25 "
            "data give the same, 1.70 million; 1.82 million, against 1.95 million in 2023/24."
            ) in served
    finding = text(ch, "multimorbid_finding")
    assert "**Consistent**, on the data of the report's own year, 2023/24. +98%, matching the report's +100%" in finding
    assert finding.endswith("Since the report: 2024/25 data give +83%, against +98% in 2023/24.")


def test_a_later_edition_run_by_hand_says_why_it_gives_no_verdict():
    ch, _ = run(allocation_year=LATER_YEAR, edition=LATER)
    given = escape.markdown(chapter.NOT_GIVEN)  # as the findings' Markdown holds it
    for name in ("multimorbid_finding", "served_finding"):
        assert text(ch, name).endswith(given)
        assert "reproduced" not in text(ch, name).lower().replace(given.lower(), "")


@pytest.mark.parametrize("edition, year, lists", [
    ("2023-24", "2023/24", "0.60 million people on the ICB's GP practice lists for 2023/24, 1.2% more"),
    (LATER, LATER_YEAR, "0.61 million people on the ICB's GP practice lists for 2024/25, 2.0% more"),
])
def test_another_icbs_book_gives_its_own_figures_ungraded(edition, year, lists):
    ch, people = run("QT6", allocation_year=year, edition=edition)
    assert ch.figures["pop_85plus_growth_25y_pct"]["value"] > 100  # Cornwall's over-85s more than double
    assert ch.figures["multimorbid_85plus_prevalence_rise_needed_pct"]["value"] == 0
    assert text(ch, "multimorbid_finding") == (
        "Over the 25 years from 2018 to 2043, the number of over-85s grows by 104.4%: the population more than "
        "doubles on its own. So the number of over-85s with several long-term conditions would double even if the "
        "share of over-85s who have them stayed as it is.")
    assert text(ch, "served_finding") == f"NHS England counted {lists} than its 0.60 million residents."
    assert text(ch, "localities_text") == ("Cornwall and the Isles of Scilly's places are not split into localities "
                                          "in this book, so there is no table here.")
    assert text(ch, "eden_text") == ("Cornwall and the Isles of Scilly's published ONS series is used as it is, so "
                                     "the two columns are the same.")
    # No grading, no claim id, no stated value and no Lancashire anywhere but the one sentence that says whose the
    # report's claims are.
    prose = {name: str(text(ch, name)) for name in ch.glued if name != "claims_summary"}
    register = ch.register
    for name, value in prose.items():
        assert not re.search(r"reproduced|consistent|stated only|Lancashire|\bclaim\b|1\.7 million|1\.8 million",
                             value), (name, value)
        assert not any(re.search(rf"\b{cid}\b", value) for cid in register), (name, value)
    assert text(ch, "claims_summary") == ("The report's claims are about Lancashire and South Cumbria, so none is "
                                          "checked in this book for Cornwall and the Isles of Scilly.")
    assert ageing.localities(ch, people) is None


def test_another_icb_whose_over_85s_fall_short_of_doubling_gets_the_rise_needed():
    ch, _ = run(ANOTHER_ICB)
    rise = ch.figures["multimorbid_85plus_prevalence_rise_needed_pct"]["value"]
    assert text(ch, "multimorbid_finding").endswith(
        f"the share of over-85s who have them would also have to rise by about {rise:.1f}%.")
    assert "Eden" not in ch.figures["pop_65plus_growth_2033_pct"]["method"]


def test_lancashire_splits_into_localities_and_places(report):
    ch, people = report
    localities, formats = ageing.localities(ch, people)
    assert set(localities["Locality"]) == {"Central Lancashire", "East Lancashire", "North Lancashire"}
    assert set(localities["Band"]) == {"65+", "85+"} and "Growth to 2043 (%)" in formats
    assert text(ch, "localities_text") == (
        "Where a place divides into localities by whole districts (Central Lancashire, East Lancashire and North "
        "Lancashire), the same growth for each locality, on the principal projection.")
    places, _ = ageing.place_growth(people)
    assert set(places["Place"]) == {"Lancashire", "Blackburn with Darwen", "Blackpool", "South Cumbria"}
    older = ageing.older_by_place(people)
    assert set(older["band"]) == {"65+", "75+", "85+"} and older["year"].min() == 2018
    pyramid = ageing.pyramid(people)
    assert set(pyramid["year"]) == {2023, 2043}
    assert pyramid.loc[pyramid["year"] == 2023, "persons"].sum() == pytest.approx(people.residents())


def test_the_eden_sentence_counts_the_residents_removed(report):
    ch, people = report
    removed = people.residents(published=True) - people.residents()
    assert 30_000 < removed < 80_000
    assert text(ch, "eden_text") == (f"Removing Eden takes {removed:,.0f} residents out of Lancashire and South "
                                     "Cumbria's base year; no growth figure moves by more than 0.2 points.")


def test_prevalence_rise_needed_to_double():
    assert ageing.prevalence_rise_pct(100, 60) == pytest.approx(25.0)  # 2 / 1.6 = 1.25
    assert ageing.prevalence_rise_pct(100, 100) == 0.0
    assert ageing.prevalence_rise_pct(100, 120) == 0.0  # population growth alone suffices


@pytest.mark.parametrize("rise, shown", [(9.534, "about 9.5%."), (0.181, "about 0.2%."), (0.03, "about 0.03%.")])
def test_the_rise_needed_is_never_printed_as_nothing(rise, shown):
    assert ageing.prevalence_sentence(rise, 100).endswith(f"would also have to rise by {shown}")
    assert "0%" not in ageing.prevalence_sentence(0.0, 100)
    assert ageing.prevalence_sentence(0.0, 100).endswith("would double even if the share of over-85s who have them "
                                                        "stayed as it is.")


def test_doubling_text_and_the_growth_sentence():
    assert ageing.doubling_text(82.6, 100) == "does not double on its own"
    assert ageing.doubling_text(104.4, 100) == "more than doubles on its own"
    assert ageing.growth_sentence(82.6, 100, (2018, 2043)) == (
        "Over the 25 years from 2018 to 2043, the number of over-85s grows by 82.6%: the population does not double "
        "on its own.")
    assert ageing.rise_words(100) == "double" and ageing.rise_words(60) == "grow by 60%"


def test_lists_may_run_above_or_below_the_residents():
    assert ageing.gap_words(7.14) == "7.1% more" and ageing.gap_words(-0.42) == "0.4% fewer"
    assert ageing.lists_sentence(1.8, 1.7, 5.9, "2023/24") == (
        "NHS England counted 1.80 million people on the ICB's GP practice lists for 2023/24, 5.9% more than its 1.70 "
        "million residents.")


def test_served_sentence_names_each_figure_the_report_missed(report):
    ch, _ = report
    claim = claims.by_key(ch.register, ageing.SERVED_KEY)
    verdict = claims.evaluate(claim, {"resident_population_m": {"value": 1.70}, "registered_population_m":
                                      {"value": 1.95}})
    assert verdict.status == claims.NOT_REPRODUCED
    assert ageing.served_sentence(ch, verdict) == (
        "The report's 1.7 million is the resident population (1.70 million) and its 1.8 million not the registered "
        "one (1.95 million): **not reproduced**.")
