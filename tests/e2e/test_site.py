"""The built book: offline, charts drawn in a real browser, code off the page (in the notebooks), numbers in prose
equal to results.json."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from helpers import (
    ANOTHER_ICB,
    ARCHIVED,
    CURRENT,
    DATA,
    EDITIONS,
    ROOT,
    SWITCHER_NAMES,
    Links,
    bars,
    chapter_pages,
    dots,
    edition_entry,
    focal,
    page_text,
)

pytestmark = pytest.mark.e2e

CHAPTER_PAGE = "notebooks/funding_per_head.html"
CHAPTER = f"{CURRENT}/{CHAPTER_PAGE}"
# The funding chapter records its figures for every year of allocations in the data (ids end in the year, 2024_25).
YEARS = tuple(sorted({y.replace("/", "_") for y in pd.read_csv(DATA / "icb_allocations.csv", dtype=str)["year"]}))
# Known answers: the core allocation per registered head of L&SC in each edition's allocation year, in GBP.
PER_HEAD_GBP = {"2023-24": 1873.10, "2024-25": 1907.35}
N_ICBS = len(pd.read_csv(DATA / "icb_lookup.csv"))
HEADLINES = ["core_allocation_per_head_gbp", "core_allocation_per_head_rank", "core_allocation_per_weighted_head_gbp",
             "core_allocation_per_weighted_head_rank", "distance_from_target_pct", "distance_from_target_rank"]


def allocation_year(edition_id: str) -> str:
    """The edition's year of allocations, e.g. "2024/25"."""
    return edition_entry(edition_id).inputs["allocation_year"]


def results(site, edition):
    return json.loads((site / edition / "results.json").read_text())


def link_out(tag: str, attribute: str, url: str) -> bool:
    """A link a reader follows to a source's page (welcome): an anchor to a well-formed https address. Anything else
    off the site (a script, style sheet, image or font, or plain http) would load from outside it."""
    parts = urlparse(url)
    return (tag, attribute, parts.scheme) == ("a", "href", "https") and bool(parts.hostname) and " " not in url


def test_html_loads_nothing_off_site_and_no_cdn_loader(built_site):
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) >= 10
    out = 0
    for page in pages:
        text = page.read_text()
        parser = Links()
        parser.feed(text)
        off_site = [u for u in parser.urls if urlparse(u[2]).scheme in ("http", "https") or u[2].startswith("//")]
        loads = [u for u in off_site if not link_out(*u)]
        assert loads == [], f"{page.relative_to(built_site)} loads from off the site: {loads}"
        out += len(off_site)
        # Any CDN host, or a script loader that would fetch from one.
        loader = re.search(
            r"cdn(js)?[.]|jsdelivr|unpkg|google(apis|usercontent)|require(\.min)?\.js|THEBE_JS_URL", text)
        assert loader is None, f"{page.relative_to(built_site)} mentions {loader[0]}"
    assert out > 0  # the sources' pages are linked (the walk above sees them)
    assert "://" not in (built_site / "switcher.json").read_text()


def test_site_has_every_edition_and_its_index_redirects_to_the_current_one(built_site):
    assert sorted(p.name for p in built_site.iterdir()) == [".sots-site", *EDITIONS, "changes.html", "index.html",
                                                            "switcher.json"]  # .sots-site: a site sots made
    index = (built_site / "index.html").read_text()
    assert f"url={CURRENT}/index.html" in index
    assert f'<link rel="icon" href="{CURRENT}/_static/favicon.svg">' in index
    for edition in EDITIONS:
        edition_index = (built_site / edition / "index.html").read_text()
        assert "url=book/intro.html" in edition_index
        assert '<link rel="icon" href="_static/favicon.svg">' in edition_index
        assert (built_site / edition / "_static" / "favicon.svg").is_file()
    switcher = json.loads((built_site / "switcher.json").read_text())
    assert [(e["version"], e["url"], e.get("preferred", False)) for e in switcher] == [
        (e, f"../{e}/", e == CURRENT) for e in reversed(EDITIONS)]


def test_the_changes_page_lists_every_edition_with_each_headline_value_and_why_it_changed(built_site):
    """changes.html: every edition of editions.yml, oldest first, linking to its front page; funding per head as each
    edition's results.json gives it, formatted as the national page formats it, and "new data" for the current one
    (its allocation year differs from the edition before it)."""
    from bs4 import BeautifulSoup

    from sots.site import changes, national

    doc = BeautifulSoup((built_site / changes.PAGE).read_text(), "html.parser")
    assert [a["href"] for a in doc.select(".editions a")] == [f"{e}/book/intro.html" for e in EDITIONS]
    headline = next(h for h in national.HEADLINES if h.figure_id == "core_allocation_per_head_gbp")
    table = doc.select("div.scroll table")[0]
    headers = [th.get_text() for th in table.thead.find_all("th")]
    assert [h for h in headers if h in EDITIONS] == list(EDITIONS)
    row = next(tr for tr in table.tbody.find_all("tr") if tr.th.get_text() == headline.header)
    cells = [td.get_text() for td in row.find_all("td")]
    assert cells[0] == headline.format(results(built_site, EDITIONS[0])[headline.figure_id]["value"])
    for i, edition in enumerate(EDITIONS[1:]):  # each later edition: its value, the change, and why
        value, _, why = cells[1 + 3 * i: 4 + 3 * i]
        assert value == headline.format(results(built_site, edition)[headline.figure_id]["value"])
        if edition == CURRENT:
            assert why == changes.NEW_DATA


@pytest.mark.parametrize("edition", EDITIONS)
def test_results_json_has_every_funding_figure_and_the_editions_headlines(built_site, edition):
    figures = results(built_site, edition)
    # The years an edition records by year are those of its window: its own allocation year's publication (and the
    # outturn year's), never a later publication's.
    years = sorted(k.removeprefix("core_allocation_per_head_gbp_") for k in figures
                   if k.startswith("core_allocation_per_head_gbp_"))
    assert allocation_year(edition).replace("/", "_") in years and set(years) <= set(YEARS)
    names = ["core_allocation_per_head_gbp", "core_allocation_per_head_rank", "core_allocation_per_weighted_head_gbp",
             "core_allocation_per_weighted_head_rank", "distance_from_target_pct"]
    for name in names:
        for year in years:
            entry = figures[f"{name}_{year}"]
            # A measure not published for the year is recorded as not computed, with the reason.
            assert set(entry) - {"not_computed"} == {"value", "unit", "edition", "icb", "inputs", "method",
                                                     "provenance"} or set(entry) >= {"value", "not_computed"}
            assert entry["edition"] == edition and entry["icb"] == "QE1"
            if entry["value"] is None:
                assert "did not publish" in entry["not_computed"]
                continue
            assert set(entry["provenance"]) == {"edition", "code_sha256", "commit", "parameters_sha256", "sources"}
            assert entry["provenance"]["sources"] and all(", " in src for src in entry["provenance"]["sources"])
            assert entry["provenance"]["edition"] == edition
            assert isinstance(entry["value"], (int, float))
    # The headline figures are the edition's allocation year's.
    year = allocation_year(edition)
    for name in HEADLINES:
        assert figures[name]["value"] == figures[f"{name}_{year.replace('/', '_')}"]["value"], name
        if figures[name]["value"] is not None:
            assert figures[name]["inputs"]["year"] == year


def test_the_editions_headline_figures_differ_as_their_years_do(built_site):
    built = {edition: results(built_site, edition) for edition in EDITIONS}
    # Known answers: 2023/24 and 2024/25, which differ in each measure.
    for edition, gbp in PER_HEAD_GBP.items():
        assert built[edition]["core_allocation_per_head_gbp"]["value"] == pytest.approx(gbp, abs=0.01)
    for name in ("core_allocation_per_head_gbp", "core_allocation_per_weighted_head_gbp", "distance_from_target_pct"):
        assert built["2023-24"][name]["value"] != built["2024-25"][name]["value"]
    # Figures by year are the same in every edition: the data are the same, only the edition's year differs. So each
    # edition's headline figure is, in every other edition that reads its year, the figure for that year.
    for one, other in itertools.permutations(EDITIONS, 2):
        by_year = [k for k in built[one] if k.endswith(YEARS) and k in built[other]]
        assert all(built[one][k]["value"] == built[other][k]["value"] for k in by_year), (one, other)
        year = allocation_year(one).replace("/", "_")
        for name in [n for n in HEADLINES if f"{n}_{year}" in built[other]]:
            assert built[one][name]["value"] == built[other][f"{name}_{year}"]["value"], (one, other, name)


@pytest.mark.parametrize("edition", EDITIONS)
def test_prose_quotes_the_values_in_results_json(built_site, edition):
    """The glued numbers on the page are the ones in results.json, formatted as the prose formats them."""
    figures = results(built_site, edition)
    text = page_text(built_site / edition / CHAPTER_PAGE)
    per_head = figures["core_allocation_per_head_gbp"]["value"]
    weighted = figures["core_allocation_per_weighted_head_gbp"]["value"]
    dft = figures["distance_from_target_pct"]["value"]
    year = allocation_year(edition)
    assert f"In {year}, NHS Lancashire and South Cumbria ICB received" in text
    assert f"£{per_head:,.0f} of core allocation per registered head" in text
    assert f"£{weighted:,.0f}" in text
    if dft is None:  # not published for the year: said so
        assert f"NHS England did not publish distance from target for {year}" in text
    else:
        assert f"{abs(dft):.2f}% above its fair-shares target" in text
    intro = page_text(built_site / edition / "book" / "intro.html")
    assert f"£{per_head:,.0f}, rank {figures['core_allocation_per_head_rank']['value']}" in intro
    assert f"For the ICB in {year}" in intro and "built for NHS Lancashire and South Cumbria ICB" in intro


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_edition_has_a_manifest_of_every_input_and_output(built_site, edition):
    from sots.inputs import slices
    from sots.site import publish, release

    folder = built_site / edition
    manifest = json.loads((folder / "manifest.json").read_text())
    assert publish.verify_manifest(folder) == []
    assert manifest["edition"] == edition and manifest["version"] == release.version()
    assert manifest["commit"] == release.commit(ROOT)
    assert (manifest["build_time"], manifest["build_time_source"]) == release.build_time(ROOT)
    entry = edition_entry(edition)
    assert manifest["data_years"] == entry.inputs
    # What the edition read of each table: the sha256 of its rows and, for a table read by years, the years.
    assert manifest["inputs"] == slices.edition_inputs(DATA, entry.inputs)
    assert entry.inputs["allocation_year"] in manifest["inputs"]["icb_allocations"]["years"]
    assert "years" not in manifest["inputs"]["population_projection"]
    assert manifest["sources"]["notebooks/funding_per_head.ipynb"] == publish.sha256_file(
        ROOT / "notebooks" / "funding_per_head.ipynb")
    assert {"_config.yml", "_toc.yml", "book/intro.md", "notebooks/timeline.ipynb"} <= set(manifest["sources"])
    assert {"results.json", "book/intro.html", "notebooks/timeline.html", CHAPTER_PAGE} <= set(manifest["outputs"])
    assert "manifest.json" not in manifest["outputs"]
    # Which chapter read which table (the rows' sha256 as in "inputs"), as each chapter recorded it.
    assert set(manifest["chapters"]) == {Path(p).stem for p in chapter_pages()}
    for tables in manifest["chapters"].values():
        assert "icb_lookup" in tables  # every chapter resolves its ICB
        assert all(sha == manifest["inputs"][name]["sha256"] for name, sha in tables.items())


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_footer_shows_edition_release_and_commit(built_site, edition):
    from sots.site import release

    short = release.Release("", release.commit(ROOT), "", "").short_commit
    footer = f"Edition {edition} · release {release.version()} · commit {short}"
    folder = built_site / edition
    pages = [p for p in folder.rglob("*.html") if p.name != "index.html" and not p.is_relative_to(folder / "_static")]
    assert len(pages) >= 5
    for page in pages:
        assert footer in page_text(page), page


def test_code_is_off_the_page_but_in_the_notebook(built_site):
    """Readers see no code: every code cell's source is off the page, and the notebook a reader downloads holds it."""
    html = (built_site / CHAPTER).read_text()
    cells = re.findall(r'<div class="cell (tag_[^"]*)"', html)
    assert cells and all("tag_remove-input" in c for c in cells), cells
    assert "cell_input" not in html and "Show code cell" not in html
    nb = json.loads((built_site / CURRENT / "_sources" / "notebooks" / f"{Path(CHAPTER).stem}.ipynb").read_text())
    assert any("chapter.open" in "".join(c["source"]) for c in nb["cells"])
    assert "/tmp/" not in html and str(built_site) not in html


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_chapter_page_links_its_notebook_and_its_script_which_exist_offline(built_site, edition):
    """Each chapter's download menu offers the executed notebook (.ipynb) and the chapter as a Python script (.py),
    by relative addresses to files in the edition, listed in its manifest; the script compiles."""
    folder = built_site / edition
    listed = json.loads((folder / "manifest.json").read_text())["outputs"]
    for path in chapter_pages(edition):
        page = built_site / path
        parser = Links()
        parser.feed(page.read_text())
        downloads = {"ipynb": [], "py": []}
        for _, _, url in parser.urls:
            if url.endswith((".ipynb", ".py")):
                downloads[url.rsplit(".", 1)[1]].append(url)
        stem = page.stem
        assert [u.rsplit("/", 1)[1] for u in downloads["ipynb"]] == [f"{stem}.ipynb"], (path, downloads)
        assert [u.rsplit("/", 1)[1] for u in downloads["py"]] == [f"{stem}.py"], (path, downloads)
        for url in downloads["ipynb"] + downloads["py"]:
            assert not urlparse(url).scheme and not url.startswith("/"), url  # relative: works offline, any path
            target = (page.parent / url).resolve()
            assert target.is_file(), (path, url)
            assert target.relative_to(folder.resolve()).as_posix() in listed, url
        script = (page.parent / downloads["py"][0]).resolve()
        compile(script.read_text(), script.name, "exec")
        notebook = json.loads((page.parent / downloads["ipynb"][0]).read_text())
        assert any(cell.get("outputs") for cell in notebook["cells"]), f"{path}: the notebook is not the executed one"
        assert "/tmp/" not in script.read_text() and str(built_site) not in script.read_text()


@pytest.mark.parametrize("edition", EDITIONS)
def test_results_json_has_the_demand_figures_with_intervals(built_site, edition):
    results = json.loads((built_site / edition / "results.json").read_text())
    for band in ("65plus", "85plus"):
        for year in (2033, 2043):
            entry = results[f"beddays_{band}_growth_{year}_pct"]
            assert entry["inputs"]["base_year"] == 2023 and entry["p10"] < entry["value"] < entry["p90"]
            assert f"pop_{band}_growth_{year}_pct" in results
    for name in ("pop_85plus_growth_25y_pct", "hospital_cost_demographic_growth_2038_pct",
                 "implied_non_demographic_growth_pa_pct", "jean_bishop_beddays_avoided_2033"):
        assert isinstance(results[name]["value"], float), name


def funding_charts(site, edition):
    """The charts the funding chapter draws: a ranked bar per measure published for the edition's year (distance from
    target may not be), then the scatter."""
    return 3 + (results(site, edition)["distance_from_target_pct"]["value"] is not None)


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_funding_chapter_draws_a_mark_per_icb_and_highlights_the_icb_alone(built_site, crawl, edition):
    """The funding chapter's charts as the browser drew them (the crawl of tests/e2e/test_browser.py, which also
    checks that every page loads offline with no console errors and every chart drawn)."""
    charts = crawl.pages[f"{edition}/{CHAPTER_PAGE}"].charts
    n = funding_charts(built_site, edition)
    assert len(charts) == n
    # A dot per ICB for the two per-head measures (their spread is small beside their size), a bar per ICB for the
    # distance from target when published, then the scatter's points.
    assert [(bars(c), dots(c)) for c in charts] == [(0, N_ICBS)] * 2 + [(N_ICBS, 0)] * (n - 3) + [(0, N_ICBS)]
    # In each chart L&SC's bar or point, and no other, is in the highlight colour.
    assert [focal(c) for c in charts] == [["Lancashire and South Cumbria"]] * n, charts
    assert all("Lancashire and South Cumbria" in c["label"] for c in charts)


@pytest.mark.parametrize("archived", ARCHIVED)
@pytest.mark.parametrize("prefix", ["", "reports/"])
def test_switcher_and_archived_banner_go_to_the_same_page_in_the_other_edition(built_site, serve, visit, tmp_path,
                                                                                prefix, archived):
    """Over a loopback server, from the site's root and from a sub-path: every edition is listed on every page, each
    archived edition's banner links to the current one, and choosing an edition opens the same page in it."""
    if prefix:
        (tmp_path / prefix).mkdir()
        (tmp_path / prefix / "site").symlink_to(built_site)
        base = f"{serve(tmp_path)}/{prefix}site/"
    else:
        base = f"{serve(built_site)}/"
    v = visit(f"{base}{archived}/{CHAPTER_PAGE}")
    banner = v.page.locator("#sots-archived-banner")
    banner.wait_for()
    assert f"This is the {archived} edition" in banner.inner_text()
    assert banner.locator("a").get_attribute("href") == f"{base}{CURRENT}/{CHAPTER_PAGE}"
    v.page.locator(".version-switcher__button").first.click()
    items = v.page.locator(".version-switcher__menu").first.locator("a")
    items.first.wait_for()
    listed = items.evaluate_all("els => els.map(e => [e.textContent, e.getAttribute('href')])")
    newest_first = list(reversed(EDITIONS))
    assert listed == [[SWITCHER_NAMES[e], f"{base}{e}/{CHAPTER_PAGE}"] for e in newest_first]
    items.nth(newest_first.index(CURRENT)).click()
    v.page.wait_for_url(f"{base}{CURRENT}/{CHAPTER_PAGE}")
    v.page.wait_for_load_state("networkidle")
    assert v.page.locator("#sots-archived-banner").count() == 0
    assert v.page.locator(".version-switcher__button").first.inner_text() == SWITCHER_NAMES[CURRENT]
    assert v.console == []


def test_another_icb_builds_with_its_name_and_highlight(another_icb_site, serve, visit):
    site = another_icb_site
    assert sorted(p.name for p in site.iterdir()) == [".sots-site", CURRENT, "changes.html", "index.html",
                                                      "switcher.json"]
    figures = results(site, CURRENT)
    assert {e["icb"] for e in figures.values()} == {ANOTHER_ICB}
    v = visit(f"{serve(site)}/{CHAPTER}")
    charts = v.charts()
    assert "South West London" in v.page.title()
    n = funding_charts(site, CURRENT)
    assert len(charts) == n and all("South West London" in c["label"] for c in charts)
    assert [focal(c) for c in charts] == [["South West London"]] * n, charts  # its highlight, no other
    assert v.page.get_by_text(f"In {allocation_year(CURRENT)}, NHS South West London ICB received").count() >= 1
    for path in chapter_pages(CURRENT):  # every chapter draws for another ICB too
        other = visit(f"{serve(site)}/{path}")
        other.wait_for_charts()
        assert other.console == [], f"{path}: {other.console}"
    assert v.console == []
    intro = page_text(site / CURRENT / "book" / "intro.html")
    assert "built for NHS South West London ICB" in intro
