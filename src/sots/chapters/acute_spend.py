"""Spending on acute care per weighted head: public proxies for the report's claim of the ICB's rank in England.

No open table gives ICB acute spend, so the chapter ranks every ICB on an activity-based estimate (hospital activity
per head by age and sex × ONS population × national unit costs, per head and per G&A need-weighted head) and on the
operating expenditure of the acute trusts each ICB hosts, and shows the focal ICB's rank on those and on the funding
measures of :mod:`sots.chapters.funding_per_head`.

Figures: ``acute_cost_gbp_m`` (£ million a year), each measure of :data:`sots.analysis.benchmark.ACUTE_MEASURES` with
its rank among all ICBs, and each of :data:`sots.analysis.benchmark.TRUST_MEASURES` with its rank among the ICBs the
trust file names by their own code (not computed, with the reason, where the trust file does not allow it). Whether the
report's rank is supported is the claims register's verdict on the claim keyed :data:`KEY`, never decided here: in every
edition it is the verdict on the report's own year (:meth:`sots.chapters.context.Chapter.verdict`), so a later edition
quotes that year's rank beside it and gives its own data "since the report". A book for another ICB than the report's
grades nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from IPython.display import Markdown

from sots import escape
from sots.analysis import benchmark, claims, finance
from sots.chapters import charts
from sots.chapters.context import Chapter
from sots.inputs import data, geography
from sots.prose import ordinal

KEY = "acute_spend_per_weighted_head_rank"  # the register's key of the claim this chapter checks
NAMED = benchmark.ACUTE_MEASURES["acute_cost_per_ga_weighted_head_gbp"]  # the measure the claim names
RANK_UNIT = "rank of ICBs (1 = highest)"

# The verdict's first words, by the register's status of the claim.
LEADS = {
    claims.REPRODUCED: "**Supported on the measure it names.**",
    claims.CONSISTENT: "**Consistent with the measure it names.**",
    claims.NOT_REPRODUCED: "**Not supported on the measure it names.**",
    claims.STATED_ONLY: "**Not checked: this edition does not compute the measure it names.**",
}


@dataclass(frozen=True)
class AcuteSpend:
    """What the chapter's charts and tables draw on."""

    acute: pd.DataFrame  # one row per ICB: the activity-based estimate (£ a year, £ per head), populations and ranks
    england: pd.DataFrame  # one row: England's estimate per head and per G&A weighted head (£)
    trusts: pd.DataFrame  # one row per ICB the trust file names by its own code: acute trusts' spend per head, ranks
    focal_trusts: pd.DataFrame  # the acute trusts the focal ICB hosts, with operating expenditure (£ million)
    trust_comparable: bool  # whether the focal ICB is among ``trusts``
    trust_year_covered: bool  # whether the trust accounts have the year at all
    ranks: pd.DataFrame  # the focal ICB's rank on every measure (:func:`sots.analysis.benchmark.focal_ranks` rows)
    year: str  # the edition's allocation year, of the registered and weighted populations
    claimed: int | None  # the rank the report states, if the report is about the focal ICB; None otherwise


@dataclass(frozen=True)
class Later:
    """What a later edition than the report's sets beside the report's verdict, which is on the report's own year."""

    year: str  # this edition's allocation year, e.g. "2024/25"
    report_year: str  # the report's year, e.g. "2023/24", whose figures the verdict is computed on
    gbp: float | None  # the report year's estimate per G&A weighted head (£), None if its results lack it
    n_icbs: int | None  # how many ICBs the report year's estimate ranked, None if its results do not say
    since: str  # what this edition's data give of the verdict's figure (:meth:`sots.chapters.context.Chapter.since`)


def later_edition(ch: Chapter, verdict: claims.Verdict | None, year: str) -> Later | None:
    """:class:`Later` for a later edition of the report's ICB (``year`` its allocation year); None in the report's
    own edition, or for another ICB (``verdict`` None). Call once the chapter's figures are recorded."""
    if verdict is None or not ch.after_report:
        return None
    report = ch.report_figures or {}
    rank = report.get(NAMED.rank_key) or {}
    return Later(year=year, report_year=ch.report_year, gbp=(report.get(NAMED.key) or {}).get("value"),
                 n_icbs=(rank.get("inputs") or {}).get("n_icbs"), since=ch.since(verdict))


def record(ch: Chapter, year: str, unit_cost_year: str, population_year: int) -> AcuteSpend:
    """Record the chapter's figures and glue its prose; return what its charts and tables draw.

    ``year`` is the edition's allocation year (registered and weighted populations, trust accounts),
    ``unit_cost_year`` the National Cost Collection year of the unit costs and ``population_year`` the mid-year of
    the resident population the activity rates are applied to.
    """
    lookup, weighted = ch.table("icb_lookup"), ch.table("icb_weighted_population")
    short_names = lookup[["icb_code", "short_name"]]
    cost = benchmark.activity_cost(ch.table("activity_rates"), ch.table("unit_costs"),
                                   ch.table("population_projection"), unit_cost_year, population_year)
    acute = benchmark.acute_spend_measures(cost, lookup, weighted, year).merge(short_names, on="icb_code")
    england = benchmark.acute_spend_england(cost, weighted, year)
    row = acute.set_index("icb_code").loc[ch.icb]
    no_ga = ga_unpublished(weighted, ch.icb, ch.who, year)
    record_estimate(ch, row, acute, dict(unit_cost_year=unit_cost_year, population_year=population_year,
                                         weighted_population_year=year), no_ga)

    opex = ch.table("trust_operating_expenditure")
    trust_totals = finance.trust_opex_by_icb(opex, year, list(lookup["icb_code"]))
    trusts = benchmark.acute_trust_measures(trust_totals, weighted, year).merge(short_names, on="icb_code")
    focal_trusts = finance.host_trusts(opex, ch.icb, year)
    trust_comparable = ch.icb in set(trusts["icb_code"])
    trow = trusts.set_index("icb_code").loc[ch.icb] if trust_comparable else None
    covered = year in set(opex["year"])  # whether the trust accounts have the year at all
    record_trusts(ch, trow, len(trusts), year, covered, no_ga)
    n_ranked = len(trusts) if covered else 0  # no ICB is ranked on trust accounts that lack the year

    allocations = ch.table("icb_allocations")
    ranks = pd.concat([
        benchmark.focal_ranks(benchmark.funding_measures(allocations, weighted), benchmark.MEASURES, ch.icb,
                              benchmark.england_values(allocations, weighted), basis="Core allocation"),
        benchmark.focal_ranks(acute, benchmark.ACUTE_MEASURES, ch.icb, england, basis=(
            f"Activity-based estimate: {population_year} population, {unit_cost_year} unit costs")),
        benchmark.focal_ranks(trusts, benchmark.TRUST_MEASURES, ch.icb,
                              basis=f"Acute trusts' accounts, {year}; ranked among {len(trusts)} ICBs"),
    ], ignore_index=True)

    report = finance.edition_report(ch.edition, ch.root / claims.REGISTER)
    # The report states a rank for its own ICB only; for any other there is no claim to check.
    claimed = int(claims.by_key(ch.register, KEY)["stated"]) if ch.about_report else None
    verdict = ch.verdict(KEY) if claimed is not None else None
    reported_about = ch.reported_about

    ch.glue("report_claim", Markdown(claim_intro(
        f"The report this book checks, {escape.markdown(report.citation())}, says:\n\n"
        + finance.claims_markdown(report, tuple(c["id"] for c in ch.claims())), ch.who, reported_about,
        ch.about_report)))
    glue_prose(ch, row, england.iloc[0], year, unit_cost_year, population_year, len(acute), no_ga)
    glue_method(ch, cost, ch.table("population_estimates"), ch.table("activity_rates"), ch.table("unit_costs"),
                unit_cost_year)
    ch.glue("verdict", Markdown(verdict_text(ch.who, verdict, acute, england.iloc[0], ranks, ch.icb, reported_about,
                                             later_edition(ch, verdict, year))))
    ch.glue("trust_findings", Markdown(trust_text(ch.who, year, trow, len(focal_trusts), len(trusts), covered,
                                                  no_ga)))
    ch.glue("trust_ranking", trust_ranking(n_ranked, year, covered))
    ch.glue("trust_method", trust_method(n_ranked, year, covered))
    ch.glue("rank_chart_note", rank_chart_note(claimed, reported_about))
    return AcuteSpend(acute=acute, england=england, trusts=trusts, focal_trusts=focal_trusts,
                      trust_comparable=trust_comparable, trust_year_covered=covered, ranks=ranks, year=year,
                      claimed=claimed)


def claim_intro(quoted: str, who: str, reported_about: str, about_report: bool) -> str:
    """The report's claim as ``quoted`` (Markdown), and for another ICB than the one the report is about
    (``reported_about``) that the claim is not this ICB's (``who``), so its ranks are shown, not graded."""
    if about_report:
        return quoted
    return (f"{quoted}\n\nThat claim is about {escape.markdown(reported_about)}. This page is built for "
            f"{escape.markdown(who)}: it shows its own ranks and does not grade them against the claim.")


GA_MEASURES = ("acute_cost_per_ga_weighted_head_gbp", "acute_trust_opex_per_ga_weighted_head_gbp")  # need G&A WP


def ga_unpublished(weighted: pd.DataFrame, icb: str, who: str, year: str) -> str | None:
    """Why there is no measure per G&A weighted head for the ICB ``icb`` (named ``who``) in ``year``: NHS England did
    not publish the general and acute weighted population (``icb_weighted_population``) for the year, or for the
    ICB; None if it did."""
    one = weighted[weighted["year"] == year]
    if one.loc[one["icb_code"] == icb, "ga_weighted_persons"].notna().all():
        return None
    if one["ga_weighted_persons"].isna().all():
        return f"NHS England did not publish the general and acute weighted population for {year}."
    return f"NHS England did not publish the general and acute weighted population for {who} in {year}."


def record_estimate(ch: Chapter, row: pd.Series, acute: pd.DataFrame, settings: dict, no_ga: str | None) -> None:
    """Record the focal ICB's activity-based estimate (£ million a year), each measure of it and its rank.

    ``row`` is the focal ICB's row of ``acute`` (:func:`sots.analysis.benchmark.acute_spend_measures`); ``settings`` the
    figures' inputs (unit cost year, population year, weighted population year); ``no_ga`` why there is no measure
    per G&A weighted head (recorded as not computed), None if there is.
    """
    ch.figure("acute_cost_gbp_m", row["acute_cost_gbp"] / 1e6, unit="GBP million per year",
              method="Σ over age (17 to 90+), sex and priced activity of 2022 activity per person × ONS resident "
              "population × national average unit cost, for the ICB's ONS series.", **settings)
    for m in benchmark.ACUTE_MEASURES.values():
        if m.key in GA_MEASURES and no_ga:
            ch.not_computed(m.key, no_ga)
            ch.not_computed(m.rank_key, no_ga)
            continue
        n_icbs = int(acute[m.key].count())
        ch.figure(m.key, row[m.key], unit=m.unit, method=m.method, **settings)
        ch.figure(m.rank_key, row[m.rank_key], unit=RANK_UNIT,
                  method=f"Rank of {m.label.lower()} among the {n_icbs} ICBs; ties share the best rank.",
                  n_icbs=n_icbs, **settings)


def no_trust_measure(who: str, year: str, year_covered: bool) -> str:
    """Why there is no acute trust measure for the ICB ``who``: the accounts lack ``year``, or name a merged ICB."""
    if not year_covered:
        return f"The trust accounts here do not cover {year}."
    return f"The trust file assigns {who}'s trusts to a 2026 merged-ICB code."


def record_trusts(ch: Chapter, trow: pd.Series | None, n_icbs: int, year: str, year_covered: bool,
                  no_ga: str | None = None) -> None:
    """Record the acute trusts' spend per head and its rank among ``n_icbs`` ICBs, or each as not computed, and why.

    ``trow`` is the focal ICB's row of :func:`sots.analysis.benchmark.acute_trust_measures`, None if it is not there;
    ``no_ga`` why there is no measure per G&A weighted head, None if there is.
    """
    for m in benchmark.TRUST_MEASURES.values():
        why = no_trust_measure(ch.who, year, year_covered) if trow is None else \
            no_ga if m.key in GA_MEASURES else None
        if why:
            ch.not_computed(m.key, why)
            ch.not_computed(m.rank_key, why)
            continue
        ch.figure(m.key, trow[m.key], unit=m.unit, method=m.method, year=year, n_icbs=n_icbs)
        ch.figure(m.rank_key, trow[m.rank_key], unit=f"rank of {n_icbs} ICBs (1 = highest)",
                  method=f"Rank of {m.label.lower()} among the {n_icbs} ICBs the trust file names by their own code; "
                  "ties share the best rank.", year=year, n_icbs=n_icbs)


def glue_prose(ch: Chapter, row: pd.Series, england: pd.Series, year: str, unit_cost_year: str, population_year: int,
               n_icbs: int, no_ga: str | None = None) -> None:
    """Glue the key findings' and method's values: names, years, ordinals, England's values and the populations, and
    the finding per G&A weighted head (``ga_finding``; ``no_ga`` why there is none, None if there is)."""
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("short_name", ch.who)
    ch.glue("year", year)
    ch.glue("unit_cost_year", unit_cost_year)
    ch.glue("population_year", str(population_year))
    ch.glue("n_icbs", n_icbs)
    for m in benchmark.ACUTE_MEASURES.values():
        if pd.notna(row[m.key]):
            ch.glue(f"{m.rank_key}_ord", ordinal(int(row[m.rank_key])))
        if pd.notna(england[m.key]):
            ch.glue(f"england_{m.key}", england[m.key])
    ch.glue("resident_population", row["resident_population_persons"])
    ch.glue("registered_population", row["registered_population_persons"])
    ga = row["ga_weighted_persons"]
    ch.glue("ga_weighted_population", benchmark.not_published(year) if pd.isna(ga) else f"{ga:,.0f}")
    ch.glue("ga_finding", Markdown(ga_finding(row, england, no_ga)))


def ga_finding(row: pd.Series, england: pd.Series, no_ga: str | None) -> str:
    """The key finding per G&A weighted head (Markdown): the focal ICB's estimate (£), rank and England's, and its
    G&A need index; or why there is none (``no_ga``). ``row`` is its
    :func:`sots.analysis.benchmark.acute_spend_measures` row, ``england`` England's
    :func:`sots.analysis.benchmark.acute_spend_england` row."""
    if no_ga:  # a sentence of text, with the ICB's name: Markdown here
        return f"{escape.markdown(no_ga[:-1])}, so there is no estimate per general and acute (G&A) need-weighted head."
    m = NAMED
    index = row["ga_weighted_persons"] / row["registered_population_persons"]
    england_text = f"£{england[m.key]:,.0f}" if pd.notna(england[m.key]) else "not published"
    return (f"Per general and acute (G&A) need-weighted head it is **£{row[m.key]:,.0f}**, the "
            f"{ordinal(int(row[m.rank_key]))} highest (England {england_text}). Its G&A need index (G&A "
            f"weighted ÷ registered population) is {index:.3f}, so weighting for need "
            f"{weighting_effect(row['ga_weighted_persons'], row['registered_population_persons'])} its figure.")


def weighting_effect(ga_weighted: float, registered: float) -> str:
    """What weighting for need does to a figure per head: 'lowers' it when the weighted population is larger."""
    return "lowers" if ga_weighted > registered else "raises"


def glue_method(ch: Chapter, cost: pd.DataFrame, estimates: pd.DataFrame, rates: pd.DataFrame,
                unit_costs: pd.DataFrame, unit_cost_year: str) -> None:
    """Glue the method's values: Eden's residents in the L&SC series (persons, per cent), the ages rated, unit costs.

    ``cost`` is :func:`sots.analysis.benchmark.activity_cost`'s; ``estimates`` the ``population_estimates`` table.
    """
    latest = estimates["year"].max()
    eden = estimates[(estimates["area_code"] == geography.EDEN) & (estimates["year"] == latest)]["persons"].sum()
    ch.glue("eden_population", eden)
    ch.glue("eden_year", str(latest))
    lsc_residents = cost.set_index("area_code").loc[geography.LSC_GSS, "resident_population_persons"]
    ch.glue("eden_share_pct", eden / lsc_residents * 100)
    ch.glue("youngest_age", int(rates["age"].min()))
    ch.glue("oldest_age", f"{data.OLDEST}+")
    ch.glue("unit_cost_note", Markdown(unit_cost_note(unit_costs, unit_cost_year)))


def unit_cost_note(unit_costs: pd.DataFrame, unit_cost_year: str) -> str:
    """Which priced activities carry an earlier year's cost into ``unit_cost_year`` (``unit_costs`` table), if any."""
    used = unit_costs[unit_costs["year"] == unit_cost_year]
    carried = used[used["cost_year"] != unit_cost_year]
    if not len(carried):
        return f"Every activity is priced at its own {unit_cost_year} national average cost."
    return (f"At {unit_cost_year} unit costs, {len(carried)} of the {len(used)} priced activities (outpatient "
            f"attendances) carry forward their {', '.join(sorted(carried['cost_year'].unique()))} cost, because the "
            f"{unit_cost_year} schedule has no outpatient attendance currencies.")


def verdict_text(who: str, verdict: claims.Verdict | None, acute: pd.DataFrame, england: pd.Series,
                 ranks: pd.DataFrame, icb: str, reported_about: str, later: Later | None = None) -> str:
    """The answer to "is the stated rank supported?", led by the register's ``verdict`` on the claim.

    ``verdict`` is None when the report is about another ICB (``reported_about``, its short name). ``acute`` is
    every ICB's estimate in this edition, ``england`` England's, ``ranks`` the focal ICB's ranks on every measure and
    ``icb`` its code. In a later edition than the report's (``later``), the verdict is on the report's year: its rank
    (and £) lead, then what this edition's data give (:class:`Later`), each named by its year. Markdown: the names
    (text, from the data) are escaped where they are put in it.
    """
    name = escape.markdown(who)
    if verdict is None:
        return (f"The report's claim is about {escape.markdown(reported_about)}, so there is no claimed rank to check "
                f"for {name}; its ranks are shown below.")
    # The register's comparison of the stated rank with the estimate's; without one (the figure not computed, or a
    # register naming another figure) the prose says only what the verdict says.
    check = next((c for c in verdict.checks if c.figure == NAMED.rank_key), None)
    if check is None or check.computed is None:
        return f"{LEADS[verdict.status]} {escape.markdown(verdict.note)}".rstrip()
    row = acute.set_index("icb_code").loc[icb]
    per_head = ordinal(int(row["acute_cost_per_head_rank"]))
    if later is None:  # the report's own edition: the verdict's figures are this edition's
        return (f"{LEADS[verdict.status]} On the activity-based estimate of acute cost per G&A weighted head, {name} "
                f"ranks {ordinal(int(check.computed))} of {len(acute)} at £{row[NAMED.key]:,.0f}"
                f"{estimate_text(who, check, acute, england, row)} Per resident head, before weighting for need, it "
                f"ranks {per_head}. {other_measures_text(ranks, check)}")
    text = (f"{LEADS[verdict.status]} On the activity-based estimate of acute cost per G&A weighted head for "
            f"{later.report_year}, the report's year, {name} ranks {ordinal(int(check.computed))}"
            + (f" of {later.n_icbs}" if later.n_icbs else "") + (f" at £{later.gbp:,.0f}" if later.gbp is not None
                                                                else "") + ".")
    text += f" {escape.markdown(later.since)}" if later.since else ""
    # What follows is this edition's data, so it compares the stated rank with this edition's rank, not the verdict's.
    now = check
    if pd.notna(row[NAMED.key]):  # this edition's estimate, if NHS England published its weighted populations
        now = replace(check, computed=float(row[NAMED.rank_key]))
        text += f" In {later.year} data it is £{row[NAMED.key]:,.0f}{estimate_text(who, now, acute, england, row)}"
    return (f"{text} Per resident head, before weighting for need, it ranks {per_head} in {later.year}. "
            f"{other_measures_text(ranks, now)}")


def estimate_text(who: str, check: claims.Check, acute: pd.DataFrame, england: pd.Series, row: pd.Series) -> str:
    """After the focal ICB's estimate per G&A weighted head (£, ``row`` of ``acute``): how far it is from England's
    (per cent), and, when the claim does not hold, from the ICB at the stated rank; a sentence ending, from " ("
    (Markdown: the names escaped here).
    """
    per_ga, eng = row[NAMED.key], england[NAMED.key]
    text = (f" (England £{eng:,.0f}, {abs(per_ga / eng - 1) * 100:.1f}% {'below' if per_ga < eng else 'above'})."
            if pd.notna(eng) else ".")
    if not check.holds:
        claimed = int(check.stated)
        at_claim = benchmark.value_at_rank(acute, NAMED.key, NAMED.rank_key, claimed)
        gap = (per_ga / at_claim[NAMED.key] - 1) * 100
        text += (f" The {ordinal(claimed)} highest, {escape.markdown(at_claim['short_name'])}, is "
                 f"£{at_claim[NAMED.key]:,.0f}: {escape.markdown(who)} is {abs(gap):.1f}% "
                 f"{'below' if gap < 0 else 'above'} it.")
    return text


def measures_at_rank(ranks: pd.DataFrame, check: claims.Check) -> pd.Series:
    """The years (joined by "and") of each measure other than the claim's own on which the focal ICB holds the
    stated rank, by label; "holds" is the register's comparison, with the claim's tolerance."""
    others = ranks[(ranks["measure"] != NAMED.key) & ranks["rank"].notna()]
    at = others[[claims.within(r, check.stated, check.tolerance) for r in others["rank"]]]
    return at.groupby("label", sort=False)["year"].apply(lambda years: " and ".join(years))


def other_measures_text(ranks: pd.DataFrame, check: claims.Check) -> str:
    """Which other measures put the focal ICB at the stated rank: "also" if the claim holds, "only" if it does not."""
    rank = ordinal(int(check.stated))
    by_label = measures_at_rank(ranks, check)
    if not len(by_label):
        return f"It ranks {rank} on no other measure here."
    text = (f"It ranks {rank} {'also' if check.holds else 'only'} on "
            + "; ".join(f"{label.lower()} ({years})" for label, years in by_label.items()) + ".")
    if not check.holds:
        text += " That measures funding per patient, not spending on acute care per weighted head."
    return text


def trust_text(who: str, year: str, trow: pd.Series | None, n_trusts: int, n_icbs: int, year_covered: bool,
               no_ga: str | None = None) -> str:
    """The acute trusts' finding: their spend in ``year`` (£ million, £ per head, ranks among ``n_icbs`` ICBs), or why
    there is none. ``trow`` as for :func:`record_trusts`; ``n_trusts`` how many acute trusts the ICB hosts; ``no_ga``
    why there is no measure per G&A weighted head, None if there is. Markdown: the names escaped here."""
    if trow is not None:
        text = (
            f"The {n_trusts} acute trusts {escape.markdown(who)} hosts spent "
            f"£{trow['acute_trust_opex_gbp'] / 1e6:,.1f}m in {year}: "
            f"£{trow['acute_trust_opex_per_head_gbp']:,.0f} per registered head, the "
            f"{ordinal(int(trow['acute_trust_opex_per_head_rank']))} highest of the {n_icbs} ICBs the trust "
            "file names by their own code"
        )
        if no_ga:
            return f"{text}. {escape.markdown(no_ga)}"
        return (f"{text}, and £{trow['acute_trust_opex_per_ga_weighted_head_gbp']:,.0f} per G&A weighted head "
                f"({ordinal(int(trow['acute_trust_opex_per_ga_weighted_head_rank']))}).")
    if not year_covered:
        return f"The trust accounts here do not cover {year}, so there is no acute trust measure for that year."
    return (f"The trust file assigns {escape.markdown(who)}'s trusts to a 2026 merged-ICB code, so their spending "
            "cannot be set against this ICB's population; there is no acute trust measure for it.")


def claim_label(claimed: int | None) -> str:
    """The label of the claimed rank's rule on the rank chart ("report: 2nd"); "" when there is no claim."""
    return f"report: {ordinal(claimed)}" if claimed else ""


def rank_dots(ranks: pd.DataFrame) -> pd.DataFrame:
    """:func:`sots.analysis.benchmark.focal_ranks` rows with the chart's axis label (``row``) and ``rank_text`` ("2nd of
    42"); a measure not published for its year has no rank, so no dot (the rank table says it was not published)."""
    ranks = ranks[ranks["rank"].notna()]
    return ranks.assign(
        row=ranks["label"] + ", " + ranks["year"],
        rank_text=[f"{ordinal(int(r))} of {int(n)}" for r, n in zip(ranks["rank"], ranks["n"])],
    )


def host_trusts_table(focal_trusts: pd.DataFrame, year: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The focal ICB's acute trusts as the chapter shows them, with the formats of their columns."""
    spend = f"Operating expenditure {year} (£m)"
    shown = focal_trusts.rename(columns={"trust_code": "Code", "trust_name": "Trust", "sector": "Sector",
                                         "opex_gbp_m": spend})
    return shown, {spend: "{:,.1f}"}


def no_host_trusts(who: str, year: str, year_covered: bool = True) -> str:
    """The sentence shown where the ICB's acute trusts would be listed when there are none for ``year``: the trust
    accounts do not cover the year (``year_covered`` False), or they name no acute trust hosted by the ICB ``who``."""
    if not year_covered:
        return f"The trust accounts here do not cover {year}, so they list no trust for it."
    return f"The trust file names no acute trust hosted by {who} in {year}."


def trust_ranking(n_icbs: int, year: str, year_covered: bool) -> str:
    """What the acute trusts' ranking covers: the ``n_icbs`` ICBs the trust file names by their own code in ``year``,
    or why no ICB is ranked (the accounts do not cover the year, or name no ICB by its own code)."""
    if not year_covered:
        return f"The trust accounts here do not cover {year}, so no ICB is ranked on its acute trusts' spending."
    if not n_icbs:
        return f"The trust file names no ICB by its own code in {year}, so no ICB is ranked on its acute trusts."
    return (f"Total operating expenditure of the acute trusts each ICB hosts, per registered head, for the {n_icbs} "
            "ICBs that the trust file names by their own code.")


def trust_method(n_icbs: int, year: str, year_covered: bool) -> str:
    """The method's last words on the trust ranking: among how many ICBs (``n_icbs``) it ranks in ``year``, or why
    there is none."""
    if not year_covered:
        return f"The trust accounts here do not cover {year}, so this edition ranks no ICB on them."
    if not n_icbs:
        return f"In {year} the trust file names no ICB by its own code, so no ICB is ranked on it."
    return (f"Some trusts are assigned to 2026 merged-ICB codes; the ICBs those cover are left out of the ranking, "
            f"which is among the {n_icbs} ICBs named by their own code.")


def rank_chart_note(claimed: int | None, reported_about: str) -> str:
    """What the rank chart's dashed line marks: the report's rank (``claimed``), or, in a book for another ICB than
    the one the report is about (``reported_about``), that no claimed rank is marked."""
    if claimed is not None:
        return "The dashed line marks the rank the report claims."
    return f"The report's claimed rank is about {reported_about}, so none is marked."


def host_trusts(spend: AcuteSpend, who: str):
    """The focal ICB's acute trusts as a table, or the sentence saying why there are none (:func:`no_host_trusts`);
    where the trust accounts lack the year, the chapter says so above the ranking and need not show this."""
    if len(spend.focal_trusts):
        return charts.table(*host_trusts_table(spend.focal_trusts, spend.year))
    return Markdown(escape.markdown(no_host_trusts(who, spend.year, spend.trust_year_covered)))


LEAGUE_COLUMNS = {  # the ICB first: on a phone the first column stays in view as the table scrolls (sots.css)
    "short_name": "ICB", "acute_cost_per_ga_weighted_head_rank": "Rank (G&A weighted)", "acute_cost_gbp": "Cost (£m)",
    "resident_population_persons": "Residents", "registered_population_persons": "Registered",
    "ga_weighted_persons": "G&A weighted", "acute_cost_per_head_gbp": "£ per head",
    "acute_cost_per_head_rank": "Rank (per head)", "acute_cost_per_ga_weighted_head_gbp": "£ per G&A weighted head",
}
LEAGUE_FORMATS = {"Cost (£m)": "{:,.1f}", "Residents": "{:,.0f}", "Registered": "{:,.0f}", "G&A weighted": "{:,.0f}",
                  "£ per head": "{:,.0f}", "£ per G&A weighted head": "{:,.0f}"}


def league(acute: pd.DataFrame) -> pd.DataFrame:
    """Every ICB's estimate, highest per G&A weighted head first (ties by code), cost in £ million, columns named."""
    ordered = acute.sort_values(["acute_cost_per_ga_weighted_head_rank", "icb_code"])[list(LEAGUE_COLUMNS)]
    return ordered.assign(acute_cost_gbp=ordered["acute_cost_gbp"] / 1e6).rename(columns=LEAGUE_COLUMNS)


def league_table(spend: AcuteSpend) -> charts.Table:
    """Every ICB's estimate (:func:`league`); a measure per G&A weighted head NHS England's weighted populations do
    not allow shows as "not published for <year>"."""
    return charts.table(league(spend.acute), formats=LEAGUE_FORMATS, missing=benchmark.not_published(spend.year))


def ga_chart(ch: Chapter, spend: AcuteSpend):
    """Every ICB's estimate per G&A weighted head as a ranked bar chart, drawn through ``ch.show``; a sentence
    instead if NHS England did not publish the G&A weighted populations for the year."""
    key = NAMED.key
    if spend.acute[key].isna().all():
        return Markdown(f"Not published for {spend.year}: NHS England did not publish the general and acute weighted "
                        "population for the year.")
    note = "" if spend.acute[key].notna().all() else f"not published for some ICBs in {spend.year}"
    ranking = dict(df=spend.acute, value=key, rank=NAMED.rank_key,
                   label="Activity-based acute cost per G&A weighted head (£)", focal_code=ch.icb,
                   default_year=spend.year, reference=spend.england, note=note, dots=True)
    return ch.show(charts.ranked_bar(**ranking), phone=charts.ranked_phone(**ranking),
                   tables=("activity_rates", "unit_costs", "population_projection", "icb_weighted_population",
                           "icb_lookup"))
