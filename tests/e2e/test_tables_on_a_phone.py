"""The book's data tables on a phone (sots.css): a table wider than the text column scrolls sideways in its box, and
as it scrolls its first column, the row's name, stays at the box's left edge on an opaque background, with a shadow
at the box's right edge while there is more to the right. On paper nothing sticks or scrolls (the print style).

Reads the shared built site (`built_site`) over the session's loopback server, in the session's browser, opening
only the pages that have a data table.
"""

from __future__ import annotations

import pytest

from helpers import CURRENT, PHONE, chapter_pages

pytestmark = pytest.mark.e2e

# Each data table wider than its box, scrolled to its right end: per table, its first header, its box's left edge, and
# each row's first cell's left edge and background colour, in CSS pixels (the layout settled for two frames after
# the scroll). Also whether the box carries its scroll shadow: a gradient fixed to the box ("scroll") under one fixed
# to the table's end ("local").
SCROLLED_JS = r"""async () => {
  const wide = [...document.querySelectorAll('table.sots-table')]
    .filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth + 1);
  for (const t of wide) t.parentElement.scrollLeft = t.parentElement.scrollWidth;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return wide.map(t => { const box = t.parentElement;
    const edge = box.getBoundingClientRect().left + box.clientLeft + parseFloat(getComputedStyle(box).paddingLeft);
    return {head: t.querySelector('th').textContent.trim(), scrolled: box.scrollLeft, edge: Math.round(edge),
            shadow: getComputedStyle(box).backgroundImage.includes('gradient')
                    && ['local', 'scroll'].every(a => getComputedStyle(box).backgroundAttachment.includes(a)),
            firsts: [...t.rows].map(r => [Math.round(r.cells[0].getBoundingClientRect().left),
                                          getComputedStyle(r.cells[0]).backgroundColor])}; }); }"""
# The first column's positioning, on screen and when printed.
POSITION_JS = """() => [...document.querySelectorAll('table.sots-table tr > :first-child')]
  .map(c => getComputedStyle(c).position)"""


def opaque(colour: str) -> bool:
    """Whether a computed CSS colour (``rgb(r, g, b)`` or ``rgba(r, g, b, a)``) hides what is behind it."""
    return colour.startswith("rgb(") or (colour.startswith("rgba(") and colour.rstrip(")").split(",")[-1].strip()
                                         in ("1", "1.0"))


@pytest.fixture(scope="module")
def table_pages(built_site) -> list[str]:
    """The current edition's chapter pages that show a data table."""
    pages = [p for p in chapter_pages(CURRENT) if 'class="sots-table"' in (built_site / p).read_text()]
    assert len(pages) >= 5, pages
    return pages


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_wide_tables_first_column_stays_in_view_on_an_opaque_background_when_scrolled(
        built_site, serve, browser, table_pages, theme):
    base = serve(built_site)
    page = browser.new_page(viewport=PHONE)
    # The theme's own switch: pydata-sphinx-theme reads the reader's choice from localStorage before it draws.
    page.add_init_script(f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');")
    found, moved, see_through, no_cue = 0, [], [], []
    try:
        for path in table_pages:
            page.goto(f"{base}/{path}", wait_until="load")
            assert page.evaluate("document.documentElement.dataset.theme") == theme
            for table in page.evaluate(SCROLLED_JS):
                found += 1
                where = f"{path}: {table['head']!r}"
                assert table["scrolled"] > 0, where
                moved += [f"{where} row {i}: {left} px, box at {table['edge']} px"
                          for i, (left, _) in enumerate(table["firsts"]) if abs(left - table["edge"]) > 1]
                see_through += [f"{where}: {colour}" for _, colour in table["firsts"][:1] if not opaque(colour)]
                if not table["shadow"]:
                    no_cue.append(where)
    finally:
        page.close()
    # The book's ranked tables of all 42 ICBs, among others, are far wider than a phone.
    assert found >= 5
    assert moved == []
    assert see_through == []
    assert no_cue == []


def test_a_printed_table_has_no_sticky_column(built_site, serve, browser, table_pages):
    base = serve(built_site)
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{base}/{table_pages[0]}", wait_until="load")
        assert set(page.evaluate(POSITION_JS)) == {"sticky"}
        page.emulate_media(media="print")
        assert set(page.evaluate(POSITION_JS)) == {"static"}
    finally:
        page.close()
