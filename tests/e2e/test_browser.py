"""Every page of the built site in a real browser (Debian Chromium driven by Playwright, over a loopback server): it
loads with no errors and asks no other host for anything, its charts are drawn, its version switcher goes to the same
page in every edition, axe-core finds nothing serious in it, and a phone never scrolls it sideways. Its links are
checked in Python, from the built files.

The browser opens each page once (the session's `crawl`, in conftest.py) and these tests read what it found, so each
failure names every page it happens on.
"""

from __future__ import annotations

import json
import posixpath
import struct
from urllib.parse import unquote, urlsplit

import pytest

from helpers import (
    AXE_TAGS,
    CURRENT,
    DESKTOP,
    EDITIONS,
    PHONE,
    SCREENSHOTS,
    SWITCHER_NAMES,
    browsed_pages,
    chapter_pages,
    follow_redirects,
    links,
    site_pages,
)

pytestmark = pytest.mark.e2e

# Serious and critical findings fail the build; minor and moderate ones are listed in the summary for a person to
# weigh (axe's own grading: serious and critical block or badly hinder some readers).
BLOCKING = ("serious", "critical")
AXE_SUMMARY = SCREENSHOTS / "axe-summary.json"
# Schemes of links that name no file of the site. An off-site link (http, https) may stand in prose as a link, never
# followed here; the crawl shows that no page loads anything from another host, and tests/e2e/test_site.py says
# where off-site links may stand at all.
NOT_FILES = ("mailto", "data", "tel", "http", "https")


def pages_of(crawl, *, redirects: bool = False):
    """The crawled pages that are redirects, or (by default) those that are not."""
    return [p for p in crawl.pages.values() if (p.redirect is not None) == redirects]


def test_the_crawl_opened_every_page_of_every_edition(crawl, built_site):
    assert list(crawl.pages) == browsed_pages(built_site)
    for edition in EDITIONS:  # each edition's redirect, front page and chapters among them
        assert {f"{edition}/index.html", f"{edition}/book/intro.html", *chapter_pages(edition)} <= set(crawl.pages)
    assert "index.html" in crawl.pages
    slowest = max(crawl.pages.values(), key=lambda p: p.seconds)
    print(f"crawled {len(crawl.pages)} pages in {sum(p.seconds for p in crawl.pages.values()):.1f} s"
          f" (slowest {slowest.path}, {slowest.seconds:.1f} s)")


def test_every_page_answers_200_with_no_console_errors_and_nothing_missing(crawl):
    bad = {p.path: (p.status, p.console, p.failed, p.problems) for p in crawl.pages.values()
           if p.status != 200 or p.console or p.failed or p.problems}
    assert bad == {}, json.dumps(bad, indent=1)


def test_no_page_asks_any_other_host_for_anything(crawl):
    assert all(p.off_site == [] for p in crawl.pages.values()), {p.path: p.off_site for p in crawl.pages.values()
                                                                   if p.off_site}


def test_redirects_land_where_their_file_says(crawl, built_site):
    redirects = pages_of(crawl, redirects=True)
    assert {p.path for p in redirects} == {"index.html", *(f"{e}/index.html" for e in EDITIONS)}
    for page in redirects:
        assert page.landed == f"{crawl.base}/{follow_redirects(built_site, page.path)}", page.path
    # The site's own front door ends on the current edition's front page, each edition's on its own.
    assert crawl.pages["index.html"].landed == f"{crawl.base}/{CURRENT}/book/intro.html"
    assert {p.path: p.redirect for p in redirects if p.path != "index.html"} == {
        f"{e}/index.html": f"{e}/book/intro.html" for e in EDITIONS}


def test_every_chart_is_drawn_and_every_chapter_but_the_timeline_has_one(crawl):
    undrawn = {p.path: [c["label"] for c in p.charts if not c["marks"]] for p in pages_of(crawl)}
    assert all(v == [] for v in undrawn.values()), undrawn
    for edition in EDITIONS:
        for path in chapter_pages(edition):
            assert crawl.pages[path].charts or path.endswith("/timeline.html"), f"{path}: no charts"


def test_internal_links_and_anchors_resolve(built_site):
    """Every src and href on every page that names a file of the site names one that exists, and its #fragment, if
    any, an id (or an anchor's name) in that file. The version switcher's links are made by script, so the crawl
    checks them (test_switcher_...)."""
    pages = site_pages(built_site)
    parsed = {path: links(built_site / path) for path in pages}
    broken = []
    for path, page in parsed.items():
        for tag, attr, url in page.urls:
            parts = urlsplit(url)
            if parts.scheme in NOT_FILES or url.startswith("//"):
                continue
            assert not parts.scheme, f"{path}: <{tag} {attr}={url!r}>: an unknown scheme"
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path))) \
                if parts.path else path
            if target.startswith("../") or not (built_site / target).is_file():
                broken.append(f"{path}: <{tag} {attr}={url!r}>: no file {target}")
            elif parts.fragment and target.endswith(".html"):
                ids = parsed[target].ids if target in parsed else links(built_site / target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path}: <{tag} {attr}={url!r}>: no #{parts.fragment} in {target}")
    assert broken == [], "\n".join(broken)
    # The check saw the links that matter: the relative ones up to an edition's results.json, and anchors.
    every = [url for page in parsed.values() for _, _, url in page.urls]
    assert any(u.startswith("../results.json") for u in every)
    assert any(u.startswith("#") and len(u) > 1 for u in every)


def test_switcher_on_every_page_lists_every_edition_and_links_the_same_page_in_each(crawl, built_site):
    """Each edition's every page lists every edition, newest first, the current one marked, each linking to the page
    of the same name in that edition, which exists. (Choosing an edition in the menu is tested once, from an
    archived edition, in test_site.py's test_switcher_and_archived_banner_...)"""
    newest_first = list(reversed(EDITIONS))
    wrong = {}
    for page in pages_of(crawl):
        edition, _, name = page.path.partition("/")
        if edition not in EDITIONS:  # a page of the site's own (changes.html): no switcher, and in no edition
            assert not page.switcher, page.path
            continue
        expected = [[SWITCHER_NAMES[e], f"{crawl.base}/{e}/{name}"] for e in newest_first]
        if not page.switcher or any(menu != expected for menu in page.switcher):
            wrong[page.path] = page.switcher
        missing = [e for e in EDITIONS if not (built_site / e / name).is_file()]
        if missing:
            wrong[page.path] = f"not in {missing}"
    assert wrong == {}, json.dumps(wrong, indent=1)


def test_axe_finds_nothing_serious_or_critical(crawl):
    """axe-core (vendored, tests/vendor/axe-core) audits every page at desktop width, charts drawn, for the rules
    tagged AXE_TAGS (WCAG 2.0-2.2 A and AA, and best practice), and at phone width for AXE_PHONE_RULES (in
    conftest.py: the rules whose outcome the width decides). Serious and critical findings fail; the minor and
    moderate ones are written, rule by rule with the pages they occur on, to _build/screenshots/axe-summary.json and
    printed. Redirect pages are not audited: the browser leaves them at once for a page that is."""
    blocking, minor = [], {}
    for page in pages_of(crawl):
        for v in page.axe:
            if v["impact"] in BLOCKING:
                blocking.append(f"{page.path}: {v['id']} ({v['impact']}): {v['help']}; at " + " | ".join(v["targets"]))
            else:
                entry = minor.setdefault(v["id"], {"impact": v["impact"], "help": v["help"], "pages": {}})
                entry["pages"][page.path] = v["targets"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    AXE_SUMMARY.write_text(json.dumps({"tags": AXE_TAGS, "blocking": blocking, "minor_and_moderate": minor},
                                      indent=1) + "\n")
    for rule, entry in minor.items():
        print(f"axe {entry['impact']}: {rule} ({entry['help']}) on {len(entry['pages'])} pages")
    assert blocking == [], "\n".join(blocking)
    assert len(pages_of(crawl)) >= 2 * len(EDITIONS)  # the audit ran on the pages, not on none


def test_a_phone_never_scrolls_the_page_sideways(crawl):
    """The rule: at 390 x 844 CSS pixels, on every page, document.documentElement.scrollWidth <= window.innerWidth,
    so the reader scrolls down only. Charts, tables and code that are wider than the screen scroll inside their own
    box (sots.css gives them one), which is the only sideways scrolling a phone shows; prose, headings, inline code
    and the theme's chrome must fit the width."""
    wide = {p.path: p.phone for p in pages_of(crawl)
            if p.phone.get("scroll_width", 1e9) > p.phone.get("inner_width", 0)}
    assert wide == {}, json.dumps(wide, indent=1)
    assert {p.phone["inner_width"] for p in pages_of(crawl)} == {PHONE["width"]}


def test_screenshots_of_the_front_page_and_a_chapter_are_saved(crawl):
    assert set(crawl.screenshots) == {"front-page-desktop", "front-page-phone", "chapter-desktop"}
    for name, path in crawl.screenshots.items():
        head = path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", path
        width, height = struct.unpack(">II", head[16:24])  # the PNG's IHDR
        assert width == (PHONE if name.endswith("phone") else DESKTOP)["width"], (name, width)
        assert height >= (PHONE if name.endswith("phone") else DESKTOP)["height"], (name, height)  # the whole page


def test_every_chart_and_its_legends_fit_their_box_on_a_phone_and_a_desktop(crawl):
    """No chart is wider than the column it sits in, at 390 px or 1280 px, and every legend is drawn inside it: a
    chart cut off on a phone, or a legend outside the box, is a chart the reader cannot read."""
    problems, charts_seen = [], 0
    for page in pages_of(crawl):
        for width, found in page.fit.items():
            for chart in found:
                if not chart["shown"]:  # a 42-ICB chart's other view, hidden at this width (its own test below)
                    continue
                charts_seen += 1
                left, right = chart["box"][:2]
                where = f"{page.path} at {width} width: {chart['label']!r}"
                if chart["svg"] is None:
                    problems.append(f"{where}: not drawn")
                    continue
                if chart["svg"][0] < left - 1 or chart["svg"][1] > right + 1:
                    problems.append(f"{where}: drawn {chart['svg'][2]} px wide in a {chart['box'][2]} px box")
                for legend in chart["legends"]:
                    if legend[2] == 0 or legend[3] == 0 or legend[0] < left - 1 or legend[1] > right + 1:
                        problems.append(f"{where}: a legend at {legend[:2]} outside the box {left}-{right}")
    assert problems == [], "\n".join(problems)
    assert charts_seen >= 2 * 20  # every chart of every edition, at both widths


def test_a_42_icb_chart_shows_a_phone_its_ends_and_the_icb_and_a_desktop_the_whole_chart(crawl):
    """Each chart of every ICB has a phone's view (the highest and lowest ICBs and the focal one, names above their
    marks): at 390 px the reader sees that view and not the whole chart, which is a tap away; at 1280 px, the whole
    chart only. The crawl records both views of each at both widths."""
    seen = {"phone": 0, "desktop": 0}
    wrong = []
    for page in pages_of(crawl):
        for width, found in page.fit.items():
            views = [c for c in found if c["view"]]
            seen[width] += len(views)
            expected = "phone" if width == "phone" else "whole"
            wrong += [f"{page.path} at {width} width: the {c['view']} view {'shown' if c['shown'] else 'hidden'}"
                      for c in views if c["shown"] != (c["view"] == expected)]
    assert wrong == [], "\n".join(wrong)
    # Both views of each ranking: funding (2 or 3 per edition), acute spend and deprivation.
    assert seen["phone"] == seen["desktop"] >= 2 * 4 * len(EDITIONS)


def test_a_tap_shows_a_phone_the_whole_42_icb_chart_and_another_the_short_view_again(built_site, serve, visit):
    """On a phone the button under a ranking's short view shows the whole chart in its place, drawn inside its box
    with a mark per ICB, and says so to a screen reader (aria-expanded); tapped again, it shows the short view."""
    v = visit(f"{serve(built_site)}/{CURRENT}/notebooks/funding_per_head.html")
    v.page.set_viewport_size(PHONE)
    v.wait_for_charts()
    figure = v.page.locator("figure.sots-has-phone-view").first
    button, whole, short = (figure.locator(s) for s in ("button.sots-show-all", ".sots-chart", ".sots-phone-chart"))
    assert button.inner_text() == "Show all 42 ICBs"
    assert short.is_visible() and not whole.is_visible()
    assert short.locator("svg.marks g.role-mark.mark-symbol path").count() < 42 / 2  # the ends and the ICB only
    button.click()
    assert whole.is_visible() and not short.is_visible() and button.get_attribute("aria-expanded") == "true"
    box_left, box_right, left, right = whole.evaluate(
        "e => { const b = e.getBoundingClientRect(), s = e.querySelector('svg').getBoundingClientRect();"
        " return [b.left, b.right, s.left, s.right]; }")
    assert left >= box_left - 1 and right <= box_right + 1, (box_left, box_right, left, right)
    assert whole.locator("svg.marks g.role-mark.mark-symbol path").count() == 42
    button.click()
    assert short.is_visible() and not whole.is_visible() and button.get_attribute("aria-expanded") == "false"
    assert v.console == []
