"""A new year without code: the README's four steps, followed with a synthetic year 2099/00.

The synthetic year's sources are the last real year's (2024/25), copied and scaled: money by MONEY, populations by
PEOPLE, so per-head figures move by MONEY / PEOPLE and ranks stay put. The upstream folder is the real one, linked
file by file, plus the new year's files; the project is a copy, so the repository is never changed.
"""

import json
import re
import shutil

import pandas as pd
import pytest

from helpers import RAW, copy_project, snapshot, sots, upstream
from sots import prepare, publish

pytestmark = pytest.mark.e2e

LAST, NEW, NEW_ID = "2024/25", "2099/00", "2099-00"
MONEY, PEOPLE = 1.05, 1.02
WP_FOLDER = "nhse_allocations_gp_weighted_pop"
NEW_ENTRY = f"""
  - id: "{NEW_ID}"
    title: "2099/00: a synthetic year for the tests"
    status: current
    inputs:
      allocation_year: "{NEW}"
      unit_cost_year: "{LAST}"
      outturn_year: "{LAST}"
      projection_vintage: "2018-based"
"""


def synthetic_upstream(raw, target):
    """Step 1: the new year's sources in place, in the upstream layout, made from the last real year's."""
    upstream(target)  # the real upstream, linked file by file, in folders of its own to add to
    (allocations_path,) = raw.glob(prepare.ALLOCATIONS_GLOB)
    alloc = pd.read_csv(allocations_path, dtype=str, keep_default_na=False)
    alloc = alloc[alloc["year"] == LAST].assign(year=NEW)
    for column in alloc.columns:
        if column.endswith("_k"):
            alloc[column] = alloc[column].astype(float) * MONEY
        elif column.endswith("_per_head"):
            alloc[column] = alloc[column].astype(float) * MONEY / PEOPLE
        elif column == "registered_population_implied":
            alloc[column] = alloc[column].astype(float) * PEOPLE
    folder = target / "nhse_icb_allocations_2099_00"
    folder.mkdir()
    alloc.to_csv(folder / "icb_allocations_2099_00_tidy_derived.csv", index=False)

    practices = pd.read_csv(raw / WP_FOLDER / "gp_practice_weighted_population_2024_25.csv", dtype=str,
                            keep_default_na=False)
    for column in [c for c in practices.columns if prepare.POP_HEADER.match(c)] + list(prepare.PRACTICE_WP_COLUMNS):
        practices[column] = practices[column].astype(float) * PEOPLE
    practices.to_csv(target / WP_FOLDER / "gp_practice_weighted_population_2099_00.csv", index=False)
    return target


def test_a_new_year_builds_from_new_sources_and_one_entry_leaving_published_editions_untouched(built_site, tmp_path):
    project = copy_project(tmp_path / "project")
    published = project / "_build" / "site"
    shutil.copytree(built_site, published)  # the site as `make book` left it
    before = {e: snapshot(published / e) for e in ("2023-24", "2024-25")}

    # 1. Put the year's sources in place.
    new_raw = synthetic_upstream(RAW, tmp_path / "upstream")
    # 2. Run `sots prepare`.
    done = sots("prepare", "--raw", str(new_raw), cwd=project)
    assert done.returncode == 0, done.stderr
    allocations = pd.read_csv(project / "data" / "icb_allocations.csv")
    assert sorted(allocations["year"].unique()) == ["2023/24", LAST, NEW]
    # 3. Add one entry to editions.yml, as current; the edition that was current becomes archived.
    register = project / "editions.yml"
    text = register.read_text().replace("status: current", "status: archived")
    register.write_text(text + NEW_ENTRY)
    # 4. Run `sots build`: it builds the current edition.
    done = sots("build", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"editions {NEW_ID}" in done.stdout

    # The new edition is published, whole, with its year's figures.
    assert sorted(p.name for p in published.iterdir()) == ["2023-24", "2024-25", NEW_ID, "index.html", "switcher.json"]
    assert publish.verify_manifest(published / NEW_ID) == []
    manifest = json.loads((published / NEW_ID / "manifest.json").read_text())
    assert manifest["data_years"]["allocation_year"] == NEW
    assert manifest["commit"] == "unknown"  # the copy is not a git checkout
    results = json.loads((published / NEW_ID / "results.json").read_text())
    last = json.loads((built_site / "2024-25" / "results.json").read_text())
    assert results["core_allocation_per_head_gbp"]["inputs"]["year"] == NEW
    assert results["core_allocation_per_head_gbp"]["value"] == pytest.approx(
        last["core_allocation_per_head_gbp"]["value"] * MONEY / PEOPLE)
    assert results["core_allocation_per_head_gbp_2099_00"]["value"] == results["core_allocation_per_head_gbp"]["value"]
    for rank in ("core_allocation_per_head_rank", "core_allocation_per_weighted_head_rank",
                 "distance_from_target_rank"):
        assert results[rank]["value"] == last[rank]["value"]
    intro = " ".join(re.sub(r"<[^>]+>", "", (published / NEW_ID / "book" / "intro.html").read_text()).split())
    assert f"For the ICB in {NEW}" in intro

    # The switcher lists it as current, the front page goes to it, and the older editions are byte-identical.
    switcher = json.loads((published / "switcher.json").read_text())
    assert [(e["version"], e.get("preferred", False)) for e in switcher] == [
        (NEW_ID, True), ("2024-25", False), ("2023-24", False)]
    assert f"url={NEW_ID}/index.html" in (published / "index.html").read_text()
    for edition, files in before.items():
        assert snapshot(published / edition) == files, edition
