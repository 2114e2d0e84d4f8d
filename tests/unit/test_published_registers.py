"""The registers a build publishes at each book's root, beside results.json: byte-for-byte copies of the project's
claims.yml and data/datapackage.json, listed in manifest.json; and the book's own pages (book/*.md) and the claims
register, which link them, results.json and manifest.json wherever they name them, and link out only to the
publishers' and licences' pages the data package records."""

import hashlib
import json
import posixpath
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from helpers import DATA, REGISTER, ROOT
from sots.analysis import claims
from sots.chapters import claims_page
from sots.inputs import data
from sots.render import render
from sots.site import build, publish, release

pytestmark = pytest.mark.unit

REL = release.Release(version="2026.1", commit="ab" * 20, build_time="2026-01-01T00:00:00+00:00",
                      build_time_source="commit time")
REGISTERS = ("claims.yml", "datapackage.json", "results.json", "manifest.json")  # what the book's prose names
PROJECT_FILES = {"claims.yml": ROOT / "claims.yml", "datapackage.json": ROOT / "data" / "datapackage.json"}


def sha256(path) -> str:
    """``sha256:<hex>`` of a file's bytes, computed here rather than by the module under test."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_registers_have_the_names_the_pages_link():
    assert (claims.REGISTER, data.DATAPACKAGE) == ("claims.yml", "datapackage.json")


def test_publishing_copies_each_register_byte_for_byte_and_the_manifest_lists_it(tmp_path):
    html = tmp_path / "html"
    html.mkdir()
    (html / "results.json").write_text("{}\n")
    build.publish_registers(html, PROJECT_FILES)
    for name, source in PROJECT_FILES.items():
        assert (html / name).read_bytes() == source.read_bytes()
    focal = SimpleNamespace(icb_code="QE1", icb_name="NHS Lancashire and South Cumbria ICB")
    recorded = publish.manifest(REGISTER[0], focal, REL, {}, html, {})
    assert recorded["outputs"] == {"claims.yml": sha256(ROOT / "claims.yml"),
                                   "datapackage.json": sha256(ROOT / "data" / "datapackage.json"),
                                   "results.json": sha256(html / "results.json")}
    (html / publish.MANIFEST_FILE).write_text(json.dumps(recorded))
    assert publish.verify_manifest(html) == []
    # Published again (a rebuild): the same bytes, so the same manifest.
    build.publish_registers(html, PROJECT_FILES)
    assert publish.manifest(REGISTER[0], focal, REL, {}, html, {})["outputs"] == recorded["outputs"]


def test_a_copy_changed_after_publishing_is_named_by_the_manifest_check(tmp_path):
    html = tmp_path / "html"
    html.mkdir()
    build.publish_registers(html, PROJECT_FILES)
    focal = SimpleNamespace(icb_code="QE1", icb_name="NHS Lancashire and South Cumbria ICB")
    (html / publish.MANIFEST_FILE).write_text(json.dumps(publish.manifest(REGISTER[0], focal, REL, {}, html, {})))
    (html / "claims.yml").write_text("claims: []\n")
    assert publish.verify_manifest(html) == [f"{html / 'claims.yml'}: sha256 differs from manifest.json"]


def test_a_book_publishes_the_register_its_chapters_read_and_the_data_package_it_was_built_from(tmp_path):
    staged = build.Staged(edition=REGISTER[0], focal=None, work=tmp_path / "QE1", book=None, checked=None)
    inputs = tmp_path / "data"
    assert build.published_registers(staged, inputs) == {"claims.yml": tmp_path / "QE1" / "book" / "claims.yml",
                                                         "datapackage.json": inputs / "datapackage.json"}
    # The staged register is the project's, copied when the book is staged.
    assert "claims.yml" in build.BOOK_SOURCES


def test_the_claims_register_links_the_published_register_from_its_page():
    # The register is on notebooks/claims.html; the build publishes claims.yml at the book's root.
    assert posixpath.normpath(posixpath.join("notebooks", claims_page.REGISTER_HREF)) == "claims.yml"
    row = {"id": "F1", "label": "Label", "claim": "A claim.", "said": ["2"], "found": ["3"], "brief": "Brief",
           "line": "Line.", "reason": "Reason.", "explanation": "Why.", "since": "", "since_brief": "",
           "badge": {"slug": "s", "mark": "x", "text": "Matches", "colour": "#000000"},
           "href": "funding_per_head.html", "chapter": "c", "title": "Funding per head"}
    for technical in ("figure_x within 1", ""):
        html = render(claims_page.REGISTER_TEMPLATE, rows=[{**row, "technical": technical}], note="", statuses=[],
                      chapters=[], register_href=claims_page.REGISTER_HREF)
        assert '<a href="../claims.yml"><code>claims.yml</code></a>' in html
        assert "claims.yml" not in re.sub(r'<a href="\.\./claims\.yml"><code>claims\.yml</code></a>', "", html)


def book_pages() -> dict[str, str]:
    """The book's own prose pages (book/*.md), by name."""
    return {p.name: p.read_text() for p in sorted((ROOT / "book").glob("*.md"))}


def test_the_books_pages_link_each_register_wherever_they_name_it():
    """Every page in book/ is built one folder below its book's root, where the build publishes the registers."""
    linked = {}
    for name, text in book_pages().items():
        for register in REGISTERS:
            link = re.compile(rf'<a href="\.\./{re.escape(register)}">(<code>)?{re.escape(register)}(</code>)?</a>')
            linked[register] = linked.get(register, 0) + len(link.findall(text))
            assert register not in link.sub("", text), f"book/{name} names {register} without linking it"
    assert all(n > 0 for n in linked.values()), linked


def test_the_books_pages_link_out_only_to_the_pages_the_data_package_records():
    package = json.loads((DATA / data.DATAPACKAGE).read_text())
    recorded = {s["path"] for r in package["resources"] for s in r.get("sources", [])}
    licences = {lic["path"] for r in [package, *package["resources"]] for lic in r.get("licenses", []) if "path" in lic}
    recorded |= licences
    out = {name: re.findall(r"https?://[^\s)\"'<>]+", text) for name, text in book_pages().items()}
    for name, urls in out.items():
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme == "https" and parts.hostname and "." in parts.hostname, f"book/{name}: {url}"
            assert url in recorded, f"book/{name}: {url} is not a source or licence in {data.DATAPACKAGE}"
    # The publishers' pages are linked on the front page and the methods page, with both licences.
    for name in ("intro.md", "methods.md"):
        assert {"https://www.england.nhs.uk/costing-in-the-nhs/national-cost-collection/",
                "https://www.england.nhs.uk/allocations/"} <= set(out[name])
    assert licences <= set(out["intro.md"])
