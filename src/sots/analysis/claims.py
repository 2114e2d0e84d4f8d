"""The claims register (``claims.yml``): what the report stated, and each claim's status against results.json.

The register is checked against the package's JSON Schema (``claims.schema.json``) when it is read; a malformed
entry fails with one line naming the file, the claim and the field. A claim's status is never typed: it is computed
at build time by :func:`evaluate` from the claim's ``rule`` and ``checks`` and the figures in results.json:

- ``stated only``: the rule says no open data settle it (its figures, if any, are context);
- ``reproduced`` (rule ``reproduced``) or ``consistent`` (rule ``consistent``, a proxy): every checked figure,
  times its ``scale``, is within ``tolerance`` of the stated value (for a check with ``bound: below``, a claim that
  something is below a value: strictly below it);
- ``consistent`` also when a check with ``interval: true`` misses the tolerance but the stated value lies inside
  the figure's p10-p90 interval;
- ``not reproduced`` otherwise: a figure outside its tolerance and its interval, even when another of the claim's
  figures is not computed (one of its numbers is shown wrong, whatever the other would say).

A figure that is not computed, when no computed figure misses, leaves the claim ``stated only``, with the chapter's
reason. The report's verdicts are computed on the figures of its own edition (``report.edition``), in every edition
(:meth:`sots.chapters.context.Chapter.judge`); :mod:`sots.analysis.verdicts` words them for readers.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

from sots.errors import InputError, parse_yaml
from sots.inputs import geography
from sots.inputs import schema as schemas
from sots.project import project_root

REGISTER = "claims.yml"
SCHEMA = "analysis/claims.schema.json"
CLAIMS_PAGE = "notebooks/claims"  # the book's page of every claim, linking each to its chapter

REPRODUCED, CONSISTENT, NOT_REPRODUCED, STATED_ONLY = "reproduced", "consistent", "not reproduced", "stated only"
BELOW = "below"  # a check's bound: the claim says the figure is below the stated value
STATUSES = (REPRODUCED, CONSISTENT, NOT_REPRODUCED, STATED_ONLY)  # the order pages list them in


def _read(path: Path | None) -> tuple[Path, str]:
    """The register's path (default: the project's) and text; InputError if there is no file."""
    path = Path(path) if path else project_root() / REGISTER
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected the claims register)")
    return path, path.read_text()


# The register is parsed, and checked, once per text: every chapter of every book in a warm kernel asks for it (the
# verdicts, the report's figures), and each caller gets its own copy to change as it likes.
@functools.lru_cache(maxsize=8)
def _parsed(path: Path, text: str) -> dict:
    return parse_yaml(text, path) or {}


def schema() -> dict:
    """The JSON Schema of ``claims.yml``, shipped with the package."""
    return schemas.load(SCHEMA)


def _where(doc: dict, error) -> str:
    """'claim F2: field 'stated': ...' (or 'report: field ...') for a jsonschema error, from its path in the
    document."""
    path = list(error.absolute_path)
    if path[:1] == ["claims"] and len(path) >= 2 and isinstance(path[1], int):
        entry = (doc.get("claims") or [])[path[1]]
        cid = entry.get("id", f"entry {path[1] + 1}") if isinstance(entry, dict) else f"entry {path[1] + 1}"
        place, rest = f"claim {cid}", path[2:]
    else:
        place, rest = (str(path[0]), path[1:]) if path else ("", [])
    if error.validator == "not" and rest == []:
        what = "field 'checks' is not allowed when the rule is 'stated only'"
    else:
        what = schemas.problem(error, rest)
    return f"{place}: {what}" if place else what


def validate(doc: dict, path: Path | str = REGISTER) -> None:
    """Check a parsed register against the schema; InputError naming the file, claim id and field otherwise."""
    schemas.check(doc, SCHEMA, path, _where)


def report(path: Path | None = None) -> dict:
    """Which report the claims are from: ``edition``, ``icb_code``, ``title``, ``publisher``, ``period``."""
    path, text = _read(path)
    block = copy.deepcopy(_parsed(path, text).get("report") or {})
    missing = [f for f in ("edition", "icb_code", "title", "publisher", "period") if f not in block]
    if missing:
        raise InputError(f"{path}: report: missing field '{missing[0]}'")
    codes = geography.icb_reference()["icb_code"]
    if block["icb_code"] not in set(codes):  # else the report's book, and its verdicts, fail deep in a chapter
        raise InputError(f"{path}: report: field 'icb_code': expected one of the {len(codes)} ICB codes (NHS ODS, "
                         f"{geography.ICB_BOUNDARIES} boundaries), got {schemas.got(block['icb_code'])}")
    return block


def load(path: Path | None = None) -> dict[str, dict]:
    """Every claim by id, the register checked against the schema; InputError naming the claim and field otherwise."""
    return copy.deepcopy(_checked(*_read(path)))


@functools.lru_cache(maxsize=8)
def _checked(path: Path, text: str) -> dict[str, dict]:
    doc = _parsed(path, text)
    validate(doc, path)
    claims: dict[str, dict] = {}
    for entry in doc.get("claims") or []:
        cid = entry["id"]
        if cid in claims:
            raise InputError(f"{path}: claim {cid}: appears twice")
        for check in entry.get("checks", []):
            if check["figure"] not in entry["figures"]:
                raise InputError(
                    f"{path}: claim {cid}: field 'checks': figure '{check['figure']}' is not in its figures"
                )
        if "assumption" in entry and entry["assumption"]["figure"] not in entry["figures"]:
            raise InputError(f"{path}: claim {cid}: field 'assumption': figure '{entry['assumption']['figure']}' is "
                             "not in its figures")
        claims[cid] = entry
    return claims


def unknown_chapters(register: dict[str, dict], pages: list[str], root: Path, source: object = REGISTER,
                     toc: str = "_toc.yml") -> list[str]:
    """One line for each claim whose ``chapter`` is not a page of the book, checked before any chapter runs.

    ``pages`` are the pages ``_toc.yml`` lists (:func:`sots.toc.pages_in_toc`). When they include the claims
    page, which links each claim to its chapter and quotes its title, a claim's chapter must be one of them. A book
    cut to fewer chapters, without that page (as a quick test builds it), needs only each chapter to be a page the
    project has under ``root``: a notebook ``notebooks/<name>.ipynb`` or a page ``book/<name>.md``.
    """
    listed = CLAIMS_PAGE in pages
    problems = []
    for cid, claim in register.items():
        chapter = claim["chapter"]
        if chapter in pages if listed else page_file(root, chapter).is_file():
            continue
        near = difflib.get_close_matches(chapter, pages, n=1, cutoff=0.8)  # each shares its folder, "notebooks/"
        hint = f"; did you mean '{near[0]}'?" if near else ""
        expected = f"a page {toc} lists" if listed else "a page of the book (notebooks/<name>.ipynb or book/<name>.md)"
        problems.append(f"{source}: claim {cid}: field 'chapter': expected {expected}, got '{chapter}'{hint}")
    return problems


def stated(claim_id: str, path: Path | None = None) -> float:
    """The value the report stated for a claim, in the claim's unit."""
    claims = load(path)
    if claim_id not in claims:
        raise InputError(f"claims register: no claim '{claim_id}' (have {', '.join(claims)})")
    return claims[claim_id]["stated"]


def of_chapter(register: dict[str, dict], chapter: str) -> list[dict]:
    """The claims whose evidence is ``chapter`` (e.g. "notebooks/finance"), in register order."""
    return [c for c in register.values() if c["chapter"] == chapter]


def by_key(register: dict[str, dict], key: str) -> dict:
    """The claim that states the figure ``key`` (its ``key`` field); InputError naming the keys there are otherwise.

    Chapters name a claim by what it states, never by its id, so renumbering the register changes no chapter.
    """
    for claim in register.values():
        if claim.get("key") == key:
            return claim
    keys = ", ".join(sorted(c["key"] for c in register.values() if "key" in c))
    raise InputError(f"{REGISTER}: no claim with key '{key}' (keys: {keys})")


# --- Status -----------------------------------------------------------------------------------------------------------

def within(computed: float, stated_value: float, tolerance: float) -> bool:
    """|computed - stated| <= tolerance, allowing for floating-point error (a part in 10^9 of the stated value)."""
    slack = 1e-9 * max(1.0, abs(stated_value))
    return abs(computed - stated_value) <= tolerance + slack


def decimals(tolerance: float) -> int:
    """How many decimals to show a figure to: as many as the tolerance has (0.05 -> 2, 0.5 -> 1, 5 -> 0)."""
    if tolerance <= 0 or tolerance >= 1:
        return 0
    return min(6, max(0, -math.floor(math.log10(tolerance) + 1e-9)))


def number(value: float | None, places: int | None = None) -> str:
    """A value for a page: thousands separated, ``places`` decimals (default: as written), '–' for none."""
    if value is None:
        return "–"
    if places is None:
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"
    return f"{value:,.{places}f}"


@dataclass(frozen=True)
class Check:
    """One comparison of a results.json figure with a stated value; ``computed`` is None if the figure is missing."""

    figure: str
    stated: float
    unit: str
    tolerance: float
    computed: float | None
    p10: float | None = None
    p90: float | None = None
    interval: bool = False
    reason: str | None = None  # why the edition does not compute the figure, as its chapter recorded it
    # "below": the stated value is a bound the figure must stay under (a claim that something is below it), not a
    # value to match; None: the figure must match the stated value to within the tolerance.
    bound: str | None = None
    what: str | None = None  # what the figure is, in plain words, leading the comparison when a claim has several

    @property
    def holds(self) -> bool:
        if self.computed is None:
            return False
        if self.bound == BELOW:
            return self.computed < self.stated
        return within(self.computed, self.stated, self.tolerance)

    @property
    def difference(self) -> float | None:
        return None if self.computed is None else self.computed - self.stated

    @property
    def in_interval(self) -> bool:
        return (self.interval and self.p10 is not None and self.p90 is not None
                and min(self.p10, self.p90) <= self.stated <= max(self.p10, self.p90))

    def describe(self) -> str:
        """One sentence on the comparison, every number from the register or the figure."""
        places = decimals(self.tolerance)
        if self.computed is None:
            return f"This edition does not compute {self.figure}." + (f" {self.reason}" if self.reason else "")
        if self.bound == BELOW:
            return (f"{self.figure} gives {number(self.computed, places)}, {'' if self.holds else 'not '}below the "
                    f"stated bound of {number(self.stated)} ({self.unit}).")
        text = (f"{self.figure} gives {number(self.computed, places)} against the stated {number(self.stated)} "
                f"({self.unit}): a difference of {round(self.difference, places) + 0.0:+,.{places}f}, "
                f"{'within' if self.holds else 'beyond'} the tolerance of {number(self.tolerance)}")
        if self.interval and self.p10 is not None and self.p90 is not None:
            inside = "inside" if self.in_interval else "outside"
            text += (f"; the stated value is {inside} its p10-p90 range of {number(self.p10, places)} to "
                     f"{number(self.p90, places)}")
        return text + "."


@dataclass(frozen=True)
class Verdict:
    """A claim's computed status, its checks, context figures (id -> value) and the explanation to show."""

    claim: dict
    status: str
    checks: tuple[Check, ...] = ()
    context: dict[str, float] = field(default_factory=dict)
    note: str = ""
    # The figure measuring an assumption the claim needs and the report does not state (the register's
    # ``assumption``), with its unit; None when the claim has none, or the figure is not computed.
    assumed: tuple[float, str] | None = None

    @property
    def label(self) -> str:
        return self.claim["label"]

    @property
    def headline(self) -> bool:
        return bool(self.claim.get("headline"))

    @property
    def id(self) -> str:
        return self.claim["id"]

    @property
    def explanation(self) -> str:
        """The register's explanation, after the note on why a claim is not checked here (if any)."""
        return " ".join([self.note, self.claim["explanation"]] if self.note else [self.claim["explanation"]])

    @property
    def technical(self) -> str:
        """Each comparison as the register makes it, by figure id and tolerance: for analysts, not the prose."""
        return " ".join(c.describe() for c in self.checks)


def _value(results: dict, figure: str, key: str = "value") -> float | None:
    entry = results.get(figure)
    return None if entry is None or entry.get(key) is None else entry[key]


def checks_for(claim: dict, results: dict) -> tuple[Check, ...]:
    """The comparisons a claim's rule makes: its ``checks``, or by default its first figure against its stated value."""
    if claim["rule"] == STATED_ONLY:
        return ()
    specs = claim.get("checks") or [{"figure": claim["figures"][0]}]
    made = []
    for spec in specs:
        scale = spec.get("scale", 1)
        value, p10, p90 = (_value(results, spec["figure"], k) for k in ("value", "p10", "p90"))
        made.append(Check(
            figure=spec["figure"], stated=spec.get("stated", claim["stated"]), unit=spec.get("unit", claim["unit"]),
            tolerance=spec.get("tolerance", claim["tolerance"]),
            computed=None if value is None else value * scale,
            p10=None if p10 is None else p10 * scale, p90=None if p90 is None else p90 * scale,
            interval=spec.get("interval", False), reason=(results.get(spec["figure"]) or {}).get("not_computed"),
            bound=spec.get("bound"), what=spec.get("what"),
        ))
    return tuple(made)


def unrecorded_figures(register: dict[str, dict], results: dict, source: str = REGISTER) -> list[str]:
    """One line for each figure a claim names that no chapter recorded, neither with a value nor as not computed.

    Chapters record every figure they cannot compute for an edition with its reason (``Recorder.not_computed``), so a
    figure missing here is a misspelt id in the register: left alone, it would turn a checked claim into "stated only".
    """
    problems = []
    for cid, claim in register.items():
        for figure in claim.get("figures") or []:
            if figure not in results:
                near = difflib.get_close_matches(figure, list(results), n=1)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                problems.append(f"{source}: claim {cid}, field 'figures': expected a figure a chapter records, got "
                                f"'{figure}', which no chapter records or declares not computed{hint}")
    return problems


def status_of(rule: str, checks: tuple[Check, ...]) -> str:
    """The status a rule gives for a set of checks (see the module's docstring).

    A figure computed and outside both its tolerance and its interval makes the claim "not reproduced" even when
    another of its figures is missing: one number of the claim is shown wrong, whatever the other would say. Only
    when no computed figure misses does a missing one leave the claim "stated only".
    """
    if rule == STATED_ONLY or not checks:
        return STATED_ONLY
    computed = [c for c in checks if c.computed is not None]
    if any(not (c.holds or c.in_interval) for c in computed):
        return NOT_REPRODUCED
    if len(computed) < len(checks):
        return STATED_ONLY
    if all(c.holds for c in checks):
        return REPRODUCED if rule == REPRODUCED else CONSISTENT
    return CONSISTENT


def evaluate(claim: dict, results: dict, note: str = "") -> Verdict:
    """A claim's status against results.json (figure id -> entry with ``value`` and optional ``p10``/``p90``)."""
    checks = checks_for(claim, results)
    checked = {c.figure for c in checks}
    context = {f: _value(results, f) for f in claim["figures"] if f not in checked and _value(results, f) is not None}
    status = status_of(claim["rule"], checks)
    if status == STATED_ONLY and claim["rule"] != STATED_ONLY and not note:
        # The chapters' own reasons say which figure is missing and why; a generic line only without them.
        reasons = list(dict.fromkeys(c.reason for c in checks if c.computed is None and c.reason))
        note = " ".join(reasons) or "Not checked on these figures, which lack one it needs."
    assumption, assumed = claim.get("assumption"), None
    if assumption and _value(results, assumption["figure"]) is not None:
        assumed = (_value(results, assumption["figure"]), results[assumption["figure"]].get("unit", ""))
    return Verdict(claim=claim, status=status, checks=checks, context=context, note=note, assumed=assumed)


def evaluate_all(register: dict[str, dict], results: dict, note: str = "") -> list[Verdict]:
    """Every claim's verdict, in register order."""
    return [evaluate(c, results, note) for c in register.values()]


def counts(verdicts: list[Verdict]) -> dict[str, int]:
    """How many claims have each status, every status listed (zero included), in :data:`STATUSES` order."""
    return {s: sum(v.status == s for v in verdicts) for s in STATUSES}


# --- Statuses on the page, and chapters -------------------------------------------------------------------------------

def page_file(root: Path, page: str) -> Path:
    """The file of a page of the book, named as ``_toc.yml`` and a claim's ``chapter`` name it (``notebooks/x`` or
    ``book/x``): ``notebooks/x.ipynb`` for a chapter, ``<page>.md`` for any other page, under ``root``."""
    return root / (page + (".ipynb" if page.startswith("notebooks/") else ".md"))
