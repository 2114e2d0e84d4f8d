"""Each edition's PDF, as `sots build` publishes it: linked from the front page, listed in the manifest, a board pack
(a cover with the verdicts, a contents page whose numbers are the pages each page of the book starts on, bookmarks,
a running header and "Page N of M" on every page but the cover, the claims register on landscape sheets at the end,
no words for the screen, chart text at 7 pt or more), every chart drawn (not an empty box), and the same bytes when
printed again; and its two-page summary beside it. Read with Debian's poppler-utils (pdfinfo, pdftotext, pdftohtml,
pdftoppm), as `make chromium` installs them."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from helpers import CURRENT, EDITIONS, ROOT, chapter_pages, chart_pixels
from sots import toc
from sots.chapters.marks import WEB_ONLY
from sots.site import printbook, publish

pytestmark = pytest.mark.e2e

# Every page of the book in the PDF's order, as built pages: the front page first, the claims register last.
BOOK = [f"{name}.html" for name in toc.pages_in_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))]
PAGES = printbook.print_order(BOOK)
FRONT = PAGES[0]
COVER, CONTENTS = 0, 1  # the PDF's first two pages (indexes), before the front page
# A page "has a chart drawn" when this many of its pixels, at 50 dpi, are a chart's mark colour: a drawn chart's focal
# bar, point or line or its coloured series give hundreds; links in the text give a few dozen at most.
DRAWN_PIXELS = 150
# Words for a reader at a screen, which a sheet of paper must not carry: the code toggles, the chart notes for a
# mouse, the edition switcher and vega's year control ("Year: ○2023/24 ◉2024/25").
WEB_ONLY_PHRASES = ("Show code cell", "Hover over", "Choose version", "Year:")
SMALLEST_PT = 7.0  # no word of the PDF, a chart's included, prints smaller
ZOOM = 2  # pdftohtml's scale for reading font sizes: it rounds them to whole units, so to the half point
# The sheet's top and bottom margins in points (sots-print.css): the book's, 18 mm and 16 mm; the summary's, 14 mm and
# 13 mm.
BOOK_MARGINS, SUMMARY_MARGINS = (51, 45), (39, 36)


def soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(), "html.parser")


@functools.cache  # asked of each page many times, and parsing a page takes a tenth of a second
def title(path: Path) -> str:
    """A built page's title: its article's first heading, without the heading's "#" link."""
    heading = soup(path).find("article").h1
    for link in heading.select("a.headerlink"):
        link.decompose()
    return " ".join(heading.get_text().split())


def pdf_pages(pdf: Path, layout: bool = False) -> list[str]:
    """Each page's text (pdftotext), its white space collapsed; with ``layout``, its lines kept as laid out."""
    text = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")[:-1]  # each page ends with a form feed
    return pages if layout else [" ".join(page.split()) for page in pages]


def pdf_info(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdfinfo", *args, str(pdf)], capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", pdf_info(pdf), re.MULTILINE)[1])


def pdf_title(pdf: Path) -> str:
    """The PDF's title (its information dictionary), which the running header repeats."""
    return re.search(r"^Title:\s+(.*)$", pdf_info(pdf), re.MULTILINE)[1].strip()


def body(text: str, header: str) -> str:
    """A page's text without its running header (first) and footer (last)."""
    return re.sub(r"\s*Page \d+ of \d+$", "", text.removeprefix(header)).strip()


def first_pages(folder: Path, texts: list[str], header: str = "") -> dict[str, int]:
    """Every page of the book (as built pages, in the PDF's order) -> the index of the PDF page its title starts,
    each found after the one before, below the running ``header``."""
    starts, at = {}, 0
    for page in PAGES:
        heading = title(folder / page)
        at = next((i for i in range(at, len(texts)) if body(texts[i], header).startswith(heading)), None)
        assert at is not None, f"no page of the PDF starts with {heading!r} ({page})"
        starts[page] = at
        at += 1
    return starts


def read_pdf(built_site: Path, edition: str) -> tuple[Path, Path, list[str], str]:
    """An edition's folder, its PDF, the PDF's pages' text and its running header."""
    folder = built_site / edition
    pdf = folder / printbook.pdf_name(edition)
    return folder, pdf, pdf_pages(pdf), pdf_title(pdf)


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_edition_has_its_pdf_linked_from_the_front_page_and_listed_in_its_manifest(built_site, edition):
    folder = built_site / edition
    pdf = folder / printbook.pdf_name(edition)
    summary = folder / printbook.summary_pdf_name(edition)
    assert pdf.read_bytes().startswith(b"%PDF-") and summary.read_bytes().startswith(b"%PDF-")
    outputs = json.loads((folder / "manifest.json").read_text())["outputs"]
    assert outputs[pdf.name] == publish.sha256_file(pdf)
    assert outputs[summary.name] == publish.sha256_file(summary)
    assert outputs[printbook.PRINT_PAGE] == publish.sha256_file(folder / printbook.PRINT_PAGE)
    # The summary's page is its PDF's source only: not published as a page of the site.
    assert not (folder / printbook.SUMMARY_PAGE).exists() and printbook.SUMMARY_PAGE not in outputs
    links = [a["href"] for a in soup(folder / FRONT).find_all("a", href=True) if a["href"].endswith(".pdf")]
    assert links == [f"../{pdf.name}", f"../{summary.name}"]
    assert [(folder / Path(FRONT).parent / link).resolve() for link in links] == [pdf.resolve(), summary.resolve()]


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_pdf_is_a_cover_a_contents_page_then_each_page_of_the_book_each_starting_a_page(built_site, edition):
    folder, pdf, texts, header = read_pdf(built_site, edition)
    assert len(texts) == page_count(pdf) >= len(PAGES) + 2
    starts = first_pages(folder, texts, header)
    assert starts[FRONT] == CONTENTS + 1
    assert body(texts[CONTENTS], header).startswith("Contents")
    # The claims register is the appendix: the last page of the book printed.
    assert list(starts)[-1] == printbook.APPENDIX_PAGE and max(starts.values()) == starts[printbook.APPENDIX_PAGE]
    # The title is the edition's, for the PDF reader's window, the file's properties and the running header.
    assert header == f"State of the system: Lancashire and South Cumbria, {edition}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_cover_gives_the_title_edition_icb_date_and_the_verdicts_the_front_page_gives(built_site, edition):
    folder, pdf, texts, header = read_pdf(built_site, edition)
    facts = printbook.front_facts((folder / FRONT).read_text())
    when = json.loads((folder / "manifest.json").read_text())["build_time"]
    cover = texts[COVER]
    assert cover.startswith(f"{facts['icb']} {facts['book']} {facts['edition_title']} Edition {edition}")
    assert facts["icb"] == "NHS Lancashire and South Cumbria ICB" and facts["book"] == "State of the system"
    assert printbook.long_date(when) in cover
    # The verdicts' counts, as the claims chapter glues them on the front page: not counted again.
    assert re.search(r"\d+ are reproduced, \d+ are consistent with public data, \d+ are not reproduced and \d+ are "
                     r"stated only", facts["verdicts"])
    assert facts["verdicts"] in cover
    assert header not in cover and "Page 1 of" not in cover  # no running header or footer on the cover


def margins(pdf: Path, sizes: tuple[int, int] = BOOK_MARGINS) -> list[tuple[str, str]]:
    """Each page's words in its top margin and in its bottom margin (``sizes``, in points: the running header and
    the footer), read where they are drawn (pdftohtml's XML): pdftotext may put a chart's words before the
    header."""
    top_margin, bottom_margin = sizes
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-zoom", "1", "-stdout", str(pdf)], capture_output=True,
                         text=True, check=True).stdout
    found = []
    for page in re.finditer(r'<page number="\d+"[^>]*height="(\d+)"[^>]*>(.*?)</page>', xml, re.S):
        height, runs = int(page[1]), re.findall(r'<text top="(\d+)"[^>]*height="(\d+)"[^>]*>(.*?)</text>', page[2])
        words = [(int(top), int(tall), re.sub(r"<[^>]+>", "", text)) for top, tall, text in runs]
        found.append((" ".join(w for top, tall, w in words if top + tall <= top_margin).strip(),
                      " ".join(w for top, _, w in words if top >= height - bottom_margin).strip()))
    return found


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_but_the_cover_has_the_running_header_and_its_number_of_the_total(built_site, edition):
    _, pdf, texts, header = read_pdf(built_site, edition)
    found = margins(pdf)
    total = len(texts)
    assert found[COVER] == ("", "")
    assert found[1:] == [(header, f"Page {n} of {total}") for n in range(2, total + 1)]
    # The page numbers are the PDF's own: the reader's "go to page" and the contents agree.
    assert all(text.startswith(header) or header in text for text in texts[1:])


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_contents_numbers_are_the_pages_each_page_of_the_book_starts_on(built_site, edition):
    folder, pdf, texts, header = read_pdf(built_site, edition)
    starts = first_pages(folder, texts, header)
    lines = [re.match(r"^\s*(.*?)\s{2,}(\d+)\s*$", line) for line in pdf_pages(pdf, layout=True)[CONTENTS].splitlines()]
    listed = [(m[1], int(m[2])) for m in lines if m]
    expected = [(("Appendix: " if page == printbook.APPENDIX_PAGE else "") + title(folder / page), starts[page] + 1)
                for page in PAGES]
    assert listed == expected


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_bookmarks_are_the_headings_each_going_to_its_page(built_site, edition):
    folder, pdf, texts, header = read_pdf(built_site, edition)
    starts = first_pages(folder, texts, header)
    marks = printbook.outline(pdf.read_bytes())
    top = [(name, page) for depth, name, page, _ in marks if depth == 0]
    assert top == [("Contents", CONTENTS + 1), *((title(folder / p), starts[p] + 1) for p in PAGES)]
    # Each bookmark is a heading's words as written (Chromium's own titles lose spaces and repeat words: fixed).
    headings = printbook.headings(folder / printbook.PRINT_PAGE)
    assert [name for _, name, _, _ in marks if name not in headings] == []
    assert sum(depth == 1 for depth, _, _, _ in marks) >= len(PAGES)  # the sections too
    # A section's bookmark goes to a page of its chapter.
    ends = dict(zip(PAGES, [*(starts[p] + 1 for p in PAGES[1:]), len(texts) + 1], strict=True))
    chapter = None
    for depth, name, page, _ in marks:
        if depth == 0:
            chapter = next((p for p in PAGES if title(folder / p) == name), None)
        elif chapter:
            assert starts[chapter] + 1 <= page < ends[chapter] + 1, f"{name!r} on page {page}, outside {chapter}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_claims_register_is_printed_on_landscape_sheets_and_the_rest_on_portrait(built_site, edition):
    folder, pdf, texts, header = read_pdf(built_site, edition)
    appendix = first_pages(folder, texts, header)[printbook.APPENDIX_PAGE]
    sizes = [tuple(map(float, m)) for m in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", pdf_info(
        pdf, "-f", "1", "-l", str(len(texts))), re.MULTILINE)]
    assert len(sizes) == len(texts)
    assert [i for i, (w, h) in enumerate(sizes) if w > h] == list(range(appendix, len(texts)))


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_words_for_the_screen_are_printed(built_site, edition):
    folder, pdf, texts, _ = read_pdf(built_site, edition)
    summary = pdf_pages(folder / printbook.summary_pdf_name(edition))
    found = {phrase: [i + 1 for i, text in enumerate(texts) if phrase in text] for phrase in WEB_ONLY_PHRASES}
    found |= {f"summary: {phrase}": [i + 1 for i, text in enumerate(summary) if phrase in text]
              for phrase in WEB_ONLY_PHRASES}
    assert {phrase: pages for phrase, pages in found.items() if pages} == {}
    assert not soup(folder / printbook.PRINT_PAGE).select(f".{WEB_ONLY}")


def font_sizes(pdf: Path) -> list[tuple[int, float, str, str]]:
    """Every run of text in ``pdf`` (pdftohtml's XML): its page, its font size in points, its font and its words."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-q", "-zoom", str(ZOOM), "-stdout", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    fonts = {m[1]: (float(m[2]) / ZOOM, m[3]) for m in re.finditer(
        r'<fontspec id="(\d+)" size="([\d.]+)" family="([^"]*)"', xml)}
    runs, page = [], 0
    for m in re.finditer(r'<page number="(\d+)"|<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml):
        if m[1]:
            page = int(m[1])
        elif re.sub(r"<[^>]+>", "", m[3]).strip():
            runs.append((page, *fonts[m[2]], re.sub(r"<[^>]+>", "", m[3])))
    return runs


@pytest.mark.parametrize("edition", EDITIONS)
def test_chart_text_and_all_other_text_prints_at_7_pt_or_more(built_site, edition):
    """Chart text is vega's SVG text, scaled with its chart to the sheet's width: its size in the PDF is what a
    reader gets. Every chart's title is found at 7 pt or more, and no word of the PDF is smaller."""
    folder, pdf, texts, _ = read_pdf(built_site, edition)
    runs = font_sizes(pdf)
    small = sorted({(page, round(size, 1), words[:40]) for page, size, _, words in runs if size < SMALLEST_PT})
    assert small == []
    # The charts' text is there to be measured: vega's fonts (Liberation Sans on Debian, for its sans-serif) draw
    # every chart's axis labels, in every chapter with a chart.
    chart_fonts = Counter(family.split("+")[-1] for _, _, family, _ in runs)
    assert any("Liberation" in family for family in chart_fonts), chart_fonts
    assert min(size for _, size, family, _ in runs if "Liberation" in family) >= SMALLEST_PT


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_chart_is_on_the_print_page_and_drawn_in_the_pdf(built_site, edition):
    folder, pdf, texts, header = read_pdf(built_site, edition)
    charts = {page: len(soup(folder / page).select("div.sots-chart")) for page in PAGES}
    printed = soup(folder / printbook.PRINT_PAGE)
    assert len(printed.select("div.sots-chart")) == sum(charts.values())
    drawing = [page for page, n in charts.items() if n]
    # Every chapter draws a chart but the timeline, which is prose; the front page, methods and glossary draw none.
    assert sorted(set(chapter_pages()) - set(drawing)) == ["notebooks/timeline.html"]
    starts = first_pages(folder, texts, header)
    ends = [*list(starts.values())[1:], len(texts)]
    ranges = {page: range(start, end) for (page, start), end in zip(starts.items(), ends, strict=True)}
    # Charts are SVG, so vector: pdfimages finds no image. Rasterised, a drawn chart paints its marks in the charts'
    # colours (the focal blue, the palette); a blank box paints none.
    ppm = subprocess.run(["pdftoppm", "-r", "50", str(pdf)], capture_output=True, check=True).stdout
    painted = chart_pixels(ppm)
    assert len(painted) == len(texts)
    undrawn = [page for page in drawing if max(painted[i] for i in ranges[page]) < DRAWN_PIXELS]
    assert undrawn == [], f"no chart drawn in the PDF's pages of {undrawn}"
    assert sum(n >= DRAWN_PIXELS for n in painted) >= len(drawing)
    # A page with no chart paints no chart colour at all (the print style sets text, links and code in near-black),
    # so the measure tells a chart from the page around it.
    assert {page: max(painted[i] for i in ranges[page]) for page in PAGES if page not in drawing} == {
        page: 0 for page in PAGES if page not in drawing}
    # Each chart's title is text vega draws in its SVG: the PDF has it once more, for each chart, than the page's
    # printed text (without its scripts and folded code) has it.
    titles = Counter()
    for script in printed.find_all("script", string=re.compile("vegaEmbed")):
        spec = script.string.split("vegaEmbed(el, ", 1)[1].replace("<\\/", "</")
        titles[chart_title(json.JSONDecoder().raw_decode(spec)[0])] += 1  # the spec, the call's first argument
    assert titles[""] <= sum(titles.values()) // 2  # most charts have a title
    del titles[""]
    for hidden in printed.find_all(["script", "details"]):
        hidden.decompose()
    in_page, in_pdf = " ".join(printed.get_text(" ").split()), " ".join(texts)
    undrawn = [title for title, n in titles.items() if in_pdf.count(title) < in_page.count(title) + n]
    assert undrawn == [], f"charts not drawn in the PDF: {undrawn}"
    # A chart that failed says so, in its box: never in the PDF.
    assert not any("Chart failed to draw" in t or "needs the book's vega-offline.js" in t for t in texts)


def chart_title(spec: dict) -> str:
    """A chart's own title (the first line), '' if it has none."""
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else title
    return text[0] if isinstance(text, list) else text


def test_printing_the_published_print_page_again_gives_the_published_pdf(built_site, tmp_path):
    """The PDF depends on the print page and the build's date only: printed again, from the published folder (not the
    build's scratch folder) and at another time, it is byte for byte the published one."""
    folder = built_site / CURRENT
    when = json.loads((folder / "manifest.json").read_text())["build_time"]
    again = tmp_path / "again.pdf"
    printbook.print_pdf(folder / printbook.PRINT_PAGE, again, when)
    assert again.read_bytes() == (folder / printbook.pdf_name(CURRENT)).read_bytes()


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_summary_is_two_pages_of_the_verdicts_and_each_chapters_key_findings(built_site, edition):
    folder = built_site / edition
    summary = folder / printbook.summary_pdf_name(edition)
    texts = pdf_pages(summary)
    assert 1 <= len(texts) == page_count(summary) <= 2
    header = pdf_title(summary)
    assert header == f"State of the system: Lancashire and South Cumbria, {edition}: summary"
    assert margins(summary, SUMMARY_MARGINS) == [(header, f"Page {n} of {len(texts)}")
                                                 for n in range(1, len(texts) + 1)]
    whole = " ".join(body(text, header) for text in texts)
    facts = printbook.front_facts((folder / FRONT).read_text())
    assert whole.startswith(f"{facts['icb']} {facts['book']}: summary") and facts["verdicts"] in whole
    # Every chapter with a key findings box gives its title and its first finding, in the book's order.
    boxes = [(title(folder / p), soup(folder / p).select_one(f".{printbook.KEY_FINDINGS} li"))
             for p in PAGES[1:]]
    found = [(name, " ".join(item.get_text(" ").split())) for name, item in boxes if item is not None]
    assert len(found) >= len(chapter_pages()) - 1
    at = 0
    for name, first in found:
        at = whole.find(name, at)
        assert at >= 0, f"{name!r} missing or out of order in the summary"
        # Words only: pdftotext joins a line's end to the next line's start differently from the HTML.
        assert re.sub(r"\W+", "", first)[:60] in re.sub(r"\W+", "", whole[at:]), f"{name}: {first[:60]!r}"
    assert "Key findings Key findings" not in whole
    assert min(size for _, size, _, _ in font_sizes(summary)) >= SMALLEST_PT


def last_line(layout_text: str) -> str:
    """A PDF page's last line of text (pdftotext -layout), its white space collapsed, without the footer's "Page N of
    M": what a reader sees at the foot of the sheet."""
    lines = [" ".join(re.sub(r"Page \d+ of \d+\s*$", "", line).split()) for line in layout_text.splitlines()]
    return next((line for line in reversed(lines) if line), "")


def stranded(last: str, headings: set[str]) -> bool:
    """Whether a page's ``last`` line is a heading, or the first line of one that runs on over the page (three words
    at least, so that a short line of text is not taken for a heading's start)."""
    return last in headings or (len(last.split()) >= 3 and any(h.startswith(last + " ") for h in headings))


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_page_of_the_pdf_ends_with_a_heading_or_a_glossary_term(built_site, edition):
    """A heading, or a glossary term, at a sheet's foot with its text over the page is a typesetting fault (the print
    style keeps each with what follows it)."""
    folder, pdf, texts, _ = read_pdf(built_site, edition)
    printed = soup(folder / printbook.PRINT_PAGE)
    headings = {" ".join(h.split()) for h in printbook.headings(folder / printbook.PRINT_PAGE)}
    headings |= {" ".join(dt.get_text(" ").split()) for dt in printed.find_all("dt")}
    assert "Glossary" in headings and len(headings) > len(PAGES) * 2
    ends = {n: last_line(text) for n, text in enumerate(pdf_pages(pdf, layout=True), 1)}
    assert len(ends) == len(texts)
    assert {n: last for n, last in ends.items() if n > COVER + 1 and stranded(last, headings)} == {}


def test_stranded_finds_a_heading_whole_or_broken_over_the_page():
    headings = {"Method and sources", "Activity-based acute cost per G&A weighted head", "G&A"}
    assert stranded("G&A", headings) and stranded("Method and sources", headings)
    assert stranded("Activity-based acute cost per G&A weighted", headings)
    assert not stranded("Method", headings)  # too short to tell from a line of text
    assert not stranded("weighted head, the 4th highest of the 42 ICBs.", headings)
    assert last_line("  Text\n\n  Older people by place\n\n                 Page 28 of 74\n") == "Older people by place"


def test_a_charts_caption_lines_are_counted_for_the_print_style_and_set_on_its_figure():
    assert [printbook.caption_lines("x" * n) for n in (0, 1, printbook.CAPTION_LINE_CHARS,
                                                       printbook.CAPTION_LINE_CHARS + 1)] == [1, 1, 1, 2]
    page = ('<html><body><article><figure class="sots-figure"><figcaption class="sots-caption">'
            + "A caption " * 20 + "</figcaption></figure></article></body></html>")
    figure = soup_of(printbook.assemble([("notebooks/x.html", page)], "Book")).find("figure")
    assert figure["style"] == f"{printbook.CAPTION_LINES}: 3"  # 199 characters


def soup_of(text: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(text, "html.parser")
