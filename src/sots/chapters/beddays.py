"""Hospital bed days to 2043: 2022 bed-day rates by age and sex times the projected population of the footprint.

Figures: growth in bed days (per cent) of the over-65s and over-85s to 2033 and 2043 from the base year, each with its
Monte Carlo p10, p50 and p90 (the ids are the keys of the report's claims), and the bed days a year that a cut in
unplanned admissions of over-80s the size of Hull's integrated care centre's would avoid in 2033. The chapter then
searches the methods the report may have used (measure, base year, projection variant, footprint) for each claim.

The report's four figures are its own ICB's: only in that ICB's book does the chapter set its figures against them,
give the report's verdicts (on the figures of the report's own year, in every edition) and show the search for the
report's method. Another ICB's book gives that ICB's own projection and its uncertainty, ungraded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from IPython.display import Markdown

from sots import escape
from sots.analysis import claims, demand, verdicts
from sots.chapters.context import Chapter
from sots.inputs import geography
from sots.inputs.geography import Component
from sots.prose import listed

BANDS = {"65+": "65plus", "85+": "85plus"}  # the age bands the report quotes -> their part of a figure id
TARGETS = (2033, 2043)
# The four figures, in the report's order: (band, target year) -> figure id, which is also the claim's key.
FIGURES = {(band, target): f"beddays_{part}_growth_{target}_pct" for band, part in BANDS.items() for target in TARGETS}
# Each figure as the prose names it, so no reader needs a claim id: (band, target year) -> "over-65s by 2033".
NAMES = {(band, target): f"over-{band.rstrip('+')}s by {target}" for band, target in FIGURES}
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
        """The variants projected for every area of the footprint (:func:`sots.analysis.demand.variants_available`)."""
        return list(self._made(("variants", footprint),
                               lambda: demand.variants_available(self._near("projection"), self.parts[footprint])))

    def persons(self, footprint: str, variant: str) -> pd.DataFrame:
        """Persons by place, area, sex and age, one column per year
        (:func:`sots.analysis.demand.footprint_population`)."""
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

    ``runs`` and ``seed`` set the Monte Carlo (:class:`sots.analysis.demand.MonteCarlo`): the same seed, the same
    figures.
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
    principal, base = bd.principal, str(base_year)
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("base_year", base_year)
    ch.glue("runs", runs)
    ch.glue("beddays_base", principal.loc["All ages", base])
    ch.glue("beddays_65_share_pct", principal.loc["65+", base] / principal.loc["All ages", base] * 100)
    ch.glue("intro_claims", intro_claims(ch))
    ch.glue("fan_text", fan_text(variants))
    for band, part in BANDS.items():
        ch.glue(f"findings_{part}", Markdown(band_finding(ch, bd, band)))
    ch.glue("four_figures_text", four_figures_text(ch, bd.base_year, runs))
    ch.glue("eden_text", eden_text(ch.who, bd))
    return bd


def intro_claims(ch: Chapter) -> str:
    """What the chapter asks of the report's four figures, in words (stated values from the register, no claim ids);
    for another ICB than the report's, what it asks instead, since those figures are not that ICB's."""
    if not ch.about_report:
        return ("It then asks how uncertain the projection is, and what a Hull-style cut in emergency admissions of "
                "over-80s would save.")
    stated = {key: f"{claims.by_key(ch.register, figure)['stated']:g}%" for key, figure in FIGURES.items()}
    return (f"It checks the report's four figures: bed days for over-65s up {stated['65+', 2033]} by 2033 and "
            f"{stated['65+', 2043]} by 2043, and for over-85s up {stated['85+', 2033]} by 2033 and "
            f"{stated['85+', 2043]} by 2043. It then asks which method the report most likely used, how uncertain the "
            "projection is, and what a Hull-style cut in emergency admissions of over-80s would save.")


def fan_text(variants: list[str]) -> str:
    """The fan chart's projections and the Monte Carlo's draws, in words: the variant weights renormalised over the
    ``variants`` available (as :class:`sots.analysis.demand.MonteCarlo` draws them), or the principal alone where it is
    the only one."""
    rates = (f"a multiplier on future bed-day rates whose 80% interval widens by "
             f"±{demand.RATE_80PCT_HALF_WIDTH_PER_YEAR * 100:.1f}% a year from the base year")
    weights = {v: w for v, w in demand.VARIANT_WEIGHTS.items() if v in variants}
    if len(variants) < 2 or len(weights) < 2:
        return ("The fan shows growth in bed days for over-65s on the principal projection, the only one used for this "
                "footprint. The shaded band is the Monte Carlo 80% interval: each run takes the principal projection "
                f"and draws {rates}.")
    total = sum(weights.values())
    others = max(w for v, w in weights.items() if v != demand.PRINCIPAL) / total
    return (f"The fan shows growth in bed days for over-65s under each of the {len(variants)} projections available "
            "for this footprint, with the principal projection in blue. The shaded band is the Monte Carlo 80% "
            f"interval: each run draws a projection (the principal with probability "
            f"{weights[demand.PRINCIPAL] / total:.2f}; the high and low migration and the young and old age-structure "
            f"variants {others:.2f} each, where available) and {rates}.")


def band_finding(ch: Chapter, bd: BedDays, band: str) -> str:
    """One age band's growth in bed days to each target year (per cent, this edition's data) and, for the report's
    ICB, the report's verdict on each of its two figures for the band, with the numbers each verdict was computed on
    (Markdown)."""
    grows = " and ".join(f"**{bd.growth_pct(band, t):.1f}% by {t}**" for t in TARGETS)
    text = f"From a {bd.base_year} base, bed days for over-{band.rstrip('+')}s grow by {grows}."
    if not ch.about_report:
        return text
    return f"{text} {band_verdicts(ch, [(t, ch.verdict(FIGURES[band, t])) for t in TARGETS])}"


def band_verdicts(ch: Chapter, judged: list[tuple[int, claims.Verdict]]) -> str:
    """The report's verdicts on a band's figures (target year, verdict), each with the comparison it rests on; in a
    later edition, on the report's own year, then what this edition's data give (Markdown)."""
    unchecked = [v for _, v in judged if v.status == claims.STATED_ONLY]
    if unchecked:
        return escape.markdown(verdicts.line(unchecked[0]))  # text, from the register: Markdown here
    parts = "; ".join(f"by {target}, **{v.status}** ({listed([verdicts.comparison(c) for c in v.checks])})"
                      for target, v in judged)
    if ch.in_report_edition:
        return f"Against the report's figures: {parts}."
    return f"The report's verdicts, on the data of its own year, {ch.report_year}: {parts}. {since(ch, judged)}"


def since(ch: Chapter, judged: list[tuple[int, claims.Verdict]]) -> str:
    """What this edition's data give of the verdicts' figures: one sentence when they give the same for all, else
    each verdict's :meth:`sots.chapters.context.Chapter.since`."""
    later = [s for _, v in judged for s in verdicts.since(v, ch.figures)]
    if later and all(s.later is not None and not s.changed for s in later):
        return f"Since the report: {ch.year} data give the same figures."
    return " ".join(filter(None, (escape.markdown(ch.since(v)) for _, v in judged)))


def four_figures_text(ch: Chapter, base_year: int, runs: int) -> str:
    """The sentence introducing :func:`four_figures`' table, as its columns are for this book."""
    text = (f"Each figure from the {base_year} base and from a 2022 base, with the Monte Carlo 80% interval (p10 to "
            f"p90 over {runs:,} runs)")
    if not ch.about_report:
        return f"{text}."
    verdict = ("the report's verdict on each" if ch.in_report_edition else
               f"the report's verdict on each, on the data of its own year, {ch.report_year}")
    return f"{text}, beside the report's own figure and {verdict}."


def unplanned_and_elective(bd: BedDays) -> pd.DataFrame:
    """Bed days a year of all ages on the principal projection, by part: ``year`` (int), ``part``, ``value``."""
    parts = []
    for label, activities in (("Unplanned", demand.BED_DAYS["unplanned"]), ("Elective", ["ordelec_bds"])):
        t = bd.footprints.totals("exact", demand.PRINCIPAL, activities, {}).loc["All ages"]
        parts.append(pd.DataFrame({"year": [int(y) for y in t.index], "part": label, "value": t.to_numpy()}))
    return pd.concat(parts)


def four_figures(ch: Chapter, bd: BedDays) -> tuple[pd.DataFrame, dict[str, str]]:
    """Each of the four figures from the base year and from 2022 (per cent), with the Monte Carlo 80% interval; for
    the report's ICB, beside the report's figure and its verdict (on the report's own year's figures, which the
    column names in a later edition). Another ICB's table has neither. And the table's formats. Call after
    :func:`project`."""
    rows, about = [], ch.about_report
    heading = "Verdict" if ch.in_report_edition else f"Verdict ({ch.report_year} data)"
    for (band, target), figure in FIGURES.items():
        p = bd.intervals[band].loc[target]
        row = {"Bed days of": band, "By": target}
        if about:
            row["Report (%)"] = claims.by_key(ch.register, figure)["stated"]
        row |= {f"Base {bd.base_year} (%)": bd.growth_pct(band, target),
                "Base 2022 (%)": bd.growth_pct(band, target, base=2022), "p10 (%)": p["p10"], "p90 (%)": p["p90"]}
        if about:
            row[heading] = verdict_cell(ch.verdict(figure))
        rows.append(row)
    frame = pd.DataFrame(rows)
    formats = {c: "{:+.1f}" for c in frame.columns if c.endswith("(%)") and c != "Report (%)"}
    formats |= {"Report (%)": "{:+.0f}"} if about else {}
    return frame, formats | {"By": "{:d}"}  # a year, so no thousands separator


def verdict_cell(verdict: claims.Verdict) -> str:
    """A verdict in a table cell: 'Consistent: inside the likely range', 'Not reproduced: 19.8 points below'."""
    if verdict.status == claims.STATED_ONLY:
        return "Not checked"
    return f"{verdicts.SAID[verdict.status]}: {verdicts.brief(verdict).lower()}"


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
    closest: pd.DataFrame  # per figure (named), the three methods nearest its stated value, and whether each reaches it
    consistent: pd.DataFrame  # per method, its gap (points) to each claim and the total over the claims reached
    reached: list[str]  # the ids of the claims some method reaches, in the report's order
    grids: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # each claim's id -> every method's growth (%)

    @property
    def unreached(self) -> list[str]:
        """The ids of the claims no method reaches."""
        return [cid for cid in self.figures if cid not in self.reached]

    def name(self, cid: str) -> str:
        """The claim's figure as the prose names it: 'over-65s by 2033'."""
        return NAMES[self.figures[cid]]


CLOSEST_FORMATS = {"Growth (%)": "{:+.1f}", "Gap (points)": "{:+.1f}", "Base": "{:d}"}  # Base: a year, unseparated


def search(ch: Chapter, bd: BedDays) -> Search:
    """Try every method on each of the four claims and glue what the search finds. Call after :func:`project`.

    A method *reaches* a claim when its growth is within the claim's tolerance of the stated figure, as the claims
    register compares (:func:`sots.analysis.claims.within`). The search is for the method behind the report's figures,
    which are its own ICB's: for another ICB it is made all the same (an analyst may look), but the page shows none of
    it, and its prose says once why (:func:`glue_no_search`).
    """
    series = method_series(bd)
    four = {key: claims.by_key(ch.register, figure) for key, figure in FIGURES.items()}
    grids, found = {}, []
    for (band, target), claim in four.items():
        grid = demand.method_grid(series, bd.grid_bases, target)
        grids[claim["id"]] = grid[grid["band"] == band]
        near = demand.closest_methods(grid, band, claim["stated"])
        near.insert(0, "Figure", NAMES[band, target])
        near["Reached"] = [claims.within(g, claim["stated"], claim["tolerance"]) for g in near["growth_pct"]]
        found.append(near)
    stated = {claim["id"]: claim["stated"] for claim in four.values()}
    reached = [cid for cid, near in zip(grids, found) if near["Reached"].any()]
    result = Search(figures={claim["id"]: key for key, claim in four.items()}, stated=stated,
                    closest=pd.concat(found, ignore_index=True),
                    consistent=demand.consistent_methods(grids, stated, reached), reached=reached, grids=grids)
    if ch.about_report:
        glue_search(ch, bd, series, result)
    else:
        glue_no_search(ch, bd)
    return result


def glue_no_search(ch: Chapter, bd: BedDays) -> None:
    """For another ICB than the report's: say once why the search is not made here, glue the projection's uncertainty
    as the key finding in its place, and what the chapter's own figures use."""
    about, who = escape.markdown(ch.reported_about), escape.markdown(ch.who)  # names from the data, in Markdown
    ch.glue("search_intro", Markdown(
        f"The report's four bed-day figures are {about}'s. Which method produced them can be asked only "
        f"of {about}'s own data, so the search for it is made in that ICB's book, not in this one."))
    ch.glue("search_findings", Markdown(
        f"For {who}, every figure in this chapter uses all bed days, the principal projection, this book's "
        f"footprint and a {bd.base_year} base."))
    ch.glue("search_finding", Markdown(uncertainty_finding(bd)))


def uncertainty_finding(bd: BedDays) -> str:
    """The Monte Carlo 80% interval of each band's growth in bed days to the last target year (per cent), and what it
    allows for: the other projections only where the footprint has any."""
    last = TARGETS[-1]
    ranges = [f"between {bd.intervals[band].loc[last, 'p10']:+.1f}% and {bd.intervals[band].loc[last, 'p90']:+.1f}% "
              f"for over-{band.rstrip('+')}s" for band in BANDS]
    allowing = ("the other population projections and changes in bed-day rates" if len(bd.by_variant) > 1 else
                "changes in bed-day rates")
    return (f"The projection is uncertain: allowing for {allowing}, growth to {last} lies {listed(ranges)} (the Monte "
            "Carlo 80% interval).")


def glue_search(ch: Chapter, bd: BedDays, series: Mapping[tuple[str, str, str, str], pd.Series],
                found: Search) -> None:
    """Glue what the search finds, for the report's ICB: the key finding (the base year, the best single method and
    the figures no method reaches) and the section's paragraphs, which add why the over-65 figures cannot be fitted
    together and what the figures no method reaches suggest. No status: the verdicts are in the key findings."""
    names = [found.name(cid) for cid in found.reached]
    gaps = {base: sum(abs(bd.growth_pct(*found.figures[c], base=base) - found.stated[c]) for c in found.reached)
            for base in (2022, 2023)}
    best = found.consistent.iloc[0]
    unreached = [found.name(cid) for cid in found.unreached]
    pieces = [base_sentence(gaps, names, bd.base_year), consistency_sentence(best, names), flag_sentence(unreached)]
    ch.glue("search_finding", Markdown(" ".join(filter(None, pieces))))
    ch.glue("search_intro", Markdown(search_intro(bd)))
    paragraphs = [" ".join(filter(None, [pieces[1], decade_sentence(found, series)])), pieces[0],
                  " ".join(filter(None, [pieces[2], *(printed_sentence(bd, found, cid) for cid in found.unreached)]))]
    ch.glue("search_findings", Markdown("\n\n".join(filter(None, paragraphs))))


def search_intro(bd: BedDays) -> str:
    """What the search tries and what its two tables show (Markdown)."""
    return (
        "The report does not say how its figures were made. The first table tries every combination of: population "
        "growth or bed-day growth (unplanned only, or all); base years "
        f"{bd.grid_bases[0]} to {bd.grid_bases[-1]}; each projection variant; and this book's footprint or the "
        "published ICB series (which includes Eden). For each of the report's figures it lists the three methods "
        "closest to it. A figure is *reached* when a method comes within the claim's tolerance.\n\n"
        "With so many combinations, some method lands near almost any number, so a close match for one figure says "
        "little. A report would use one method for all its figures. The second table scores each method by its total "
        "gap to the figures that some method reaches, and shows the five best, then the best using the principal "
        "projection, the projection a report would normally quote.")


def decade_sentence(found: Search, series: Mapping[tuple[str, str, str, str], pd.Series]) -> str:
    """What the report's two over-65 figures imply for growth (per cent) between 2033 and 2043, against the most any
    method gives for that decade; and whether its over-65 and over-85 figures for 2043 are the same number."""
    by = {found.figures[cid]: value for cid, value in found.stated.items()}
    implied = ((1 + by["65+", 2043] / 100) / (1 + by["65+", 2033] / 100) - 1) * 100
    most = max(float(s["2043"] / s["2033"] - 1) * 100 for (_, _, _, band), s in series.items() if band == "65+")
    growth = f"growth of {by['65+', 2033]:g}% by 2033 and {by['65+', 2043]:g}% by 2043 means {implied:.0f}% growth"
    text = (f"The over-65 figures are the reason: {growth} between 2033 and 2043, and no projection or measure tried "
            f"gives more than {most:.0f}% for that decade." if implied > most else
            f"The report's over-65 {growth} between 2033 and 2043; the methods tried give up to {most:.0f}% for "
            "that decade.")
    if math.isclose(by["65+", 2043], by["85+", 2043]):
        text += " The 2043 figure for over-65s equals the one for over-85s, which suggests it was carried across."
    return text


def printed_sentence(bd: BedDays, found: Search, cid: str) -> str:
    """For a figure no method reaches: where its stated value (per cent) lies against every method's growth, how much
    the band's population alone grows, and which methods' figures would print as the stated one with a digit lost."""
    band, target = found.figures[cid]
    value, growth = found.stated[cid], found.grids[cid]["growth_pct"]
    persons = bd.footprints.totals("exact", demand.PRINCIPAL, None).loc[band]
    people = demand.growth(persons, bd.base_year, target) * 100
    if growth.min() <= value <= growth.max():
        return ""
    side, edge = ("below", f"the lowest gives {growth.min():.0f}%") if value < growth.min() else (
        "above", f"the highest gives {growth.max():.0f}%")
    text = (f"The report's figure for {NAMES[band, target]} as printed ({value:g}%) is {side} every method tried "
            f"({edge}); the over-{band.rstrip('+')} population alone grows by {people:.0f}% by {target}.")
    lost = digit_lost(growth, value)
    if lost:
        counts = listed([f"{n} give{'s' if n == 1 else ''} {v}%" for v, n in lost.items()])
        text += f" Of the methods tried, {counts}: a figure that prints as {value:g}% if its first digit is lost."
    return text


def digit_lost(growth: pd.Series, printed: float) -> dict[int, int]:
    """The whole-number growths (per cent) among ``growth`` that read as ``printed`` with their first digit dropped
    (43 and 53 for 3), each with how many methods give it, in order; {} unless ``printed`` is a whole number."""
    if not float(printed).is_integer():
        return {}
    whole = growth.round().astype(int)
    tail = 10 ** len(str(int(printed)))
    hits = whole[(whole >= tail) & (whole % tail == int(printed))]
    return {int(v): int(n) for v, n in hits.value_counts().sort_index().items()}


def consistency_sentence(best: pd.Series, reached: list[str]) -> str:
    """How far the best single method (a row of :func:`sots.analysis.demand.consistent_methods`) is from the figures
    reached (named as the prose names them); that none is reached, or which method reaches the only one."""
    method = f"{best['measure']}, variant {best['variant']}, {int(best['base_year'])} base"
    if not reached:
        return "No method tried reaches any of the report's four figures."
    if len(reached) == 1:
        return f"Only the figure for {reached[0]} is reached; the closest method to it is {method}."
    return (f"No single method fits the figures for {listed(reached)} together: the closest ({method}) is still "
            f"{best['total_gap_pp']:.0f} points from them in total.")


def base_sentence(gaps: Mapping[int, float], reached: list[str], default: int) -> str:
    """Which base year, 2022 or 2023, is nearer the figures reached (named): ``gaps`` maps each to its total gap
    (points). "" when no figure is reached, as there is then nothing to measure a base against."""
    if not reached:
        return ""
    better = min(gaps, key=gaps.get)
    return (f"On the principal projection with all bed days, a 2022 base is {gaps[2022]:.1f} points in total from the "
            f"report's figures that some method reaches, and a 2023 base {gaps[2023]:.1f}: {better} is the more "
            "plausible base" + (", and this book's default." if better == default else "."))


def flag_sentence(unreached: list[str]) -> str:
    """The figures (named) no method reaches; or that every figure is reached."""
    if not unreached:
        return "Every figure is reached by at least one method tried."
    return f"No method tried reaches the report's figure{'s' if len(unreached) > 1 else ''} for {listed(unreached)}."


def shown_methods(found: Search) -> tuple[pd.DataFrame, dict[str, str]]:
    """The five methods nearest all the claims reached, then the three best on the principal projection; and the
    table's formats."""
    best = found.consistent
    shown = pd.concat([best.head(5).assign(Shown="best of all"),
                       best[best["variant"] == demand.PRINCIPAL].head(3).assign(Shown="best on the principal")])
    gaps = {cid: f"Gap to {found.name(cid)} (points)" for cid in found.figures}  # each claim's gap to its figure
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


def eden_text(who: str, bd: BedDays) -> str:
    """The sentence under :func:`eden`'s table: the most (points) removing Eden moves any of the four figures, or
    that ``who``'s published series is this book's footprint."""
    if bd.footprints.parts["exact"] == bd.footprints.parts["published"]:
        return f"{who}'s published ONS series is used as it is, so the two columns are the same."
    moved = eden(bd)["Difference (points)"].abs().max()
    return f"Removing Eden moves none of the four figures by more than {moved:.2f} points."
