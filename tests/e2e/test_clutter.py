"""Less clutter (issue 25): a chapter shows its prose, charts and tables and no code: no "Show code cell" toggle,
nothing of a code cell above its key findings, no table folded away behind a toggle, one search box at a desktop's
width, search that finds figures and headings rather than code, and no phrase that is true only on screen ("Hover
over a bar") outside an element the printed page leaves out (``sots-web-only``).

Read from the session's built site; the browser (tests/e2e/conftest.py) looks at every chapter of the current edition
at a phone's width and at a desktop's.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from helpers import CURRENT, DESKTOP, EDITIONS, PHONE, chapter_pages

pytestmark = pytest.mark.e2e

# A chart's own table, its "Table" tab, folded under the chart as Our World in Data's is
# (sots.chapters.charts.table_html).
CHART_TABLE = "sots-chart-table"

KEY_FINDINGS = "sots-key-findings"
WEB_ONLY = "sots-web-only"
# What myst-nb draws for code a reader could unfold: the toggle's words, the folded cell's tags, the code's own box.
CODE_MARKS = re.compile(r"Show code cell|Hide code cell|tag_hide-(?:input|output|cell)|class=\"cell_input|"
                        r"highlight-ipython3|<details class=\"hide")
# Phrases true only on screen: a printed page has no pointer, controls or menus.
WEB_ONLY_PHRASE = re.compile(r"\b(?:hover\w*|click\w*|tap|tapping|select\w*|choose|show code\w*|switcher|menu|"
                             r"download button)\b", re.IGNORECASE)
# Elements whose text is a control's or a chart's, not prose: a phrase in them is no claim about the page.
CONTROLS = ("script", "style", "select", "option", "label", "button", "svg", "details")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def article(path: Path) -> str:
    """The page's article: what the reader reads, without the theme's menus around it."""
    html = path.read_text()
    start, end = html.find("<article"), html.find("</article>")
    assert 0 <= start < end, f"{path}: no article"
    return html[start:end]


class Prose(HTMLParser):
    """The text of an article outside controls, charts and ``sots-web-only`` elements, and every table's place: the
    classes of the elements around it."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, list[str], bool]] = []  # (tag, classes, whether its text is left out)
        self.text: list[str] = []
        self.tables: list[list[str]] = []  # per table, the tag.class of each element around it, outermost first

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table":
            self.tables.append([f"{t}.{'.'.join(c)}" for t, c, _ in self.stack])
        skip = tag in CONTROLS or bool({WEB_ONLY, "sots-chart", "sots-filter"} & set(classes))
        self.stack.append((tag, classes, skip))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not any(skip for _, _, skip in self.stack):
            self.text.append(data)


def prose(path: Path) -> Prose:
    parser = Prose()
    parser.feed(article(path))
    parser.close()
    return parser


def search_index(folder: Path) -> dict:
    """The edition's Sphinx search index (searchindex.js: ``Search.setIndex({...})``)."""
    text = (folder / "searchindex.js").read_text()
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def test_prose_reads_text_outside_controls_and_web_only_phrases():
    parser = Prose()
    parser.feed('<p>Kept. <span class="sots-web-only">Hover over a bar.</span> <label>Select a year</label>'
                '<br>Also kept.</p><details class="hide"><div><table></table></div></details>')
    assert " ".join("".join(parser.text).split()) == "Kept. Also kept."
    assert parser.tables == [["details.hide", "div."]]


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_chapter_shows_code_or_a_code_toggle(built_site, edition):
    for path in chapter_pages(edition):
        found = sorted(set(CODE_MARKS.findall(article(built_site / path))))
        assert found == [], f"{path}: {found}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_nothing_of_a_code_cell_comes_before_the_key_findings(built_site, edition):
    for path in chapter_pages(edition):
        html = article(built_site / path)
        box = html.find(KEY_FINDINGS)
        assert box >= 0, f"{path}: no key findings"
        assert not re.search(r'class="cell[ "]', html[:box]), f"{path}: a code cell before the key findings"


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_table_is_folded_behind_a_toggle(built_site, edition):
    """A table in a chapter is never inside a <details> (myst-nb's "Show code cell output") or a cell whose output is
    hidden or removed; but a chart's own table, its "Table" tab (sots.chapters.charts.table_html), which opens under
    it."""
    for path in chapter_pages(edition):
        for around in prose(built_site / path).tables:
            if any(a.startswith(f"details.{CHART_TABLE}") for a in around):
                continue
            hidden = [a for a in around if a.startswith("details.") or re.search(r"tag_(hide|remove)-output", a)]
            assert hidden == [], f"{path}: a table inside {hidden}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_web_only_phrases_are_marked_for_the_screen(built_site, edition):
    """"Hover over a bar", "Choose a year", the switcher and the menus are for the screen: each stands in a
    ``sots-web-only`` element, which the printed page and the PDF leave out."""
    folder = built_site / edition
    pages = [*chapter_pages(edition), *(f"{edition}/book/{p.stem}.html" for p in (folder / "book").glob("*.html")
                                        if p.name != "print.html")]
    for path in pages:
        text = " ".join("".join(prose(built_site / path).text).split())
        found = [text[max(0, m.start() - 50):m.end() + 30] for m in WEB_ONLY_PHRASE.finditer(text)]
        assert found == [], f"{path}: {found}"
    marked = "".join((built_site / p).read_text() for p in pages)
    assert marked.count(f'class="{WEB_ONLY}') >= 5  # the chapters' "Hover" notes and the front page's


@pytest.mark.parametrize("edition", EDITIONS)
def test_search_finds_figures_and_headings_not_code(built_site, edition):
    index = search_index(built_site / edition)
    docs = index["docnames"]

    def pages(term: str) -> set[str]:
        found = index["terms"].get(term, [])
        return {docs[i] for i in ([found] if isinstance(found, int) else found)}

    # The chapters' headings, and a figure glued into a chapter's prose (the report's savings, "£241m").
    assert {"Key findings", "All ICBs", "Method and sources"} <= set(index["alltitles"])
    assert "notebooks/finance" in pages("241m")
    # Names only the chapters' code uses ("ch = chapter.open(...)", "ch.glue(...)"): the code is not indexed.
    for term in ("ch", "glue", "data_dir", "results_fragment"):
        assert pages(term) == set(), term


def visible(page, selector: str) -> int:
    return page.eval_on_selector_all(selector, "els => els.filter(e => e.checkVisibility()).length")


# Each chapter element with a box on the page before the key-findings box that belongs to a code cell.
CELLS_BEFORE_JS = """box => [...document.querySelectorAll('.bd-article .cell')].filter(c =>
  (c.compareDocumentPosition(document.querySelector(box)) & Node.DOCUMENT_POSITION_FOLLOWING)
  && c.getBoundingClientRect().height > 0).map(c => c.className)"""
# Every table of a chapter's outputs that a reader cannot see without opening something, but a chart's own table.
HIDDEN_TABLES_JS = f"""() => [...document.querySelectorAll('.bd-article .cell_output table')]
  .filter(t => !t.checkVisibility() && !t.closest('.{CHART_TABLE}')).map(t => t.closest('.cell').className)"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_each_chapter_in_the_browser_shows_no_code_bar_and_one_search_box(built_site, serve, browser, viewport):
    base = serve(built_site)
    page = browser.new_page(viewport=viewport)
    try:
        for path in chapter_pages(CURRENT):
            page.goto(f"{base}/{path}", wait_until="load")
            assert visible(page, f".{KEY_FINDINGS}") == 1, path
            assert page.get_by_text(re.compile("Show code cell|Hide code cell")).count() == 0, path
            assert page.evaluate(CELLS_BEFORE_JS, f".{KEY_FINDINGS}") == [], path
            assert page.evaluate(HIDDEN_TABLES_JS) == [], path
            if viewport == DESKTOP:
                # One search field, the menu's; the header bar that held a second one is gone.
                assert visible(page, ".search-button-field") == 1, path
            else:
                assert visible(page, ".search-button__button") >= 1, path  # the page's own search button
    finally:
        page.close()


# The search page's state once a query has run and every result's snippet has been fetched.
SEARCH_DONE_JS = """() => { const s = document.querySelector('#search-results');
  if (!s || !/Search finished|did not match/.test(s.innerText)) return false;
  return [...s.querySelectorAll('li')].every(li => li.querySelector('p.context')); }"""
RESULTS_JS = """() => [...document.querySelectorAll('#search-results li')].map(li => ({
  title: li.querySelector('a').textContent.trim(),
  snippet: (li.querySelector('p.context') || {}).textContent || ''}))"""


def test_search_finds_a_figure_and_shows_the_chapters_own_text(built_site, serve, browser):
    """"241" finds the report's £241m of savings in the finance chapter, and no snippet is a button's ".ipynb"."""
    base = serve(built_site)
    page = browser.new_page(viewport=DESKTOP)
    try:
        chapter = "Savings and the financial position"
        for query, title in (("241", chapter), ("savings", chapter)):
            page.goto(f"{base}/{CURRENT}/search.html?q={query}", wait_until="load")
            page.wait_for_function(SEARCH_DONE_JS, timeout=15_000)
            results = page.evaluate(RESULTS_JS)
            assert title in [r["title"] for r in results], (query, results)
            for result in results:
                assert ".ipynb" not in result["snippet"] and "import " not in result["snippet"], (query, result)
    finally:
        page.close()
