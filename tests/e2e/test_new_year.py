"""A new year with no code change: the README's "Adding a new year", step by step, on a synthetic year whose
publishers' files have drifted from last year's layout.

The synthetic year (2099/00, or the year after the current edition's if that is later) is the current edition's
allocation year's data, scaled: money by MONEY, populations by PEOPLE, so per-head figures move by MONEY / PEOPLE and
ranks stay put. Its files are as a publisher might change them:
- the allocations come as a one-year workbook (not the two-year settlement's), with a title above headers on row 2,
  renamed sheets and headers (one with a line break), money in pounds rather than thousands, the ICBs in another
  order on each sheet, an England total below them, and no distance from target (no longer published);
- the GP-practice file has its registered-population column renamed ("pop 2022/23" was the old, mislabelled one),
  "Final WP" renamed, and no health-inequalities weighted population.
The upstream folder is the real one, linked file by file, plus the new files; the project is a copy, so the
repository is never changed, and nothing under src/ or notebooks/ of the copy is touched.
"""

import json
import shutil

import openpyxl
import pytest

from helpers import CACHE, DATA, RAW, ROOT, chapter_pages, copy_project, page_text, snapshot, sots, upstream
from sots import data, editions, prepare

pytestmark = pytest.mark.e2e

CURRENT = editions.current(editions.load(ROOT / editions.EDITIONS_FILE))  # the edition the new one succeeds
LAST = CURRENT.inputs["allocation_year"]  # the year the synthetic one is made from
_START = max(2099, int(LAST[:4]) + 1)  # beyond any real year, and after a synthetic year already added
NEW = f"{_START}/{(_START + 1) % 100:02d}"
NEW_ID, TOKEN = NEW.replace("/", "-"), NEW.replace("/", "_")
MONEY, PEOPLE = 1.05, 1.02
ALLOCATIONS_FILE = f"nhse_icb_allocations_{TOKEN}/ICB allocations {NEW_ID}.xlsx"
PRACTICES_FILE = f"nhse_gp_weighted_population_{TOKEN}/gp_practice_weighted_population_{TOKEN}.csv"

# Step 2: the new publications, in the catalogue.
CATALOGUE_ENTRIES = f"""
nhse_allocations_{TOKEN}:
  title: "Allocation of resources {NEW}: ICB allocations (synthetic, for the tests)"
  publisher: NHS England
  path: https://www.england.nhs.uk/allocations/
  period: {NEW}
nhse_weighted_population_{TOKEN}:
  title: "Allocations {NEW}: registered and weighted populations by GP practice (synthetic, for the tests)"
  publisher: NHS England
  path: https://www.england.nhs.uk/allocations/
  period: {NEW}
"""

# Step 3: one layout per file, copied from last year's and changed where the publisher changed.
ALLOCATIONS_LAYOUT = f"""\
# NHS England's ICB allocations for {NEW}: a one-year workbook, headers on row 2, money in pounds. Distance from
# target and the convergence adjustment are no longer published, so they are left out.
source: nhse_allocations_{TOKEN}
file: {ALLOCATIONS_FILE}
years: ["{NEW}"]
sheets:
  - sheet: Core allocations {NEW_ID}
    header_row: 2
    columns:
      icb_code: ICB code
      icb_name: ICB name
      region_name: NHS region
      core_recurrent_allocation_gbp_k: {{header: "Recurrent allocation (£)", unit: GBP}}
      core_recurrent_per_head_gbp: Recurrent allocation per head (£)
      core_total_allocation_gbp_k: {{header: Total allocation (£), unit: GBP}}
      core_combined_allocation_gbp_k: {{header: Combined allocation (£), unit: GBP}}
  - sheet: Primary care and running costs
    header_row: 2
    columns:
      icb_code: ICB code
      pmc_recurrent_allocation_gbp_k: {{header: Primary medical care (£), unit: GBP}}
      other_primary_care_gbp_k: {{header: Other primary care (£), unit: GBP}}
      running_cost_allowance_gbp_k: {{header: Running cost allowance (£), unit: GBP}}
"""
PRACTICES_LAYOUT = f"""\
# NHS England's GP-practice registered and weighted populations for {NEW}. The health inequalities weighted
# population is no longer published.
source: nhse_weighted_population_{TOKEN}
file: {PRACTICES_FILE}
years: ["{NEW}"]
columns:
  icb_code: ICS22
  registered_population_persons: Registered patients {NEW}
  ga_weighted_persons: G&A WP
  community_weighted_persons: CS WP
  mental_health_weighted_persons: MH WP
  maternity_weighted_persons: Mat WP
  prescribing_weighted_persons: Prescr WP
  core_weighted_persons: Core services WP
  pmc_need_weighted_persons: Primary Medical Care WP
  pmc_weighted_persons: Final PMC WP
"""

# Step 5: the new edition, current; the one that was current becomes archived.
NEW_ENTRY = f"""
  - id: "{NEW_ID}"
    title: "{NEW}: a synthetic year for the tests"
    status: current
    inputs:
      allocation_year: "{NEW}"
      unit_cost_year: "{CURRENT.inputs['unit_cost_year']}"
      outturn_year: "{CURRENT.inputs['outturn_year']}"
      projection_vintage: "{CURRENT.inputs['projection_vintage']}"
"""


def drifted_workbook(path):
    """Step 1: NHS England's allocations for the new year, as a one-year workbook in a new layout (see the module)."""
    last = data.load("icb_allocations", DATA).query("year == @LAST").reset_index(drop=True)
    pounds = {c: last[c] * 1000 * MONEY for c in last.columns if c.endswith("_gbp_k")}
    book = openpyxl.Workbook()
    core = book.active
    core.title = f"Core allocations {NEW_ID}"
    core.append([f"NHS England: ICB allocations {NEW} (synthetic)"])
    core.append(["ICB code", "ICB name", "NHS region", "Recurrent allocation\n(£)", "Recurrent allocation per head (£)",
                 "Total allocation (£)", "Combined allocation (£)"])
    for i, row in last.iterrows():
        core.append([row.icb_code, row.icb_name, row.region_name, pounds["core_recurrent_allocation_gbp_k"][i],
                     row.core_recurrent_per_head_gbp * MONEY / PEOPLE, pounds["core_total_allocation_gbp_k"][i],
                     pounds["core_combined_allocation_gbp_k"][i]])
    core.append([])
    core.append(["Total", "ENGLAND", None, pounds["core_recurrent_allocation_gbp_k"].sum()])
    primary = book.create_sheet("Primary care and running costs")
    primary.append([f"Primary medical care, other primary care and running costs, {NEW}"])
    primary.append(["ICB code", "Primary medical care (£)", "Other primary care (£)", "Running cost allowance (£)"])
    for i in reversed(last.index):  # another order than the core sheet's: rows are joined on the code
        primary.append([last.icb_code[i], pounds["pmc_recurrent_allocation_gbp_k"][i],
                        pounds["other_primary_care_gbp_k"][i], pounds["running_cost_allowance_gbp_k"][i]])
    path.parent.mkdir(parents=True)
    book.save(path)


def drifted_practices(path):
    """Step 1: the GP-practice file for the new year, with renamed and dropped columns (see the module), made from the
    file the project's layout for the last year reads."""
    import pandas as pd

    (read,) = [u for u in prepare.table_layouts(ROOT / "sources", "icb_weighted_population") if LAST in u.years]
    headers = read.parts[0].headers
    practices = pd.read_csv(RAW / read.file, dtype=str, keep_default_na=False)
    practices.columns = [" ".join(c.split()) for c in practices.columns]
    practices = practices.drop(columns=[headers["health_inequalities_weighted_persons"]] if (
        "health_inequalities_weighted_persons" in headers) else []).rename(columns={
            headers["registered_population_persons"]: f"Registered patients {NEW}",
            headers["core_weighted_persons"]: "Core services WP"})
    for column in [c for c in practices.columns if c.endswith("WP") or c.startswith("Registered patients")]:
        practices[column] = practices[column].astype(float) * PEOPLE
    path.parent.mkdir(parents=True)
    practices.to_csv(path, index=False)


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
    drifted_workbook(raw / ALLOCATIONS_FILE)
    drifted_practices(raw / PRACTICES_FILE)
    # 2. Say where the new publications are from.
    with open(project / "sources" / "sources.yml", "a") as catalogue:
        catalogue.write(CATALOGUE_ENTRIES)
    # 3. One layout per file.
    (project / "sources" / "layouts" / "icb_allocations" / f"{NEW_ID}.yml").write_text(ALLOCATIONS_LAYOUT)
    (project / "sources" / "layouts" / "icb_weighted_population" / f"{NEW_ID}.yml").write_text(PRACTICES_LAYOUT)
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
    assert new.core_recurrent_allocation_gbp_k == pytest.approx(last.core_recurrent_allocation_gbp_k * MONEY)
    assert new.running_cost_allowance_gbp_k == pytest.approx(last.running_cost_allowance_gbp_k * MONEY)
    assert new[["core_dft_pre_convergence_frac", "core_dft_post_convergence_frac"]].isna().all()  # not published
    weighted = data.load("icb_weighted_population", project / "data").set_index(["year", "icb_code"])
    assert weighted.loc[(NEW, "QE1"), "core_weighted_persons"] == pytest.approx(
        weighted.loc[(LAST, "QE1"), "core_weighted_persons"] * PEOPLE)
    assert weighted.xs(NEW)["health_inequalities_weighted_persons"].isna().all()
    package = {r["name"]: r for r in json.loads((project / "data" / data.DATAPACKAGE).read_text())["resources"]}
    cited = {s["id"]: s.get("years") for s in package["icb_allocations"]["sources"]}
    assert cited[f"nhse_allocations_{TOKEN}"] == [NEW]

    # 5. Add the edition, current; archive the one that was.
    register = project / "editions.yml"
    register.write_text(register.read_text().replace("status: current", "status: archived") + NEW_ENTRY)
    # 6. Run `sots build`: it builds the new edition and publishes it beside the others. (With the checkout's
    # execution cache, to save time: the code is the same, and an entry is used only if its reads are unchanged.)
    done = sots("build", "--cache", str(CACHE), cwd=project)
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
    # byte-identical to the build before it (but for the commit, which the copy does not know).
    done = sots("build", "--edition", archived.id, "--out", str(tmp_path / "rebuilt"), "--cache", str(CACHE),
                cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    for page in ("results.json", "book/intro.html", *chapter_pages()):
        assert (tmp_path / "rebuilt" / archived.id / page).read_bytes() == as_built_in_the_copy(
            built_site / archived.id / page, built_site), page
    assert NEW not in page_text(tmp_path / "rebuilt" / archived.id / "notebooks" / "funding_per_head.html")

    # 7. Record the new edition's golden values; from then on `sots check` holds the edition to them.
    done = sots("check", "--edition", NEW_ID, "--update", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "tests" / "golden" / NEW_ID / "QE1.json").is_file()
    done = sots("check", "--edition", NEW_ID, cwd=project)
    assert done.returncode == 0 and "figures match" in done.stdout, done.stdout + done.stderr

    # No code changed on the way.
    assert {p: snapshot(project / p) for p in ("src", "notebooks")} == code_before
