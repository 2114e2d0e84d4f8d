"""The glossary (book/glossary.md): in alphabetical order, with the terms readers of the chapters meet, each linked
from the prose that uses it. Read from the source, no build."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from helpers import ROOT

pytestmark = pytest.mark.unit

GLOSSARY = ROOT / "book" / "glossary.md"
# The terms issue 25 found missing, by the glossary's own spelling.
ADDED = ("Tolerance", "Recovery Support Programme", "Market forces factor", "List inflation")
# The terms the glossary held before them: none may be lost.
KEPT = ("ICB", "ICS", "Core allocation", "Registered head", "Weighted head", "Need index", "Fair-shares target",
        "Distance from target", "G&A", "National Cost Collection", "SUS+", "Bed day", "Unplanned admission", "SNPP",
        "Principal projection", "Mid-year", "Footprint", "Outturn", "Control total", "Deficit support",
        "Recurrent savings", "LSOA", "IMD", "Core20", "Healthy life expectancy", "QOF", "Treated to target",
        "Oversight segment", "p10 to p90", "Claim status", "Edition")


def glossary_block() -> tuple[list[str], dict[str, str]]:
    """The glossary directive's options (``:sorted:``) and its entries, term -> definition, in the file's order."""
    text = GLOSSARY.read_text()
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.DOTALL)[1]
    options = re.findall(r"(?m)^(:[a-z]+:)", block)
    entries: dict[str, str] = {}
    term = None
    for line in block.splitlines():
        if line.startswith(":") or not line.strip():
            continue
        if line.startswith(" "):
            entries[term] += line.strip() + " "
        else:
            term = line.strip()
            entries[term] = ""
    return options, entries


def sphinx_order(term: str) -> str:
    """The key Sphinx's ``glossary`` directive sorts by with ``:sorted:``: the term, lower-cased, decomposed."""
    return unicodedata.normalize("NFD", term.lower())


def test_sphinx_order_ignores_case_as_sphinx_does():
    assert sorted(["p10 to p90", "Principal projection", "Outturn", "ICB", "IMD", "ICS"], key=sphinx_order) == [
        "ICB", "ICS", "IMD", "Outturn", "p10 to p90", "Principal projection"]


def test_the_glossary_is_alphabetical_on_the_page_and_in_its_source():
    options, entries = glossary_block()
    assert ":sorted:" in options  # Sphinx sorts the page whatever the source's order
    terms = list(entries)
    assert terms == sorted(terms, key=sphinx_order), "the source is out of order too"


def test_the_glossary_has_the_missing_terms_and_keeps_the_old_ones():
    _, entries = glossary_block()
    assert set(ADDED) | set(KEPT) <= set(entries)
    assert len(entries) == len(ADDED) + len(KEPT)
    for term in ADDED:
        assert len(entries[term].split()) >= 12, f"{term}: a definition in a sentence or two"
        assert not re.search(r"\d", re.sub(r"segment 4", "", entries[term])), f"{term}: a number typed in prose"


def test_the_recovery_support_programme_and_the_oversight_segments_link_each_other():
    _, entries = glossary_block()
    assert "{term}`Recovery Support Programme`" in entries["Oversight segment"]
    assert "<Oversight segment>`" in entries["Recovery Support Programme"]
    # The old text is kept: only the link is new.
    assert entries["Oversight segment"].replace("{term}`Recovery Support Programme`", "Recovery Support Programme") \
        .strip() == ("NHS England's rating of how much support an ICB or trust needs, from segment 1 (the least) to "
                     "segment 4, the national Recovery Support Programme for the most challenged.")


@pytest.mark.parametrize("term", ADDED)
def test_each_added_term_is_linked_from_the_prose_that_uses_it(term):
    sources = [p.read_text() for p in (ROOT / "book").glob("*.md") if p != GLOSSARY]
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        sources += ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]
    link = re.compile(r"\{term\}`(?:" + re.escape(term) + r"|[^`<]*<" + re.escape(term) + r">)`", re.IGNORECASE)
    assert any(link.search(text) for text in sources), f"no page links {term} to the glossary"
