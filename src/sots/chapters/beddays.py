"""Hospital bed days to 2043: 2022 bed-day rates by age and sex times the projected population of the footprint.

Figures: growth in bed days (per cent) of the over-65s and over-85s to 2033 and 2043 from the base year, each with its
Monte Carlo p10, p50 and p90 (the ids are the keys of the report's claims), and the bed days a year that a cut in
unplanned admissions of over-80s the size of Hull's integrated care centre's would avoid in 2033. The chapter then
searches the methods the report may have used (measure, base year, projection variant, footprint) for each claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from sots import claims, demand, geography
from sots.chapter import Chapter
from sots.geography import Component

BANDS = {"65+": "65plus", "85+": "85plus"}  # the age bands the report quotes -> their part of a figure id
TARGETS = (2033, 2043)
# The four figures, in the report's order: (band, target year) -> figure id, which is also the claim's key.
FIGURES = {(band, target): f"beddays_{part}_growth_{target}_pct" for band, part in BANDS.items() for target in TARGETS}
SCENARIO_KEY = "integrated_care_centre_attendance_cut_pct"  # the claim whose cut the scenario applies
METHOD = ("2022 unplanned plus elective bed days per person, by single year of age and sex, times the ONS 2018-based "
          "principal projection for the footprint; growth = target / base - 1. Interval: Monte Carlo over "
          "projection variants and a rate multiplier.")
# The measures the method search tries: what is projected (None: persons) -> the activities summed.
MEASURES = {"population": None, "unplanned bed days": demand.BED_DAYS["unplanned"],
            "all bed days": demand.BED_DAYS["all"]}
# The method search tries every base year from the projection's first up to the report's publication year (2024).
GRID_BASES_END = 2024


def years_after(totals: pd.DataFrame, base_year: int) -> list[int]:
    """The mid-years of ``totals`` (one column per year) after ``base_year``."""
    return [int(y) for y in demand.year_columns(totals) if int(y) > base_year]


@dataclass(frozen=True)
class Footprints:
    """The projection and rates of the focal ICB's footprints: ``exact`` (Eden removed) and the ``published`` series."""

    projection: pd.DataFrame
    rates: pd.DataFrame
    parts: Mapping[str, list[Component]]
    # What the method search asks for many times, made once each: the projection and rates of the footprints' areas
    # only (every lookup in the whole long projection is a pass over half a million rows), the persons by
    # (footprint, variant), the rates summed by activities, and the totals.
    _cache: dict[tuple, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _made(self, key: tuple, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def _near(self, name: str) -> pd.DataFrame:
        """The rows of ``projection`` or ``rates`` (``name``) for the footprints' areas, in the table's order."""
        def make() -> pd.DataFrame:
            table = getattr(self, name)
            areas = {c.area_code for parts in self.parts.values() for c in parts}
            return table[table["area_code"].isin(areas)].reset_index(drop=True)
        return self._made(("near", name), make)

    def variants(self, footprint: str) -> list[str]:
        """The variants projected for every area of the footprint (:func:`sots.demand.variants_available`)."""
        return list(self._made(("variants", footprint),
                               lambda: demand.variants_available(self._near("projection"), self.parts[footprint])))

    def persons(self, footprint: str, variant: str) -> pd.DataFrame:
        """Persons by place, area, sex and age, one column per year (:func:`sots.demand.footprint_population`)."""
        return self._persons(footprint, variant).copy()

    def _persons(self, footprint: str, variant: str) -> pd.DataFrame:
        # The same rows as from the whole projection, in the same order, so the same pivot.
        return self._made(("persons", footprint, variant), lambda: demand.footprint_population(
            self._near("projection"), self.parts[footprint], variant))

    def totals(self, footprint: str, variant: str, activities: list[str] | None,
               bands: Mapping[str, int] = demand.BANDS) -> pd.DataFrame:
        """Bed days a year (persons, if ``activities`` is None) by band (rows, "All ages" first) and year (columns)."""
        def make() -> pd.DataFrame:
            pop = self._persons(footprint, variant)
            if activities is None:
                return demand.band_totals(pop, bands).set_index("band")
            # Rates summed over the footprints' areas only: each area's sums are the same rows either way.
            summed = self._made(("rates", tuple(activities)),
                                lambda: demand.summed_rates(self._near("rates"), activities))
            return demand.band_totals(demand.activity_at(pop, summed, activities), bands).set_index("band")
        key = ("totals", footprint, variant, None if activities is None else tuple(activities), tuple(bands.items()))
        return self._made(key, make).copy()


@dataclass(frozen=True)
class BedDays:
    """All bed days of the exact footprint on every projection variant, and the Monte Carlo interval of their growth."""

    footprints: Footprints
    base_year: int
    by_variant: Mapping[str, pd.DataFrame]  # variant -> bed days a year by band and year, principal first
    intervals: Mapping[str, pd.DataFrame]  # band of BANDS -> p10, p50, p90 of growth (per cent) by year after base

    @property
    def principal(self) -> pd.DataFrame:
        """Bed days a year by band and year on the principal projection."""
        return self.by_variant[demand.PRINCIPAL]

    @property
    def years_after(self) -> list[int]:
        """The projection's years after the base year."""
        return years_after(self.principal, self.base_year)

    @property
    def grid_bases(self) -> range:
        """The base years the method search tries: from the projection's first year to the report's."""
        return range(int(demand.year_columns(self.principal)[0]), GRID_BASES_END)

    def growth_pct(self, band: str, target: int, base: int | None = None) -> float:
        """Growth (per cent) of the band's bed days on the principal projection, from ``base`` (default: the base
        year) to ``target``."""
        return demand.growth(self.principal.loc[band], self.base_year if base is None else base, target) * 100


def project(ch: Chapter, base_year: int, runs: int, seed: int) -> BedDays:
    """Project bed days, record the four growth figures with their Monte Carlo interval, and glue the findings.

    ``runs`` and ``seed`` set the Monte Carlo (:class:`sots.demand.MonteCarlo`): the same seed, the same figures.
    """
    focal = ch.focal["icb_gss_code"]
    footprints = Footprints(
        projection=ch.table("population_projection"), rates=ch.table("activity_rates"),
        parts={"exact": geography.footprint(focal, ch.table("population_estimates")),
               "published": geography.footprint(focal, exact=False)})
    variants = footprints.variants("exact")
    by_variant = {v: footprints.totals("exact", v, demand.BED_DAYS["all"]) for v in variants}
    after = years_after(by_variant[demand.PRINCIPAL], base_year)
    mc = demand.MonteCarlo(runs=runs, seed=seed)
    intervals = {band: demand.percentiles(mc.growth({v: t.loc[band] for v, t in by_variant.items()}, base_year,
                                                    after), after) * 100 for band in BANDS}
    bd = BedDays(footprints=footprints, base_year=base_year, by_variant=by_variant, intervals=intervals)
    for (band, target), figure in FIGURES.items():
        p = intervals[band].loc[target]
        ch.figure(figure, bd.growth_pct(band, target), unit="per cent growth", method=METHOD,
                  interval={"p10": p["p10"], "p50": p["p50"], "p90": p["p90"]}, base_year=base_year,
                  target_year=target, variant=demand.PRINCIPAL, runs=runs, seed=seed)
        ch.glue(f"b2022_{BANDS[band]}_{target}", bd.growth_pct(band, target, base=2022))
        ch.glue(f"stated_{BANDS[band]}_{target}", claims.by_key(ch.register, figure)["stated"])
    for band, part in BANDS.items():  # the claims' ids, for the introduction
        ch.glue(f"claims_{part}", ", ".join(claims.by_key(ch.register, FIGURES[band, t])["id"] for t in TARGETS))
    principal, base = bd.principal, str(base_year)
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("base_year", base_year)
    ch.glue("runs", runs)
    ch.glue("n_variants", len(variants))
    ch.glue("beddays_base", principal.loc["All ages", base])
    ch.glue("w_principal", demand.VARIANT_WEIGHTS[demand.PRINCIPAL])
    ch.glue("w_other", max(w for v, w in demand.VARIANT_WEIGHTS.items() if v != demand.PRINCIPAL))
    ch.glue("rate_hw_pct", demand.RATE_80PCT_HALF_WIDTH_PER_YEAR * 100)
    persons_85 = footprints.totals("exact", demand.PRINCIPAL, None).loc["85+"]
    ch.glue("pop85_2033_pct", demand.growth(persons_85, base_year, 2033) * 100)
    ch.glue("beddays_65_share_pct", principal.loc["65+", base] / principal.loc["All ages", base] * 100)
    return bd


def unplanned_and_elective(bd: BedDays) -> pd.DataFrame:
    """Bed days a year of all ages on the principal projection, by part: ``year`` (int), ``part``, ``value``."""
    parts = []
    for label, activities in (("Unplanned", demand.BED_DAYS["unplanned"]), ("Elective", ["ordelec_bds"])):
        t = bd.footprints.totals("exact", demand.PRINCIPAL, activities, {}).loc["All ages"]
        parts.append(pd.DataFrame({"year": [int(y) for y in t.index], "part": label, "value": t.to_numpy()}))
    return pd.concat(parts)


def four_figures(ch: Chapter, bd: BedDays) -> tuple[pd.DataFrame, dict[str, str]]:
    """The report's four figures against this book's, from the base year and from 2022, with the Monte Carlo 80%
    interval and the register's status of each claim; and the table's formats. Call after :func:`project`."""
    rows = []
    for (band, target), figure in FIGURES.items():
        claim, p = claims.by_key(ch.register, figure), bd.intervals[band].loc[target]
        rows.append({"Claim": claim["id"], "Bed days of": band, "By": target, "Report (%)": claim["stated"],
                     f"Base {bd.base_year} (%)": bd.growth_pct(band, target),
                     "Base 2022 (%)": bd.growth_pct(band, target, base=2022), "p10 (%)": p["p10"], "p90 (%)": p["p90"],
                     "Status": ch.verdict(figure).status})
    frame = pd.DataFrame(rows)
    formats = {c: "{:+.1f}" for c in frame.columns if c.endswith("(%)") and c != "Report (%)"}
    return frame, formats | {"Report (%)": "{:+.0f}", "By": "{:d}"}  # a year, so no thousands separator


def fan(bd: BedDays) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Growth (per cent) of the over-65s' bed days by year on each variant (``series``, ``year``, ``growth_pct``;
    the principal named "Principal"), and the Monte Carlo 80% interval (``year``, ``low``, ``high``)."""
    lines = pd.concat([
        pd.DataFrame({"series": ("Principal" if v == demand.PRINCIPAL else v), "year": bd.years_after,
                      "growth_pct": [demand.growth(t.loc["65+"], bd.base_year, y) * 100 for y in bd.years_after]})
        for v, t in bd.by_variant.items()])
    band = bd.intervals["65+"].rename(columns={"p10": "low", "p90": "high"}).rename_axis("year").reset_index()
    return lines, band


def method_series(bd: BedDays) -> dict[tuple[str, str, str, str], pd.Series]:
    """Every series the method search tries: (footprint, variant, measure, band) -> totals by year."""
    series = {}
    for footprint in bd.footprints.parts:
        for v in bd.footprints.variants(footprint):
            for measure, activities in MEASURES.items():
                t = bd.footprints.totals(footprint, v, activities)
                for band in BANDS:
                    series[(footprint, v, measure, band)] = t.loc[band]
    return series


@dataclass(frozen=True)
class Search:
    """The method search: the methods nearest each claim, and the methods scored on several claims at once."""

    figures: Mapping[str, tuple[str, int]]  # each claim's id -> its (band, target year), in the report's order
    stated: Mapping[str, float]  # each claim's id -> its stated growth (per cent)
    closest: pd.DataFrame  # per claim, the three methods nearest its stated figure, and whether each reaches it
    consistent: pd.DataFrame  # per method, its gap (points) to each claim and the total over the claims reached
    reached: list[str]  # the ids of the claims some method reaches, in the report's order

    @property
    def unreached(self) -> list[str]:
        """The ids of the claims no method reaches."""
        return [cid for cid in self.figures if cid not in self.reached]


CLOSEST_FORMATS = {"Growth (%)": "{:+.1f}", "Gap (points)": "{:+.1f}", "Base": "{:d}"}  # Base: a year, unseparated


def search(ch: Chapter, bd: BedDays) -> Search:
    """Try every method on each of the four claims and glue what the search finds. Call after :func:`project`.

    A method *reaches* a claim when its growth is within the claim's tolerance of the stated figure, as the claims
    register compares (:func:`sots.claims.within`).
    """
    series = method_series(bd)
    ch.glue("grid_first_base", bd.grid_bases[0])
    ch.glue("grid_last_base", bd.grid_bases[-1])
    four = {key: claims.by_key(ch.register, figure) for key, figure in FIGURES.items()}
    grids, found = {}, []
    for (band, target), claim in four.items():
        grid = demand.method_grid(series, bd.grid_bases, target)
        grids[claim["id"]] = grid[grid["band"] == band]
        near = demand.closest_methods(grid, band, claim["stated"])
        near.insert(0, "Claim", claim["id"])
        near["Reached"] = [claims.within(g, claim["stated"], claim["tolerance"]) for g in near["growth_pct"]]
        found.append(near)
    stated = {claim["id"]: claim["stated"] for claim in four.values()}
    reached = [cid for cid, near in zip(grids, found) if near["Reached"].any()]
    result = Search(figures={claim["id"]: key for key, claim in four.items()}, stated=stated,
                    closest=pd.concat(found, ignore_index=True),
                    consistent=demand.consistent_methods(grids, stated, reached), reached=reached)
    glue_search(ch, bd, series, result)
    return result


def glue_search(ch: Chapter, bd: BedDays, series: Mapping[tuple[str, str, str, str], pd.Series],
                found: Search) -> None:
    """Glue the sentences on the search: the best single method, the over-65s' second decade, the base year and
    the claims no method reaches (with the register's status of each)."""
    ch.glue("consistency_sentence", consistency_sentence(found.consistent.iloc[0], found.reached))
    to_2033, to_2043 = (found.stated[cid] for cid, (band, _) in found.figures.items() if band == "65+")
    # Two figures for the same age group imply growth between 2033 and 2043, which can be checked.
    ch.glue("over65_second_decade_implied_pct", ((1 + to_2043 / 100) / (1 + to_2033 / 100) - 1) * 100)
    ch.glue("second_decade_max_pct", max(float(s["2043"] / s["2033"] - 1) * 100
                                         for (_, _, _, band), s in series.items() if band == "65+"))
    gaps = {base: sum(abs(bd.growth_pct(*found.figures[c], base=base) - found.stated[c]) for c in found.reached)
            for base in (2022, 2023)}
    ch.glue("base_sentence", base_sentence(gaps, found.reached, bd.base_year))
    ch.glue("flag_sentence", flag_sentence([ch.verdict(FIGURES[found.figures[cid]]) for cid in found.unreached]))


def consistency_sentence(best: pd.Series, reached: list[str]) -> str:
    """How far the best single method (a row of :func:`sots.demand.consistent_methods`) is from the claims reached."""
    return (f"No single method fits {', '.join(reached)} together: the closest ({best['measure']}, variant "
            f"{best['variant']}, {int(best['base_year'])} base) is still {best['total_gap_pp']:.0f} points from them "
            "in total.")


def base_sentence(gaps: Mapping[int, float], reached: list[str], default: int) -> str:
    """Which base year, 2022 or 2023, is nearer the claims reached: ``gaps`` maps each to its total gap (points)."""
    better = min(gaps, key=gaps.get)
    return (f"On the principal projection with all bed days, a 2022 base is {gaps[2022]:.1f} points from "
            f"{', '.join(reached)} in total and a 2023 base {gaps[2023]:.1f}: {better} is the more plausible base"
            + (", and this book's default." if better == default else "."))


def flag_sentence(unreached: list[claims.Verdict]) -> str:
    """The claims no method reaches, each with the register's status; or that every claim is reached."""
    if not unreached:
        return "Every figure is reached by at least one method tried."
    by_status: dict[str, list[str]] = {}
    for v in unreached:
        by_status.setdefault(v.status, []).append(v.id)
    named = ", ".join(v.id for v in unreached)
    if len(by_status) == 1:
        return f"No method tried reaches {named}, which {'is' if len(unreached) == 1 else 'are'} {unreached[0].status}."
    return (f"No method tried reaches {named}: " + "; ".join(
        f"{', '.join(ids)} {'is' if len(ids) == 1 else 'are'} {status}" for status, ids in by_status.items()) + ".")


def shown_methods(found: Search) -> tuple[pd.DataFrame, dict[str, str]]:
    """The five methods nearest all the claims reached, then the three best on the principal projection; and the
    table's formats."""
    best = found.consistent
    shown = pd.concat([best.head(5).assign(Shown="best of all"),
                       best[best["variant"] == demand.PRINCIPAL].head(3).assign(Shown="best on the principal")])
    gaps = {cid: f"{cid} gap (points)" for cid in found.figures}  # each claim's gap to its stated growth
    return (shown.rename(columns={"base_year": "Base", "total_gap_pp": "Total gap (points)", **gaps}),
            {**{c: "{:+.1f}" for c in gaps.values()}, "Total gap (points)": "{:.1f}", "Base": "{:d}"})


def closest_methods(found: Search) -> pd.DataFrame:
    """The methods nearest each claim, with the book's column names; whether each reaches its claim in words."""
    table = found.closest.rename(columns={"growth_pct": "Growth (%)", "gap_pp": "Gap (points)", "base_year": "Base"})
    return table.assign(Reached=table["Reached"].map({True: "yes", False: "no"}))


def scenario(ch: Chapter, bd: BedDays) -> dict[int, float]:
    """Record the bed days a year a cut like Hull's in unplanned bed days of over-80s would avoid in 2033, glue the
    scenario's other values, and return the bed days avoided by year (base year, 2033, 2043).

    The cut is the register's stated reduction in emergency attendances; the admissions avoided are of average length.
    """
    claim = claims.by_key(ch.register, SCENARIO_KEY)
    cut = claim["stated"] / 100
    over80 = bd.footprints.totals("exact", demand.PRINCIPAL, demand.BED_DAYS["unplanned"], {"80+": 80}).loc["80+"]
    avoided = {year: cut * over80[str(year)] for year in (bd.base_year, *TARGETS)}
    ch.figure("jean_bishop_beddays_avoided_2033", avoided[2033], unit="bed days a year",
              method=f"{cut:.1%} of projected unplanned bed days of residents aged 80 and over in 2033 (2022 rates, "
              "principal projection).", target_year=2033, reduction=cut)
    ch.glue("jb_claim", claim["id"])
    ch.glue("jb_cut_pct", cut * 100)
    ch.glue("jb_now", avoided[bd.base_year])
    ch.glue("jb_2043", avoided[2043])
    ch.glue("jb_beds_2033", avoided[2033] / 365 / demand.BED_OCCUPANCY)
    ch.glue("occupancy_pct", demand.BED_OCCUPANCY * 100)
    return avoided


EDEN_FORMATS = {"This book": "{:+.2f}", "Published ICB series": "{:+.2f}", "Difference (points)": "{:+.2f}"}


def eden(bd: BedDays) -> pd.DataFrame:
    """Each of the four figures on this book's footprint and on the published ICB series, and the difference."""
    published = bd.footprints.totals("published", demand.PRINCIPAL, demand.BED_DAYS["all"])
    frame = pd.DataFrame([{"Figure": f"Bed days {band}, growth to {target} (%)",
                           "This book": bd.growth_pct(band, target),
                           "Published ICB series": demand.growth(published.loc[band], bd.base_year, target) * 100}
                          for band, target in FIGURES])
    return frame.assign(**{"Difference (points)": frame["This book"] - frame["Published ICB series"]})
