"""A loopback web server over a built site, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]


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
        threading.Thread(target=server.serve_forever, daemon=True).start()
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


class PageVisit:
    """One page load with everything the browser reported: console messages, errors and requests."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.console: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        # A redirect page cancels its own in-flight requests (net::ERR_ABORTED); any other failure is a defect.
        self.page.on(
            "requestfailed",
            lambda r: (None if r.failure == "net::ERR_ABORTED"
                       else self.console.append(f"requestfailed: {r.url} {r.failure}")),
        )
        self.response = self.page.goto(url, wait_until="load")

    def wait_for_charts(self, timeout_ms: int = 20_000) -> None:
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.sots-chart')].every("
            "c => c.querySelector('svg.marks g.role-mark') || c.textContent.trim())",
            timeout=timeout_ms,
        )


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
