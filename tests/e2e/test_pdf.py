"""Each edition's PDF, as `sots build` publishes it: linked from the front page, listed in the manifest, every page
of the table of contents starting a page, every chart drawn (not an empty box), and the same bytes when printed
again. Read with Debian's poppler-utils (pdfinfo, pdftotext, pdftoppm), as `make chromium` installs them."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from helpers import CURRENT, EDITIONS, ROOT, chapter_pages, chart_pixels
from sots import pipeline, printbook, publish

pytestmark = pytest.mark.e2e

# Every page of the book in reading order, the front page first, as built pages: what the PDF prints.
PAGES = [f"{name}.html" for name in pipeline.pages_in_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))]
FRONT = PAGES[0]
# A page "has a chart drawn" when this many of its pixels, at 50 dpi, are a chart's mark colour: a drawn chart's focal
# bar, point or line or its coloured series give hundreds; links in the text give a few dozen at most.
DRAWN_PIXELS = 150


def soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(), "html.parser")


def title(path: Path) -> str:
    """A built page's title: its article's first heading, without the heading's "#" link."""
    heading = soup(path).find("article").h1
    for link in heading.select("a.headerlink"):
        link.decompose()
    return " ".join(heading.get_text().split())


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's text (pdftotext), its white space collapsed."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]  # each page ends with a form feed


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)[1])


def first_pages(folder: Path, texts: list[str]) -> dict[str, int]:
    """Every page of the book (as built pages, in the book's order) -> the index of the PDF page its title starts,
    each found after the one before."""
    starts, at = {}, 0
    for page in PAGES:
        heading = title(folder / page)
        at = next((i for i in range(at, len(texts)) if texts[i].startswith(heading)), None)
        assert at is not None, f"no page of the PDF starts with {heading!r} ({page})"
        starts[page] = at
        at += 1
    return starts


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_edition_has_its_pdf_linked_from_the_front_page_and_listed_in_its_manifest(built_site, edition):
    folder = built_site / edition
    pdf = folder / printbook.pdf_name(edition)
    assert pdf.read_bytes().startswith(b"%PDF-")
    outputs = json.loads((folder / "manifest.json").read_text())["outputs"]
    assert outputs[pdf.name] == publish.sha256_file(pdf)
    assert outputs[printbook.PRINT_PAGE] == publish.sha256_file(folder / printbook.PRINT_PAGE)
    links = [a["href"] for a in soup(folder / FRONT).find_all("a", href=True) if a["href"].endswith(".pdf")]
    assert links == [f"../{pdf.name}"]
    assert (folder / Path(FRONT).parent / links[0]).resolve() == pdf.resolve()


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_pdf_is_the_front_page_then_each_chapter_each_starting_a_page(built_site, edition):
    folder = built_site / edition
    pdf = folder / printbook.pdf_name(edition)
    texts = pdf_pages(pdf)
    assert len(texts) == page_count(pdf) >= len(PAGES)
    starts = first_pages(folder, texts)
    assert starts[FRONT] == 0
    assert texts[0].startswith("State of the system")
    # The title is the edition's, for the PDF reader's window and the file's properties.
    assert f"Lancashire and South Cumbria, {edition}" in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_chart_is_on_the_print_page_and_drawn_in_the_pdf(built_site, edition):
    folder = built_site / edition
    pdf = folder / printbook.pdf_name(edition)
    charts = {page: len(soup(folder / page).select("div.sots-chart")) for page in PAGES}
    printed = soup(folder / printbook.PRINT_PAGE)
    assert len(printed.select("div.sots-chart")) == sum(charts.values())
    drawing = [page for page, n in charts.items() if n]
    # Every chapter draws a chart but the timeline, which is prose; the front page, methods and glossary draw none.
    assert sorted(set(chapter_pages()) - set(drawing)) == ["notebooks/timeline.html"]
    texts = pdf_pages(pdf)
    starts = first_pages(folder, texts)
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
        titles[chart_title(json.loads(
            script.string.split("vegaEmbed(el, ", 1)[1].rsplit(", {", 1)[0].replace("<\\/", "</")))] += 1
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
