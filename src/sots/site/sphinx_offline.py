"""Sphinx extension: the built book loads nothing from outside its own site.

Jupyter Book 1 always loads sphinx-thebe, which writes a CDN address for thebe into every page even though this
book never launches live code. This extension drops thebe's scripts from each page, then warns about any script or
stylesheet that still points off-site. ``sots build`` runs Sphinx with warnings as errors, so a theme or extension
that starts loading from a CDN fails the build instead of shipping a page that breaks offline.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

OFF_SITE = ("http://", "https://", "//")


def _text(asset: Any) -> tuple[str, str]:
    filename = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return filename, body


def _is_thebe(asset: Any) -> bool:
    filename, body = _text(asset)
    return "thebe" in filename or "THEBE_JS_URL" in body


def keep_assets_on_site(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    context["script_files"] = [s for s in context.get("script_files", []) if not _is_thebe(s)]
    for key in ("script_files", "css_files"):
        for asset in context.get(key, []):
            filename, body = _text(asset)
            if filename.startswith(OFF_SITE) or any(p in body for p in ("http://", "https://")):
                logger.warning(f"{pagename}: {key[:-6]} loads from outside the site: {filename or body[:80]}")


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", keep_assets_on_site, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
