"""The claims' statuses on the page, and the chapters they link to: each status's badge (mark and words) and
colour, and a chapter's title and link. The statuses themselves are decided in :mod:`sots.analysis.claims`.
"""

from __future__ import annotations

from pathlib import Path

from sots.analysis.claims import CONSISTENT, NOT_REPRODUCED, REPRODUCED, STATED_ONLY, STATUSES, page_file
from sots.chapters.palette import OTHERS, PALETTE

BADGE_MARK = {REPRODUCED: "✓", CONSISTENT: "≈", NOT_REPRODUCED: "✗", STATED_ONLY: "–"}
# Each status as a badge says it: a capital, as it starts its cell.
BADGE_TEXT = {status: status[0].upper() + status[1:] for status in STATUSES}
# Each status's colour, in the claims page's chart and round its badge alike: none in the focal blue, as the claims
# page is about the report, not an ICB; "stated only" (nothing to check) in the grey of everything not highlighted.
STATUS_COLOURS = {REPRODUCED: PALETTE["bluish green"], CONSISTENT: PALETTE["plum"],
                  NOT_REPRODUCED: PALETTE["vermillion"], STATED_ONLY: OTHERS}


def chapter_title(root: Path, chapter: str) -> str:
    """A chapter's title: the first level-one heading of ``notebooks/x.ipynb`` or ``book/x.md`` under ``root``."""
    path = page_file(root, chapter)
    if path.suffix == ".ipynb":
        import nbformat

        lines = [line for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
                 for line in cell.source.splitlines()]
    else:
        lines = path.read_text().splitlines()
    return next((line[2:].strip() for line in lines if line.startswith("# ")), chapter)


def chapter_href(chapter: str, page_folder: str = "notebooks") -> str:
    """The link from a page in ``page_folder`` to a chapter's HTML page."""
    folder, name = chapter.split("/", 1)
    return f"{name}.html" if folder == page_folder else f"../{folder}/{name}.html"
