"""Sphinx extension: each chapter's download menu offers the chapter as a Python script beside its notebook.

sphinx-book-theme fills the download menu (``.ipynb`` from ``_sources/``, and print to PDF) when a page is written;
this adds a ``.py`` entry after the notebook's, linking the script :func:`sots.site.downloads.write_script` wrote into
``_static/downloads/``, by an address relative to the page, so it works offline and from any path. A notebook page
without its script is a warning, which ``sots build`` (warnings as errors) turns into a failed build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from sots.site.downloads import DOWNLOADS_FOLDER, script_name

logger = logging.getLogger(__name__)

MENU = "download-buttons"  # the theme's label for its download menu
NOTEBOOK_ENTRY = "download-source-button"  # the theme's label for the page's own source (the .ipynb)


def add_script_download(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if context.get("page_source_suffix") != ".ipynb":
        return
    static = f"_static/{DOWNLOADS_FOLDER}/{script_name(pagename)}"
    if not (Path(app.srcdir) / static).is_file():
        logger.warning(f"{pagename}: no script to download at {static} (`sots build` writes it)")
        return
    menus = [group for group in context.get("header_buttons", []) if group.get("label") == MENU]
    if not menus:
        logger.warning(f"{pagename}: the theme gave no download menu to offer {static} in")
    for group in menus:
        buttons = group["buttons"]
        after = next((i + 1 for i, b in enumerate(buttons) if b.get("label") == NOTEBOOK_ENTRY), len(buttons))
        buttons.insert(after, {
            "type": "link",
            "url": context["pathto"](static, 1),
            "text": ".py",
            "tooltip": "Download the chapter as a Python script",
            "icon": "fas fa-code",
            "label": "download-script-button",
        })


def setup(app: Sphinx) -> dict:
    # After sphinx-book-theme builds the menu (priority 501).
    app.connect("html-page-context", add_script_download, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
