"""The register of editions: ``editions.yml`` read, validated, and turned into what each notebook receives.

An edition reruns every chapter on one year's data. Its entry gives an id (the financial year it reports on,
``2024-25``), a title, a status (``current`` or ``archived``; exactly one edition is current) and the data year of
each input. A chapter has the data years by one channel only: ``sots build`` passes its edition's inputs in the
notebook's ``build`` parameter, checked by :func:`check_inputs` as the chapter opens; a chapter run by hand reads
them from ``editions.yml`` (:func:`sots.chapters.context.open`). A chapter asks its context for the year it needs
(``ch.data_year("allocation_year")``); no notebook declares a data year. A new year is one more entry here and its
prepared tables: no code changes.

A malformed file fails with one line naming the file, the edition and the field, and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sots.errors import InputError, parse_yaml
from sots.inputs import schema as schemas

if TYPE_CHECKING:  # an edition is read where no table is (a build's worker process): pandas only when needed
    import pandas as pd

EDITIONS_FILE = "editions.yml"
SCHEMA = "inputs/editions.schema.json"  # what each field must be; shipped with the package

ID_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")  # an edition id: a financial year such as 2024-25
YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")  # a financial year such as 2024/25

# The prepared tables that must hold an input's data year (in their ``year`` column) or vintage (a projection's first
# year) before an edition is built. Every input is listed, so an edition never prints a year its tables lack.
INPUT_TABLES: dict[str, tuple[str, ...]] = {
    "allocation_year": ("icb_allocations", "icb_weighted_population"),
    "unit_cost_year": ("unit_costs",),
    "outturn_year": ("icb_allocations", "published_figures"),
    "projection_vintage": ("population_projection",),
}


# The rows of a year-keyed table (one with a ``year`` column of financial years) that an edition reads: the years of
# the publications that give the data years of the edition inputs governing the table. A publication giving two
# years (NHS England's two-year allocations) gives an edition both, so comparisons within a settlement stay; a later
# publication never reaches an edition whose inputs it does not give. Every year-keyed table is listed here or in
# CUT_OFF_TABLES (a unit test checks); every other table (projections, activity rates, estimates, lookup, areas) is
# read whole.
GOVERNING_INPUTS: dict[str, tuple[str, ...]] = {
    "icb_allocations": ("allocation_year", "outturn_year"),
    "icb_weighted_population": ("allocation_year",),
    "unit_costs": ("unit_cost_year",),
    "trust_operating_expenditure": ("allocation_year", "outturn_year"),
}
# Tables of figures gathered by hand, each row citing its own source, that no one input governs: an edition reads
# their rows with no year and those of a year no later than the latest year of its other windows, so a figure added
# for a later year never reaches an edition already published.
CUT_OFF_TABLES: tuple[str, ...] = ("published_figures",)


def window(table: str, inputs: dict[str, str], sources: dict[str, list[dict]]) -> tuple[str, ...] | None:
    """The financial years of ``table`` that an edition with these ``inputs`` (field -> data year) reads, sorted;
    None for a table it reads whole.

    ``sources`` is each table's sources as the data package lists them (:func:`sots.inputs.data.table_sources`), each
    with the ``years`` its publication gives the table. For a table in :data:`GOVERNING_INPUTS`: every year of every
    source whose years include one of the edition's governing input years (empty if none does), and the year before the
    allocation year where a one-year publication gives it (:func:`year_before`). For a table in
    :data:`CUT_OFF_TABLES`: its sources' years no later than the latest year of the edition's other windows and of its
    own data years; its rows with no year are read too, and a source of it listing no years adds none. A table not
    listed, or one governed by inputs whose data package does not say which years a source gives, is read whole.
    Pure: the same inputs and data package always give the same window.
    """
    listed = sources.get(table, [])
    if table in CUT_OFF_TABLES:
        # A source giving the table no financial year (the published pages' context figures, all undated) may be
        # listed with ``years: []`` or with no ``years`` at all, and a data package rebuilt by anything but `sots
        # prepare` drops the empty list. Reading the table whole for that would let every later figure reach an
        # edition already published, so such a source adds no year: its undated rows are read whatever the window.
        listed = [s for s in listed if s.get("years")]
    if (table not in GOVERNING_INPUTS and table not in CUT_OFF_TABLES) or any("years" not in s for s in listed):
        return None
    if table in GOVERNING_INPUTS:
        wanted = {inputs[field] for field in GOVERNING_INPUTS[table]}
        return tuple(sorted({y for s in listed if wanted & set(s["years"]) for y in s["years"]}
                            | set(year_before(table, inputs, listed))))
    others = [window(name, inputs, sources) for name in GOVERNING_INPUTS]
    known = [y for years in others if years for y in years]
    known += [year for year in inputs.values() if YEAR_PATTERN.match(year)]
    latest = max(known, default="")
    return tuple(sorted({y for s in listed for y in s["years"] if y <= latest}))


def year_before(table: str, inputs: dict[str, str], listed: list[dict]) -> tuple[str, ...]:
    """The allocation year before the edition's, for a table governed by ``allocation_year`` whose publications give
    the edition's allocation year alone (a one-year publication): the latest earlier year any of its sources
    (``listed``) gives, so that a chapter can set the year beside the one before; () otherwise.

    A publication of several years (a two-year settlement) already gives a year to compare with, so an edition read
    from one never gains another year, and a year published later is never earlier than the edition's own: what an
    edition reads stays the same as years are added."""
    year = inputs.get("allocation_year")
    if "allocation_year" not in GOVERNING_INPUTS.get(table, ()) or year is None:
        return ()
    own = {y for s in listed if year in s["years"] for y in s["years"]}
    earlier = [y for s in listed for y in s["years"] if y < year]
    return (max(earlier),) if own == {year} and earlier else ()


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

    @property
    def year(self) -> str:
        """The financial year the edition reports on, as prose writes it: 2024-25 -> "2024/25"."""
        return self.id.replace("-", "/")

    def parameters(self) -> dict[str, str]:
        """The edition's texts that the book's prose pages quote (its MyST substitutions), all strings: ``edition``,
        ``edition_title`` and each data year.

        Not a notebook's parameters: a chapter receives only ``edition`` as one, and the data years in its ``build``
        parameter (:func:`sots.site.pipeline.Parameters.for_notebook`)."""
        return {"edition": self.id, "edition_title": self.title, **self.inputs}


def _financial_year_ok(match: re.Match | None) -> bool:
    """A YYYY-YY or YYYY/YY whose second part is the year after the first (2099-00 included)."""
    return bool(match) and (int(match[1]) + 1) % 100 == int(match[2])


def _entry_schema() -> dict:
    return schemas.load(SCHEMA)["properties"]["editions"]["items"]


def inputs() -> list[str]:
    """The inputs each edition gives a data year for, in the schema's order."""
    return list(_entry_schema()["properties"]["inputs"]["properties"])


def check_inputs(given: Any, source: str) -> dict[str, str]:
    """An edition's data years as a chapter receives them (``given``: field -> year), checked as ``editions.yml``'s
    are: every input of :func:`inputs` and no other, each in the form the schema states (a financial year's two parts
    consecutive). Returns them as a new dict; InputError naming ``source`` (e.g. the notebook's ``build`` parameter),
    the field and what was expected otherwise."""
    spec = _entry_schema()["properties"]["inputs"]
    names = inputs()
    if not isinstance(given, dict):
        raise InputError(f"{source}: field 'inputs': expected {spec['description']}, got {schemas.got(given)}")
    for name in given:
        if name not in names:
            raise InputError(f"{source}: field 'inputs.{name}': expected only the inputs {names}, got {name!r}")
    for name in names:
        value, described = given.get(name), spec["properties"][name]
        ok = isinstance(value, str) and re.fullmatch(described["pattern"], value)
        match = YEAR_PATTERN.match(value) if ok else None
        if not ok or (match and not _financial_year_ok(match)):
            raise InputError(f"{source}: field 'inputs.{name}': expected {described['description']}, "
                             f"got {schemas.got(value)}")
    return {name: given[name] for name in names}


def _place(doc: Any, n: int) -> str:
    """How an error names the ``n``-th edition (0-based): ``edition 2 ('2024-25')``, or ``edition 2`` if it has no
    id."""
    entries = doc.get("editions") if isinstance(doc, dict) else None
    entry = entries[n] if isinstance(entries, list) and n < len(entries) else None
    raw_id = entry.get("id") if isinstance(entry, dict) else None
    return f"edition {n + 1} ('{raw_id}')" if isinstance(raw_id, str) and raw_id else f"edition {n + 1}"


def _where(doc: Any, error) -> str:
    """``edition 2 ('2024-25'), field 'status': expected ...`` for a jsonschema error, from its path in the file."""
    path = list(error.absolute_path)
    if path[:1] == ["editions"] and len(path) >= 2 and isinstance(path[1], int):
        what = schemas.problem(error, path[2:])
        return f"{_place(doc, path[1])}{', ' if what.startswith('field ') else ': '}{what}"
    return schemas.problem(error, path)


def _consecutive_years(document: dict, source: str) -> None:
    """The rule the schema cannot state: each financial year's second part is the year after its first."""
    spec = _entry_schema()["properties"]
    for n, entry in enumerate(document["editions"]):
        years = {"id": (entry["id"], ID_PATTERN, spec["id"])}
        years |= {f"inputs.{f}": (v, YEAR_PATTERN, spec["inputs"]["properties"][f]) for f, v in entry["inputs"].items()}
        for field, (value, pattern, described) in years.items():
            match = pattern.match(value)
            if match and not _financial_year_ok(match):
                raise InputError(f"{source}: {_place(document, n)}, field '{field}': "
                                 f"expected {described['description']}, got {schemas.got(value)}")


def parse(document: Any, source: str = EDITIONS_FILE) -> tuple[Edition, ...]:
    """Validate a parsed ``editions.yml``; return its editions, oldest first (sorted by id).

    The schema (``editions.schema.json``) checks each field; the rules across fields or entries that a schema
    cannot state are checked here: each year's two parts consecutive, each id once, exactly one current edition.
    Raises InputError with one line naming ``source``, the edition and the field on the first problem.
    """
    schemas.check(document, SCHEMA, source, _where)
    entries = document["editions"]
    _consecutive_years(document, source)
    first: dict[str, int] = {}
    for n, entry in enumerate(entries):
        if entry["id"] in first:
            raise InputError(f"{source}: {_place(document, n)}, field 'id': expected each id once, got it also in "
                             f"{_place(document, first[entry['id']])}")
        first[entry["id"]] = n
    current = [e["id"] for e in entries if e["status"] == "current"]
    if len(current) != 1:
        raise InputError(
            f"{source}: field 'status': expected exactly one edition with status current, got {len(current)}"
            + (f" ({', '.join(current)})" if current else "")
        )
    names = inputs()
    editions = [Edition(e["id"], e["title"].strip(), e["status"], {f: e["inputs"][f] for f in names}) for e in entries]
    return tuple(sorted(editions, key=lambda e: e.id))


def load(path: Path | str) -> tuple[Edition, ...]:
    """Read and validate an ``editions.yml``; see :func:`parse`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected the register of editions)")
    document = parse_yaml(path.read_text(), path)
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


def data_years(table: pd.DataFrame, field: str) -> list[str]:
    """The data years a prepared table holds for an edition's input ``field``: a projection's vintage for
    ``projection_vintage`` (its ``year`` column holds mid-years, not data years), else its ``year`` column's values."""
    if field == "projection_vintage":
        from sots.inputs.data import projection_vintage

        return [projection_vintage(table)]
    return sorted(str(y) for y in table["year"].dropna().unique())


def missing_data_years(edition: Edition, tables: dict[str, pd.DataFrame]) -> list[str]:
    """One line for each data year of ``edition`` that a prepared table lacks (``tables``: name -> table).

    Each input in :data:`INPUT_TABLES` is checked against its tables' ``year`` column, or a projection's vintage.
    """
    problems = []
    for field, names in INPUT_TABLES.items():
        year = edition.inputs[field]
        kind = "vintages" if field == "projection_vintage" else "years"
        for name in names:
            present = data_years(tables[name], field)
            if year not in present:
                problems.append(
                    f"edition '{edition.id}', field 'inputs.{field}': no {year} rows in the prepared table '{name}' "
                    f"({kind} present: {', '.join(present)}; add the year's sources and run `sots prepare`)"
                )
    return problems
