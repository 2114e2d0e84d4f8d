"""The catalogue's cases of markup in the registers and the data: a text any of them holds reads as typed on every page
that shows it, and is never markup there (issue 23).

Two builds of the current edition (for the report's ICB, and for another ICB, whose prose names the report's), from
one copy of the project in which each of these texts holds a ``<script>`` element and MyST (a substitution,
``**bold**`` and a role), each behind a tag naming it:

- the current edition's title in ``editions.yml`` (the front page, the changes page);
- the report's publisher in ``claims.yml`` (the claims page, the finance and acute spend chapters), and the claims'
  paraphrases, labels, explanations, likely reasons and assumptions (the claims page, and the chapters that give
  the verdicts);
- the publisher of each published figure, in the prepared ``published_figures`` table (the finance chapter's prose
  and its table of sources);
- a source's publisher in ``data/datapackage.json``, which no checksum covers (each chapter's table of sources);
- the title in ``CITATION.cff`` (the "How to cite" box of the front page and the methods page);
- the focal ICB's name and short name in ``data/icb_lookup.csv`` (the front page, the chapters, the book's title).

Each case asserts its text is shown, whole and literal, on the pages that show it; the build as a whole has no
``<script>`` from the data, no bold or role the data made, and no text escaped twice (``&amp;amp;`` or a backslash
shown). The tables of ``data/`` are checksummed, so the edited ones are rehashed, as ``sots prepare`` would have
written them; the published figures' real route, the upstream figures.csv through ``sots prepare``, keeps the text
as typed (its own case).
"""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
import yaml
from catalogue import case, cases

from helpers import ANOTHER_ICB, CURRENT, ROOT, cli, copy_project, page_text, rehash, upstream
from sots.inputs import prepare
from sots.site import citation

pytestmark = pytest.mark.integration

PAYLOAD = "<script>alert(1)</script> {{ icb_name }} **bold** {sub}`x`"
SHORT_LABEL = "LABEL <script>alert(1)</script> {{ icb_name }} **bold**"  # a claim's label has at most 60 characters
# An ordinary publisher with an ampersand, a pound sign and an apostrophe: it must read as typed, escaped once.
ORDINARY = ("Office for National Statistics; The Strategy Unit",
            "Office for National Statistics & The Strategy Unit's £ team")


def marked(tag: str) -> str:
    """The injected text behind its tag, which says where it came from."""
    return f"{tag} {PAYLOAD}"


def set_csv(path, change) -> None:
    """Rewrite a prepared table with ``change(row)`` applied to each row (a dict of its cells)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        change(row)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def inject(root) -> None:
    """Each text of the registers and the data the issue names, marked and holding the payload."""
    register = root / "editions.yml"
    entries = yaml.safe_load(register.read_text())["editions"]
    text = register.read_text()
    current = next(entry for entry in entries if entry["id"] == CURRENT)
    text = text.replace(f'title: "{current["title"]}"', f"title: {json.dumps(marked('EDITION-TITLE'))}")
    register.write_text(text)

    claims = root / "claims.yml"
    register = yaml.safe_load(claims.read_text())
    register["report"]["publisher"] = marked("REPORT-PUBLISHER")
    for claim in register["claims"]:  # each register text a chapter's prose quotes, within the schema's limits
        claim["label"] = SHORT_LABEL
        claim["reason"] = marked("CLAIM-REASON")
        claim["claim"] += " " + marked("CLAIM-WORDS")
        claim["explanation"] += " " + marked("EXPLANATION")
        if "assumption" in claim:
            claim["assumption"]["holds_with"] += " " + marked("HOLDS-WITH")
    claims.write_text(yaml.safe_dump(register, sort_keys=False, allow_unicode=True))
    cff = root / "CITATION.cff"
    cff.write_text(re.sub(r"^title: .*$", f"title: {json.dumps(marked('CITATION-TITLE'))}", cff.read_text(),
                          count=1, flags=re.M))

    data = root / "data"

    def icb(row):
        if row["icb_code"] == "QE1":
            row.update(icb_name=marked("ICB-NAME"), short_name=marked("SHORT-NAME"))

    def figure(row):
        if row["source_publisher"]:
            row["source_publisher"] = marked("FIGURE-PUBLISHER")

    set_csv(data / "icb_lookup.csv", icb)
    set_csv(data / "published_figures.csv", figure)
    rehash(data)
    package = json.loads((data / "datapackage.json").read_text())
    for source in (s for resource in package["resources"] for s in resource.get("sources", [])):
        if source["publisher"] == "NHS England":
            source["publisher"] = marked("PACKAGE-PUBLISHER")
        elif source["publisher"] == ORDINARY[0]:
            source["publisher"] = ORDINARY[1]
    (data / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """A copy of the project holding every injected text."""
    root = copy_project(tmp_path_factory.mktemp("injection") / "project")
    inject(root)
    return root


def build(root, site: str, *more: str):
    """The current edition built from the project at ``root``, with no PDF, into the folder ``site`` beside it."""
    out = root.parent / site
    result = cli("build", "--edition", CURRENT, "--no-pdf", "--no-cache", "--out", str(out), *more, cwd=root)
    assert result.exit_code == 0, result.stderr + result.stdout
    return out


@pytest.fixture(scope="module")
def site(injected):
    """The current edition for the ICB the report is about, whose name and short name are injected."""
    return build(injected, "site")


@pytest.fixture(scope="module")
def another(injected):
    """The current edition for another ICB: its prose names the report's ICB, whose short name is injected."""
    return build(injected, "another", "--icb", ANOTHER_ICB)


def shown(path) -> str:
    """A built page's text as a reader sees it: no tags, entities read, white space collapsed."""
    return html.unescape(page_text(path))


@cases("text, pages", [
    pytest.param(marked("EDITION-TITLE"), ["book/intro.html", "../changes.html"], id="markup-in-edition-title"),
    pytest.param(marked("REPORT-PUBLISHER"),
                 ["notebooks/claims.html", "notebooks/finance.html", "notebooks/acute_spend.html"],
                 id="markup-in-report-publisher"),
    pytest.param(SHORT_LABEL, ["notebooks/claims.html", "notebooks/finance.html", "book/intro.html"],
                 id="markup-in-claim-label"),
    pytest.param(marked("CLAIM-WORDS"),
                 ["notebooks/claims.html", "notebooks/finance.html", "notebooks/acute_spend.html"],
                 id="markup-in-claim-paraphrase"),
    pytest.param(marked("EXPLANATION"), ["notebooks/claims.html"], id="markup-in-claim-explanation"),
    pytest.param(marked("CLAIM-REASON"), ["notebooks/claims.html", "notebooks/finance.html"],
                 id="markup-in-claim-reason"),
    pytest.param(marked("HOLDS-WITH"), ["notebooks/ageing.html", "notebooks/budget.html"],
                 id="markup-in-claim-assumption"),
    pytest.param(marked("FIGURE-PUBLISHER"), ["notebooks/finance.html"], id="markup-in-published-figure-publisher"),
    pytest.param(marked("PACKAGE-PUBLISHER"),
                 ["notebooks/finance.html", "notebooks/acute_spend.html", "notebooks/funding_per_head.html"],
                 id="markup-in-data-package-publisher"),
    pytest.param(marked("CITATION-TITLE"), ["book/intro.html", "book/methods.html"], id="markup-in-citation-title"),
    pytest.param(marked("ICB-NAME"),
                 ["book/intro.html", "book/methods.html", "notebooks/funding_per_head.html", "../changes.html"],
                 id="markup-in-icb-name"),
    pytest.param(marked("SHORT-NAME"), ["book/intro.html", "notebooks/finance.html", "notebooks/acute_spend.html"],
                 id="markup-in-icb-short-name"),
])
def test_a_text_holding_markup_reads_as_typed_on_each_page_that_shows_it(site, text, pages):
    for page in pages:
        assert text in shown(site / CURRENT / page), f"{page} does not show {text!r} as typed"


@cases("relative", [pytest.param("published_figures/figures.csv", id="markup-in-raw-figures-publisher")])
def test_prepare_takes_a_publisher_holding_markup_as_typed(tmp_path, relative):
    """The real route of a published figure's publisher: `sots prepare` reads the upstream figures.csv and keeps the
    text as typed (it is text, not an error); the pages escape it where they show it (the case above)."""
    raw = upstream(tmp_path / "raw", relative)
    with (raw / relative).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["source_publisher"] = marked("FIGURE-PUBLISHER")
    with (raw / relative).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    figures, _ = prepare.read_published_figures(raw)
    row = figures.set_index("figure_id").loc[rows[0]["figure_id"]]
    assert row["source_publisher"] == marked("FIGURE-PUBLISHER")


@case("markup-in-the-report-icbs-name-in-another-icbs-book")
def test_another_icbs_book_names_the_report_icb_as_typed(another):
    """Another ICB's chapters say whose the report's figures are: the report's ICB, by its short name."""
    for page in ("notebooks/acute_spend.html", "notebooks/finance.html", "notebooks/beddays.html",
                 "notebooks/budget.html", "notebooks/claims.html"):
        assert marked("SHORT-NAME") in shown(another / CURRENT / page), page
    assert_no_markup(another)


def test_no_page_holds_markup_from_the_data_or_any_text_escaped_twice(site):
    assert_no_markup(site)


def assert_no_markup(site) -> None:
    """No built page of ``site`` holds an element, bold or role from the injected texts, or a text escaped twice."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        source = page.read_text()
        # A chart's data sit in a script as JSON, with "</" written "<\/", so no injected element can close it.
        assert "alert(1)</script>" not in source, page
        for made in ("<strong>bold</strong>", "<sub>x</sub>", "{sub}<code", "&amp;amp;", "&amp;lt;"):
            assert made not in source, (page, made)
        text = shown(page)
        for backslashed in ("\\<", "\\{", "\\*", "\\`", "\\&"):
            assert backslashed not in text, (page, backslashed)


def test_an_ordinary_text_with_an_ampersand_pound_and_apostrophe_reads_as_typed(site):
    """Escaped once: the ampersand an entity once in the HTML, the pound sign and apostrophe as typed; and the texts
    no one changed read as before."""
    page = site / CURRENT / "notebooks" / "acute_spend.html"
    assert ORDINARY[1] in shown(page)
    assert ORDINARY[1].replace("&", "&amp;") in page.read_text()
    cff = citation.load(ROOT / citation.CITATION_FILE)
    intro = shown(site / CURRENT / "book" / "intro.html")
    assert f"The sots contributors ({str(cff['date-released'])[:4]})." in intro
    assert f"version {cff['version']}, edition {CURRENT}, built for {marked('ICB-NAME')}." in intro
