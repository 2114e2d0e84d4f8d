"""No page of any edition, of the report's ICB or another, prints a count, rank or comparison built from a figure that
is missing, zero or not published, nor grades the report's claims on another ICB's figures. Each pattern below is a
sentence a chapter once generated from such a figure; the pages are read from the session's built sites (every
edition of the report's ICB, and the current edition for another ICB with two more ICBs' books)."""

from __future__ import annotations

import re

import pytest

from helpers import CURRENT, EDITIONS, page_text

pytestmark = pytest.mark.e2e

# Built from nothing: a ranking among no ICBs, a distance of nothing, a rise of 0% needed, a trust file "naming no
# trust" for a year the accounts do not cover.
EMPTY = {
    "a count of no ICBs": re.compile(r"\b(?:the |among |of )0 ICBs\b"),
    "a gap of nothing": re.compile(r"\b0(?:\.0+)? points from\b"),
    "a rise of nothing needed": re.compile(r"rise by about 0%"),
    "a trust file naming no trust": re.compile(r"names no acute trust hosted by"),
}
# The report's claims are about Lancashire and South Cumbria: another ICB's book never sets its own figures against
# them, grades them, or names that ICB's places as its own.
GRADED = {
    "a stated value beside its own": re.compile(r"\(the report: [^)]*\)"),
    "a verdict on the report's claims": re.compile(r"claims register finds the claim|\bD\d, D\d\b.* not reproduced"),
    "Lancashire's localities": re.compile(r"Lancashire['’]s localities"),
}


def pages(site, edition: str) -> list:
    """Every page of an edition's own book (not another ICB's under icb/, nor the print page)."""
    folder = site / edition
    return [p for p in sorted(folder.rglob("*.html"))
            if not p.is_relative_to(folder / "icb") and p.name != "print.html" and p.name != "index.html"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_page_prints_a_comparison_built_from_nothing(built_site, edition):
    found = {f"{p.relative_to(built_site)}: {name}": m.group(0)
             for p in pages(built_site, edition) for name, pattern in EMPTY.items()
             if (m := pattern.search(page_text(p)))}
    assert found == {}


def test_another_icbs_book_neither_compares_with_nor_grades_the_reports_claims(another_icb_site):
    found = {f"{p.relative_to(another_icb_site)}: {name}": m.group(0)
             for p in pages(another_icb_site, CURRENT) for name, pattern in {**EMPTY, **GRADED}.items()
             if (m := pattern.search(page_text(p)))}
    assert found == {}
    # Each of the other ICBs' books in the same build too (under icb/<CODE>/).
    for book in sorted((another_icb_site / CURRENT / "icb").glob("*/book/intro.html")):
        text = page_text(book)
        assert "this book is for" in text and "Not reproduced" not in text, book
