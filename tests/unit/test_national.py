"""The national page: every ICB's headline figures gathered from its results.json, and the static page showing them."""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from sots.errors import BuildError
from sots.site import national
from sots.site.national import HEADLINES, page, rows

pytestmark = pytest.mark.unit

# A made-up lookup of three ICBs, deliberately not in name order, so the table's order is the function's doing.
LOOKUP = pd.DataFrame({
    "icb_code": ["QZC", "QZA", "QZB"],
    "icb_gss_code": ["E54000903", "E54000901", "E54000902"],
    "icb_name": ["NHS Cedar ICB", "NHS Alder ICB", "NHS Birch ICB"],
    "short_name": ["Cedar", "Alder", "Birch"],
    "region_name": ["North", "South", "<script>alert(1)</script>"],
})
UNIT = {h.figure_id: h.unit for h in HEADLINES}
REASON = "No published figure gives this for Birch in 2024/25."


def results(code: str, scale: float) -> dict[str, dict]:
    """A results.json with every headline figure computed: each value ``scale`` times a known base."""
    base = {h.figure_id: 10.0 for h in HEADLINES}
    base |= {"core_allocation_per_head_gbp": 1907.35, "beddays_65plus_growth_2033_pct": 24.224,
             "core_allocation_per_head_rank": 2, "acute_cost_gbp_m": 1604.3688}
    return {fid: {"value": v * scale if "rank" not in fid else v, "unit": UNIT[fid], "icb": code}
            for fid, v in base.items()}


def made_up() -> dict[str, dict[str, dict]]:
    by_icb = {"QZA": results("QZA", 1), "QZB": results("QZB", 2), "QZC": results("QZC", 3)}
    by_icb["QZB"]["acute_cost_gbp_m"] = {"value": None, "not_computed": REASON, "icb": "QZB"}
    del by_icb["QZC"]["hospital_cost_demographic_growth_2038_pct"]  # an edition that records no such figure
    return by_icb


def links(table: pd.DataFrame) -> dict[str, str]:
    return {code: f"{code}/index.html" for code in table["icb_code"]}


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


# --- the headlines -------------------------------------------------------------------------------------------------

def test_headlines_are_distinct_and_state_their_year_and_unit():
    ids = [h.figure_id for h in HEADLINES]
    assert len(set(ids)) == len(ids) and ids[0] == "core_allocation_per_head_gbp"
    for h in HEADLINES:
        for year in re.findall(r"_(\d{4})_", h.figure_id):  # a projection's target year is in its id
            assert f"to {year}" in h.header, h
        assert h.rank or re.search(r"\((£|£m a year|£ a year|%)\)", h.header), h  # every non-rank header has a unit


@pytest.mark.parametrize("figure_id, value, shown", [
    ("core_allocation_per_head_gbp", 1907.35, "£1,907"),
    ("core_allocation_per_head_rank", 2.0, "2"),
    ("acute_cost_gbp_m", 1604.3688, "£1,604.4m"),
    ("beddays_65plus_growth_2033_pct", 24.224, "24.2%"),
    ("beddays_65plus_growth_2033_pct", -3.21, "\u22123.2%"),
    ("beddays_65plus_growth_2033_pct", -0.04, "0.0%"),  # rounds to zero: no sign
])
def test_a_value_is_formatted_in_its_headline_unit(figure_id, value, shown):
    assert next(h for h in HEADLINES if h.figure_id == figure_id).format(value) == shown


# --- rows ----------------------------------------------------------------------------------------------------------

def test_rows_are_one_per_icb_by_name_with_each_headline_value():
    table = rows(made_up(), LOOKUP)
    assert list(table["icb_code"]) == ["QZA", "QZB", "QZC"]  # Alder, Birch, Cedar
    assert list(table.columns[:4]) == ["icb_code", "icb_name", "short_name", "region_name"]
    ids = [h.figure_id for h in HEADLINES]
    assert [c for c in table.columns if c in ids] == ids and table.columns[-1] == national.REASONS
    assert table["core_allocation_per_head_gbp"].tolist() == pytest.approx([1907.35, 3814.7, 5722.05])
    assert table.loc[0, "region_name"] == "South"


def test_a_figure_not_computed_or_absent_is_nan_with_its_reason():
    table = rows(made_up(), LOOKUP).set_index("icb_code")
    assert math.isnan(table.loc["QZB", "acute_cost_gbp_m"])
    assert table.loc["QZB", "not_published"] == {"acute_cost_gbp_m": REASON}
    assert math.isnan(table.loc["QZC", "hospital_cost_demographic_growth_2038_pct"])
    assert "do not include" in table.loc["QZC", "not_published"]["hospital_cost_demographic_growth_2038_pct"]
    assert table.loc["QZA", "not_published"] == {}
    assert table.loc["QZA", "acute_cost_gbp_m"] == pytest.approx(1604.3688)


def test_an_icb_without_results_is_a_build_error_naming_it():
    by_icb = made_up()
    del by_icb["QZB"]
    with pytest.raises(BuildError, match="QZB"):
        rows(by_icb, LOOKUP)


def test_results_for_an_icb_the_lookup_does_not_name_are_a_build_error():
    with pytest.raises(BuildError, match="QZQ"):
        rows({**made_up(), "QZQ": results("QZQ", 1)}, LOOKUP)


def test_a_figure_in_another_unit_is_a_build_error_not_a_misformatted_number():
    by_icb = made_up()
    by_icb["QZA"]["acute_cost_gbp_m"] = {"value": 1.6e9, "unit": "GBP per year"}
    with pytest.raises(BuildError, match=r"QZA.*acute_cost_gbp_m.*GBP per year"):
        rows(by_icb, LOOKUP)


def test_rows_changes_neither_input():
    by_icb, lookup = made_up(), LOOKUP.copy()
    rows(by_icb, lookup)
    assert by_icb == made_up()
    pd.testing.assert_frame_equal(lookup, LOOKUP)


# --- page ----------------------------------------------------------------------------------------------------------

def render(focal: str | None = "QZB", **kwargs) -> str:
    table = rows(made_up(), LOOKUP)
    return page("2024-25", "2024/25: the report rerun", table, focal, links(table), **kwargs)


def test_the_page_names_the_edition_and_has_one_captioned_table_with_unit_headers():
    doc = soup(render())
    assert doc.html["lang"] == "en"
    assert "2024-25" in doc.title.string and "2024-25" in doc.h1.get_text()
    [table] = doc.find_all("table")
    assert "all 3 ICBs" in table.caption.get_text() and "2024-25" in table.caption.get_text()
    headers = [th.get_text() for th in table.thead.find_all("th")]
    assert all(th["scope"] == "col" for th in table.thead.find_all("th"))
    assert headers[1:] == [h.header for h in HEADLINES]
    assert "Funding per head (£)" in headers


def test_each_icb_name_links_to_its_book_in_name_order():
    doc = soup(render())
    anchors = [th.a for th in doc.tbody.find_all("th", scope="row")]
    assert [(a.get_text(), a["href"]) for a in anchors] == [
        ("Alder", "QZA/index.html"), ("Birch", "QZB/index.html"), ("Cedar", "QZC/index.html")]
    assert doc.tbody.th.find(class_="code").get_text() == "QZA · South · figures (JSON)"  # under the name


def cells(doc: BeautifulSoup, code: str) -> list:
    row = next(tr for tr in doc.tbody.find_all("tr") if tr.th.find(class_="code").get_text().startswith(code))
    return row.find_all("td")


def test_values_are_formatted_and_right_aligned():
    doc = soup(render())
    alder = cells(doc, "QZA")
    shown = dict(zip((h.figure_id for h in HEADLINES), (td.get_text() for td in alder), strict=True))
    assert shown["core_allocation_per_head_gbp"] == "£1,907"
    assert shown["core_allocation_per_head_rank"] == "2"
    assert shown["acute_cost_gbp_m"] == "£1,604.4m"
    assert shown["beddays_65plus_growth_2033_pct"] == "24.2%"
    assert all("num" in td["class"] for td in alder)
    assert re.search(r"td\.num\s*\{[^}]*text-align:\s*right", doc.style.string)


def test_a_missing_value_says_not_published_with_its_reason():
    doc = soup(render())
    index = [h.figure_id for h in HEADLINES].index("acute_cost_gbp_m")
    cell = cells(doc, "QZB")[index]
    assert cell.get_text() == "not published"
    assert cell.find(title=True)["title"] == REASON
    absent = cells(doc, "QZC")[-1]
    assert absent.get_text() == "not published" and "do not include" in absent.find(title=True)["title"]


def test_the_focal_row_is_marked_not_by_colour_alone():
    doc = soup(render("QZB"))
    marked = doc.tbody.find_all("tr", attrs={"aria-current": True})
    assert len(marked) == 1 and marked[0].a["href"] == "QZB/index.html"
    assert "▶" in marked[0].th.get_text()
    assert "NHS Birch ICB" in doc.main.p.find_next("p").get_text()
    unmarked = soup(render(None))
    assert not unmarked.find_all(attrs={"aria-current": True}) and "▶" not in unmarked.body.get_text()


def test_the_page_says_where_the_figures_come_from_and_what_a_rank_is():
    text = " ".join(soup(render()).get_text().split())
    assert "results.json" in text and "the same figures its report quotes" in text
    assert "Ranks are of all 3 ICBs (1 = highest)" in text
    # Each row links its figures file, beside the book it links (the focal ICB's one folder up).
    figures = {a["href"] for a in soup(render("QZB")).tbody.find_all("a") if a.get_text() == "figures (JSON)"}
    assert figures == {"QZA/results.json", "QZB/results.json", "QZC/results.json"}


def test_the_page_is_self_contained():
    html = render(icon="_static/favicon.svg")
    doc = soup(html)
    for tag in doc.find_all(src=True) + doc.find_all(href=True):
        url = tag.get("src") or tag.get("href")
        assert not urlsplit(url).scheme and not urlsplit(url).netloc, url
    assert not re.search(r"https?://|@import|url\(", html)  # not in the CSS either
    assert not doc.find_all("script") and not doc.find_all("link", rel="stylesheet")
    assert doc.find("link", rel="icon")["href"] == "_static/favicon.svg"
    assert doc.find("meta", attrs={"name": "viewport"})
    # The table scrolls in its own box, so a narrow screen scrolls it, not the page.
    assert "overflow-x: auto" in doc.style.string and doc.table.parent["class"] == ["scroll"]


def test_without_an_icon_the_page_names_none():
    assert not soup(render()).find("link", rel="icon")


def test_a_value_with_markup_is_escaped():
    html = render()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not soup(html).find_all("script")


@pytest.mark.parametrize("bad", ["https://example.org/QZA/index.html", "//example.org/x", "/QZA/index.html", ""])
def test_a_link_off_the_site_is_a_build_error(bad):
    table = rows(made_up(), LOOKUP)
    with pytest.raises(BuildError, match="QZA"):
        page("2024-25", "t", table, None, {**links(table), "QZA": bad})


def test_an_icb_without_a_link_or_an_unknown_focal_icb_is_a_build_error():
    table = rows(made_up(), LOOKUP)
    with pytest.raises(BuildError, match="QZC"):
        page("2024-25", "t", table, None, {"QZA": "QZA/index.html", "QZB": "QZB/index.html"})
    with pytest.raises(BuildError, match="QZQ"):
        page("2024-25", "t", table, "QZQ", links(table))
