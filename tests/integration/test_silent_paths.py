"""Every path by which a bad input once reached the book, or lost data, with a green exit: each now ends in one
`error:` line naming the file, column or field and line, a non-zero exit, no traceback, and `data/` and the published
site byte-identical to before.

The commands run in this process (`helpers.cli`), except where a process must be killed part-way. Each test works on
a copy of the project and a small published site, so nothing here touches the repository.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pandas as pd
import pytest

from helpers import CURRENT, EDITIONS, RAW, assert_refused, cli, copy_project, snapshot, sots_exe, upstream
from sots import geography, prepare

pytestmark = pytest.mark.integration

PRACTICES_2324 = "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2023_24.csv"
PRACTICES_2425 = "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2024_25.csv"
ALLOCATIONS = "nhse_icb_allocations_2023_24_to_2024_25/nhse_icb_allocations_2023_24_to_2024_25_v1.2.xlsx"
CORE_2324 = "ICB Core Allocations 2023-24"
NCC_2324 = "nhse_national_cost_collection/ncc_national_schedule_2023_24_by_department_currency.csv"
RATES = "su_hmhc_2018snpp_activity/activity_rates_per_person_2022_by_age_sex_icbs_lsc.csv"
PUBLISHED = "published_figures/figures.csv"


@pytest.fixture
def project(tmp_path):
    """A copy of the project (its data/, notebooks, registers) and a published site beside it."""
    root = copy_project(tmp_path / "project")
    site = root / "_build" / "site"
    for edition in EDITIONS:
        (site / edition).mkdir(parents=True)
        (site / edition / "index.html").write_text(f"<p>the published {edition} edition</p>\n")
    (site / "switcher.json").write_text("[]\n")
    (site / "index.html").write_text("<p>front page</p>\n")
    return root


class Unchanged:
    """Snapshots of the project's data/ and site, to compare after a refused command."""

    def __init__(self, root):
        self.root = root
        self.before = self.now()

    def now(self):
        return {name: snapshot(self.root / name) for name in ("data", "_build/site")}

    def check(self):
        assert self.now() == self.before
        assert not list((self.root / "_build").glob(".sots-staging-*")), "a staging folder is left"
        assert not list((self.root / "data").glob(prepare.SCRATCH_PREFIX + "*")), "a scratch folder is left"


def edit_csv(path, change):
    """Rewrite a publisher's CSV (all cells as text) through ``change(frame)``."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(path, index=False)


# --- Accepted raw values that changed results ---------------------------------------------------------------------


@pytest.mark.parametrize("relative, column, bad, expected", [
    (PRACTICES_2324, "G&A WP", "-5000", "expected a number from 0 to 100,000,000, got '-5000'"),
    (NCC_2324, "cost", "-2500000", "expected a number from 0 to 200,000,000,000, got '-2500000'"),
], ids=["negative-practice-population", "negative-cost"])
def test_prepare_refuses_an_impossible_raw_value_naming_its_file_column_and_line(
        project, tmp_path, relative, column, bad, expected):
    raw = upstream(tmp_path / "raw", relative)
    path = raw / relative
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(frame.index[frame[column].str.strip() != ""][0])  # a row with a value (NCC suppresses some)
    edit_csv(path, lambda f: f.__setitem__(column, f[column].where(f.index != row, bad)))
    unchanged = Unchanged(project)
    assert_refused(cli("prepare", "--raw", str(raw), cwd=project),
                   f"{path}: column '{column}', line {row + 2}: {expected}")
    unchanged.check()


def _set_cell(path, sheet, row, header, value):
    """Write ``value`` in the workbook's column under ``header`` (white space ignored) on sheet row ``row``."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    cells = book[sheet][3]  # the allocation sheets' header row
    column = next(c.column_letter for c in cells if " ".join(str(c.value).split()) == header)
    book[sheet][f"{column}{row}"] = value
    book.save(path)


@pytest.mark.parametrize("header, bad, expected", [
    ("2023/24 Total allocation (£k)", 1e300, "expected a number from 0 to 200,000,000, got 1e+300"),
    ("2023/24 Recurrent allocation (£k)", "inf", "expected a finite number, got 'inf'"),
], ids=["allocation-1e300", "allocation-inf"])
def test_prepare_refuses_an_impossible_value_in_the_allocations_workbook_naming_its_sheet_header_and_row(
        project, tmp_path, header, bad, expected):
    raw = upstream(tmp_path / "raw", ALLOCATIONS)
    _set_cell(raw / ALLOCATIONS, CORE_2324, 5, header, bad)
    unchanged = Unchanged(project)
    assert_refused(cli("prepare", "--raw", str(raw), cwd=project),
                   f"{raw / ALLOCATIONS}, sheet '{CORE_2324}': column '{header}', line 5: {expected}")
    unchanged.check()


def test_prepare_refuses_a_file_cut_mid_field(project, tmp_path):
    """A copy cut short in its last number used to be read as a valid, shorter number."""
    raw = upstream(tmp_path / "raw", PRACTICES_2324)
    path = raw / PRACTICES_2324
    text = path.read_text()
    path.write_text(text[: text.rindex(",") - 3])  # inside the last row's second last field
    unchanged = Unchanged(project)
    assert_refused(cli("prepare", "--raw", str(raw), cwd=project),
                   f"{path}: line {text.count(chr(10))}: expected a line break at the end of the file, got none")
    unchanged.check()


def test_prepare_refuses_an_unknown_icb_code_used_in_every_file(project, tmp_path):
    import openpyxl

    files = (ALLOCATIONS, PRACTICES_2324, PRACTICES_2425)
    raw = upstream(tmp_path / "raw", *files)
    for relative in files[1:]:
        (raw / relative).write_text((raw / relative).read_text().replace(",QE1,", ",QZZ,"))
    book = openpyxl.load_workbook(raw / ALLOCATIONS)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.value = "QZZ" if cell.value == "QE1" else cell.value
    book.save(raw / ALLOCATIONS)
    line = next(r for r in range(1, 60) if book[CORE_2324][f"C{r}"].value == "QZZ")
    unchanged = Unchanged(project)
    assert_refused(cli("prepare", "--raw", str(raw), cwd=project),
                   f"{raw / ALLOCATIONS}, sheet '{CORE_2324}': column 'ICB23', line {line}: expected one of the 42 "
                   "ICB codes", "got 'QZZ'; the ICB it names, NHS Lancashire and South Cumbria ICB, is QE1")
    unchanged.check()


def test_prepare_names_a_bad_rate_by_the_publishers_column_and_line(project, tmp_path):
    """The activity rates are filtered and stacked before the prepared table is checked: the error must still name the
    raw file's rate_f and its line, not the prepared table's rate and row."""
    raw = upstream(tmp_path / "raw", RATES)
    path = raw / RATES
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = 99  # raw line 101
    assert frame.loc[row, "area_code"] == geography.BLACKBURN_WITH_DARWEN  # a row the book uses, after rows it drops
    edit_csv(path, lambda f: f.__setitem__("rate_f", f["rate_f"].where(f.index != row, "-0.3")))
    unchanged = Unchanged(project)
    assert_refused(cli("prepare", "--raw", str(raw), cwd=project),
                   f"{path}: column 'rate_f', line 101: expected a number from 0 to 400, got '-0.3'")
    unchanged.check()


def test_prepare_refuses_an_empty_raw_file_in_one_line(project, tmp_path):
    raw = upstream(tmp_path / "raw", PUBLISHED)
    (raw / PUBLISHED).write_text("")
    unchanged = Unchanged(project)
    assert_refused(cli("prepare", "--raw", str(raw), cwd=project), f"{raw / PUBLISHED}: the file is empty")
    unchanged.check()


# --- Data lost or corrupted ---------------------------------------------------------------------------------------


def test_prepare_killed_part_way_leaves_every_table_whole_and_the_next_run_cleans_up(project, tmp_path):
    """Killed while writing its tables, prepare used to leave a table cut to a few per cent of its rows that still
    passed its schema. Now every table is written to a scratch folder first and renamed into place only when all are
    written: the kill leaves data/ as it was, and the next run removes the scratch folder."""
    data = project / "data"
    before = snapshot(data)
    runner = subprocess.Popen([sots_exe(), "prepare", "--raw", str(RAW)], cwd=project, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(data.glob(f"{prepare.SCRATCH_PREFIX}*/*.csv")):  # it is writing tables
        assert runner.poll() is None and time.monotonic() < deadline, "prepare ended before it wrote a table"
        time.sleep(0.005)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    (left,) = data.glob(f"{prepare.SCRATCH_PREFIX}*")
    assert {k: v for k, v in snapshot(data).items() if not k.startswith(left.name)} == before
    assert cli("prepare", "--verify", cwd=project).exit_code == 0

    done = cli("prepare", "--raw", str(RAW), cwd=project)
    assert done.exit_code == 0, done.stderr
    assert not left.exists() and snapshot(data) == before


# --- Wrong tables, registers and assumptions refused before any work ----------------------------------------------


def test_build_refuses_a_table_edited_by_hand(project):
    """A hand-edited allocations table used to be published: the focal ICB's funding per head moved to rank 1."""
    table = project / "data" / "icb_allocations.csv"
    edit_csv(table, lambda f: f.__setitem__(
        "core_recurrent_allocation_gbp_k", f["core_recurrent_allocation_gbp_k"].where(
            f["icb_code"] != "QE1", (f["core_recurrent_allocation_gbp_k"].astype(float) * 1.5).astype(str))))
    unchanged = Unchanged(project)
    result = cli("build", "--all-editions", cwd=project)
    assert_refused(result, f"{table}: sha256 is sha256:", "(from datapackage.json): the table has changed since "
                   "`sots prepare` wrote it")
    assert "building edition" not in result.stdout
    unchanged.check()


@pytest.mark.parametrize("damage, expected", [
    (lambda text: text[: len(text) // 2], "datapackage.json: not valid JSON"),
    (lambda text: text.replace('"hash"', '"hash_"', 1), "datapackage.json: resource 1: missing field 'hash'"),
], ids=["truncated", "incomplete"])
def test_a_malformed_or_incomplete_data_package_is_one_line_for_build_and_verify(project, damage, expected):
    package = project / "data" / "datapackage.json"
    package.write_text(damage(package.read_text()))
    unchanged = Unchanged(project)
    assert_refused(cli("build", cwd=project), expected)
    assert_refused(cli("prepare", "--verify", cwd=project), expected)
    unchanged.check()


@pytest.mark.parametrize("param, expected", [
    ("non_demographic_growth_pa_pct=nan", "parameter 'non_demographic_growth_pa_pct': expected a finite float like "
                                          "its default 0.0 in budget.ipynb, got 'nan'"),
    ("runs=0", "parameter 'runs': expected a number from 1 to 100,000 (Monte Carlo runs), got 0"),
    ("runs=-5", "parameter 'runs': expected a number from 1 to 100,000 (Monte Carlo runs), got -5"),
    ("variant=v12", "parameter 'variant': expected one of v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11"),
])
def test_an_override_outside_its_range_stops_the_build_before_any_work(project, param, expected):
    unchanged = Unchanged(project)
    result = cli("build", "-p", param, cwd=project)
    assert_refused(result, expected)
    assert "building edition" not in result.stdout
    unchanged.check()


@pytest.mark.parametrize("field, value, expected", [
    ("projection_vintage", "2020-based", "field 'inputs.projection_vintage': no 2020-based rows in the prepared table "
                                         "'population_projection' (vintages present: 2018-based;"),
    ("outturn_year", "2030/31", "field 'inputs.outturn_year': no 2030/31 rows in the prepared table 'icb_allocations'"),
])
def test_an_edition_year_the_data_lack_stops_the_build_before_any_work(project, field, value, expected):
    register = project / "editions.yml"
    text = register.read_text()
    before, entry = text.split(f'id: "{CURRENT}"')  # the current edition's entry
    head, line, tail = entry.partition(f"      {field}: ")
    register.write_text(before + f'id: "{CURRENT}"' + head + line + f'"{value}"' + tail[tail.index("\n"):])
    assert f'{field}: "{value}"' in register.read_text()
    unchanged = Unchanged(project)
    result = cli("build", "--all-editions", cwd=project)
    assert_refused(result, f"editions.yml: edition '{CURRENT}', " + expected)
    assert "building edition" not in result.stdout
    unchanged.check()


def test_a_malformed_claims_register_is_named_before_any_notebook_runs(project):
    register = project / "claims.yml"
    register.write_text(register.read_text().replace("    tolerance: 0.5\n", "    tolerance: half\n", 1))
    unchanged = Unchanged(project)
    result = cli("build", cwd=project)
    line = assert_refused(result, f"{register}: claim F2: field 'tolerance':")
    assert "staging" not in line and "building edition" not in result.stdout
    unchanged.check()


def test_out_pointing_at_a_file_is_refused_before_any_work(project):
    target = project / "site.txt"
    target.write_text("not a folder\n")
    unchanged = Unchanged(project)
    result = cli("build", "--out", str(target), cwd=project)
    assert_refused(result, f"{target}: expected a folder for the site (--out), got a file")
    assert "building edition" not in result.stdout and target.read_text() == "not a folder\n"
    unchanged.check()


def test_a_corrupt_results_file_is_one_line_in_sots_check(project):
    results = project / "_build" / "site" / CURRENT / "results.json"  # `sots check` checks the current edition
    results.write_text('{"core_allocation_per_head_gbp": {"value": 19')
    assert_refused(cli("check", cwd=project), f"_build/site/{CURRENT}/results.json: not valid JSON",
                   f"rebuild the edition: `sots build --edition {CURRENT}`")


# --- After the notebooks: a claim naming a figure no chapter records ----------------------------------------------


def test_a_misspelt_figure_in_the_claims_register_stops_the_build_before_publishing(project):
    """A typo in a claim's figure id used to turn a reproduced claim into "stated only", silently. Every figure a claim
    names must now be recorded by a chapter, with a value or as not computed with its reason. To keep the test quick
    the book is cut to the chapter of the first claim, F1, whose first figure is misspelt."""
    register = project / "claims.yml"
    text = register.read_text()
    register.write_text(text.replace("figures: [acute_cost_per_ga_weighted_head_rank,",
                                     "figures: [acute_cost_per_ga_weighted_head_rnk,"))
    toc = project / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/acute_spend\n")
    unchanged = Unchanged(project)
    result = cli("build", "--edition", "2023-24", cwd=project)
    assert_refused(result, "claims.yml: claim F1, field 'figures': expected a figure a chapter records, got "
                   "'acute_cost_per_ga_weighted_head_rnk', which no chapter records or declares not computed; did you "
                   "mean 'acute_cost_per_ga_weighted_head_rank'?")
    assert re.search(r"\[1/1\] 2023-24 QE1 acute_spend (\d|from the cache)", result.stdout), result.stdout
    assert " built in " not in result.stdout and "published" not in result.stdout
    unchanged.check()


def test_a_killed_build_leaves_the_site_intact_and_the_next_build_removes_its_staging(project):
    site = project / "_build" / "site"
    before = snapshot(site)
    runner = subprocess.Popen([sots_exe(), "build", "--edition", CURRENT], cwd=project, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in runner.stdout:  # killed once the first chapter has run, in the middle of the build
        if line.startswith("[1/"):
            break
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    (left,) = (project / "_build").glob(".sots-staging-*")
    assert snapshot(site) == before

    result = cli("build", "-p", "runs=0", cwd=project)  # the next build, even one that stops early, cleans up
    assert f"removed {left}, left by a build that was stopped" in result.stdout
    assert not left.exists() and snapshot(site) == before
