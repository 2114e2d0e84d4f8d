"""The site's "What changed between editions" page: why a figure moved, the table, the page, and reading a site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from helpers import troubleshooting_row
from sots.analysis import claims
from sots.errors import BuildError, InputError
from sots.inputs.editions import Edition
from sots.site import changes, national
from sots.site.changes import (
    CLAIM_FIGURES,
    NEW_DATA,
    NEW_DATA_AND_METHOD,
    NEW_METHOD,
    OTHER_ASSUMPTIONS,
    UNCHANGED,
    UNEXPLAINED,
    Figure,
    classify,
    rows,
)

pytestmark = pytest.mark.unit

OLD, NEW = "2023-24", "2024-25"
ICB = "QE1"
PER_HEAD = next(h for h in national.HEADLINES if h.figure_id == "core_allocation_per_head_gbp")
RANK = next(h for h in national.HEADLINES if h.figure_id == "core_allocation_per_head_rank")
SAVINGS = Figure("savings_delivered_gbp_m", "Savings delivered (£m)", "GBP million", 1)
PER_HEAD_ROW = Figure(PER_HEAD.figure_id, PER_HEAD.header, PER_HEAD.unit, PER_HEAD.decimals, PER_HEAD)
RANK_ROW = Figure(RANK.figure_id, RANK.header, RANK.unit, 0, RANK)
REASON = "No published figure gives this for Lancashire and South Cumbria in 2024/25."


def entry(value, edition=OLD, *, unit="GBP per registered person", year="2023/24", rows_sha="sha256:aa", code="c1",
          params="p1", icb=ICB):
    """One computed figure as results.json records it."""
    return {"value": value, "unit": unit, "edition": edition, "icb": icb, "method": "m",
            "inputs": {"icb_allocations": rows_sha, "year": year},
            "provenance": {"code_sha256": code, "parameters_sha256": params, "edition": edition}}


def missing(edition=NEW, reason=REASON, icb=ICB):
    return {"value": None, "not_computed": reason, "edition": edition, "icb": icb,
            "provenance": {"code_sha256": "c1", "parameters_sha256": "p2", "edition": edition}}


# --- classify: known answers ---------------------------------------------------------------------------------------

def test_the_same_inputs_code_and_value_are_unchanged():
    assert classify(entry(10.0), entry(10.0, NEW, params="p2"), OLD, NEW) == UNCHANGED


def test_other_inputs_are_new_data_even_when_the_value_is_the_same():
    assert classify(entry(10.0), entry(11.0, NEW, year="2024/25"), OLD, NEW) == NEW_DATA
    # The same value on other data says both, so "no change" beside it never reads as a contradiction.
    assert classify(entry(10.0), entry(10.0, NEW, rows_sha="sha256:bb"), OLD, NEW) == "new data, the same value"


def test_other_code_is_a_new_method():
    assert classify(entry(10.0), entry(12.0, NEW, code="c2"), OLD, NEW) == NEW_METHOD


def test_other_inputs_and_code_are_both():
    assert classify(entry(10.0), entry(12.0, NEW, year="2024/25", code="c2"), OLD, NEW) == NEW_DATA_AND_METHOD


def test_a_value_that_moved_with_neither_data_nor_method_is_said_honestly():
    assert classify(entry(10.0), entry(10.5, NEW, params="p2"), OLD, NEW) == OTHER_ASSUMPTIONS
    said = classify(entry(10.0), entry(10.5, NEW), OLD, NEW)
    assert said == UNEXPLAINED and said != UNCHANGED and "neither" in said


def test_a_figure_not_computed_in_one_edition_gives_that_editions_reason():
    assert classify(entry(240.7), missing(), OLD, NEW) == (
        f"not computed in {NEW}: no published figure gives this for Lancashire and South Cumbria in 2024/25")
    assert classify(missing(OLD, "The trust accounts here do not cover 2023/24."), entry(5.0, NEW), OLD, NEW) == (
        f"not computed in {OLD}: the trust accounts here do not cover 2023/24")
    assert classify(entry(1.0), None, OLD, NEW) == f"not computed in {NEW}: this edition's results do not include " \
                                                  "this figure"
    assert classify(missing(OLD), missing(NEW), OLD, NEW).startswith(f"not computed in {OLD} or {NEW}: no published")


# --- values and changes in their units -----------------------------------------------------------------------------

@pytest.mark.parametrize("figure, before, after, change", [
    (PER_HEAD_ROW, 1873.10, 1907.35, "+£34"),
    (PER_HEAD_ROW, 1907.35, 1873.10, "\u2212£34"),
    (PER_HEAD_ROW, 1873.10, 1873.10, "no change"),
    (PER_HEAD_ROW, 1873.10, 1873.30, "+£0.2"),  # more decimals where the usual ones would say nothing
    (RANK_ROW, 2, 4, "2 places lower"),
    (RANK_ROW, 4, 3, "1 place higher"),
    (SAVINGS, 240.7, 250.0, "+£9.3m"),
    (Figure("savings_recurrent_pct", "Share", "per cent", 1), 68.9, 66.4, "\u22122.5 points"),
    (Figure("registered_population_m", "People", "million persons", 2), 1.8203, 1.8250, "+0.005 million"),
])
def test_a_change_is_shown_in_the_figures_unit(figure, before, after, change):
    assert figure.change(before, after) == change


def test_values_are_shown_as_the_national_page_and_the_claims_pages_show_them():
    assert PER_HEAD_ROW.show(1907.3504) == PER_HEAD.format(1907.3504) == "£1,907"
    assert SAVINGS.show(240.7) == "£240.7m"
    assert Figure("r", "Rank", "rank of ICBs (1 = highest)", 0).show(21) == "21st"


# --- rows -----------------------------------------------------------------------------------------------------------

def two_editions() -> dict[str, dict[str, dict]]:
    return {
        NEW: {PER_HEAD.figure_id: entry(1907.35, NEW, year="2024/25"), RANK.figure_id: entry(2, NEW, unit=RANK.unit),
              SAVINGS.figure_id: missing()},
        OLD: {PER_HEAD.figure_id: entry(1873.10), RANK.figure_id: entry(2, unit=RANK.unit),
              SAVINGS.figure_id: entry(240.7, unit="GBP million")},
    }


def test_rows_put_the_editions_oldest_first_with_each_change_and_why():
    per_head, rank, savings = rows(two_editions(), [PER_HEAD_ROW, RANK_ROW, SAVINGS])
    assert [s.edition for s in per_head.steps] == [OLD, NEW]
    assert [(s.value, s.change, s.why) for s in per_head.steps] == [("£1,873", None, None),
                                                                    ("£1,907", "+£34", NEW_DATA)]
    assert [(s.value, s.change, s.why) for s in rank.steps][1] == ("2", "no change", UNCHANGED)
    old, new = savings.steps
    assert (old.value, old.computed, new.value, new.computed, new.change) == ("£240.7m", True, "not computed", False,
                                                                              None)
    assert new.reason == REASON and new.why.startswith(f"not computed in {NEW}: no published figure")


def test_a_row_whose_change_needs_more_decimals_shows_its_values_to_them_too():
    growth = Figure("g", "Growth (%)", "per cent growth", 1)
    by_edition = {OLD: {"g": entry(11.448, unit=growth.unit)}, NEW: {"g": entry(11.463, NEW, unit=growth.unit)}}
    old, new = rows(by_edition, [growth])[0].steps
    assert (old.value, new.value, new.change) == ("+11.45%", "+11.46%", "+0.01 points")  # not 11.4% to 11.5%


def test_a_figure_an_edition_does_not_record_is_not_computed_there():
    by_edition = two_editions()
    del by_edition[OLD][PER_HEAD.figure_id]
    old, new = rows(by_edition, [PER_HEAD_ROW])[0].steps
    assert (old.value, old.reason) == ("not computed", changes.ABSENT) and new.why.startswith(f"not computed in {OLD}")


def test_a_figure_in_another_unit_is_a_build_error_naming_the_file_not_a_misformatted_number():
    by_edition = two_editions()
    by_edition[NEW][PER_HEAD.figure_id]["unit"] = "GBP"
    with pytest.raises(BuildError, match=r"site/2024-25/results.json: figure 'core_allocation_per_head_gbp'.*'GBP'"):
        rows(by_edition, [PER_HEAD_ROW], {NEW: "site/2024-25/results.json"})


def test_rows_change_neither_input():
    by_edition, figures = two_editions(), [PER_HEAD_ROW, SAVINGS]
    rows(by_edition, figures)
    assert by_edition == two_editions() and figures == [PER_HEAD_ROW, SAVINGS]


# --- the headline figures cannot fall behind the claims register ---------------------------------------------------

def test_every_figure_a_headline_claim_checks_has_a_label_and_a_unit_the_page_can_show():
    register = claims.load()
    checked = changes.headline_claim_figures(register)
    assert checked, "the register has headline claims that check figures"
    national_ids = {h.figure_id for h in national.HEADLINES}
    unlabelled = [f for f in checked if f not in national_ids and f not in CLAIM_FIGURES]
    assert unlabelled == [], f"add these to changes.CLAIM_FIGURES: {unlabelled}"
    assert {unit for _, unit in CLAIM_FIGURES.values()} <= set(changes.PLACES)
    rows_ = changes.figures(register)
    ids = [f.figure_id for f in rows_]
    assert ids[:len(national.HEADLINES)] == [h.figure_id for h in national.HEADLINES]
    assert set(checked) <= set(ids) and len(ids) == len(set(ids))
    # A claim's checks (F8: the budget and the hospitals' share of it) count, not only its first figure.
    assert "hospital_share_of_budget_pct" in checked and "registered_population_m" in checked


def test_a_headline_claim_checking_a_figure_with_no_label_stops_the_page():
    register = {"X1": {"id": "X1", "headline": True, "rule": "reproduced", "figures": ["brand_new_figure_pct"]},
                "X2": {"id": "X2", "headline": False, "rule": "reproduced", "figures": ["another_new_figure"]},
                "X3": {"id": "X3", "headline": True, "rule": "stated only", "figures": ["a_context_figure"]}}
    assert changes.headline_claim_figures(register) == ["brand_new_figure_pct"]
    with pytest.raises(BuildError, match="brand_new_figure_pct.*CLAIM_FIGURES"):
        changes.figures(register)


# --- the page -------------------------------------------------------------------------------------------------------

SHOWN = [changes.Shown(OLD, "2023/24: the report", f"{OLD}/book/intro.html"),
         changes.Shown(NEW, "2024/25: rerun", f"{NEW}/book/intro.html", current=True)]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_the_page_lists_each_edition_linking_to_its_front_page_and_each_figure_with_why():
    table = rows(two_editions(), [PER_HEAD_ROW, RANK_ROW, SAVINGS])
    html = changes.page(table, SHOWN, "NHS Lancashire and South Cumbria ICB", icon=f"{NEW}/_static/favicon.svg",
                        n_national=2)
    doc = soup(html)
    assert doc.h1.get_text() == "What changed between editions" and doc.html["lang"] == "en"
    assert [(a.get_text(), a["href"]) for a in doc.select(".editions a")] == [
        (f"Edition {OLD}", f"{OLD}/book/intro.html"), (f"Edition {NEW}", f"{NEW}/book/intro.html")]
    regions = doc.select("div.scroll")
    assert len(regions) == 2  # the national headlines, and the figures behind the report's headline claims
    for region in regions:
        assert region["role"] == "region" and region["tabindex"] == "0"
        assert doc.find(id=region["aria-labelledby"]).name == "caption"
    headers = [th.get_text() for th in regions[0].thead.find_all("th")]
    assert headers == ["Figure", OLD, NEW, f"Change from {OLD}", "Why it changed"]
    first = regions[0].tbody.tr
    assert [c.get_text() for c in first.find_all(["th", "td"])] == [PER_HEAD.header, "£1,873", "£1,907", "+£34",
                                                                    NEW_DATA]
    text = " ".join(doc.get_text().split())
    assert "How “new data” and “new method” are decided" in text
    for figure in (PER_HEAD_ROW, RANK_ROW, SAVINGS):  # no figure id where readers see it
        assert figure.figure_id not in html
    assert "<script" not in html and "://" not in html and doc.find("link", rel="icon")["href"].startswith(NEW)


def test_a_label_or_reason_with_markup_is_escaped_once():
    bad = "<script>alert(1)</script>"
    by_edition = two_editions()
    by_edition[NEW][SAVINGS.figure_id] = missing(reason=f"Withheld {bad}.")
    table = rows(by_edition, [Figure(SAVINGS.figure_id, f"Savings {bad}", "GBP million", 1)])
    html = changes.page(table, SHOWN, f"NHS {bad} ICB")
    assert "<script" not in html
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert html.count(escaped) == 3  # in the ICB's name at the top, the row's label and the reason it gives
    assert "&amp;lt;" not in html
    doc = soup(html)
    assert doc.tbody.th.get_text() == f"Savings {bad}"
    assert doc.select("td.why")[0].get_text().endswith(f"withheld {bad}")


def test_a_link_off_the_site_is_refused():
    with pytest.raises(BuildError, match="not a relative path"):
        changes.page([], [changes.Shown(OLD, "t", "https://example.org/")], "NHS X ICB")


# --- reading a site -------------------------------------------------------------------------------------------------

def edition(edition_id: str, current: bool = False) -> Edition:
    return Edition(edition_id, f"Edition {edition_id}'s title", "current" if current else "archived",
                   {"allocation_year": edition_id.replace("-", "/")})


REGISTER = (edition("2022-23"), edition(OLD), edition(NEW, current=True))


def publish_edition(folder: Path, edition_id: str, icb: tuple[str, str], results: dict) -> Path:
    """An edition's folder as a build leaves it: its results.json and its manifest naming its ICB."""
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(results))
    (folder / "manifest.json").write_text(json.dumps({"edition": edition_id,
                                                      "icb": {"code": icb[0], "name": icb[1]}}))
    return folder


LSC = ("QE1", "NHS Lancashire and South Cumbria ICB")
NO_CLAIMS: dict = {}  # only the national page's headlines, so hand-made results need only those


def site(tmp_path: Path) -> Path:
    out = tmp_path / "site"
    for edition_id, value in ((OLD, 1873.10), (NEW, 1907.35)):
        year = edition_id.replace("-", "/")
        publish_edition(out / edition_id, edition_id, LSC, {PER_HEAD.figure_id: entry(value, edition_id, year=year)})
    return out


def test_the_site_page_compares_the_editions_of_the_current_ones_icb_and_names_those_left_out(tmp_path):
    out = site(tmp_path)
    other = {PER_HEAD.figure_id: entry(1500.0, "2022-23", icb="QWE")}
    publish_edition(out / "2022-23", "2022-23", ("QWE", "NHS South West London ICB"), other)
    doc = soup(changes.site_page(out, REGISTER, icon="favicon.svg", claims=NO_CLAIMS))
    assert [a["href"] for a in doc.select(".editions a")] == [f"{OLD}/book/intro.html", f"{NEW}/book/intro.html"]
    [region] = doc.select("div.scroll")
    assert [th.get_text() for th in region.thead.find_all("th")][1:3] == [OLD, NEW]
    assert "£1,500" not in doc.get_text()
    said = " ".join(doc.select_one(".left-out").get_text().split())
    assert said == ("Edition 2022-23 (built for NHS South West London ICB) is left out: this page compares only "
                    "editions built for NHS Lancashire and South Cumbria ICB, as figures of different ICBs are not "
                    "comparable.")
    assert doc.find("link", rel="icon") is None  # the edition has no icon file to name


def test_a_staged_edition_is_read_from_its_staging_folder_and_one_edition_alone_says_so(tmp_path):
    out = site(tmp_path)
    staged = publish_edition(tmp_path / "staging" / "html", NEW, LSC,
                             {PER_HEAD.figure_id: entry(1999.0, NEW, year="2024/25")})
    doc = soup(changes.site_page(out, REGISTER, {NEW: staged}, claims=NO_CLAIMS))
    assert [td.get_text() for td in doc.tbody.find_all("td")][:3] == ["£1,873", "£1,999", "+£126"]
    lone = tmp_path / "lone"
    publish_edition(lone / NEW, NEW, LSC, {PER_HEAD.figure_id: entry(1907.35, NEW)})
    # One edition: the page is there (every front page links it), and says there is nothing to compare yet.
    alone = soup(changes.site_page(lone, REGISTER, claims=NO_CLAIMS))
    assert "Only one edition is compared here, so nothing has changed yet." in alone.get_text()
    assert [th.get_text() for th in alone.thead.find_all("th")] == ["Figure", NEW]
    assert changes.site_page(tmp_path / "nothing-yet", REGISTER, claims=NO_CLAIMS) is None  # no edition at all


@pytest.mark.parametrize("damage, expected", [
    (lambda p: p.write_text('{"core_allocation_per_head_gbp": {"value": 18'), "not valid JSON"),
    (lambda p: p.write_text(json.dumps({"core_allocation_per_head_gbp": entry("lots", OLD)})), "expected a number"),
    (lambda p: p.write_text(json.dumps({"core_allocation_per_head_gbp": entry(1.0, NEW)})), "of edition 2023-24"),
    (lambda p: p.unlink(), "file not found"),
])
def test_a_damaged_results_file_is_refused_in_one_line_naming_it(tmp_path, damage, expected):
    out = site(tmp_path)
    path = out / OLD / "results.json"
    damage(path)
    with pytest.raises(InputError) as refused:
        changes.site_page(out, REGISTER, claims=NO_CLAIMS)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and expected in message
    assert f"sots build --edition {OLD}" in message


def test_a_damaged_results_file_is_an_error_the_readme_lists(tmp_path):
    out = site(tmp_path)
    (out / OLD / "results.json").write_text("{")
    with pytest.raises(InputError) as refused:
        changes.site_page(out, REGISTER, claims=NO_CLAIMS)
    assert troubleshooting_row(str(refused.value)), str(refused.value)


@pytest.mark.parametrize("manifest, expected", [
    ("{", "not valid JSON"),
    (json.dumps({"edition": OLD}), "field 'icb'"),
    (json.dumps({"edition": NEW, "icb": {"code": "QE1", "name": "x"}}), "field 'edition'"),
])
def test_a_damaged_manifest_is_refused_in_one_line_naming_it(tmp_path, manifest, expected):
    out = site(tmp_path)
    path = out / OLD / "manifest.json"
    path.write_text(manifest)
    with pytest.raises(InputError) as refused:
        changes.site_page(out, REGISTER, claims=NO_CLAIMS)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and expected in message
