"""One more year, and every edition still holds: the edition-generic checks on a project with one edition more than
the repository's.

A copy of the project gets the synthetic year of tests/synthetic_year.py, made from the current edition's own data
and layouts, by the README's "Adding a new year" (files, catalogue, layouts, `sots prepare`, an edition entry), and
is built whole (`--all-editions --no-pdf`, with the checkout's execution cache: an entry is used only if what its
chapter read is unchanged). Its every edition is then checked here as the suite checks the repository's: each
edition's results.json, the archived editions' figures against their golden values, the version switcher, numbers
in every key finding, and the funding chapter's comparison with the year before.

Why here rather than by running the existing tests against the copy: those tests read the repository through
helpers.ROOT and the session's build of it, and rerunning them in a subprocess on a copy would build it again with
its PDF; the checks that matter for an edition more are few and cheap to read from one build. No year or number of
editions is written here: each comes from the copy's register, so the repository gaining a year changes nothing.
"""

from __future__ import annotations

import json

import pytest
import synthetic_year as year
from test_reader_pages import boxes

from helpers import CACHE, GOLDEN_EDITIONS, REGISTER, chapter_pages, copy_project, page_text, sots, upstream
from sots.analysis.results import year_suffix
from sots.inputs import editions

pytestmark = pytest.mark.e2e

NO_OTHER_YEAR = "There is no other allocation year in this edition to compare with."


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """The project's copy with the synthetic year added (its register and built site), built whole."""
    tmp = tmp_path_factory.mktemp("third-year")
    project, raw = copy_project(tmp / "project"), upstream(tmp / "upstream")
    year.add_files(raw)
    year.add_sources(project)
    done = sots("prepare", "--raw", str(raw), cwd=project)
    assert done.returncode == 0, done.stderr
    year.add_edition(project)
    done = sots("build", "--all-editions", "--no-pdf", "--cache", str(CACHE), cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    return project, editions.load(project / editions.EDITIONS_FILE), project / "_build" / "site"


def test_the_copy_has_one_edition_more_than_the_repository_and_the_new_one_is_current(grown):
    _, register, _ = grown
    assert [e.id for e in register] == sorted([*(e.id for e in REGISTER), year.NEW_ID])
    assert editions.current(register).id == year.NEW_ID


def test_every_edition_has_results_of_its_own(grown):
    _, register, site = grown
    for edition in register:
        results = json.loads((site / edition.id / "results.json").read_text())
        assert results, edition.id
        assert {entry["edition"] for entry in results.values()} == {edition.id}
        assert all("value" in entry or "not_computed" in entry for entry in results.values()), edition.id


@pytest.mark.parametrize("edition", GOLDEN_EDITIONS)
def test_every_edition_with_golden_values_still_matches_them(grown, edition):
    project, _, site = grown
    done = sots("check", "--edition", edition, "--site", str(site), cwd=project)
    assert done.returncode == 0 and "figures match" in done.stdout, done.stdout + done.stderr


def test_the_switcher_lists_every_edition_newest_first_and_prefers_the_new_one(grown):
    _, register, site = grown
    switcher = json.loads((site / "switcher.json").read_text())
    assert [entry["version"] for entry in switcher] == sorted((e.id for e in register), reverse=True)
    assert [entry["version"] for entry in switcher if entry.get("preferred")] == [year.NEW_ID]


def test_every_key_finding_of_every_edition_states_a_number(grown):
    _, register, site = grown
    for edition in register:
        for path in chapter_pages(edition.id):
            (items,) = boxes(site / path).boxes
            for item in items:
                assert any(c.isdigit() for c in item["text"]), f"{path}: a finding with no number: {item['text']}"


def test_the_funding_chapter_sets_the_new_year_beside_the_one_before(grown):
    _, register, site = grown
    for edition in register:
        assert NO_OTHER_YEAR not in page_text(site / edition.id / "notebooks" / "funding_per_head.html"), edition.id
    # The new year's publication gives it alone: the edition reads the year before too, and compares with it.
    funding = page_text(site / year.NEW_ID / "notebooks" / "funding_per_head.html")
    assert f"In {year.LAST} the ranks were" in funding
    results = json.loads((site / year.NEW_ID / "results.json").read_text())
    last = results[f"core_allocation_per_head_rank{year_suffix(year.LAST)}"]
    assert last["value"] == results["core_allocation_per_head_rank"]["value"]  # ranks stay put: all scaled alike
    # Both pages cite the new year's publications, from the rows read (the method text types no title).
    assert f"Allocation of resources {year.NEW}" in funding
    ageing = page_text(site / year.NEW_ID / "notebooks" / "ageing.html")
    assert f"Allocations {year.NEW}: registered and weighted populations" in ageing
