"""A loopback web server over a built site, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import functools
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import (
    AXE,
    AXE_TAGS,
    CURRENT,
    DESKTOP,
    EDITIONS,
    PHONE,
    SCREENSHOTS,
    browsed_pages,
    chapter_pages,
    follow_redirects,
    redirect_target,
)
from sots.site.printbook import OFFLINE_CHROMIUM_ARGS

CHROMIUM_ARGS = list(OFFLINE_CHROMIUM_ARGS)  # as the build's PDF step launches it


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output readable
        pass


@pytest.fixture(scope="session")
def serve():
    """serve(folder) -> base URL of a loopback server for that folder; all are stopped at the end."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # A short poll, so stopping each of the session's servers at the end takes a twentieth of a second, not half.
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        pytest.fail("Debian chromium is not installed: run `make test`, which installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


# Each chart's own accessible label and every mark Vega drew in it: the mark's kind (its group's class, such as
# "mark-rect" for bars), its element, its fill and its accessible label ("field: value; ...").
CHARTS_JS = """els => els.map(e => ({
  label: e.getAttribute('aria-label'),
  marks: [...e.querySelectorAll('svg.marks g.role-mark > *')].map(m => ({
    kind: [...m.parentNode.classList].find(c => c.startsWith('mark-')) || '',
    tag: m.tagName.toLowerCase(), fill: m.getAttribute('fill'), label: m.getAttribute('aria-label')}))}))"""


# Each chart's box (the column it sits in), the drawing Vega made in it and each legend's place, in page pixels: a
# chart fits when its drawing and every legend lie inside its box; a legend of no size, or outside, is not seen.
# A 42-ICB chart has a phone's view too (sots.chapters.charts.phone_view): ``view`` says which of the two a chart is
# ("phone", "whole", or "" for a chart with no phone view) and ``shown`` whether the reader sees it at this width.
CHARTS_SELECTOR = ".sots-chart, .sots-phone-chart"
FIT_JS = r"""async els => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const edges = r => [Math.round(r.left), Math.round(r.right), Math.round(r.width), Math.round(r.height)];
  return els.map(e => {
    const svg = e.querySelector('svg');
    const view = e.classList.contains('sots-phone-chart') ? 'phone' : e.closest('.sots-has-phone-view') ? 'whole' : '';
    return {label: (e.getAttribute('aria-label') || '').slice(0, 70), box: edges(e.getBoundingClientRect()),
            svg: svg ? edges(svg.getBoundingClientRect()) : null, view: view,
            shown: e.getBoundingClientRect().height > 0 && getComputedStyle(e).visibility === 'visible',
            legends: [...e.querySelectorAll('g.role-legend')].map(g => edges(g.getBoundingClientRect()))}; }); }"""


class PageVisit:
    """One browser tab and everything it reported for the page it last opened: console messages, errors, requests
    and responses. ``go`` opens another page in the same tab, with a fresh record."""

    def __init__(self, browser, url: str | None = None, viewport: dict = DESKTOP):
        self.page = browser.new_page(viewport=viewport)
        self.console: list[str] = []
        self.requests: list[str] = []
        self.responses: dict[str, int] = {}  # URL -> HTTP status, for everything the page loaded
        self.pending: set = set()  # requests sent and not yet answered or failed
        self.response = None
        self.page.on(
            "console",
            lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: (self.requests.append(r.url), self.pending.add(r)))
        self.page.on("requestfinished", lambda r: self.pending.discard(r))
        self.page.on("requestfailed", lambda r: self.pending.discard(r))
        self.page.on("response", lambda r: self.responses.__setitem__(r.url, r.status))
        # A redirect page cancels its own in-flight requests (net::ERR_ABORTED); any other failure is a defect.
        self.page.on(
            "requestfailed",
            lambda r: (None if r.failure == "net::ERR_ABORTED"
                       else self.console.append(f"requestfailed: {r.url} {r.failure}")),
        )
        if url:
            self.go(url)

    def go(self, url: str) -> PageVisit:
        # Cleared in place: the listeners above hold these very lists.
        self.console.clear()
        self.requests.clear()
        self.responses.clear()
        self.pending.clear()
        self.response = self.page.goto(url, wait_until="load")
        return self

    def settle(self, timeout_ms: int = 10_000) -> list[str]:
        """Wait until no request is in flight; returns the URLs of any still pending at the timeout. Unlike
        Playwright's "networkidle" (which waits for half a second of quiet), it returns as soon as the page is quiet,
        so a test that has already waited for what the page draws loses no time."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.pending and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)  # lets Playwright deliver the page's events
        return sorted(r.url for r in self.pending)

    def off_site(self, base: str) -> list[str]:
        """What the page requested from anywhere but the server at ``base``, or from the page itself."""
        return [u for u in self.requests if not u.startswith((base.rstrip("/") + "/", "data:", "blob:", "about:"))]

    def wait_for_charts(self, timeout_ms: int = 20_000) -> None:
        self.page.wait_for_function(
            f"() => [...document.querySelectorAll('{CHARTS_SELECTOR}')].every("
            "c => c.querySelector('svg.marks g.role-mark') || c.textContent.trim())",
            timeout=timeout_ms,
        )

    def charts(self) -> list[dict]:
        """Every chart on the page once drawn, as CHARTS_JS reads it."""
        self.wait_for_charts()
        return self.page.eval_on_selector_all(".sots-chart", CHARTS_JS)


@pytest.fixture
def visit(browser):
    visits = []

    def go(url: str) -> PageVisit:
        v = PageVisit(browser, url)
        visits.append(v)
        return v

    yield go
    for v in visits:
        v.page.close()


# axe-core's audit of the page (`runOnly`: the rules, by tag or by id): each rule broken, its impact and where.
AXE_JS = """runOnly => axe.run(document, {runOnly, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     targets: v.nodes.map(n => n.target.join(' '))})))"""
# Whether every notebook output box that scrolls has the tab stop the theme gives it (pydata-sphinx-theme's
# addTabStopsToScrollableElements, debounced after each change to the page).
TAB_STOPS_JS = """() => [...document.querySelectorAll('.cell_output > .output')].every(
  el => !(el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) || el.tabIndex === 0)"""
NEXT_FRAMES_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
# Audited at phone width as well as at desktop width: whether a box that scrolls can be reached from the keyboard,
# which depends on the width, since a chart or table scrolls only when the screen is narrower than it.
AXE_PHONE_RULES = ["scrollable-region-focusable"]
# Every menu of the version switcher (the theme draws one per sidebar), as [text, href] per item, once the theme has
# filled it from switcher.json and sots-editions.js has resolved its links (absolute then).
SWITCHER_JS = """() => [...document.querySelectorAll('.version-switcher__menu')].map(
  m => [...m.querySelectorAll('a')].map(a => [a.textContent.trim(), a.getAttribute('href')]))"""
SWITCHER_READY_JS = """n => { const menus = [...document.querySelectorAll('.version-switcher__menu')];
  return menus.length > 0 && menus.every(m => { const links = [...m.querySelectorAll('a')];
    return links.length >= n && links.every(a => /^https?:/.test(a.getAttribute('href'))); }); }"""
# The page's width against the window's once laid out, and (when the page is wider) the outermost elements that
# stick out past the right edge while not inside a box that scrolls or clips them: the culprits.
WIDTH_JS = r"""async () => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const width = window.innerWidth, out = [];
  // Out of the page's flow (a drawer fixed off screen, something hidden), or inside a box that scrolls or clips it.
  const clipped = e => { const own = getComputedStyle(e);
    if (own.position === 'fixed' || own.visibility === 'hidden') return true;
    for (let p = e.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible' || s.position === 'fixed') return true; } return false; };
  if (document.documentElement.scrollWidth > width) {
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.width && r.right > width + 1 && !clipped(e) && !out.some(o => o.el.contains(e)))
        out.push({el: e, what: `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} to ${Math.round(r.right)} px: `
                              + e.textContent.replace(/\s+/g, ' ').trim().slice(0, 60)});
    }
  }
  return {scroll_width: document.documentElement.scrollWidth, inner_width: width, culprits: out.map(o => o.what)};
}"""


@dataclass
class Crawled:
    """What the browser found on one page of the site (``path`` relative to the site's root)."""

    path: str
    status: int | None = None
    console: list[str] = field(default_factory=list)
    off_site: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # what the page loaded from the site that was not there
    redirect: str | None = None  # a redirect page's target, as its file gives it (a path relative to the site)
    landed: str | None = None  # where a redirect page took the browser, through any further redirects
    problems: list[str] = field(default_factory=list)  # what never happened (charts not drawn, switcher not filled)
    charts: list[dict] = field(default_factory=list)
    switcher: list[list[list[str]]] = field(default_factory=list)
    axe: list[dict] = field(default_factory=list)
    phone: dict = field(default_factory=dict)
    # Each chart's box, its drawing and its legends, at the phone's width and at the desktop's (FIT_JS).
    fit: dict[str, list[dict]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Crawl:
    base: str  # the server's URL, no trailing slash
    pages: dict[str, Crawled]
    screenshots: dict[str, Path]


@pytest.fixture(scope="session")
def crawl(built_site, serve) -> Crawl:
    """Every page of the built site (but the print page: see helpers.browsed_pages) opened once, over a loopback
    server, at a phone's width and then at a desktop's: what it loaded and logged, its width on the phone, its
    charts, its version switcher and an axe-core audit. The front page and the first chapter with charts are
    photographed into _build/screenshots/. The tests read this record; opening each page once keeps the suite's time
    down, and so does crawling in two browsers at once, one per core, each taking every other page."""
    base = serve(built_site)
    front = follow_redirects(built_site, "index.html")
    chapter = next(p for p in chapter_pages(CURRENT) if "sots-chart" in (built_site / p).read_text())
    shots = {"front-page-desktop": (front, DESKTOP), "front-page-phone": (front, PHONE),
             "chapter-desktop": (chapter, DESKTOP)}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = browsed_pages(built_site)
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(lambda part: crawl_pages(built_site, base, part, shots), (paths[0::2], paths[1::2])))
    found = {path: record for pages, _ in parts for path, record in pages.items()}
    return Crawl(base, {path: found[path] for path in paths}, {k: v for _, saved in parts for k, v in saved.items()})


def crawl_pages(built_site: Path, base: str, paths: list[str], shots: dict[str, tuple[str, dict]]
                ) -> tuple[dict[str, Crawled], dict[str, Path]]:
    """Open each of ``paths`` in one tab of a browser of this thread's own (Playwright's API is not shared between
    threads) and record what it found (see :func:`crawl`); return the records and the screenshots saved."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    saved: dict[str, Path] = {}
    pages: dict[str, Crawled] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        tab = PageVisit(browser, viewport=PHONE)

        def attempt(record: Crawled, what: str, action):
            try:
                return action()
            except PlaywrightError as error:
                record.problems.append(f"{what}: {str(error).splitlines()[0]}")
                return None

        def photograph(path: str, viewport: dict) -> None:
            for name, (shot_path, shot_viewport) in shots.items():
                if (shot_path, shot_viewport) == (path, viewport):
                    saved[name] = SCREENSHOTS / f"{name}.png"
                    tab.page.screenshot(path=saved[name], full_page=True)

        for path in paths:
            started = time.monotonic()
            record = pages[path] = Crawled(path)
            record.redirect = redirect_target(built_site, path)
            tab.go(f"{base}/{path}")
            record.status = tab.response.status if tab.response else None
            if record.redirect:
                # The end of the chain: the browser may pass a redirect to a redirect too fast to be seen on it.
                target = f"{base}/{follow_redirects(built_site, path)}"
                attempt(record, "redirect", lambda: tab.page.wait_for_url(target, timeout=10_000))
                record.landed = tab.page.url
            else:
                # Opened at a phone's width, as a phone opens it: the theme makes a box that scrolls at the width the
                # page opens at reachable from the keyboard, and redoes it only a while after the window is resized.
                attempt(record, "charts drawn", tab.wait_for_charts)
                # The theme gives each output box that scrolls a tab stop, 300 ms after the page last changed (a
                # chart drawn late makes its box scroll): the audit waits for it rather than racing it.
                attempt(record, "scrolling boxes given tab stops", lambda: tab.page.wait_for_function(
                    TAB_STOPS_JS, timeout=10_000))
                if path.partition("/")[0] in EDITIONS:  # a book's page; the site's own (changes.html) has no switcher
                    attempt(record, "version switcher filled", lambda: tab.page.wait_for_function(
                        SWITCHER_READY_JS, arg=len(EDITIONS), timeout=10_000))
                # Playwright inlines the vendored file's text: the audit fetches nothing.
                attempt(record, "axe-core loaded", lambda: tab.page.add_script_tag(path=AXE))
                record.phone = attempt(record, "phone width", lambda: tab.page.evaluate(WIDTH_JS)) or {}
                record.fit["phone"] = attempt(record, "charts' fit at phone width", lambda: (
                    tab.page.eval_on_selector_all(CHARTS_SELECTOR, FIT_JS))) or []
                record.axe = [{**v, "help": f"{v['help']} (at {PHONE['width']} px)"} for v in attempt(
                    record, "axe-core at phone width",
                    lambda: tab.page.evaluate(AXE_JS, {"type": "rule", "values": AXE_PHONE_RULES})) or []]
                photograph(path, PHONE)
                tab.page.set_viewport_size(DESKTOP)
                # The charts redraw at the new width, and a box that scrolls while they do has no tab stop yet: the
                # audit waits, as for the phone, until the page has settled at this width (two frames, so the resize
                # has reached the charts, then every box that scrolls has its tab stop).
                attempt(record, "resize reached the page", lambda: tab.page.evaluate(NEXT_FRAMES_JS))
                attempt(record, "charts drawn at desktop width", tab.wait_for_charts)
                attempt(record, "scrolling boxes given tab stops at desktop width", lambda: (
                    tab.page.wait_for_function(TAB_STOPS_JS, timeout=10_000)))
                record.charts = attempt(record, "charts read", lambda: tab.page.eval_on_selector_all(
                    ".sots-chart", CHARTS_JS)) or []
                record.switcher = attempt(record, "switcher read", lambda: tab.page.evaluate(SWITCHER_JS)) or []
                record.axe += attempt(record, "axe-core", lambda: tab.page.evaluate(
                    AXE_JS, {"type": "tag", "values": AXE_TAGS})) or []
                # After the audit: by then every chart has been drawn again at the desktop's width.
                record.fit["desktop"] = attempt(record, "charts' fit at desktop width", lambda: (
                    tab.page.eval_on_selector_all(CHARTS_SELECTOR, FIT_JS))) or []
                photograph(path, DESKTOP)
                tab.page.set_viewport_size(PHONE)
            # Last, so that whatever the page fetched late (the archived banner's check) has been answered and
            # logged.
            if still := tab.settle():
                record.problems.append(f"requests unanswered after 10 s: {still}")
            record.console = list(tab.console)
            record.off_site = tab.off_site(base)
            record.failed = [f"{url} {status}" for url, status in tab.responses.items() if status >= 400]
            record.seconds = time.monotonic() - started
        tab.page.close()
        browser.close()
    return pages, saved

