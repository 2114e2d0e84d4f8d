"""A new year with no code change: the README's "Adding a new year", step by step, on a synthetic year whose
publishers' files have drifted from last year's layout (tests/synthetic_year.py: made from the current edition's own
data and layouts, money scaled by MONEY and populations by PEOPLE, so per-head figures move by MONEY / PEOPLE and ranks
stay put).

The upstream folder is the real one, linked file by file, plus the new files; the project is a copy, so the
repository is never changed, and nothing under src/ or notebooks/ of the copy is touched.
"""

import json
import shutil

import pytest
import synthetic_year as year
from synthetic_year import CURRENT, LAST, MONEY, NEW, NEW_ID, PEOPLE, TOKEN

from helpers import CACHE, chapter_pages, copy_project, page_text, snapshot, sots, upstream
from sots.inputs import data

pytestmark = pytest.mark.e2e


def results(site, edition):
    return json.loads((site / edition / "results.json").read_text())


def as_built_in_the_copy(path, site):
    """A file of ``site`` (built from this checkout) as a build in the project's copy writes it: the copy is not a
    git checkout, so its builds record the commit as "unknown"."""
    full = json.loads((site / path.relative_to(site).parts[0] / "manifest.json").read_text())["commit"]
    short = full.split("-")[0][:12] + ("-dirty" if full.endswith("-dirty") else "")  # as pages show it
    return path.read_bytes().replace(full.encode(), b"unknown").replace(short.encode(), b"unknown")


def test_a_drifted_new_year_builds_by_the_runbook_with_no_code_change_and_older_editions_frozen(tmp_path, built_site):
    project = copy_project(tmp_path / "project")
    code_before = {p: snapshot(project / p) for p in ("src", "notebooks")}
    tables_before = {t.filename: (project / "data" / t.filename).read_text() for t in data.TABLES.values()}
    archived = CURRENT
    published = project / "_build" / "site"
    shutil.copytree(built_site, published)  # the site as `make book` left it, before the new year

    # 1. Put the publishers' files in the upstream folder.
    raw = upstream(tmp_path / "upstream")
    year.add_files(raw)
    # 2. Say where the new publications are from, and 3. write one layout per file.
    year.add_sources(project)
    # 4. Run `sots prepare`.
    done = sots("prepare", "--raw", str(raw), cwd=project)
    assert done.returncode == 0, done.stderr

    # Every earlier row of every table is written byte for byte as before: the diff is the new year's rows.
    for name, before in tables_before.items():
        after = (project / "data" / name).read_text().splitlines()
        added = sorted(set(after) - set(before.splitlines()))
        assert set(before.splitlines()) <= set(after), name
        assert all(f",{NEW}," in f",{line}," for line in added), (name, added[:2])
    allocations = data.load("icb_allocations", project / "data").set_index(["year", "icb_code"])
    last, new = allocations.loc[(LAST, "QE1")], allocations.loc[(NEW, "QE1")]
    # Each sum of money the last year has, in pounds in the new file, back in thousands and scaled.
    money = [c for c in year.published(year.last_allocations(), {**year.CORE, **year.PRIMARY}) if c.endswith("_gbp_k")]
    assert "core_recurrent_allocation_gbp_k" in money
    for column in money:
        assert new[column] == pytest.approx(last[column] * MONEY), column
    assert new[["core_dft_pre_convergence_frac", "core_dft_post_convergence_frac"]].isna().all()  # not published
    weighted = data.load("icb_weighted_population", project / "data").set_index(["year", "icb_code"])
    assert weighted.loc[(NEW, "QE1"), "core_weighted_persons"] == pytest.approx(
        weighted.loc[(LAST, "QE1"), "core_weighted_persons"] * PEOPLE)
    assert weighted.xs(NEW)["health_inequalities_weighted_persons"].isna().all()
    package = {r["name"]: r for r in json.loads((project / "data" / data.DATAPACKAGE).read_text())["resources"]}
    cited = {s["id"]: s.get("years") for s in package["icb_allocations"]["sources"]}
    assert cited[f"nhse_allocations_{TOKEN}"] == [NEW]

    # 5. Add the edition, current; archive the one that was.
    year.add_edition(project)
    # 6. Run `sots build`: it builds the new edition and publishes it beside the others. (With the checkout's
    # execution cache, to save time: the code is the same, and an entry is used only if its reads are unchanged. And
    # with no PDF: these steps check figures and pages, and the PDF, printed twice, is tested on the session's site.)
    done = sots("build", "--cache", str(CACHE), "--no-pdf", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    new_results, last_results = results(published, NEW_ID), results(published, archived.id)
    assert new_results["core_allocation_per_head_gbp"]["value"] == pytest.approx(
        last_results["core_allocation_per_head_gbp"]["value"] * MONEY / PEOPLE)
    for rank in ("core_allocation_per_head_rank", "core_allocation_per_weighted_head_rank"):
        assert new_results[rank]["value"] == last_results[rank]["value"]
    # Distance from target is not published for the new year: said so, not computed from something else.
    assert new_results["distance_from_target_pct"].get("value") is None
    funding = page_text(published / NEW_ID / "notebooks" / "funding_per_head.html")
    assert f"not published for {NEW}" in funding
    # Citations follow the files read: the new edition cites the new publication; the older one does not.
    assert f"Allocation of resources {NEW}" in funding
    switcher = json.loads((published / "switcher.json").read_text())
    assert switcher[0]["version"] == NEW_ID and switcher[0].get("preferred")

    # Older editions are frozen: rebuilt after the new year's data arrived, their figures and pages are
    # byte-identical to the build before it (but for the commit, which the copy does not know). With no PDF, as
    # above: the front page then has no paragraph linking it, and is otherwise the same.
    done = sots("build", "--edition", archived.id, "--out", str(tmp_path / "rebuilt"), "--cache", str(CACHE),
                "--no-pdf", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    for page in ("results.json", *chapter_pages()):
        assert (tmp_path / "rebuilt" / archived.id / page).read_bytes() == as_built_in_the_copy(
            built_site / archived.id / page, built_site), page
    front = as_built_in_the_copy(built_site / archived.id / "book" / "intro.html", built_site).decode().splitlines()
    pdf_links = [line for line in front if ".pdf</a>" in line]
    assert len(pdf_links) == 1, pdf_links
    assert (tmp_path / "rebuilt" / archived.id / "book" / "intro.html").read_text().splitlines() == [
        line for line in front if line not in pdf_links]
    assert NEW not in page_text(tmp_path / "rebuilt" / archived.id / "notebooks" / "funding_per_head.html")

    # 7. Record the new edition's golden values; from then on `sots check` holds the edition to them.
    done = sots("check", "--edition", NEW_ID, "--update", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "tests" / "golden" / NEW_ID / "QE1.json").is_file()
    done = sots("check", "--edition", NEW_ID, cwd=project)
    assert done.returncode == 0 and "figures match" in done.stdout, done.stdout + done.stderr

    # No code changed on the way.
    assert {p: snapshot(project / p) for p in ("src", "notebooks")} == code_before
