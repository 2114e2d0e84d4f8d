"""Paths and a command runner shared by the tests."""

from __future__ import annotations

import csv
import os
import posixpath
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from sots import hashing
from sots.analysis import claims
from sots.chapters import palette
from sots.inputs import editions

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
# The upstream raw data sit beside the project, as in CI; SOTS_RAW points elsewhere.
RAW = Path(os.environ.get("SOTS_RAW", ROOT.parent / "shared" / "data" / "raw"))
# The project's execution cache, which a build from a copy of the project may share (`--cache`): the package and the
# pins are the same, and an entry is found only if what its chapter read is unchanged.
CACHE = ROOT / "_build" / "cache"

# The editions, read from the committed register, so that no test types how many there are or which one is current:
# a new year is one more entry in editions.yml (and its golden file), and every test covers it with no change here.
REGISTER = editions.load(ROOT / editions.EDITIONS_FILE)  # oldest first
EDITIONS = tuple(e.id for e in REGISTER)  # every edition's id, oldest first
CURRENT = editions.current(REGISTER).id
ARCHIVED = tuple(e.id for e in REGISTER if not e.is_current)  # oldest first
REPORT_EDITION = claims.report(ROOT / "claims.yml")["edition"]  # the edition the report's claims are graded on
# What the version switcher calls each edition: its id and what it is.
SWITCHER_NAMES = {e: f"{e} · " + {(True, True): "the report's year, latest data", (True, False): "latest data",
                                  (False, True): "the report's year", (False, False): "an earlier year"}[
    (e == CURRENT, e == REPORT_EDITION)] for e in EDITIONS}
# The edition whose figures the report's verdicts are computed on, in every edition (claims.yml's report.edition).
REPORT_EDITION = claims.report(ROOT / claims.REGISTER)["edition"]
ANOTHER_ICB = "QWE"  # South West London: the focal ICB of the tests of a book for an ICB other than the report's
# Two more ICBs, the first by name (no code typed), whose books a national build adds beside ANOTHER_ICB's.
with open(DATA / "icb_lookup.csv", encoding="utf-8") as _lookup:
    OTHER_ICBS = tuple(row["icb_code"] for row in sorted(csv.DictReader(_lookup), key=lambda row: row["icb_name"])
                       if row["icb_code"] != ANOTHER_ICB)[:2]
# The editions with golden values for the default ICB, one folder each: tests/golden/<edition>/QE1.json.
GOLDEN = ROOT / "tests" / "golden"
GOLDEN_EDITIONS = tuple(sorted(p.parent.name for p in GOLDEN.glob("*/QE1.json")))

# The browser tests (tests/e2e/test_browser.py): the two widths they view the book at, where their screenshots and
# the accessibility audit's summary go, and the audit itself.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone's CSS size; the book must not scroll sideways on it
SCREENSHOTS = ROOT / "_build" / "screenshots"
# The axe-core rules the crawl runs, by tag: WCAG 2.0, 2.1 and 2.2 at levels A and AA (the public sector's
# accessibility regulations cite WCAG 2.2 AA), and Deque's best practices, which add the landmark and heading rules
# a long report's reader leans on. Level AAA is not claimed.
AXE_VENDOR = ROOT / "tests" / "vendor" / "axe-core"
AXE = AXE_VENDOR / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def benchmark(name: str):
    """The script ``benchmarks/<name>.py`` imported as a module (its functions are tested; the scripts are run by
    hand), registered in sys.modules, where its dataclasses look their module up."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def report_results_file(folder: Path, figures: dict[str, dict] | None = None, **values: float | None) -> str:
    """A results.json of the report's edition for its ICB, as a build writes it for a later edition's chapters (their
    ``report_results``): ``figures`` (figure id -> entry, e.g. a chapter's recorded figures), with each of ``values``
    set, a new entry (in per cent growth) for an id not among them; returns its path, as text."""
    import json

    entries = json.loads(json.dumps(figures or {}))  # a copy: the caller's figures stay as they are
    for figure_id, value in values.items():
        entries.setdefault(figure_id, {"unit": "per cent growth", "edition": REPORT_EDITION, "icb": "QE1"})
        entries[figure_id]["value"] = value
    path = folder / "report-results.json"
    path.write_text(json.dumps(entries))
    return str(path)


def edition_entry(edition_id: str) -> editions.Edition:
    """The committed register's edition with this id (its title, status and data years)."""
    return editions.get(REGISTER, edition_id)


def sots_exe() -> str:
    """The installed `sots` command beside this Python."""
    return shutil.which("sots", path=str(Path(sys.executable).parent)) or "sots"


def sots(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the installed `sots` command as a user would."""
    return subprocess.run([sots_exe(), *args], cwd=cwd, capture_output=True, text=True)


RUN_LINE = re.compile(r"run: (\d+) chapters executed, (\d+) from the cache, (\d+) kernels started, (\d+) books built, "
                      r"(\d+) from the cache, in [\d.]+ s")


def run_counts(stdout: str) -> tuple[int, int, int, int, int]:
    """The counts of a build's ``run:`` line: chapters executed, chapters from the cache, kernels started, books
    built, books from the cache."""
    return tuple(map(int, RUN_LINE.search(stdout).groups()))


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative POSIX path) -> sha256 of its bytes."""
    import hashlib

    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_project(dest: Path) -> Path:
    """Copy the project's own files (tracked, or new and not ignored) to ``dest``, as a fresh checkout would have.

    The copy is not a git checkout, so builds there record the commit as "unknown". The installed package (this
    checkout's src/) is what runs; the copy supplies the notebooks, book pages, configuration, editions and data.
    """
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True, text=True, check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def page_text(path: Path) -> str:
    """A built page's text without tags, its white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", path.read_text()).split())


def chapter_pages(edition: str | None = None) -> list[str]:
    """Each notebook page of the book, in `_toc.yml` order, as `notebooks/x.html` (under `<edition>/` if given)."""
    import yaml

    from sots.toc import notebooks_in_toc

    names = notebooks_in_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    return [f"{edition}/{name}.html" if edition else f"{name}.html" for name in names]


def cli(*args: str, cwd: Path = ROOT):
    """The `sots` command as a user types it, run in this process (no interpreter start-up); returns Click's Result
    (``exit_code``, ``stdout``, ``stderr``, and ``exception``: a SystemExit, or what escaped as a traceback)."""
    import contextlib

    from typer.testing import CliRunner

    from sots.cli import app

    with contextlib.chdir(cwd):
        return CliRunner().invoke(app, list(args))


def assert_refused(result, *expected: str, shown: int = 0) -> str:
    """The command failed in one `error:` line containing each of ``expected`` (followed by ``shown`` more lines: a
    failing cell), with a non-zero exit and no traceback, and the README's Troubleshooting table has a row for the
    error; returns that line."""
    assert result.exit_code != 0, result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("error: ") and (len(lines) == 1 or shown), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert troubleshooting_row(lines[0].removeprefix("error: ")), (
        f"no row of the README's Troubleshooting table matches the error: {lines[0]}")
    return lines[0]


def troubleshooting_patterns() -> list[tuple[str, re.Pattern]]:
    """The README's Troubleshooting table: each error its first column shows (each `code` span), as a regular
    expression matching a whole message: ``<...>`` stands for some text (a name, a number), ``…`` for any text, or
    none."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Troubleshooting", 1)[1].split("\n#", 1)[0]
    patterns = []
    for row in section.splitlines():
        if not row.startswith("|") or set(row) <= {"|", "-", " "}:
            continue
        for shown in re.findall(r"`([^`]+)`", row.split("|")[1]):
            parts = re.split(r"(<[^>]+>|…)", shown)
            patterns.append((shown, re.compile("".join(".*" if p == "…" else ".+" if p.startswith("<") else re.escape(p)
                                                       for p in parts), re.DOTALL)))
    return patterns


def troubleshooting_row(message: str) -> str | None:
    """The error shown in the README's Troubleshooting table that ``message`` is an instance of, if any."""
    return next((shown for shown, pattern in troubleshooting_patterns() if pattern.fullmatch(message)), None)


def upstream(target: Path, *editable: str) -> Path:
    """A folder laid out as the upstream raw data, each file a symbolic link to the real one except ``editable``
    (paths relative to the upstream), which are copies a test may damage."""
    for source in sorted(RAW.rglob("*")):
        if source.is_file():
            relative = source.relative_to(RAW).as_posix()
            dest = target / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            if relative in editable:
                shutil.copyfile(source, dest)
            else:
                dest.symlink_to(source)
    return target


def upstream_copy(target: Path) -> Path:
    """A copy of just the upstream files `sots prepare` reads, in the upstream layout, at ``target``: it works on any
    such folder, and needs no other file."""
    from sots.inputs import layouts, prepare

    read = [layout.file for table in ("icb_allocations", "icb_weighted_population", "unit_costs", "qof_hypertension")
            for layout in prepare.table_layouts(layouts.folder(), table)]
    patterns = (*read, prepare.AREA_CODES, prepare.SNPP_PRINCIPAL, prepare.SNPP_VARIANTS, prepare.ACTIVITY_RATES,
                prepare.MYE_GLOB, prepare.TRUST_OPEX_GLOB, prepare.PUBLISHED_GLOB, prepare.IMD, prepare.LSOA_WARDS,
                prepare.WARD_NAMES, prepare.LSOA_ICBS, *prepare.HLE_EXTRACTS, prepare.LCC_HLE, *prepare.PUBLISHED_PAGES)
    for pattern in patterns:
        for path in RAW.glob(pattern):
            dest = target / path.relative_to(RAW)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    return target


def rehash(data_dir: Path) -> None:
    """Record each table's current sha256 in ``data_dir``'s data package, as if `sots prepare` had written the tables:
    for tests of what the schemas catch once the checksums pass."""
    import json

    from sots.inputs import data

    path = data_dir / data.DATAPACKAGE
    package = json.loads(path.read_text())
    for resource in package["resources"]:
        resource["hash"] = f"sha256:{hashing.file_sha256(data_dir / resource['path'])}"
    path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")


def drawn_marks(spec: dict, role: str) -> list[tuple[dict[str, str], str | None, str]]:
    """The marks of one kind (``role``: "bar", "point", "text mark"...) that Vega draws for a Vega-Lite ``spec``,
    rendered to SVG by vl-convert as a reader's browser would draw it, in drawing order: each as (its accessible
    fields, read from its aria-label "field: value; ..."), its fill colour and its text."""
    import xml.etree.ElementTree as ET

    import vl_convert

    from sots.chapters import charts

    marks = []
    # With the book's theme, as charts.render gives it to the page (a bare to_dict() spec lacks it).
    for element in ET.fromstring(vl_convert.vegalite_to_svg(charts.themed(spec))).iter():
        if element.get("aria-roledescription") == role:
            fields = dict(part.partition(": ")[::2] for part in (element.get("aria-label") or "").split("; ") if part)
            marks.append((fields, element.get("fill"), "".join(element.itertext())))
    return marks


def chart_pixels(ppm: bytes) -> list[int]:
    """For each page of binary PPMs (P6) as pdftoppm writes them to its output, one after another: how many pixels
    are a chart's mark colour (the focal blue or a colour of sots.chapters.palette.PALETTE) over white at half opacity
    or more, as charts paint their marks (an area or a band is translucent). Text, rules and the grey of the other ICBs
    are not counted: they are black or grey, off every line from white to a mark colour."""
    import re

    import numpy as np

    from sots.chapters import palette

    white = np.array([255.0, 255.0, 255.0])
    colours = [palette.FOCAL, *palette.PALETTE.values()]
    counts, at = [], 0
    while at < len(ppm):
        header = re.compile(rb"P6\s+(\d+)\s+(\d+)\s+255\s").match(ppm, at)
        assert header, f"not a binary PPM at byte {at}"
        size = int(header[1]) * int(header[2]) * 3
        rgb = np.frombuffer(ppm, dtype=np.uint8, count=size, offset=header.end()).reshape(-1, 3)
        # A white pixel lies at opacity 0 towards every colour, so is never painted: only the others are measured (a
        # page is mostly white paper, so this is a fraction of its pixels).
        rgb = rgb[(rgb != 255).any(axis=1)] - white
        painted = np.zeros(len(rgb), dtype=bool)
        for colour in colours:
            towards = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) - white  # from white to the colour
            opacity = rgb @ towards / (towards @ towards)  # how far each pixel lies from white towards it
            off_line = np.abs(rgb - np.outer(opacity, towards)).sum(axis=1)  # and how far from that line
            painted |= (opacity >= 0.5) & (off_line <= 30)
        counts.append(int(painted.sum()))
        at = header.end() + size
    return counts


def site_pages(site: Path) -> list[str]:
    """Every HTML page of a built site, relative to it, sorted: each edition's pages (the theme's own templates in
    _static are not pages) and the site's redirects."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if "_static" not in p.relative_to(site).parts)


def browsed_pages(site: Path) -> list[str]:
    """The pages of a built site that the browser tests open: all of :func:`site_pages` but each edition's print page
    (sots.site.printbook.PRINT_PAGE), the PDF's source rather than a page to read. It has none of the book's menus,
    switcher or scripts, every chapter's charts at once (opening it costs as much as ten other pages), and
    tests/e2e/test_pdf.py checks it as printed. Its links are checked with every other page's."""
    from sots.site.printbook import PRINT_PAGE

    return [p for p in site_pages(site) if not p.endswith(f"/{PRINT_PAGE}")]


def redirect_target(site: Path, path: str) -> str | None:
    """Where a redirect page sends the reader (its meta refresh), relative to the site; None for any other page."""
    found = re.search(r'<meta http-equiv="refresh" content="\d+; url=([^"]+)"', (site / path).read_text())
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), found[1])) if found else None


def follow_redirects(site: Path, path: str) -> str:
    """The page a reader ends on from ``path``, through any redirects."""
    seen = {path}
    while (target := redirect_target(site, path)) is not None:
        if target in seen:
            raise ValueError(f"redirect loop at {target}")
        seen.add(path := target)
    return path


class Links(HTMLParser):
    """A page's references, as (tag, attribute, value) for every src and href, and every id and anchor name in it:
    what its links point at, and what links into it may point at."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append((tag, name, value))
            elif (name == "id" or (name == "name" and tag == "a")) and value:
                self.ids.add(value)


def links(path: Path) -> Links:
    """A built page's references and ids, as :class:`Links` reads them."""
    parser = Links()
    parser.feed(path.read_text())
    parser.close()
    return parser


# Reading charts as the browser drew them (the crawl of tests/e2e/test_browser.py, or PageVisit.charts).

def bars(chart: dict) -> int:
    """How many bars a chart (as the crawl and PageVisit.charts read it) drew."""
    return sum(m["kind"] == "mark-rect" and m["tag"] == "path" for m in chart["marks"])


def dots(chart: dict) -> int:
    """How many dots (symbols) a chart drew."""
    return sum(m["kind"] == "mark-symbol" and m["tag"] == "path" for m in chart["marks"])


def focal(chart: dict) -> list[str]:
    """The ICBs whose bar or point a chart drew in the highlight colour (the ICB's own, and no other's)."""
    return icbs([m["label"] for m in chart["marks"] if m["tag"] == "path" and m["fill"] == palette.FOCAL])


def icbs(labels: list[str]) -> list[str]:
    """The ICB each mark names in its accessible label ("...; ICB: name; ..."), in order."""
    return [re.search(r"(?:^|; )ICB: ([^;]+)", label)[1] for label in labels]
