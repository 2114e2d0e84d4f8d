"""A publisher's file as a layout sees it, for ``sots inspect``: each sheet's rows that look like a header row, and,
beside a layout (last year's, typically), which of the layout's headers the file has, which it lacks, and the file's
closest header to each one it lacks.

Writing a new year's layout is reading the new file's sheets and headers against last year's layout; this prints
both side by side, so a renamed sheet, a moved header row or a renamed header is seen at once rather than one
``sots prepare`` run at a time. Nothing is written.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sots.errors import InputError, parse_yaml
from sots.inputs import layouts

ROWS = 30  # the rows of each sheet looked at: a header row sits below a title and notes, never much further down
CANDIDATES = 3  # header-row candidates shown per sheet


@dataclass(frozen=True)
class Sheet:
    """The first rows of one sheet of a workbook (``name`` None for a CSV), each cell as its header text."""

    name: str | None
    rows: list[list[str]]  # row 1 first; cells white-space-normalised ("" for a blank)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def read(path: Path, rows: int = ROWS) -> list[Sheet]:
    """The first ``rows`` rows of every sheet of ``path`` (a workbook, ``.xlsx``), or of the CSV file; InputError if
    the file is missing or cannot be read."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception as err:  # openpyxl raises several kinds for a file that is not a workbook
            raise InputError(f"{path}: cannot be read as an Excel workbook ({type(err).__name__}: {err})") from None
        try:
            return [Sheet(name, [[layouts.normalise_header(c) for c in row]
                                 for row in book[name].iter_rows(max_row=rows, values_only=True)])
                    for name in book.sheetnames]
        finally:
            book.close()
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = list(itertools.islice(csv.reader(handle), rows))
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: expected UTF-8 text, got the byte {err.object[err.start]:#x} (save the file as "
                         "UTF-8 CSV)") from None
    return [Sheet(None, [[layouts.normalise_header(c) for c in line] for line in lines])]


def header_rows(sheet: Sheet, limit: int = CANDIDATES) -> list[tuple[int, list[str]]]:
    """The rows of ``sheet`` that look like a header row, as (row number, its non-blank cells), at most ``limit``:
    two or more cells, nearly all text rather than numbers (a title has one cell; a row of data, numbers)."""
    found = []
    for number, cells in enumerate(sheet.rows, 1):
        filled = [c for c in cells if c]
        text = [c for c in filled if not _is_number(c)]
        if len(text) >= 2 and len(text) >= 0.8 * len(filled):
            found.append((number, filled))
    return found[:limit]


def load_layout(path: Path) -> layouts.Layout:
    """The layout file ``path`` (``sources/layouts/<table>/<name>.yml``), checked as ``sots prepare`` checks it."""
    from sots.inputs import prepare

    if not path.is_file():
        raise InputError(f"{path}: file not found (expected a source layout)")
    table, sources_dir = path.parent.name, path.parent.parent.parent
    if table not in layouts.data.TABLES:
        raise InputError(f"{path}: expected a layout in sources/layouts/<table>/, one of {list(layouts.data.TABLES)}, "
                         f"got the folder '{table}'")
    given = prepare.COMPUTED_FROM.get(table)
    columns = {c: i.unit for c, i in given.items()} if given else None
    doc: Any = parse_yaml(path.read_text(encoding="utf-8"), path)
    return layouts.parse(doc, path, table, layouts.catalogue(sources_dir), columns)


def compare(sheets: list[Sheet], layout: layouts.Layout) -> list[str]:
    """For each part of ``layout``, lines saying whether its sheet is in the file, and each of its headers found on
    its header row or missing (with the file's closest header, and the row holding it if another does)."""
    by_name = {s.name: s for s in sheets}
    names = [s.name for s in sheets if s.name is not None]
    lines = []
    for part in layout.parts:
        where = f"sheet '{part.sheet}'" if part.sheet is not None else "the file"
        sheet = by_name.get(part.sheet) if part.sheet is not None else sheets[0]
        if part.sheet is not None and (sheet is None or not names):
            near = layouts.closest(part.sheet, names)
            lines.append(f"layout {where}: missing (the file's sheets are {names}"
                         f"{f'; closest {near!r}' if near else ''})")
            continue
        row = sheet.rows[part.header_row - 1] if part.header_row <= len(sheet.rows) else []
        missing = layouts.missing_headers(part, row)
        lines.append(f"layout {where}, header row {part.header_row}: {len(part.headers) - len(missing)} of "
                     f"{len(part.headers)} headers found")
        for column, header in part.headers.items():
            if (column, header) not in missing:
                lines.append(f"  found    {column}: '{header}'")
                continue
            near = layouts.closest(header, row)
            elsewhere = next((n for n, cells in enumerate(sheet.rows, 1) if header in cells), None)
            notes = [f"closest on row {part.header_row}: {near!r}" if near else "",
                     f"it is on row {elsewhere}" if elsewhere else ""]
            lines.append(f"  missing  {column}: '{header}'" + (f" ({'; '.join(filter(None, notes))})"
                                                              if any(notes) else ""))
    return lines


def report(path: Path, layout: Path | None = None, rows: int = ROWS) -> list[str]:
    """What ``sots inspect`` prints: each sheet of ``path`` and its header-row candidates; then, given a layout file,
    :func:`compare`."""
    sheets = read(path, rows)
    lines = []
    for sheet in sheets:
        lines.append(f"sheet '{sheet.name}'" if sheet.name is not None else f"{path.name} (CSV)")
        candidates = header_rows(sheet)
        if not candidates:
            lines.append(f"  no row among the first {rows} looks like a header row")
        for number, cells in candidates:
            lines.append(f"  row {number}: " + " | ".join(cells))
    if layout is not None:
        lines.extend(compare(sheets, load_layout(layout)))
    return lines
