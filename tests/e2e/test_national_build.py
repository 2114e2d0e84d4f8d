"""A national build of three ICBs (South West London's book, `--icb`, and two others, `--also-icb`; the session's
`another_icb_site`): each other ICB's book under <edition>/icb/<CODE>/, and the national page of their headline
figures, opened in headless Chromium."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest

from helpers import ANOTHER_ICB, CURRENT, DATA, OTHER_ICBS, chapter_pages
from sots.inputs import data
from sots.site import national, printbook, publish

pytestmark = pytest.mark.e2e

LOOKUP = data.load("icb_lookup", DATA)
FOCAL, OTHERS = ANOTHER_ICB, list(OTHER_ICBS)


@pytest.fixture(scope="module")
def national_site(another_icb_site):
    return another_icb_site


def test_each_icbs_book_is_under_icb_with_its_own_figures_and_the_edition_manifest_covers_them(national_site):
    edition = national_site / CURRENT
    assert sorted(p.name for p in (edition / "icb").iterdir()) == sorted([*OTHERS, "index.html"])
    for code in OTHERS:
        figures = json.loads((edition / "icb" / code / "results.json").read_text())
        assert {e["icb"] for e in figures.values()} == {code}
        assert publish.verify_manifest(edition / "icb" / code) == []
        # One PDF per edition: another ICB's book is not printed, and its front page names no PDF.
        assert not list((edition / "icb" / code).glob("*.pdf"))
        assert not re.search(r'href="[^"]*\.pdf"', (edition / "icb" / code / "book" / "intro.html").read_text())
    assert (edition / printbook.pdf_name(CURRENT)).is_file()
    assert publish.verify_manifest(edition) == []  # the edition's manifest lists every ICB's book too


def test_the_national_page_shows_each_icbs_headlines_from_its_results_and_links_to_its_book(national_site, serve,
                                                                                          visit):
    base = f"{serve(national_site)}/{CURRENT}/icb/"
    v = visit(f"{base}index.html")
    assert v.response.status == 200
    rows = v.page.locator("tbody tr")
    assert rows.count() == 1 + len(OTHERS)
    assert v.page.locator("tbody tr[aria-current]").count() == 1
    for code in [FOCAL, *OTHERS]:
        folder = national_site / CURRENT / ("" if code == FOCAL else f"icb/{code}")
        figures = json.loads((folder / "results.json").read_text())
        row = rows.filter(has_text=LOOKUP.set_index("icb_code").loc[code, "short_name"])
        assert row.count() == 1
        text = row.inner_text()
        for headline in national.HEADLINES:
            value = figures[headline.figure_id]["value"]
            assert (headline.format(value) if value is not None else national.MISSING) in text, (code, headline)
    assert all(urlparse(url).netloc == urlparse(base).netloc for url in v.requests), v.requests
    assert v.console == []
    # The focal ICB's link is the edition's own book; another's opens its book, whose chapters draw.
    assert v.page.locator("tbody tr[aria-current] th > a").get_attribute("href") == "../index.html"
    # Each row's "figures (JSON)" opens the results.json its row was read from.
    hrefs = v.page.locator("tbody th .code a").evaluate_all("as => as.map(a => a.href)")
    assert len(hrefs) == rows.count() and all(h.endswith("/results.json") for h in hrefs), hrefs
    assert all(v.page.request.get(h).json() for h in hrefs)
    short = LOOKUP.set_index("icb_code").loc[OTHERS[0], "short_name"]
    v.page.get_by_role("link", name=short, exact=True).click()
    # Its index.html redirects to the book's first page.
    v.page.wait_for_url(re.compile(re.escape(f"{base}{OTHERS[0]}/") + r"(?!index\.html).+\.html"))
    v.page.wait_for_load_state("load")
    assert short in v.page.title()
    # Its chapters draw (every chapter of another ICB's book is opened in test_site's test of ANOTHER_ICB's).
    path = chapter_pages(CURRENT)[0]
    page = visit(f"{base}{OTHERS[0]}/{path.split('/', 1)[1]}")
    page.wait_for_charts()
    assert page.console == [], f"{path}: {page.console}"
    assert all(urlparse(url).netloc == urlparse(base).netloc for url in page.requests), page.requests


def test_an_icbs_book_switches_edition_to_the_same_icbs_book(national_site, serve, visit):
    base = f"{serve(national_site)}/"
    v = visit(f"{base}{CURRENT}/icb/{OTHERS[1]}/notebooks/funding_per_head.html")
    v.page.locator(".version-switcher__button").first.click()
    item = v.page.locator(".version-switcher__menu").first.locator("a").first
    item.wait_for()
    assert item.get_attribute("href") == f"{base}{CURRENT}/icb/{OTHERS[1]}/notebooks/funding_per_head.html"
    assert v.console == []
