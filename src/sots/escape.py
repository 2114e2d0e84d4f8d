"""Text from the data or a register (a title, a publisher, an ICB's name), made to read as itself on a page.

Such text is written by whoever edits ``editions.yml``, ``claims.yml``, ``CITATION.cff`` or a table in ``data/``,
not by the book's code, so it must never act as markup: a ``<script>`` in a publisher's name must show as those
characters, and ``{{ icb_name }}``, ``**bold**`` or a role such as ``{sub}`x``` in a title must not be expanded.
Each text is escaped once, where it enters a page's source, for the language of that source:

- :func:`markdown` where it is put into Markdown (MyST substitutions, a glued or displayed ``Markdown``);
- :func:`html` where it is put into HTML by Python (a table's cells); the package's Jinja templates autoescape
  instead (:mod:`sots.render`), and a ``{glue:text}`` value is text already, so neither needs it.

Escaping twice is a bug too (``&amp;amp;`` on the page, or a backslash shown), so a value is escaped only at the
point where it meets the markup, never before it is stored or passed on.
"""

from __future__ import annotations

import html as _html
import re

# Characters that can start or end Markdown or MyST syntax anywhere in a line: emphasis, code, links and images,
# roles and substitutions ({name}`x`, {{ x }}), raw HTML and entities, maths, tables, strikethrough.
_ANYWHERE = re.compile(r"([\\`*_{}\[\]()<>#|~$&])")
# What starts a block only at the start of a line: a list item ("- ", "+ ", "1. " or "1) "), a setext underline
# (=), a definition (:) or a colon fence (:::), a MyST comment (%). "2026.1" or "-5" start none.
_LINE_START = re.compile(r"^(\s*)([-+](?=\s|$)|[=:%]|\d+(?=[.)](?:\s|$)))")


def markdown(text: str) -> str:
    """``text`` as Markdown (CommonMark or MyST) that renders as exactly ``text``, on one line.

    Each character that could start markup is backslash-escaped ("a *b*" -> "a \\*b\\*"), which every CommonMark
    parser reads back as the character itself; a line break becomes a space, so the text cannot start a block.
    Text with none of these characters is returned unchanged ("Lancashire and South Cumbria", "£4bn", "ICB's").
    """
    line = " ".join(str(text).splitlines())
    escaped = _ANYWHERE.sub(r"\\\1", line)
    # At the start a number's full stop or bracket is escaped ("1\. "), any other block marker itself ("\- ").
    return _LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), escaped)


# An address is linked only when it is a plain web address; anything else is shown as text, never as Markdown.
WEB_ADDRESS = re.compile(r"https?://[^\s<>()`\\\[\]]+")


def link(text: str, url: str) -> str:
    """A Markdown link whose words render as exactly ``text`` and whose target is ``url``, when ``url`` is a plain
    web address (:data:`WEB_ADDRESS`); otherwise both as text, "text: url", so a crafted address cannot become markup
    or a script link."""
    url = str(url)
    if WEB_ADDRESS.fullmatch(url):
        return f"[{markdown(text)}](<{url}>)"
    return f"{markdown(text)}: {markdown(url)}"


def html(text: str) -> str:
    """``text`` as the content of an HTML element: ``&``, ``<`` and ``>`` as entities ("A & B" -> "A &amp; B").

    Quotes are left as they are: they need escaping only inside an attribute's value, which the package's templates
    write (and autoescape) themselves.
    """
    return _html.escape(str(text), quote=False)
