"""``sots prepare``: turn the public sources (the upstream folder) into the small tidy tables under ``data/``.

The publishers' files that arrive year by year (NHS England's allocation workbooks and GP-practice weighted
populations, the National Cost Collection schedules, the trust accounts) are read as their layouts in the project's
``sources/`` folder describe them (:mod:`sots.inputs.layouts`): a new year, or a layout that drifts, is a new layout
file, not a code change. The sources published once (population projections and estimates, activity rates, area codes,
the published figures) are read here by file name. What is computed from the sources (sums over GP practices, the
unit cost of each activity, the registered population an allocation implies) is code, here.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sots import atomic, hashing
from sots.errors import InputError
from sots.inputs import data, geography, layouts
from sots.inputs.geography import match_icb_codes, short_name

# The scratch folder under data/ where a run writes its tables before renaming them into place.
SCRATCH_PREFIX = ".prepare-"

AREA_CODES = "su_hmhc_2018snpp_activity/area_codes_names.csv"
SNPP_PRINCIPAL = "su_hmhc_2018snpp_activity/snpp2018b_principal_sya_sex_all_areas_2018_2043.csv"
SNPP_VARIANTS = "su_hmhc_2018snpp_activity/snpp2018b_11_variants_sya_sex_lsc_areas_2018_2043.csv"
PROJECTION_YEAR_HEADER = re.compile(r"^\d{4}$")  # a projection file's column of persons at one mid-year, e.g. 2018
ACTIVITY_RATES = "su_hmhc_2018snpp_activity/activity_rates_per_person_2022_by_age_sex_icbs_lsc.csv"
MYE_GLOB = "ons_mye_2019_2020_ltla/ons_mye_mid*_persons_sya_ltla*.csv"
PUBLISHED_GLOB = "published_figures/figures*.csv"
TRUST_OPEX_GLOB = "nhs_trust_accounts_tac_opex/nhs_trust_operating_expenditure_tac_*.csv"

# Trust accounts columns -> tidy names (money in pounds, as published).
TRUST_OPEX_COLUMNS = {
    "fin_year": "year",
    "nhs_code": "trust_code",
    "trust_name": "trust_name",
    "sector": "sector",
    "region": "region_name",
    "icb_code": "host_icb_code",
    "icb_name": "host_icb_name",
    "total_operating_expenditure_gbp": "total_operating_expenditure_gbp",
    "staff_costs_gbp": "staff_costs_gbp",
    "supplies_drugs_gbp": "supplies_drugs_gbp",
    "premises_infrastructure_gbp": "premises_infrastructure_gbp",
    "other_operating_costs_gbp": "other_operating_costs_gbp",
    "discrepancy_flag": "groups_exceed_total",
}

# Published figures: raw columns -> tidy names, and what each figure id's prefix says it is about
# ("lsc_2324_savings_delivered": Lancashire and South Cumbria ICB, period token 2324, measure savings_delivered).
PUBLISHED_COLUMNS = {
    "figure_id": "figure_id",
    "value": "value",
    "unit": "unit",
    "period": "period",
    "geography": "geography",
    "description": "description",
    "source_title": "source_title",
    "source_publisher": "source_publisher",
    "source_url": "source_url",
    "quoted_context": "context",
}
PUBLISHED_SCOPES = {"lsc": "QE1", "eng": None}  # None: England-wide
PUBLISHED_ID = re.compile(r"^(?P<scope>[a-z]+)_(?P<period>[a-z0-9]+)_(?P<measure>[a-z0-9_]+)$")
# The same measure under different names in different years -> one name, so a chapter finds it for any year.
PUBLISHED_MEASURES = {
    "deficit_before_support": "system_deficit_before_support",  # 2023/24: before NHS England support
    "deficit_excl_support": "system_deficit_before_support",  # 2024/25: excluding deficit support and winter money
    "control_total_deficit": "system_control_total_deficit",
}

# --- Deprivation, healthy life and quality of care (issue 24): the sources read by file name ----------------------

IMD_FOLDER = "mhclg_imd2019_lsoa_ward_lookup"
IMD = f"{IMD_FOLDER}/imd2019_england_lsoa11.csv"  # MHCLG File 7 ranks and deciles, one row per LSOA (2011)
LSOA_WARDS = f"{IMD_FOLDER}/lookup_lsoa11_ward17.csv"  # LSOA (2011) -> ward (2017), England and Wales
WARD_NAMES = f"{IMD_FOLDER}/ward17_names_from_cni2019.csv"  # ward (2017) -> name and local authority (2019)
LSOA_ICBS = f"{IMD_FOLDER}/lookup_lsoa11_sicbl22_icb22_ltla22.csv"  # LSOA (2011) -> sub-ICB, ICB, LAD (2022)

# The Community Needs Index, whose file names the wards, leaves out the City of London and the Isles of Scilly: their
# wards have codes but no names.
UNNAMED_WARD_LADS = {"E09000001": "City of London", "E06000053": "Isles of Scilly"}

HLE_FOLDER = "ohid_fingertips_healthy_life_expectancy"


class Release(NamedTuple):
    """Where a healthy life expectancy value comes from: its label in the table, the ONS series it belongs to and the
    publication's id in sources.yml."""

    label: str
    series: str
    source: str


# The two Fingertips extracts (PROVENANCE.md): the 2024 one holds the series as published before ONS's revision, the
# 2026 one the revised series; the same period differs between them, so each value keeps its release.
HLE_EXTRACTS = {
    f"{HLE_FOLDER}/healthy_life_expectancy_ua_2010-12_to_2018-20_trafford_55c6d8c.csv":
        Release("OHID Fingertips, 2024 extract", "before revision", "ohid_hle_2024_extract"),
    f"{HLE_FOLDER}/healthy_life_expectancy_utla_2015-17_to_2022-24_trafford_ae20a08.csv":
        Release("OHID Fingertips, 2026 extract", "revised", "ohid_hle_2026_extract"),
}
HLE_KEPT_TYPES = {"Country", "UA"}  # England, and the unitary authorities, metropolitan districts and London boroughs
HLE_DROPPED_TYPES = {"District"}  # lower-tier districts: not upper-tier areas (and blank in every row of the extract)
HLE_NOT_PUBLISHED = {"", "NA"}  # a value Fingertips does not publish (City of London, Isles of Scilly): no row
LCC_HLE = "lcc_lancashire_insight_hle_county_pages/hle_lancashire_insight_pages.csv"
LCC_RELEASE = Release("Lancashire Insight pages", "", "lcc_hle_pages")
LCC_MEASURES = {"HLE at birth": True, "HLE at 65": False}  # the pages' measures, and whether the table keeps each
# The last period of the series before ONS's revision (the 2024 extract ends with 2018-20). The county's pages for
# periods up to it agree with that extract, those after it with the revised one (PROVENANCE.md's cross-check).
LAST_PERIOD_BEFORE_REVISION = 2020
AREA_TYPES_BY_PREFIX = {"E92": "Country", "E10": "County", "E06": "UA", "E08": "UA", "E09": "UA"}

# The published pages' figures, beside the finance chapter's (PUBLISHED_GLOB): each folder's figures.csv and its
# publication's id in sources.yml. Their ids name the claim (q7_..., timeline_...), not an ICB and a period, so the
# whole id is the measure, and the ICB is QE1 where the figure's geography names it.
PUBLISHED_PAGES = {
    "published_pages_quality_claims/figures.csv": "published_pages_quality",
    "published_pages_round2_context/figures.csv": "published_pages_context",
    "published_pages_round3/figures.csv": "published_pages_round3",
}
PAGE_COLUMNS = [c for c in PUBLISHED_COLUMNS if c != "quoted_context"]
# quoted_context is a paraphrase only in the first folder: round 2 has no such column (its evidence_file and
# evidence_regex point into its page text instead) and round 3's is a verbatim quotation, which the table does not
# keep (news publishers keep copyright in their text), so their context is left empty.
PAGE_PARAPHRASES = {"published_pages_quality_claims/figures.csv"}
PAGE_ICB = {"QE1": re.compile(r"\bQE1\b|Lancashire and South Cumbria (?:ICB|Integrated Care Board)")}


class Input(NamedTuple):
    """A column a layout gives for a table computed from its files: its unit, and the range of its numbers (None for
    text)."""

    unit: str | None
    bounds: data.Bounds | None


# What a National Cost Collection schedule's layout gives: each currency's department, code, activity and total cost.
SCHEDULE_COLUMNS = {
    "department_code": Input(None, None),
    "currency_code": Input(None, None),
    "activity": Input("events", data.ACTIVITY_COUNT),
    "cost": Input("GBP", data.GBP),
}

# What a QOF extract's layout gives: each practice's ICB name, code, name, weighted population and the two measures,
# read as text and parsed here, as a blank is "not published" (kept empty), not a bad number.
QOF_COLUMNS = {
    "icb_name": Input(None, None),
    "practice_code": Input(None, None),
    "practice_name": Input(None, None),
    "weighted_population": Input("persons", None),
    "hyp_under80_treated_pct": Input("per cent", None),
    "hyp_80plus_treated_pct": Input("per cent", None),
}
QOF_NUMBERS = {"weighted_population": data.PRACTICE_PERSONS, "hyp_under80_treated_pct": data.PER_CENT,
               "hyp_80plus_treated_pct": data.PER_CENT}
QOF_REQUIRED = ["icb_name", "practice_code", "practice_name", "hyp_under80_treated_pct", "hyp_80plus_treated_pct"]
# An extract's ICB name may carry the sub-ICB location after it ("Lancashire and South Cumbria ICB - 00Q").
SUB_ICB_SUFFIX = re.compile(r"\s+-\s+[0-9][0-9A-Z]{2}\s*$")
EXTRACT_NAME = re.compile(r"^\d{4}-\d{2}$")

# The tables computed from their files, and the columns their layouts give.
COMPUTED_FROM = {"unit_costs": SCHEDULE_COLUMNS, "qof_hypertension": QOF_COLUMNS}


def table_layouts(sources: Path, table: str) -> list[layouts.Layout]:
    """Every layout of ``table`` in the ``sources`` folder, checked against what the table's layouts may name."""
    given = COMPUTED_FROM.get(table)
    return layouts.of_table(sources, table, columns={c: i.unit for c, i in given.items()} if given else None)


# Which National Cost Collection departments and currencies price each activity of the activity rates. Bed days are
# not priced: since 2018/19 a spell's cost includes its bed days. An empty currency pattern takes the whole department.
UNIT_COST_BASIS = {
    "walkin": (["Emergency Care"], ""),
    "amb": (["Emergency Care"], ""),
    "emer_n": (["Non-Elective Inpatient - Long Stay", "Non-Elective Inpatient - Short Stay"], ""),
    "ordelec_n": (["Elective Inpatients"], ""),
    "daycase_n": (["Daycase"], ""),
    "surg_first": (["Consultant Led", "Non Consultant Led"], r"^WF0[12][BD]$"),
    "non-surg_first": (["Consultant Led", "Non Consultant Led"], r"^WF0[12][BD]$"),
    "surg_fup": (["Consultant Led", "Non Consultant Led"], r"^WF0[12][AC]$"),
    "non-surg_fup": (["Consultant Led", "Non Consultant Led"], r"^WF0[12][AC]$"),
    "surg_proc": (["Outpatient Procedures"], ""),
    "non-surg_proc": (["Outpatient Procedures"], ""),
}

# Two sources give each ICB's registered population; they must agree to within this many persons.
REGISTERED_POP_TOLERANCE = 1.0


def _read_csv(path: Path, required: list[str], header_row: int = 1) -> pd.DataFrame:
    """A publisher's CSV, every cell as text, indexed so that row ``i`` starts on line ``i + 2`` of the file (line
    ``header_row``, 1 unless a layout says otherwise, is the header; lines above it are skipped), whatever blank lines
    or line breaks inside quoted cells come before it.

    InputError in one line for a file that is missing, empty, not UTF-8, cut short (its last line has no line break),
    that has a row with more or fewer fields than its header, or that lacks a ``required`` column.
    """
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    content = path.read_bytes()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = content.count(b"\n", 0, err.start) + 1
        raise InputError(f"{path}: line {line}: expected UTF-8 text, got the byte 0x{content[err.start]:02x} "
                         "(save the file as UTF-8 CSV)") from None
    skipped = header_row - 1  # lines above the header: a title or notes
    if skipped:
        text = "".join(text.splitlines(keepends=True)[skipped:])
    if not text.strip():
        named = f" naming the columns {required}" if required else ""
        raise InputError(f"{path}: the file is empty (expected a header row{named})")
    if not text.endswith("\n"):
        raise InputError(f"{path}: line {text.count(chr(10)) + 1 + skipped}: expected a line break at the end of the "
                         "file, got none: the file looks cut short")
    # The csv module counts each row's fields and lines (pandas pads a short row with empty cells, silently).
    reader = csv.reader(io.StringIO(text))
    header, lines = next(reader), []
    end = reader.line_num  # the last line of the row before
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row:
                continue  # a blank line, which pandas skips too
            if len(row) != len(header):
                raise InputError(f"{path}: line {start + skipped}: expected {len(header)} fields, as the header "
                                 f"names, got {len(row)}{': the row is incomplete' if len(row) < len(header) else ''}")
            lines.append(start)
    except csv.Error as err:
        raise InputError(f"{path}: line {reader.line_num + skipped}: cannot be read as CSV ({err})") from None
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if len(lines) != len(df):
        raise InputError(f"{path}: cannot be read as CSV (expected {len(lines)} rows, read {len(df)})")
    df.index = pd.Index([line + skipped - 2 for line in lines])
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column '{missing[0]}' (expected columns {required})")
    return df


def _numeric(df: pd.DataFrame, columns: Iterable[str], path: Path, bounds: data.Bounds | None = None) -> pd.DataFrame:
    """Parse ``columns`` as numbers (thousands separators allowed), each finite and within ``bounds`` if given.

    InputError naming the file, the column and the line (``df``'s index + 2) of the first cell that fails. Without
    ``bounds``, a later check against the table's schema (with the same index) gives the range.
    """
    out = df.copy()
    for column in columns:
        text = df[column]
        try:
            parsed = text.astype(float)  # fast: a column of plain numbers
        except ValueError:
            parsed = pd.to_numeric(text.str.replace(",", "", regex=False).str.strip(), errors="coerce")
        bad = ~np.isfinite(parsed)
        if bounds is not None:
            bad |= ~bounds.holds(parsed)
        if bad.any():
            label = bad.idxmax()
            expected = ("a number" if pd.isna(parsed[label]) else
                        "a finite number" if bounds is None else bounds.expected)
            raise InputError(f"{path}: column '{column}', line {label + 2}: expected {expected}, got {text[label]!r}")
        out[column] = parsed
    return out


def _first_repeat(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame | None:
    """The rows of the first key in ``keys`` that ``frame`` has more than once, or None if each key is on one row."""
    again = frame[frame.duplicated(keys, keep=False)]
    if again.empty:
        return None
    first = again.iloc[0][keys]
    return again[((again[keys] == first) | (again[keys].isna() & first.isna())).all(axis=1)]  # NaN keys repeat too


def _one_row_each(frame: pd.DataFrame, keys: list[str], where: Path) -> pd.DataFrame:
    """``frame`` sorted by ``keys``; InputError naming the first key that has more than one row (e.g. in two files)."""
    twice = _first_repeat(frame, keys)
    if twice is not None:
        first = twice.iloc[0]
        named = ", ".join(f"{k} {first[k]}" for k in keys)
        raise InputError(f"{where}: {named} appears more than once (expected one row each, across all files)")
    return frame.sort_values(keys, ignore_index=True)


def _glob(raw: Path, pattern: str) -> list[Path]:
    found = sorted(raw.glob(pattern))
    if not found:
        raise InputError(f"{raw / pattern}: no file matches (expected the upstream layout; see data/README.md)")
    return found


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV would hold: empty for a blank, the shortest text that reads back as the same
    number for a number (so a value is never rounded on its way in)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    """A publisher's workbook, open to read its cached values, closed when the block ends; InputError if it is missing
    or is not a workbook."""
    import openpyxl

    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        # keep_links=False: the cached values are read either way, and parsing the workbook's links to other
        # workbooks (hundreds in NHS England's allocations) took most of `sots prepare`'s time.
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as err:  # openpyxl raises several kinds for a file that is not a workbook
        raise InputError(f"{path}: cannot be read as an Excel workbook ({type(err).__name__}: {err})") from None
    try:
        yield book
    finally:
        book.close()


def _read_sheet(path: Path, book: Any, sheet: str, header_row: int) -> pd.DataFrame:
    """One sheet of a publisher's workbook (``book``, open, read from ``path``), every cell as text, headers
    white-space-normalised, indexed so that the row on sheet row ``r`` has label ``r - 2`` (errors then say "line r",
    the row the spreadsheet shows)."""
    if sheet not in book.sheetnames:
        raise InputError(f"{path}: no sheet '{sheet}' (the workbook has {book.sheetnames})")
    rows = list(book[sheet].iter_rows(min_row=header_row, values_only=True))
    if not rows:
        raise InputError(f"{path}, sheet '{sheet}': row {header_row}: expected the header row, got nothing")
    header = [layouts.normalise_header(h) for h in rows[0]]
    body = [(n, [_cell_text(v) for v in row]) for n, row in enumerate(rows[1:], header_row + 1) if any(
        v is not None and str(v).strip() for v in row)]
    frame = pd.DataFrame([cells for _, cells in body], columns=range(len(header)), dtype=str)
    frame.index = pd.Index([n - 2 for n, _ in body])
    named = {i: h for i, h in enumerate(header) if h}
    duplicated = [h for h in named.values() if list(named.values()).count(h) > 1]
    frame = frame[list(named)].rename(columns=named)
    if duplicated:  # a layout names a header; two columns under it would be a guess
        frame = frame.loc[:, ~frame.columns.duplicated(keep=False)]
    return frame


def _row_holding(path: Path, book: Any, sheet: str | None, header: str, rows: int = 30) -> int | None:
    """The row, among a file's first ``rows``, that holds ``header`` (white space ignored), if one does: where a header
    row went when a publisher added or removed a title line."""
    if sheet is not None:
        lines = list(book[sheet].iter_rows(max_row=rows, values_only=True))
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = list(itertools.islice(csv.reader(handle), rows))
    for n, cells in enumerate(lines, 1):
        if header in (layouts.normalise_header(c) for c in cells):
            return n
    return None


def _read_part(layout: layouts.Layout, part: layouts.Part, raw: Path, book: Any = None) -> tuple[pd.DataFrame, str]:
    """The columns of ``part`` of a layout's file (``book``, if the file is a workbook, open), as text, under the
    publisher's headers; and how errors name the file (with its sheet)."""
    path = raw / layout.file
    if part.sheet is not None:
        frame, where = _read_sheet(path, book, part.sheet, part.header_row), f"{path}, sheet '{part.sheet}'"
    else:
        frame, where = _read_csv(path, [], part.header_row), str(path)
        frame.columns = [layouts.normalise_header(c) for c in frame.columns]
    missing = layouts.missing_headers(part, list(frame.columns))
    if missing:
        column, header = missing[0]
        found = _row_holding(path, book, part.sheet, header)
        moved = f"; '{header}' is on row {found}: if the header row moved, set the layout's header_row to {found}" if (
            found is not None) else ""
        # Every header not found, in the one line: a publisher renames several at once, and one a run took an hour.
        rest = (f"; all {len(missing)} of the layout's headers not on row {part.header_row}: "
                f"{layouts.missing_text(missing, list(frame.columns))}" if len(missing) > 1 else "")
        raise InputError(f"{where}: no column '{header}' (the layout {layout.path} reads it as '{column}'; the file's "
                         f"headers on row {part.header_row} are {list(frame.columns)}{moved}{rest})")
    return frame[list(dict.fromkeys(part.headers.values()))], where


def read_layout(layout: layouts.Layout, raw: Path, keep=None, key: tuple[str, ...] = (),
                bounds: data.Bounds | None = None, icb_code: str | None = None,
                inputs: dict[str, Input] | None = None) -> pd.DataFrame:
    """The rows a layout's file gives its table: the table's columns (those the layout names), numbers parsed and
    converted to the table's units, each value checked by the table's own checks under the file's column and line;
    or, for rows that are summed into the table's (``bounds`` given), each number checked to be within ``bounds``.

    ``keep`` (a function of a part's frame, under the table's names) picks the data rows of a sheet that also holds
    totals or notes. A layout of several sheets is joined on ``key``; InputError if a key is in one sheet and not
    another. A column of the table the layout does not name (a measure not published that year) is left empty.
    ``icb_code`` names the column of ICB codes, each checked against the reference list in every sheet. For a table
    computed from its files, ``inputs`` are the columns its layouts give, each number checked against its range.
    """
    table = data.TABLES[layout.table]
    if inputs is None:
        numeric = [c for c, col in table.schema.columns.items() if str(col.dtype) in ("float64", "int64")]
    else:
        numeric = [c for c, given in inputs.items() if given.bounds is not None]
    frames = []
    # A workbook is opened once for all its sheets: opening it took longer than reading a sheet.
    with _workbook(raw / layout.file) if layout.parts[0].sheet is not None else nullcontext() as book:
        read = [_read_part(layout, part, raw, book) for part in layout.parts]
    for part, (frame, where) in zip(layout.parts, read, strict=True):
        columns = {c: h for c, h in part.headers.items()}
        by_header = {h: c for c, h in columns.items()}
        frame = frame.rename(columns=by_header)[list(columns)]
        if keep is not None:
            frame = frame[keep(frame)]
        twice = _first_repeat(frame, list(key)) if key else None
        if twice is not None:  # before the sheets are joined, which would hide it
            named = ", ".join(f"column '{columns[k]}' {twice.iloc[0][k]}" for k in key)
            raise InputError(f"{where}: {named} is on lines {' and '.join(str(i + 2) for i in twice.index[:2])} "
                             "(expected one row each)")
        if icb_code in columns:
            geography.check_icb_codes(frame.rename(columns=columns), where, columns[icb_code], columns.get("icb_name"))
        for column in [c for c in columns if c in numeric]:
            if len(frame) and (frame[column].fillna("").str.strip() == "").all():
                # A measure no longer published, left in the file as an empty column: the layout, not the file, is
                # what to change.
                raise InputError(f"{where}: column '{columns[column]}' is blank in every row (the layout "
                                 f"{layout.path} reads it as '{column}'): not published, so leave the column out of "
                                 "the layout and the book says so")
            within = inputs[column].bounds if inputs is not None else bounds
            frame = _numeric(frame.rename(columns={column: columns[column]}), [columns[column]], where, within
                             ).rename(columns={columns[column]: column})
            if column in part.factors:
                factor = part.factors[column]
                frame[column] = frame[column] * factor.numerator / factor.denominator
        if bounds is None and inputs is None:
            data.validate_columns(frame.rename(columns=columns), table, where, {h: c for c, h in columns.items()})
        frames.append((frame, where))
    joined, first_where = frames[0]
    for frame, where in frames[1:]:
        both = joined.merge(frame, on=list(key), how="outer", indicator=True, suffixes=("", "_again"))
        lone = both[both["_merge"] != "both"]
        if len(lone):
            row = lone.iloc[0]
            has, lacks = (first_where, where) if row["_merge"] == "left_only" else (where, first_where)
            named = ", ".join(f"{k} {row[k]}" for k in key)
            raise InputError(f"{lacks}: no row for {named}, which {has} has (expected the same rows in every sheet "
                             f"of {layout.path})")
        joined = both.drop(columns=["_merge", *[c for c in both.columns if c.endswith("_again")]])
    for column in inputs or table.schema.columns:
        if column not in joined.columns and column != "year":
            joined[column] = np.nan
    return joined


def _icb_rows(frame: pd.DataFrame) -> pd.Series:
    """The rows of an allocations sheet that are an ICB's: its code is an ODS ICB code. Region and England totals, a
    second header and notes below the ICBs have another code or none."""
    return frame["icb_code"].str.match(data.ODS_ICB_PATTERN)


def _one_year(layout: layouts.Layout, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the layout's year on every row, or, from a file of several years, its year column checked
    against the years the layout declares."""
    if "year" not in frame.columns or frame["year"].isna().all():
        return frame.assign(year=layout.years[0])
    stray = ~frame["year"].isin(layout.years)
    if stray.any():
        i = stray.idxmax()
        raise InputError(f"{layout.path}: field 'years': the file {layout.file} has a row for {frame['year'][i]!r} "
                         f"(line {i + 2}); expected only {list(layout.years)}")
    return frame


def _every_icb(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame``, a source's rows by ICB and year, once each year is checked to have every ICB."""
    for year, rows in frame.groupby("year"):
        geography.check_every_icb(rows["icb_code"], path, year)
    return frame


def read_allocations(raw: Path, sources: Path) -> tuple[pd.DataFrame, list[layouts.Layout]]:
    """NHS England ICB allocations for every year a layout gives, one row per ICB and year (£ thousands, £ per
    registered head and fractions, as the table's column names say).

    The registered population an allocation implies is the core recurrent allocation over its £ per head, where a
    layout does not give it.
    """
    frames, used = [], table_layouts(sources, "icb_allocations")
    for layout in used:
        frame = read_layout(layout, raw, keep=_icb_rows, key=("icb_code",), icb_code="icb_code")
        implied = "registered_population_implied_persons"
        if frame[implied].isna().all():
            frame[implied] = frame["core_recurrent_allocation_gbp_k"] * 1000 / frame["core_recurrent_per_head_gbp"]
        frames.append(_every_icb(_one_year(layout, frame), raw / layout.file)[list(data.ALLOCATIONS.columns)])
    out = pd.concat(frames, ignore_index=True)
    return _one_row_each(out, ["year", "icb_code"], _layout_folder(sources, "icb_allocations")), used


def read_weighted_population(raw: Path, sources: Path) -> tuple[pd.DataFrame, list[layouts.Layout]]:
    """Registered and need-weighted populations per ICB and year, summed over GP practices (persons).

    A component the year's file does not publish stays empty for that year (not zero, not another component).
    """
    frames, used = [], table_layouts(sources, "icb_weighted_population")
    persons = [c for c in data.WEIGHTED_POPULATION.columns if c.endswith("_persons")]
    for layout in used:
        # Each practice's populations, before they are summed: a negative one would silently shrink its ICB's.
        frame = read_layout(layout, raw, bounds=data.PERSONS, icb_code="icb_code")
        given = [c for c in persons if frame[c].notna().any()]
        summed = frame.groupby("icb_code")[given].sum().reindex(columns=persons)
        summed["n_practices"] = frame.groupby("icb_code").size()
        frames.append(_every_icb(_one_year(layout, summed.reset_index()), raw / layout.file))
    out = pd.concat(frames, ignore_index=True)[list(data.WEIGHTED_POPULATION.columns)]
    return _one_row_each(out, ["year", "icb_code"], _layout_folder(sources, "icb_weighted_population")), used


def _layout_folder(sources: Path, table: str) -> Path:
    return sources / layouts.LAYOUTS / table


def build_icb_lookup(allocations: pd.DataFrame, raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """One row per ICB: ODS code, GSS code, NHS England name, short name and region.

    Names and regions come from the first allocation year: every edition reads the whole lookup, so taking them from
    a year that later data never change keeps adding a year from changing an edition already published.
    """
    path = raw / AREA_CODES
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected ONS area codes and names)")
    areas = _read_csv(path, ["area_code", "area_name", "area_type"])
    icbs = areas[areas["area_type"] == "ICB"]
    first = allocations[allocations["year"] == allocations["year"].min()]
    matched = match_icb_codes(first[["icb_code", "icb_name", "region_name"]], icbs)
    reference = geography.icb_reference().set_index("icb_code")["icb_gss_code"]
    wrong = matched[matched["icb_gss_code"] != matched["icb_code"].map(reference)]
    if len(wrong):
        row = wrong.iloc[0]
        raise InputError(f"{path}: ICB '{row.icb_name}' ({row.icb_code}) matches the ONS code {row.icb_gss_code} by "
                         f"name; expected {reference[row.icb_code]}, the code of {row.icb_code} "
                         f"({geography.ICB_BOUNDARIES} boundaries)")
    # The book writes the full name as NHS England's pages do ("NHS Cornwall and the Isles of Scilly ICB"), where its
    # allocation files capitalise every word; matching above is by the normalised name, so either spelling matches.
    matched["icb_name"] = matched["icb_name"].map(geography.name_case)
    matched["short_name"] = matched["icb_name"].map(short_name)
    columns = list(data.ICB_LOOKUP.columns)
    return matched[columns].sort_values("icb_code", ignore_index=True), [path]


def _fold_ages(df: pd.DataFrame, values: list[str], keys: list[str]) -> pd.DataFrame:
    """Sum ages above data.OLDEST into it: ONS projections stop at 90+, ages 91-100 are a later split of that group."""
    out = df.assign(age=df["age"].clip(upper=data.OLDEST))
    return out.groupby(keys, as_index=False, sort=False)[values].sum()


def _projection_years(df: pd.DataFrame, path: Path) -> list[str]:
    """The year columns of a projection file, recognised by their header (four digits, e.g. "2018"), in order.

    So a vintage with other years is read without a code change; InputError if the file has none, or one outside
    the plausible mid-years."""
    years = [c for c in df.columns if PROJECTION_YEAR_HEADER.match(c)]
    if not years:
        raise InputError(f"{path}: no year columns (expected columns of persons headed by a mid-year, e.g. '2018')")
    bad = [y for y in years if not data.MID_YEAR.low <= int(y) <= data.MID_YEAR.high]
    if bad:
        raise InputError(f"{path}: column '{bad[0]}': expected a mid-year header, {data.MID_YEAR.expected}")
    return sorted(years, key=int)


def _projection_numbers(df: pd.DataFrame, path: Path, years: list[str]) -> pd.DataFrame:
    """A projection file's codes, ages and persons checked (by the file's line) and parsed."""
    codes = {"area_code": "area_code", "sex": "sex", **({"variant": "variant"} if "variant" in df.columns else {})}
    data.validate_columns(df, data.TABLES["population_projection"], path, codes)
    return _numeric(_numeric(df, ["age"], path, data.RAW_AGE), years, path, data.PERSONS)


def read_population_projection(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """The population projections (persons by single year of age, 90 = 90+, sex and mid-year) for the areas the book
    uses, long: one row per area, variant, sex, age and year, sorted in that order (variants by number: v2 before
    v10).

    The principal projection for every ICB, England, Lancashire and the Lancashire and South Cumbria districts;
    variants 2 to 11 for the areas that make up Lancashire and South Cumbria, its published ICB series and England.
    The years are the files' year columns, which must be the same in both. Checks that the variants file's principal
    (v1) equals the principal file for every area in both.
    """
    principal_path, variants_path = raw / SNPP_PRINCIPAL, raw / SNPP_VARIANTS
    keys = ["area_code", "variant", "sex", "age"]
    principal = _read_csv(principal_path, ["area_code", "area_type", "sex", "age"])
    years = _projection_years(principal, principal_path)
    wanted = (principal["area_type"].isin(["ICB", "country"])) | principal["area_code"].isin(
        [geography.LANCASHIRE, *geography.LSC_DISTRICTS]
    )
    principal = _projection_numbers(principal[wanted], principal_path, years).assign(variant="v1")
    variants = _read_csv(variants_path, ["area_code", "variant", "sex", "age"])
    if (variant_years := _projection_years(variants, variants_path)) != years:
        raise InputError(f"{variants_path}: year columns {variant_years[0]} to {variant_years[-1]}: expected the "
                         f"years of {principal_path}, {years[0]} to {years[-1]}")
    variants = _projection_numbers(variants, variants_path, years)
    # The v1 rows of the variants file must be the principal projection, or one of the two files is not what we think.
    both = variants[variants["variant"] == "v1"].merge(principal, on=["area_code", "sex", "age"], suffixes=("", "_p"))
    last = years[-1]
    if len(both) == 0 or (both[last] - both[f"{last}_p"]).abs().max() > 0.5:
        raise InputError(
            f"{variants_path}: column 'variant', v1 rows: expected the principal projection of {principal_path}"
        )
    areas = [*geography.LSC_COMPONENTS, geography.LSC_GSS, geography.ENGLAND]
    variants = variants[(variants["variant"] != "v1") & variants["area_code"].isin(areas)]
    out = pd.concat([principal[keys + years], variants[keys + years]], ignore_index=True)
    out = _fold_ages(out, years, keys)
    out = out.melt(id_vars=keys, value_vars=years, var_name="year", value_name="persons")
    out["year"] = out["year"].astype(int)
    out["_v"] = out["variant"].str[1:].astype(int)
    out = out.sort_values(["area_code", "_v", "sex", "age", "year"], ignore_index=True).drop(columns="_v")
    return out[list(data.POPULATION_PROJECTION.columns)], [principal_path, variants_path]


def read_population_estimates(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """ONS mid-year estimates (persons by single year of age, 90 = 90+) for the L&SC districts and Eden."""
    paths = _glob(raw, MYE_GLOB)
    frames = []
    for path in paths:
        m = re.search(r"mid(\d{4})_persons_sya_ltla\d{2}(\d{2})\.csv$", path.name)
        if not m:
            raise InputError(f"{path}: file name does not say the mid-year and boundary year (e.g. mid2020 ... ltla21)")
        code_column = f"ltla{m[2]}_code"
        ages = [str(a) for a in range(data.OLDEST)] + [f"{data.OLDEST}+"]
        df = _read_csv(path, [code_column, *ages])
        wanted = [*geography.LANCASHIRE_DISTRICTS, geography.BLACKBURN_WITH_DARWEN, geography.BLACKPOOL,
                  geography.BARROW, geography.EDEN, geography.SOUTH_LAKELAND]
        df = _numeric(df[df[code_column].isin(wanted)], ages, path, data.PERSONS)
        long = df.melt(id_vars=[code_column], value_vars=ages, var_name="age", value_name="persons")
        long["age"] = long["age"].str.rstrip("+").astype(int)
        frames.append(long.rename(columns={code_column: "area_code"}).assign(year=int(m[1])))
    out = pd.concat(frames, ignore_index=True)[list(data.POPULATION_ESTIMATES.columns)]
    return out.sort_values(["year", "area_code", "age"], ignore_index=True), paths


def read_activity_rates(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """Activity per person per year, 2022, by age (17 to 90+) and sex, for ICBs, England and the L&SC components."""
    path = raw / ACTIVITY_RATES
    df = _read_csv(path, ["area_code", "area_type", "pod", "group", "age", "rate_f", "rate_m"])
    df = df[df["area_type"].isin(["ICB", "country"]) | df["area_code"].isin(geography.LSC_COMPONENTS)]
    df = _numeric(df, ["age"], path)
    data.validate_columns(df, data.TABLES["activity_rates"], path,
                          {"area_code": "area_code", "pod": "pod", "group": "activity", "age": "age"})
    df = _numeric(df, ["rate_f", "rate_m"], path, data.RATE)
    long = df.melt(id_vars=["area_code", "pod", "group", "age"], value_vars=["rate_f", "rate_m"],
                   var_name="sex", value_name="rate")
    long["sex"] = long["sex"].str[-1]
    out = long.rename(columns={"group": "activity"})[list(data.ACTIVITY_RATES.columns)]
    return out.sort_values(["area_code", "activity", "sex", "age"], ignore_index=True), [path]


def read_unit_costs(raw: Path, sources: Path) -> tuple[pd.DataFrame, list[layouts.Layout]]:
    """National average cost per unit of each priced activity (£), by cost-collection year.

    Each is total cost over total activity across the departments and currencies in :data:`UNIT_COST_BASIS`. Where
    a year's schedule lacks an activity's currencies (2024/25 has no outpatient attendance currencies), the latest
    earlier year's cost is carried forward unchanged and ``cost_year`` says so.
    """
    used = table_layouts(sources, "unit_costs")
    rows = []
    for layout in used:
        df = read_layout(layout, raw, keep=lambda f: (f["activity"] != "") & (f["cost"] != ""),
                         inputs=SCHEDULE_COLUMNS)
        for year in layout.years:
            for activity, (departments, currencies) in UNIT_COST_BASIS.items():
                chosen = df[df["department_code"].isin(departments)
                            & df["currency_code"].str.match(currencies or ".*")]
                if chosen["activity"].sum() > 0:
                    basis = " + ".join(departments) + (f" (currencies {currencies})" if currencies else "")
                    rows.append({"year": year, "activity": activity,
                                 "unit_cost_gbp": chosen["cost"].sum() / chosen["activity"].sum(),
                                 "units": chosen["activity"].sum(), "cost_year": year, "basis": basis})
    out = pd.DataFrame(rows)
    for year in sorted(out["year"].unique()):
        missing = set(UNIT_COST_BASIS) - set(out.loc[out["year"] == year, "activity"])
        for activity in sorted(missing):
            earlier = out[(out["activity"] == activity) & (out["year"] < year)].sort_values("year")
            if earlier.empty:
                raise InputError(
                    f"{_layout_folder(sources, 'unit_costs')}: no {year} cost for '{activity}' and no earlier year "
                    "to carry forward"
                )
            carried = earlier.iloc[-1].to_dict()
            out = pd.concat(
                [out, pd.DataFrame([{**carried, "year": year, "basis": carried["basis"] + " (carried forward)"}])]
            )
    out = out[list(data.UNIT_COSTS.columns)].sort_values(["year", "activity"], ignore_index=True)
    return _one_row_each(out, ["year", "activity"], _layout_folder(sources, "unit_costs")), used


def _validate_raw(df: pd.DataFrame, name: str, path: Path, renamed: dict[str, str] | None = None) -> pd.DataFrame:
    """Validate a table read from one raw file, so an error names that file, its line (the frame keeps the file's
    rows) and its own column (``renamed``: the file's column -> the table's)."""
    return data.validate(df, data.TABLES[name], path, {tidy: raw for raw, tidy in (renamed or {}).items()})


def read_trust_opex(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """Total operating expenditure (£) of each NHS trust by financial year, with its sector and host ICB.

    Host ICB codes are kept as the extract gives them: most are 2023 ICB codes, some are 2026 merged-ICB codes.
    """
    paths = _glob(raw, TRUST_OPEX_GLOB)
    money = [c for c in TRUST_OPEX_COLUMNS if c.endswith("_gbp")]
    frames = []
    for path in paths:
        df = _numeric(_read_csv(path, list(TRUST_OPEX_COLUMNS))[list(TRUST_OPEX_COLUMNS)], money, path)
        flag = df["discrepancy_flag"].str.strip().str.lower()
        bad = ~flag.isin(["true", "false"])
        if bad.any():
            i = bad.idxmax()
            raise InputError(f"{path}: column 'discrepancy_flag', line {i + 2}: expected True or False, "
                             f"got {df['discrepancy_flag'][i]!r}")
        df["discrepancy_flag"] = flag == "true"
        for column in ("icb_code", "icb_name"):
            df[column] = df[column].str.strip().replace("", pd.NA)
        frames.append(_validate_raw(df.rename(columns=TRUST_OPEX_COLUMNS), "trust_operating_expenditure", path,
                                    TRUST_OPEX_COLUMNS))
    return _one_row_each(pd.concat(frames, ignore_index=True), ["year", "trust_code"], raw / TRUST_OPEX_GLOB), paths


def _figures_cells(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A published figures file's cells (``df``, as text) stripped, a blank cell missing, and its ``value`` a number
    (thousands separators dropped); InputError naming the file and line of a value that is not a number. The finance
    chapter's figures files and the published pages' share it."""
    df = df.apply(lambda column: column.str.strip().replace("", pd.NA))
    parsed = pd.to_numeric(df["value"].str.replace(",", "", regex=False), errors="coerce")
    bad = parsed.isna() & df["value"].notna()
    if bad.any():
        i = bad.idxmax()
        raise InputError(f"{path}: column 'value', line {i + 2}: expected a number or an empty cell, "
                         f"got {df['value'][i]!r}")
    return df.assign(value=parsed)


def read_published_figures(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """Figures that exist only in published pages, each with its source's title, publisher and address.

    The figure id says what the figure is about: its prefix the ICB (``lsc_``: QE1) or England (``eng_``), and its
    last part the measure. The financial year is the first one named in the period. A figure without its source's
    title, publisher or address fails, naming the file, column and line.
    """
    paths = _glob(raw, PUBLISHED_GLOB)
    frames = []
    for path in paths:
        df = _figures_cells(_read_csv(path, list(PUBLISHED_COLUMNS))[list(PUBLISHED_COLUMNS)], path)
        ids = df["figure_id"].fillna("").str.match(PUBLISHED_ID.pattern)
        scopes = df["figure_id"].str.extract(PUBLISHED_ID)
        unknown = ~ids | ~scopes["scope"].isin(list(PUBLISHED_SCOPES))
        if unknown.any():
            i = unknown.idxmax()
            raise InputError(f"{path}: column 'figure_id', line {i + 2}: expected an id such as "
                             f"lsc_2324_savings_delivered starting {' or '.join(f'{k}_' for k in PUBLISHED_SCOPES)}, "
                             f"got {df['figure_id'][i]!r}")
        df = df.rename(columns=PUBLISHED_COLUMNS).assign(
            icb_code=scopes["scope"].map(PUBLISHED_SCOPES).astype(object).where(lambda c: c.notna(), pd.NA),
            year=df["period"].str.extract(r"(\d{4}/\d{2})", expand=False),
            measure=scopes["measure"].replace(PUBLISHED_MEASURES),
        )
        frames.append(_validate_raw(df[list(data.PUBLISHED_FIGURES.columns)], "published_figures", path,
                                    PUBLISHED_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    key = ["icb_code", "year", "measure"]
    dup = out.duplicated(key, keep=False) | out.duplicated("figure_id", keep=False)
    if dup.any():
        first = out[dup].iloc[0]
        raise InputError(f"{raw / PUBLISHED_GLOB}: figure {first.figure_id} ({first.measure}, {first.year}) appears "
                         "more than once (expected one figure per ICB, year and measure)")
    return out.sort_values("figure_id", ignore_index=True), paths


# --- Deprivation, healthy life and quality of care (issue 24) ---------------------------------------------------


def _numeric_or_blank(df: pd.DataFrame, columns: Iterable[str], path: Path, bounds: data.Bounds,
                      blanks: frozenset[str] | set[str] = frozenset({""})) -> pd.DataFrame:
    """As :func:`_numeric`, but a cell in ``blanks`` (an empty cell, or the publisher's "NA") is a value not
    published: missing (NaN), never zero. Any other text, or a number outside ``bounds``, fails naming the file, the
    column and the line."""
    out = df.copy()
    for column in columns:
        text = df[column].fillna("").str.strip()
        blank = text.isin(blanks)
        parsed = pd.to_numeric(text.where(~blank, "0").str.replace(",", "", regex=False), errors="coerce")
        bad = ~blank & (~np.isfinite(parsed) | ~bounds.holds(parsed))
        if bad.any():
            i = bad.idxmax()
            expected = f"{bounds.expected} or an empty cell" if pd.notna(parsed[i]) else "a number or an empty cell"
            raise InputError(f"{path}: column '{column}', line {i + 2}: expected {expected}, got {df[column][i]!r}")
        out[column] = parsed.where(~blank)
    return out


def _whole(df: pd.DataFrame, columns: Iterable[str], path: Path) -> pd.DataFrame:
    """``columns`` (parsed numbers) as integers; InputError naming the file, column and line of one with a fraction
    ("9.0", as the IMD file writes a decile, is whole)."""
    out = df.copy()
    for column in columns:
        fractional = df[column] % 1 != 0
        if fractional.any():
            i = fractional.idxmax()
            raise InputError(f"{path}: column '{column}', line {i + 2}: expected a whole number, got {df[column][i]!r}")
        out[column] = df[column].astype(int)
    return out


def imd_decile(rank: pd.Series, n: int) -> pd.Series:
    """The IMD decile of each rank among ``n`` LSOAs (1 = the most deprived tenth): rank × 10 / n, rounded up, as
    MHCLG's File 7 gives it (ranks 1 to 3,284 of 32,844 are decile 1)."""
    return np.ceil(rank * 10 / n).astype(int)


def check_ranks(imd: pd.DataFrame, path: Path, rank: str = "IMD_rank", decile: str = "IMD_decile") -> None:
    """The ranks of an IMD file (parsed, one row per LSOA) run from 1 to N, the number of LSOAs, and each decile is
    its rank's (:func:`imd_decile`).

    The file (humaniverse/IMD's copy of File 7) has ties: LSOAs tied share the best rank and the ranks after it are
    skipped (two at 2852, none at 2853), so in rank order the LSOA in place ``i`` has rank ``i`` or its predecessor's.
    InputError naming the file, column and line of the first rank out of place, or decile inconsistent.
    """
    n = len(imd)
    ordered = imd[rank].sort_values(kind="stable")
    place = pd.Series(np.arange(1, n + 1), index=ordered.index)
    wrong = (ordered != place) & (ordered != ordered.shift())
    if wrong.any():
        i = wrong.idxmax()
        raise InputError(f"{path}: column '{rank}', line {i + 2}: expected rank {place[i]}, as {place[i] - 1} LSOAs "
                         f"rank before it (ranks run from 1 to {n}, one per LSOA of the file, tied LSOAs sharing the "
                         f"best), got {imd[rank][i]}")
    expected = imd_decile(imd[rank], n)
    inconsistent = imd[decile] != expected
    if inconsistent.any():
        i = inconsistent.idxmax()
        raise InputError(f"{path}: column '{decile}', line {i + 2}: expected {expected[i]}, the decile of rank "
                         f"{imd[rank][i]} among {n} LSOAs, got {imd[decile][i]}")


def _each_once(frame: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    """``frame``; InputError naming the file, column and line of a code that is on two rows of a lookup."""
    again = frame[column].duplicated()
    if again.any():
        i = again.idxmax()
        first = frame.index[frame[column] == frame[column][i]][0]
        raise InputError(f"{path}: column '{column}', line {i + 2}: expected each code once, got {frame[column][i]!r} "
                         f"again (first on line {first + 2})")
    return frame


def _every_one_found(codes: pd.Series, found: pd.Series, path: Path, column: str, lookup: Path, what: str) -> None:
    """InputError naming the line of ``path`` of the first of ``codes`` (indexed by its rows) not among ``found``."""
    lost = ~codes.isin(found)
    if lost.any():
        i = lost.idxmax()
        raise InputError(f"{path}: column '{column}', line {i + 2}: {codes[i]!r} has no {what} in {lookup} (expected "
                         "every code there)")


def lsoa_deprivation(imd: pd.DataFrame, wards: pd.DataFrame, names: pd.DataFrame, icbs: pd.DataFrame) -> pd.DataFrame:
    """One row per LSOA of ``imd`` (``lsoa_code``, ``imd_rank``, ``imd_decile``) with its ward (``wards``: lsoa_code,
    ward_code), the ward's name and local authority (``names``: ward_code, ward_name, lad_code, lad_name), and its
    ICB, sub-ICB and 2022 local authority (``icbs``: lsoa_code, icb_code, sub_icb_code, ltla22_code, ltla22_name),
    sorted by LSOA code. Every key must be found (the reader checks it, naming the file), but a ward's name: a ward
    the names file leaves out has none, and takes its LSOA's 2022 local authority."""
    out = (imd.merge(wards, on="lsoa_code", how="left", validate="one_to_one")
           .merge(names, on="ward_code", how="left", validate="many_to_one")
           .merge(icbs, on="lsoa_code", how="left", validate="one_to_one"))
    # A ward the names file leaves out (UNNAMED_WARD_LADS) keeps no name; its authority is its LSOAs' (unchanged
    # from 2019 to 2022 for these two).
    unnamed = out["lad_code"].isna()
    out.loc[unnamed, "lad_code"] = out.loc[unnamed, "ltla22_code"]
    out.loc[unnamed, "lad_name"] = out.loc[unnamed, "ltla22_name"]
    return out[list(data.LSOA_DEPRIVATION.columns)].sort_values("lsoa_code", ignore_index=True)


def read_lsoa_deprivation(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """Every LSOA (2011) of England with its IMD 2019 rank and decile (1 = most deprived), its best-fit 2017 ward
    and that ward's local authority, and its 2022 ICB (NHS ODS), sub-ICB location and local authority.

    Checks: the ranks are 1 to N once each and the deciles are the ranks'; every LSOA has a ward, every ward a name,
    and every LSOA an ICB, each one of the 42; every ICB has LSOAs.
    """
    paths = [raw / IMD, raw / LSOA_WARDS, raw / WARD_NAMES, raw / LSOA_ICBS]
    imd_path, wards_path, names_path, icbs_path = paths
    imd = _read_csv(imd_path, ["lsoa11_code", "IMD_rank", "IMD_decile"])
    data.validate_columns(imd, data.TABLES["lsoa_deprivation"], imd_path, {"lsoa11_code": "lsoa_code"})
    imd = _numeric(imd, ["IMD_rank"], imd_path, data.IMD_RANK)
    imd = _whole(_numeric(imd, ["IMD_decile"], imd_path, data.IMD_DECILE), ["IMD_rank", "IMD_decile"], imd_path)
    check_ranks(imd, imd_path)

    wards = _read_csv(wards_path, ["lsoa11_code", "ward17_code"])
    wards = _each_once(wards[wards["lsoa11_code"].isin(imd["lsoa11_code"])], "lsoa11_code", wards_path)
    _every_one_found(imd["lsoa11_code"], wards["lsoa11_code"], imd_path, "lsoa11_code", wards_path, "ward")
    names = _each_once(_read_csv(names_path, ["ward17_code", "ward17_name", "lad19_code", "lad19_name"]),
                       "ward17_code", names_path)
    data.validate_columns(wards, data.TABLES["lsoa_deprivation"], wards_path, {"ward17_code": "ward_code"})
    data.validate_columns(names, data.TABLES["lsoa_deprivation"], names_path,
                          {"ward17_code": "ward_code", "lad19_code": "lad_code"})

    icb_columns = ["lsoa11_code", "sicbl22_code_h", "icb22_name", "icb22_code_h", "ltla22_code", "ltla22_name"]
    icbs = _read_csv(icbs_path, icb_columns)
    icbs = _each_once(icbs[icbs["lsoa11_code"].isin(imd["lsoa11_code"])], "lsoa11_code", icbs_path)
    _every_one_found(imd["lsoa11_code"], icbs["lsoa11_code"], imd_path, "lsoa11_code", icbs_path, "ICB")
    geography.check_icb_codes(icbs, icbs_path, "icb22_code_h", "icb22_name")
    geography.check_every_icb(icbs["icb22_code_h"], icbs_path, "The lookup (2022)")
    data.validate_columns(icbs, data.TABLES["lsoa_deprivation"], icbs_path,
                          {"sicbl22_code_h": "sub_icb_code", "ltla22_code": "ltla22_code"})
    # Every ward has a name, but those of the authorities the names file leaves out (their LSOAs' 2022 authority).
    left_out = wards["lsoa11_code"].isin(icbs.loc[icbs["ltla22_code"].isin(UNNAMED_WARD_LADS), "lsoa11_code"])
    _every_one_found(wards.loc[~left_out, "ward17_code"], names["ward17_code"], wards_path, "ward17_code", names_path,
                     "name")
    out = lsoa_deprivation(
        imd.rename(columns={"lsoa11_code": "lsoa_code", "IMD_rank": "imd_rank", "IMD_decile": "imd_decile"}),
        wards.rename(columns={"lsoa11_code": "lsoa_code", "ward17_code": "ward_code"}),
        names.rename(columns={"ward17_code": "ward_code", "ward17_name": "ward_name", "lad19_code": "lad_code",
                              "lad19_name": "lad_name"}),
        icbs.rename(columns={"lsoa11_code": "lsoa_code", "sicbl22_code_h": "sub_icb_code", "icb22_code_h": "icb_code"}),
    )
    return out, paths


def period_end(period: pd.Series) -> pd.Series:
    """The last calendar year of each period as Fingertips writes it: "2018 - 20" -> 2020, "1998 - 00" -> 2000."""
    start = period.str[:4].astype(int)
    end = start - start % 100 + period.str[-2:].astype(int)
    return end.where(end >= start, end + 100)


def _hle_rows(df: pd.DataFrame, path: Path, release: Release, sex: str, value: str) -> pd.DataFrame:
    """A healthy life expectancy file's rows (``sex`` and ``value``: its columns) checked by the table's own checks
    under its column and line, the values parsed (years; a value not published dropped), in the table's columns."""
    names = {"area_code": "area_code", sex: "sex", "period": "period"}
    data.validate_columns(df, data.TABLES["healthy_life_expectancy"], path, names)
    df = _numeric_or_blank(df, [value], path, data.HLE_YEARS, HLE_NOT_PUBLISHED)
    df = df[df[value].notna()]
    end = period_end(df["period"])
    series = release.series or None
    out = df.rename(columns={sex: "sex", value: "hle_years"}).assign(
        period_end=end, release=release.label,
        ons_series=series if series else np.where(end > LAST_PERIOD_BEFORE_REVISION, "revised", "before revision"))
    return out[list(data.HEALTHY_LIFE_EXPECTANCY.columns)]


def read_healthy_life_expectancy(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """Healthy life expectancy at birth (years) by sex and period for England and every upper-tier area, one row per
    release: the two Fingertips extracts and, for Lancashire county (which they lack), Lancashire County Council's
    pages. Lower-tier districts, values not published and the pages' HLE at 65 are left out."""
    frames, paths = [], []
    for relative, release in HLE_EXTRACTS.items():
        path = raw / relative
        df = _read_csv(path, ["area_code", "area_name", "area_type", "period", "value", "inequality"])
        unknown = ~df["area_type"].isin(HLE_KEPT_TYPES | HLE_DROPPED_TYPES)
        if unknown.any():
            i = unknown.idxmax()
            raise InputError(f"{path}: column 'area_type', line {i + 2}: expected one of "
                             f"{sorted(HLE_KEPT_TYPES | HLE_DROPPED_TYPES)}, got {df['area_type'][i]!r}")
        frames.append(_hle_rows(df[df["area_type"].isin(HLE_KEPT_TYPES)], path, release, "inequality", "value"))
        paths.append(path)
    path = raw / LCC_HLE
    df = _read_csv(path, ["area_code", "area_name", "period", "measure", "sex", "value_years"])
    unknown = ~df["measure"].isin(LCC_MEASURES)
    if unknown.any():
        i = unknown.idxmax()
        raise InputError(f"{path}: column 'measure', line {i + 2}: expected one of {list(LCC_MEASURES)}, "
                         f"got {df['measure'][i]!r}")
    df = df[df["measure"].map(LCC_MEASURES)]
    types = df["area_code"].str[:3].map(AREA_TYPES_BY_PREFIX)
    if types.isna().any():
        i = types.isna().idxmax()
        raise InputError(f"{path}: column 'area_code', line {i + 2}: expected the code of England, a county or a "
                         f"unitary authority (starting {', '.join(AREA_TYPES_BY_PREFIX)}), got {df['area_code'][i]!r}")
    frames.append(_hle_rows(df.assign(area_type=types), path, LCC_RELEASE, "sex", "value_years"))
    paths.append(path)
    out = pd.concat(frames, ignore_index=True)
    out = _one_row_each(out, ["area_code", "sex", "period", "release"], raw / HLE_FOLDER)
    return out.sort_values(["release", "area_code", "sex", "period_end"], ignore_index=True), paths


def _icb_by_name(names: pd.Series, path: object, column: str) -> pd.Series:
    """The ICB code (NHS ODS) of each ICB name as an extract gives it (a sub-ICB suffix " - 00Q" ignored);
    InputError naming the file, column and line of a name that is not one of the 42 ICBs'."""
    reference = geography.icb_reference()
    by_key = dict(zip(reference["icb_name"].map(geography.normalise_name), reference["icb_code"], strict=True))
    keys = names.fillna("").str.replace(SUB_ICB_SUFFIX, "", regex=True).map(geography.normalise_name)
    codes = keys.map(by_key)
    if codes.isna().any():
        i = codes.isna().idxmax()
        raise InputError(f"{path}: column '{column}', line {i + 2}: expected the name of one of the {len(reference)} "
                         f"ICBs ({geography.ICB_BOUNDARIES} boundaries), got {names[i]!r}")
    return codes


def qof_extract(layout: layouts.Layout, frame: pd.DataFrame, where: object) -> pd.DataFrame:
    """One QOF extract's rows (``frame``: the layout's columns as text, indexed by the file's rows) as the table's:
    the ICB's code from its name, the measures parsed (per cent; a blank is missing, not zero), the extract (the
    layout's file name, e.g. 2024-05) and the QOF year (the layout's one year) on every row."""
    extract = layout.path.stem
    if not EXTRACT_NAME.match(extract) or len(layout.years) != 1:
        raise InputError(f"{layout.path}: expected a layout named after its extract's month (e.g. 2024-05.yml) "
                         f"giving one QOF year, got {layout.path.name!r} with years {list(layout.years)}")
    headers = {c: h for part in layout.parts for c, h in part.headers.items()}
    missing = [c for c in QOF_REQUIRED if c not in headers]
    if missing:
        raise InputError(f"{layout.path}: field 'columns.{missing[0]}': expected the header of the extract's "
                         f"'{missing[0]}' (every QOF layout gives {QOF_REQUIRED})")
    given = [c for c in QOF_NUMBERS if c in headers]
    named = frame.rename(columns=headers)
    data.validate_columns(named, data.TABLES["qof_hypertension"], where, {headers["practice_code"]: "practice_code"})
    for column in given:
        named = _numeric_or_blank(named, [headers[column]], where, QOF_NUMBERS[column])
    out = named.rename(columns={h: c for c, h in headers.items()})
    out["icb_code"] = _icb_by_name(named[headers["icb_name"]], where, headers["icb_name"])
    out = out.assign(extract=extract, qof_year=layout.years[0],
                     practice_name=out["practice_name"].str.strip())
    return out.reindex(columns=list(data.QOF_HYPERTENSION.columns))


def read_qof_hypertension(raw: Path, sources: Path) -> tuple[pd.DataFrame, list[layouts.Layout]]:
    """QOF hypertension control (HYP008 under 80, HYP009 80 and over, per cent) and the weighted population (persons)
    of each GP practice, one row per practice and extract, as each extract's layout reads it."""
    frames, used = [], table_layouts(sources, "qof_hypertension")
    for layout in used:
        frame = read_layout(layout, raw, key=("practice_code",), inputs=QOF_COLUMNS)
        frames.append(qof_extract(layout, frame, raw / layout.file))
    out = pd.concat(frames, ignore_index=True)
    out["weighted_population"] = out["weighted_population"].astype(float)
    return _one_row_each(out, ["extract", "practice_code"], _layout_folder(sources, "qof_hypertension")), used


def page_figures(df: pd.DataFrame, path: Path, paraphrase: bool) -> pd.DataFrame:
    """One published pages' figures file (``df``, the file's columns as text) as rows of ``published_figures``:
    the whole id as the measure, the ICB where the geography names it (QE1), the first financial year the period
    names, and the context only where the file's ``quoted_context`` is a paraphrase (``paraphrase``)."""
    df = _figures_cells(df, path)
    icb = pd.Series(pd.NA, index=df.index, dtype=object)
    for code, pattern in PAGE_ICB.items():
        icb = icb.mask(df["geography"].fillna("").str.contains(pattern), code)
    out = df.rename(columns=PUBLISHED_COLUMNS).assign(
        icb_code=icb, measure=df["figure_id"],
        year=df["period"].str.extract(r"(\d{4}/\d{2})", expand=False),
        context=df["quoted_context"] if paraphrase else pd.NA,
    )
    return out[list(data.PUBLISHED_FIGURES.columns)]


def read_page_figures(raw: Path) -> tuple[pd.DataFrame, list[Path], dict[str, list[str]]]:
    """The figures of the published pages' folders (:data:`PUBLISHED_PAGES`), as rows of ``published_figures``, each
    with its page's title, publisher and address; the files read; and the financial years each folder's publication
    gives the table (for its citation)."""
    frames, paths, years = [], [], {}
    for relative, source in PUBLISHED_PAGES.items():
        path = raw / relative
        paraphrase = relative in PAGE_PARAPHRASES
        columns = [*PAGE_COLUMNS, *(["quoted_context"] if paraphrase else [])]
        df = _read_csv(path, columns)[columns]
        frame = page_figures(df.reindex(columns=list(PUBLISHED_COLUMNS), fill_value=""), path, paraphrase)
        frames.append(_validate_raw(frame, "published_figures", path, PUBLISHED_COLUMNS))
        paths.append(path)
        years[source] = sorted(frame["year"].dropna().unique())
    return pd.concat(frames, ignore_index=True), paths, years


def join_published(figures: pd.DataFrame, pages: pd.DataFrame, where: Path) -> pd.DataFrame:
    """The finance chapter's published figures and the pages' in one table, sorted by id; InputError naming the id
    of a figure in both."""
    out = pd.concat([figures, pages], ignore_index=True)
    again = out["figure_id"].duplicated()
    if again.any():
        raise InputError(f"{where}: figure {out['figure_id'][again.idxmax()]} (published figures and pages) appears "
                         "more than once (expected each figure id once, across the published figures and the "
                         "published pages)")
    return out.sort_values("figure_id", ignore_index=True)


def read_areas(raw: Path, codes: set[str]) -> tuple[pd.DataFrame, list[Path]]:
    """Name and type of each area code used."""
    path = raw / AREA_CODES
    df = _read_csv(path, ["area_code", "area_name", "area_type"])
    return df[df["area_code"].isin(codes)].sort_values("area_code", ignore_index=True), [path]


def check_registered_populations(allocations: pd.DataFrame, weighted: pd.DataFrame,
                                  read: dict[str, list[layouts.Layout]]) -> None:
    """The allocation workbook's implied list size and the practice file's must agree (same NHS England data).

    ``read`` gives each table's layouts, so a year one source has and the other lacks names the layout to add.
    """
    both = allocations.merge(weighted, on=["year", "icb_code"], how="outer", indicator=True)
    orphan = both[both["_merge"] != "both"]
    if len(orphan):
        row = orphan.iloc[0]
        has, lacks = (("icb_allocations", "icb_weighted_population") if row._merge == "left_only" else
                      ("icb_weighted_population", "icb_allocations"))
        given = next(layout for layout in read[has] if row.year in layout.years)
        raise InputError(f"{given.path}: gives {row.year} ({row.icb_code} and others) from {given.file}, but no "
                         f"layout in {given.path.parent.parent / lacks} gives {row.year} (expected both sources for "
                         f"every year: add a layout for the year's {_WHAT[lacks]})")
    gap = (both["registered_population_implied_persons"] - both["registered_population_persons"]).abs()
    if (gap > REGISTERED_POP_TOLERANCE).any():
        row = both.loc[gap.idxmax()]
        practices, allocations = (next(u.file for u in read[t] if row.year in u.years)
                                  for t in ("icb_weighted_population", "icb_allocations"))
        raise InputError(
            f"{row.icb_code} {row.year}: registered population {row.registered_population_persons:,.1f} (practices, "
            f"{practices}) against {row.registered_population_implied_persons:,.1f} (allocations, {allocations}); "
            f"expected within {REGISTERED_POP_TOLERANCE} person (is a practice in twice, or left out?)"
        )


_WHAT = {"icb_allocations": "ICB allocations workbook", "icb_weighted_population": "GP-practice weighted populations"}


def number_text(value: float) -> str:
    """How a prepared table writes a number: a whole number without a decimal point ("1010"), any other in the
    shortest form that reads back as the same float, an empty cell for a missing value. Each value is written on
    its own, so adding rows never rewrites an existing row (as a column-wide format would)."""
    if value != value:  # NaN
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def table_text(frame: pd.DataFrame) -> str:
    """A prepared table as CSV text, its numbers written by :func:`number_text`."""
    out = frame.copy()
    for column in out.select_dtypes("float").columns:
        out[column] = out[column].map(number_text)
    return out.to_csv(index=False, lineterminator="\n")


def _cited(sources: dict[str, dict], years_by_source: dict[str, list[str]] | list[str]) -> list[dict]:
    """The data package's entry for each publication a table is made from: its catalogue entry, id, and the
    financial years it gives the table (``years_by_source``: id -> years; or a list of ids for a table that is not
    by financial year)."""
    items = years_by_source.items() if isinstance(years_by_source, dict) else ((i, None) for i in years_by_source)
    out = []
    for source_id, years in items:
        if source_id not in sources:
            raise InputError(f"{layouts.CATALOGUE}: no publication '{source_id}' (expected an entry for each "
                             "source a table is made from)")
        entry = {"id": source_id, **{f: sources[source_id][f] for f in layouts.CATALOGUE_FIELDS}}
        if "licence" in sources[source_id]:  # given for the sources added since issue 24
            entry["licence"] = sources[source_id]["licence"]
        out.append(entry | ({"years": sorted(years)} if years is not None else {}))
    return out


def _by_source(used: list[layouts.Layout]) -> dict[str, list[str]]:
    years: dict[str, set[str]] = {}
    for layout in used:
        years.setdefault(layout.source, set()).update(layout.years)
    return {k: sorted(v) for k, v in years.items()}


class Read(NamedTuple):
    """What reading one table gave: the table, what it was read from (its layouts, for a table read by layout; else
    the raw files), and how to find the publications it cites where its kind of reader's rule does not
    (:data:`READERS`): a function of the validated table giving them as :func:`_cited` takes them, or None."""

    frame: pd.DataFrame
    inputs: list
    cites: Callable[[pd.DataFrame], dict[str, list[str]] | list[str]] | None = None


class TableReader(NamedTuple):
    """How ``sots prepare`` reads one table: an entry of :data:`READERS`."""

    table: str  # the table's name in data.TABLES
    # Called as read(raw, sources, *needs) when by_layout, else as read(raw, *needs); gives the fields of a Read.
    read: Callable[..., tuple]
    # True: read as the layouts in sources/ describe its files, and gives those layouts; it cites each layout's
    # publication for the years the layout gives. False: read from raw files named in code (by name or glob), and
    # gives the files; it cites its table's publications (data.TABLES), for the financial years of its rows if it has
    # them.
    by_layout: bool = False
    needs: tuple[str, ...] = ()  # tables read before it, whose Read it is given after raw (and sources)
    then: Callable[[dict[str, Read]], None] | None = None  # a check once it is read, given every table read so far


def _read_icb_lookup(raw: Path, allocations: Read) -> Read:
    """The ICB lookup (:func:`build_icb_lookup`), citing the layouts of the first allocation year, whose names and
    regions it takes, and the area codes' publication."""
    lookup, paths = build_icb_lookup(allocations.frame, raw)
    first = min(allocations.frame["year"])
    ids = list(dict.fromkeys([*_by_source([u for u in allocations.inputs if first in u.years]),
                              *data.TABLES["icb_lookup"].sources]))
    return Read(lookup, paths, lambda frame: ids)


def _check_icb_populations(read: dict[str, Read]) -> None:
    """:func:`check_registered_populations` of the allocations and the weighted populations, as read."""
    tables = ("icb_allocations", "icb_weighted_population")
    check_registered_populations(*(read[t].frame for t in tables), {t: read[t].inputs for t in tables})


def _read_areas(raw: Path, projection: Read, rates: Read) -> tuple[pd.DataFrame, list[Path]]:
    """The areas (:func:`read_areas`) of every area code the projections and the activity rates use."""
    return read_areas(raw, set(projection.frame["area_code"]) | set(rates.frame["area_code"]))


def _read_published(raw: Path) -> Read:
    """The finance chapter's published figures and the published pages' in one table (:func:`join_published`). The
    published figures' own publication gives the years of its rows; each published pages' folder its own."""
    figures, figure_paths = read_published_figures(raw)
    pages, page_paths, page_years = read_page_figures(raw)

    def cites(frame: pd.DataFrame) -> dict[str, list[str]]:
        finance_years = sorted(frame.loc[~frame["figure_id"].isin(pages["figure_id"]), "year"].dropna().unique())
        return {"published_figures": finance_years, **page_years}

    return Read(join_published(figures, pages, raw / PUBLISHED_GLOB), [*figure_paths, *page_paths], cites)


# Every prepared table's reader, in the order prepare reads them: the quicker a file is to read, the sooner, so that a
# mistake in a small file is named in a second, not after the large ones are read (seconds on one core, warm). The
# published figures and pages, the trusts' accounts and the indicators first (each under 0.2 s); then the deprivation
# and its lookups (0.8 s), the allocations and the practices' populations (0.8 and 0.4 s), whose registered
# populations the lookup checks against each other; then the costs, the estimates, the activity rates (0.6 s) and the
# projection (2 s); last the areas, which need the projection's and the rates' area codes.
READERS: tuple[TableReader, ...] = (
    TableReader("published_figures", _read_published),
    TableReader("trust_operating_expenditure", read_trust_opex),
    TableReader("healthy_life_expectancy", read_healthy_life_expectancy),
    TableReader("qof_hypertension", read_qof_hypertension, by_layout=True),
    TableReader("lsoa_deprivation", read_lsoa_deprivation),
    TableReader("icb_allocations", read_allocations, by_layout=True),
    TableReader("icb_weighted_population", read_weighted_population, by_layout=True),
    # The lookup checks the first year's ICB names against the area codes; then the allocations' and the practices'
    # registered populations are checked against each other.
    TableReader("icb_lookup", _read_icb_lookup, needs=("icb_allocations",), then=_check_icb_populations),
    TableReader("unit_costs", read_unit_costs, by_layout=True),
    TableReader("population_estimates", read_population_estimates),
    TableReader("activity_rates", read_activity_rates),
    TableReader("population_projection", read_population_projection),
    TableReader("areas", _read_areas, needs=("population_projection", "activity_rates")),
)


def _default_cites(reader: TableReader, read: Read, frame: pd.DataFrame) -> dict[str, list[str]] | list[str]:
    """The publications a table cites by its kind of reader (:class:`TableReader`), as :func:`_cited` takes them."""
    if reader.by_layout:
        return _by_source(read.inputs)
    ids = data.TABLES[reader.table].sources
    # By financial year ("2023/24"), not by calendar mid-year (population estimates' 2020).
    if "year" in frame.columns and not pd.api.types.is_integer_dtype(frame["year"]):
        return {i: sorted(frame["year"].dropna().unique()) for i in ids}
    return list(ids)


def prepare(raw: Path, out: Path, sources: Path | None = None) -> dict[str, int]:
    """Read the upstream folder ``raw`` as the layouts in ``sources`` (default: the project's ``sources/``) describe
    it, validate, and write every tidy table and ``datapackage.json`` to ``out``.

    Each table is read by its entry of :data:`READERS`, in that order. Nothing is written unless every table
    validates. Returns the row count of each table written.
    """
    raw, out = Path(raw), Path(out)
    if not raw.is_dir():
        raise InputError(f"{raw}: folder not found (expected the upstream raw data; pass --raw DIR)")
    atomic.check_writable(out, "the prepared tables (--data)")  # before reading the sources, not after
    sources = Path(sources) if sources is not None else layouts.folder()
    catalogue = layouts.catalogue(sources)
    read: dict[str, Read] = {}
    for reader in READERS:
        given = (raw, sources) if reader.by_layout else (raw,)
        read[reader.table] = Read(*reader.read(*given, *(read[name] for name in reader.needs)))
        if reader.then is not None:
            reader.then(read)
    frames = {name: data.validate(read[name].frame, data.TABLES[name], f"{name} (prepared from {raw})")
              for name in data.TABLES}
    project = sources.parent
    raw_files, cited = {}, {}
    for reader in READERS:
        name, inputs = reader.table, read[reader.table].inputs
        raw_files[name] = ([data.RawInput(layout.file, hashing.file_sha256(raw / layout.file),
                                          _relative(layout.path, project)) for layout in inputs] if reader.by_layout
                           else [data.RawInput(p.relative_to(raw).as_posix(), hashing.file_sha256(p)) for p in inputs])
        cites = read[name].cites
        cited[name] = _cited(catalogue, cites(frames[name]) if cites is not None
                             else _default_cites(reader, read[name], frames[name]))
    write_tables(frames, raw_files, cited, out)
    return {name: len(frame) for name, frame in frames.items()}


def _relative(path: Path, project: Path) -> str:
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def write_tables(frames: dict[str, pd.DataFrame], raw_files: dict[str, list[data.RawInput]],
                 cited: dict[str, list[dict]], out: Path) -> None:
    """Write every table and the data package to ``out``, all or none.

    Each file is written in full to a scratch folder inside ``out`` first; only when all are written are they renamed
    into place, the data package last (:func:`sots.atomic.replace_together`), with a journal of the renames in the
    scratch folder. A run that fails leaves ``out`` as it was; one killed outright leaves its scratch folder, which
    the next run removes, after putting back every table it had replaced (:func:`recover`).
    """
    out.mkdir(parents=True, exist_ok=True)
    recover(out)
    atomic.remove_stale(out, SCRATCH_PREFIX)
    with atomic.scratch(out, SCRATCH_PREFIX) as work:
        names = [data.TABLES[name].filename for name in frames]
        for name, frame in frames.items():
            (work / data.TABLES[name].filename).write_text(table_text(frame), encoding="utf-8")
        package = data.datapackage(work, raw_files, cited)
        (work / data.DATAPACKAGE).write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")
        atomic.replace_together([(work / f, out / f) for f in [*names, data.DATAPACKAGE]], backups=work,
                                journal=work / atomic.JOURNAL)


def recover(out: Path) -> list[str]:
    """Undo what a ``sots prepare`` killed outright while it renamed its tables into ``out`` had done (its scratch
    folder's journal lists the renames), so ``out`` is as it was before that run, not half new; a line for each run
    undone, for the log. Every command that reads or writes ``data/`` runs this first."""
    return [f"{out}: undid a `sots prepare` stopped while it renamed its tables ({made} of {total} files had been "
            f"replaced); the tables are as they were before it ran" for _, made, total in
            atomic.undo_stopped(out, SCRATCH_PREFIX)]
