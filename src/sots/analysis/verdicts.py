"""The report's verdicts in plain words: each value in its claim's terms, how far a miss is, what later data say.

:mod:`sots.analysis.claims` decides each claim's status; this module only says it, for readers who are board members and
the public before analysts. Every sentence is built from the register (the stated values, units, labels and reasons) and
the figures; none names a figure id (:attr:`sots.analysis.claims.Verdict.technical` does, for analysts). The claims
page, the front page's panel and every chapter's key findings use these words, so a claim reads the same wherever it
appears.

Units are the register's: "GBP million", "GBP billion", "per cent", "per cent growth", "per cent a year", "rank of
ICBs (1 = highest)", "million persons" and the counts of the stated-only claims ("contracts", "priority wards").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sots.analysis import claims
from sots.analysis.claims import CONSISTENT, NOT_REPRODUCED, REPRODUCED, STATED_ONLY, Check, Verdict
from sots.prose import clause, listed, ordinal

MINUS = "\u2212"  # a true minus sign, as the national page writes it
# Units whose differences are read in percentage points, not as a percentage of a percentage.
POINTS = ("per cent", "per cent growth", "per cent a year", "per cent reduction")
# What goes before and after a number in each of the register's units.
AFFIXES = {"GBP million": ("£", "m"), "GBP billion": ("£", "bn"), "per cent": ("", "%"), "per cent growth": ("", "%"),
           "per cent reduction": ("", "%"), "per cent a year": ("", "% a year"), "million persons": ("", " million")}
# How the four statuses read as a verdict, leading its line.
SAID = {REPRODUCED: "Reproduced", CONSISTENT: "Consistent", NOT_REPRODUCED: "Not reproduced",
        STATED_ONLY: "Stated only"}


def shown(value: float, unit: str, places: int | None = None) -> str:
    """A value in its unit as a reader expects it: '£240.7m', '£4.09bn', '68.9%', '+24.2%', '21st', '1.70 million'.

    ``places`` decimals (None: the value as written, as the register states it). A growth carries its sign; a value
    that rounds to zero carries none.
    """
    if unit.startswith("rank of"):
        return ordinal(int(round(value)))
    size = claims.number(abs(value), places)
    zero = float(size.replace(",", "")) == 0
    sign = "" if zero else MINUS if value < 0 else "+" if unit == "per cent growth" else ""
    if unit == "oversight segment":
        return f"segment {size}"
    prefix, suffix = AFFIXES.get(unit, ("", f" {unit}"))  # a count: "4,500 cases in the backlog"
    return f"{sign}{prefix}{size}{suffix}"


def stated(check: Check) -> str:
    """The report's value for one comparison, as the report wrote it."""
    return shown(check.stated, check.unit)


def computed(check: Check) -> str:
    """The public data's value for one comparison, to as many decimals as its tolerance has."""
    return shown(check.computed, check.unit, claims.decimals(check.tolerance))


def miss(check: Check) -> str:
    """How far a computed figure is from the stated one, in the claim's own terms: '19 places lower', '0.20 points
    above', '13 times the stated rise', '£0.41bn (9%) below'. Call only for a figure that is computed."""
    diff = check.computed - check.stated
    way = "above" if diff > 0 else "below"
    places = claims.decimals(check.tolerance)
    if check.unit.startswith("rank of"):
        n = abs(round(diff))
        return f"{n} place{'s' if n != 1 else ''} {'lower' if diff > 0 else 'higher'}"
    if check.unit == "per cent growth" and check.stated > 0 and check.computed > 0:
        ratio = check.computed / check.stated
        if ratio >= 1.5:
            return f"{ratio:.0f} times the stated rise" if ratio >= 10 else f"{ratio:.1f} times the stated rise"
        if ratio <= 2 / 3:
            return f"{ratio:.0%} of the stated rise"
    if check.unit in POINTS:
        return f"{abs(diff):.{places}f} points {way}"  # as many decimals as the values it compares
    size = shown(abs(diff), check.unit, places)
    if check.unit.startswith("GBP") and check.stated:
        return f"{size} ({abs(diff) / abs(check.stated):.0%}) {way}"
    return f"{size} {way}"


def leeway(check: Check) -> str:
    """The tolerance a comparison allows, in the claim's terms: 'exactly', 'to within 0.5 points', 'to within £0.5m'."""
    if check.tolerance == 0:
        return "exactly"
    if check.unit in POINTS:
        return f"to within {claims.number(check.tolerance)} points"
    return f"to within {shown(check.tolerance, check.unit)}"


def comparison(check: Check) -> str:
    """One comparison in words: '£240.7m, matching the report's £241m to within £0.5m', or '6.80% against the
    report's 6.6%: 0.20 points above', with the likely range when the stated value lies inside it; for a bound,
    '64.6 years, below the report's 68 years'. A check's ``what`` leads it: 'start of the year: 64.9% against ...'."""
    lead = f"{check.what}: " if check.what else ""
    # After a lead's colon, the miss follows a comma: two colons in one clause read as a list.
    before_miss = ", " if check.what else ": "
    if check.computed is None:
        return f"{lead}no figure for the report's {stated(check)}"
    if check.bound == claims.BELOW:
        if check.holds:
            return f"{lead}{computed(check)}, below the report's {stated(check)}"
        return f"{lead}{computed(check)}, not below the report's {stated(check)}{before_miss}{miss(check)}"
    if check.holds:
        return f"{lead}{computed(check)}, matching the report's {stated(check)} {leeway(check)}"
    text = f"{lead}{computed(check)} against the report's {stated(check)}{before_miss}{miss(check)}"
    if check.in_interval:
        places = claims.decimals(check.tolerance)
        text += (f", but the report's figure is inside the likely range of {shown(check.p10, check.unit, places)} "
                 f"to {shown(check.p90, check.unit, places)}")
    return text


def assumption(verdict: Verdict) -> str:
    """'It holds only with 2.44% a year of growth ..., which the report does not state.', or ''."""
    spec = verdict.claim.get("assumption")
    if not spec or verdict.assumed is None or verdict.status == REPRODUCED:
        return ""
    value, unit = verdict.assumed
    words = spec["holds_with"].replace("{value}", shown(value, unit, 2 if unit == "per cent a year" else 1))
    return f"It holds only with {words}, which the report does not state."


def line(verdict: Verdict) -> str:
    """The verdict in one or two sentences: what public data say against the report, the size of any miss, and an
    assumption the claim needs that the report does not state; for a claim not checked, why."""
    if verdict.status == STATED_ONLY:
        if verdict.claim["rule"] == STATED_ONLY:
            return "No open data settle it."
        return verdict.note or "Not checked on these figures."
    text = "; ".join(comparison(c) for c in verdict.checks)  # each comparison has its own colon, so not "and"
    text = text[0].upper() + text[1:] + "."
    more = assumption(verdict)
    return f"{text} {more}" if more else text


def said(verdict: Verdict) -> list[str]:
    """What the report said, one value per comparison in its unit: ['£241m'], ['£4.5bn', '60%']; the claim's value,
    or its unit for a qualitative claim, when nothing is compared."""
    if verdict.checks:
        return [stated(c) for c in verdict.checks]
    value = verdict.claim["stated"]
    return [verdict.claim["unit"] if value is None else shown(value, verdict.claim["unit"])]


def found(verdict: Verdict) -> list[str]:
    """What the public data say, one value per comparison in the claim's units: ['£240.7m'], ['£4.09bn', '72%'];
    '–' where they say nothing."""
    return ["–" if c.computed is None else computed(c) for c in verdict.checks] or ["–"]


@dataclass(frozen=True)
class Since:
    """What a later edition's data say of a claim's figure, against the report's own year."""

    check: Check  # the report's comparison, on the report's edition
    later: float | None  # the same figure in the later edition (times the check's scale), None if not computed
    reason: str | None  # why the later edition does not compute it

    @property
    def changed(self) -> bool:
        return self.later is not None and not math.isclose(self.later, self.check.computed, rel_tol=1e-9, abs_tol=1e-12)


def since(verdict: Verdict, later_results: dict) -> list[Since]:
    """Each of the verdict's comparisons as a later edition's results (figure id -> entry) give its figure; none for
    a claim whose figures are ``fixed`` in time (a year before the report, one release, a published page), which a
    later edition's data give unchanged by construction."""
    if verdict.claim.get("fixed"):
        return []
    found_later = []
    for check in verdict.checks:
        if check.computed is None:
            continue
        scale = next((c.get("scale", 1) for c in verdict.claim.get("checks") or [] if c["figure"] == check.figure), 1)
        entry = later_results.get(check.figure) or {}
        value = entry.get("value")
        found_later.append(Since(check, None if value is None else value * scale,
                                 entry.get("not_computed") if value is None else None))
    return found_later


def apart(first: float, second: float, unit: str, places: int) -> tuple[str, str]:
    """Two values shown to ``places`` decimals, or up to two more where that is what tells them apart."""
    for more in range(3):
        pair = shown(first, unit, places + more), shown(second, unit, places + more)
        if pair[0] != pair[1]:
            break
    return pair


def since_line(verdict: Verdict, later_results: dict, year: str, report_year: str) -> str:
    """'Since the report: 2024/25 data give £4.14bn, against £4.09bn in 2023/24.' for each figure the verdict
    compares, in a later edition whose year is ``year``; '' when the verdict compares none."""
    parts, giving = [], f"{year} data give "  # said once, before the first value they give
    for s in since(verdict, later_results):
        if s.later is None:
            parts.append(f"no {year} figure yet" + (f" ({clause(s.reason)})" if s.reason else ""))
            continue
        if not s.changed:
            part = f"the same, {computed(s.check)}"
        else:
            later, before = apart(s.later, s.check.computed, s.check.unit, claims.decimals(s.check.tolerance))
            part = f"{later}, against {before} in {report_year}"
        parts.append(giving + part)
        giving = ""
    return f"Since the report: {'; '.join(parts)}." if parts else ""


def since_brief(verdict: Verdict, later_results: dict, year: str) -> str:
    """What a later edition's data give of the verdict's figures, in a few words: '2024/25: £4.14bn', '2024/25: the
    same', '2024/25: no figure yet'; '' when the verdict compares none."""
    parts = []
    for s in since(verdict, later_results):
        if s.later is None:
            parts.append("no figure yet")
        elif not s.changed:
            parts.append("the same")
        else:
            parts.append(apart(s.later, s.check.computed, s.check.unit, claims.decimals(s.check.tolerance))[0])
    if not parts:
        return ""
    return f"{year}: " + ("the same" if set(parts) == {"the same"} else "; ".join(parts))


def brief(verdict: Verdict) -> str:
    """The verdict's size in a few words, after its badge: 'Matches', 'Below, as stated' (a bound that holds), 'Inside
    the likely range', '19 places lower', '£0.41bn (9%) below; 12 points above'; 'Not checkable from open data' for
    a claim stated only."""
    text = _brief(verdict)
    return text[0].upper() + text[1:]


def _brief(verdict: Verdict) -> str:
    if verdict.status == STATED_ONLY:
        return "not checkable from open data" if verdict.claim["rule"] == STATED_ONLY else "not checked"
    if verdict.status == REPRODUCED or all(c.holds for c in verdict.checks):
        # A claim that a figure is below a value is not matched by it: the figure is below, as the claim says.
        bounds = verdict.checks and all(c.bound == claims.BELOW for c in verdict.checks)
        return "below, as stated" if bounds else "matches"
    misses = [c for c in verdict.checks if c.computed is not None and not c.holds]
    if verdict.status == CONSISTENT:
        return "inside the likely range" if all(c.in_interval for c in misses) else "a public proxy agrees"
    return "; ".join(miss(c) for c in misses if not c.in_interval)


def gap(verdict: Verdict) -> float:
    """How far a claim misses, relative to what the report said: the largest |computed - stated| / |stated| of its
    comparisons outside their tolerance and their likely range; 0 for a claim that does not miss."""
    return max((abs(c.difference) / max(abs(c.stated), 1e-9) for c in verdict.checks
                if c.computed is not None and not c.holds and not c.in_interval), default=0.0)


def largest_misses(verdicts: list[Verdict], n: int = 3) -> str:
    """The ``n`` claims that miss by most, relative to what the report said, in plain words: 'Bed days of over-85s
    by 2033 (13 times the stated rise); ...'; '' when none misses."""
    missed = sorted((v for v in verdicts if v.status == NOT_REPRODUCED), key=lambda v: -gap(v))[:n]
    return "; ".join(f"{v.label} ({_brief(v)})" for v in missed)


def summary(verdicts: list[Verdict]) -> str:
    """A chapter's verdicts in one sentence, each claim named by its label: 'Of the report's 2 claims checked here,
    1 is reproduced (savings delivered in 2023/24) and 1 is not reproduced (savings as a share of funding).'"""
    if not verdicts:
        return ""
    parts = []
    for status in claims.STATUSES:
        labels = [v.label for v in verdicts if v.status == status]  # as written: some start with a name
        if labels:
            parts.append(f"{len(labels)} {'is' if len(labels) == 1 else 'are'} {status} ({'; '.join(labels)})")
    n = len(verdicts)
    return f"Of the report's {n} claim{'s' if n != 1 else ''} checked here, {listed(parts)}."


def counted(counts: dict[str, int]) -> str:
    """'3 are reproduced, 2 are consistent with public data, 7 are not reproduced and 12 are stated only', each verb
    agreeing with its count."""
    words = {REPRODUCED: "reproduced", CONSISTENT: "consistent with public data", NOT_REPRODUCED: "not reproduced",
             STATED_ONLY: "stated only"}
    return listed([f"{n} {'is' if n == 1 else 'are'} {words[s]}" for s, n in counts.items()])
