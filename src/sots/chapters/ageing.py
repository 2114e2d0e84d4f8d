"""An ageing population: the over-65s, over-75s and over-85s of the ICB and its places, from ONS 2018-based projections.

Figures: growth (per cent) of the over-65s and over-85s from the base year to 2033 and 2043, of the over-85s over the
whole projection (the demographic part of the claim that over-85s with several conditions double), and the resident
and GP-registered populations (million persons) behind the report's two figures for the population served.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sots import claims, demand, geography
from sots.chapter import Chapter
from sots.geography import Component

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
        base_year=base_year, variant=variant, method=growth_method(exact != published))
    for band, part in (("65+", "65plus"), ("85+", "85plus")):
        for target in TARGETS:
            ch.figure(f"pop_{part}_growth_{target}_pct", people.growth_pct(band, target), unit="per cent growth",
                      method=people.method, base_year=base_year, target_year=target, variant=variant)
    first, last = people.first_year, people.last_year
    ch.figure("pop_85plus_growth_25y_pct", people.growth_pct("85+", last, base=first),
              unit="per cent growth", method=people.method, base_year=first, target_year=last,
              variant=variant)
    glue_findings(ch, people)
    return people


def glue_findings(ch: Chapter, people: Population) -> None:
    """Glue the key findings: the ICB, the years, each band's persons and share, and the doubling claim's parts."""
    totals, base = people.totals, str(people.base_year)
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("base_year", people.base_year)
    ch.glue("first_year", people.first_year)
    ch.glue("last_year", people.last_year)
    ch.glue("span_years", people.last_year - people.first_year)
    for band, part in (("All ages", "all"), ("65+", "65plus"), ("75+", "75plus"), ("85+", "85plus")):
        ch.glue(f"n_{part}_base", totals.loc[band, base])
        ch.glue(f"share_{part}_base_pct", totals.loc[band, base] / totals.loc["All ages", base] * 100)
        for target in TARGETS:
            ch.glue(f"n_{part}_{target}", totals.loc[band, str(target)])
    ch.glue("growth_75plus_2043_pct", people.growth_pct("75+", 2043))
    served = claims.by_key(ch.register, SERVED_KEY)
    ch.glue("served_stated", served["stated"])
    ch.glue("served_also_stated", served["also_stated"])
    ch.glue("served_claim", served["id"])
    multimorbid = claims.by_key(ch.register, MULTIMORBID_KEY)
    ch.glue("multimorbid_stated_pct", multimorbid["stated"])
    ch.glue("multimorbid_horizon", multimorbid["horizon_years"])
    ch.glue("multimorbid_claim", multimorbid["id"])
    growth = ch.figures["pop_85plus_growth_25y_pct"]["value"]
    ch.glue("multimorbid_doubling", doubling_text(growth, multimorbid["stated"]))
    ch.figure("multimorbid_85plus_prevalence_rise_needed_pct", prevalence_rise_pct(multimorbid["stated"], growth),
              unit="per cent", method=f"How much the share of over-85s with several long-term conditions must rise "
              f"for their number to grow by {multimorbid['stated']:g}% while the over-85 population grows as "
              "projected: (1 + stated growth) / (1 + population growth) - 1, or 0 if population growth suffices.",
              base_year=people.first_year, target_year=people.last_year)
    ch.glue("multimorbid_status", ch.verdict(MULTIMORBID_KEY).status)


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
    projection, and the formats; None for an ICB whose places are not split into localities."""
    locality_map = geography.localities(ch.focal["icb_gss_code"])
    if not locality_map:
        return None
    parts = [Component(code, locality) for code, locality in locality_map.items()]
    base = str(people.base_year)
    loc = demand.band_totals(demand.footprint_population(ch.table("population_projection"), parts), by=["place"])
    loc = loc[loc["band"].isin(["65+", "85+"])][["place", "band", base, "2043"]]
    loc["Growth to 2043 (%)"] = (loc["2043"] / loc[base] - 1) * 100
    return _persons_and_growth(loc.rename(columns={"place": "Locality", "band": "Band"}), [base, "2043"])


def pyramid(people: Population) -> pd.DataFrame:
    """Persons by sex and age in the base year and the projection's last year: ``sex``, ``age``, ``year`` (int),
    ``persons``."""
    years = [str(people.base_year), str(people.last_year)]
    return (people.persons.groupby(["sex", "age"], as_index=False)[years].sum()
            .melt(id_vars=["sex", "age"], var_name="year", value_name="persons").astype({"year": int}))


def residents_and_registered(ch: Chapter, people: Population, allocation_year: str) -> None:
    """Record the resident population (base year) and NHS England's registered population (the allocation year), in
    million persons, and glue the gap between them and the register's reading of the report's two figures."""
    resident = people.residents()
    ch.figure("resident_population_m", resident / 1e6, unit="million persons",
              method=people.method.replace("at or above the band's age", "of all ages"), base_year=people.base_year,
              variant=people.variant)
    wp = ch.table("icb_weighted_population")  # read after the resident figure, which does not come from it
    mine = wp[(wp["year"] == allocation_year) & (wp["icb_code"] == ch.icb)]
    registered = mine["registered_population_persons"].iloc[0]
    ch.figure("registered_population_m", registered / 1e6, unit="million persons",
              method="GP-registered population NHS England used for the year's allocations, summed over practices.",
              year=allocation_year)
    ch.glue("allocation_year", allocation_year)
    ch.glue("list_gap_pct", (registered / resident - 1) * 100)
    ch.glue("published_all_base", people.residents(published=True))
    ch.glue("served_sentence", served_sentence(ch.verdict(SERVED_KEY)))


def served_sentence(verdict: claims.Verdict) -> str:
    """Whether the report's two figures for the population served are the resident and the registered populations,
    from the register's checks of each, and the register's status of the claim."""
    checks = {c.figure: c for c in verdict.checks}
    resident, registered = checks["resident_population_m"], checks["registered_population_m"]

    def which(check: claims.Check, figure: str) -> str:
        return figure if check.holds else f"not {figure} ({claims.number(check.computed, 2)} million)"

    return (f"The report's {claims.number(resident.stated)} million is {which(resident, 'the resident figure')} and "
            f"its {claims.number(registered.stated)} million {which(registered, 'the registered one')}: the claims "
            f"register finds the claim {verdict.status}.")


EDEN_FORMATS = {"This book": "{:,.1f}", "Published ICB series": "{:,.1f}", "Difference (points)": "{:+.2f}"}


def eden(ch: Chapter, people: Population) -> pd.DataFrame:
    """Each headline growth (per cent) and the base year's residents on this book's footprint and on the published
    ICB series, with the difference in points; glue the residents Eden adds."""
    rows = []
    for band in ("All ages", "65+", "85+"):
        for target in TARGETS:
            a, b = people.growth_pct(band, target), people.growth_pct(band, target, published=True)
            rows.append({"Figure": f"{band} growth to {target} (%)", "This book": a, "Published ICB series": b,
                         "Difference (points)": a - b})
    # In thousands, so one format (one decimal) serves the column's per cent and persons alike.
    rows.append({"Figure": f"Residents in {people.base_year} (thousands)", "This book": people.residents() / 1e3,
                 "Published ICB series": people.residents(published=True) / 1e3, "Difference (points)": float("nan")})
    ch.glue("eden_residents", people.residents(published=True) - people.residents())
    return pd.DataFrame(rows)
