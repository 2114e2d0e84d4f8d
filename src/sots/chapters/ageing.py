"""An ageing population: the over-65s, over-75s and over-85s of the ICB and its places, from ONS 2018-based projections.

Figures: growth (per cent) of the over-65s and over-85s from the base year to 2033 and 2043, of the over-85s over the
whole projection (the demographic part of the claim that over-85s with several conditions double), the rise (per
cent) in the share of over-85s with several conditions that a doubling would also need, and the resident and
GP-registered populations (million persons) behind the report's two figures for the population served.

The report's claims are about its own ICB: only in that ICB's book does the prose give the report's verdicts (on the
figures of the report's own year, in every edition). Another ICB's book gives that ICB's own figures, ungraded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from IPython.display import Markdown

from sots import escape
from sots.analysis import claims, demand, verdicts
from sots.chapters.context import Chapter
from sots.inputs import data, geography
from sots.inputs.geography import Component
from sots.prose import listed

TARGETS = (2033, 2043)
MULTIMORBID_KEY = "multimorbid_85plus_growth_pct"  # the claim that over-85s with several conditions double
SERVED_KEY = "population_served_m"  # the claim on the population the system serves


@dataclass(frozen=True)
class Population:
    """The focal ICB's residents by age on one projection variant, on this book's footprint and the published one."""

    persons: pd.DataFrame  # by place, area, sex and age, one column per year: the exact footprint (Eden removed)
    totals: pd.DataFrame  # persons by band (rows, "All ages" first) and year (columns), exact footprint
    published: pd.DataFrame  # the same for the published ICB series
    base_year: int
    variant: str
    method: str  # how the growth figures are made, as recorded with them
    corrected: bool = False  # whether this book's footprint differs from the published series (Eden, for L&SC)

    def growth_pct(self, band: str, target: int, base: int | None = None, published: bool = False) -> float:
        """Growth (per cent) of the band's persons from ``base`` (default: the base year) to ``target``."""
        totals = self.published if published else self.totals
        return demand.growth(totals.loc[band], self.base_year if base is None else base, target) * 100

    @property
    def first_year(self) -> int:
        """The projection's first mid-year (its vintage)."""
        return int(demand.year_columns(self.totals)[0])

    @property
    def last_year(self) -> int:
        """The projection's last mid-year."""
        return int(demand.year_columns(self.totals)[-1])

    def residents(self, published: bool = False) -> float:
        """Residents of all ages in the base year (persons)."""
        return (self.published if published else self.totals).loc["All ages", str(self.base_year)]


def growth_method(corrected: bool) -> str:
    """The method recorded with the growth figures; ``corrected`` when the footprint leaves Eden out."""
    eden = " (Eden removed from Westmorland and Furness by age shares)" if corrected else ""
    return (f"Sum of ONS 2018-based projected persons at or above the band's age in the ICB's footprint{eden}, "
            "target / base - 1.")


def project(ch: Chapter, base_year: int, variant: str) -> Population:
    """Record the growth figures of the over-65s and over-85s and glue the findings; return the population."""
    projection, estimates = ch.table("population_projection"), ch.table("population_estimates")
    exact = geography.footprint(ch.focal["icb_gss_code"], estimates)
    published = geography.footprint(ch.focal["icb_gss_code"], exact=False)
    persons = demand.footprint_population(projection, exact, variant)
    # Only Lancashire and South Cumbria's exact footprint differs from its published series (Eden), so far.
    people = Population(
        persons=persons, totals=demand.band_totals(persons).set_index("band"),
        published=demand.band_totals(demand.footprint_population(projection, published, variant)).set_index("band"),
        base_year=base_year, variant=variant, method=growth_method(exact != published), corrected=exact != published)
    for band, part in (("65+", "65plus"), ("85+", "85plus")):
        for target in TARGETS:
            ch.figure(f"pop_{part}_growth_{target}_pct", people.growth_pct(band, target), unit="per cent growth",
                      method=people.method, base_year=base_year, target_year=target, variant=variant)
    first, last = people.first_year, people.last_year
    ch.figure("pop_85plus_growth_25y_pct", people.growth_pct("85+", last, base=first),
              unit="per cent growth", method=people.method, base_year=first, target_year=last,
              variant=variant)
    glue_findings(ch, people)
    # Cited from the projection's sources, never typed: a new vintage names itself.
    ch.glue("projection_source", "; ".join(data.citation(s) for s in ch.sources(["population_projection"])))
    return people


def glue_findings(ch: Chapter, people: Population) -> None:
    """Glue the key findings: the ICB, the years, each band's persons and share, and the doubling claim's parts."""
    totals, base = people.totals, str(people.base_year)
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("base_year", people.base_year)
    ch.glue("first_year", people.first_year)
    ch.glue("last_year", people.last_year)
    for band, part in (("All ages", "all"), ("65+", "65plus"), ("75+", "75plus"), ("85+", "85plus")):
        ch.glue(f"n_{part}_base", totals.loc[band, base])
        ch.glue(f"share_{part}_base_pct", totals.loc[band, base] / totals.loc["All ages", base] * 100)
        for target in TARGETS:
            ch.glue(f"n_{part}_{target}", totals.loc[band, str(target)])
    ch.glue("growth_75plus_2043_pct", people.growth_pct("75+", 2043))
    ch.glue("intro_claims", intro_claims(ch))
    multimorbid = claims.by_key(ch.register, MULTIMORBID_KEY)
    growth = ch.figures["pop_85plus_growth_25y_pct"]["value"]
    # The doubling is the report's stated rise (100%): another ICB's book asks the same question of its own figures.
    rise = ch.figure(
        "multimorbid_85plus_prevalence_rise_needed_pct", prevalence_rise_pct(multimorbid["stated"], growth),
        unit="per cent", method=f"How much the share of over-85s with several long-term conditions must rise for "
        f"their number to grow by {multimorbid['stated']:g}% while the over-85 population grows as projected: "
        "(1 + stated growth) / (1 + population growth) - 1, or 0 if population growth suffices.",
        base_year=people.first_year, target_year=people.last_year)
    span = (people.first_year, people.last_year)
    text = f"{growth_sentence(growth, multimorbid['stated'], span)} "
    if ch.about_report:
        text += multimorbid_verdict(ch, ch.verdict(MULTIMORBID_KEY))
    else:
        text += prevalence_sentence(rise, multimorbid["stated"])
    ch.glue("multimorbid_finding", Markdown(text))


def intro_claims(ch: Chapter) -> str:
    """What the chapter asks of the report's claims, in words (the stated values from the register, no claim ids);
    for another ICB than the report's, what it gives instead, since the report's figures are not that ICB's."""
    multimorbid, served = (claims.by_key(ch.register, key) for key in (MULTIMORBID_KEY, SERVED_KEY))
    if not ch.about_report:
        return (f"For {ch.who} it also gives the resident and GP-registered populations, and what the over-85s' "
                "growth means for the number of them living with several long-term conditions.")
    return (f"It checks two of the report's claims: that the number of over-85s with several long-term conditions is "
            f"likely to {rise_words(multimorbid['stated'])} within {multimorbid['horizon_years']} years, and that the "
            f"system serves about {claims.number(served['stated'])} million people (about "
            f"{claims.number(served['also_stated'])} million elsewhere in the report).")


def rise_words(pct: float) -> str:
    """A stated rise (per cent) as a verb: 100 -> 'double', 60 -> 'grow by 60%'."""
    return "double" if pct == 100 else f"grow by {pct:g}%"


def growth_sentence(growth_pct: float, doubling_pct: float, span: tuple[int, int]) -> str:
    """The over-85s' growth (per cent) over the projection's ``span`` (first and last mid-year), and whether it alone
    reaches ``doubling_pct`` (per cent, 100 for a doubling)."""
    first, last = span
    return (f"Over the {last - first} years from {first} to {last}, the number of over-85s grows by {growth_pct:.1f}%: "
            f"the population {doubling_text(growth_pct, doubling_pct)}.")


def prevalence_sentence(rise_pct: float, doubling_pct: float) -> str:
    """How much (per cent) the share of over-85s with several long-term conditions would have to rise for their
    number to grow by ``doubling_pct`` too; or, when population growth alone suffices (a rise of 0), that none is
    needed. A rise shown to one decimal, or two where one would print 0.0."""
    goal = rise_words(doubling_pct)
    if rise_pct <= 0:
        return (f"So the number of over-85s with several long-term conditions would {goal} even if the share of "
                "over-85s who have them stayed as it is.")
    places = 1 if rise_pct >= 0.05 else 2
    return (f"For the number of over-85s with several long-term conditions to {goal} too, the share of over-85s who "
            f"have them would also have to rise by about {rise_pct:.{places}f}%.")


def multimorbid_verdict(ch: Chapter, verdict: claims.Verdict) -> str:
    """The report's claim that over-85s with several long-term conditions double, and its verdict (Markdown)."""
    goal = rise_words(verdict.claim["stated"])
    return (f"The report says the number of over-85s with several long-term conditions is likely to {goal} within "
            f"{verdict.claim['horizon_years']} years. No open data give the share of over-85s who have several "
            f"conditions, so only the population part is checked. {ch.graded(verdict)}")


def doubling_text(growth_pct: float, doubling_pct: float) -> str:
    """Whether the over-85s' growth (per cent) alone reaches the stated rise (per cent, 100 for doubling)."""
    return "more than doubles on its own" if growth_pct >= doubling_pct else "does not double on its own"


def prevalence_rise_pct(stated_pct: float, population_growth_pct: float) -> float:
    """How much (per cent) the share of over-85s with several conditions must rise for their number to grow by
    ``stated_pct`` when the over-85 population grows by ``population_growth_pct``; 0 if population growth suffices."""
    return max(((1 + stated_pct / 100) / (1 + population_growth_pct / 100) - 1) * 100, 0.0)


def older_by_place(people: Population) -> pd.DataFrame:
    """Persons of each older band by place and year, long: ``place``, ``band``, ``year`` (int), ``value``."""
    by_place = demand.band_totals(people.persons, by=["place"])
    return (by_place[by_place["band"] != "All ages"]
            .melt(id_vars=["place", "band"], var_name="year", value_name="value").astype({"year": int}))


def place_growth(people: Population) -> tuple[pd.DataFrame, dict[str, str]]:
    """Each place's older bands in the base year, 2033 and 2043 (persons), with growth (per cent) to each; and the
    formats."""
    by_place = demand.band_totals(people.persons, by=["place"])
    years = [str(people.base_year), *map(str, TARGETS)]
    table = by_place[by_place["band"] != "All ages"][["place", "band", *years]].copy()
    for target in TARGETS:
        table[f"Growth to {target} (%)"] = (table[str(target)] / table[years[0]] - 1) * 100
    return _persons_and_growth(table.rename(columns={"place": "Place", "band": "Band"}), years)


def _persons_and_growth(table: pd.DataFrame, years: list[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """``table`` with each year's column of persons headed "<year> (persons)", and the formats of it and of its
    growth columns (per cent)."""
    shown = table.rename(columns={y: f"{y} (persons)" for y in years})
    return shown, ({f"{y} (persons)": "{:,.0f}" for y in years}
                   | {c: "{:+.1f}" for c in shown.columns if c.startswith("Growth to")})


def localities(ch: Chapter, people: Population) -> tuple[pd.DataFrame, dict[str, str]] | None:
    """Growth (per cent) of the over-65s and over-85s to 2043 in each locality of the ICB's places, on the principal
    projection, and the formats; None for an ICB whose places are not split into localities. Glues the sentence
    introducing them, which names no place the ICB does not have."""
    locality_map = geography.localities(ch.focal["icb_gss_code"])
    ch.glue("localities_text", localities_text(ch.who, sorted(set(locality_map.values()))))
    if not locality_map:
        return None
    parts = [Component(code, locality) for code, locality in locality_map.items()]
    base = str(people.base_year)
    loc = demand.band_totals(demand.footprint_population(ch.table("population_projection"), parts), by=["place"])
    loc = loc[loc["band"].isin(["65+", "85+"])][["place", "band", base, "2043"]]
    loc["Growth to 2043 (%)"] = (loc["2043"] / loc[base] - 1) * 100
    return _persons_and_growth(loc.rename(columns={"place": "Locality", "band": "Band"}), [base, "2043"])


def localities_text(who: str, names: list[str]) -> str:
    """The sentence introducing the localities' table: the localities by name, or that ``who``'s places have none."""
    if not names:
        return f"{who}'s places are not split into localities in this book, so there is no table here."
    return (f"Where a place divides into localities by whole districts ({listed(names)}), the same growth for each "
            "locality, on the principal projection.")


def pyramid(people: Population) -> pd.DataFrame:
    """Persons by sex and age in the base year and the projection's last year: ``sex``, ``age``, ``year`` (int),
    ``persons``."""
    years = [str(people.base_year), str(people.last_year)]
    return (people.persons.groupby(["sex", "age"], as_index=False)[years].sum()
            .melt(id_vars=["sex", "age"], var_name="year", value_name="persons").astype({"year": int}))


def residents_and_registered(ch: Chapter, people: Population, allocation_year: str) -> None:
    """Record the resident population (base year) and NHS England's registered population (the allocation year), in
    million persons, and glue the gap between them and, for the report's ICB, the report's verdict on its two
    figures for the population served."""
    resident = people.residents()
    ch.figure("resident_population_m", resident / 1e6, unit="million persons",
              method=people.method.replace("at or above the band's age", "of all ages"), base_year=people.base_year,
              variant=people.variant)
    wp = ch.table("icb_weighted_population")  # read after the resident figure, which does not come from it
    mine = wp[(wp["year"] == allocation_year) & (wp["icb_code"] == ch.icb)]
    # Cited from the sources of the rows read (the allocation year's publication), never typed.
    ch.glue("registered_source", "; ".join(data.citation(s) for s in ch.sources(["icb_weighted_population"])
                                           if allocation_year in s.get("years", [allocation_year])))
    registered = mine["registered_population_persons"].iloc[0]
    ch.figure("registered_population_m", registered / 1e6, unit="million persons",
              method="GP-registered population NHS England used for the year's allocations, summed over practices.",
              year=allocation_year)
    gap = (registered / resident - 1) * 100
    ch.glue("served_intro", served_intro(ch))
    # The report's verdict only in its own ICB's book: another ICB's counts neither confirm nor refute its figures.
    verdict = [served_sentence(ch, ch.verdict(SERVED_KEY))] if ch.about_report else []
    lists = lists_sentence(registered / 1e6, resident / 1e6, gap, allocation_year)
    ch.glue("served_finding", Markdown(" ".join([lists, *verdict])))
    ch.glue("served_paragraph", Markdown(" ".join([
        f"In {people.base_year} the projected resident population was {resident / 1e6:.2f} million; NHS England's "
        f"registered population for {allocation_year} was {registered / 1e6:.2f} million, {gap_words(gap)}.",
        *verdict])))


def served_intro(ch: Chapter) -> str:
    """What the section on the population served sets the two counts against: the report's two figures (from the
    register) for the report's ICB; for another, nothing but the two counts themselves."""
    if not ch.about_report:
        return ("An ICB's population can be counted in two ways: the Office for National Statistics' resident "
                "population and NHS England's GP-registered population.")
    served = claims.by_key(ch.register, SERVED_KEY)
    return (f"The report gives the population the system serves as about {claims.number(served['stated'])} million in "
            f"one place and about {claims.number(served['also_stated'])} million in another. The two measures such a "
            "figure can come from are the Office for National Statistics' resident population and NHS England's "
            "GP-registered population; below, each is set against the report's figures.")


def gap_words(gap_pct: float) -> str:
    """How far (per cent) the registered population runs above or below the residents: '7.1% more', '0.4% fewer'."""
    return f"{abs(gap_pct):.1f}% {'more' if gap_pct >= 0 else 'fewer'}"


def lists_sentence(registered_m: float, resident_m: float, gap_pct: float, year: str) -> str:
    """The registered population (million persons) of ``year`` against the residents (million persons), and how far
    (per cent) it runs from them."""
    return (f"NHS England counted {registered_m:.2f} million people on the ICB's GP practice lists for {year}, "
            f"{gap_words(gap_pct)} than its {resident_m:.2f} million residents.")


def served_sentence(ch: Chapter, verdict: claims.Verdict) -> str:
    """Whether the report's two figures for the population served are the resident and the registered populations,
    each with the figure it was checked against, and the report's verdict (Markdown): on the figures of the report's
    own year, which a later edition names, adding what its own data give. For a claim not checked, why not."""
    checks = {c.figure: c for c in verdict.checks}
    resident, registered = checks["resident_population_m"], checks["registered_population_m"]
    if resident.computed is None or registered.computed is None:
        return escape.markdown(verdicts.line(verdict))  # text, from the register: Markdown here

    def which(check: claims.Check, figure: str) -> str:
        return f"{'' if check.holds else 'not '}{figure} ({verdicts.computed(check)})"

    text = (f"the report's {verdicts.stated(resident)} is {which(resident, 'the resident population')} and its "
            f"{verdicts.stated(registered)} {which(registered, 'the registered one')}: "
            f"**{verdicts.SAID[verdict.status].lower()}**.")
    if ch.in_report_edition:
        return text[0].upper() + text[1:]
    return " ".join(filter(None, [f"On the data of the report's own year, {ch.report_year}, {text}",
                                  escape.markdown(ch.since(verdict))]))


EDEN_FORMATS = {"This book": "{:,.1f}", "Published ICB series": "{:,.1f}", "Difference (points)": "{:+.2f}"}


def eden(ch: Chapter, people: Population) -> pd.DataFrame:
    """Each headline growth (per cent) and the base year's residents on this book's footprint and on the published
    ICB series, with the difference in points; glue the sentence on what removing Eden changes."""
    rows = []
    for band in ("All ages", "65+", "85+"):
        for target in TARGETS:
            a, b = people.growth_pct(band, target), people.growth_pct(band, target, published=True)
            rows.append({"Figure": f"{band} growth to {target} (%)", "This book": a, "Published ICB series": b,
                         "Difference (points)": a - b})
    # In thousands, so one format (one decimal) serves the column's per cent and persons alike.
    rows.append({"Figure": f"Residents in {people.base_year} (thousands)", "This book": people.residents() / 1e3,
                 "Published ICB series": people.residents(published=True) / 1e3, "Difference (points)": float("nan")})
    table = pd.DataFrame(rows)
    moved = table["Difference (points)"].abs().max()
    ch.glue("eden_text", eden_text(ch.who, people, moved) if people.corrected else
            f"{ch.who}'s published ONS series is used as it is, so the two columns are the same.")
    return table


def eden_text(who: str, people: Population, moved_points: float) -> str:
    """How many residents removing Eden takes out of the base year, and the most (points) any growth figure moves."""
    removed = people.residents(published=True) - people.residents()
    return (f"Removing Eden takes {removed:,.0f} residents out of {who}'s base year; no growth figure moves by more "
            f"than {moved_points:.1f} points.")
