"""Text from the data or a register reads as itself: escaped once for Markdown/MyST or for HTML (sots.escape)."""

from __future__ import annotations

import html

import jinja2
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from sots import escape
from sots.chapters import charts
from sots.site import citation, sphinx_escape

pytestmark = pytest.mark.unit

INJECTED = "<script>alert(1)</script> {{ icb_name }} **bold** {sub}`x` $y$ [a](javascript:x) &amp; # | ~~z~~"
# Texts as the registers and data hold them, which must read exactly as before.
ORDINARY = ["Lancashire and South Cumbria", "NHS Lancashire and South Cumbria ICB", "ICB's budget: £4bn",
            "2023/24: the 2024 report reproduced", "Office for National Statistics; The Strategy Unit",
            "L&SC ICS (ICB + 4 acute trusts + LSCFT)", "“Beyond the challenge: moving into delivery”"]
QUOTE = '"'  # markdown-it writes a double quote in text as &quot;
# The extensions Jupyter Book 1 enables, so the parse is the book's own.
MYST = MdParserConfig(enable_extensions={"colon_fence", "dollarmath", "linkify", "substitution", "tasklist",
                                         "amsmath", "deflist", "html_image", "html_admonition"})


def myst_inline_tokens(source: str) -> list:
    """The inline tokens MyST parses ``source`` into (a paragraph's children)."""
    tokens = create_md_parser(MYST, RendererHTML).parse(source, {})
    return [child for token in tokens if token.type == "inline" for child in token.children]


@pytest.mark.parametrize("text, expected", [
    ("Lancashire and South Cumbria", "Lancashire and South Cumbria"),
    ("ICB's budget: £4bn", "ICB's budget: £4bn"),
    ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
    ("{{ icb_name }}", r"\{\{ icb\_name \}\}"),
    ("**bold** {sub}`x`", r"\*\*bold\*\* \{sub\}\`x\`"),
    ("L&SC $5 | a~b #1 [x]", r"L\&SC \$5 \| a\~b \#1 \[x\]"),
    ("a\\b", "a\\\\b"),
    ("- item", r"\- item"),
    ("-5 and 2026.1", "-5 and 2026.1"),
    ("1. first", r"1\. first"),
    ("% a comment", r"\% a comment"),
    (": a definition", r"\: a definition"),
    ("two\nlines", "two lines"),
])
def test_markdown_escapes_known_answers(text, expected):
    assert escape.markdown(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Lancashire and South Cumbria", "Lancashire and South Cumbria"),
    ("Tom & Jerry's <b>", "Tom &amp; Jerry's &lt;b&gt;"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("£4bn “quoted”", "£4bn “quoted”"),
    ("&amp;", "&amp;amp;"),  # the text "&amp;" itself, shown as typed
])
def test_html_escapes_known_answers(text, expected):
    assert escape.html(text) == expected


@pytest.mark.parametrize("text", [INJECTED, *ORDINARY, "- 1. # > = : % text"])
def test_escaped_markdown_renders_as_the_text_itself_in_commonmark_once(text):
    """CommonMark (a displayed Markdown output, a glue:md value) reads the escaped text back as the text: one HTML
    escape by the renderer, so no raw tag, no &amp;amp; and no backslash shown."""
    rendered = MarkdownIt("commonmark").render(escape.markdown(text)).strip()
    assert rendered == f"<p>{html.escape(text, quote=False).replace(QUOTE, '&quot;')}</p>"


@pytest.mark.parametrize("text", [INJECTED, *ORDINARY])
def test_escaped_markdown_is_plain_text_to_myst(text):
    """MyST with the book's extensions finds no substitution, role, maths, link, HTML or emphasis in it: only text."""
    children = myst_inline_tokens(f"Built for {escape.markdown(text)}.")
    assert {c.type for c in children} <= {"text"}, [c.type for c in children]
    assert "".join(c.content for c in children) == f"Built for {text}."


def test_unescaped_text_would_be_markup():
    """The check above has teeth: the same text unescaped is parsed as substitutions, roles, maths and HTML."""
    types = {c.type for c in myst_inline_tokens(f"Built for {INJECTED}.")}
    assert {"html_inline", "substitution_inline", "myst_role", "math_inline", "strong_open"} <= types


def test_the_citation_escapes_the_files_fields_and_the_icb_name_once():
    cff = {"title": "sots <b>&</b> {{ icb_name }}", "authors": [{"name": "A*B"}], "version": "2026.1",
           "date-released": "2026-11-22"}
    text = citation.text(cff, "2024-25", "NHS Lancashire and South Cumbria ICB")
    assert text == (r"A\*B (2026). *sots \<b\>\&\</b\> \{\{ icb\_name \}\}*, version 2026.1, edition 2024-25, "
                    "built for NHS Lancashire and South Cumbria ICB.")
    assert MarkdownIt("commonmark").render(text).startswith(
        "<p>A*B (2026). <em>sots &lt;b&gt;&amp;&lt;/b&gt; {{ icb_name }}</em>, version 2026.1")


def test_a_table_shows_its_cells_text_as_typed_and_its_numbers_formatted():
    df = pd.DataFrame({"Publisher": ["<script>alert(1)</script>", "L&SC's £ team"], "£m": [1.25, 1234.5]})
    page = charts.table(df, formats={"£m": "{:,.1f}"})._repr_html_()
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page and "<script>" not in page
    assert ">L&amp;SC's £ team</td>" in page and ">1,234.5</td>" in page
    assert charts.table(df, formats={"£m": "{:,.1f}"}).df is df  # the frame itself is kept as it was


def test_the_books_title_is_given_to_the_theme_escaped_once():
    context = {"docstitle": "State of the system: A & B <i>"}
    sphinx_escape.title_as_text(None, "index", "page.html", context, None)
    environment = jinja2.Environment(autoescape=False)
    logo = environment.from_string("<p>{{ docstitle }}</p><title>{{ docstitle|e }}</title>").render(context)
    assert logo == ("<p>State of the system: A &amp; B &lt;i&gt;</p>"
                    "<title>State of the system: A &amp; B &lt;i&gt;</title>")
    sphinx_escape.title_as_text(None, "index", "page.html", context, None)  # a second call escapes nothing again
    assert str(context["docstitle"]) == "State of the system: A &amp; B &lt;i&gt;"
