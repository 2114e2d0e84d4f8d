"""The catalogue's cases met while adding a new year (issue 23): a publisher's file whose layout has drifted in
several headers at once, and a measure no longer published left in the file as an empty column. Each is refused by
`sots prepare` in one line that says what to change in the layout, where the first named one header a run and the
second said to correct the source file.
"""

from __future__ import annotations

import openpyxl
import pytest
from catalogue import case, refused

from helpers import upstream

pytestmark = pytest.mark.integration

ALLOCATIONS = "nhse_icb_allocations_2023_24_to_2024_25/nhse_icb_allocations_2023_24_to_2024_25_v1.2.xlsx"
CORE_2324 = "ICB Core Allocations 2023-24"
LAYOUT = "sources/layouts/icb_allocations/2023-24.yml"


def header_cells(sheet, row=3):
    """Each header of a sheet's header row (white space collapsed) -> its cell."""
    return {" ".join(str(c.value).split()): c for c in sheet[row] if c.value is not None}


@case("several-headers-renamed")
def test_every_renamed_header_of_a_sheet_is_named_in_one_line_with_the_closest_header(project, tmp_path):
    raw = upstream(tmp_path / "raw", ALLOCATIONS)
    renamed = {"2023/24 Recurrent allocation (£k)": "2023/24 Recurrent allocation (£000)",
               "2023/24 Recurrent allocation £/head": "2023/24 Recurrent allocation per head",
               "2023/24 Total allocation (£k)": "2023/24 Total allocation £000"}
    book = openpyxl.load_workbook(raw / ALLOCATIONS)
    cells = header_cells(book[CORE_2324])
    for old, new in renamed.items():
        cells[old].value = new
    book.save(raw / ALLOCATIONS)
    line = refused(project, "prepare", "--raw", str(raw), expected=[
        f"{raw / ALLOCATIONS}, sheet '{CORE_2324}': no column '2023/24 Recurrent allocation (£k)' (the layout ",
        f"all {len(renamed)} of the layout's headers not on row 3: "])
    for old, new in renamed.items():
        assert f"'{old}' (as '" in line and f"closest '{new}'" in line, (old, line)


@case("column-blank-in-every-row")
def test_a_column_left_blank_for_every_icb_is_taken_as_not_published(project, tmp_path):
    raw = upstream(tmp_path / "raw", ALLOCATIONS)
    header = "2023/24 Post-convergence distance from target (%)"
    book = openpyxl.load_workbook(raw / ALLOCATIONS)
    sheet = book[CORE_2324]
    column = header_cells(sheet)[header].column
    for row in range(4, sheet.max_row + 1):  # every row below the headers: the ICBs, and the totals below them
        sheet.cell(row, column).value = None
    book.save(raw / ALLOCATIONS)
    refused(project, "prepare", "--raw", str(raw), expected=[
        f"{raw / ALLOCATIONS}, sheet '{CORE_2324}': column '{header}' is blank in every row (the layout ",
        "reads it as 'core_dft_post_convergence_frac'): not published, so leave the column out of the layout"])
