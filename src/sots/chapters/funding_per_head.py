"""Funding per head: every ICB's core allocation per registered and per weighted head, and its distance from target.

Figures (all from NHS England's allocations and weighted populations): per measure of
:data:`sots.analysis.benchmark.MEASURES`, the focal ICB's value and rank in every allocation year of the edition's
window (ids with a year suffix; see :func:`sots.inputs.editions.window`) and, under ids without one, in the edition's
allocation year. A measure NHS England did not publish for a year (distance from target may stop being published) is
recorded as not computed, with that reason, and shown as "not published for <year>".
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from IPython.display import Markdown

from sots.analysis import benchmark, claims
from sots.analysis.results import year_suffix
from sots.chapters import charts
from sots.chapters.context import Chapter
from sots.errors import InputError
from sots.inputs import data
from sots.prose import ordinal

RANK_UNIT = "rank of ICBs (1 = highest)"
PROXY_FOR = "acute_spend_per_weighted_head_rank"  # the register's key of the claim these measures are proxies for


@dataclass(frozen=True)
class Funding:
    """What the chapter's charts and tables draw on: every ICB's measures by year, England's, and the years shown."""

    measures: pd.DataFrame  # one row per ICB and year: each measure (GBP per head, per cent) and its rank
    england: pd.DataFrame  # one row per year: England's value of each measure
    year: str  # the edition's allocation year, e.g. "2023/24"
    other_year: str | None  # the year the prose compares it with, if the edition's window has another


def other_year(years: list[str], year: str) -> str | None:
    """The year to compare ``year`` with, among the allocation ``years`` of the edition's window, however many it
    holds: the one before it, else (the first year of a settlement, with none before it) the next one, else None (a
    window of one year). An edition whose publication gives its year alone reads the year before it too
    (:func:`sots.inputs.editions.year_before`)."""
    later, earlier = [y for y in years if y > year], [y for y in years if y < year]
    return max(earlier) if earlier else min(later) if later else None


def unpublished(measures: pd.DataFrame, m: benchmark.Measure, year: str, icb: str, who: str) -> str | None:
    """Why the ICB ``icb`` (named ``who``) has no value of measure ``m`` in ``year``, or None if it has one.

    ``measures`` is every ICB's :func:`sots.analysis.benchmark.funding_measures` rows: a measure missing for every ICB
    was not published for the year; one missing for this ICB alone was not published for it.
    """
    one = measures[measures["year"] == year]
    if one.loc[one["icb_code"] == icb, m.key].notna().all():
        return None
    label = m.label[0].lower() + m.label[1:]
    if one[m.key].isna().all():
        return f"NHS England did not publish {label} for {year}."
    return f"NHS England did not publish {label} for {who} in {year}."


def record(ch: Chapter, year: str) -> Funding:
    """Record the focal ICB's measures and ranks for every year of the edition's window and glue the prose's values;
    return the chart data.

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
        for m in benchmark.MEASURES.values():
            suffix = year_suffix(y)
            if why := unpublished(measures, m, y, ch.icb, ch.who):
                ch.not_computed(m.key + suffix, why)
                ch.not_computed(m.rank_key + suffix, why)
                continue
            n_icbs = int(measures.loc[measures["year"] == y, m.key].count())
            ch.figure(m.key + suffix, focal.loc[y, m.key], unit=m.unit, method=m.method, year=y)
            ch.figure(m.rank_key + suffix, focal.loc[y, m.rank_key], unit=RANK_UNIT, year=y, n_icbs=n_icbs,
                      method=f"Rank of {m.label.lower()} among the {n_icbs} ICBs; ties share the best rank.")
    # The edition's headline figures, under ids without a year: every edition's results.json holds its own.
    n_icbs = int((measures["year"] == year).sum())
    for m in benchmark.MEASURES.values():
        if why := unpublished(measures, m, year, ch.icb, ch.who):
            ch.not_computed(m.key, why)
            ch.not_computed(m.rank_key, why)
            continue
        n_ranked = int(measures.loc[measures["year"] == year, m.key].count())
        ch.figure(m.key, focal.loc[year, m.key], unit=m.unit, method=f"{m.method} The edition's allocation year.",
                  year=year)
        ch.figure(m.rank_key, int(focal.loc[year, m.rank_key]), unit=RANK_UNIT, year=year, n_icbs=n_ranked,
                  method=f"Rank of {m.label.lower()} among the {n_ranked} ICBs in the edition's allocation year; ties "
                  "share the best rank.")
    compared = other_year(years, year)
    glue_prose(ch, focal, england, year, compared, n_icbs)
    # Cited from the rows read, never typed: a new edition's page names the publications of its own years.
    ch.glue("sources", "; ".join(data.citation(s) for s in ch.sources(["icb_allocations", "icb_weighted_population"])))
    return Funding(measures=measures, england=england, year=year, other_year=compared)


DFT = benchmark.MEASURES["distance_from_target_pct"]


def dft_sentence(row: pd.Series, england: pd.Series, year: str) -> str:
    """The key finding on distance from target in ``year`` (Markdown): how far, which side, the rank and England's;
    or that it was not published. ``row`` is the focal ICB's measures that year, ``england`` England's."""
    if pd.isna(row[DFT.key]):
        return f"NHS England did not publish distance from target for {year}."
    side = "above" if row[DFT.key] >= 0 else "below"
    england_text = "not published" if pd.isna(england[DFT.key]) else f"{england[DFT.key]:+.2f}%"
    return (f"Its allocation stood **{abs(row[DFT.key]):.2f}% {side} its fair-shares target**, the "
            f"{ordinal(int(row[DFT.rank_key]))} furthest above target (England as a whole: "
            f"{england_text}).")


def dft_headline(row: pd.Series, year: str) -> str:
    """The front page's distance from target in ``year``: "+6.25%, rank 4", or "not published for 2099/00"."""
    if pd.isna(row[DFT.key]):
        return f"not published for {year}"
    return f"{row[DFT.key]:+.2f}%, rank {int(row[DFT.rank_key])}"


def other_year_sentence(row: pd.Series | None, compared: str | None) -> str:
    """The key finding on the other year of the edition's window: the focal ICB's ranks then (``row``), or that there
    is no other year to compare with."""
    if compared is None or row is None:
        return "There is no other allocation year in this edition to compare with."
    ranks = {m.key: ordinal(int(row[m.rank_key])) for m in benchmark.MEASURES.values()
             if pd.notna(row[m.key])}
    per_head = benchmark.MEASURES["core_allocation_per_head_gbp"].key
    weighted = benchmark.MEASURES["core_allocation_per_weighted_head_gbp"].key
    text = f"In {compared} the ranks were {ranks[per_head]} per registered head, {ranks[weighted]} per weighted head"
    if DFT.key not in ranks:
        return text + f"; NHS England did not publish distance from target for {compared}."
    side = "above" if row[DFT.key] >= 0 else "below"
    return text + f" and {ranks[DFT.key]} on distance from target ({abs(row[DFT.key]):.2f}% {side} target)."


def glue_prose(ch: Chapter, focal: pd.DataFrame, england: pd.DataFrame, year: str, compared: str | None,
               n_icbs: int) -> None:
    """Glue the values the key findings quote, for the edition's year (``this_``), and the sentences on distance
    from target (``dft_finding``, and ``dft_headline`` for the front page) and on the other year of the window
    (``other_finding``)."""
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("proxy_claim", claims.by_key(ch.register, PROXY_FOR)["id"])
    ch.glue("year", year)
    ch.glue("n_icbs", n_icbs)
    row, eng = focal.loc[year], england.set_index("year").loc[year]
    for m in benchmark.MEASURES.values():
        if pd.notna(row[m.key]):
            ch.glue(f"this_{m.rank_key}", ordinal(int(row[m.rank_key])))
        if pd.notna(eng[m.key]):
            ch.glue(f"this_england_{m.key}", eng[m.key])
    ch.glue("this_need_index", row["need_index"])
    ch.glue("dft_finding", Markdown(dft_sentence(row, eng, year)))
    ch.glue("dft_headline", dft_headline(row, year))
    ch.glue("other_finding", Markdown(other_year_sentence(focal.loc[compared] if compared else None, compared)))


def summary_table(funding: Funding, icb: str) -> charts.Table:
    """The focal ICB's value, rank and England's value of each measure in each year of the window."""
    return charts.table(benchmark.focal_summary(funding.measures, funding.england, icb), formats={})


LEAGUE_FORMATS = {
    "Registered population": "{:,.0f}", "Need index": "{:.3f}", "£ per registered head": "{:,.0f}",
    "£ per weighted head": "{:,.0f}", "Distance from target (%)": "{:+.2f}",
}


def league_table(funding: Funding) -> charts.Table:
    """Every ICB's measures in the edition's year (:func:`sots.analysis.benchmark.league_table`); a measure not
    published for the year shows as "not published for <year>"."""
    return charts.table(benchmark.league_table(funding.measures, funding.year), formats=LEAGUE_FORMATS,
                        missing=benchmark.not_published(funding.year))


def ranked_chart(ch: Chapter, funding: Funding, key: str, label: str, fmt: str = ",.0f"):
    """Every ICB's measure ``key`` as a ranked bar chart with a year choice, drawn through ``ch.show``.

    A year for which NHS England published the measure for no ICB is left out of the choice and named in the
    subtitle ("not published for <year>"); if it was published for none of the window's years, a sentence says so.
    """
    m = benchmark.MEASURES[key]
    published = funding.measures.groupby("year")[key].transform("count") > 0
    shown, missing = funding.measures[published], sorted(set(funding.measures.loc[~published, "year"]))
    note = f"{m.label} not published for {' and '.join(missing)}" if missing else ""
    if shown.empty:
        return Markdown(note + ".")
    default = funding.year if funding.year in set(shown["year"]) else max(shown["year"])
    # Pounds per head differ by a few per cent between ICBs: dots show that spread, where bars from zero look alike.
    ranking = dict(df=shown, value=key, rank=m.rank_key, label=label, focal_code=ch.icb, default_year=default,
                   reference=funding.england, fmt=fmt, note=note, dots=m.unit.startswith("GBP per"))
    return ch.show(charts.ranked_bar(**ranking), phone=charts.ranked_phone(**ranking),
                   tables=("icb_allocations", "icb_weighted_population", "icb_lookup"))
