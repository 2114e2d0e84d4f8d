"""The edition as one printable document: a print page of the whole book, printed to PDF by headless Chromium.

After Jupyter Book has built a book's HTML, :func:`assemble` joins its built pages (the front page, then each chapter
in table-of-contents order) into one print page, :data:`PRINT_PAGE`, each page's article starting a new sheet. The
page keeps the theme's stylesheets and the vega bundle, so the charts draw as they do on the site, and it costs no
second Sphinx build. :func:`print_pdf` prints it with Chromium's ``--print-to-pdf`` and makes the file's bytes depend
only on the page and the date it is given (:func:`fix_dates`). :func:`print_book` does both for a built book, as the
build's per-book step (:func:`sots.build.build_book`), so the PDF is kept in the execution cache with the book's HTML.

The PDF sits at the edition's root (:func:`pdf_name`), beside results.json, and is listed in the manifest like
every published file.

A PDF's links are absolute: Chromium writes a relative link as the ``file://`` address it resolved to, which would
name the build's scratch folder (and so differ from build to build). So a link to a page of the book becomes a link
within the PDF, a link to any other file of the site (a chart's CSV, results.json) keeps its text and loses its
address, and a link to another site is kept.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sots.errors import BuildError

PRINT_PAGE = "book/print.html"  # one folder below the edition, as every page it joins is, so `../_static/` holds
PDF_NAME = "state-of-the-system-{edition}.pdf"
SETTINGS_FILE = "print.json"  # in a staged book: what to print (see :func:`settings`); absent, the book is not printed
PRINT_CSS = "sots-print.css"  # in _static, from book/_static
PRINT_OPEN = "sots-print-open"  # a <details> the print page opens: a sheet cannot open it
# Scripts the print page does not need: thebe's configuration (the book never launches live code), which is data.
INERT_SCRIPTS = ("text/x-thebe-config",)
# Virtual time Chromium lets the page run before it prints, in milliseconds. Virtual time jumps ahead whenever the
# page is idle, so this is a ceiling, not a wait: a page of vega charts (SVG, no network) is drawn and idle long before
# it, and printing takes the same few seconds with 5 s or 60 s here. It must outlast the drawing of every chart:
# tests/e2e/test_pdf.py finds each chart in the PDF.
VIRTUAL_TIME_MS = 30_000
CHROMIUM = "chromium"  # Debian's; `make chromium` installs it
CHROMIUM_TIMEOUT_S = 300  # a hung Chromium fails the build rather than holding it for ever
# What headless Chromium needs on a machine with no network (no lookups, no sandbox as root): without these it can
# hang. The browser tests launch it with the same (tests/e2e/conftest.py).
OFFLINE_CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
)
# Printing: headless, with no header or footer line (they would carry the file:// address and the time).
CHROMIUM_ARGS = ("--headless", *OFFLINE_CHROMIUM_ARGS, "--no-pdf-header-footer")
# The dates Chromium writes in a PDF's information dictionary, e.g. /CreationDate (D:20260131120000+00'00'): the
# time of printing, the only bytes that differ when the same page is printed twice.
PDF_DATE = re.compile(rb"/(CreationDate|ModDate) *\(D:[0-9]{4,14}(?:[-+Z][0-9']*)?\)")


def pdf_name(edition: str) -> str:
    """The PDF's file name for an edition, e.g. ``state-of-the-system-2024-25.pdf``, at the edition's root."""
    return PDF_NAME.format(edition=edition)


def settings(edition: str, title: str, when: str) -> dict[str, str]:
    """What :func:`print_book` needs to print a book, as the build stages it in :data:`SETTINGS_FILE` (so the
    execution cache keys the PDF on it too): the PDF's file name, its title and its date (``when``: ISO 8601, the
    release's build time, or ``unknown``)."""
    return {"pdf": pdf_name(edition), "title": title, "date": when}


def slug(page: str) -> str:
    """The print page's anchor for a built page (path relative to the book's HTML folder):
    ``notebooks/finance.html`` -> ``notebooks-finance``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", posixpath.splitext(page)[0]).strip("-")


def assemble(pages: Sequence[tuple[str, str]], title: str, scripts: Sequence[str] = ()) -> str:
    """The print page's HTML (for :data:`PRINT_PAGE`) from the built ``pages``: (path relative to the book's HTML
    folder, the page's HTML), in the book's order, the front page first.

    The head has the front page's stylesheets, :data:`PRINT_CSS` (if the front page does not link it already) and
    those of its scripts named in ``scripts`` (file names: the vega bundle, which the charts need; ValueError if one
    is missing), none of the theme's. The body is each page's ``<article>``, in order, as an
    ``<article class="sots-print-page">`` whose id is the page's :func:`slug`, with its scripts in place (they draw
    its charts). Ids get their page's slug
    as a prefix, so they stay unique, except an id that an inline script of the page quotes (a chart's: its script
    finds its box by id), which must be unique in the book already (ValueError if not). Links to a joined page, or
    into one, point within the print page; a link to another file of the site loses its address (see the module's
    notes); the headings' "#" links and inert scripts are dropped, and a ``<details>`` of class :data:`PRINT_OPEN`
    is opened. The front page's footer (the edition, release
    and commit) closes its article, as the colophon: the theme does not print a page's footer.
    """
    from bs4 import BeautifulSoup

    if not pages:
        raise ValueError("no pages to print")
    here = posixpath.dirname(PRINT_PAGE)
    soups = {path: BeautifulSoup(text, "html.parser") for path, text in pages}
    articles = {}
    for path, soup in soups.items():
        article = soup.find("article")
        if article is None:
            raise ValueError(f"{path}: no <article> to print")
        for tag in article.find_all(lambda t: (t.name == "script" and t.get("type") in INERT_SCRIPTS)
                                    or (t.name == "a" and "headerlink" in (t.get("class") or []))):
            tag.decompose()
        # A detail the site opens on request that a sheet must show (a claim's explanation), opened.
        for tag in article.find_all("details", class_=PRINT_OPEN):
            tag["open"] = ""
        articles[path] = article
    # Every page's ids first, so a link into a later page finds the id that page's element will have.
    ids: dict[str, dict[str, str]] = {}  # page -> its old id -> its id in the print page
    scripted: dict[str, str] = {}  # an id a script finds -> its page
    for path, article in articles.items():
        inline = "\n".join(s.string or "" for s in article.find_all("script") if not s.get("src"))
        ids[path] = {}
        for tag in article.find_all(id=True):
            old = tag["id"]
            if f'"{old}"' in inline or f"'{old}'" in inline:
                if old in scripted:
                    raise ValueError(f"{path}: id {old!r} is also on {scripted[old]}, and a script finds it by id")
                scripted[old] = path
                ids[path][old] = old
            else:
                ids[path][old] = tag["id"] = f"{slug(path)}--{old}"
    for path, article in articles.items():
        folder = posixpath.dirname(path)
        for tag in article.find_all(href=True):
            target = _link(tag["href"], folder, path, ids)
            if target is None:
                del tag["href"]
                if tag.has_attr("download"):
                    del tag["download"]
            else:
                tag["href"] = target
        for tag in article.find_all(src=True):
            tag["src"] = _moved(tag["src"], folder, here)
        article.attrs = {"class": ["bd-article", "sots-print-page"], "id": slug(path)}
    front_path, front = pages[0][0], soups[pages[0][0]]
    items = front.select(".bd-footer-content .footer-item")
    if items:
        colophon = front.new_tag("footer", attrs={"class": "sots-print-colophon"})
        for item in items:
            colophon.append(item)
        articles[front_path].append(colophon)
    links = front.head.find_all("link", rel="stylesheet") if front.head else []
    styles = [_moved(link.get("href", ""), posixpath.dirname(front_path), here) for link in links]
    if not any(posixpath.basename(urlsplit(s).path) == PRINT_CSS for s in styles):
        styles.append(f"../_static/{PRINT_CSS}")
    sources = [_moved(tag["src"], posixpath.dirname(front_path), here)
               for tag in (front.head.find_all("script", src=True) if front.head else [])]
    kept = [src for src in sources if posixpath.basename(urlsplit(src).path) in scripts]
    missing = sorted(set(scripts) - {posixpath.basename(urlsplit(src).path) for src in kept})
    if missing:
        raise ValueError(f"{front_path} loads no {', '.join(missing)}")
    head = "\n".join([f'<link rel="stylesheet" type="text/css" href="{html.escape(s)}" />' for s in styles]
                     + [f'<script src="{html.escape(src)}"></script>' for src in kept])
    lang = (front.html.get("lang") if front.html else None) or "en"
    body = "\n".join(str(article) for article in articles.values())
    # The theme's classes around the articles, so its styles apply as on the site; data-theme="light": the PDF is
    # printed in the light colours whatever a reader's system prefers.
    return f"""<!DOCTYPE html>
<html lang="{html.escape(lang)}" data-content_root="../" data-theme="light" data-mode="light">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{html.escape(title)}</title>
{head}
</head>
<body class="sots-print">
<main id="main-content" class="bd-main">
<div class="bd-content"><div class="bd-article-container">
{body}
</div></div>
</main>
</body>
</html>
"""


def _link(href: str, folder: str, page: str, ids: dict[str, dict[str, str]]) -> str | None:
    """Where a link on ``page`` (in ``folder``) points in the print page: within it for a joined page, unchanged for
    another site or a mail address, None (no address) for another file of the site."""
    if urlsplit(href).scheme or href.startswith("//"):
        return href
    path, _, fragment = href.partition("#")
    target = posixpath.normpath(posixpath.join(folder, path)) if path else page
    if target not in ids:
        return None
    if not fragment:
        return f"#{slug(target)}"
    return f"#{ids[target].get(fragment, slug(target))}"


def _moved(src: str, folder: str, here: str) -> str:
    """A relative address written on a page in ``folder``, as a page in ``here`` must write it."""
    if not src or urlsplit(src).scheme or src.startswith(("/", "#")):
        return src
    path, sep, rest = src.partition("?")
    return posixpath.relpath(posixpath.normpath(posixpath.join(folder, path)), here or ".") + sep + rest


def pdf_date(when: str) -> bytes:
    """A PDF date (``D:YYYYMMDDHHmmSS+00'00'``, UTC) for ``when``: ISO 8601 (a release's build time), or anything
    else (``unknown``) for 1970-01-01, a fixed date rather than the clock."""
    try:
        moment = datetime.fromisoformat(when).astimezone(UTC)
    except ValueError:
        moment = datetime.fromtimestamp(0, tz=UTC)
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'").encode()


def fix_dates(pdf: bytes, when: str) -> bytes:
    """``pdf`` with its creation and modification dates set to ``when`` (:func:`pdf_date`), the same length, so the
    cross-reference table's byte offsets stay right: the new date is padded with spaces, which PDF reads as space
    between entries. ValueError if there is no date to set (Chromium changed how it writes one)."""
    date = pdf_date(when)

    def replace(match: re.Match) -> bytes:
        new = b"/" + match[1] + b" (" + date + b")"
        if len(new) > len(match[0]):
            raise ValueError(f"the PDF's {match[1].decode()} is shorter than {date.decode()}")
        return new.ljust(len(match[0]))

    fixed, count = PDF_DATE.subn(replace, pdf)
    if not count:
        raise ValueError("found no /CreationDate or /ModDate in the PDF")
    return fixed


def print_pdf(page: Path, pdf: Path, when: str, chromium: str | None = None) -> float:
    """Print the HTML file ``page`` to ``pdf`` with headless Chromium, its dates set to ``when`` (:func:`fix_dates`);
    return the seconds it took. A missing or failing Chromium is a BuildError, on one line."""
    executable = chromium or shutil.which(CHROMIUM)
    if not executable:
        raise BuildError(f"printing the edition's PDF needs Chromium, and `{CHROMIUM}` is not on the PATH; "
                         "install it with `make chromium`")
    started = time.perf_counter()
    # A profile of its own per run: Chromium refuses a profile another Chromium has open (builds print side by side).
    with tempfile.TemporaryDirectory(prefix="sots-chromium-") as profile:
        printed = Path(profile) / "printed.pdf"
        command = [executable, *CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--virtual-time-budget={VIRTUAL_TIME_MS}",
                   f"--print-to-pdf={printed}", page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BuildError(f"Chromium did not print {page} within {CHROMIUM_TIMEOUT_S} s") from None
        except OSError as err:
            raise BuildError(f"Chromium ({executable}) could not start to print {page}: {err}") from None
        made = printed.read_bytes() if printed.is_file() else b""
        if done.returncode != 0 or not made.startswith(b"%PDF-"):
            said = [line for line in done.stderr.splitlines() if line.strip() and "dbus" not in line.lower()]
            raise BuildError(f"Chromium failed to print {page} (exit {done.returncode})"
                             + (f": {said[-1].strip()}" if said else ""))
        try:
            pdf.write_bytes(fix_dates(made, when))
        except ValueError as err:
            raise BuildError(f"Chromium's PDF of {page}: {err}") from None
    return time.perf_counter() - started


def print_book(stage: Path, html_dir: Path, pages: Sequence[str], scripts: Sequence[str],
               chromium: str | None = None) -> float | None:
    """Print a built book: write its print page (:func:`assemble` of ``pages``, paths relative to ``html_dir``, the
    front page first, keeping its ``scripts``) and its PDF at ``html_dir``'s root, as the staged book's
    :data:`SETTINGS_FILE` says. Return the seconds the PDF took to print, or None if the book has no settings (it is
    not printed)."""
    path = stage / SETTINGS_FILE
    if not path.is_file():
        return None
    wanted = json.loads(path.read_text())
    page = html_dir / PRINT_PAGE
    try:
        text = assemble([(p, (html_dir / p).read_text()) for p in pages], wanted["title"], scripts)
    except ValueError as err:
        raise BuildError(f"the print page of {html_dir}: {err}") from None
    page.write_text(text)
    return print_pdf(page, html_dir / wanted["pdf"], wanted["date"], chromium)
