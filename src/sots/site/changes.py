"""The site's "What changed between editions" page: every headline figure of every edition side by side, and why each
moved from one edition to the next.

:func:`sots.site.publish.publish` writes ``<site>/changes.html`` under its lock, beside ``switcher.json`` and
``index.html``, from the ``results.json`` of every edition the site holds once the build's editions are in (those this
build did not rebuild too), so the page is always as current as the switcher.

The figures are the national page's :data:`sots.site.national.HEADLINES` and every figure a headline claim of
``claims.yml`` checks (its ``checks``, or by default its first figure), labelled by :data:`CLAIM_FIGURES`. Why a figure
moved is read from what results.json records of it in each edition (:func:`classify`): its ``inputs`` (the sha256 of
the rows it read of each table, and the years) and its ``provenance.code_sha256`` (the code that computed it).

Only editions built for one ICB are compared: the ICB of the edition the site's front page opens (the current one),
as each edition's ``manifest.json`` names it. Editions of another ICB are left out, and the page says which.

Pure steps: :func:`figures` (which rows), :func:`classify` (why a figure moved), :func:`rows` (the table from a mapping
edition -> results) and :func:`page` (the HTML, through the ``changes.html`` template). :func:`site_page` reads a site
and returns the page; every results.json is read back through :func:`sots.analysis.results.read_results`, so a damaged
file stops publishing with one line naming it, rather than a page with a hole in it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Real
from pathlib import Path
from urllib.parse import urlsplit

from sots.analysis import claims as claims_register
from sots.analysis import verdicts
from sots.analysis.results import RESULTS_FILE, read_results
from sots.errors import BuildError, InputError, read_json
from sots.inputs import editions as editions_register
from sots.inputs.editions import Edition
from sots.prose import clause, listed
from sots.render import render
from sots.site import national

PAGE = "changes.html"  # the page's name in the site's folder, beside switcher.json and index.html
TEMPLATE = "changes.html"
MANIFEST = "manifest.json"  # each edition's, which names the ICB it was built for
FRONT_PAGE = "book/intro.html"  # an edition's front page, relative to its folder

# Why a figure moved from one edition to the next, as the page says it.
NEW_DATA = "new data"
NEW_METHOD = "new method"
NEW_DATA_AND_METHOD = "new data and method"
UNCHANGED = "unchanged"
SAME_VALUE = "the same value"  # after "new data": the data moved, the figure did not
OTHER_ASSUMPTIONS = "other assumptions"  # the same data and code, other settings (the chapter's parameters)
UNEXPLAINED = "changed, though neither its data nor its method did"  # said plainly, never hidden
NOT_COMPUTED = "not computed"  # what a value cell says when the edition has none
ABSENT = "This edition's results do not include this figure."  # an edition whose chapters do not record it
NO_REASON = "Its results give no reason."
NO_CHANGE = "no change"
TOO_SMALL = "a change too small to show"

# The figures a headline claim of claims.yml checks that are not already among the national page's headlines: figure
# id -> (the row's label in plain words, the unit results.json records for the figure). A headline claim that checks
# a figure in neither stops the page (and tests/unit/test_changes.py), so this table cannot fall behind the register.
CLAIM_FIGURES: dict[str, tuple[str, str]] = {
    "acute_cost_per_ga_weighted_head_rank": ("Rank in England, estimated acute cost per need-weighted head",
                                             "rank of ICBs (1 = highest)"),
    "savings_delivered_gbp_m": ("Savings delivered (£m)", "GBP million"),
    "savings_recurrent_pct": ("Share of the savings that recur (%)", "per cent"),
    "savings_share_of_core_combined_allocation_pct": ("Savings as a share of core funding (%)", "per cent"),
    "icb_total_allocation_gbp_m": ("Total NHS funding of the ICB (£m)", "GBP million"),
    "hospital_share_of_budget_pct": ("Hospital trusts' spending as a share of the budget (%)", "per cent"),
    "resident_population_m": ("People living in the area (million)", "million persons"),
    "registered_population_m": ("People registered with a GP (million)", "million persons"),
}
# Decimals a value is shown to, by the units of :func:`sots.analysis.verdicts.shown` a figure of CLAIM_FIGURES may have.
PLACES = {"GBP million": 1, "per cent": 1, "per cent growth": 1, "rank of ICBs (1 = highest)": 0,
          "million persons": 2}
SAME = {"rel_tol": 1e-9, "abs_tol": 1e-12}  # two values this close are the same figure (floating-point noise)


@dataclass(frozen=True)
class Figure:
    """One row of the page: a figure id of results.json, its label, the unit results.json records for it, and how
    its values are shown: by its national :class:`~sots.site.national.Headline` if it is one, else by
    :func:`sots.analysis.verdicts.shown` to ``places`` decimals."""

    figure_id: str
    label: str
    unit: str
    places: int = 0
    headline: national.Headline | None = None

    @property
    def rank(self) -> bool:
        return self.unit.startswith("rank of")

    @property
    def points(self) -> bool:
        """A percentage, whose changes are read in percentage points."""
        return self.unit.startswith("per cent")

    def show(self, value: float, more: int = 0) -> str:
        """``value`` in the figure's unit as the page shows it (£1,907, 24.2%, 21st, £4,136.1m, 1.82 million), to
        ``more`` decimals beyond the usual."""
        if self.headline is not None:
            return replace(self.headline, decimals=self.headline.decimals + more).format(value)
        return verdicts.shown(value, self.unit, self.places + more)

    @property
    def decimals(self) -> int:
        return self.headline.decimals if self.headline is not None else self.places

    def extra(self, before: float, after: float) -> int:
        """How many more decimals than usual (0 to 2) tell the change from ``before`` to ``after`` apart from none:
        0 for the same value or a rank; 2 also for a change too small even for those."""
        diff = after - before
        if self.rank or math.isclose(before, after, **SAME):
            return 0
        return next((more for more in range(3) if round(abs(diff), self.decimals + more) != 0), 2)

    def change(self, before: float, after: float, more: int | None = None) -> str:
        """How far the figure moved from ``before`` to ``after``, in its unit: '+£34', '−1.2 points', '2 places
        lower' (a rank, 1 the highest), 'no change'; to ``more`` decimals beyond the usual (default: as many, up to
        two, as tell the change apart, :meth:`extra`)."""
        if math.isclose(before, after, **SAME):
            return NO_CHANGE
        diff = after - before
        if self.rank:
            n = abs(round(diff))
            return NO_CHANGE if n == 0 else f"{n} place{'s' if n != 1 else ''} {'lower' if diff > 0 else 'higher'}"
        more = self.extra(before, after) if more is None else more
        if round(abs(diff), self.decimals + more) == 0:
            return TOO_SMALL
        size = f"{abs(diff):,.{self.decimals + more}f} points" if self.points else self.show(abs(diff), more)
        return ("+" if diff > 0 else national.MINUS) + size


def headline_claim_figures(register: Mapping[str, dict]) -> list[str]:
    """The figure ids the register's headline claims check, in register order, each once: a claim's ``checks``, or
    by default its first figure (as :func:`sots.analysis.claims.checks_for` compares them). A claim stated only checks
    none."""
    found: list[str] = []
    for claim in register.values():
        if not claim.get("headline") or claim["rule"] == claims_register.STATED_ONLY:
            continue
        for spec in claim.get("checks") or [{"figure": claim["figures"][0]}]:
            if spec["figure"] not in found:
                found.append(spec["figure"])
    return found


def figures(register: Mapping[str, dict]) -> tuple[Figure, ...]:
    """The page's rows: the national page's headlines, then each figure a headline claim of ``register`` checks that
    is not one of them, labelled by :data:`CLAIM_FIGURES`. BuildError naming a checked figure with no label there, or
    a unit the page cannot show."""
    rows_ = [Figure(h.figure_id, h.header, h.unit, h.decimals, h) for h in national.HEADLINES]
    national_ids = {h.figure_id for h in national.HEADLINES}
    for figure_id in headline_claim_figures(register):
        if figure_id in national_ids:
            continue
        if figure_id not in CLAIM_FIGURES:
            raise BuildError(f"a headline claim of {claims_register.REGISTER} checks the figure '{figure_id}', which "
                             f"the changes page has no label for; add it to CLAIM_FIGURES in src/sots/site/changes.py")
        label, unit = CLAIM_FIGURES[figure_id]
        if unit not in PLACES:
            raise BuildError(f"the changes page cannot show the unit {unit!r} of the figure '{figure_id}' "
                             f"(expected one of {', '.join(PLACES)})")
        rows_.append(Figure(figure_id, label, unit, PLACES[unit]))
    return tuple(rows_)


# --- Why a figure moved ---------------------------------------------------------------------------------------------


def _value(entry: Mapping | None) -> float | None:
    return None if entry is None else entry.get("value")


def _reason(entry: Mapping | None) -> str:
    """Why an edition has no value for a figure, as a sentence."""
    if entry is None:
        return ABSENT
    return str(entry.get("not_computed") or NO_REASON)


def _provenance(entry: Mapping, key: str) -> object:
    made = entry.get("provenance")
    return made.get(key) if isinstance(made, Mapping) else None


def classify(before: Mapping | None, after: Mapping | None, before_edition: str, after_edition: str) -> str:
    """Why a figure's value moved from edition ``before_edition`` to ``after_edition``, in plain words.

    ``before`` and ``after`` are the figure's results.json entries (None where the edition does not record it).
    Where either edition has no value: "not computed in <edition>: <its reason>" (for each edition without one).
    Otherwise, comparing what each entry records: its ``inputs`` (the sha256 of the rows read of each table, and the
    years) differ -> "new data"; its ``provenance.code_sha256`` differs -> "new method"; both -> "new data and method",
    each followed by ", the same value" when the value did not move; neither, and the same value -> "unchanged". A
    value that moved while neither did is never passed off as unchanged: "other assumptions" when the chapter's
    parameters (``provenance.parameters_sha256``) differ, else :data:`UNEXPLAINED`. An entry with no code hash
    counts as the same code only as another with none. Pure.
    """
    missing = [(edition, _reason(entry)) for edition, entry in ((before_edition, before), (after_edition, after))
               if _value(entry) is None]
    if missing:
        if len(missing) == 2 and missing[0][1] == missing[1][1]:
            return f"{NOT_COMPUTED} in {missing[0][0]} or {missing[1][0]}: {clause(missing[0][1])}"
        return "; ".join(f"{NOT_COMPUTED} in {edition}: {clause(reason)}" for edition, reason in missing)
    new_data = before.get("inputs") != after.get("inputs")
    new_method = _provenance(before, "code_sha256") != _provenance(after, "code_sha256")
    same = math.isclose(before["value"], after["value"], **SAME)
    if new_data or new_method:
        why = NEW_DATA_AND_METHOD if new_data and new_method else NEW_DATA if new_data else NEW_METHOD
        return f"{why}, {SAME_VALUE}" if same else why  # "no change" beside "new data" would read as a contradiction
    if same:
        return UNCHANGED
    if _provenance(before, "parameters_sha256") != _provenance(after, "parameters_sha256"):
        return OTHER_ASSUMPTIONS
    return UNEXPLAINED


# --- The table ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One edition's cells in a row: its value as shown (or :data:`NOT_COMPUTED`), and the change from the edition
    before it with why (None for the oldest edition)."""

    edition: str
    value: str
    computed: bool
    reason: str | None = None  # why there is no value (a sentence), None when there is one
    change: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class Row:
    figure_id: str
    label: str
    steps: tuple[Step, ...]


def _checked(edition: str, figure: Figure, entry: object, where: str) -> Mapping | None:
    """The entry, once it has a finite number (or null) and, with a number, the figure's unit and inputs that can be
    compared; BuildError naming ``where`` (the file) and the figure otherwise."""
    if entry is None:
        return None
    place = f"{where}: figure '{figure.figure_id}'"
    if not isinstance(entry, Mapping):
        raise BuildError(f"{place}: expected an object with a value, found {entry!r}")
    value = entry.get("value")
    if value is None:
        return entry
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise BuildError(f"{place}: the value {value!r} is not a finite number")
    if entry.get("unit") != figure.unit:
        raise BuildError(f"{place}: results.json gives the unit {entry.get('unit')!r}, the changes page expects "
                         f"{figure.unit!r}; change its entry in national.HEADLINES or changes.CLAIM_FIGURES to match")
    if not isinstance(entry.get("inputs", {}), Mapping) or not isinstance(entry.get("provenance", {}), Mapping):
        raise BuildError(f"{place}: expected 'inputs' and 'provenance' to be objects in results.json")
    return entry


def rows(results_by_edition: Mapping[str, Mapping[str, dict]], figures_: Sequence[Figure],
         sources: Mapping[str, str] | None = None) -> list[Row]:
    """The page's table: one :class:`Row` per figure of ``figures_``, one :class:`Step` per edition of
    ``results_by_edition`` (edition id -> its results.json, figure id -> entry), oldest first (ids are financial
    years, YYYY-YY, so they sort in time).

    Each value is shown in its figure's unit, the whole row to as many more decimals (up to two) as its smallest change
    needs to show; each edition after the first says how far the figure moved from the one before and why
    (:func:`classify`). ``sources`` names each edition's file in errors (default "edition <id>'s
    results.json"). BuildError if an entry is malformed: no number, or a unit other than the figure's. Pure.
    """
    order = sorted(results_by_edition)
    table = []
    for figure in figures_:
        entries = {ed: _checked(ed, figure, results_by_edition[ed].get(figure.figure_id),
                                (sources or {}).get(ed, f"edition {ed}'s {RESULTS_FILE}")) for ed in order}
        values = [_value(entries[ed]) for ed in order]
        pairs = [(a, b) for a, b in zip(values, values[1:]) if a is not None and b is not None]
        # The whole row to the decimals its smallest change needs, so that the values show the change between them.
        more = max((figure.extra(a, b) for a, b in pairs), default=0)
        steps = []
        for i, (edition, value) in enumerate(zip(order, values)):
            entry = entries[edition]
            step = Step(edition, figure.show(value, more) if value is not None else NOT_COMPUTED, value is not None,
                        None if value is not None else _reason(entry))
            if i:
                both = value is not None and values[i - 1] is not None
                step = replace(step, change=figure.change(values[i - 1], value, more) if both else None,
                               why=classify(entries[order[i - 1]], entry, order[i - 1], edition))
            steps.append(step)
        table.append(Row(figure.figure_id, figure.label, tuple(steps)))
    return table


# --- The page -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """An edition as the page lists it: id, title, link to its front page (relative to the site), current or not."""

    id: str
    title: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class LeftOut:
    """An edition the page does not compare, and the ICB it was built for."""

    id: str
    icb_name: str


def left_out_sentence(left: Sequence[LeftOut], icb_name: str) -> str:
    """'Edition 2022-23 is left out: it was built for NHS Alder ICB, not NHS Birch ICB, and figures of different ICBs
    are not compared.' ('' for none)."""
    if not left:
        return ""
    names = listed([f"{e.id} (built for {e.icb_name})" for e in left])
    which = f"Edition {names} is" if len(left) == 1 else f"Editions {names} are"
    return f"{which} left out: this page compares only editions built for {icb_name}, as figures of different ICBs " \
           f"are not comparable."


def _relative(url: str, what: str) -> str:
    """``url`` if it is a relative path within the site; BuildError otherwise (the page sends no reader, and makes no
    request, to another host)."""
    parts = urlsplit(url)
    if not url or parts.scheme or parts.netloc or url.startswith("/"):
        raise BuildError(f"{what} {url!r} is not a relative path within the site")
    return url


def page(table: Sequence[Row], shown: Sequence[Shown], icb_name: str, left_out: Sequence[LeftOut] = (),
         icon: str | None = None, n_national: int | None = None) -> str:
    """The page as HTML: the editions ``shown`` (oldest first, each linking to its front page), ``table`` (from
    :func:`rows`) as two tables, the national page's headlines (the first ``n_national`` rows; default all) and the
    figures the report's headline claims check, and a sentence naming the editions ``left_out``.

    Static and self-contained (inline CSS, no script, nothing from another host); every text is escaped once, by the
    template. ``icon`` is the site's icon, relative to the page. BuildError if a row's editions are not ``shown``'s,
    or a link is not relative. Pure.
    """
    ids = [e.id for e in shown]
    for row in table:
        if [s.edition for s in row.steps] != ids:
            raise BuildError(f"the changes page's row '{row.label}' has editions {[s.edition for s in row.steps]}, "
                             f"expected {ids}")
    for e in shown:
        _relative(e.href, f"the link to edition {e.id}'s front page")
    split = len(table) if n_national is None else n_national
    groups = [g for g in (
        {"id": "headlines", "title": "Headline figures",
         "caption": "Headline figures in each edition, and why they changed", "rows": list(table[:split])},
        {"id": "claims", "title": "Figures behind the report's headline claims",
         "caption": "Figures behind the report's headline claims in each edition, and why they changed",
         "rows": list(table[split:])},
    ) if g["rows"]]
    return render(
        TEMPLATE,
        editions=list(shown),
        groups=groups,
        icb_name=icb_name,
        left_out=left_out_sentence(left_out, icb_name),
        single=len(shown) == 1,
        icon=_relative(icon, "the icon") if icon is not None else None,
        reasons={"data": NEW_DATA, "method": NEW_METHOD, "both": NEW_DATA_AND_METHOD, "same": UNCHANGED,
                 "other": OTHER_ASSUMPTIONS, "unexplained": UNEXPLAINED, "missing": NOT_COMPUTED},
    )


# --- Reading the site -----------------------------------------------------------------------------------------------


def read_icb(folder: Path, edition: str) -> tuple[str, str]:
    """The ICB (code, name) an edition's ``manifest.json`` names; InputError naming the file if it is missing,
    damaged, of another edition, or names no ICB."""
    path = folder / MANIFEST
    rebuild = f"rebuild the edition: `sots build --edition {edition}`"
    found = read_json(path, f"file not found (expected the manifest of edition {edition}; {rebuild})", rebuild)
    icb = found.get("icb") if isinstance(found, dict) else None
    if not isinstance(found, dict) or found.get("edition") != edition:
        got = found.get("edition") if isinstance(found, dict) else found
        raise InputError(f"{path}: field 'edition': expected {edition}, got {got!r}; {rebuild}")
    if not (isinstance(icb, dict) and isinstance(icb.get("code"), str) and icb["code"]
            and isinstance(icb.get("name"), str) and icb["name"]):
        raise InputError(f"{path}: field 'icb': expected the ICB's code and name, got {icb!r}; {rebuild}")
    return icb["code"], icb["name"]


def read_edition_results(folder: Path, edition: str, icb: str) -> dict[str, dict]:
    """An edition's results.json, read back and checked by :func:`sots.analysis.results.read_results` (every entry of
    this edition and ICB, with a finite number or null); InputError in one line naming the file, and saying to rebuild
    the edition, if it is missing or damaged."""
    path = folder / RESULTS_FILE
    return read_results(path, edition, icb, f"rebuild the edition: `sots build --edition {edition}`")


def site_page(out: Path, register: Sequence[Edition], staged: Mapping[str, Path] | None = None,
              icon: str | None = None, claims: Mapping[str, dict] | None = None) -> str | None:
    """The changes page of the site ``out`` as it will be once the ``staged`` editions (id -> HTML folder) are in:
    every edition of ``register`` published there, read from its staged folder if this build made it, else from
    ``out/<id>``; None when the site will hold no edition. With one edition the page says there is nothing to compare
    yet, so every front page's link to it works.

    Compares the editions built for the ICB of the edition the site's front page opens (the current one, else the
    newest), and names those left out. ``icon`` is the icon's name in an edition's ``_static`` (linked if that file
    is there); ``claims`` the claims register (default: the project's ``claims.yml``). Reads each edition's
    manifest.json and results.json back, checked: InputError (or BuildError) naming the file if one is missing or
    damaged. Reads, and writes nothing.
    """
    staged = dict(staged or {})
    known = {e.id: e for e in register}
    folders = {p.name: p for p in out.iterdir() if p.is_dir() and p.name in known} if out.is_dir() else {}
    folders |= {edition: folder for edition, folder in staged.items() if edition in known}
    if not folders:
        return None
    current = editions_register.current(tuple(register)).id
    reference = current if current in folders else max(folders)
    icbs = {edition: read_icb(folders[edition], edition) for edition in sorted(folders)}
    results = {edition: read_edition_results(folders[edition], edition, code) for edition, (code, _) in icbs.items()}
    code, name = icbs[reference]
    compared = [edition for edition in sorted(folders) if icbs[edition][0] == code]
    register_of_claims = claims_register.load() if claims is None else claims
    table = rows({edition: results[edition] for edition in compared}, figures(register_of_claims),
                 {edition: str(folders[edition] / RESULTS_FILE) for edition in compared})
    shown = [Shown(e, known[e].title, f"{e}/{FRONT_PAGE}", known[e].is_current) for e in compared]
    left = [LeftOut(e, icbs[e][1]) for e in sorted(folders) if e not in compared]
    has_icon = icon is not None and (folders[reference] / "_static" / icon).is_file()
    return page(table, shown, name, left, f"{reference}/_static/{icon}" if has_icon else None,
                n_national=len(national.HEADLINES))
