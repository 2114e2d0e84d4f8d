"""The built book: offline, charts drawn in a real browser, code folded, numbers in prose equal to results.json."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pandas as pd
import pytest

from helpers import DATA, sots

pytestmark = pytest.mark.e2e

EDITION = "2023-24"
CHAPTER = f"{EDITION}/notebooks/funding_per_head.html"
YEARS = ("2023_24", "2024_25")
N_ICBS = len(pd.read_csv(DATA / "icb_lookup.csv"))


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append((tag, name, value))


def test_html_has_no_off_site_src_or_href_and_no_cdn_loader(built_site):
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        text = page.read_text()
        parser = Links()
        parser.feed(text)
        off_site = [u for u in parser.urls if urlparse(u[2]).scheme in ("http", "https") or u[2].startswith("//")]
        assert off_site == [], f"{page.relative_to(built_site)} links off-site: {off_site}"
        # Any CDN host, or a script loader that would fetch from one.
        loader = re.search(r"cdn(js)?[.]|jsdelivr|unpkg|googleapis|require(\.min)?\.js|THEBE_JS_URL", text)
        assert loader is None, f"{page.relative_to(built_site)} mentions {loader[0]}"


def test_site_index_redirects_to_the_edition(built_site):
    index = (built_site / "index.html").read_text()
    assert f'url={EDITION}/index.html' in index
    edition_index = (built_site / EDITION / "index.html").read_text()
    assert "url=book/intro.html" in edition_index
    for page, icon in ((index, f"{EDITION}/_static/favicon.svg"), (edition_index, "_static/favicon.svg")):
        assert f'<link rel="icon" href="{icon}">' in page
    assert (built_site / EDITION / "_static" / "favicon.svg").is_file()


def test_results_json_has_every_funding_figure_for_both_years(built_site):
    results = json.loads((built_site / EDITION / "results.json").read_text())
    names = ["core_allocation_per_head_gbp", "core_allocation_per_head_rank", "core_allocation_per_weighted_head_gbp",
             "core_allocation_per_weighted_head_rank", "distance_from_target_pct"]
    for name in names:
        for year in YEARS:
            entry = results[f"{name}_{year}"]
            assert set(entry) == {"value", "unit", "edition", "icb", "inputs", "method"}
            assert entry["edition"] == EDITION and entry["icb"] == "QE1"
            assert isinstance(entry["value"], (int, float))


def test_prose_quotes_the_values_in_results_json(built_site):
    """The glued numbers on the page are the ones in results.json, formatted as the prose formats them."""
    results = json.loads((built_site / EDITION / "results.json").read_text())
    text = re.sub(r"<[^>]+>", "", (built_site / CHAPTER).read_text())
    per_head = results["core_allocation_per_head_gbp_2023_24"]["value"]
    weighted = results["core_allocation_per_weighted_head_gbp_2023_24"]["value"]
    dft = results["distance_from_target_pct_2023_24"]["value"]
    assert f"£{per_head:,.0f} of core allocation per registered head" in text
    assert f"£{weighted:,.0f}" in text
    assert f"{abs(dft):.2f}% above its fair-shares target" in text
    intro = re.sub(r"<[^>]+>", "", (built_site / EDITION / "book" / "intro.html").read_text())
    assert f"£{per_head:,.0f}" in intro


def test_code_is_folded_but_available(built_site):
    html = (built_site / CHAPTER).read_text()
    cells = re.findall(r'<div class="cell (tag_[^"]*)"', html)
    assert cells and all("tag_hide-input" in c for c in cells), cells
    assert any("tag_injected-parameters" in c for c in cells)
    # The injected parameters are there for readers who unfold them, with no build-machine paths.
    assert '<span class="n">results_fragment</span>' in html
    assert "/tmp/" not in html and str(built_site) not in html


def test_pages_load_offline_with_no_console_errors_and_every_chart_drawn(built_site, serve, visit):
    base = serve(built_site)
    for path in ("", f"{EDITION}/book/intro.html", CHAPTER):
        v = visit(f"{base}/{path}")
        assert v.response.ok
        if path == CHAPTER:
            v.wait_for_charts()
            charts = v.page.eval_on_selector_all(
                ".sots-chart",
                "els => els.map(e => ({marks: e.querySelectorAll('svg.marks g.role-mark > *').length,"
                " bars: e.querySelectorAll('svg.marks g.mark-rect.role-mark > path').length,"
                " focal: e.querySelectorAll('svg.marks g.role-mark > path[fill=\"#005EB8\"]').length,"
                " label: e.getAttribute('aria-label')}))",
            )
            assert len(charts) == 4
            assert all(c["marks"] > 0 for c in charts), charts
            assert [c["bars"] for c in charts] == [N_ICBS, N_ICBS, N_ICBS, 0]  # one bar per ICB, then the scatter
            assert all(c["focal"] == 1 for c in charts), charts
            assert all("Lancashire and South Cumbria" in c["label"] for c in charts)
        v.page.wait_for_load_state("networkidle")
        assert v.console == [], f"{path or 'index'}: {v.console}"
        origin = base + "/"
        off_site = [u for u in v.requests if not u.startswith((origin, "data:", "blob:", "about:"))]
        assert off_site == [], off_site


def test_folded_code_opens_on_request(built_site, serve, visit):
    v = visit(f"{serve(built_site)}/{CHAPTER}")
    source = v.page.locator(".tag_injected-parameters .cell_input")
    assert not source.is_visible()
    v.page.locator(".tag_injected-parameters summary").first.click()
    assert source.is_visible()
    assert "edition" in source.inner_text()


def test_another_icb_builds_with_its_name_and_highlight(another_icb_site, serve, visit):
    site = another_icb_site
    results = json.loads((site / EDITION / "results.json").read_text())
    assert {e["icb"] for e in results.values()} == {"QWE"}
    v = visit(f"{serve(site)}/{CHAPTER}")
    v.wait_for_charts()
    assert "South West London" in v.page.title()
    labels = v.page.eval_on_selector_all(".sots-chart", "els => els.map(e => e.getAttribute('aria-label'))")
    assert len(labels) == 4 and all("South West London" in label for label in labels)
    assert v.page.get_by_text("NHS South West London ICB").count() >= 1
    assert v.console == []


def test_a_rebuild_from_the_same_inputs_is_byte_identical(built_site, tmp_path):
    """No timestamps, random ids or build paths in the published edition, so a rebuild changes nothing."""
    site = tmp_path / "site"
    done = sots("build", "--out", str(site))
    assert done.returncode == 0, done.stderr
    first = {p.relative_to(built_site): p.read_bytes() for p in built_site.rglob("*") if p.is_file()}
    again = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert sorted(first) == sorted(again)
    assert [str(p) for p in first if first[p] != again[p]] == []
