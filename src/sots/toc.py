"""The book's table of contents, ``_toc.yml``: its pages in reading order.

Pure functions of the parsed file, importing nothing heavy, so the build key (:mod:`sots.site.buildkey`) can find the
notebooks a build reads without loading papermill; :func:`sots.site.pipeline.read_toc` checks the file.
"""

from __future__ import annotations

TOC_FILE = "_toc.yml"


def pages_in_toc(toc: dict) -> list[str]:
    """Every page path (no suffix) that a Jupyter Book ``_toc.yml`` lists, in reading order: the root, then each
    chapter, part and section as listed."""
    found: list[str] = []

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                found.append(entry["file"])
            for key in ("chapters", "sections"):
                walk(entry.get(key, []))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []))

    walk([{"file": toc["root"], **{k: v for k, v in toc.items() if k != "root"}}])
    return found


def notebooks_in_toc(toc: dict) -> list[str]:
    """The notebook paths (no suffix) that a Jupyter Book ``_toc.yml`` lists, in order."""
    return [page for page in pages_in_toc(toc) if page.startswith("notebooks/")]
