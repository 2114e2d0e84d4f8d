"""`sots inspect FILE [--layout LAYOUT]`: a new file's sheets and header rows, beside last year's layout, with each
header the layout reads found or missing (and the file's closest header to it)."""

from pathlib import Path

import openpyxl
import pytest
import yaml

from helpers import ROOT, cli
from sots.inputs import headers

pytestmark = pytest.mark.unit


def new_workbook(tmp_path: Path) -> Path:
    """Next year's workbook: a title on row 1, headers on row 2, one header renamed and one sheet renamed."""
    book = openpyxl.Workbook()
    core = book.active
    core.title = "Core 2099-00"
    for row in (["Allocations 2099/00"],
                ["ICB code", "ICB name", "Region", "Recurrent allocation\n(£000)", "£ per head"],
                ["QE1", "NHS Lancashire and South Cumbria ICB", "North West", 3_910_716, 2090.5],
                ["QF7", "NHS South Yorkshire ICB", "North East and Yorkshire", 2_800_000, 1800.25]):
        core.append(row)
    running = book.create_sheet("Running cost allowance")
    for row in (["ICB code", "2099/00 £k"], ["QE1", 26054], ["QF7", 21000]):
        running.append(row)
    path = tmp_path / "allocations_2099_00.xlsx"
    book.save(path)
    return path


def last_years_layout(tmp_path: Path) -> Path:
    """Last year's layout, in a sources folder of its own (the project's catalogue beside it)."""
    sources = tmp_path / "sources"
    folder = sources / "layouts" / "icb_allocations"
    folder.mkdir(parents=True)
    (sources / "sources.yml").write_text((ROOT / "sources" / "sources.yml").read_text())
    doc = {"source": "nhse_allocations", "file": "allocations_2098_99.xlsx", "years": ["2098/99"], "sheets": [
        {"sheet": "Core 2099-00", "header_row": 1, "columns": {
            "icb_code": "ICB code", "icb_name": "ICB name", "region_name": "Region",
            "core_recurrent_allocation_gbp_k": "Recurrent allocation (£k)",
            "core_recurrent_per_head_gbp": "£ per head"}},
        {"sheet": "Running costs", "header_row": 1, "columns": {
            "icb_code": "ICB code", "running_cost_allowance_gbp_k": "2099/00 £k"}}]}
    path = folder / "2098-99.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def test_each_sheet_shows_the_rows_that_look_like_headers_not_its_title_or_data(tmp_path):
    sheets = headers.read(new_workbook(tmp_path))
    assert [s.name for s in sheets] == ["Core 2099-00", "Running cost allowance"]
    assert headers.header_rows(sheets[0]) == [
        (2, ["ICB code", "ICB name", "Region", "Recurrent allocation (£000)", "£ per head"])]
    assert headers.header_rows(sheets[1]) == [(1, ["ICB code", "2099/00 £k"])]


def test_a_layout_is_held_against_the_file_header_by_header(tmp_path):
    lines = headers.report(new_workbook(tmp_path), last_years_layout(tmp_path))
    start = lines.index("layout sheet 'Core 2099-00', header row 1: 0 of 5 headers found")
    # The header row moved down one: each header is found on row 2, and the renamed one has a close match there.
    assert lines[start + 1] == "  missing  icb_code: 'ICB code' (it is on row 2)"
    assert lines[start + 4] == "  missing  core_recurrent_allocation_gbp_k: 'Recurrent allocation (£k)'"
    # A sheet renamed: the layout's is missing, and the file's closest sheet named.
    assert lines[-1] == ("layout sheet 'Running costs': missing (the file's sheets are ['Core 2099-00', "
                         "'Running cost allowance']; closest 'Running cost allowance')")


def test_with_the_header_row_set_the_renamed_header_is_the_one_missing_with_its_closest_match(tmp_path):
    layout = last_years_layout(tmp_path)
    layout.write_text(layout.read_text().replace("header_row: 1", "header_row: 2", 1))
    lines = headers.report(new_workbook(tmp_path), layout)
    start = lines.index("layout sheet 'Core 2099-00', header row 2: 4 of 5 headers found")
    assert lines[start + 1:start + 6] == [
        "  found    icb_code: 'ICB code'",
        "  found    icb_name: 'ICB name'",
        "  found    region_name: 'Region'",
        "  missing  core_recurrent_allocation_gbp_k: 'Recurrent allocation (£k)' (closest on row 2: "
        "'Recurrent allocation (£000)')",
        "  found    core_recurrent_per_head_gbp: '£ per head'"]


def test_a_csv_is_one_sheet(tmp_path):
    path = tmp_path / "practices.csv"
    path.write_text("Practice code,ICS22,Registered patients 2099/00,Final WP\nA1,QE1,1000,1100.5\n")
    assert headers.report(path) == [
        "practices.csv (CSV)", "  row 1: Practice code | ICS22 | Registered patients 2099/00 | Final WP"]


def test_the_command_prints_the_report_and_writes_nothing(tmp_path):
    path, layout = new_workbook(tmp_path), last_years_layout(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = cli("inspect", str(path), "--layout", str(layout))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == headers.report(path, layout)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_file_that_is_not_there_is_refused_in_one_line(tmp_path):
    result = cli("inspect", str(tmp_path / "missing.xlsx"))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'missing.xlsx'}: file not found"
