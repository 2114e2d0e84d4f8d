"""The catalogue's cases of a damaged execution cache: an entry changed, cut, missing a file or holding one more, or
missing its list of sums, is never published. Each is found by its sha256 when it is about to be used, removed with
one warning line, and its work done again; the build succeeds and publishes, byte for byte, what it published when
the cache was empty.

One build of the report's edition (so no other edition's chapters run) into a private cache is shared by the cases
(`first`); each case damages its own copy of that cache and builds again, as a user would, with `sots build`.
"""

from __future__ import annotations

import json
import re
import shutil
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


@pytest.fixture
def again(first, tmp_path):
    """The first build's cache copied for one case to damage, and a build through it; gives (the copy, build), where
    build() returns the second build's output and checks it published what the first did."""
    project, pristine, site = first
    cache = tmp_path / "cache"
    shutil.copytree(pristine, cache, symlinks=True)

    def rebuild() -> str:
        output = build(project, cache, tmp_path / "site")
        assert snapshot(tmp_path / "site" / EDITION) == snapshot(site / EDITION)
        assert output.count("cache entry damaged") == 1, output  # one line, once
        return output

    return cache, rebuild


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


@cases("damage, reason", [
    pytest.param(double_the_figure, "fragment.json differs from its recorded sha256", id="cache-fragment-edited"),
    pytest.param(lambda e: cut_in_half(e / "notebook.ipynb"), "notebook.ipynb differs from its recorded sha256",
                 id="cache-notebook-cut"),
    pytest.param(lambda e: (e / "script.py").unlink(), "script.py is missing", id="cache-chapter-file-missing"),
    pytest.param(lambda e: (e / "chart-data" / "added.csv").write_text("value\n1\n"),
                 "chart-data/added.csv is not in its SHA256SUMS", id="cache-chapter-file-added"),
    # An entry of an earlier sots, which wrote no sums, too: never trusted.
    pytest.param(lambda e: (e / execcache.SUMS).unlink(), "SHA256SUMS is missing", id="cache-sums-missing"),
])
def test_a_damaged_chapter_entry_is_removed_and_the_chapter_runs_again(first, again, damage, reason):
    cache, rebuild = again
    entry = chapter_entry(cache, "funding_per_head")
    damage(entry)
    output = rebuild()
    (line,) = [line for line in output.splitlines() if "cache entry damaged" in line]
    assert line == f"warning: {entry}: cache entry damaged ({reason}); removed, the chapter runs again"
    assert EXECUTED.findall(output) == ["funding_per_head"]  # the others from the cache
    assert "NotJSONError" not in output
    published = json.loads((first[2] / EDITION / RESULTS_FILE).read_text())[FIGURE]["value"]
    assert json.loads((cache.parent / "site" / EDITION / RESULTS_FILE).read_text())[FIGURE]["value"] == published
    assert execcache.damage(entry) is None  # stored again, whole


@case("cache-vega-bundle-cut")
def test_a_cut_vega_bundle_is_made_again(first, again):
    cache, rebuild = again
    (kept,) = (cache / "vega").iterdir()
    kept.write_bytes(kept.read_bytes()[:1000])
    output = rebuild()
    assert (f"warning: {kept}: cache entry damaged (it differs from the sha256 its name records); removed, the bundle "
            "is made again") in output.splitlines()
    published = cache.parent / "site" / EDITION / "_static" / VEGA_BUNDLE
    assert published.stat().st_size > 1000 and published.read_bytes() == (first[2] / EDITION / "_static" /
                                                                           VEGA_BUNDLE).read_bytes()
    (remade,) = (cache / "vega").iterdir()
    assert remade.name == kept.name and remade.stat().st_size == published.stat().st_size


@case("cache-book-html-edited")
def test_an_edited_book_in_the_cache_is_built_again(first, again):
    cache, rebuild = again
    (kept,) = (cache / execcache.BOOKS).iterdir()
    page = kept / execcache.BOOK_HTML / "notebooks" / "funding_per_head.html"
    page.write_text(page.read_text().replace("</h1>", "</h1><p>MARKER inserted in the cache</p>", 1))
    output = rebuild()
    assert (f"warning: {kept}: cache entry damaged (html/notebooks/funding_per_head.html differs from its recorded "
            "sha256); removed, the book is built again") in output.splitlines()
    assert f"book {EDITION} {ICB} built in " in output and not EXECUTED.findall(output)
    assert "MARKER" not in (cache.parent / "site" / EDITION / "notebooks" / "funding_per_head.html").read_text()
    assert execcache.damage(kept) is None  # kept again, whole
