"""The bed days chapter's logic: its figures on the committed data, the sentences it builds, and the report's verdicts
reaching its prose and tables: in the report's edition, in a later one (on the report's own year's figures), and never
in a book for another ICB, where the search for the report's method is not made either."""

import json
import re

import nbformat
import pandas as pd
import pytest

from helpers import DATA, ROOT, report_results_file
from sots.analysis import claims
from sots.chapters import beddays
from sots.chapters import context as chapter

pytestmark = pytest.mark.unit

GOLDEN = json.loads((ROOT / "tests" / "golden" / "2023-24" / "QE1.json").read_text())["figures"]
LATER = "2024-25"  # an edition after the report's
GLUE_NAME = re.compile(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)|```\{glue(?::\w+)?\}\s+([A-Za-z0-9_]+)")


def open_and_run(icb: str = "QE1", edition: str = "2023-24", runs: int = 1000, report_results: str = ""):
    """The chapter as its notebook runs it, from the setup line to the verdicts' summary."""
    ch = chapter.open("beddays", root=ROOT, edition=edition, icb=icb, data_dir=DATA, report_results=report_results)
    bd = beddays.project(ch, base_year=2023, runs=runs, seed=2024)
    table, _ = beddays.four_figures(ch, bd)
    found = beddays.search(ch, bd)
    avoided = beddays.scenario(ch, bd)
    ch.glue("claims_summary", ch.claims_summary())
    return ch, bd, found, avoided, table


def text(ch, name: str) -> str:
    """A glued value as the page shows it: a Markdown object's text, or the value itself."""
    value = ch.glued[name]
    return getattr(value, "data", value)


@pytest.fixture(scope="module")
def run():
    """The chapter run once for Lancashire and South Cumbria with its defaults (what it glued is ``ch.glued``)."""
    return open_and_run()


@pytest.fixture(scope="module")
def cornwall():
    """A book for another ICB than the report's, whose footprint has the principal projection only."""
    return open_and_run("QT6", edition=LATER, runs=200)


@pytest.fixture(scope="module")
def report_results(run, tmp_path_factory):
    """The report edition's figures, as the build gives a later edition (results.json of 2023-24 for QE1)."""
    return report_results_file(tmp_path_factory.mktemp("report"), run[0].figures)


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
    again = chapter.open("beddays", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    beddays.project(again, base_year=2023, runs=1000, seed=2024)
    other = chapter.open("beddays", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    beddays.project(other, base_year=2023, runs=1000, seed=7)
    figure = "beddays_85plus_growth_2043_pct"
    assert again.figures[figure]["p10"] == ch.figures[figure]["p10"]
    assert other.figures[figure]["p10"] != ch.figures[figure]["p10"]
    assert other.figures[figure]["value"] == ch.figures[figure]["value"]  # the central figure is not drawn


@pytest.mark.parametrize("book", ["run", "cornwall"])
def test_the_notebook_reads_only_what_the_module_glues(book, request):
    ch = request.getfixturevalue(book)[0]
    nb = nbformat.read(ROOT / "notebooks" / "beddays.ipynb", as_version=4)
    names = {a or b for cell in nb.cells if cell.cell_type == "markdown" for a, b in GLUE_NAME.findall(cell.source)}
    assert names <= set(ch.glued)


def test_the_four_figures_table_gives_the_reports_figure_and_verdict_on_each(run):
    ch, *_, table = run
    expected = [claims.evaluate(claims.by_key(ch.register, f), ch.figures).status for f in beddays.FIGURES.values()]
    # On the committed data: the over-65s to 2033 and over-85s to 2043 lie inside the Monte Carlo range
    assert expected == [claims.CONSISTENT, claims.NOT_REPRODUCED, claims.NOT_REPRODUCED, claims.CONSISTENT]
    assert list(table["Verdict"]) == ["Consistent: inside the likely range", "Not reproduced: 19.8 points below",
                                      "Not reproduced: 13 times the stated rise", "Consistent: inside the likely range"]
    assert list(table["Report (%)"]) == [21, 63, 3, 63]
    assert "Claim" not in table  # the band and year say which figure it is; readers need no claim id
    _, formats = beddays.four_figures(ch, run[1])
    assert formats["Report (%)"] == "{:+.0f}" and formats["Base 2023 (%)"] == "{:+.1f}"


def test_the_report_edition_sets_each_figure_against_the_reports_with_its_verdict(run):
    ch, *_ = run
    assert text(ch, "findings_65plus") == (
        "From a 2023 base, bed days for over-65s grow by **24.2% by 2033** and **43.2% by 2043**. Against the "
        "report's figures: by 2033, **consistent** (+24.2% against the report's +21%: 3.2 points above, but the "
        "report's figure is inside the likely range of +18.0% to +30.3%); by 2043, **not reproduced** (+43.2% "
        "against the report's +63%: 19.8 points below).")
    assert "by 2033, **not reproduced** (+40.3% against the report's +3%: 13 times the stated rise)" in text(
        ch, "findings_85plus")
    assert text(ch, "intro_claims").startswith(
        "It checks the report's four figures: bed days for over-65s up 21% by 2033 and 63% by 2043, and for over-85s "
        "up 3% by 2033 and 63% by 2043.")
    assert text(ch, "four_figures_text").endswith("beside the report's own figure and the report's verdict on each.")
    ids = [claims.by_key(ch.register, f)["id"] for f in beddays.FIGURES.values()]
    prose = " ".join(str(text(ch, name)) for name in ch.glued)
    assert not [cid for cid in ids if re.search(rf"\b{cid}\b", prose)]


def test_a_later_edition_gives_the_report_years_verdicts_then_what_its_own_data_give(report_results):
    ch, *_, table = open_and_run(edition=LATER, runs=200, report_results=report_results)
    finding = text(ch, "findings_65plus")
    assert ("The report's verdicts, on the data of its own year, 2023/24: by 2033, **consistent** (+24.2% against "
            "the report's +21%: 3.2 points above, but the report's figure is inside the likely range of +18.0% to "
            "+30.3%)") in finding  # the report year's interval, not this run's
    assert finding.endswith("Since the report: 2024/25 data give the same figures.")
    assert list(table.columns)[-1] == "Verdict (2023/24 data)"
    assert table.iloc[2, -1] == "Not reproduced: 13 times the stated rise"
    assert text(ch, "four_figures_text").endswith("the report's verdict on each, on the data of its own year, "
                                                  "2023/24.")


def test_a_later_editions_verdicts_are_on_the_report_years_figures_not_its_own(run, tmp_path):
    path = report_results_file(tmp_path, run[0].figures, beddays_65plus_growth_2033_pct=21.2)
    ch, *_ = open_and_run(edition=LATER, runs=200, report_results=path)
    finding = text(ch, "findings_65plus")
    assert "by 2033, **reproduced** (+21.2%, matching the report's +21% to within 0.5 points)" in finding
    assert finding.endswith("Since the report: 2024/25 data give +24.2%, against +21.2% in 2023/24. Since the "
                            "report: 2024/25 data give the same, +43.2%.")
    assert text(ch, "findings_85plus").endswith("Since the report: 2024/25 data give the same figures.")


def test_another_icbs_book_gives_its_own_projection_ungraded(cornwall):
    ch, bd, found, _, table = cornwall
    assert set(found.figures.values()) == set(beddays.FIGURES)  # made all the same, for an analyst; not shown
    assert list(table.columns) == ["Bed days of", "By", "Base 2023 (%)", "Base 2022 (%)", "p10 (%)", "p90 (%)"]
    assert text(ch, "findings_65plus") == ("From a 2023 base, bed days for over-65s grow by **32.1% by 2033** and "
                                          "**57.1% by 2043**.")
    assert text(ch, "search_finding").startswith("The projection is uncertain: allowing for changes in bed-day "
                                                 "rates, growth to 2043 lies between +")
    assert text(ch, "search_intro") == (
        "The report's four bed-day figures are Lancashire and South Cumbria's. Which method produced them can be "
        "asked only of Lancashire and South Cumbria's own data, so the search for it is made in that ICB's book, not "
        "in this one.")
    assert text(ch, "fan_text").startswith("The fan shows growth in bed days for over-65s on the principal "
                                           "projection, the only one used for this footprint.")
    register = ch.register
    for name in set(ch.glued) - {"search_intro", "claims_summary"}:
        value = str(text(ch, name))
        assert not re.search(r"reproduced|consistent|stated only|the report:|Lancashire|\b0(\.0)? points\b|"
                             r"each of the 1 ", value), (name, value)
        assert not any(re.search(rf"\b{cid}\b", value) for cid in register), (name, value)
    assert text(ch, "eden_text") == ("Cornwall and the Isles of Scilly's published ONS series is used as it is, so "
                                     "the two columns are the same.")


def test_the_method_search_finds_a_method_for_every_claim_but_the_over_85s_to_2033(run):
    ch, _, found, _, _ = run
    d3 = claims.by_key(ch.register, "beddays_85plus_growth_2033_pct")["id"]
    assert found.unreached == [d3]
    # each method reported as reaching a claim is within the claim's tolerance, as the register compares
    for row in found.closest.itertuples():
        cid = next(c for c in found.figures if found.name(c) == row.Figure)
        claim = claims.by_key(ch.register, beddays.FIGURES[found.figures[cid]])
        assert row.Reached == (abs(row.growth_pct - claim["stated"]) <= claim["tolerance"])
    finding = text(ch, "search_finding")
    assert finding.startswith("On the principal projection with all bed days, a 2022 base is 33.8 points in total")
    assert "2023 is the more plausible base, and this book's default." in finding
    assert finding.endswith("No method tried reaches the report's figure for over-85s by 2033.")
    assert "reproduced" not in finding and "consistent" not in finding  # the verdicts are in their own findings
    findings = text(ch, "search_findings")
    assert ("growth of 21% by 2033 and 63% by 2043 means 35% growth between 2033 and 2043, and no projection or "
            "measure tried gives more than 19% for that decade.") in findings
    assert "The 2043 figure for over-65s equals the one for over-85s" in findings
    assert ("The report's figure for over-85s by 2033 as printed (3%) is below every method tried (the lowest gives "
            "37%); the over-85 population alone grows by 42% by 2033. Of the methods tried, 18 give 43% and 23 give "
            "53%: a figure that prints as 3% if its first digit is lost.") in findings
    shown, formats = beddays.shown_methods(found)
    assert "Gap to over-85s by 2033 (points)" in shown and formats["Total gap (points)"] == "{:.1f}"
    assert set(beddays.closest_methods(found)["Figure"]) == set(beddays.NAMES.values())


def test_the_scenario_cuts_over_80s_unplanned_bed_days_by_the_stated_reduction(run):
    ch, _, _, avoided, _ = run
    cut = claims.by_key(ch.register, beddays.SCENARIO_KEY)["stated"]
    assert ch.glued["jb_cut_pct"] == pytest.approx(cut)
    assert ch.figures["jean_bishop_beddays_avoided_2033"]["inputs"]["reduction"] == cut / 100
    assert sorted(avoided) == [2023, 2033, 2043] and avoided[2023] < avoided[2033] < avoided[2043]
    assert ch.glued["jb_beds_2033"] == pytest.approx(avoided[2033] / 365 / 0.92)


def test_the_eden_correction_moves_lancashire_and_south_cumbrias_figures_by_under_a_point(run):
    ch, bd, *_ = run
    eden = beddays.eden(bd)
    assert len(eden) == 4 and (eden["Difference (points)"].abs() < 1).all() and (eden["Difference (points)"] != 0).all()
    assert text(ch, "eden_text") == (f"Removing Eden moves none of the four figures by more than "
                                     f"{eden['Difference (points)'].abs().max():.2f} points.")


def test_the_fan_text_gives_the_weights_the_monte_carlo_draws_with():
    assert "(the principal with probability 0.40; the high and low migration and the young and old age-structure " \
           "variants 0.15 each, where available)" in beddays.fan_text([f"v{n}" for n in range(1, 12)])
    # Only the principal and one migration variant: their weights renormalised, 0.40 and 0.15 of 0.55
    assert "probability 0.73;" in beddays.fan_text(["v1", "v6"]) and "variants 0.27 each" in beddays.fan_text(
        ["v1", "v6"])
    assert "each of the 1 " not in beddays.fan_text(["v1"])


def test_no_sentence_counts_points_from_no_figure_reached():
    best = pd.Series({"measure": "population", "variant": "v1", "base_year": 2018, "total_gap_pp": 0.0})
    assert beddays.consistency_sentence(best, []) == "No method tried reaches any of the report's four figures."
    assert beddays.base_sentence({2022: 0.0, 2023: 0.0}, [], 2023) == ""
    assert beddays.consistency_sentence(best, ["over-65s by 2033"]) == (
        "Only the figure for over-65s by 2033 is reached; the closest method to it is population, variant v1, 2018 "
        "base.")
    two = best.copy()
    two["total_gap_pp"] = 26.8
    assert beddays.consistency_sentence(two, ["over-65s by 2033", "over-85s by 2043"]) == (
        "No single method fits the figures for over-65s by 2033 and over-85s by 2043 together: the closest "
        "(population, variant v1, 2018 base) is still 27 points from them in total.")


def test_the_flag_sentence_names_the_figures_no_method_reaches():
    assert beddays.flag_sentence([]) == "Every figure is reached by at least one method tried."
    assert beddays.flag_sentence(["over-85s by 2033"]) == ("No method tried reaches the report's figure for over-85s "
                                                           "by 2033.")
    assert beddays.flag_sentence(["over-65s by 2043", "over-85s by 2033"]) == (
        "No method tried reaches the report's figures for over-65s by 2043 and over-85s by 2033.")


def test_the_base_sentence_names_the_nearer_base_and_whether_it_is_the_default():
    gaps = {2022: 33.84, 2023: 30.41}
    assert beddays.base_sentence(gaps, ["over-65s by 2033"], 2023) == (
        "On the principal projection with all bed days, a 2022 base is 33.8 points in total from the report's "
        "figures that some method reaches, and a 2023 base 30.4: 2023 is the more plausible base, and this book's "
        "default.")
    assert beddays.base_sentence(gaps, ["over-65s by 2033"], 2022).endswith("2023 is the more plausible base.")


def test_a_digit_lost_reads_the_printed_figure_in_the_methods_growth():
    growth = pd.Series([37.4, 42.6, 43.2, 52.9, 40.0, 3.2])
    assert beddays.digit_lost(growth, 3) == {43: 2, 53: 1}  # 42.6 and 43.2 round to 43; 3.2 is 3 itself: no digit lost
    assert beddays.digit_lost(growth, 2.5) == {}
