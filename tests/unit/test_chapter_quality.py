"""The quality chapter: its sentences and areas on hand-worked cases, and the chapter recorded on the prepared tables:
in the report's edition (the register's verdicts on Q2, Q6 and Q8 in its prose), in a later one (the report's year's
verdicts) and for another ICB (its own figures, nothing graded)."""

import re

import nbformat
import pandas as pd
import pytest

from helpers import DATA, ROOT, report_results_file
from sots.analysis import claims, quality
from sots.chapters import context as chapter
from sots.chapters import quality as chapter_quality

pytestmark = pytest.mark.unit

GLUE_NAME = re.compile(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)|```\{glue(?::\w+)?\}\s+([A-Za-z0-9_]+)")


def text(ch, name: str) -> str:
    """A glued value as the page shows it: a Markdown object's text, or the value itself."""
    value = ch.glued[name]
    return getattr(value, "data", value)


def plain(ch, name: str) -> str:
    """A glued Markdown value as a reader reads it: without the backslashes that escape its punctuation."""
    return re.sub(r"\\(.)", r"\1", text(ch, name))


def lsoas(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """A small lsoa_deprivation table: (lsoa, lower-tier authority code, name, share of nothing): one ICB, QAA."""
    return pd.DataFrame({"lsoa_code": [r[0] for r in rows], "icb_code": "QAA", "ltla22_code": [r[1] for r in rows],
                         "ltla22_name": [r[2] for r in rows]})


def test_the_icbs_areas_map_districts_to_their_county_and_name_what_reaches_outside():
    # Two LSOAs in Blackpool (a unitary the data cover), one in Burnley (a Lancashire district: the county), one in
    # Barrow (Westmorland and Furness, whose Eden is not in the ICB), one in an uncovered unitary.
    table = lsoas([("L1", "E06000009", "Blackpool"), ("L2", "E06000009", "Blackpool"),
                   ("L3", "E07000117", "Burnley"), ("L4", "E07000027", "Barrow-in-Furness"),
                   ("L5", "E06000053", "Isles of Scilly")])
    eden = pd.DataFrame({"lsoa_code": ["L6"], "icb_code": "QBB", "ltla22_code": ["E07000030"],
                         "ltla22_name": ["Eden"]})
    hle = pd.DataFrame({"area_code": ["E06000009", "E10000017", "E06000064"],
                        "area_name": ["Blackpool", "Lancashire", "Westmorland and Furness"]})
    areas, missing = chapter_quality.hle_areas(pd.concat([table, eden]), hle, "QAA")
    assert areas["area_name"].tolist() == ["Blackpool", "Westmorland and Furness", "Lancashire"]
    assert areas.set_index("area_name").loc["Westmorland and Furness", "outside"] == "Eden"
    assert areas.set_index("area_name").loc["Lancashire", "authorities"] == "Burnley"
    assert missing["ltla22_name"].tolist() == ["Isles of Scilly"]


def test_an_authority_mostly_outside_the_icb_is_not_one_of_its_areas():
    # Craven: one of its two LSOAs in the ICB, half, not most.
    table = pd.concat([lsoas([("L1", "E06000009", "Blackpool"), ("L2", "E07000163", "Craven")]),
                       pd.DataFrame({"lsoa_code": ["L3"], "icb_code": "QBB", "ltla22_code": ["E07000163"],
                                     "ltla22_name": ["Craven"]})])
    hle = pd.DataFrame({"area_code": ["E06000009"], "area_name": ["Blackpool"]})
    areas, missing = chapter_quality.hle_areas(table, hle, "QAA")
    assert areas["area_name"].tolist() == ["Blackpool"] and missing.empty


def wards(core20: list[float], medians: list[float]) -> pd.DataFrame:
    names = ["A", "B", "C", "D"]
    return pd.DataFrame({"lad_code": "E1", "lad_name": "Town", "ward_code": [f"W{i}" for i in range(4)],
                         "ward_name": names, "lsoas": 4, "most_deprived_10_share": 0.0, "core20_share": core20,
                         "median_imd_rank": medians, "place": [1, 2, 3, 4], "median_rank_place": [1, 2, 3, 4],
                         "wards": 4})


def test_the_wards_sentence_says_what_the_data_would_add_and_drop():
    table = wards([1.0, 0.75, 0.5, 0.25], [10, 20, 30, 40])
    match = quality.named_wards_against_most_deprived(table, ["A", "C"])
    same = quality.named_wards_against_most_deprived(table, ["B", "A"], by="median_rank_place")
    assert chapter_quality.wards_sentence(match, same, "Town") == (
        "Ordered by share of LSOAs in the most deprived 20%, then median rank, 1 of the 2 named wards are among "
        "Town's 2 most deprived: the data would add B and drop C. Ordered by median IMD rank alone, the named wards "
        "are Town's 2 most deprived.")


def test_figure_year_reads_the_qof_year_of_a_figure_id():
    assert chapter_quality.figure_year("qof_hyp_under80_treated_pct_2023_24") == "2023/24"


@pytest.fixture(scope="module")
def run():
    ch = chapter.open("quality", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    return ch, chapter_quality.record(ch)


def test_the_report_edition_records_the_known_figures(run):
    ch, q = run
    f = {k: v.get("value") for k, v in ch.figures.items()}
    assert f["priority_wards_named_core20"] == 5  # every named ward has 60% or more of its LSOAs in Core20
    assert f["priority_wards_named_in_most_deprived"] == 3  # Tyldesley and Park are not among the five
    assert f["icb_core20_rank"] == 8 and f["icb_core20_share_pct"] == pytest.approx(314 / 1058 * 100)
    assert f["hle_below_pension_age_pct"] == 100
    assert f["hle_before_report_highest_years"] == 64.6 and f["hle_before_report_smallest_gap_years"] == 3.4
    assert f["qof_hyp_under80_treated_pct_2023_24"] == pytest.approx(66.128, abs=5e-4)
    assert f["qof_hyp_under80_treated_pct"] == f["qof_hyp_under80_treated_pct_2023_24"]
    assert len(q.icbs) == 42
    assert q.areas["area_code"].tolist() == ["E06000008", "E06000009", "E06000064", "E10000017"]
    assert "Westmorland and Furness includes Eden, which is outside the ICB." in text(ch, "areas_finding")
    assert plain(ch, "hle_finding").startswith(
        "Before the report, healthy life expectancy at birth was below the pension age of 68 in every one of")
    assert "the highest was 64.6 years (Lancashire, women, 2016–18), 3.4 years short of it." in plain(ch, "hle_finding")
    assert plain(ch, "hle_periods").endswith(
        "The series before ONS's revision gives no value for Westmorland and Furness.")
    # No line of the HLE chart crosses releases or ONS series: each line has one of each.
    per_line = q.series.assign(line=q.series["area_name"] + q.series["sex"] + q.series["release"]
                               + q.series["ons_series"])
    assert (per_line.groupby("line")[["release", "ons_series"]].nunique() == 1).all().all()


def test_the_report_edition_gives_the_registers_verdicts_in_its_prose(run):
    ch, _ = run
    assert plain(ch, "wards_verdict").startswith("**Not reproduced.**")
    assert plain(ch, "hle_verdict").startswith("**Reproduced.**")
    assert text(ch, "qof_verdict").startswith("**Not reproduced.**")
    assert {v.status for v in map(ch.judge, ch.claims())} == {claims.REPRODUCED, claims.NOT_REPRODUCED,
                                                              claims.STATED_ONLY}
    # Q8 is a bound: the highest value before the report is below the pension age, said as such.
    assert plain(ch, "hle_verdict") == ("**Reproduced.** The highest of any area, women or men, before the report: "
                                       "64.6 years, below the report's 68 years.")
    assert plain(ch, "wards_verdict") == ("**Not reproduced.** Named wards among Blackpool's five most deprived: 3 "
                                         "wards against the report's 5 wards, 2 wards below.")
    assert "Brunswick and Victoria" in text(ch, "wards_finding")


def test_q6_is_tested_as_the_most_deprived_wards_and_its_reason_names_what_the_data_add_and_drop(run):
    # The report names the five as priority wards: read directly, Blackpool's most deprived. Three of them are, so
    # the claim is not reproduced, and the register's reason must name the wards the data give, not others.
    ch, q = run
    q6 = ch.register["Q6"]
    assert [c["figure"] for c in q6["checks"]] == ["priority_wards_named_in_most_deprived"]
    assert ch.judge(q6).status == claims.NOT_REPRODUCED
    for ward in [*q.match.added, *q.match.dropped]:
        assert ward in q6["reason"] and ward in q6["explanation"], ward
    assert "64.9% in 2022/23 and 66.1% in 2023/24" in text(ch, "qof_finding")


def test_the_notebook_reads_only_what_the_module_glues(run):
    ch, _ = run
    other = chapter.open("quality", root=ROOT, edition="2023-24", icb="QT6", data_dir=DATA)
    chapter_quality.record(other)
    nb = nbformat.read(ROOT / "notebooks" / "quality.ipynb", as_version=4)
    names = {a or b for cell in nb.cells if cell.cell_type == "markdown" for a, b in GLUE_NAME.findall(cell.source)}
    names -= {"claims_summary"}  # glued by the notebook itself
    assert names <= set(ch.glued) and names <= set(other.glued)
    # A {glue:md} value must be Markdown on every page, even when it says nothing (mystnb needs text/markdown).
    md = {a or b for cell in nb.cells if cell.cell_type == "markdown"
          for a, b in re.findall(r"\{glue:md\}`([A-Za-z0-9_]+)|(?!x)x()", cell.source)}
    assert md and all(hasattr(c.glued[n], "data") for c in (ch, other) for n in md if n != "claims_summary")


def test_another_icb_gets_its_own_figures_and_no_verdict():
    ch = chapter.open("quality", root=ROOT, edition="2023-24", icb="QT6", data_dir=DATA)
    q = chapter_quality.record(ch)
    assert ch.figures["icb_core20_rank"]["value"] == 22
    assert q.areas["area_name"].tolist() == ["Cornwall"]
    assert "Isles of Scilly" in text(ch, "areas_finding")
    assert ch.figures["qof_hyp_under80_treated_pct"]["value"] is None
    assert "Lancashire and South Cumbria only" in ch.figures["qof_hyp_under80_treated_pct"]["not_computed"]
    assert text(ch, "scope_note").startswith("The report's quality claims are about Lancashire and South Cumbria")
    assert plain(ch, "hle_verdict") == "" and q.wards is None
    assert "none is checked" in ch.claims_summary()


def test_a_later_edition_gives_the_report_years_verdicts(run, tmp_path):
    path = report_results_file(tmp_path, run[0].figures)
    ch = chapter.open("quality", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA, report_results=path)
    chapter_quality.record(ch)
    assert ch.figures["qof_hyp_under80_treated_pct"]["inputs"]["year"] == "2024/25"
    assert "on the data of the report's own year, 2023/24" in text(ch, "qof_verdict")


def test_a_published_figures_description_shows_readers_no_claim_id():
    assert chapter_quality.reader_description("Q1 context: lifts completed") == "Lifts completed"
    assert chapter_quality.reader_description("Q2: CVDP007HYP is indicator 32") == "CVDP007HYP is indicator 32"
    assert chapter_quality.reader_description("Q4 follow-up: rating remains Good") == "Follow-up: Rating remains Good"
    assert chapter_quality.reader_description("Visits related to falls") == "Visits related to falls"


def test_each_areas_period_is_named_when_the_periods_differ():
    rows = pd.DataFrame({"area_code": ["U1", "U1", "U2", "C1"], "area_name": ["Town", "Town", "Port", "County"],
                         "period": ["2018 - 20", "2018 - 20", "2018 - 20", "2016 - 18"],
                         "release": ["ONS", "ONS", "ONS", "pages"]})
    assert chapter_quality.periods_text(rows) == (
        "the periods are 2018–20 for Town and Port (ONS) and 2016–18 for County (pages)")
    ons = rows[rows["release"] == "ONS"]
    assert chapter_quality.periods_text(ons) == "the period is 2018–20 for every area (ONS)"
    assert chapter_quality.periods_text(rows[rows["area_code"] == "C1"]) == "the period is 2016–18 for County (pages)"


def test_readers_see_lancashire_and_every_areas_period_before_the_report(run):
    ch, q = run
    assert "Lancashire" in q.areas["area_name"].tolist()
    assert not any("Lancashire-12" in str(v.data) for v in ch.glued.values() if hasattr(v, "data"))
    assert "2018–20 for Blackburn with Darwen and Blackpool" in plain(ch, "hle_periods")
    assert "2016–18 for Lancashire" in plain(ch, "hle_periods")
    shown = q.published["description"].map(chapter_quality.reader_description)
    assert not shown.str.match(r"Q\d").any()


def test_the_hle_finding_says_how_many_values_were_below_when_not_all_were():
    table = pd.DataFrame({"area_code": ["U1", "U1", "U2"], "area_name": ["Town", "Town", "Port"],
                          "sex": ["Female", "Male", "Female"], "which": "before", "period": "2018 - 20",
                          "release": "ONS", "hle_years": [69.0, 60.0, 62.5], "gap_years": [-1.0, 8.0, 5.5]})
    ch = type("Ch", (), {"who": "Somewhere"})()
    assert chapter_quality.hle_sentence(ch, table, 68) == (
        "Before the report, healthy life expectancy at birth was below the pension age of 68 for 2 of the 3 values "
        "for Somewhere's areas, women and men: the highest was 69.0 years (Town, women, 2018–20), 1.0 years above "
        "it.")


def test_q5_and_q7_are_checked_against_the_pages_that_give_them(run):
    # The ICB's page gives 20 contracts and 4 providers; Hull York Medical School's a 13.6% cut (published as -13.6).
    ch, _ = run
    f = {k: v.get("value") for k, v in ch.figures.items()}
    assert (f["cyp_mh_contracts"], f["cyp_mh_providers"]) == (20, 4)
    assert f["icc_over80_emergency_attendances_cut_pct"] == 13.6
    assert ch.figures["cyp_mh_contracts"]["inputs"]["url"].startswith("https://healthyyoungmindslsc.co.uk/")
    for cid in ("Q5", "Q7"):
        assert ch.judge(ch.register[cid]).status == claims.REPRODUCED, cid
    blocks = re.split(r"\n\n(?=\*\*)", plain(ch, "published_evidence"))
    assert [b.split(".**")[0] for b in blocks] == [f"**{ch.register[c]['label']}" for c in ("Q1", "Q2", "Q4", "Q5",
                                                                                           "Q7")]
    assert blocks[2].startswith(f"**{ch.register['Q4']['label']}.** **Stated only.**")
    assert "**Reproduced.** 20 contracts, matching the report's 20 contracts exactly; 4 providers" in blocks[3]
    # Each figure links to its page.
    assert "[“New children’s mental health contracts announced in Lancashire and South Cumbria”](<https://" in blocks[3]


def test_another_icb_does_not_take_the_report_icbs_pages():
    other = chapter.open("quality", root=ROOT, edition="2023-24", icb="QT6", data_dir=DATA)
    chapter_quality.record(other)
    assert "not Cornwall" in other.figures["cyp_mh_contracts"]["not_computed"]
    assert "Reproduced" not in plain(other, "published_evidence")
    # The data miss one of its areas, and say so once.
    assert plain(other, "areas_finding").endswith("The data give no healthy life expectancy for Isles of Scilly.")


def test_a_published_lower_bound_reads_as_the_page_put_it():
    assert chapter_quality.value_text(6000, "lifts (lower bound: 'more than')") == "more than 6,000 lifts"
    assert chapter_quality.value_text(14500, "visits (lower bound: 'over')") == "over 14,500 visits"
    assert chapter_quality.value_text(20, "contracts") == "20 contracts"
    assert chapter_quality.value_text(60, "percent (just over)") == "just over 60%"
    assert chapter_quality.value_text(-13.6, "percent change") == "\u221213.6%"
    assert chapter_quality.value_text(12709583, "GBP") == "£12,709,583"
    assert chapter_quality.value_text(4, "NHS SOF segment") == "segment 4"


def test_an_icb_whose_areas_the_hle_data_miss_gets_a_sentence_not_a_chart():
    """Suffolk and North East Essex: the extracts give no healthy life expectancy for its areas. Its book says so in
    place of the chart, whose description had no line to describe (an every-ICB build stopped here)."""
    ch = chapter.open("quality", root=ROOT, edition="2023-24", icb="QJG", data_dir=DATA)
    q = chapter_quality.record(ch)
    assert q.series.empty and ch.figures["hle_latest_highest_years"]["value"] is None
    shown = chapter_quality.hle_chart(ch, q)
    assert shown.data == "No chart: the data give healthy life expectancy for none of " + ch.who + "'s areas."
    assert "none of" in text(ch, "areas_finding")
