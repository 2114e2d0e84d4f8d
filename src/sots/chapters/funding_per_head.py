"""Funding per head: every ICB's core allocation per registered and per weighted head, and its distance from target.

Figures (all from NHS England's allocations and weighted populations): per measure of :data:`sots.benchmark.MEASURES`,
the focal ICB's value and rank in every allocation year (ids with a year suffix) and, under ids without one, in the
edition's allocation year.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sots import benchmark, claims
from sots.chapter import Chapter
from sots.errors import InputError
from sots.results import year_suffix

RANK_UNIT = "rank of ICBs (1 = highest)"
PROXY_FOR = "acute_spend_per_weighted_head_rank"  # the register's key of the claim these measures are proxies for


@dataclass(frozen=True)
class Funding:
    """What the chapter's charts and tables draw on: every ICB's measures by year, England's, and the years shown."""

    measures: pd.DataFrame  # one row per ICB and year: each measure (GBP per head, per cent) and its rank
    england: pd.DataFrame  # one row per year: England's value of each measure
    year: str  # the edition's allocation year, e.g. "2023/24"
    other_year: str | None  # the settlement's other year, for comparison


def other_year(years: list[str], year: str) -> str | None:
    """The year to compare ``year`` with: the next one published, else the first, else None (a one-year settlement)."""
    return next((y for y in years if y > year), years[0] if years[0] != year else None)


def record(ch: Chapter, year: str) -> Funding:
    """Record the focal ICB's measures and ranks for every year and glue the prose's values; return the chart data.

    ``year`` is the edition's allocation year. InputError if the prepared tables have no allocations for it.
    """
    allocations, weighted = ch.table("icb_allocations"), ch.table("icb_weighted_population")
    measures = benchmark.funding_measures(allocations, weighted).merge(
        ch.table("icb_lookup")[["icb_code", "short_name"]], on="icb_code", validate="many_to_one")
    england = benchmark.england_values(allocations, weighted)
    years = sorted(measures["year"].unique())
    if year not in years:
        raise InputError(f"edition {ch.edition}: no allocations for {year} in the prepared tables (years present: "
                         f"{', '.join(years)})")
    focal = measures[measures["icb_code"] == ch.icb].set_index("year")
    for y in years:
        n_icbs = int((measures["year"] == y).sum())
        for m in benchmark.MEASURES.values():
            ch.figure(m.key + year_suffix(y), focal.loc[y, m.key], unit=m.unit, method=m.method, year=y)
            ch.figure(m.rank_key + year_suffix(y), focal.loc[y, m.rank_key], unit=RANK_UNIT, year=y, n_icbs=n_icbs,
                      method=f"Rank of {m.label.lower()} among the {n_icbs} ICBs; ties share the best rank.")
    # The edition's headline figures, under ids without a year: every edition's results.json holds its own.
    n_icbs = int((measures["year"] == year).sum())
    for m in benchmark.MEASURES.values():
        ch.figure(m.key, focal.loc[year, m.key], unit=m.unit, method=f"{m.method} The edition's allocation year.",
                  year=year)
        ch.figure(m.rank_key, int(focal.loc[year, m.rank_key]), unit=RANK_UNIT, year=year, n_icbs=n_icbs,
                  method=f"Rank of {m.label.lower()} among the {n_icbs} ICBs in the edition's allocation year; ties "
                  "share the best rank.")
    compared = other_year(years, year)
    glue_prose(ch, focal, england, year, compared, n_icbs)
    return Funding(measures=measures, england=england, year=year, other_year=compared)


def glue_prose(ch: Chapter, focal: pd.DataFrame, england: pd.DataFrame, year: str, compared: str | None,
               n_icbs: int) -> None:
    """Glue the values the key findings quote, for the edition's year (``this_``) and the other year (``other_``)."""
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("proxy_claim", claims.by_key(ch.register, PROXY_FOR)["id"])
    ch.glue("year", year)
    ch.glue("other_year", compared)
    ch.glue("n_icbs", n_icbs)
    for prefix, y in (("this", year), ("other", compared)):
        row, eng = focal.loc[y], england.set_index("year").loc[y]
        for m in benchmark.MEASURES.values():
            if prefix == "other":  # the edition's own year is glued by its figure
                ch.glue(f"{prefix}_{m.key}", row[m.key])
            ch.glue(f"{prefix}_{m.rank_key}", benchmark.ordinal(int(row[m.rank_key])))
            ch.glue(f"{prefix}_england_{m.key}", eng[m.key])
        ch.glue(f"{prefix}_dft_abs", abs(row["distance_from_target_pct"]))
        ch.glue(f"{prefix}_dft_side", "above" if row["distance_from_target_pct"] >= 0 else "below")
        ch.glue(f"{prefix}_need_index", row["need_index"])


LEAGUE_FORMATS = {
    "Registered population": "{:,.0f}", "Need index": "{:.3f}", "£ per registered head": "{:,.0f}",
    "£ per weighted head": "{:,.0f}", "Distance from target (%)": "{:+.2f}",
}
