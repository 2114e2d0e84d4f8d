"""How to cite the book: one sentence from the project's CITATION.cff (Citation File Format 1.2.0).

The citation file is the one source of the title, authors, version and release date; the book's "How to cite" box
(`book/cite.md`, a substitution made by :func:`sots.site.build.edition_config`) and the file published beside each
edition both come from it, so they cannot disagree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sots import escape
from sots.errors import InputError
from sots.prose import listed

CITATION_FILE = "CITATION.cff"
REQUIRED = ("title", "authors", "version", "date-released")


def load(path: Path) -> dict:
    """The citation file's fields; InputError naming the file and the field if one the book needs is missing."""
    try:
        cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"{path}: cannot read the citation file: {error}") from error
    if not isinstance(cff, dict):
        raise InputError(f"{path}: expected a Citation File Format mapping, got {type(cff).__name__}")
    for name in REQUIRED:
        if not cff.get(name):
            raise InputError(f"{path}: field '{name}' is missing or empty; the book's citation needs it")
    return cff


def author_names(cff: dict) -> str:
    """The authors as cited: an entity's ``name``, a person's ``given-names family-names``, joined with commas and a
    final "and"."""
    names = [a.get("name") or " ".join(p for p in (a.get("given-names"), a.get("family-names")) if p)
             for a in cff["authors"]]
    return listed(names)


def text(cff: dict, edition: str, icb_name: str) -> str:
    """The citation as one Markdown sentence, naming the release and the edition (e.g. 'The sots contributors (2026).
    *sots: …*, version 2026.1, edition 2024-25, built for NHS Lancashire and South Cumbria ICB.').

    The file's fields and ``icb_name`` (raw text, from the register and the data) are escaped here, where they meet
    the sentence's Markdown (:func:`sots.escape.markdown`): a title reads as typed, and nothing in it is markup."""
    year = escape.markdown(str(cff["date-released"])[:4])
    title, version, authors = (escape.markdown(str(v)) for v in (cff["title"], cff["version"], author_names(cff)))
    return (f"{authors} ({year}). *{title}*, version {version}, edition {escape.markdown(edition)}, built for "
            f"{escape.markdown(icb_name)}.")
