"""Source layouts: how each publisher's file is read, as data, so a layout that drifts is a data change.

The project's ``sources/`` folder holds the catalogue of publications (``sources.yml``: id -> title, publisher,
address, period) and one layout per publisher's file, under ``sources/layouts/<table>/``. A layout names the
publication it is from, the file (by its path under the upstream folder), the financial years it gives, and for
each sheet read (a CSV has one) the header row and which header holds each of the table's columns, with the
file's unit where it differs from the table's. ``sots prepare`` reads every layout of a table; a year that
arrives with renamed headers, another header row, a one-year file or a measure no longer published needs a new
layout, not new code.

This module reads and checks layouts and the catalogue; :mod:`sots.inputs.prepare` reads the files they describe. A
malformed layout fails with one line naming the layout file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from sots.errors import InputError, parse_yaml
from sots.inputs import data
from sots.inputs import schema as schemas
from sots.project import project_root

SOURCES_DIR = "sources"  # under the project folder
CATALOGUE = "sources.yml"
LAYOUTS = "layouts"
SCHEMA = "inputs/layout.schema.json"
CATALOGUE_FIELDS = ("title", "publisher", "path", "period")
# Optional fields of a publication: its licence (copied into the data package with it) and its upstream folder.
OPTIONAL_FIELDS = ("licence", "raw_folder")

# A file's unit -> the table's unit: the factor a value is multiplied by, exact, so a value in the table's own unit
# is never touched and one converted is multiplied and divided by whole numbers (no binary rounding of 1e-3).
CONVERSIONS: dict[tuple[str, str], Fraction] = {
    ("GBP", "GBP thousands"): Fraction(1, 1000),
    ("GBP millions", "GBP thousands"): Fraction(1000),
    ("GBP thousands", "GBP"): Fraction(1000),
    ("GBP millions", "GBP"): Fraction(1_000_000),
    ("per cent", "fraction"): Fraction(1, 100),
    ("thousands of persons", "persons"): Fraction(1000),
}


@dataclass(frozen=True)
class Part:
    """One sheet of a workbook (``sheet`` None for a CSV): its header row and the headers of the table's columns."""

    sheet: str | None
    header_row: int
    headers: dict[str, str]  # table column -> the publisher's header
    factors: dict[str, Fraction]  # table column -> factor from the file's unit (only where it differs)


@dataclass(frozen=True)
class Layout:
    """How one publisher's file gives rows of one prepared table."""

    path: Path  # the layout file
    table: str
    source: str  # the publication's id in the catalogue
    file: str  # under the upstream folder
    years: tuple[str, ...]
    parts: tuple[Part, ...]

    @property
    def columns(self) -> list[str]:
        """The table's columns this layout gives, in the order the parts name them, once each."""
        return list(dict.fromkeys(c for part in self.parts for c in part.headers))


def folder(project: Path | None = None) -> Path:
    """The project's ``sources/`` folder."""
    return (project or project_root()) / SOURCES_DIR


def _yaml(path: Path, what: str) -> Any:
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected {what})")
    return parse_yaml(path.read_text(encoding="utf-8"), path)


def catalogue(sources_dir: Path) -> dict[str, dict[str, str]]:
    """Every publication, by id: its title, publisher, address and period (and, where given, its licence and
    upstream folder), from ``sources.yml``."""
    path = sources_dir / CATALOGUE
    doc = _yaml(path, "the catalogue of publications")
    if not isinstance(doc, dict) or not doc:
        raise InputError(f"{path}: expected a mapping from each publication's id to its {list(CATALOGUE_FIELDS)}")
    for source_id, entry in doc.items():
        if not isinstance(entry, dict):
            raise InputError(f"{path}: publication '{source_id}': expected a mapping with the fields "
                             f"{list(CATALOGUE_FIELDS)}, got {schemas.got(entry)}")
        for name in CATALOGUE_FIELDS:
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise InputError(f"{path}: publication '{source_id}', field '{name}': expected text, "
                                 f"got {schemas.got(entry.get(name))}")
        for name in OPTIONAL_FIELDS:
            if name in entry and (not isinstance(entry[name], str) or not entry[name].strip()):
                raise InputError(f"{path}: publication '{source_id}', field '{name}': expected text, "
                                 f"got {schemas.got(entry[name])}")
    return {str(k): {f: v[f] for f in (*CATALOGUE_FIELDS, *OPTIONAL_FIELDS) if f in v} for k, v in doc.items()}


def _where(doc: Any, error) -> str:
    return schemas.problem(error, list(error.absolute_path))


def table_columns(table: data.Table) -> dict[str, str | None]:
    """A table's columns and the unit of each (None for text), as its layouts may name them."""
    return {c: (col.metadata or {}).get("unit") for c, col in table.schema.columns.items()}


def _part(spec: dict, table: str, columns: dict[str, str | None], path: Path, field: str) -> Part:
    headers, factors = {}, {}
    for column, given in spec["columns"].items():
        if column not in columns:
            raise InputError(f"{path}: field '{field}columns.{column}': expected a column of the table "
                             f"'{table}' {list(columns)}, got {column!r}")
        header = given if isinstance(given, str) else given["header"]
        headers[column] = " ".join(header.split())
        unit, wanted = (None if isinstance(given, str) else given.get("unit")), columns[column]
        if unit is not None and unit != wanted:
            if (unit, wanted) not in CONVERSIONS:
                known = sorted({f for f, t in CONVERSIONS if t == wanted} | ({wanted} if wanted else set()))
                raise InputError(f"{path}: field '{field}columns.{column}.unit': expected a unit that converts to "
                                 f"the table's {wanted!r} (one of {known}), got {unit!r}")
            factors[column] = CONVERSIONS[(unit, wanted)]
    return Part(spec.get("sheet"), spec.get("header_row", 1), headers, factors)


def parse(doc: Any, path: Path, table: str, sources: dict[str, dict],
          columns: dict[str, str | None] | None = None) -> Layout:
    """A layout document checked against the layout schema and its table; InputError in one line otherwise.

    ``columns`` are the names a layout of ``table`` may give, with the unit of each: by default the table's own
    columns; for a table computed from its files (unit costs from a cost schedule), the files' columns it needs.
    """
    columns = table_columns(data.TABLES[table]) if columns is None else columns
    schemas.check(doc, SCHEMA, path, _where)
    if ("sheets" in doc) == ("columns" in doc):
        raise InputError(f"{path}: expected either 'columns' (a CSV, or one sheet) or 'sheets' (a list), not "
                         f"{'both' if 'sheets' in doc else 'neither'}")
    file = PurePosixPath(doc["file"])
    if file.is_absolute() or ".." in file.parts:  # as written: a link inside the upstream may point anywhere
        raise InputError(f"{path}: field 'file': expected a path inside the upstream folder (--raw), relative and "
                         f"without '..', got {doc['file']!r}")
    if doc["source"] not in sources:
        raise InputError(f"{path}: field 'source': expected a publication listed in {CATALOGUE} "
                         f"({', '.join(sources)}), got {doc['source']!r}")
    years = tuple(doc["years"])
    for year in years:
        first, second = (int(part) for part in year.split("/"))
        if (first + 1) % 100 != second:
            raise InputError(f"{path}: field 'years': expected financial years such as 2024/25, got {year!r}")
    specs = doc["sheets"] if "sheets" in doc else [doc]
    parts = tuple(_part(s, table, columns, path, f"sheets.{n}." if "sheets" in doc else "")
                  for n, s in enumerate(specs))
    if len(years) > 1 and "year" in columns and not any("year" in p.headers for p in parts):
        raise InputError(f"{path}: field 'columns.year': expected the header of the year column, as the file "
                         f"gives {len(years)} years")
    return Layout(path, table, doc["source"], doc["file"], years, parts)


def of_table(sources_dir: Path, table: str, sources: dict[str, dict] | None = None,
             columns: dict[str, str | None] | None = None) -> list[Layout]:
    """Every layout of ``table``, in file-name order (``columns``: see :func:`parse`); InputError if there is none."""
    found = sorted((sources_dir / LAYOUTS / table).glob("*.yml"))
    if not found:
        raise InputError(f"{sources_dir / LAYOUTS / table}: no layout (expected one .yml file for each of the "
                         f"publisher's files; see {sources_dir / 'README.md'})")
    sources = catalogue(sources_dir) if sources is None else sources
    return [parse(_yaml(path, "a source layout"), path, table, sources, columns) for path in found]


def normalise_header(header: Any) -> str:
    """A header as layouts name it: white space (line breaks in a workbook's header cells too) collapsed to one
    space, ends stripped."""
    return " ".join(str(header).split()) if header is not None else ""


def missing_headers(part: Part, headers: list[str]) -> list[tuple[str, str]]:
    """Each (table column, publisher's header) of ``part`` whose header is not among a file's ``headers`` (already
    normalised, :func:`normalise_header`), in the layout's order: every wrong header of a sheet at once, so that one
    run of ``sots prepare`` names them all."""
    found = set(headers)
    return [(column, header) for column, header in part.headers.items() if header not in found]


def closest(header: str, headers: list[str]) -> str | None:
    """The file's header most like ``header`` (a renamed header usually keeps most of its words), if any is close."""
    import difflib

    found = difflib.get_close_matches(header, [h for h in headers if h], n=1, cutoff=0.6)
    return found[0] if found else None


def missing_text(missing: list[tuple[str, str]], headers: list[str]) -> str:
    """The layout's headers not among the file's ``headers``, for an error line: "'H' (as 'column', closest 'H2'),
    ..."."""
    def one(column: str, header: str) -> str:
        near = closest(header, headers)
        return f"'{header}' (as '{column}'{f', closest {near!r}' if near else ''})"

    return ", ".join(one(column, header) for column, header in missing)
