"""The edition as one printable document: a print page of the whole book, printed to PDF by headless Chromium.

After Jupyter Book has built a book's HTML, :func:`assemble` joins its built pages (the front page, then each chapter
in table-of-contents order) into one print page, :data:`PRINT_PAGE`, each page's article starting a new sheet. The
page keeps the theme's stylesheets and the vega bundle, so the charts draw as they do on the site, and it costs no
second Sphinx build. :func:`print_pdf` prints it with Chromium's ``--print-to-pdf`` and makes the file's bytes depend
only on the page and the date it is given (:func:`fix_dates`). :func:`print_book` does both for a built book, as the
build's per-book step (:func:`sots.site.build.build_book`), so the PDF is kept in the execution cache with the book's
HTML.

The PDF is a board pack: a cover (the edition, the ICB, the date and the verdicts the front page gives), a contents
page with page numbers, the book's pages, and the claims register last, as a landscape appendix; every page but the
cover has a running header and a footer "Page N of M" (CSS margin boxes), and the PDF has bookmarks (Chromium's
outline of the headings). Chromium cannot number a contents page itself (no ``target-counter()``), so a printing
tells where each article starts (the PDF's named destinations, read by poppler's ``pdfinfo``), and the book is
printed again if its contents did not already give those numbers (:func:`print_book`): a first build prints it
twice, a later one, which guesses the numbers its last printing found, once. Beside it, a two-page summary
(:func:`summary_page`): the verdicts and each chapter's key findings. Through the execution cache, a page printed
before with the same files beside it (the summary, after a prose edit) is not printed again (:class:`Printer`).

The PDFs sit at the edition's root (:func:`pdf_name`, :func:`summary_pdf_name`), beside results.json, and are listed
in the manifest like every published file.

A PDF's links are absolute: Chromium writes a relative link as the ``file://`` address it resolved to, which would
name the build's scratch folder (and so differ from build to build). So a link to a page of the book becomes a link
within the PDF, a link to any other file of the site (a chart's CSV, results.json) keeps its text and loses its
address, and a link to another site is kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sots.chapters.marks import PRINT_OPEN, WEB_ONLY
from sots.errors import BuildError
from sots.hashing import file_sha256

PRINT_PAGE = "book/print.html"  # one folder below the edition, as every page it joins is, so `../_static/` holds
SUMMARY_PAGE = "book/print-summary.html"  # the summary's page, beside it while it is printed
PDF_NAME = "state-of-the-system-{edition}.pdf"
SUMMARY_PDF_NAME = "state-of-the-system-{edition}-summary.pdf"
# The page printed last, as a landscape appendix: the claims register, a wide table.
APPENDIX_PAGE = "notebooks/claims.html"
APPENDIX_CLASS = "sots-print-landscape"  # sots-print.css prints it on the named page "landscape"
KEY_FINDINGS = "sots-key-findings"  # a chapter's findings box, which the summary collects
PAGE_TEMPLATE = "print_page.html"  # the print page itself
FRONT_TEMPLATE = "print_front.html"
SUMMARY_TEMPLATE = "print_summary.html"
PLACEHOLDER_PAGE = 0  # a contents line's number on the first printing, before the pages are known
PREFACE_MARK = "<!-- sots: the cover and contents -->"  # where they go in the joined pages, once numbered
# poppler-utils reads the first printing's page numbers; `make chromium` installs it beside Chromium.
PDFINFO = "pdfinfo"
SETTINGS_FILE = "print.json"  # in a staged book: what to print (see :func:`settings`); absent, the book is not printed
PRINT_CSS = "sots-print.css"  # in _static, from book/_static
# A chart's caption prints at about this many characters a line across the A4 sheet's text width (DejaVu Sans at
# 9.5 pt, 182 mm); sots-print.css sizes a chart taller than a sheet so that it and its caption's lines fit on one.
CAPTION_LINE_CHARS = 95
CAPTION_LINES = "--sots-caption-lines"  # the CSS variable, set on each chart's figure, that gives it the count
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
# Printing: headless, with no header or footer line of Chromium's own (they would carry the file:// address and the
# time: the print sheet's margin boxes give the PDF its own), and with bookmarks made from the headings.
CHROMIUM_ARGS = ("--headless", *OFFLINE_CHROMIUM_ARGS, "--no-pdf-header-footer", "--generate-pdf-document-outline")
# The dates Chromium writes in a PDF's information dictionary, e.g. /CreationDate (D:20260131120000+00'00'): the
# time of printing, the only bytes that differ when the same page is printed twice.
PDF_DATE = re.compile(rb"/(CreationDate|ModDate) *\(D:[0-9]{4,14}(?:[-+Z][0-9']*)?\)")


def pdf_name(edition: str) -> str:
    """The PDF's file name for an edition, e.g. ``state-of-the-system-2024-25.pdf``, at the edition's root."""
    return PDF_NAME.format(edition=edition)


def summary_pdf_name(edition: str) -> str:
    """The summary PDF's file name, e.g. ``state-of-the-system-2024-25-summary.pdf``, beside the edition's PDF."""
    return SUMMARY_PDF_NAME.format(edition=edition)


def settings(edition: str, title: str, when: str) -> dict[str, str]:
    """What :func:`print_book` needs to print a book, as the build stages it in :data:`SETTINGS_FILE` (so the
    execution cache keys the PDF on it too): the edition, the PDFs' file names, its title and its date (``when``: ISO
    8601, the release's build time, or ``unknown``)."""
    return {"edition": edition, "pdf": pdf_name(edition), "summary": summary_pdf_name(edition), "title": title,
            "date": when}


def slug(page: str) -> str:
    """The print page's anchor for a built page (path relative to the book's HTML folder):
    ``notebooks/finance.html`` -> ``notebooks-finance``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", posixpath.splitext(page)[0]).strip("-")


def assemble(pages: Sequence[tuple[str, str]], title: str, scripts: Sequence[str] = (), preface: str = "",
             style: str = "", landscape: Sequence[str] = ()) -> str:
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
    is opened; text for the screen only (class :data:`WEB_ONLY`) is left out; each chart's figure gets its caption's
    number of lines (:func:`caption_lines`) as the CSS variable :data:`CAPTION_LINES`, by which the print style fits
    a tall chart and its caption on one sheet. The front page's footer (the edition,
    release and commit) closes its article, as the colophon: the theme does not print a page's footer.

    ``preface`` is HTML put before the first article (the cover and contents, :func:`front_matter`), ``style`` CSS put
    in the head after the stylesheets (the running header, :func:`running_style`), and the articles of the pages
    named in ``landscape`` get the class :data:`APPENDIX_CLASS`.
    """
    from bs4 import BeautifulSoup
    from markupsafe import Markup

    from sots.render import render

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
        # Words for a reader with a mouse or a screen ("Hover over a bar"): on paper they are wrong.
        for tag in article.find_all(class_=WEB_ONLY):
            tag.decompose()
        for figure in article.select("figure.sots-figure"):
            caption = figure.find("figcaption")
            if caption is not None:
                figure["style"] = f"{CAPTION_LINES}: {caption_lines(_text(caption))}"
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
        article.attrs = {"class": ["bd-article", "sots-print-page", *([APPENDIX_CLASS] if path in landscape else [])],
                         "id": slug(path)}
    front_path, front = pages[0][0], soups[pages[0][0]]
    items = front.select(".bd-footer-content .footer-item")
    if items:
        colophon = front.new_tag("footer", attrs={"class": "sots-print-colophon"})
        for item in items:
            colophon.append(item)
        articles[front_path].append(colophon)
    styles = stylesheets(front, front_path)
    sources = [_moved(tag["src"], posixpath.dirname(front_path), here)
               for tag in (front.head.find_all("script", src=True) if front.head else [])]
    kept = [src for src in sources if posixpath.basename(urlsplit(src).path) in scripts]
    missing = sorted(set(scripts) - {posixpath.basename(urlsplit(src).path) for src in kept})
    if missing:
        raise ValueError(f"{front_path} loads no {', '.join(missing)}")
    lang = (front.html.get("lang") if front.html else None) or "en"
    # Autoescaped, as every page the build writes. The articles and the preface are HTML already, so they go in as
    # Markup: each article is a built page's element as BeautifulSoup writes it back, which escapes every text and
    # attribute value (a script's code is the built page's own, written by Jupyter Book); the preface is the cover and
    # contents, rendered from their own autoescaped template (:func:`front_matter`). The style is CSS, which escaping
    # would break: the running header (:func:`running_style`), whose only text :func:`css_string` quotes, escaping any
    # angle bracket, so it cannot end its element.
    return render(PAGE_TEMPLATE, lang=lang, title=title, styles=styles, scripts=kept, style=Markup(style),
                  preface=Markup(preface), articles=[Markup(str(article)) for article in articles.values()])


def stylesheets(front, front_path: str) -> list[str]:
    """The stylesheets of the front page (parsed, at ``front_path``) as a page at :data:`PRINT_PAGE` links them,
    then :data:`PRINT_CSS` if the front page does not link it already."""
    here = posixpath.dirname(PRINT_PAGE)
    links = front.head.find_all("link", rel="stylesheet") if front.head else []
    styles = [_moved(link.get("href", ""), posixpath.dirname(front_path), here) for link in links]
    if not any(posixpath.basename(urlsplit(s).path) == PRINT_CSS for s in styles):
        styles.append(f"../_static/{PRINT_CSS}")
    return styles


def caption_lines(text: str) -> int:
    """How many lines a chart's caption ``text`` takes on the printed sheet (at least 1): an estimate from its length,
    :data:`CAPTION_LINE_CHARS` characters a line, rounded up."""
    return max(1, -(-len(text) // CAPTION_LINE_CHARS))


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


def _text(tag) -> str:
    """A tag's words on one line, without a heading's "#" link."""
    for link in tag.select("a.headerlink"):
        link.decompose()
    return " ".join(tag.get_text(" ").split()).replace(" ,", ",").replace(" .", ".")


ARTICLE_START = re.compile(r"<article\b", re.IGNORECASE)
HEADING_END = re.compile(r"</h[12]\s*>", re.IGNORECASE)


@functools.lru_cache(maxsize=64)  # the contents and the summary both ask, of the same few pages: parsed once each
def page_title(text: str) -> str:
    """A built page's title: its article's first heading (``""`` if it has none).

    Only the article's start is parsed, up to the end of its first heading: a whole page took 75 ms, and the contents
    asks for every page's title before the first printing can start. The whole page is parsed if that part holds no
    heading (a heading's end tag quoted before it, in a script say). On 402 pages drawn from every ICB's books the
    two gave the same title, and the tests compare them on the cases above."""
    from bs4 import BeautifulSoup

    start = ARTICLE_START.search(text)
    end = HEADING_END.search(text, start.end()) if start else None
    for part in ([text[start.start():end.end()]] if end else []) + [text]:
        article = BeautifulSoup(part, "html.parser").find("article")
        heading = article.find(["h1", "h2"]) if article else None
        if heading:
            return _text(heading)
    return ""


def front_facts(text: str) -> dict[str, str]:
    """What the cover and the summary quote from the built front page ``text``: the book's title (``book``), the ICB
    and the edition's title (the words in bold of its "This edition" section, ``""`` if it has none), the verdicts
    (the sentence before the verdict panel, which the claims chapter glues), the panel itself as HTML (``panel``,
    its links to the book's pages dropped: a PDF cannot follow them) and the colophon (the footer's line)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    article = soup.find("article")
    if article is None:
        raise ValueError("the front page has no <article>")
    section = article.find("section", id="this-edition")
    bold = [_text(b) for b in section.find_all("strong")] if section else []
    verdicts, panel = "", ""
    box = article.find(class_="sots-verdicts")
    if box is not None:
        # The sentence is glued into a paragraph of its own just before the panel's output.
        output = box.find_parent(class_="output") or box
        lead = output.find_previous_sibling("p")
        verdicts = _text(lead) if lead else ""
        for link in box.find_all("a"):
            link.unwrap()
        panel = str(box)
    footer = soup.select_one(".bd-footer-content .sots-release")
    heading = article.find("h1")
    return {"book": _text(heading) if heading else "", "edition_title": bold[0] if bold else "",
            "icb": bold[1] if len(bold) > 1 else "", "verdicts": verdicts, "panel": panel,
            "colophon": _text(footer) if footer else ""}


def long_date(when: str) -> str:
    """A build time (ISO 8601) as a cover gives it, in UTC: ``31 January 2026``; ``""`` for ``unknown``."""
    try:
        moment = datetime.fromisoformat(when).astimezone(UTC)
    except ValueError:
        return ""
    return f"{moment.day} {moment:%B %Y}"


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: a quote, backslash, line break or angle bracket as a CSS escape, so the text
    can neither end the string nor the ``<style>`` element it is written in."""
    return '"' + re.sub(r'[\\"\n\r<>]', lambda m: f"\\{ord(m[0]):x} ", text) + '"'


def running_style(title: str) -> str:
    """The CSS of the running header (the book's ``title``), for every page but the cover; the footer's "Page N of
    M" is the same for every book, in :data:`PRINT_CSS`."""
    return f"@page {{ @top-left {{ content: {css_string(title)}; }} }} @page cover {{ @top-left {{ content: none; }} }}"


def contents(pages: Sequence[tuple[str, str]], numbers: dict[str, int] | None = None,
             appendix: str = APPENDIX_PAGE) -> list[dict[str, str | int]]:
    """The contents lines of the print page for ``pages`` (as :func:`assemble` takes them, in print order): each
    page's :func:`slug`, its title (the appendix's as "Appendix: ...") and the page of the PDF it starts on, from
    ``numbers`` (slug -> page, 1 for the cover; :data:`PLACEHOLDER_PAGE` for each when None, on the first
    printing). The front page is listed too: it follows the contents."""
    lines = []
    for path, text in pages:
        title = page_title(text) or path
        lines.append({"slug": slug(path), "title": f"Appendix: {title}" if path == appendix else title,
                      "page": PLACEHOLDER_PAGE if numbers is None else numbers[slug(path)]})
    return lines


def front_matter(facts: dict[str, str], edition: str, when: str, lines: Sequence[dict]) -> str:
    """The cover and contents page (:data:`FRONT_TEMPLATE`) from the front page's ``facts`` (:func:`front_facts`),
    the edition, the build time ``when`` and the contents ``lines`` (:func:`contents`)."""
    from sots.render import render

    return render(FRONT_TEMPLATE, book=facts["book"] or "State of the system", icb=facts["icb"], edition=edition,
                  edition_title=facts["edition_title"], date=long_date(when), verdicts=facts["verdicts"],
                  colophon=facts["colophon"], entries=lines)


DEST_LINE = re.compile(r'^\s*(\d+)\s+\[[^\]]*\]\s+"(.*)"\s*$')


def page_numbers(dests: str, slugs: Sequence[str]) -> dict[str, int]:
    """The page (1 = the first) each of ``slugs`` starts on, from ``pdfinfo -dests``'s listing of a PDF's named
    destinations (``  14 [ XYZ 0 842 null ] "notebooks-finance"``). ValueError naming a slug the PDF has no
    destination for (the print page's contents links to every page, which makes Chromium write one)."""
    found: dict[str, int] = {}
    for line in dests.splitlines():
        if match := DEST_LINE.match(line):
            found.setdefault(match[2], int(match[1]))
    missing = [s for s in slugs if s not in found]
    if missing:
        raise ValueError(f"the PDF has no destination for {', '.join(missing)}")
    return {s: found[s] for s in slugs}


def pdfinfo() -> str:
    """Where poppler's pdfinfo is; BuildError, on one line, if it is not on the PATH."""
    executable = shutil.which(PDFINFO)
    if not executable:
        raise BuildError(f"numbering the PDF's contents needs poppler's `{PDFINFO}`, which is not on the PATH; "
                         "install poppler-utils with `make chromium`")
    return executable


def read_dests(pdf: Path) -> str:
    """``pdfinfo -dests`` of ``pdf``: its named destinations and their pages. BuildError, on one line, if poppler's
    pdfinfo is missing or fails."""
    done = subprocess.run([pdfinfo(), "-dests", str(pdf)], capture_output=True, text=True)
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        raise BuildError(f"{PDFINFO} could not read {pdf} (exit {done.returncode})"
                         + (f": {said[-1].strip()}" if said else ""))
    return done.stdout


def summary_page(pages: Sequence[tuple[str, str]], title: str, edition: str, when: str, pdf: str) -> str:
    """The summary's page (:data:`SUMMARY_TEMPLATE`, at :data:`SUMMARY_PAGE`): the cover's facts, the verdicts and
    their panel from the front page (``pages[0]``), then each page's key findings box (class :data:`KEY_FINDINGS`,
    without its own title: the chapter's heads it), in order; ``pdf`` is the full edition's file name. Links in the
    findings keep their words and lose a site address, as in the PDF."""
    from bs4 import BeautifulSoup
    from markupsafe import Markup

    from sots.render import render

    front_path, front_text = pages[0]
    facts = front_facts(front_text)
    front = BeautifulSoup(front_text, "html.parser")
    chapters = []
    for path, text in pages[1:]:
        box = BeautifulSoup(text, "html.parser").find(class_=KEY_FINDINGS)
        if box is None:
            continue
        for tag in box.select(".admonition-title, ." + WEB_ONLY):
            tag.decompose()
        for link in box.find_all("a", href=True):
            if not urlsplit(link["href"]).scheme:
                link.unwrap()
        chapters.append({"title": page_title(text) or path, "findings": Markup(str(box))})
    lang = (front.html.get("lang") if front.html else None) or "en"
    return render(SUMMARY_TEMPLATE, lang=lang, title=f"{title}: summary", styles=stylesheets(front, front_path),
                  style=Markup(running_style(f"{title}: summary")), book=facts["book"] or "State of the system",
                  icb=facts["icb"], edition=edition, edition_title=facts["edition_title"], date=long_date(when),
                  verdicts=facts["verdicts"], panel=Markup(facts["panel"]), chapters=chapters, pdf=pdf)


def print_order(pages: Sequence[str], appendix: str = APPENDIX_PAGE) -> list[str]:
    """The book's pages in the order the PDF prints them: as given, but the ``appendix`` last."""
    return [p for p in pages if p != appendix] + [p for p in pages if p == appendix]


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


PDF_OBJECT = re.compile(rb"(?m)^(\d+) 0 obj\s*(.*?)endobj", re.S)
PDF_TITLE = re.compile(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)", re.S)


def pdf_text(raw: bytes) -> str:
    """A PDF string token (``(literal)`` or ``<hex>``, UTF-16 with its byte-order mark or PDFDocEncoding, read as
    Latin-1) as text."""
    if raw.startswith(b"<"):
        data = bytes.fromhex(raw[1:-1].decode("ascii"))
        return data[2:].decode("utf-16-be") if data.startswith(b"\xfe\xff") else data.decode("latin-1")
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    body = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit()
                  else escapes.get(m[1], m[1]), raw[1:-1], flags=re.S)
    return body.decode("latin-1")


def outline(pdf: bytes) -> list[tuple[int, str, int | None, tuple[int, int]]]:
    """A PDF's bookmarks in reading order: (depth, 0 at the top; title; page, 1 = the first, None if it has no
    destination; where the title's token is in ``pdf``). Reads a PDF as Chromium writes it: every object in the
    open (no object streams). ``[]`` if it has no outline."""
    objects = {int(m[1]): (m.start(2), m[2]) for m in PDF_OBJECT.finditer(pdf)}
    catalog = next((body for _, body in objects.values() if re.search(rb"/Type\s*/Catalog\b", body)), b"")
    top = re.search(rb"/Outlines\s+(\d+) 0 R", catalog)
    if not top:
        return []
    order: list[int] = []  # the page objects, in order

    def pages(number: int) -> None:
        body = objects[number][1]
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)
        if re.search(rb"/Type\s*/Pages\b", body) and kids:
            for kid in re.findall(rb"(\d+) 0 R", kids[1]):
                pages(int(kid))
        else:
            order.append(number)

    pages(int(re.search(rb"/Pages\s+(\d+) 0 R", catalog)[1]))
    page_of = {number: i + 1 for i, number in enumerate(order)}
    found = []

    def items(number: int, depth: int) -> None:
        child = re.search(rb"/First\s+(\d+) 0 R", objects[number][1])
        item = int(child[1]) if child else None
        while item is not None:
            start, body = objects[item]
            title = PDF_TITLE.search(body)
            dest = re.search(rb"/Dest\s*\[\s*(\d+) 0 R", body)
            found.append((depth, pdf_text(title[1]) if title else "", page_of.get(int(dest[1])) if dest else None,
                          (start + title.start(1), start + title.end(1)) if title else (start, start)))
            items(item, depth + 1)
            following = re.search(rb"/Next\s+(\d+) 0 R", body)
            item = int(following[1]) if following else None

    items(int(top[1]), 0)
    return found


def outline_titles(titles: Sequence[str], headings: Sequence[str]) -> list[str | None]:
    """The right title for each of a PDF's bookmark ``titles`` (in order), from the page's ``headings`` (in order), or
    None where it is right already or no heading matches. Chromium builds a bookmark's title from the words it
    painted: a heading that wraps loses the space at each line's end ("weightedhead"), and one pushed to the next
    sheet is painted twice, in full or a line of it ("Method and sourcesMethod and sources"). So a title matches the
    next heading whose words, spaces left out, it starts and ends with, at most twice as long."""
    fixed: list[str | None] = []
    at = 0
    for title in titles:
        squeezed, match = "".join(title.split()), None
        for k in range(at, len(headings)):
            heading = "".join(headings[k].split())
            if heading and _painted(squeezed, heading):
                match, at = headings[k], k + 1
                break
        fixed.append(match if match is not None and match != title else None)
    return fixed


def _painted(title: str, heading: str) -> bool:
    """Whether a bookmark's ``title`` is the words of ``heading`` as Chromium painted them (both without spaces):
    the heading, with one stretch of it painted twice at most: ``heading[:j] + heading[i:]``, ``i <= j``."""
    extra = len(title) - len(heading)
    if not 0 <= extra <= len(heading) or not title.startswith(heading[:1]):
        return False
    return any(title[:j] == heading[:j] and title[j:] == heading[j - extra:] for j in range(extra, len(heading) + 1))


def fix_outline(pdf: bytes, headings: Sequence[str]) -> bytes:
    """``pdf`` with its bookmarks titled as the page's ``headings`` (:func:`outline_titles`), each written as UTF-16
    text, and its cross-reference table and ``startxref`` moved to match. ValueError if it has no such table."""
    items = outline(pdf)
    edits = [(span, "<FEFF" + title.encode("utf-16-be").hex().upper() + ">")
             for (_, _, _, span), title in zip(items, outline_titles([i[1] for i in items], headings), strict=True)
             if title is not None]
    if not edits:
        return pdf
    xref = pdf.rfind(b"\nxref\n") + 1
    startxref = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf)
    if not xref or not startxref or int(startxref[1]) != xref:
        raise ValueError("found no cross-reference table to move")
    out, moves, at = [], [], 0  # moves: (offset in the old file, bytes added before anything after it)
    for (start, end), token in sorted(edits):
        out += [pdf[at:start], token.encode("ascii")]
        moves.append((start, len(token) - (end - start)))
        at = end

    def moved(offset: int) -> int:
        return offset + sum(delta for where, delta in moves if where < offset)

    table = re.sub(rb"(?m)^(\d{10}) (\d{5}) n", lambda m: b"%010d %s n" % (moved(int(m[1])), m[2]),
                   pdf[xref:startxref.start()])
    out += [pdf[at:xref], table, b"startxref\n%d\n%%%%EOF\n" % moved(xref)]
    return b"".join(out)


def headings(page: Path) -> list[str]:
    """The words of every heading of the HTML file ``page``, in order: what its PDF's bookmarks should say."""
    from bs4 import BeautifulSoup

    return [_text(h) for h in BeautifulSoup(page.read_text(), "html.parser").find_all(re.compile(r"^h[1-6]$"))]


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
            pdf.write_bytes(fix_outline(fix_dates(made, when), headings(page)))
        except ValueError as err:
            raise BuildError(f"Chromium's PDF of {page}: {err}") from None
    return time.perf_counter() - started


@functools.cache  # once per process: about 60 ms each, and a build prints up to three pages a book
def chromium_version(executable: str) -> str:
    """What ``executable --version`` prints (e.g. ``Chromium 156.0.8078.129 built on Debian ...``), or "" if it says
    nothing: part of a printing's cache key (:func:`print_key`), as a newer Chromium may lay a page out otherwise."""
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def print_key(html: str, assets: str, when: str, chromium: str) -> str:
    """The key a printed PDF is kept under in the execution cache: the sha256 of what the PDF's bytes depend on, the
    page's ``html``, the digest of the files beside it that it loads (``assets``: :func:`assets_digest`), the date it
    is given (``when``), the ``chromium`` that prints it (:func:`chromium_version`), how it is called and this module's
    code, which rewrites its dates and bookmarks."""
    h = hashlib.sha256()
    for part in (html, assets, when, chromium, " ".join(CHROMIUM_ARGS), str(VIRTUAL_TIME_MS),
                 file_sha256(Path(__file__))):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def assets_digest(html_dir: Path) -> str:
    """The digest of what a print page of ``html_dir`` loads from beside it: every file of its ``_static`` (the
    theme's and sots's stylesheets, the vega bundle, fonts) and ``_images`` folders."""
    from sots.site.execcache import folder_digest

    return " ".join(folder_digest(html_dir / name) if (html_dir / name).is_dir() else "-"
                    for name in ("_static", "_images"))


@dataclass
class Printer:
    """Prints the pages of one built book (its HTML folder ``html_dir``) with the date ``when``, through the execution
    ``cache`` when there is one: a page printed before, with the same files beside it, is not printed again."""

    html_dir: Path
    when: str
    chromium: str | None = None
    cache: Path | None = None

    @functools.cached_property
    def assets(self) -> str:
        """What the book's pages load from beside them (:func:`assets_digest`): the same for each page printed."""
        return assets_digest(self.html_dir)

    def print(self, page: Path, pdf: Path) -> None:
        """Print the HTML file ``page`` to ``pdf`` (:func:`print_pdf`), or copy the PDF of an earlier printing of it."""
        if self.cache is None:
            print_pdf(page, pdf, self.when, self.chromium)
            return
        from sots.site import execcache

        executable = self.chromium or shutil.which(CHROMIUM) or ""
        key = print_key(page.read_text(), self.assets, self.when, chromium_version(executable) if executable else "")
        kept = execcache.fetch_print(self.cache, key)
        if kept is not None:
            pdf.write_bytes(kept)
            return
        print_pdf(page, pdf, self.when, self.chromium)
        execcache.keep_print(self.cache, key, pdf)


def print_summary(texts: Sequence[tuple[str, str]], wanted: dict[str, str], printer: Printer) -> None:
    """Print the summary of a book's pages ``texts`` (in print order, :func:`summary_page`) to the root of the book's
    HTML folder, as ``wanted`` (the book's :data:`SETTINGS_FILE`) names it. Its page is written beside the print page,
    so its stylesheets' addresses hold, and removed once printed: it is the summary PDF's source, not a page of the site
    (which would have no menu or switcher)."""
    html_dir = printer.html_dir
    summary = html_dir / SUMMARY_PAGE
    try:
        summary.write_text(summary_page(texts, wanted["title"], wanted["edition"], wanted["date"], wanted["pdf"]))
    except ValueError as err:
        raise BuildError(f"the summary page of {html_dir}: {err}") from None
    try:
        printer.print(summary, html_dir / wanted["summary"])
    finally:
        summary.unlink()


def numbers_key(wanted: dict[str, str], slugs: Sequence[str]) -> str:
    """The key a book's contents page numbers are kept under (:func:`sots.site.execcache.keep_numbers`): its print
    settings (``wanted``: the edition, its title) and its pages (``slugs``, in print order), not their content, so
    that the next build of the book, its prose edited, finds the numbers to guess."""
    return hashlib.sha256(json.dumps([wanted, list(slugs)], sort_keys=True).encode()).hexdigest()


def print_book(stage: Path, html_dir: Path, pages: Sequence[str], scripts: Sequence[str],
               chromium: str | None = None, cache: Path | None = None) -> float | None:
    """Print a built book: write its print page (:func:`assemble` of ``pages``, paths relative to ``html_dir``, the
    front page first, keeping its ``scripts``; the claims register moved to the end, :func:`print_order`) with its
    cover and contents, and its PDF at ``html_dir``'s root, as the staged book's :data:`SETTINGS_FILE` says; and its
    summary (:func:`print_summary`). Return the seconds the printing took, or None if the book has no settings (it
    is not printed). ``cache`` is the execution cache (None: none), through which each page is printed
    (:class:`Printer`).

    The contents needs the page each article starts on, which only a printing tells (:func:`read_dests`). So the book
    is printed with the numbers its last printing found (kept in the ``cache``), or with every number a placeholder
    when there are none; if the numbers it then starts on are not those it was printed with, it is printed again with
    them. The contents is one page either way, so the numbers move nothing: the PDF is the same whichever way it was
    reached. The summary is printed meanwhile, by a Chromium of its own: it needs no page numbers.
    """
    path = stage / SETTINGS_FILE
    if not path.is_file():
        return None
    wanted = json.loads(path.read_text())
    pdfinfo()  # missing, it fails the build before anything is printed
    page = html_dir / PRINT_PAGE
    order = print_order(pages)
    slugs = [slug(p) for p in order]
    texts = [(p, (html_dir / p).read_text()) for p in order]
    printer = Printer(html_dir, wanted["date"], chromium, cache)
    started = time.perf_counter()
    try:
        facts = front_facts(texts[0][1])
        # Joined once: only the contents' numbers differ between printings, and joining parses every page.
        body = assemble(texts, wanted["title"], scripts, preface=PREFACE_MARK, style=running_style(wanted["title"]),
                        landscape=(APPENDIX_PAGE,))
        if body.count(PREFACE_MARK) != 1:
            raise ValueError(f"the joined pages hold {PREFACE_MARK} {body.count(PREFACE_MARK)} times, not once")

        def write(numbers: dict[str, int] | None) -> None:
            preface = front_matter(facts, wanted["edition"], wanted["date"], contents(texts, numbers))
            page.write_text(body.replace(PREFACE_MARK, preface))

        from sots.site import execcache

        key = numbers_key(wanted, slugs)
        guess = execcache.fetch_numbers(cache, key, slugs) if cache else None
        write(guess)
    except ValueError as err:
        raise BuildError(f"the print page of {html_dir}: {err}") from None
    final = html_dir / wanted["pdf"]
    with ThreadPoolExecutor(max_workers=1) as pool:
        summary = pool.submit(print_summary, texts, wanted, printer) if wanted.get("summary") else None
        with tempfile.TemporaryDirectory(prefix="sots-print-") as scratch:
            first = Path(scratch) / "first.pdf"
            printer.print(page, first)
            try:
                numbers = page_numbers(read_dests(first), slugs)
            except ValueError as err:
                raise BuildError(f"the first printing of {page}: {err}") from None
            if numbers == guess:
                shutil.move(first, final)  # printed with the numbers it starts on: the PDF a second printing gives
            else:
                write(numbers)
                printer.print(page, final)
        if cache:
            execcache.keep_numbers(cache, key, numbers)
        if summary is not None:
            summary.result()  # its BuildError, if it failed
    return time.perf_counter() - started
