"""The links of the built site, read from its files: every link out is a well-formed https address; each edition
publishes claims.yml, datapackage.json, results.json and manifest.json at its root and links each of them from its
pages, wherever a page names one. (That every link into the site names a file of it, and every #fragment an id
there, is tests/e2e/test_browser.py's test_internal_links_and_anchors_resolve, over these same pages.)"""

from __future__ import annotations

import hashlib
import json
import posixpath
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from helpers import EDITIONS, ROOT, links, site_pages
from sots.site.printbook import PRINT_PAGE

pytestmark = pytest.mark.e2e

REGISTERS = ("claims.yml", "datapackage.json", "results.json", "manifest.json")  # at each book's root
# The project's files each edition publishes a copy of (sots.site.build.publish_registers).
COPIES = {"claims.yml": ROOT / "claims.yml", "datapackage.json": ROOT / "data" / "datapackage.json"}
NOT_WEB = ("mailto", "tel")  # addresses a reader's mail or phone opens, not pages


def target(page: str, href: str) -> str | None:
    """The file of the site a link on ``page`` names (relative to the site, normalised), or None for a link out."""
    parts = urlsplit(href)
    if parts.scheme or href.startswith("//"):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path))) if parts.path else page


def link_out_problem(url: str) -> str | None:
    """Why ``url`` is not a well-formed https address of a named host, or None when it is."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"scheme {parts.scheme or '(none)'}, expected https"
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "a malformed port"
    host = parts.hostname or ""
    if "." not in host.strip(".") or any(not (c.isalnum() or c in ".-") for c in host):
        return f"host {host!r} is not a domain name"
    if parts.username or parts.password:
        return "credentials in the address"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "a space or control character in the address"
    return None


def anchors(site, path: str) -> list[str]:
    """The href of every link (<a>, <area>) on a page."""
    return [url for tag, attribute, url in links(site / path).urls if tag in ("a", "area") and attribute == "href"]


def test_every_link_out_is_a_well_formed_https_address(built_site):
    """On every page, the print pages too (their links out are kept in the PDF)."""
    bad, out = [], {e: 0 for e in EDITIONS}
    for path in site_pages(built_site):
        for url in anchors(built_site, path):
            if target(path, url) is not None or urlsplit(url).scheme in NOT_WEB:
                continue
            if (problem := link_out_problem(url)) is not None:
                bad.append(f"{path}: <a href={url!r}>: {problem}")
            edition = path.partition("/")[0]
            if edition in out:
                out[edition] += 1
    assert bad == [], "\n".join(bad)
    assert all(n > 0 for n in out.values()), out  # the publishers' pages are linked in every edition


@pytest.mark.parametrize("url, problem", [
    ("https://www.england.nhs.uk/allocations/", None),
    ("https://github.com/The-Strategy-Unit/aging_pop_web_app", None),
    ("http://www.england.nhs.uk/", "scheme http, expected https"),
    ("javascript:alert(1)", "scheme javascript, expected https"),
    ("https:///allocations/", "host '' is not a domain name"),
    ("https://localhost/", "host 'localhost' is not a domain name"),
    ("https://www.england.nhs.uk:x/", "a malformed port"),
    ("https://user:pw@www.england.nhs.uk/", "credentials in the address"),
    ("https://www.england.nhs.uk/a page", "a space or control character in the address"),
])
def test_a_link_out_is_judged_as_written(url, problem):
    assert link_out_problem(url) == problem


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_edition_publishes_its_registers_at_its_root_and_links_each_from_a_page(built_site, edition):
    folder = built_site / edition
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [name for name in REGISTERS if not (folder / name).is_file()] == []
    for name, source in COPIES.items():
        assert (folder / name).read_bytes() == source.read_bytes(), name  # the project's file, byte for byte
        assert manifest["outputs"][name] == "sha256:" + hashlib.sha256(source.read_bytes()).hexdigest()
    assert "results.json" in manifest["outputs"] and "manifest.json" not in manifest["outputs"]
    pages = [p for p in site_pages(built_site) if p.startswith(f"{edition}/") and not p.endswith(f"/{PRINT_PAGE}")]
    linked = {target(p, url) for p in pages for url in anchors(built_site, p)}
    for name in REGISTERS:
        assert f"{edition}/{name}" in linked, f"no page of {edition} links {name}"


def unlinked_mentions(site, path: str) -> list[str]:
    """Each place ``path``'s text names a register without being a link to its own book's copy of it."""
    soup = BeautifulSoup((site / path).read_text(), "html.parser")
    for tag in soup(["head", "script", "style", "template"]):
        tag.decompose()
    found = []
    for text in soup.find_all(string=True):
        for name in (n for n in REGISTERS if n in text):
            anchor = text.find_parent("a")
            to = target(path, anchor.get("href", "")) if anchor is not None else None
            # The copy at the root of the page's own book: the page sits one or more folders below it.
            ok = (to is not None and posixpath.basename(to) == name and (site / to).is_file()
                  and path.startswith(posixpath.dirname(to) + "/"))
            if not ok:
                found.append(f"{path}: {name} in {' '.join(text.split())[:100]!r}"
                             + (f", linked to {anchor.get('href')!r}" if anchor is not None else ""))
    return found


def test_a_page_that_names_a_register_links_it_there(built_site):
    """Wherever a page's text names claims.yml, datapackage.json, results.json or manifest.json, the name is a link to
    that file of its own book. The print pages are left out: printing drops a link to a file that is not a page."""
    pages = [p for p in site_pages(built_site) if not p.endswith(f"/{PRINT_PAGE}")]
    found = [line for path in pages for line in unlinked_mentions(built_site, path)]
    assert found == [], "\n".join(found)
    named = {path for path in pages for name in REGISTERS if name in (built_site / path).read_text()}
    for edition in EDITIONS:  # the pages that name them were read
        assert {f"{edition}/book/intro.html", f"{edition}/book/methods.html"} <= named
