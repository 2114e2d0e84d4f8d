"""The register of editions: ``editions.yml`` read, validated, and turned into what each notebook receives.

An edition reruns every chapter on one year's data. Its entry gives an id (the financial year it reports on,
``2024-25``), a title, a status (``current`` or ``archived``; exactly one edition is current) and the data year of
each input. The data years reach the notebooks as papermill parameters of the same names, all plain strings, so
a chapter takes the ones it needs by declaring them in its ``parameters`` cell. A new year is one more entry here
and its prepared tables: no code changes.

A malformed file fails with one line naming the file, the edition and the field, and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sots.errors import InputError

EDITIONS_FILE = "editions.yml"
STATUSES = ("current", "archived")

ID_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")  # an edition id: a financial year such as 2024-25
YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")  # a financial year such as 2024/25
VINTAGE_PATTERN = re.compile(r"^\d{4}-based$")  # a projection vintage such as 2018-based

# Each input's data year: what it is, and the pattern its value must match.
INPUTS: dict[str, tuple[str, re.Pattern, str]] = {
    "allocation_year": ("NHS England ICB allocations and weighted populations", YEAR_PATTERN, "a financial year such as 2024/25"),
    "unit_cost_year": ("National Cost Collection unit costs", YEAR_PATTERN, "a financial year such as 2024/25"),
    "outturn_year": ("the system's reported financial outturn", YEAR_PATTERN, "a financial year such as 2024/25"),
    "projection_vintage": ("ONS subnational population projections", VINTAGE_PATTERN, "a vintage such as 2018-based"),
}
# The prepared tables that must hold an input's data year (in their ``year`` column) or vintage (a projection's first
# year) before an edition is built. Every input is listed, so an edition never prints a year its tables lack.
INPUT_TABLES: dict[str, tuple[str, ...]] = {
    "allocation_year": ("icb_allocations", "icb_weighted_population"),
    "unit_cost_year": ("unit_costs",),
    "outturn_year": ("icb_allocations", "published_figures"),
    "projection_vintage": ("population_projection",),
}
FIELDS = ("id", "title", "status", "inputs")


@dataclass(frozen=True)
class Edition:
    """One edition: its id (``2024-25``), title, status, and the data year of each input (field -> value)."""

    id: str
    title: str
    status: str
    inputs: dict[str, str]

    @property
    def is_current(self) -> bool:
        return self.status == "current"

    def parameters(self) -> dict[str, str]:
        """The edition's papermill parameters, all strings: ``edition``, ``edition_title`` and each data year."""
        return {"edition": self.id, "edition_title": self.title, **self.inputs}


def _financial_year_ok(match: re.Match | None) -> bool:
    """A YYYY-YY or YYYY/YY whose second part is the year after the first (2099-00 included)."""
    return bool(match) and (int(match[1]) + 1) % 100 == int(match[2])


def _edition(entry: Any, n: int, source: str) -> Edition:
    """Validate the ``n``-th entry (1-based) of the file ``source``."""
    if not isinstance(entry, dict):
        raise InputError(f"{source}: edition {n}: expected a mapping with fields {list(FIELDS)}, got {entry!r}")
    raw_id = entry.get("id")
    where = f"{source}: edition '{raw_id}'" if isinstance(raw_id, str) and raw_id else f"{source}: edition {n}"

    def fail(field: str, expected: str, got: Any) -> InputError:
        got_text = "nothing" if got is None else repr(got)
        return InputError(f"{where}, field '{field}': expected {expected}, got {got_text}")

    unknown = [k for k in entry if k not in FIELDS]
    if unknown:
        raise fail(str(unknown[0]), f"only the fields {list(FIELDS)}", unknown[0])
    if not isinstance(raw_id, str) or not _financial_year_ok(ID_PATTERN.match(raw_id)):
        raise fail("id", "a financial year such as 2024-25 (quoted)", raw_id)
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail("title", "a short title in words", title)
    status = entry.get("status")
    if status not in STATUSES:
        raise fail("status", " or ".join(STATUSES), status)
    inputs = entry.get("inputs")
    if not isinstance(inputs, dict):
        raise fail("inputs", f"a mapping with the fields {list(INPUTS)}", inputs)
    for field in inputs:
        if field not in INPUTS:
            raise fail(f"inputs.{field}", f"only the fields {list(INPUTS)}", field)
    for field, (_, pattern, expected) in INPUTS.items():
        value = inputs.get(field)
        match = pattern.match(value) if isinstance(value, str) else None
        if match is None or (pattern is YEAR_PATTERN and not _financial_year_ok(match)):
            raise fail(f"inputs.{field}", f"{expected} (quoted)", value)
    return Edition(id=raw_id, title=title.strip(), status=status, inputs={f: inputs[f] for f in INPUTS})


def parse(document: Any, source: str = EDITIONS_FILE) -> tuple[Edition, ...]:
    """Validate a parsed ``editions.yml``; return its editions, oldest first (sorted by id).

    Raises InputError with one line naming ``source``, the edition and the field on the first problem.
    """
    if not isinstance(document, dict) or not isinstance(document.get("editions"), list) or not document["editions"]:
        raise InputError(f"{source}: expected a mapping with a non-empty list 'editions'")
    editions = [_edition(entry, n, source) for n, entry in enumerate(document["editions"], 1)]
    seen: set[str] = set()
    for edition in editions:
        if edition.id in seen:
            raise InputError(f"{source}: edition '{edition.id}', field 'id': expected each id once, got it twice")
        seen.add(edition.id)
    current = [e.id for e in editions if e.is_current]
    if len(current) != 1:
        raise InputError(
            f"{source}: field 'status': expected exactly one edition with status current, got {len(current)}"
            + (f" ({', '.join(current)})" if current else "")
        )
    return tuple(sorted(editions, key=lambda e: e.id))


def load(path: Path | str) -> tuple[Edition, ...]:
    """Read and validate an ``editions.yml``; see :func:`parse`."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected the register of editions)")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}{line}: not valid YAML ({getattr(err, 'problem', err)})") from None
    return parse(document, str(path))


def current(editions: tuple[Edition, ...]) -> Edition:
    """The one edition whose status is current."""
    return next(e for e in editions if e.is_current)


def get(editions: tuple[Edition, ...], edition_id: str) -> Edition:
    """The edition with this id; InputError listing the ids there are if none."""
    for edition in editions:
        if edition.id == edition_id:
            return edition
    ids = ", ".join(e.id for e in editions)
    raise InputError(f"unknown edition '{edition_id}': expected one of the editions in {EDITIONS_FILE} ({ids})")


def data_years(table: pd.DataFrame) -> list[str]:
    """The data years a prepared table holds: its ``year`` column's values, or a projection's vintage."""
    if "year" in table.columns:
        return sorted(str(y) for y in table["year"].dropna().unique())
    from sots.data import projection_vintage

    return [projection_vintage(table)]


def missing_data_years(edition: Edition, tables: dict[str, pd.DataFrame]) -> list[str]:
    """One line for each data year of ``edition`` that a prepared table lacks (``tables``: name -> table).

    Each input in :data:`INPUT_TABLES` is checked against its tables' ``year`` column, or a projection's vintage.
    """
    problems = []
    for field, names in INPUT_TABLES.items():
        year = edition.inputs[field]
        kind = "vintages" if field == "projection_vintage" else "years"
        for name in names:
            present = data_years(tables[name])
            if year not in present:
                problems.append(
                    f"edition '{edition.id}', field 'inputs.{field}': no {year} rows in the prepared table '{name}' "
                    f"({kind} present: {', '.join(present)}; add the year's sources and run `sots prepare`)"
                )
    return problems
