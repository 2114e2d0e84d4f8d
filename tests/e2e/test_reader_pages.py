"""The pages as a reader meets them: key findings first, no parameters cells, a glossary, a methods page and a way
to cite. Read from the session's built site (no browser: tests/e2e/test_browser.py looks at the pages in one)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from helpers import CURRENT, EDITIONS, ROOT, chapter_pages, page_text
from sots.site import citation, pipeline

pytestmark = pytest.mark.e2e

# The terms the glossary must explain (the list), by the glossary's own spelling.
REQUIRED_TERMS = ("ICB", "Weighted head", "G&A", "SNPP", "Control total")
# Numbers a key finding may type rather than glue: years and age bands name a measure, they are not results; the
# need index is defined relative to England's 1.
TYPED = re.compile(r"\b(?:19|20)\d\d(?:/\d\d)?\b|\bover-\d\d|\baged \d\d\b|\b\d\d and over\b|England = 1")
GLUED = re.compile(r"\{glue:[a-z]+\}`[^`]*`")


class Box(HTMLParser):
    """The key-findings boxes of a page: each list item's text and how many glued values (``{glue:text}``) it holds;
    and whether a box comes before the article's first section below the title."""

    def __init__(self):
        super().__init__()
        self.boxes: list[list[dict]] = []
        self.depth = 0  # <div> nesting inside the current box; 0 outside any box
        self.item: dict | None = None
        self.in_article = False
        self.first_section_seen = False
        self.box_before_sections = False

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "sots-key-findings" in classes:
            self.boxes.append([])
            self.depth = 1
            self.box_before_sections = self.box_before_sections or not self.first_section_seen
            return
        self.in_article = self.in_article or tag == "article"
        if tag == "h2" and self.in_article:
            self.first_section_seen = True
        if not self.depth:
            return
        if tag == "div":
            self.depth += 1
        elif tag == "li":
            self.item = {"text": "", "glued": 0}
            self.boxes[-1].append(self.item)
        elif tag == "span" and "pasted-text" in classes and self.item is not None:
            self.item["glued"] += 1

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1
        elif tag == "li":
            self.item = None

    def handle_data(self, data):
        if self.item is not None:
            self.item["text"] += data


def boxes(page: Path) -> Box:
    parser = Box()
    parser.feed(page.read_text())
    return parser


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_chapter_opens_with_three_to_five_key_findings_with_numbers(built_site, edition):
    """The box comes before the chapter's first section, holds three to five findings, and each states a number.
    (A finding pasted whole from a sentence the chapter computes, ``{glue:md}``, carries no span of its own, so that
    its numbers are glued is checked in the notebooks' source below.)"""
    for path in chapter_pages(edition):
        found = boxes(built_site / path)
        assert len(found.boxes) == 1 and found.box_before_sections, f"{path}: one key-findings box, before §1"
        items = found.boxes[0]
        assert 3 <= len(items) <= 5, f"{path}: {len(items)} findings"
        for item in items:
            assert re.search(r"\d", item["text"]), f"{path}: a finding with no number: {item['text']}"
        assert sum(item["glued"] for item in items) >= 1, path


def test_no_key_finding_types_a_number_into_the_notebook():
    """In the notebooks' source, every number in a key-findings box is glued: only years and age bands are typed."""
    for name in [Path(p).with_suffix("").as_posix() for p in chapter_pages()]:
        cells = json.loads((ROOT / f"{name}.ipynb").read_text())["cells"]
        box = [c for c in cells if "".join(c["source"]).startswith(":::{admonition} Key findings")]
        assert len(box) == 1, name
        prose = TYPED.sub("", GLUED.sub("", "".join(box[0]["source"])))
        assert not re.search(r"\d", prose), f"{name}: a typed number in the key findings: {prose}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_parameters_cells_are_off_the_page_but_in_the_notebook_and_script(built_site, edition):
    for path in chapter_pages(edition):
        page = built_site / path
        html = page.read_text()
        assert not re.search(r'class="cell [^"]*tag_(injected-)?parameters', html), path
        downloads = page.parent.parent / "_sources" / "notebooks" / f"{page.stem}.ipynb"
        tags = [c["metadata"].get("tags", []) for c in json.loads(downloads.read_text())["cells"]]
        for tag in pipeline.PARAMETER_TAGS:
            assert [pipeline.REMOVE_CELL in t for t in tags if tag in t] == [True], (path, tag)
        script = (page.parent.parent / "_static" / "downloads" / f"{page.stem}.py").read_text()
        assert f'edition = "{edition}"' in script, path  # the injected value, for an analyst who reruns it


def test_the_glossary_defines_the_nhs_terms_and_the_pages_link_to_them(built_site):
    folder = built_site / CURRENT
    glossary = (folder / "book" / "glossary.html").read_text()
    anchors = {}
    for term in REQUIRED_TERMS:
        found = re.search(r'<dt id="(term-[^"]+)">' + re.escape(term.replace("&", "&amp;")) + "<", glossary)
        assert found, f"the glossary does not define {term}"
        anchors[term] = found[1]
    # Each term is linked from a chapter or the methods page, to its own entry.
    linked = "".join((folder / p).read_text() for p in [*chapter_pages(), "book/methods.html"])
    for term, anchor in anchors.items():
        assert f'glossary.html#{anchor}"' in linked, f"no page links {term} to the glossary"


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_front_page_and_methods_say_how_to_cite_from_citation_cff(built_site, edition):
    folder = built_site / edition
    cff = citation.load(ROOT / citation.CITATION_FILE)
    expected = citation.text(cff, edition, "NHS Lancashire and South Cumbria ICB").replace("*", "")
    for page in ("book/intro.html", "book/methods.html"):
        text = page_text(folder / page)
        assert "How to cite" in text and expected.replace("’", "'") in text.replace("’", "'"), page
        assert 'href="../_static/CITATION.cff"' in (folder / page).read_text()
    assert (folder / "_static" / "CITATION.cff").read_bytes() == (ROOT / citation.CITATION_FILE).read_bytes()
