"""The claims register (``claims.yml``): what the report stated, and each claim's status against results.json.

The register is checked against the package's JSON Schema (``claims.schema.json``) when it is read; a malformed
entry fails with one line naming the file, the claim and the field. A claim's status is never typed: it is computed
at build time by :func:`evaluate` from the claim's ``rule`` and ``checks`` and the figures in results.json:

- ``stated only``: the rule says no open data settle it (its figures, if any, are context);
- ``reproduced`` (rule ``reproduced``) or ``consistent`` (rule ``consistent``, a proxy): every checked figure,
  times its ``scale``, is within ``tolerance`` of the stated value;
- ``consistent`` also when a check with ``interval: true`` misses the tolerance but the stated value lies inside
  the figure's p10-p90 interval;
- ``not reproduced`` otherwise, with the gap in the explanation.

A figure that the edition does not compute leaves the claim ``stated only`` for that edition, saying which.
"""

from __future__ import annotations

import copy
import difflib
import functools
import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sots import schema as schemas
from sots.data import project_root
from sots.errors import InputError, parse_yaml
from sots.palette import OTHERS, PALETTE
from sots.prose import listed

if TYPE_CHECKING:
    import pandas as pd

REGISTER = "claims.yml"
SCHEMA = "claims.schema.json"

REPRODUCED, CONSISTENT, NOT_REPRODUCED, STATED_ONLY = "reproduced", "consistent", "not reproduced", "stated only"
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
        claims[cid] = entry
    return claims


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

    @property
    def difference(self) -> float | None:
        return None if self.computed is None else self.computed - self.stated

    @property
    def holds(self) -> bool:
        return self.computed is not None and within(self.computed, self.stated, self.tolerance)

    @property
    def in_interval(self) -> bool:
        return (self.interval and self.p10 is not None and self.p90 is not None
                and min(self.p10, self.p90) <= self.stated <= max(self.p10, self.p90))

    def describe(self) -> str:
        """One sentence on the comparison, every number from the register or the figure."""
        places = decimals(self.tolerance)
        if self.computed is None:
            return f"This edition does not compute {self.figure}." + (f" {self.reason}" if self.reason else "")
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

    @property
    def id(self) -> str:
        return self.claim["id"]

    @property
    def explanation(self) -> str:
        parts = [c.describe() for c in self.checks] + ([self.note] if self.note else []) + [self.claim["explanation"]]
        return " ".join(parts)

    @property
    def gap(self) -> float:
        """The largest relative gap of a check that misses (|difference| / |stated|); 0 if none misses."""
        gaps = [abs(c.difference) / max(abs(c.stated), 1e-9) for c in self.checks
                if c.computed is not None and not c.holds]
        return max(gaps, default=0.0)


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
    """The status a rule gives for a set of checks (see the module's docstring)."""
    if rule == STATED_ONLY or not checks or any(c.computed is None for c in checks):
        return STATED_ONLY
    if all(c.holds for c in checks):
        return REPRODUCED if rule == REPRODUCED else CONSISTENT
    if all(c.holds or c.in_interval for c in checks):
        return CONSISTENT
    return NOT_REPRODUCED


def evaluate(claim: dict, results: dict, note: str = "") -> Verdict:
    """A claim's status against results.json (figure id -> entry with ``value`` and optional ``p10``/``p90``)."""
    checks = checks_for(claim, results)
    checked = {c.figure for c in checks}
    context = {f: _value(results, f) for f in claim["figures"] if f not in checked and _value(results, f) is not None}
    status = status_of(claim["rule"], checks)
    if status == STATED_ONLY and claim["rule"] != STATED_ONLY and not note:
        note = "Not checked in this edition, which lacks a figure it needs."
    return Verdict(claim=claim, status=status, checks=checks, context=context, note=note)


def evaluate_all(register: dict[str, dict], results: dict, note: str = "") -> list[Verdict]:
    """Every claim's verdict, in register order."""
    return [evaluate(c, results, note) for c in register.values()]


def counts(verdicts: list[Verdict]) -> dict[str, int]:
    """How many claims have each status, every status listed (zero included), in :data:`STATUSES` order."""
    return {s: sum(v.status == s for v in verdicts) for s in STATUSES}


def discrepancies(verdicts: list[Verdict], n: int = 3) -> list[Verdict]:
    """The ``n`` not-reproduced claims with the largest relative gap, largest first (ties by register order)."""
    missed = [v for v in verdicts if v.status == NOT_REPRODUCED]
    return sorted(missed, key=lambda v: -v.gap)[:n]


# --- The claims page ----------------------------------------------------------------------------------------------

BADGE_MARK = {REPRODUCED: "✓", CONSISTENT: "≈", NOT_REPRODUCED: "✗", STATED_ONLY: "–"}
# Each status's colour, in the claims page's chart and round its badge alike: none in the focal blue, as the claims
# page is about the report, not an ICB; "stated only" (nothing to check) in the grey of everything not highlighted.
STATUS_COLOURS = {REPRODUCED: PALETTE["bluish green"], CONSISTENT: PALETTE["plum"],
                  NOT_REPRODUCED: PALETTE["vermillion"], STATED_ONLY: OTHERS}


def badge(status: str) -> str:
    """A status as a badge: a mark and the status in words (colour is only a second cue), as HTML."""
    slug = status.replace(" ", "-")
    # The border in the status's colour (3:1 or more on white); the text in the page's own, for contrast.
    return (f'<span class="sots-badge sots-badge-{slug}" style="border-color: {STATUS_COLOURS[status]}">'
            f'{BADGE_MARK[status]} {html.escape(status)}</span>')


def chapter_title(root: Path, chapter: str) -> str:
    """A chapter's title: the first level-one heading of ``notebooks/x.ipynb`` or ``book/x.md`` under ``root``."""
    path = root / (chapter + (".ipynb" if chapter.startswith("notebooks/") else ".md"))
    if path.suffix == ".ipynb":
        import nbformat

        lines = [line for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
                 for line in cell.source.splitlines()]
    else:
        lines = path.read_text().splitlines()
    return next((line[2:].strip() for line in lines if line.startswith("# ")), chapter)


def chapter_href(chapter: str, page_folder: str = "notebooks") -> str:
    """The link from a page in ``page_folder`` to a chapter's HTML page."""
    folder, name = chapter.split("/", 1)
    return f"{name}.html" if folder == page_folder else f"../{folder}/{name}.html"


def _figure_number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def stated_text(verdict: Verdict) -> str:
    """What the report stated: each checked value with its unit, or the claim's own."""
    if verdict.checks:
        return "; ".join(f"{number(c.stated)} ({c.unit})" for c in verdict.checks)
    value = verdict.claim["stated"]
    return verdict.claim["unit"] if value is None else f"{number(value)} ({verdict.claim['unit']})"


def rows(verdicts: list[Verdict], titles: dict[str, str], page_folder: str = "notebooks") -> pd.DataFrame:
    """The claims table: one row per claim, text escaped, the status as a badge and the evidence as a link."""
    import pandas as pd

    out = []
    for v in verdicts:
        also = [more["claim"] for more in (v.claim.get("also") or {}).values()]
        context = "; ".join(f"{f} = {_figure_number(x)}" for f, x in v.context.items())
        explanation = v.explanation + (f" Also computed: {context}." if context else "")
        out.append({
            "Claim": v.id,
            "What the report said (paraphrased)": html.escape(" ".join([v.claim["claim"], *also])),
            "Stated": html.escape(stated_text(v)),
            "Computed": "; ".join("–" if c.computed is None else number(c.computed, decimals(c.tolerance))
                                  for c in v.checks) or "–",
            "Difference": "; ".join(
                "–" if c.computed is None
                else f"{round(c.difference, decimals(c.tolerance)) + 0.0:+,.{decimals(c.tolerance)}f}"
                for c in v.checks
            ) or "–",
            "Status": badge(v.status),
            "Explanation": html.escape(explanation),
            "Evidence": (f'<a href="{chapter_href(v.claim["chapter"], page_folder)}">'
                         f'{html.escape(titles.get(v.claim["chapter"], v.claim["chapter"]))}</a>'),
        })
    return pd.DataFrame(out)


def count_rows(verdicts: list[Verdict]) -> pd.DataFrame:
    """Claims by status, every status listed, as a table with the status as a badge."""
    import pandas as pd

    return pd.DataFrame([{"Status": badge(s), "Claims": n} for s, n in counts(verdicts).items()])


def summary(verdicts: list[Verdict]) -> str:
    """The verdicts in one sentence, for a chapter's key findings: 'Of the report's 3 claims checked here, 1 is
    reproduced (D1) and 2 are stated only (F2, F3).' Statuses no claim has are left out; '' for no claims."""
    if not verdicts:
        return ""
    parts = []
    for status in STATUSES:
        ids = [v.id for v in verdicts if v.status == status]
        if ids:
            verb = "is" if len(ids) == 1 else "are"
            parts.append(f"{len(ids)} {verb} {status} ({', '.join(ids)})")
    n = len(verdicts)
    return f"Of the report's {n} claim{'s' if n != 1 else ''} checked here, {listed(parts)}."


def discrepancy_text(verdicts: list[Verdict], n: int = 3) -> str:
    """The largest discrepancies in one line: 'D3: stated 3, computed 40.3 (per cent growth); ...', or 'none'."""
    parts = []
    for v in discrepancies(verdicts, n):
        c = max((c for c in v.checks if c.computed is not None and not c.holds),
                key=lambda c: abs(c.difference) / max(abs(c.stated), 1e-9))
        parts.append(f"{v.id}: stated {number(c.stated)}, computed {number(c.computed, decimals(c.tolerance))} "
                     f"({c.unit})")
    return "; ".join(parts) or "none"
