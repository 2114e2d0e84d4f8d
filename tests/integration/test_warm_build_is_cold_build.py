"""A build through a warm cache publishes, page by page, the bytes a build with no cache publishes.

The warm build takes every chapter from the cache, prints its PDF once (the contents' page numbers guessed from the
session's printing of the same book: sots.site.printbook.print_book) and takes the unchanged summary PDF from the
cache; the cold build (`--no-cache`) executes every chapter and prints the book twice. Both are of the same copy of
the project, after a prose edit, so the warm one cannot take the whole book from the cache.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import CACHE, CURRENT, ROOT, copy_project, snapshot, sots_exe
from sots.site import execcache

pytestmark = pytest.mark.integration

RUN = re.compile(r"run: (\d+) chapters executed, (\d+) from the cache, (\d+) kernels started, (\d+) books built, "
                 r"(\d+) from the cache, in [\d.]+ s")


def build(root: Path, *args: str) -> tuple[int, ...]:
    """`sots build ARGS` of the current edition from the project copy at ``root``, dated as the session's builds of
    the project (a copy is no checkout, so would be dated "unknown"): the counts of its run: line."""
    when = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True,
                          check=True).stdout.strip()
    done = subprocess.run([sots_exe(), "build", "--edition", CURRENT, *args], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "SOURCE_DATE_EPOCH": when})
    assert done.returncode == 0, done.stdout + done.stderr
    return tuple(map(int, RUN.search(done.stdout).groups()))


def printed(cache: Path) -> set[str]:
    """The printings the cache holds."""
    folder = cache / execcache.PRINTS
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_a_warm_build_after_a_prose_edit_publishes_the_bytes_of_a_cold_build(built_site, tmp_path):
    # built_site: the session's build of every edition printed this book, with this date, through the project's
    # cache, which so holds its page numbers and its summary.
    project = copy_project(tmp_path / "project")
    with open(project / "book" / "intro.md", "a") as prose:  # a sentence no earlier run wrote: no cache holds the book
        prose.write(f"\nA sentence added to the front page, {uuid.uuid4().hex}.\n")
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    before = printed(CACHE)
    executed, _, kernels, built, _ = build(project, "--out", str(warm), "--cache", str(CACHE))
    assert (executed, kernels, built) == (0, 0, 1)
    # One printing: the book's, with the numbers guessed right; the summary, unchanged, came from the cache.
    assert len(printed(CACHE) - before) == 1

    executed, from_cache, _, built, _ = build(project, "--out", str(cold), "--no-cache")
    assert executed > 0 and from_cache == 0 and built == 1

    warm_files, cold_files = snapshot(warm / CURRENT), snapshot(cold / CURRENT)
    assert sorted(warm_files) == sorted(cold_files)
    assert [path for path in warm_files if warm_files[path] != cold_files[path]] == []
    assert any(path.endswith(".pdf") for path in warm_files)
