"""The board pack's pure pieces, with known answers: the contents' numbers from a PDF's destinations, the print order,
the cover's facts from a front page, the running header's CSS, the summary's page, and the bookmarks' titles mended
and written back into a small PDF with its byte offsets kept right."""

from __future__ import annotations

import re

import pytest

from sots.errors import BuildError
from sots.site import printbook

pytestmark = pytest.mark.unit


def page(body: str, footer: str = "") -> str:
    """A built page as the theme writes one: stylesheets in the head, the article, the footer."""
    return f"""<!DOCTYPE html><html lang="en-GB"><head>
<link rel="stylesheet" type="text/css" href="../_static/styles/theme.css?digest=1" />
<link rel="stylesheet" type="text/css" href="../_static/sots-print.css?v=2" /></head>
<body><main><article class="bd-article">{body}</article>
<footer class="bd-footer-content"><div class="footer-item">{footer}</div></footer></main></body></html>"""


FRONT = page("""<section id="state-of-the-system"><h1>State of the system<a class="headerlink" href="#s">#</a></h1>
<p><span class="pasted-text">The report makes 3 claims: 1 is reproduced &amp; 2 are stated only.</span></p>
<div class="output text_html"><div class="sots-verdicts"><table class="sots-verdict-table"><tbody>
<tr><th><a href="../notebooks/a.html">Savings</a></th><td>£241m</td></tr></tbody></table></div></div>
<p class="sots-web-only">Hover over a bar.</p>
<section id="this-edition"><h2>This edition</h2><p>This is the edition <strong>2024/25: a newer year</strong>, built
for <strong>NHS Somewhere &lt;North&gt; ICB</strong>.</p></section></section>""",
             footer='<p class="sots-release">Edition <strong>2024-25</strong> · release 2026.1</p>')
CHAPTER = page("""<section id="a"><h1>Chapter A</h1><div class="sots-key-findings admonition">
<p class="admonition-title">Key findings</p><ul><li><p>Savings were <a href="../book/glossary.html#x">£241m</a>,
as <a href="https://www.england.nhs.uk/">NHS England</a> says.</p></li></ul></div>
<p><span class="sots-web-only">Hover over a bar for its value.</span> Spending rose.</p></section>""")
CLAIMS = page('<section id="c"><h1>Claims checked</h1><p>The register.</p></section>')
PAGES = [("book/intro.html", FRONT), ("notebooks/a.html", CHAPTER), ("notebooks/claims.html", CLAIMS)]
# pdfinfo -dests of a printed book: one destination per article (the contents links to each), and some inside.
DESTS = """Page  Destination                 Name
   1 [ XYZ    0  842 null      ] ""
   3 [ XYZ    0  842 null      ] "book-intro"
   4 [ XYZ   12  -51 null      ] "book-intro--this-edition"
   5 [ XYZ    0  842 null      ] "notebooks-a"
  12 [ XYZ    0  595 null      ] "notebooks-claims"
"""


def test_the_contents_numbers_are_read_from_the_first_printings_destinations():
    slugs = [printbook.slug(path) for path, _ in PAGES]
    assert slugs == ["book-intro", "notebooks-a", "notebooks-claims"]
    numbers = printbook.page_numbers(DESTS, slugs)
    assert numbers == {"book-intro": 3, "notebooks-a": 5, "notebooks-claims": 12}
    assert printbook.contents(PAGES, numbers) == [
        {"slug": "book-intro", "title": "State of the system", "page": 3},
        {"slug": "notebooks-a", "title": "Chapter A", "page": 5},
        {"slug": "notebooks-claims", "title": "Appendix: Claims checked", "page": 12}]
    # The first printing's contents: the same lines, each number a placeholder.
    assert [line["page"] for line in printbook.contents(PAGES)] == [printbook.PLACEHOLDER_PAGE] * 3
    with pytest.raises(ValueError, match="no destination for notebooks-b$"):
        printbook.page_numbers(DESTS, ["notebooks-a", "notebooks-b"])


def test_the_claims_register_is_printed_last_and_the_rest_in_the_books_order():
    book = ["book/intro.html", "notebooks/a.html", "notebooks/claims.html", "book/methods.html", "book/glossary.html"]
    assert printbook.print_order(book) == [
        "book/intro.html", "notebooks/a.html", "book/methods.html", "book/glossary.html", "notebooks/claims.html"]
    assert printbook.print_order(["book/intro.html"]) == ["book/intro.html"]


def test_the_cover_quotes_the_front_pages_verdicts_icb_and_edition_escaped_once():
    facts = printbook.front_facts(FRONT)
    assert {k: v for k, v in facts.items() if k != "panel"} == {
        "book": "State of the system", "edition_title": "2024/25: a newer year", "icb": "NHS Somewhere <North> ICB",
        "verdicts": "The report makes 3 claims: 1 is reproduced & 2 are stated only.",
        "colophon": "Edition 2024-25 · release 2026.1"}
    assert facts["panel"].startswith('<div class="sots-verdicts">') and "<a " not in facts["panel"]
    cover = printbook.front_matter(facts, "2024-25", "2026-01-31T12:00:05+00:00",
                                   printbook.contents(PAGES, {"book-intro": 3, "notebooks-a": 5,
                                                              "notebooks-claims": 12}))
    assert "NHS Somewhere &lt;North&gt; ICB" in cover and "1 is reproduced &amp; 2" in cover
    assert "Edition 2024-25 · 31 January 2026" in cover
    assert re.findall(r'<a href="#([^"]+)"><span class="sots-contents-name">([^<]+)</span> '
                      r'<span class="sots-contents-page">(\d+)</span>', cover) == [
        ("book-intro", "State of the system", "3"), ("notebooks-a", "Chapter A", "5"),
        ("notebooks-claims", "Appendix: Claims checked", "12")]
    # The cover has no heading, so the PDF's bookmarks start at the contents.
    assert not re.search(r"<h[1-6]", cover.split("<nav")[0])
    assert printbook.front_facts(page("<h1>Bare</h1><p>Nothing else.</p>"))["verdicts"] == ""
    with pytest.raises(ValueError, match="no <article>"):
        printbook.front_facts("<p>x</p>")


def test_the_date_the_running_header_and_its_css_string():
    assert printbook.long_date("2026-01-31T23:30:00-01:00") == "1 February 2026"  # in UTC
    assert printbook.long_date("unknown") == ""
    assert printbook.css_string('A "B" \\ C</style>') == '"A \\22 B\\22  \\5c  C\\3c /style\\3e "'
    style = printbook.running_style("State: X, 2024-25")
    assert style == ('@page { @top-left { content: "State: X, 2024-25"; } } '
                     "@page cover { @top-left { content: none; } }")


def test_the_print_page_has_the_preface_first_the_header_style_the_appendix_landscape_and_no_web_only_words():
    from bs4 import BeautifulSoup

    text = printbook.assemble(PAGES, "T", preface='<section class="sots-print-cover">Cover</section>',
                              style="@page { @top-left { content: \"T\"; } }", landscape=("notebooks/claims.html",))
    soup = BeautifulSoup(text, "html.parser")
    container = soup.select_one(".bd-article-container")
    assert container.find(True)["class"] == ["sots-print-cover"]
    assert soup.head.style.string == '@page { @top-left { content: "T"; } }'
    assert [a.get("class") for a in soup.find_all("article")] == [
        ["bd-article", "sots-print-page"], ["bd-article", "sots-print-page"],
        ["bd-article", "sots-print-page", printbook.APPENDIX_CLASS]]
    assert "Hover over" not in soup.get_text() and "Spending rose." in soup.get_text()


def test_the_summary_page_is_the_verdicts_then_each_chapters_findings_without_site_links():
    from bs4 import BeautifulSoup

    text = printbook.summary_page(PAGES, "State: X, 2024-25", "2024-25", "unknown", "state-of-the-system-2024-25.pdf")
    soup = BeautifulSoup(text, "html.parser")
    assert soup.title.get_text() == "State: X, 2024-25: summary" and soup.html["lang"] == "en-GB"
    assert [link["href"] for link in soup.head.find_all("link")] == [
        "../_static/styles/theme.css?digest=1", "../_static/sots-print.css?v=2"]
    assert "content: \"State: X, 2024-25: summary\"" in soup.head.style.string
    assert soup.h1.get_text() == "State of the system: summary"
    assert soup.select_one(".sots-summary-verdicts p").get_text() == (
        "The report makes 3 claims: 1 is reproduced & 2 are stated only.")
    assert soup.select(".sots-summary-verdicts table.sots-verdict-table")
    chapters = soup.select(".sots-summary-chapter")
    assert [c.h3.get_text() for c in chapters] == ["Chapter A"]  # the claims page has no findings box
    findings = chapters[0].select_one(".sots-key-findings")
    assert not findings.select(".admonition-title") and "Key findings" not in findings.get_text()
    # A link into the site keeps its words and loses its address; a link out is kept.
    assert [a["href"] for a in findings.find_all("a")] == ["https://www.england.nhs.uk/"]
    assert "Savings were £241m," in " ".join(findings.get_text().split())
    assert "state-of-the-system-2024-25.pdf" in soup.select_one(".sots-summary-more").get_text()


def test_a_bookmarks_title_is_mended_from_the_heading_chromium_painted():
    headings = ["Contents", "Funding per head: the ICB among all ICBs", "Method and sources",
                "How much the Eden correction moves the figures", "Method and sources", "Glossary"]
    titles = ["Contents", "Funding per head: the ICB among allICBs", "Method and sourcesMethod and sources",
              "How much the Eden correction moves thefiguresfigures", "Method and sources", "Glossary"]
    assert printbook.outline_titles(titles, headings) == [
        None, "Funding per head: the ICB among all ICBs", "Method and sources",
        "How much the Eden correction moves the figures", None, None]
    # A line painted twice in the middle, and a title that is no heading (left as it is).
    assert printbook.outline_titles(["Published pages behind the other qualityPublished pages behind the other "
                                     "qualityclaims", "Something else"],
                                    ["Published pages behind the other quality claims"]) == [
        "Published pages behind the other quality claims", None]


def tiny_pdf(titles: list[str]) -> bytes:
    """A two-page PDF as Chromium writes one (objects in the open, a classic cross-reference table), with a
    bookmark per title, each going to the second page."""
    objects = ["<</Type /Catalog /Pages 2 0 R /Outlines 5 0 R>>", "<</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>>",
               "<</Type /Page /Parent 2 0 R>>", "<</Type /Page /Parent 2 0 R>>",
               f"<</Type /Outlines /First 6 0 R /Last {5 + len(titles)} 0 R /Count {len(titles)}>>"]
    for i, name in enumerate(titles):
        number = 6 + i
        links = (f" /Prev {number - 1} 0 R" if i else "") + (f" /Next {number + 1} 0 R" if i < len(titles) - 1 else "")
        literal = re.sub(r"([()\\])", r"\\\1", name)  # as Skia writes a string: its brackets escaped
        objects.append(f"<</Title ({literal}) /Parent 5 0 R{links} /Dest [4 0 R /XYZ 0 842 0]>>")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += f"trailer\n<</Size {len(objects) + 1} /Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def offsets_hold(pdf: bytes) -> bool:
    """Whether every cross-reference entry, and startxref, points at what it names."""
    xref = int(re.search(rb"startxref\s+(\d+)", pdf)[1])
    entries = re.findall(rb"(\d{10}) \d{5} n", pdf[xref:])
    return pdf[xref:].startswith(b"xref") and all(
        pdf[int(at):].startswith(b"%d 0 obj" % (n + 1)) for n, at in enumerate(entries))


def test_mended_bookmarks_are_written_back_with_every_byte_offset_moved():
    pdf = tiny_pdf(["Contents", "Chapter (one)Chapter (one)", "Fundingper head"])
    assert offsets_hold(pdf)
    assert [(d, t, p) for d, t, p, _ in printbook.outline(pdf)] == [
        (0, "Contents", 2), (0, "Chapter (one)Chapter (one)", 2), (0, "Fundingper head", 2)]
    fixed = printbook.fix_outline(pdf, ["Contents", "Chapter (one)", "Funding per head", "Another"])
    assert offsets_hold(fixed)
    assert [t for _, t, _, _ in printbook.outline(fixed)] == ["Contents", "Chapter (one)", "Funding per head"]
    assert b"(Contents)" in fixed  # a right title is left as Chromium wrote it
    assert printbook.fix_outline(pdf, ["Nothing like them"]) == pdf
    assert printbook.outline(b"%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n") == []
    assert printbook.pdf_text(b"<FEFF00410301>") == "A\u0301" and printbook.pdf_text(rb"(a\)b\051\\)") == "a)b)\\"


def test_a_missing_pdfinfo_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BuildError, match=r"needs poppler's `pdfinfo`, which is not on the PATH; install "
                                         r"poppler-utils with `make chromium`$"):
        printbook.read_dests(tmp_path / "x.pdf")
