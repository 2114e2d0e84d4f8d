"""The report's verdicts in the built site: every edition's front page and claims page give the verdicts the report's
own edition computes, every chapter agrees with them, and a reader sees each one, on a phone and on a desktop.

The verdicts are recomputed here from the report edition's published results.json with :mod:`sots.analysis.claims`, the
same rules the build applies, so a page that graded a claim on another edition's figures, or lost one, fails."""

from __future__ import annotations

import json
import re

import pytest

from helpers import DESKTOP, EDITIONS, PHONE, REPORT_EDITION, chapter_pages, page_text
from sots.analysis import claims, verdicts

pytestmark = pytest.mark.e2e

PAGE = "notebooks/claims.html"
FRONT = "book/intro.html"
# What a reader sees of each verdict: its badge, whole (not clipped by its cell or by the window), and its row.
BADGES_JS = """sel => [...document.querySelectorAll(sel)].map(b => {
  const r = b.getBoundingClientRect(), cell = b.closest('td').getBoundingClientRect();
  return {text: b.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          cellLeft: cell.left, cellRight: cell.right, clipped: b.scrollWidth > b.clientWidth + 1,
          visible: r.width > 0 && r.height > 0 && getComputedStyle(b).visibility !== 'hidden'};
})"""
SCROLL_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def report_verdicts(site) -> list[claims.Verdict]:
    """The report's verdicts as its own edition's results.json gives them."""
    results = json.loads((site / REPORT_EDITION / "results.json").read_text())
    return claims.evaluate_all(claims.load(), results)


def register_statuses(html: str) -> dict[str, str]:
    """Each claim's id -> its status's slug, as the claims page's register gives them."""
    return dict(re.findall(r'<tbody class="sots-claim[^"]*" id="claim-([A-Z0-9]+)" data-status="([a-z-]+)"', html))


def slug(status: str) -> str:
    return status.replace(" ", "-")


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_edition_gives_the_report_editions_verdicts_on_its_front_page_and_claims_page(built_site, edition):
    expected = report_verdicts(built_site)
    html = (built_site / edition / PAGE).read_text()
    assert register_statuses(html) == {v.id: slug(v.status) for v in expected}
    # The front page's panel: each headline claim, with the same verdict, in the register's order.
    front = (built_site / edition / FRONT).read_text()
    panel = front.split('class="sots-verdicts"', 1)[1].split("</table>", 1)[0]
    row = r'<tr class="sots-verdict-row sots-status-([a-z-]+)">\s*<th scope="row"><a href="[^"]+">([^<]+)<'
    shown = re.findall(row, panel)
    headline = [v for v in expected if v.headline]
    assert [(status, label.replace("&#39;", "'")) for status, label in shown] == [
        (slug(v.status), v.label) for v in headline]
    # The counts in the front page's first sentence and the claims page's key findings are the same verdicts'.
    counted = verdicts.counted(claims.counts(expected))
    assert counted in page_text(built_site / edition / FRONT)
    assert counted in page_text(built_site / edition / PAGE)


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_chapter_agrees_with_the_report_editions_verdicts(built_site, edition):
    """A chapter's key findings sum up its claims' verdicts: the report edition's, in every edition."""
    expected = {v.id: v for v in report_verdicts(built_site)}
    register = claims.load()
    for path in chapter_pages():
        chapter = path.removesuffix(".html")
        mine = [expected[c["id"]] for c in claims.of_chapter(register, chapter)]
        if not mine:
            continue
        text = page_text(built_site / edition / path).replace("’", "'")
        summary = verdicts.summary(mine)
        assert summary.removesuffix(".") in text, (edition, chapter, summary)


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_later_edition_says_what_its_own_data_give_since_the_report(built_site, edition):
    html = (built_site / edition / PAGE).read_text()
    since = re.findall(r'<span class="sots-since-brief">([^<]+)</span>', html)
    if edition == REPORT_EDITION:
        assert since == [] and "Since the report" not in html
    else:
        year = edition.replace("-", "/")
        assert since and all(s.startswith(f"{year}: ") for s in since)
        assert f"Since the report: {year} data give" in html


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("edition", EDITIONS)
def test_every_verdict_is_seen_whole_with_no_sideways_scroll(built_site, serve, visit, edition, viewport):
    """At a phone's width and a desktop's, on the front page and the claims page, every verdict's badge is drawn, whole,
    inside its cell and the window, and the page does not scroll sideways. On a desktop the front page's panel of
    headline claims fits the first screen."""
    base = serve(built_site)
    expected = report_verdicts(built_site)
    for page, selector, n in ((FRONT, ".sots-verdict-table .sots-badge", sum(v.headline for v in expected)),
                              (PAGE, ".sots-register-table .sots-badge", len(expected))):
        v = visit(f"{base}/{edition}/{page}")
        v.page.set_viewport_size(viewport)
        badges = v.page.evaluate(BADGES_JS, selector)
        assert len(badges) == n, page
        for badge in badges:
            assert badge["visible"] and not badge["clipped"], (page, badge)
            assert badge["cellLeft"] - 1 <= badge["left"] and badge["right"] <= badge["cellRight"] + 1, (page, badge)
            assert 0 <= badge["left"] and badge["right"] <= viewport["width"], (page, badge)
        scroll_width, width = v.page.evaluate(SCROLL_JS)
        assert scroll_width <= width, (page, scroll_width)
        assert v.console == []
    if viewport == DESKTOP:
        v = visit(f"{base}/{edition}/{FRONT}")
        v.page.set_viewport_size(viewport)
        bottom = v.page.evaluate("() => document.querySelector('.sots-verdict-table').getBoundingClientRect().bottom")
        assert bottom <= viewport["height"], f"the panel ends at {bottom} px, below the first screen"


def test_the_register_narrows_by_verdict_and_by_chapter(built_site, serve, visit):
    base = serve(built_site)
    expected = report_verdicts(built_site)
    v = visit(f"{base}/{REPORT_EDITION}/{PAGE}")
    rows = v.page.locator("tbody.sots-claim:not([hidden])")
    count = v.page.locator(".sots-filter-count")
    assert rows.count() == len(expected) and count.inner_text() == f"Showing {len(expected)} of {len(expected)} claims."
    v.page.locator(f"input[name=status][value={slug(claims.STATED_ONLY)}]").uncheck()
    checked = [x for x in expected if x.status != claims.STATED_ONLY]
    assert rows.count() == len(checked)
    assert count.inner_text() == f"Showing {len(checked)} of {len(expected)} claims."
    chapter = checked[0].claim["chapter"]
    v.page.select_option("select[name=chapter]", chapter.replace("/", "-"))
    mine = [x.id for x in checked if x.claim["chapter"] == chapter]
    assert rows.evaluate_all("els => els.map(e => e.id)") == [f"claim-{i}" for i in mine]
    # A claim's detail opens on its explanation, in plain words, with the figure ids kept to the analysts' line.
    first = v.page.locator(f"#claim-{mine[0]} details")
    first.locator("summary").click()
    assert first.locator("p").first.is_visible()
    detail = first.inner_text()
    assert verdicts.line(next(x for x in expected if x.id == mine[0])) in detail
    assert v.console == []


def test_another_icbs_book_grades_no_claim(another_icb_site):
    from helpers import CURRENT

    html = (another_icb_site / CURRENT / PAGE).read_text()
    assert set(register_statuses(html).values()) == {slug(claims.STATED_ONLY)}
    front = page_text(another_icb_site / CURRENT / FRONT)
    assert "The report is about Lancashire and South Cumbria; this book is for South West London" in front
    assert "sots-verdict-table" not in (another_icb_site / CURRENT / FRONT).read_text()
