"""The edition's PDF: the print page joined from small known pages, the PDF's dates, Chromium's failures, and printing
the same page twice (in two folders, at two times) giving the same bytes."""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from helpers import ROOT, chart_pixels
from sots.chapters import charts
from sots.errors import BuildError
from sots.site import build, printbook

CHROMIUM = shutil.which("chromium")


def page(title: str, body: str, head: str = "") -> str:
    """A built page as the theme writes one: head, navigation outside the article, the article, a footer."""
    return f"""<!DOCTYPE html><html lang="en-GB"><head><title>{title}</title>
<link rel="stylesheet" type="text/css" href="../_static/styles/theme.css?digest=1" />
<link rel="stylesheet" type="text/css" href="../_static/sots.css?v=2" />
<script src="../_static/vega-offline.js?v=3"></script><script src="../_static/scripts/bootstrap.js"></script>{head}
</head><body><nav class="bd-sidebar"><a href="../notebooks/b.html">Chapter B in the menu</a></nav>
<main><article class="bd-article">{body}
<script type="text/x-thebe-config">{{ requestKernel: true }}</script></article>
<footer class="bd-footer-content"><div class="footer-item"><p class="sots-release">Edition 2024-25 · release 2026.1
</p></div></footer></main></body></html>"""


FRONT = page("Front", """<section id="front"><h1>The front<a class="headerlink" href="#front">#</a></h1>
<p>See <a href="../notebooks/b.html">chapter B</a>, <a href="../notebooks/b.html#method">its method</a>,
<a href="../results.json">the figures</a>, <a href="https://www.ons.gov.uk/">the ONS</a> and
<a href="#front">the top</a>.</p><img src="../_static/logo.svg" alt="logo"/></section>""")
CHAPTER_A = page("A", """<section id="a"><h1>Chapter A</h1><section id="method"><h2>Method</h2>
<p>As in <a href="b.html#method">B</a>.</p></section></section>""")
CHAPTER_B = page("B", """<section id="b"><h1>Chapter B</h1>
<div class="sots-chart" id="sots-chart-1-abc" role="figure"></div>
<script type="text/javascript">var el = document.getElementById("sots-chart-1-abc"); el.textContent = "drawn";</script>
<p class="sots-chart-data"><a class="sots-csv" href="../_static/chart-data/b/one.csv" download>Download data</a></p>
<section id="method"><h2>Method</h2><p>Back to <a href="a.html">A</a>.</p></section></section>""")
PAGES = [("book/intro.html", FRONT), ("notebooks/a.html", CHAPTER_A), ("notebooks/b.html", CHAPTER_B)]


@pytest.mark.unit
def test_the_print_page_is_each_pages_article_in_order_each_starting_a_sheet():
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(printbook.assemble(PAGES, "The book, 2024-25", [build.VEGA_BUNDLE]), "html.parser")
    articles = soup.find_all("article")
    assert [(a["id"], a["class"]) for a in articles] == [
        ("book-intro", ["bd-article", "sots-print-page"]), ("notebooks-a", ["bd-article", "sots-print-page"]),
        ("notebooks-b", ["bd-article", "sots-print-page"])]
    assert [a.h1.get_text() for a in articles] == ["The front", "Chapter A", "Chapter B"]
    assert soup.title.get_text() == "The book, 2024-25" and soup.html["lang"] == "en-GB"
    # The navigation, the headings' "#" links and thebe's configuration are left out; the footer (the edition,
    # release and commit) is printed once, closing the front page.
    text = soup.get_text()
    assert "in the menu" not in text and "requestKernel" not in text
    assert text.count("Edition 2024-25 · release 2026.1") == 1
    assert articles[0].contents[-1].name == "footer" and "Edition 2024-25" in articles[0].contents[-1].get_text()
    assert not soup.select("a.headerlink") and not soup.select("nav")
    # The front page's stylesheets, then the print sheet, and only the vega bundle of its scripts.
    assert [link["href"] for link in soup.head.find_all("link")] == [
        "../_static/styles/theme.css?digest=1", "../_static/sots.css?v=2", "../_static/sots-print.css"]
    assert [s["src"] for s in soup.find_all("script", src=True)] == ["../_static/vega-offline.js?v=3"]
    # The chart's script is kept where it was, after the box it draws into.
    chart = soup.find(class_="sots-chart")
    assert chart.find_next("script").string.startswith('var el = document.getElementById("sots-chart-1-abc")')


@pytest.mark.unit
@pytest.mark.parametrize("text, title", [
    (FRONT, "The front"), (CHAPTER_B, "Chapter B"),
    # Read from the article's start: a heading in the menu before it is not the page's title.
    (page("N", "<section><h2>Only <em>a</em> part</h2></section>", head="<h1>Not this</h1>"), "Only a part"),
    # A heading's end before the article's first heading (here in a script's text): the whole page is read.
    (page("S", '<script>var s = "</h2>";</script><section><h1>After the script</h1></section>'), "After the script"),
    (page("E", "<p>No heading</p>"), ""), ("<html><body><h1>No article</h1></body></html>", ""),
])
def test_a_pages_title_is_its_articles_first_heading_as_a_whole_parse_finds_it(text, title):
    from bs4 import BeautifulSoup

    article = BeautifulSoup(text, "html.parser").find("article")
    heading = article.find(["h1", "h2"]) if article else None
    assert printbook.page_title(text) == title == (printbook._text(heading) if heading else "")


@pytest.mark.unit
def test_the_sheet_breaks_and_the_print_sheet_come_from_sots_print_css():
    css = (ROOT / "book" / "_static" / printbook.PRINT_CSS).read_text()
    assert re.search(r"\.sots-print-page \+ \.sots-print-page \{ break-before: page; \}", css)
    assert re.search(r"@page \{\s*size: A4;", css) and "@page landscape { size: A4 landscape; }" in css
    # Page numbers in the footer, none on the cover.
    assert 'content: "Page " counter(page) " of " counter(pages);' in css
    assert re.search(r"@page cover \{[^\n]*@bottom-right \{ content: none; \}", css)
    # Linked once when the front page already links it (as the book's config does for every page).
    linked = page("Front", "<article><h1>F</h1></article>",
                  head='<link rel="stylesheet" href="../_static/sots-print.css?v=9" />')
    head = printbook.assemble([("book/intro.html", linked)], "T").split("</head>")[0]
    assert head.count("sots-print.css") == 1


@pytest.mark.unit
def test_ids_stay_unique_and_links_point_within_the_print_page_or_lose_a_site_address():
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(printbook.assemble(PAGES, "T", [build.VEGA_BUNDLE]), "html.parser")
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    # Both chapters have a section "method"; each gets its page's prefix. The chart's box keeps the id its script
    # looks for.
    assert {"notebooks-a--method", "notebooks-b--method", "sots-chart-1-abc"} <= set(ids)
    links = {a.get_text(): a.get("href") for a in soup.find_all("a")}
    assert links == {
        "chapter B": "#notebooks-b", "its method": "#notebooks-b--method", "the figures": None,
        "the ONS": "https://www.ons.gov.uk/", "the top": "#book-intro--front", "B": "#notebooks-b--method",
        "A": "#notebooks-a", "Download data": None,
    }
    assert not soup.find("a", download=True)  # a CSV to download is not in the PDF
    assert soup.find("img")["src"] == "../_static/logo.svg"  # the print page is one folder down, as the pages are


@pytest.mark.unit
def test_a_chart_id_on_two_pages_is_refused_as_its_script_would_draw_into_the_first():
    twice = [("notebooks/b.html", CHAPTER_B), ("notebooks/c.html", CHAPTER_B)]
    with pytest.raises(ValueError, match="'sots-chart-1-abc' is also on notebooks/b.html"):
        printbook.assemble(twice, "T")
    with pytest.raises(ValueError, match=r"book/intro.html loads no vega-lite.js$"):
        printbook.assemble(PAGES, "T", ["vega-lite.js"])  # a chart's script would find no vegaEmbed
    with pytest.raises(ValueError, match="no <article>"):
        printbook.assemble([("book/intro.html", "<html><body><p>none</p></body></html>")], "T")


@pytest.mark.unit
def test_the_build_prints_the_front_page_then_every_page_listed_and_the_front_page_names_the_pdf():
    import yaml

    from helpers import REGISTER, chapter_pages
    from sots.inputs import editions
    from sots.site import release

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert build.book_pages(toc) == ["book/intro.html", *chapter_pages(), "book/methods.html", "book/glossary.html"]
    rel = release.Release("2026.1", "ab" * 20, "2026-01-31T12:00:05+00:00", "commit time")
    config = build.edition_config(ROOT, editions.get(REGISTER, "2024-25"), "NHS X ICB", "X", rel)["sphinx"]["config"]
    assert config["myst_substitutions"]["pdf_file"] == "state-of-the-system-2024-25.pdf"
    assert config["html_css_files"][-1] == printbook.PRINT_CSS  # every page prints with it, after the site's own
    front = (ROOT / "book" / "intro.md").read_text()
    # The front page links the PDF (and, once the build names it, the summary beside it), only when printed.
    assert re.search(r"""<a href="\.\./\{0\}">\{0\}</a>.*'\.format\(pdf_file(, summary_pdf_file)?\) if pdf_file """
                     r"""else ''""", front)
    # Another ICB's book in an every-ICB run is not printed, and its front page names no PDF.
    other = build.edition_config(ROOT, editions.get(REGISTER, "2024-25"), "NHS X ICB", "X", rel, printed=False)
    assert other["sphinx"]["config"]["myst_substitutions"]["pdf_file"] == ""
    assert printbook.settings("2024-25", "The book", rel.build_time) == {
        "edition": "2024-25", "pdf": "state-of-the-system-2024-25.pdf",
        "summary": "state-of-the-system-2024-25-summary.pdf", "title": "The book",
        "date": "2026-01-31T12:00:05+00:00"}


@pytest.mark.unit
def test_the_pdf_is_named_for_its_edition_and_dated_by_the_build_not_the_clock():
    assert printbook.pdf_name("2024-25") == "state-of-the-system-2024-25.pdf"
    assert printbook.pdf_date("2026-01-31T12:00:05+00:00") == b"D:20260131120005+00'00'"
    assert printbook.pdf_date("2026-01-31T13:00:05+01:00") == b"D:20260131120005+00'00'"  # in UTC
    assert printbook.pdf_date("unknown") == b"D:19700101000000+00'00'"


@pytest.mark.unit
def test_fixing_the_dates_keeps_every_byte_offset():
    body = (b"%PDF-1.4\n1 0 obj\n<</Title (T) /Creator (C) /CreationDate (D:20991231235959+01'00') "
            b"/ModDate  (D:20991231235959-05'00')>>\nendobj\nxref\n")
    fixed = printbook.fix_dates(body, "2026-01-31T12:00:05+00:00")
    assert len(fixed) == len(body)
    assert fixed.index(b"xref") == body.index(b"xref")
    assert b"/CreationDate (D:20260131120005+00'00')" in fixed
    # A longer original is replaced in full: the rest of its room is space, between the dictionary's entries.
    assert b"/ModDate (D:20260131120005+00'00') >>" in fixed
    with pytest.raises(ValueError, match="shorter"):
        printbook.fix_dates(b"/ModDate (D:2099)", "2026-01-31T12:00:05+00:00")
    with pytest.raises(ValueError, match="no /CreationDate"):
        printbook.fix_dates(b"%PDF-1.4\n", "unknown")


@pytest.mark.unit
def test_a_missing_or_failing_chromium_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "print.html").write_text("<p>x</p>")
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    with pytest.raises(BuildError, match=r"needs Chromium, and `chromium` is not on the PATH; install it with "
                                         r"`make chromium`$"):
        printbook.print_pdf(tmp_path / "print.html", tmp_path / "out.pdf", "unknown")
    failing = tmp_path / "chromium"
    failing.write_text("#!/bin/sh\necho 'ERROR: no display' >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(BuildError) as err:
        printbook.print_pdf(tmp_path / "print.html", tmp_path / "out.pdf", "unknown", chromium=str(failing))
    assert str(err.value) == f"Chromium failed to print {tmp_path / 'print.html'} (exit 3): ERROR: no display"
    assert not (tmp_path / "out.pdf").exists()


@pytest.mark.integration
def test_printing_the_same_page_twice_in_two_folders_gives_the_same_bytes_with_the_chart_drawn(tmp_path):
    """Chromium writes the time of printing; nothing else differs, not the folder printed from, once the dates are
    the build's. The chart (vega's SVG, from the book's offline bundle) is drawn before the page is printed."""
    if not CHROMIUM:
        pytest.fail("Debian chromium is not installed: run `make chromium`")
    import altair as alt
    import pandas as pd

    chart = alt.Chart(pd.DataFrame({"icb": ["A", "B"], "gbp": [3.0, 2.0]})).mark_bar(color=charts.FOCAL).encode(
        x="gbp:Q", y="icb:N").properties(width=300, height=200, description="Two bars")
    body = f'<section id="a"><h1>Chapter A</h1>{charts.render(chart, order=1).markup}</section>'
    printed = []
    for n in (1, 2):
        folder = tmp_path / f"site{n}"
        (folder / "book").mkdir(parents=True)
        (folder / "_static").mkdir()
        (folder / "_static" / build.VEGA_BUNDLE).write_text(charts.offline_bundle())
        (folder / "book" / "print.html").write_text(
            printbook.assemble([("book/intro.html", page("A", body))], "T", [build.VEGA_BUNDLE]))
        printbook.print_pdf(folder / "book" / "print.html", folder / "out.pdf", "2026-01-31T12:00:05+00:00")
        printed.append((folder / "out.pdf").read_bytes())
        if n == 1:
            time.sleep(1.1)  # so Chromium's own dates would differ
    assert printed[0] == printed[1]
    assert b"/CreationDate (D:20260131120005+00'00')" in printed[0] and str(tmp_path).encode() not in printed[0]
    # The bars are drawn: the page's pixels include the focal blue, which nothing but the chart paints.
    ppm = subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "site1" / "out.pdf")],
                         capture_output=True, check=True).stdout
    assert chart_pixels(ppm)[0] > 100



@pytest.mark.unit
def test_a_book_is_printed_twice_first_then_once_with_the_numbers_guessed_and_again_when_they_moved(tmp_path,
                                                                                                     monkeypatch):
    """Chromium and pdfinfo faked: a "PDF" is the sha256 of the page printed, and the pages start where ``starts``
    says. Through the cache, an unchanged book prints nothing, a prose edit prints the book once (its summary,
    unchanged, is kept), and a page that moved prints the book twice, the second time with the new numbers."""
    import hashlib
    import json

    stage, html = tmp_path / "stage", tmp_path / "html"
    stage.mkdir()
    (stage / printbook.SETTINGS_FILE).write_text(json.dumps(printbook.settings("2024-25", "T", "unknown")))
    for path, text in PAGES:
        (html / path).parent.mkdir(parents=True, exist_ok=True)
        (html / path).write_text(text)
    printings: list[str] = []
    starts = {"book-intro": 3, "notebooks-a": 5, "notebooks-b": 8}

    def fake_print(page, pdf, when, chromium=None):
        printings.append(page.name)
        pdf.write_bytes(b"%PDF-" + hashlib.sha256(page.read_bytes()).hexdigest().encode())
        return 0.0

    monkeypatch.setattr(printbook, "print_pdf", fake_print)
    monkeypatch.setattr(printbook, "read_dests", lambda pdf: "".join(f'{n} [ XYZ 0 842 null ] "{s}"\n'
                                                                     for s, n in starts.items()))
    book = html / printbook.pdf_name("2024-25")

    def print_book(cache):
        printings.clear()
        printbook.print_book(stage, html, [p for p, _ in PAGES], [build.VEGA_BUNDLE],
                             chromium=str(tmp_path / "no-chromium"), cache=cache)
        return sorted(printings)

    assert print_book(None) == ["print-summary.html", "print.html", "print.html"]
    cold = book.read_bytes()
    cache = tmp_path / "cache"
    assert print_book(cache) == ["print-summary.html", "print.html", "print.html"]
    assert book.read_bytes() == cold
    assert print_book(cache) == []  # every page printed before: the numbers guessed, the PDFs kept
    assert book.read_bytes() == cold
    (html / "notebooks/a.html").write_text(CHAPTER_A.replace("As in", "Just as in"))
    assert print_book(cache) == ["print.html"]
    edited = book.read_bytes()
    assert print_book(None) == ["print-summary.html", "print.html", "print.html"] and book.read_bytes() == edited
    (html / "notebooks/b.html").write_text(CHAPTER_B.replace("Back to", "Go back to"))  # an edit that moves the page
    starts["notebooks-b"] = 9
    assert print_book(cache) == ["print.html", "print.html"]
    assert '<span class="sots-contents-page">9</span>' in (html / printbook.PRINT_PAGE).read_text()
    moved = book.read_bytes()
    assert print_book(None) == ["print-summary.html", "print.html", "print.html"] and book.read_bytes() == moved


@pytest.mark.unit
def test_a_printing_is_kept_by_the_page_what_it_loads_its_date_and_the_chromium_that_prints_it():
    key = printbook.print_key("<p>page</p>", "assets", "2026-01-31", "Chromium 156")
    assert len({key, printbook.print_key("<p>page.</p>", "assets", "2026-01-31", "Chromium 156"),
                printbook.print_key("<p>page</p>", "assets2", "2026-01-31", "Chromium 156"),
                printbook.print_key("<p>page</p>", "assets", "2026-02-01", "Chromium 156"),
                printbook.print_key("<p>page</p>", "assets", "2026-01-31", "Chromium 157")}) == 5
    assert key == printbook.print_key("<p>page</p>", "assets", "2026-01-31", "Chromium 156")
