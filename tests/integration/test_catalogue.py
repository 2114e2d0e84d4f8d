"""The catalogue of bad input and failures: every way we know a user can feed `sots` something wrong, or stop it
half-way, each a case here.

Each case asserts three things:
- one `error:` line naming the file, the column or field, the row or key where there is one, and what was expected
  (a failing notebook adds its cell below the line), which the README's Troubleshooting table lists
  (`helpers.assert_refused` checks both);
- a non-zero exit with no traceback (a traceback comes only with `sots --debug`);
- `data/` and the published site byte-identical to before, with no staging or scratch folder left (`Unchanged`).

The commands run in this process (`helpers.cli`), except where a process must be stopped part-way or a traceback
looked for. Each test works on a copy of the project with a small published site, so nothing here touches the
repository; the raw-source cases read a copy of the upstream whose files are links to the real ones, except the one a
case damages. :data:`catalogue.CASES` lists every case's id; to add one, give it an id with
:func:`catalogue.cases` or :func:`catalogue.case`, here or in a module of its own (test_catalogue_<topic>.py).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from catalogue import CASES, Unchanged, case, cases, refused

from helpers import (
    CACHE,
    CURRENT,
    DATA,
    EDITIONS,
    RAW,
    ROOT,
    assert_refused,
    cli,
    copy_project,
    rehash,
    snapshot,
    sots,
    sots_exe,
    troubleshooting_row,
    upstream,
    upstream_copy,
)
from sots.errors import InputError
from sots.inputs import geography, prepare
from sots.site import publish

pytestmark = pytest.mark.integration

ALLOCATIONS = "nhse_icb_allocations_2023_24_to_2024_25/nhse_icb_allocations_2023_24_to_2024_25_v1.2.xlsx"
CORE_2324 = "ICB Core Allocations 2023-24"
PMC_2324 = "PMC Allocations 2023-24"
PRACTICES_2324 = "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2023_24.csv"
PRACTICES_2425 = "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2024_25.csv"
AREA_CODES = prepare.AREA_CODES
PROJECTION = prepare.SNPP_PRINCIPAL
NCC_2324 = "nhse_national_cost_collection/ncc_national_schedule_2023_24_by_department_currency.csv"
RATES = prepare.ACTIVITY_RATES

def edit_csv(path, change, **to_csv):
    """Rewrite a publisher's CSV (all cells as text) as ``change(frame)`` returns it."""
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False, **to_csv)


def a_row_with(path, column):
    """The index of the first row of a CSV with a value in ``column`` (line index + 2)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return int(frame.index[frame[column].str.strip() != ""][0])


def set_cell(frame, column, row, value):
    frame.loc[row, column] = value
    return frame


def edit_book(path, change):
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def header_column(sheet, header, row=3):
    """The column number under ``header`` (white space ignored) on the allocation sheets' header row."""
    return next(c.column for c in sheet[row] if " ".join(str(c.value).split()) == header)


def test_the_catalogue_holds_at_least_30_distinct_cases():
    assert len(CASES) == len(set(CASES)), [c for c in CASES if CASES.count(c) > 1]
    assert len(CASES) >= 30, len(CASES)


# --- Parameters and the command line ------------------------------------------------------------------------------


@cases("args, expected", [
    pytest.param(["build", "--icb", "QE2"], ["unknown ICB 'QE2': expected one of the 42 ICB codes (ODS or GSS) or "
                                              "names; did you mean QE1 (Lancashire and South Cumbria)"],
                 id="unknown-icb-suggests-the-closest"),
    pytest.param(["build", "--edition", "2030-31"], ["unknown edition '2030-31': expected one of the editions in "
                                                     f"editions.yml ({', '.join(EDITIONS)})"], id="unknown-edition"),
    pytest.param(["build", "-p", "runs"], ["-p 'runs': expected NAME=VALUE, e.g. -p base_year=2022"],
                 id="parameter-without-a-value"),
    pytest.param(["build", "-p", "colour=red"], ["parameter 'colour': no chapter declares it (chapters take: "],
                 id="parameter-no-chapter-declares"),
    pytest.param(["build", "-p", "non_demographic_growth_pa_pct=nan"],
                 ["parameter 'non_demographic_growth_pa_pct': expected a finite float like its default 0.0 in "
                  "budget.ipynb, got 'nan'"], id="parameter-nan"),
    pytest.param(["build", "-p", "runs=0"], ["parameter 'runs': expected a number from 1 to 100,000 (Monte Carlo "
                                             "runs), got 0"], id="parameter-out-of-range"),
    pytest.param(["build", "-p", "variant=v12"], ["parameter 'variant': expected one of v1, v2, v3, v4, v5, v6, v7, "
                                                  "v8, v9, v10, v11"], id="parameter-not-a-choice"),
    pytest.param(["build", "-j", "0"], ["-j: expected a whole number of parallel jobs, 1 or more, got 0"],
                 id="jobs-zero"),
    pytest.param(["prepare", "--raw", "no-such-folder"], ["no-such-folder: folder not found (expected the upstream "
                                                          "raw data; pass --raw DIR)"], id="raw-folder-not-found"),
])
def test_a_wrong_argument_is_refused_before_any_work(project, args, expected):
    refused(project, *args, expected=expected)


@case("parameter-injection-stays-a-string")
def test_a_parameter_that_looks_like_code_stays_a_string(project, tmp_path):
    """papermill writes each parameter into the notebook as a Python literal: a value written to break out of its
    quotes is, in the kernel, the same string, and runs nothing. Through the command line, such a value is refused
    before any notebook sees it."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from sots.inputs import editions
    from sots.site.pipeline import Parameters

    witness = tmp_path / "pwned"
    payload = f'"); import os; os.system("touch {witness}"); ("\'\'\'\\'
    edition = editions.current(editions.load(project / editions.EDITIONS_FILE))
    values = Parameters(edition, payload, tmp_path / payload).for_notebook(tmp_path, tmp_path / f"{payload}.json")
    values |= {"variant": payload, "build": payload}
    nb = parameterize_notebook(load_notebook_node(str(project / "notebooks" / "ageing.ipynb")), values)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    exec(injected.source, namespace)  # what the kernel runs
    assert not witness.exists()
    assert {name: namespace[name] for name in values} == values
    assert namespace["icb"] == payload and namespace["variant"] == payload

    refused(project, "build", "-p", f"variant={payload}", expected=["parameter 'variant': expected one of v1"])
    refused(project, "build", "--icb", payload, expected=[f"unknown ICB '{payload}'"])
    assert not witness.exists()


@cases("register, damage, expected", [
    pytest.param("editions.yml", lambda t: t.replace("editions:", "editions: [", 1),
                 ["editions.yml, line ", ": not valid YAML ("], id="editions-not-yaml"),
    pytest.param("editions.yml", lambda t: t.replace("status: archived", "status: old", 1),
                 ["editions.yml: edition 1 ('2023-24'), field 'status': expected current or archived, got 'old'"],
                 id="editions-bad-status"),
    pytest.param("claims.yml", lambda t: t.replace("tolerance:", "tolerance: [", 1),
                 ["claims.yml, line ", ": not valid YAML ("], id="claims-not-yaml"),
    pytest.param("claims.yml", lambda t: t.replace("    tolerance: 0.5\n", "    tolerance: half\n", 1),
                 ["claims.yml: claim F2: field 'tolerance':"], id="claims-bad-tolerance"),
    pytest.param("claims.yml", lambda t: t.replace("    reason: The published outturn, which the report rounds.",
                                                   "    reason: The published outturn, £240.7m, rounded.", 1),
                 ["claims.yml: claim F2: field 'reason': expected one line of up to 120 characters quoting no amount"],
                 id="claims-reason-quotes-an-amount"),
    pytest.param("claims.yml", lambda t: t.replace("  edition: 2023-24\n", "  edition: 2022-23\n", 1),
                 [f"claims.yml: report: field 'edition': expected an edition of editions.yml ({', '.join(EDITIONS)}), "
                  "got '2022-23'"], id="claims-report-edition-unknown"),
])
def test_a_malformed_register_is_named_before_any_notebook_runs(project, register, damage, expected):
    path = project / register
    damaged = damage(path.read_text())
    assert damaged != path.read_text()
    path.write_text(damaged)
    line = refused(project, "build", expected=expected)
    assert "staging" not in line


@cases("field, value, expected", [
    pytest.param("allocation_year", "2030/31", "field 'inputs.allocation_year': no 2030/31 rows in the prepared table "
                 "'icb_allocations' (years present: "  # the committed table's, however many years it holds
                 f"{', '.join(sorted(pd.read_csv(DATA / 'icb_allocations.csv', dtype=str)['year'].unique()))};",
                 id="edition-allocation-year-not-prepared"),
    pytest.param("projection_vintage", "2020-based", "field 'inputs.projection_vintage': no 2020-based rows in the "
                 "prepared table 'population_projection' (vintages present: 2018-based;",
                 id="edition-projection-vintage-not-prepared"),
    pytest.param("outturn_year", "2030/31", "field 'inputs.outturn_year': no 2030/31 rows in the prepared table "
                 "'icb_allocations'", id="edition-outturn-year-not-prepared"),
])
def test_an_edition_year_the_data_lack_stops_the_build_before_any_work(project, field, value, expected):
    register = project / "editions.yml"
    text = register.read_text()
    before, entry = text.split(f'id: "{CURRENT}"')  # the current edition's entry
    head, line, tail = entry.partition(f"      {field}: ")
    register.write_text(before + f'id: "{CURRENT}"' + head + line + f'"{value}"' + tail[tail.index("\n"):])
    assert f'{field}: "{value}"' in register.read_text()
    refused(project, "build", "--all-editions", expected=[f"editions.yml: edition '{CURRENT}', " + expected])


@case("out-is-a-file")
def test_out_pointing_at_a_file_is_refused_before_any_work(project):
    target = project / "site.txt"
    target.write_text("not a folder\n")
    refused(project, "build", "--out", str(target),
            expected=[f"{target}: expected a folder for the site (--out), got a file"])
    assert target.read_text() == "not a folder\n"


@pytest.fixture
def unwritable(tmp_path):
    """A folder nothing can be made in: a read-only one, or, as root (whom permissions do not stop, as in CI), /sys."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@cases("command, option", [
    pytest.param("build", "--out", id="site-folder-not-writable"),
    pytest.param("prepare", "--data", id="data-folder-not-writable"),
])
def test_a_folder_that_cannot_be_written_is_refused_before_any_work(project, unwritable, command, option):
    target = unwritable / "target"
    what = "the site (--out)" if command == "build" else "the prepared tables (--data)"
    folder = target.parent if command == "build" else target
    extra = ["--raw", str(RAW)] if command == "prepare" else []
    line = refused(project, command, option, str(target), *extra, expected=[
        f"{folder}: cannot write here (", f"); expected a folder this user can write to, for {what}"])
    assert not target.exists(), line


@case("debug-shows-the-traceback")
def test_debug_shows_the_traceback_and_without_it_there_is_none(project):
    """In a real process: a refused command prints one line and no traceback; with --debug, the traceback."""
    plain = subprocess.run([sots_exe(), "build", "--icb", "QE2"], cwd=project, capture_output=True, text=True)
    assert plain.returncode == 1 and plain.stderr.startswith("error: unknown ICB 'QE2'")
    assert "Traceback" not in plain.stderr and plain.stderr.count("\n") == 1
    debug = subprocess.run([sots_exe(), "--debug", "build", "--icb", "QE2"], cwd=project, capture_output=True,
                           text=True)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "InputError" in debug.stderr
    in_process = cli("--debug", "build", "--icb", "QE2", cwd=project)
    assert isinstance(in_process.exception, InputError)


@case("unexpected-error-one-line")
def test_an_unexpected_error_is_one_line_naming_it_with_how_to_see_more(project, monkeypatch):
    """A bug (here a KeyError from deep inside) is not a bad input, but the user still gets one line, exit 2, and
    how to get the traceback for a report."""
    from sots.inputs import data

    def broken(*args, **kwargs):
        raise KeyError("icb_code")

    monkeypatch.setattr(data, "verify", broken)
    unchanged = Unchanged(project)
    result = cli("build", cwd=project)
    assert result.exit_code == 2
    assert_refused(result, "unexpected KeyError: 'icb_code' (a bug in sots; run `sots --debug ...` for the "
                   "traceback and report it)")
    unchanged.check()


@case("check-corrupt-results")
def test_a_corrupt_results_file_is_one_line_in_sots_check(project):
    results = project / "_build" / "site" / CURRENT / "results.json"  # `sots check` checks the current edition
    results.write_text('{"core_allocation_per_head_gbp": {"value": 19')
    refused(project, "check", expected=[f"_build/site/{CURRENT}/results.json: not valid JSON",
                                        f"rebuild the edition: `sots build --edition {CURRENT}`"])


# --- Raw sources: `sots prepare` ----------------------------------------------------------------------------------
# Each damages one file of a copy of the upstream and returns what the error must say; prepare reads the sources in a
# fixed order, and the cases damage files read early where they can, so each stops within a second or two.


def missing_file(path):
    path.unlink()
    return [f"{path}: file not found"]


def renamed_column(path):
    edit_csv(path, lambda f: f.rename(columns={"area_type": "type"}))
    return [f"{path}: missing column 'area_type' (expected columns ['area_code', 'area_name', 'area_type'])"]


def renamed_sheet_header(path):
    header = "2023/24 Recurrent allocation (£k)"
    edit_book(path, lambda b: b[CORE_2324].cell(3, header_column(b[CORE_2324], header), "2023/24 Allocation (£000)"))
    return [f"{path}, sheet '{CORE_2324}': no column '{header}' (the layout ", "the file's headers on row 3 are [",
            "'2023/24 Allocation (£000)'"]


def moved_header_row(path):
    edit_book(path, lambda b: b[CORE_2324].insert_rows(1))  # a title line added above the headers
    return [f"{path}, sheet '{CORE_2324}': no column 'ICB23'", "'ICB23' is on row 4: if the header row moved, set "
            "the layout's header_row to 4"]


def renamed_sheet(path):
    def rename(book):
        book[PMC_2324].title = "PMC 2023-24"
    edit_book(path, rename)
    return [f"{path}: no sheet '{PMC_2324}' (the workbook has [", "'PMC 2023-24'"]


def not_a_workbook(path):
    path.write_text("icb_code,allocation\nQE1,1\n")
    return [f"{path}: cannot be read as an Excel workbook ("]


def duplicated_key(path):
    def twice(book):
        sheet = book[CORE_2324]
        column = header_column(sheet, "ICB23")
        sheet.cell(6, column, sheet.cell(5, column).value)
    edit_book(path, twice)
    code = openpyxl.load_workbook(path, read_only=True)[CORE_2324].cell(5, 3).value
    return [f"{path}, sheet '{CORE_2324}': column 'ICB23' {code} is on lines 5 and 6 (expected one row each)"]


def text_in_a_number(path):
    row = a_row_with(path, "G&A WP")
    edit_csv(path, lambda f: set_cell(f, "G&A WP", row, "n/a"))
    return [f"{path}: column 'G&A WP', line {row + 2}: expected a number, got 'n/a'"]


def negative_population(path):
    row = a_row_with(path, "G&A WP")
    edit_csv(path, lambda f: set_cell(f, "G&A WP", row, "-5000"))
    return [f"{path}: column 'G&A WP', line {row + 2}: expected a number from 0 to 100,000,000, got '-5000'"]


def negative_cost(path):
    row = a_row_with(path, "cost")  # a row with a value (the schedule suppresses some)
    edit_csv(path, lambda f: set_cell(f, "cost", row, "-2500000"))
    return [f"{path}: column 'cost', line {row + 2}: expected a number from 0 to 200,000,000,000, got '-2500000'"]


def rate_out_of_bounds(path):
    """The rates are filtered and stacked before the prepared table is checked: the error must still name the raw
    file's rate_f and its line, not the prepared table's rate and row."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = 99  # raw line 101
    assert frame.loc[row, "area_code"] == geography.BLACKBURN_WITH_DARWEN  # a row the book uses, after rows it drops
    edit_csv(path, lambda f: set_cell(f, "rate_f", row, "-0.3"))
    return [f"{path}: column 'rate_f', line 101: expected a number from 0 to 400, got '-0.3'"]


def not_utf8(path):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    text_column = next(c for c in frame.columns if not frame[c].str.fullmatch(r"[\d.,-]*").all() and c != "ICS22")
    edit_csv(path, lambda f: set_cell(f, text_column, 10, f.loc[10, text_column] + " £"), encoding="latin-1")
    return [f"{path}: line 12: expected UTF-8 text, got the byte 0xa3 (save the file as UTF-8 CSV)"]


def empty(path):
    path.write_text("")
    return [f"{path}: the file is empty"]


def cut_mid_field(path):
    """A copy cut short in its last number used to be read as a valid, shorter number."""
    text = path.read_text()
    path.write_text(text[: text.rindex(",") - 3])  # inside the last row's second last field
    return [f"{path}: line {text.count(chr(10))}: expected a line break at the end of the file, got none"]


def row_lost_cells(path):
    lines = path.read_text().splitlines(keepends=True)
    fields = lines[0].count(",") + 1
    lines[20] = ",".join(lines[20].split(",")[:-3]) + "\n"  # a row half-copied, in the middle of the file
    path.write_text("".join(lines))
    return [f"{path}: line 21: expected {fields} fields, as the header names, got {fields - 3}: the row is incomplete"]


def blank_key(path):
    edit_csv(path, lambda f: set_cell(f, "ICS22", 10, ""))
    return [f"{path}: column 'ICS22', line 12: expected one of the 42 ICB codes (NHS ODS, July 2022 boundaries), "
            "got ''"]


def unknown_icb_code(path):
    edit_csv(path, lambda f: f.assign(ICS22=f["ICS22"].replace("QE1", "QZZ")))
    row = pd.read_csv(path, dtype=str)["ICS22"].eq("QZZ").idxmax()
    return [f"{path}: column 'ICS22', line {row + 2}: expected one of the 42 ICB codes", "got 'QZZ'"]


def icb_left_out(path):
    edit_csv(path, lambda f: f[f["ICS22"] != "QHM"])
    return [f"{path}: 2023/24 has rows for 41 ICBs, expected all 42 (NHS ODS, July 2022 boundaries): none for QHM"]


def practice_twice(path):
    edit_csv(path, lambda f: pd.concat([f, f.iloc[[10]]]))
    code = pd.read_csv(path, dtype=str)["ICS22"][10]
    return [f"{code} 2023/24: registered population ", f"(practices, {PRACTICES_2324}) against ",
            "expected within 1.0 person (is a practice in twice, or left out?)"]


def year_out_of_range(path):
    text = path.read_text()
    header, rest = text.split("\n", 1)
    path.write_text(header.replace(",2043", ",2150") + "\n" + rest)
    return [f"{path}: column '2150': expected a mid-year header, a number from "]


def allocation_huge(path):
    edit_book(path, lambda b: b[CORE_2324].cell(5, header_column(b[CORE_2324], "2023/24 Total allocation (£k)"), 1e300))
    return [f"{path}, sheet '{CORE_2324}': column '2023/24 Total allocation (£k)', line 5: expected a number from 0 to "
            "200,000,000, got 1e+300"]


def allocation_infinite(path):
    header = "2023/24 Recurrent allocation (£k)"
    edit_book(path, lambda b: b[CORE_2324].cell(5, header_column(b[CORE_2324], header), "inf"))
    return [f"{path}, sheet '{CORE_2324}': column '{header}', line 5: expected a finite number, got 'inf'"]


@cases("relative, damage", [
    pytest.param(PRACTICES_2425, missing_file, id="raw-file-missing"),
    pytest.param(AREA_CODES, renamed_column, id="raw-column-renamed"),
    pytest.param(ALLOCATIONS, renamed_sheet_header, id="xlsx-header-renamed"),
    pytest.param(ALLOCATIONS, moved_header_row, id="xlsx-header-row-moved"),
    pytest.param(ALLOCATIONS, renamed_sheet, id="xlsx-sheet-renamed"),
    pytest.param(ALLOCATIONS, not_a_workbook, id="xlsx-not-a-workbook"),
    pytest.param(ALLOCATIONS, duplicated_key, id="duplicated-key"),
    pytest.param(PRACTICES_2324, text_in_a_number, id="wrong-dtype"),
    pytest.param(PRACTICES_2324, not_utf8, id="not-utf8"),
    pytest.param(PRACTICES_2425, empty, id="empty-file"),
    pytest.param(PRACTICES_2324, cut_mid_field, id="truncated-mid-field"),
    pytest.param(PRACTICES_2324, row_lost_cells, id="row-with-cells-missing"),
    pytest.param(PRACTICES_2324, blank_key, id="blank-key"),
    pytest.param(PRACTICES_2324, unknown_icb_code, id="unknown-icb-code"),
    pytest.param(PRACTICES_2324, icb_left_out, id="icb-count-not-42"),
    pytest.param(PRACTICES_2324, practice_twice, id="sources-disagree-on-population"),
    pytest.param(PRACTICES_2324, negative_population, id="negative-population"),
    pytest.param(NCC_2324, negative_cost, id="negative-cost"),
    pytest.param(RATES, rate_out_of_bounds, id="rate-out-of-bounds"),
    pytest.param(PROJECTION, year_out_of_range, id="year-out-of-range"),
    pytest.param(ALLOCATIONS, allocation_huge, id="allocation-1e300"),
    pytest.param(ALLOCATIONS, allocation_infinite, id="allocation-infinite"),
])
def test_prepare_refuses_a_bad_source_naming_its_file_column_and_line(project, tmp_path, relative, damage):
    raw = upstream(tmp_path / "raw", relative)
    expected = damage(raw / relative)
    refused(project, "prepare", "--raw", str(raw), expected=expected)


@case("unknown-icb-code-in-every-file")
def test_prepare_refuses_an_unknown_icb_code_used_in_every_file(project, tmp_path):
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
    refused(project, "prepare", "--raw", str(raw), expected=[
        f"{raw / ALLOCATIONS}, sheet '{CORE_2324}': column 'ICB23', line {line}: expected one of the 42 ICB codes",
        "got 'QZZ'; the ICB it names, NHS Lancashire and South Cumbria ICB, is QE1"])


# --- The prepared tables in data/ ---------------------------------------------------------------------------------


@case("table-edited-by-hand")
def test_a_table_edited_by_hand_is_refused_by_build_and_by_verify(project):
    """A hand-edited allocations table used to be published: the focal ICB's funding per head moved to rank 1."""
    table = project / "data" / "icb_allocations.csv"
    edit_csv(table, lambda f: f.assign(core_recurrent_allocation_gbp_k=f["core_recurrent_allocation_gbp_k"].where(
        f["icb_code"] != "QE1", (f["core_recurrent_allocation_gbp_k"].astype(float) * 1.5).astype(str))))
    expected = [f"{table}: sha256 is sha256:", "(from datapackage.json): the table has changed since `sots prepare` "
                "wrote it"]
    refused(project, "build", "--all-editions", expected=expected)
    refused(project, "prepare", "--verify", expected=[f"{table.relative_to(project)}: sha256 is sha256:"])


@cases("damage, expected", [
    pytest.param(lambda text: text[: len(text) // 2], "datapackage.json: not valid JSON", id="data-package-truncated"),
    pytest.param(lambda text: text.replace('"hash"', '"hash_"', 1), "datapackage.json: resource 1: missing field "
                 "'hash'", id="data-package-incomplete"),
])
def test_a_malformed_or_incomplete_data_package_is_one_line_for_build_and_verify(project, damage, expected):
    package = project / "data" / "datapackage.json"
    package.write_text(damage(package.read_text()))
    refused(project, "build", expected=[expected])
    refused(project, "prepare", "--verify", expected=[expected])


@case("table-missing")
def test_a_missing_table_is_named(project):
    (project / "data" / "areas.csv").unlink()
    refused(project, "build", expected=[f"{project / 'data' / 'areas.csv'}: file not found (listed in "
                                        "datapackage.json)"])


@case("table-fails-its-schema")
def test_a_table_that_fails_its_schema_with_matching_checksums_is_named_by_column_and_line(project):
    """As if a faulty prepare had written it: the checksums pass, the schema does not."""
    table = project / "data" / "icb_allocations.csv"
    lines = table.read_text().splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if ",QH8," in line)
    lines[i] = lines[i].replace(",QH8,", ",Q!!,", 1)  # an ICB code the schema rejects
    table.write_text("".join(lines))
    rehash(project / "data")
    refused(project, "build", "--all-editions", expected=[
        f"icb_allocations.csv: column 'icb_code', line {i + 1}: expected str_matches"])


# --- Failures part-way --------------------------------------------------------------------------------------------


@case("full-disk")
def test_a_full_disk_while_staging_is_one_line_and_publishes_nothing(project, monkeypatch):
    """The disk fills as the build copies its inputs (simulated: the copy raises ENOSPC, as the OS would)."""
    copytree = shutil.copytree

    def full(source, target, *args, **kwargs):
        if ".sots-staging-" in str(target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return copytree(source, target, *args, **kwargs)

    monkeypatch.setattr(shutil, "copytree", full)
    refused(project, "build", expected=["/data: No space left on device"])


@case("notebook-raises-mid-run")
def test_a_notebook_failing_in_the_last_edition_publishes_none(built_site, tmp_path):
    """--all-editions stages every edition before publishing any: the last edition fails in a chapter, and the
    published site (every edition, switcher, front page) stays byte-identical. The error shows the failing cell."""
    *earlier, last = EDITIONS
    project = copy_project(tmp_path / "project")
    notebook = project / "notebooks" / "funding_per_head.ipynb"
    nb = json.loads(notebook.read_text())
    cell = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", []))
    nb["cells"].insert(cell + 1, {
        "cell_type": "code", "execution_count": None, "id": "deliberate-failure", "metadata": {}, "outputs": [],
        "source": [f'if edition == "{last}":\n', '    raise RuntimeError("a failure in the last edition")'],
    })
    notebook.write_text(json.dumps(nb, indent=1))
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    before = snapshot(site)

    done = sots("build", "--all-editions", "--out", str(site), "--cache", str(CACHE), cwd=project)
    assert done.returncode == 1
    for edition in EDITIONS:
        assert f"staged edition {edition}" in done.stdout
    for edition in earlier:  # the changed chapter did not fail for the editions before (it may not have finished)
        assert f"{edition} QE1 funding_per_head:" not in done.stderr
    assert "published" not in done.stdout and "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"error: {last} QE1 funding_per_head: cell") and "RuntimeError: a failure in the last " \
        "edition" in first
    assert 'raise RuntimeError("a failure in the last edition")' in done.stderr  # the failing cell is shown
    assert troubleshooting_row(first.removeprefix("error: ")), first
    assert snapshot(site) == before
    assert not list(tmp_path.glob(".sots-staging-*")), "staging folders are cleaned up"


@case("claims-misspelt-figure")
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
    result = cli("build", "--edition", "2023-24", "--cache", str(CACHE), cwd=project)
    assert_refused(result, "claims.yml: claim F1, field 'figures': expected a figure a chapter records, got "
                   "'acute_cost_per_ga_weighted_head_rnk', which no chapter records or declares not computed; did you "
                   "mean 'acute_cost_per_ga_weighted_head_rank'?")
    assert re.search(r"\[1/1\] 2023-24 QE1 acute_spend (\d|from the cache)", result.stdout), result.stdout
    assert " built in " not in result.stdout and "published" not in result.stdout
    unchanged.check()


@pytest.fixture
def kernel_tmp():
    """A folder for a build's temporary files (TMPDIR), where its kernels' socket folders are made: short, because a
    Unix socket's path may not be longer than about 100 bytes, and pytest's folders are long."""
    folder = Path(tempfile.mkdtemp(prefix="sots-t-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def start_build(cwd, tmp, *more):
    """`sots build` of the current edition (``more``: further options) in its own process group, its temporary files
    in ``tmp``; returns once a worker has begun to start a kernel for a chapter (its sockets' folder is made in
    ``tmp``), in the middle of the build."""
    # SIGINT as a terminal gives it: a shell starts a background job (`make test &`, a CI runner's) with SIGINT
    # ignored, and a child inherits that, so Python would not turn it into KeyboardInterrupt.
    runner = subprocess.Popen([sots_exe(), "build", "--edition", CURRENT, "--no-pdf", *more], cwd=cwd,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": str(tmp)},
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list(tmp.glob("sots-kernel-*")):
        if runner.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the build ended, or ran 120 s, before it started a kernel: {runner.communicate()[1]}")
        time.sleep(0.02)
    return runner


def group_left(group, wait_s=10.0):
    """The command lines of the processes still in process group ``group`` after up to ``wait_s`` seconds (the
    multiprocessing helpers a build starts exit on their own once it has gone, a moment later)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return []
        time.sleep(0.1)
    return [Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in os.listdir("/proc")
            if pid.isdigit() and os.path.exists(f"/proc/{pid}") and os.getpgid(int(pid)) == group]


def assert_stopped_cleanly(runner, tmp, signum):
    _, stderr = runner.communicate(timeout=120)
    assert runner.returncode == 128 + signum, stderr
    assert stderr == f"error: stopped by {signal.Signals(signum).name}; nothing was published and data/ is as it " \
                     "was\n", stderr
    assert troubleshooting_row(stderr.strip().removeprefix("error: "))
    assert not (left := group_left(runner.pid)), f"processes of the build are left running: {left}"
    assert not list(tmp.glob("sots-kernel-*")), "a kernel's sockets are left: is it still running?"


@case("interrupted-by-ctrl-c")
def test_ctrl_c_half_way_stops_the_build_cleanly(project, kernel_tmp):
    """Ctrl-C sends SIGINT to the terminal's whole process group: the build, its workers and their subprocesses."""
    unchanged = Unchanged(project)
    runner = start_build(project, kernel_tmp)
    os.killpg(runner.pid, signal.SIGINT)
    assert_stopped_cleanly(runner, kernel_tmp, signal.SIGINT)
    unchanged.check()


@case("terminated-then-two-builds-at-once")
def test_sigterm_half_way_leaves_the_site_as_it_was_and_two_builds_at_once_then_publish_it_whole(built_site, tmp_path,
                                                                                                  kernel_tmp):
    """SIGTERM (`kill`, a CI job cancelled) to a build's process alone: it stops its workers, which stop their
    kernels, and the site it was to publish into is as it was. Then two builds publish into that site at the same
    time (one edition each): both succeed, each edition matches its manifest, and the whole site, switcher and front
    page included, is byte-identical to a single --all-editions build: no timestamps, random ids or build paths, and
    nothing lost to the race. (Processes publishing the same edition at once: tests/integration/test_publish.py.)"""
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    before, data = snapshot(site), snapshot(DATA)
    runner = start_build(ROOT, kernel_tmp, "--out", str(site), "--no-cache")  # so that its kernels are running
    os.kill(runner.pid, signal.SIGTERM)
    assert_stopped_cleanly(runner, kernel_tmp, signal.SIGTERM)
    assert snapshot(site) == before and snapshot(DATA) == data
    assert not list(tmp_path.glob(".sots-staging-*"))

    runs = [subprocess.Popen([sots_exe(), "build", "--edition", edition, "--out", str(site)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for edition in EDITIONS]
    for run in runs:
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stdout + stderr
    for edition in EDITIONS:
        assert publish.verify_manifest(site / edition) == []
    assert snapshot(site) == snapshot(built_site)
    assert not list(tmp_path.glob(".sots-staging-*"))


@case("build-killed")
def test_a_killed_build_leaves_the_site_intact_and_the_next_build_removes_its_staging(project, kernel_tmp):
    """SIGKILL cannot be caught: the staging folder stays, unpublished, and the next build removes it."""
    site = project / "_build" / "site"
    before = snapshot(site)
    runner = start_build(project, kernel_tmp)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    (left,) = (project / "_build").glob(".sots-staging-*")
    assert snapshot(site) == before

    result = cli("build", "-p", "runs=0", cwd=project)  # the next build, even one that stops early, cleans up
    assert f"removed {left}, left by a build that was stopped" in result.stdout
    assert not left.exists() and snapshot(site) == before


@case("prepare-killed")
def test_prepare_killed_part_way_leaves_every_table_whole_and_the_next_run_cleans_up(project, tmp_path):
    """Killed while writing its tables, prepare used to leave a table cut to a few per cent of its rows that still
    passed its schema. Now every table is written to a scratch folder first and renamed into place only when all are
    written: the kill leaves data/ as it was, and the next run removes the scratch folder. The next run reads a copy
    of just the files prepare reads, elsewhere (any folder laid out like the upstream works), and writes the
    committed tables again, byte for byte."""
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

    done = cli("prepare", "--raw", str(upstream_copy(tmp_path / "elsewhere")), cwd=project)
    assert done.exit_code == 0, done.stderr
    assert not left.exists() and snapshot(data) == before  # the committed tables, byte for byte
