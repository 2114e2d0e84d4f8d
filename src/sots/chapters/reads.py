"""What a chapter read, as the execution cache records it and looks it up (:mod:`sots.site.execcache`).

Apart from the chapter context (:mod:`sots.chapters.context`), which imports Altair for its charts: the build's own
process looks chapters up without it.
"""

from __future__ import annotations

from sots.hashing import digest
from sots.inputs import slices


def table_read(piece: slices.Slice, sources: list[dict]) -> dict[str, str]:
    """What reading one table gave a chapter: the sha256 of its rows and of the source entries cited for them (of the
    table's ``sources``, those whose years meet the rows read: a publication added for another year changes
    nothing)."""
    return {"rows": piece.sha256, "sources": digest(slices.cited(sources, piece.rows))}


def title_read(title: str) -> str:
    """What reading a chapter's title gave (the claims page quotes titles, not pages): the title's sha256."""
    return digest(title)
