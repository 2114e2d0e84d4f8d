"""A synthetic new year, added to a copy of the project as an analyst adds one by the README's "Adding a new year":
its publishers' files, their catalogue entries and layouts, `sots prepare`, and an edition entry. Shared by
tests/e2e/test_new_year.py (the runbook step by step: older editions frozen, no code changed) and
tests/e2e/test_third_year.py (the edition-generic checks on the project with one edition more).

The synthetic year (2099/00, or the year after the current edition's if that is later) is the current edition's
allocation year's data, scaled: money by MONEY, populations by PEOPLE, so per-head figures move by MONEY / PEOPLE and
ranks stay put. It is made from the columns the current edition's own data and layouts give for that year, whatever
they are (a measure not published for it is not published for the new year either), and its files are as a
publisher might change them:
- the allocations come as a one-year workbook (not a two-year settlement's), with a title above headers on row 2,
  renamed sheets and headers (one with a line break), money in pounds rather than thousands, the ICBs in another
  order on each sheet, an England total below them, and no distance from target (no longer published);
- the GP-practice file has its registered-population and core weighted population columns renamed, and no health
  inequalities weighted population.
Nothing names a year or counts the editions: both come from the committed register.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from helpers import DATA, RAW, ROOT
from sots.inputs import data, editions, prepare

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
  raw_folder: nhse_icb_allocations_{TOKEN}
nhse_weighted_population_{TOKEN}:
  title: "Allocations {NEW}: registered and weighted populations by GP practice (synthetic, for the tests)"
  publisher: NHS England
  path: https://www.england.nhs.uk/allocations/
  period: {NEW}
  raw_folder: nhse_gp_weighted_population_{TOKEN}
"""

# The new workbook's two sheets: each table column it may give and its header there. A column is written (and named
# in the layout) only if the last year has it for every ICB; distance from target and convergence never are.
CORE_SHEET = f"Core allocations {NEW_ID}"
CORE = {"icb_code": "ICB code", "icb_name": "ICB name", "region_name": "NHS region",
        "core_recurrent_allocation_gbp_k": "Recurrent allocation\n(£)",
        "core_recurrent_per_head_gbp": "Recurrent allocation per head (£)",
        "core_total_allocation_gbp_k": "Total allocation (£)",
        "core_combined_allocation_gbp_k": "Combined allocation (£)"}
PRIMARY_SHEET = "Primary care and running costs"
PRIMARY = {"pmc_recurrent_allocation_gbp_k": "Primary medical care (£)",
           "other_primary_care_gbp_k": "Other primary care (£)",
           "running_cost_allowance_gbp_k": "Running cost allowance (£)"}
DROPPED_PRACTICE_COLUMN = "health_inequalities_weighted_persons"  # no longer published
RENAMED_PRACTICE_HEADERS = {"registered_population_persons": f"Registered patients {NEW}",
                            "core_weighted_persons": "Core services WP"}


def last_allocations() -> pd.DataFrame:
    """The last year's allocations, one row per ICB, as the committed table holds them."""
    return data.load("icb_allocations", DATA).query("year == @LAST").reset_index(drop=True)


def published(frame: pd.DataFrame, columns: dict[str, str]) -> dict[str, str]:
    """The columns of ``columns`` (table column -> header) that ``frame`` has for every row."""
    return {c: h for c, h in columns.items() if c in frame.columns and frame[c].notna().all()}


def drifted_workbook(path: Path) -> None:
    """Step 1: NHS England's allocations for the new year, as a one-year workbook in a new layout (see the module)."""
    last = last_allocations()
    core, primary = published(last, CORE), published(last, PRIMARY)

    def value(column: str, i: int):
        if column.endswith("_gbp_k"):
            return last[column][i] * 1000 * MONEY  # in pounds
        if column == "core_recurrent_per_head_gbp":
            return last[column][i] * MONEY / PEOPLE
        return last[column][i]

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = CORE_SHEET
    sheet.append([f"NHS England: ICB allocations {NEW} (synthetic)"])
    sheet.append(list(core.values()))
    for i in last.index:
        sheet.append([value(c, i) for c in core])
    sheet.append([])
    sheet.append(["Total", "ENGLAND", None, last["core_recurrent_allocation_gbp_k"].sum() * 1000 * MONEY])
    if primary:
        sheet = book.create_sheet(PRIMARY_SHEET)
        sheet.append([f"Primary medical care, other primary care and running costs, {NEW}"])
        sheet.append(["ICB code", *primary.values()])
        for i in reversed(last.index):  # another order than the core sheet's: rows are joined on the code
            sheet.append([last.icb_code[i], *(value(c, i) for c in primary)])
    path.parent.mkdir(parents=True)
    book.save(path)


def _layout_column(column: str, header: str) -> str:
    header = " ".join(header.split())
    return f'{column}: {{header: "{header}", unit: GBP}}' if column.endswith("_gbp_k") else f'{column}: "{header}"'


def allocations_layout() -> str:
    """Step 3: the layout of the new workbook, from the columns it gives."""
    last = last_allocations()
    sheets = [(CORE_SHEET, published(last, CORE))]
    if primary := published(last, PRIMARY):
        sheets.append((PRIMARY_SHEET, {"icb_code": "ICB code", **primary}))
    text = (f"# NHS England's ICB allocations for {NEW}: a one-year workbook, headers on row 2, money in pounds. "
            f"Distance from\n# target and the convergence adjustment are no longer published, so they are left out.\n"
            f"source: nhse_allocations_{TOKEN}\nfile: {ALLOCATIONS_FILE}\nyears: [\"{NEW}\"]\nsheets:\n")
    for name, columns in sheets:
        text += f"  - sheet: {name}\n    header_row: 2\n    columns:\n"
        text += "".join(f"      {_layout_column(c, h)}\n" for c, h in columns.items())
    return text


def last_practices_layout():
    """The layout of the last year's GP-practice file, as the project reads it."""
    (read,) = [u for u in prepare.table_layouts(ROOT / "sources", "icb_weighted_population") if LAST in u.years]
    return read


def practices_headers() -> dict[str, str]:
    """The new GP-practice file's header of each table column it gives: the last year's, renamed and one dropped."""
    headers = last_practices_layout().parts[0].headers
    return {c: RENAMED_PRACTICE_HEADERS.get(c, h) for c, h in headers.items() if c != DROPPED_PRACTICE_COLUMN}


def drifted_practices(path: Path) -> None:
    """Step 1: the GP-practice file for the new year, with renamed and dropped columns (see the module), made from the
    file the project's layout for the last year reads (a CSV, or a workbook's sheet)."""
    read = last_practices_layout()
    part = read.parts[0]
    if part.sheet is None:
        practices = pd.read_csv(RAW / read.file, dtype=str, keep_default_na=False, skiprows=part.header_row - 1)
    else:
        practices = pd.read_excel(RAW / read.file, sheet_name=part.sheet, header=part.header_row - 1, dtype=str)
    practices.columns = [" ".join(str(c).split()) for c in practices.columns]
    old = part.headers
    practices = practices.drop(columns=[old[DROPPED_PRACTICE_COLUMN]] if DROPPED_PRACTICE_COLUMN in old else [])
    new = practices_headers()
    practices = practices.rename(columns={old[c]: new[c] for c in new})
    for column in [c for c in new if c.endswith("_persons")]:
        practices[new[column]] = practices[new[column]].astype(float) * PEOPLE
    path.parent.mkdir(parents=True)
    practices.to_csv(path, index=False)


def practices_layout() -> str:
    """Step 3: the layout of the new GP-practice file."""
    columns = "".join(f'  {c}: "{h}"\n' for c, h in practices_headers().items())
    return (f"# NHS England's GP-practice registered and weighted populations for {NEW}. The health inequalities "
            f"weighted\n# population is no longer published.\nsource: nhse_weighted_population_{TOKEN}\n"
            f"file: {PRACTICES_FILE}\nyears: [\"{NEW}\"]\ncolumns:\n{columns}")


# Step 5: the new edition, current; the one that was current becomes archived. An input with no newer year (unit
# costs, outturn, projections) keeps the current edition's.
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


def add_files(raw: Path) -> None:
    """Step 1: the new year's files, in the upstream folder ``raw``."""
    drifted_workbook(raw / ALLOCATIONS_FILE)
    drifted_practices(raw / PRACTICES_FILE)


def add_sources(project: Path) -> None:
    """Steps 2 and 3: the new publications in the project's catalogue, and one layout per file."""
    with open(project / "sources" / "sources.yml", "a") as catalogue:
        catalogue.write(CATALOGUE_ENTRIES)
    (project / "sources" / "layouts" / "icb_allocations" / f"{NEW_ID}.yml").write_text(allocations_layout())
    (project / "sources" / "layouts" / "icb_weighted_population" / f"{NEW_ID}.yml").write_text(practices_layout())


def add_edition(project: Path) -> None:
    """Step 5: the new edition in the project's register, current; the one that was current, archived."""
    register = project / "editions.yml"
    register.write_text(register.read_text().replace("status: current", "status: archived") + NEW_ENTRY)
