"""The catalogue's cases of a damaged execution cache: an entry changed, cut, missing a file or holding one more, or
missing its list of sums, is never published. Each is found by its sha256 when it is about to be used, removed with
one warning line, and its work done again; the build succeeds and publishes, byte for byte, what it published when
the cache was empty.

One build of the report's edition (so no other edition's chapters run) into a private cache is shared by the cases
(`first`). Then, as a user would, `sots build` again through a damaged copy of that cache: the cases of a damaged
chapter entry and of a cut vega bundle share one copy and one build (`damaged`), each damaging its own entry (each
chapter case another chapter's), so that each is found on its own line and only its own work is done again; an
edited book, which no chapter's rerun may hide, has a copy and a build of its own (`again`).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from catalogue import case, cases

from helpers import REPORT_EDITION, copy_project, snapshot, sots
from sots.analysis.results import RESULTS_FILE
from sots.site import execcache
from sots.site.build import VEGA_BUNDLE

pytestmark = pytest.mark.integration

EDITION = REPORT_EDITION  # a later edition would run the report edition's chapters too
ICB = "QE1"  # the default
FIGURE = "core_allocation_per_head_gbp"  # recorded by funding_per_head, and quoted on its page
EXECUTED = re.compile(rf"\[\d+/\d+\] {EDITION} {ICB} (\S+) \d+\.\d s")


def build(project: Path, cache: Path, out: Path) -> str:
    """`sots build` of the edition, without its PDF, through ``cache``, published to ``out``; its output (it must
    succeed)."""
    done = sots("build", "--edition", EDITION, "--no-pdf", "--cache", str(cache), "--out", str(out), cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A copy of the project, built once into an empty private cache: (the project, its cache, its published site)."""
    tmp = tmp_path_factory.mktemp("cache-first")
    project = copy_project(tmp / "project")
    output = build(project, tmp / "cache", tmp / "site")
    assert re.search(r"run: \d+ chapters executed, 0 from the cache, \d+ kernels started, 1 books built", output)
    return project, tmp / "cache", tmp / "site"


def rebuild(project: Path, cache: Path, out: Path, site: Path) -> str:
    """`sots build` again through ``cache``, published to ``out``: its output, once it is checked to have published
    what the first build did (``site``)."""
    output = build(project, cache, out)
    assert snapshot(out / EDITION) == snapshot(site / EDITION)
    return output


@pytest.fixture
def again(first, tmp_path):
    """The first build's cache copied for one case to damage, and a build through it; gives (the copy, build_again),
    where build_again() returns the second build's output, once checked to have published what the first did, with
    one line, once, of a damaged entry."""
    project, pristine, site = first
    cache = tmp_path / "cache"
    shutil.copytree(pristine, cache, symlinks=True)

    def build_again() -> str:
        output = rebuild(project, cache, tmp_path / "site", site)
        assert output.count("cache entry damaged") == 1, output
        return output

    return cache, build_again


def chapter_entry(cache: Path, chapter: str) -> Path:
    """The cache's entry of ``chapter`` of the edition's book (its label names it)."""
    (entry,) = [label.parent for label in cache.glob(f"*/*/{execcache.LABEL_FILE}")
                if label.read_text().strip() == f"{EDITION} {ICB} {chapter}"]
    return entry


def double_the_figure(entry: Path) -> None:
    fragment = entry / "fragment.json"
    figures = json.loads(fragment.read_text())
    figures[FIGURE]["value"] *= 2
    fragment.write_text(json.dumps(figures, indent=2))


def cut_in_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def add_a_chart_file(entry: Path) -> None:
    (entry / "chart-data" / "added.csv").write_text("value\n1\n")


# Each case damages another chapter's entry. The figure doubled is recorded by funding_per_head.
CHAPTER_CASES = [
    pytest.param("funding_per_head", double_the_figure, "fragment.json differs from its recorded sha256",
                 id="cache-fragment-edited"),
    pytest.param("finance", lambda e: cut_in_half(e / "notebook.ipynb"),
                 "notebook.ipynb differs from its recorded sha256", id="cache-notebook-cut"),
    pytest.param("acute_spend", lambda e: (e / "script.py").unlink(), "script.py is missing",
                 id="cache-chapter-file-missing"),
    pytest.param("ageing", add_a_chart_file, "chart-data/added.csv is not in its SHA256SUMS",
                 id="cache-chapter-file-added"),
    # An entry of an earlier sots, which wrote no sums, too: never trusted.
    pytest.param("beddays", lambda e: (e / execcache.SUMS).unlink(), "SHA256SUMS is missing", id="cache-sums-missing"),
]


@dataclass
class Damaged:
    cache: Path  # the copy of the first build's cache that was damaged, and built through
    entries: dict[str, Path]  # each damaged chapter's entry
    bundle: Path  # the vega bundle kept in the cache, cut
    output: str  # what the build through it said


@pytest.fixture(scope="module")
def damaged(first, tmp_path_factory) -> Damaged:
    """A copy of the first build's cache with every chapter case's damage done to its chapter's entry, and the vega
    bundle cut; then built through, publishing what the first build did."""
    project, pristine, site = first
    tmp = tmp_path_factory.mktemp("cache-damaged")
    cache = tmp / "cache"
    shutil.copytree(pristine, cache, symlinks=True)
    entries = {}
    for param in CHAPTER_CASES:
        chapter, damage, _ = param.values
        entries[chapter] = chapter_entry(cache, chapter)
        damage(entries[chapter])
    (bundle,) = (cache / "vega").iterdir()
    bundle.write_bytes(bundle.read_bytes()[:1000])
    return Damaged(cache, entries, bundle, rebuild(project, cache, tmp / "site", site))


def test_each_damaged_entry_is_named_once_and_only_the_damaged_chapters_run_again(damaged):
    assert damaged.output.count("cache entry damaged") == len(CHAPTER_CASES) + 1, damaged.output  # and the bundle
    assert sorted(EXECUTED.findall(damaged.output)) == sorted(damaged.entries)  # the others from the cache
    assert "NotJSONError" not in damaged.output


@cases("chapter, damage, reason", CHAPTER_CASES)
def test_a_damaged_chapter_entry_is_removed_and_the_chapter_runs_again(first, damaged, chapter, damage, reason):
    entry = damaged.entries[chapter]
    lines = [line for line in damaged.output.splitlines() if f"{entry}: cache entry damaged" in line]
    assert lines == [f"warning: {entry}: cache entry damaged ({reason}); removed, the chapter runs again"]
    assert chapter in EXECUTED.findall(damaged.output)
    if damage is double_the_figure:
        published = json.loads((first[2] / EDITION / RESULTS_FILE).read_text())[FIGURE]["value"]
        assert json.loads((damaged.cache.parent / "site" / EDITION / RESULTS_FILE).read_text())[FIGURE]["value"] == (
            published)
    assert execcache.damage(entry) is None  # stored again, whole


@case("cache-vega-bundle-cut")
def test_a_cut_vega_bundle_is_made_again(first, damaged):
    kept = damaged.bundle
    assert (f"warning: {kept}: cache entry damaged (it differs from the sha256 its name records); removed, the bundle "
            "is made again") in damaged.output.splitlines()
    published = damaged.cache.parent / "site" / EDITION / "_static" / VEGA_BUNDLE
    assert published.stat().st_size > 1000 and published.read_bytes() == (first[2] / EDITION / "_static" /
                                                                           VEGA_BUNDLE).read_bytes()
    (remade,) = (damaged.cache / "vega").iterdir()
    assert remade.name == kept.name and remade.stat().st_size == published.stat().st_size


@case("cache-book-html-edited")
def test_an_edited_book_in_the_cache_is_built_again(first, again):
    cache, build_again = again
    (kept,) = (cache / execcache.BOOKS).iterdir()
    page = kept / execcache.BOOK_HTML / "notebooks" / "funding_per_head.html"
    page.write_text(page.read_text().replace("</h1>", "</h1><p>MARKER inserted in the cache</p>", 1))
    output = build_again()
    assert (f"warning: {kept}: cache entry damaged (html/notebooks/funding_per_head.html differs from its recorded "
            "sha256); removed, the book is built again") in output.splitlines()
    assert f"book {EDITION} {ICB} built in " in output and not EXECUTED.findall(output)
    assert "MARKER" not in (cache.parent / "site" / EDITION / "notebooks" / "funding_per_head.html").read_text()
    assert execcache.damage(kept) is None  # kept again, whole
