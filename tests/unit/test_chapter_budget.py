"""The budget chapter's logic on the committed data: its figures, its tables, and the report's verdict in its prose: in
the report's edition, in a later one (on the report's own year's figures), and never in a book for another ICB, where
the stated rise is a scenario."""

import json
import re

import nbformat
import pandas as pd
import pytest

from helpers import DATA, ROOT, report_results_file
from sots import escape
from sots.analysis import claims, verdicts
from sots.chapters import budget
from sots.chapters import context as chapter

pytestmark = pytest.mark.unit

GOLDEN = json.loads((ROOT / "tests" / "golden" / "2023-24" / "QE1.json").read_text())["figures"]
GLUE_NAME = re.compile(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)|```\{glue(?::\w+)?\}\s+([A-Za-z0-9_]+)")


def text(ch, name: str) -> str:
    """A glued value as the page shows it: a Markdown object's text, or the value itself."""
    value = ch.glued[name]
    return getattr(value, "data", value)


@pytest.fixture(scope="module")
def run():
    """The chapter for QE1 at 2023/24 prices, 2023 to 2038, as the report edition's build runs it."""
    ch = chapter.open("budget", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
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


def test_the_notebook_reads_only_what_the_module_glues(run):
    ch, _ = run
    other = chapter.open("budget", root=ROOT, edition="2023-24", icb="QT6", data_dir=DATA)
    budget.footprint_effect(other, budget.record(other, "2023/24", 2023, 2038))
    budget.footprint_effect(*run)
    nb = nbformat.read(ROOT / "notebooks" / "budget.ipynb", as_version=4)
    names = {a or b for cell in nb.cells if cell.cell_type == "markdown" for a, b in GLUE_NAME.findall(cell.source)}
    names -= {"claims_summary"}  # glued by the notebook itself, once every figure is recorded
    assert names <= set(ch.glued) and names <= set(other.glued)


def test_the_report_edition_gives_the_reports_verdict_as_its_verdict_line_does(run):
    ch, b = run
    verdict = ch.verdict(budget.CLAIM)
    assert verdict.status == claims.NOT_REPRODUCED  # 11.4% by demography against a stated 60%
    line = ("+11.4% against the report's +60%: 19% of the stated rise. It holds only with 2.44% a year of growth in "
            "hospital cost per person beyond demography, which the report does not state.")
    assert verdicts.line(verdict) == line
    assert text(ch, "claim_finding") == (
        "The report says that if nothing changed, the hospital budget would have to rise by 60% by 2038 to deliver "
        f"today's level of care. **Not reproduced.** {line} The report says neither whether its figure is in cash or "
        "real terms nor what it includes beyond demography.")
    assert "consistent" not in text(ch, "claim_finding")  # one verdict, said one way
    assert ch.glued["report_said"] == ("The report says that if nothing changed, the hospital budget would have to "
                                       "rise by 60% by 2038 to deliver today's level of care.")
    assert ch.glued["implied_text"] == "The same waterfall with the yearly growth that reaches the report's figure:"
    assert ch.glued["base_cost_m"] == pytest.approx(b.total["2023"] / 1e6)
    assert not any(re.search(r"\bF9\b", str(text(ch, name))) for name in ch.glued)  # no claim id for readers


@pytest.fixture(scope="module")
def report_results(run, tmp_path_factory):
    """The report edition's figures, as the build gives a later edition (results.json of 2023-24 for QE1)."""
    return report_results_file(tmp_path_factory.mktemp("report"), run[0].figures)


def test_a_later_edition_gives_the_report_years_numbers_beside_the_verdict_and_its_own_since(report_results):
    ch = chapter.open("budget", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA, report_results=report_results)
    later = budget.record(ch, "2024/25", 2023, 2038)
    assert later.demographic_growth * 100 == pytest.approx(11.5, abs=0.05)  # 2024/25 prices: a different mix
    assert text(ch, "claim_finding") == (
        "The report says that if nothing changed, the hospital budget would have to rise by 60% by 2038 to deliver "
        "today's level of care. **Not reproduced**, on the data of the report's own year, 2023/24. +11.4% against the "
        "report's +60%: 19% of the stated rise. It holds only with 2.44% a year of growth in hospital cost per "
        "person beyond demography, which the report does not state. Since the report: 2024/25 data give +11.5%, "
        "against +11.4% in 2023/24. At 2024/25 prices, the stated rise would need the same growth beyond "
        "demography, 2.44% a year. The report says neither whether its figure is in cash or real terms nor what it "
        "includes beyond demography.")


def test_a_later_editions_growth_beyond_demography_is_told_apart_from_the_report_years(run, tmp_path):
    path = report_results_file(tmp_path, run[0].figures, implied_non_demographic_growth_pa_pct=2.5)
    ch = chapter.open("budget", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA, report_results=path)
    budget.record(ch, "2024/25", 2023, 2038)
    assert "It holds only with 2.50% a year of growth" in text(ch, "claim_finding")  # the report year's
    assert ("At 2024/25 prices, the stated rise would need 2.44% a year of growth beyond demography, against 2.50% a "
            "year at 2023/24 prices.") in text(ch, "claim_finding")


def test_a_later_edition_run_by_hand_says_why_it_gives_no_verdict():
    ch = chapter.open("budget", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA)
    budget.record(ch, "2024/25", 2023, 2038)
    given = escape.markdown(chapter.NOT_GIVEN)  # as the finding's Markdown holds it
    assert given in text(ch, "claim_finding")
    assert "reproduced" not in text(ch, "claim_finding").replace(given, "")


@pytest.mark.parametrize("edition, year", [("2023-24", "2023/24"), ("2024-25", "2024/25")])
def test_another_icbs_book_shows_the_stated_rise_as_a_scenario_and_grades_nothing(edition, year):
    ch = chapter.open("budget", root=ROOT, edition=edition, icb="QT6", data_dir=DATA)
    b = budget.record(ch, year, 2023, 2038)
    assert text(ch, "claim_finding") == (
        "As a scenario, a rise of 60% by 2038 (the report's figure for Lancashire and South Cumbria) would need "
        f"Cornwall and the Isles of Scilly's hospital costs per person to grow by **{b.implied_growth * 100:.2f}% a "
        "year** for 15 years on top of demography.")
    assert ch.glued["report_said"].startswith("The report says that if nothing changed, Lancashire and South "
                                              "Cumbria's hospital budget would have to rise by 60% by 2038")
    assert ch.glued["implied_text"].endswith("+60%, the report's figure for Lancashire and South Cumbria:")
    budget.footprint_effect(ch, b)
    for name in ch.glued:
        value = str(text(ch, name))
        assert not re.search(r"reproduced|consistent|stated only|\bclaim\b|\bF9\b", value), (name, value)
    assert ch.glued["eden_text"] == ("Cornwall and the Isles of Scilly's published ONS series is used as it is, so "
                                     "the two columns are the same.")


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
    assert ch.glued["eden_text"] == ("Removing Eden moves the demographic growth by 0.08 points and the other growth "
                                     "needed by less than 0.01 points a year.")
    assert budget.points(0.0812) == "0.08 points" and budget.points(0.0) == "0.00 points"
    other = chapter.open("budget", root=ROOT, edition="2023-24", icb="QHM", data_dir=DATA)
    made = budget.record(other, "2023/24", 2023, 2038)
    assert (budget.footprint_effect(other, made)["Difference (points)"] == 0).all()  # one ONS series either way
    assert isinstance(effect, pd.DataFrame)
