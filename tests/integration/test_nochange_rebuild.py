"""A rebuild with nothing changed publishes nothing (sots.site.buildkey): it executes no chapter, starts no kernel,
leaves the site byte-identical and says so; a changed input, or a published file changed since, builds again."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import CACHE, CURRENT, EDITIONS, ROOT, copy_project, run_counts, snapshot, sots
from sots.site import buildkey, publish

pytestmark = pytest.mark.integration

NOTHING = "nothing to publish: "


def build(root: Path, *args: str) -> tuple[str, tuple[int, ...]]:
    """`sots build ARGS` run from the project at ``root``: its output and the counts of its run: line."""
    done = sots("build", *args, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, run_counts(done.stdout)


def test_the_sessions_site_rebuilt_with_nothing_changed_publishes_nothing(built_site):
    """The session's site (`sots build --all-editions`), built again with the same options and inputs."""
    before = snapshot(built_site)
    said, counts = build(ROOT, "--all-editions", "--out", str(built_site))
    assert counts == (0, 0, 0, 0, 0), said
    assert said.count("\n") == 2 and said.startswith(f"{NOTHING}{built_site.resolve()} already holds"), said
    assert "published" not in said and snapshot(built_site) == before
    assert set(EDITIONS) <= set(buildkey.read_stamp(built_site)["site"]["built"])


def test_a_published_page_changed_since_builds_again(tmp_path):
    """In a copy of the project: a second build publishes nothing; a page of the site edited by hand is published
    again as the build makes it. (A prose page edited is built and published by a build that executes nothing:
    tests/integration/test_dask_executor.py.)"""
    project = copy_project(tmp_path / "project")
    site = tmp_path / "site"
    args = ("--edition", CURRENT, "--out", str(site), "--cache", str(CACHE), "--no-pdf")
    said, _ = build(project, *args)
    assert NOTHING not in said and f"published {site / CURRENT}" in said
    published = snapshot(site)

    said, counts = build(project, *args)
    assert said.startswith(NOTHING) and counts == (0, 0, 0, 0, 0), said
    assert snapshot(site) == published

    page = site / CURRENT / "book" / "methods.html"
    page.write_text(page.read_text().replace("</body>", "<p>edited by hand</p></body>"))
    said, counts = build(project, *args)
    assert NOTHING not in said and f"published {site / CURRENT}" in said and counts[2] == 0, said
    assert snapshot(site) == published and publish.verify_manifest(site / CURRENT) == []

