"""Sphinx extension: the book's title is text, whichever of the theme's templates writes it.

A build sets the title from the data (the ICB's short name, :func:`sots.site.build.edition_config`). Sphinx's own layout
escapes it (``docstitle|e``), but the theme's logo and search page write it as it is, so a name holding ``<`` or
``&`` would be markup there. Given to every page as escaped markup (markupsafe's ``Markup``), it is escaped once
everywhere: ``|e`` leaves markup as it is, and the templates that write it as it is write it escaped.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sphinx.application import Sphinx


def title_as_text(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Replace the page context's ``docstitle`` (the book's title, text) by its escaped markup."""
    title = context.get("docstitle")
    if isinstance(title, str) and not isinstance(title, Markup):
        context["docstitle"] = escape(title)


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", title_as_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
