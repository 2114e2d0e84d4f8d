"""Source layouts: a workbook read as its layout says (header row, sheets, headers, units), and a clear error for a
layout that does not fit its file or its table."""

from pathlib import Path

import numpy as np
import openpyxl
import pytest
import yaml

from helpers import ROOT
from sots.errors import InputError
from sots.inputs import layouts, prepare

pytestmark = pytest.mark.unit

SOURCES = layouts.catalogue(ROOT / "sources")


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def layout(doc: dict, path: Path = Path("sources/layouts/icb_allocations/2099-00.yml")) -> layouts.Layout:
    return layouts.parse(doc, path, "icb_allocations", SOURCES)


CORE = {"icb_code": "ICB code", "icb_name": "ICB name", "region_name": "Region",
        "core_recurrent_allocation_gbp_k": {"header": "Recurrent allocation (£)", "unit": "GBP"},
        "core_recurrent_per_head_gbp": "£ per head"}


def one_year_workbook(tmp_path: Path) -> Path:
    """A one-year workbook as a publisher might change it: a title on row 1, headers on row 2 (one with a line break),
    money in pounds, an England total below the ICBs, and a second sheet in another order."""
    return workbook(tmp_path / "allocations_2099_00.xlsx", {
        "Core 2099-00": [
            ["Allocations 2099/00"],
            ["ICB code", "ICB name", "Region", "Recurrent allocation\n(£)", "£ per head"],
            ["QE1", "NHS Lancashire and South Cumbria ICB", "North West", 3_910_716_123, 2090.5],
            ["QF7", "NHS South Yorkshire ICB", "North East and Yorkshire", 2_800_000_000, 1800.25],
            [None, None, None, None, None],
            ["Total", "ENGLAND", None, 6_710_716_123, None],
        ],
        "Running costs": [
            ["notes"], ["ICB code", "2099/00 £k"], ["QF7", 21000], ["QE1", 26054], [None, 47054],
        ],
    })


def two_sheets(path: Path) -> layouts.Layout:
    """The layout of :func:`one_year_workbook`'s two sheets, joined on the ICB code."""
    return layout({"source": "nhse_allocations", "file": path.name, "years": ["2099/00"], "sheets": [
        {"sheet": "Core 2099-00", "header_row": 2, "columns": CORE},
        {"sheet": "Running costs", "header_row": 2,
         "columns": {"icb_code": "ICB code", "running_cost_allowance_gbp_k": "2099/00 £k"}}]})


def test_a_workbook_is_read_from_its_header_row_with_units_converted_exactly_and_totals_skipped(tmp_path):
    path = one_year_workbook(tmp_path)
    read = two_sheets(path)
    frame = prepare.read_layout(read, tmp_path, keep=prepare._icb_rows, key=("icb_code",)).set_index("icb_code")
    assert sorted(frame.index) == ["QE1", "QF7"]  # the England total is not an ICB
    assert frame.loc["QE1", "core_recurrent_allocation_gbp_k"] == 3_910_716_123 / 1000  # £ -> £k, one division
    assert frame.loc["QF7", "core_recurrent_per_head_gbp"] == 1800.25
    assert frame.loc["QE1", "running_cost_allowance_gbp_k"] == 26054  # joined on the code, not the row order
    # A measure the layout does not name (not published that year) is an empty column, not a zero.
    assert np.isnan(frame.loc["QE1", "core_dft_post_convergence_frac"])


def test_a_header_the_file_lacks_is_named_with_the_layout_and_the_headers_there_are(tmp_path):
    path = one_year_workbook(tmp_path)
    read = layout({"source": "nhse_allocations", "file": path.name, "years": ["2099/00"], "sheet": "Core 2099-00",
                   "header_row": 2, "columns": {**CORE, "core_recurrent_per_head_gbp": "£ per registered head"}})
    with pytest.raises(InputError) as err:
        prepare.read_layout(read, tmp_path)
    assert str(err.value) == (
        f"{path}, sheet 'Core 2099-00': no column '£ per registered head' (the layout {read.path} reads it as "
        "'core_recurrent_per_head_gbp'; the file's headers on row 2 are ['ICB code', 'ICB name', 'Region', "
        "'Recurrent allocation (£)', '£ per head'])")


def test_a_header_row_that_moved_is_found_by_the_headers_it_should_hold(tmp_path):
    path = one_year_workbook(tmp_path)
    read = layout({"source": "nhse_allocations", "file": path.name, "years": ["2099/00"], "sheet": "Core 2099-00",
                   "header_row": 1, "columns": CORE})
    with pytest.raises(InputError, match=r"no column 'ICB code' .* headers on row 1 are \['Allocations 2099/00'\]"):
        prepare.read_layout(read, tmp_path)


def test_a_missing_sheet_and_a_row_in_only_one_sheet_are_named(tmp_path):
    path = one_year_workbook(tmp_path)
    read = layout({"source": "nhse_allocations", "file": path.name, "years": ["2099/00"], "sheet": "Core 2099/00",
                   "header_row": 2, "columns": CORE})
    with pytest.raises(InputError, match=r"no sheet 'Core 2099/00' \(the workbook has \['Core 2099-00', "):
        prepare.read_layout(read, tmp_path)
    book = openpyxl.load_workbook(path)
    book["Running costs"].delete_rows(3)  # QF7's running costs
    book.save(path)
    read = two_sheets(path)
    with pytest.raises(InputError, match=r"sheet 'Running costs': no row for icb_code QF7, which .*sheet 'Core "
                                         r"2099-00' has"):
        prepare.read_layout(read, tmp_path, keep=prepare._icb_rows, key=("icb_code",))


def test_a_bad_number_in_a_sheet_is_named_by_its_sheet_header_and_row(tmp_path):
    path = one_year_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Core 2099-00"]["E4"] = "n/a"
    book.save(path)
    read = layout({"source": "nhse_allocations", "file": path.name, "years": ["2099/00"], "sheet": "Core 2099-00",
                   "header_row": 2, "columns": CORE})
    with pytest.raises(InputError) as err:
        prepare.read_layout(read, tmp_path, keep=prepare._icb_rows)
    assert str(err.value) == f"{path}, sheet 'Core 2099-00': column '£ per head', line 4: expected a number, got 'n/a'"


@pytest.mark.parametrize("change, message", [
    ({"columns": {"icb_code": "ICB", "per_head": "£"}},
     r"field 'columns.per_head': expected a column of the table 'icb_allocations'"),
    ({"source": "nhse_allocs"}, r"field 'source': expected a publication listed in sources.yml \(.*nhse_allocations"),
    ({"years": ["2099-00"]}, r"field 'years.0': expected a financial year such as 2024/25 \(quoted\), got '2099-00'"),
    ({"years": ["2099/01"]}, r"field 'years': expected financial years such as 2024/25, got '2099/01'"),
    ({"columns": {"core_recurrent_allocation_gbp_k": {"header": "x", "unit": "USD"}}},
     r"field 'columns.core_recurrent_allocation_gbp_k.unit': expected a unit that converts to the table's 'GBP "
     r"thousands' \(one of \['GBP', 'GBP millions', 'GBP thousands'\]\), got 'USD'"),
    ({"sheets": [{"sheet": "x", "columns": {"icb_code": "ICB"}}]}, r"expected either 'columns' .* not both"),
    ({"header_row": 0}, r"field 'header_row': expected the row that holds the column headers"),
    ({"colums": {}}, r"field 'colums': expected only the fields \['source', 'file', 'years', "),
])
def test_a_layout_that_does_not_fit_its_table_is_one_line_naming_its_file_and_field(change, message):
    doc = {"source": "nhse_allocations", "file": "a.csv", "years": ["2099/00"], "columns": {"icb_code": "ICB"}}
    with pytest.raises(InputError, match=r"^sources/layouts/icb_allocations/2099-00.yml: " + message):
        layout({**doc, **change})


def test_every_layout_of_the_project_names_files_the_upstream_has(tmp_path):
    """The project's own layouts parse, and each names a file of the real upstream layout (by path only)."""
    for table in ("icb_allocations", "icb_weighted_population", "unit_costs"):
        for read in prepare.table_layouts(ROOT / "sources", table):
            assert read.source in SOURCES and read.years, read.path
            assert yaml.safe_load(read.path.read_text())["file"] == read.file
