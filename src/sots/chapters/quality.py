"""Deprivation, healthy life and quality: the report's quality claims against IMD 2019, ONS healthy life expectancy,
QOF and the published pages.

Figures (all ICBs): ``icb_core20_share_pct`` and ``icb_most_deprived_10_share_pct`` (per cent of the ICB's LSOAs in
England's most deprived 20% and 10%), ``icb_core20_rank`` (rank of 42, 1 = most deprived); healthy life expectancy
(HLE) at birth of the ICB's upper-tier areas against the pension age: ``hle_before_report_highest_years`` and
``hle_latest_highest_years`` (years), ``hle_before_report_smallest_gap_years`` and ``hle_latest_smallest_gap_years``
(years short of the pension age), ``hle_below_pension_age_pct`` (per cent of the area and sex values before the
report below the pension age). For the report's ICB only: the named Blackpool wards (``priority_wards_named_core20``,
``priority_wards_named_in_most_deprived``, wards) and the QOF hypertension proxy by QOF year
(``qof_hyp_under80_treated_pct_<year>``, ``qof_hyp_80plus_treated_pct_<year>``, per cent; and under ids without a
year, the edition's year), which the data give for that ICB's practices alone; another ICB's are not computed, with
why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from IPython.display import Markdown

from sots import escape
from sots.analysis import claims, finance, quality, verdicts
from sots.analysis.results import year_suffix
from sots.chapters import charts
from sots.chapters.context import Chapter
from sots.inputs import geography
from sots.prose import ordinal

# The five Blackpool wards the report names among its priority wards (claim Q6): names, not numbers, so kept here.
NAMED_WARDS = ["Bloomfield", "Claremont", "Talbot", "Tyldesley", "Park"]
NAMED_AUTHORITY = geography.BLACKPOOL
WARDS_CLAIM, HLE_CLAIM, QOF_CLAIM = "Q6", "Q8", "Q2"
# Claims a published page settles, each figure recorded from one row of published_figures: (figure id, the published
# figure's id, unit, sign). The pages give Hull's change as negative; the claim states the size of the cut.
SETTLED = {
    "Q5": (("cyp_mh_contracts", "q5_cyp_mh_contracts_total", "contracts", 1),
           ("cyp_mh_providers", "q5_cyp_mh_providers", "providers", 1)),
    "Q7": (("icc_over80_emergency_attendances_cut_pct", "q7_jean_bishop_over80_emergency_attendances",
            "per cent reduction", -1),),
}
# A ward counts as a Core20 ward when most of its LSOAs are in England's most deprived 20% (Core20PLUS5's population).
CORE20_MAJORITY = 0.5
# An authority counts as one of the ICB's areas when most of its LSOAs are inside the ICB: the boundary takes small
# parts of a few neighbours (Copeland and Craven for L&SC), whose HLE describes people outside the ICB.
MOSTLY_INSIDE = 0.5
# Lower-tier authorities (2022) whose upper-tier area in the HLE table is another: Lancashire's districts, and the
# Cumbrian districts ONS's 2023 unitaries replaced (Westmorland and Furness includes Eden; Cumberland the rest).
CUMBERLAND = "E06000063"
UPPER_TIER = {**{code: geography.LANCASHIRE for code in geography.LANCASHIRE_DISTRICTS},
              geography.BARROW: geography.WESTMORLAND_AND_FURNESS, geography.EDEN: geography.WESTMORLAND_AND_FURNESS,
              geography.SOUTH_LAKELAND: geography.WESTMORLAND_AND_FURNESS,
              # Allerdale, Carlisle, Copeland
              "E07000026": CUMBERLAND, "E07000028": CUMBERLAND, "E07000029": CUMBERLAND}
BEFORE_SERIES = "before revision"  # the ONS series the report's authors could see
QOF_COLUMNS = {"hyp_under80_treated_pct": "qof_hyp_under80_treated_pct",
               "hyp_80plus_treated_pct": "qof_hyp_80plus_treated_pct"}
QOF_LABELS = {"hyp_under80_treated_pct": "Under 80 (HYP008, 140/90 mmHg)",
              "hyp_80plus_treated_pct": "80 and over (HYP009, 150/90 mmHg)"}
CONTEXT_CLAIMS = ("q1_", "q2_", "q4_", "q5_", "q7_")  # published pages' figures shown as context, by id prefix
# The prepared tables keep each area's name as its source gives it, for provenance; readers see these names instead.
# Lancashire County Council's pages call the county "Lancashire (county, Lancashire-12)" to tell its twelve districts
# from Lancashire-14, which adds Blackpool and Blackburn with Darwen; the chapter lists those two unitaries beside it,
# so "Lancashire" is unambiguous here, and the label's code-like suffix means nothing to a reader.
DISPLAY_NAMES = {"E10000017": "Lancashire"}
# A published figure's description in published_figures starts with the claim it bears on ("Q1 context: ...",
# "Q4 follow-up: ..."), for the people who gathered them; readers see the claim's label in its own column instead.
CLAIM_PREFIX = re.compile(r"^Q\d+(?: (context|follow-up))?:\s*")


@dataclass(frozen=True)
class Quality:
    """What the chapter's charts and tables draw on."""

    icbs: pd.DataFrame  # every ICB's Core20 share (per cent) and rank, with short names
    wards: pd.DataFrame | None  # the named authority's wards (report's ICB only)
    match: quality.WardMatch | None  # the named wards against the most deprived by place (report's ICB only)
    match_median: quality.WardMatch | None  # the same by median rank alone
    areas: pd.DataFrame  # the ICB's HLE areas: area_code, area_name, and which of the ICB's authorities each covers
    gaps: quality.PensionGaps  # HLE latest and before the report against the pension age
    series: pd.DataFrame  # HLE over time, one line per area, sex, release and ONS series
    qof: pd.DataFrame | None  # the weighted QOF proxy by year, both age groups (report's ICB only)
    proxy: pd.DataFrame | None  # the proxy against the report's figures (report's ICB only)
    published: pd.DataFrame  # the published pages' figures shown as context


def hle_areas(lsoas: pd.DataFrame, hle: pd.DataFrame, icb: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ICB's upper-tier HLE areas, and its authorities without one.

    Returns (``areas``: ``area_code``, ``area_name``, ``authorities`` (the ICB's authorities it covers, names),
    ``outside`` (authorities of that area not in the ICB, names); ``missing``: ``ltla22_code``, ``ltla22_name`` of the
    ICB's authorities whose area the data do not cover). An authority mostly outside the ICB (:data:`MOSTLY_INSIDE`)
    is left out of both."""
    mine = quality.icb_authorities(lsoas, icb)
    mine = mine[mine["share_in_icb"] > MOSTLY_INSIDE]
    covered = set(hle["area_code"])
    names = hle.drop_duplicates("area_code").set_index("area_code")["area_name"]
    ltla_names = lsoas.drop_duplicates("ltla22_code").set_index("ltla22_code")["ltla22_name"]
    upper = mine["ltla22_code"].map(lambda c: c if c in covered else UPPER_TIER.get(c, c))
    mine = mine.assign(area_code=upper)
    found = mine[mine["area_code"].isin(covered)]
    rows = []
    for code, part in found.groupby("area_code", sort=False):
        outside = [ltla_names[c] for c, up in UPPER_TIER.items()
                   if up == code and c in ltla_names and c not in set(mine["ltla22_code"])]
        rows.append({"area_code": code, "area_name": names[code],
                     "authorities": ", ".join(part["ltla22_name"]), "outside": ", ".join(outside)})
    areas = pd.DataFrame(rows, columns=["area_code", "area_name", "authorities", "outside"])
    # Unitaries first, in code order (as the report lists them), then counties.
    areas = areas.sort_values("area_code", ignore_index=True)
    missing = mine.loc[~mine["area_code"].isin(covered), ["ltla22_code", "ltla22_name"]].reset_index(drop=True)
    return areas, missing


def record(ch: Chapter) -> Quality:
    """Record the chapter's figures and glue what its prose quotes; return what the charts and tables draw on."""
    lsoas, hle = ch.table("lsoa_deprivation"), display_names(ch.table("healthy_life_expectancy"))
    icbs = record_deprivation(ch, lsoas)
    wards = match = match_median = None
    if ch.about_report:
        wards, match, match_median = record_wards(ch, lsoas)
    else:
        # The named wards are the report's ICB's; every glue:md the page quotes must exist, as Markdown.
        ch.glue("wards_finding", Markdown(escape.markdown(
            f"The wards the report names are in Blackpool, in {ch.reported_about}; {ch.who}'s own deprivation is in "
            "the chart below.")))
        ch.glue("wards_verdict", Markdown(""))
    areas, missing = hle_areas(lsoas, hle, ch.icb)
    gaps, series = record_hle(ch, hle, areas, missing)
    qof, proxy = record_qof(ch, ch.table("qof_hypertension"))
    published = published_context(ch.table("published_figures"))
    record_published(ch, ch.table("published_figures"))
    ch.glue("published_evidence", Markdown(published_evidence(ch, published)))
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("reported_about", ch.reported_about)
    ch.glue("report_year", ch.report_year)
    ch.glue("scope_note", Markdown(escape.markdown(scope_note(ch))))
    ch.glue("sources", "; ".join(ch.citations()))
    return Quality(icbs=icbs, wards=wards, match=match, match_median=match_median, areas=areas, gaps=gaps,
                   series=series, qof=qof, proxy=proxy, published=published)


def display_names(hle: pd.DataFrame) -> pd.DataFrame:
    """``hle`` with each area named as readers see it (:data:`DISPLAY_NAMES`, by area code); other names as given."""
    return hle.assign(area_name=hle["area_code"].map(DISPLAY_NAMES).fillna(hle["area_name"]))


def scope_note(ch: Chapter) -> str:
    """For another ICB than the report's, that the report's claims are about its ICB; "" for the report's ICB."""
    if ch.about_report:
        return ""
    return (f"The report's quality claims are about {ch.reported_about}, so none is checked in this book; the figures "
            f"below are {ch.who}'s own.")


# --- Deprivation (Q6) -----------------------------------------------------------------------------------------------


def record_deprivation(ch: Chapter, lsoas: pd.DataFrame) -> pd.DataFrame:
    """Record the ICB's Core20 and most-deprived-10% shares (per cent) and Core20 rank; return every ICB's."""
    icbs = quality.icb_core20_share(lsoas).merge(ch.table("icb_lookup")[["icb_code", "short_name"]], on="icb_code",
                                                 validate="one_to_one")
    icbs = icbs.assign(core20_share_pct=icbs["core20_share"] * 100,
                       most_deprived_10_share_pct=icbs["most_deprived_10_share"] * 100, year="IMD 2019")
    row = icbs.set_index("icb_code").loc[ch.icb]
    n = len(icbs)
    method = "Share of the ICB's 2011 LSOAs (2022 ICB boundaries) in IMD 2019 deciles"
    ch.figure("icb_core20_share_pct", float(row["core20_share_pct"]), unit="per cent",
              method=f"{method} 1-2 (Core20: England's most deprived 20%).", lsoas=int(row["lsoas"]))
    ch.figure("icb_most_deprived_10_share_pct", float(row["most_deprived_10_share_pct"]), unit="per cent",
              method=f"{method} 1 (England's most deprived 10%).", lsoas=int(row["lsoas"]))
    ch.figure("icb_core20_rank", int(row["core20_rank"]), unit="rank of ICBs (1 = highest)", n_icbs=n,
              method=f"Rank of the Core20 share among the {n} ICBs; ties share the best rank.")
    ch.glue("n_icbs", n)
    # The bands' names from the deciles that define them, never typed into the key findings.
    ch.glue("core20_band", f"most deprived {len(quality.CORE20_DECILES) * 10}% (Core20)")
    ch.glue("most_deprived_10_band", f"most deprived {len(quality.MOST_DEPRIVED_10_DECILES) * 10}%")
    ch.glue("core20_rank_text", ordinal(int(row["core20_rank"])))
    return icbs


def record_wards(ch: Chapter, lsoas: pd.DataFrame):
    """Record how the report's named wards stand among their authority's (the report's ICB only)."""
    wards = quality.ward_deprivation(lsoas, NAMED_AUTHORITY)
    match = quality.named_wards_against_most_deprived(wards, NAMED_WARDS)
    by_median = quality.named_wards_against_most_deprived(wards, NAMED_WARDS, by="median_rank_place")
    n = len(NAMED_WARDS)
    core20 = int((match.named["core20_share"] > CORE20_MAJORITY).sum())
    ch.figure("priority_wards_named_core20", core20, unit="wards", named=NAMED_WARDS,
              method=f"The report's named wards with more than {CORE20_MAJORITY:.0%} of their LSOAs in IMD 2019 "
              "deciles 1-2 (Core20).")
    ch.figure("priority_wards_named_in_most_deprived", n - len(match.dropped), unit="wards", named=NAMED_WARDS,
              method=f"The report's named wards among the authority's {n} most deprived wards, ordered by Core20 "
              "share, then median IMD rank.")
    ch.glue("wards_authority", wards["lad_name"].iloc[0])
    ch.glue("wards_n", int(wards["wards"].iloc[0]))
    ch.glue("named_n", n)
    ch.glue("wards_finding", Markdown(escape.markdown(wards_sentence(match, by_median, wards["lad_name"].iloc[0]))))
    ch.glue("wards_verdict", Markdown(ch.graded(ch.judge(ch.register[WARDS_CLAIM]))))
    return wards, match, by_median


def names(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def wards_sentence(match: quality.WardMatch, by_median: quality.WardMatch, authority: str) -> str:
    """Whether the named wards are the authority's most deprived, by place and by median rank, and what the data
    would add and drop."""
    n = match.n
    text = []
    for m, how in ((match, "by share of LSOAs in the most deprived 20%, then median rank"),
                   (by_median, "by median IMD rank alone")):
        if m.matches:
            text.append(f"Ordered {how}, the named wards are {authority}'s {n} most deprived.")
        else:
            text.append(f"Ordered {how}, {n - len(m.dropped)} of the {n} named wards are among {authority}'s {n} most "
                        f"deprived: the data would add {names(m.added)} and drop {names(m.dropped)}.")
    if match.tie_at_boundary or by_median.tie_at_boundary:
        text.append("A tie falls on the line between the most deprived and the rest.")
    return " ".join(text)


def ward_table(ch: Chapter, q: Quality) -> charts.Table | None:
    """The authority's wards, most deprived first, with the named ones marked; None for another ICB than the
    report's (its page says where the named wards are)."""
    if q.wards is None:
        return None
    named = set(q.match.named["ward_name"])
    df = q.wards.assign(named=q.wards["ward_name"].map(lambda w: "named" if w in named else ""))
    df = pd.DataFrame({
        "Place": df["place"], "Ward": df["ward_name"], "In the report's list": df["named"], "LSOAs": df["lsoas"],
        "Most deprived 10% (%)": df["most_deprived_10_share"] * 100, "Core20 (%)": df["core20_share"] * 100,
        "Median IMD rank": df["median_imd_rank"], "Place by median rank": df["median_rank_place"],
    })
    return charts.table(df, formats={"Most deprived 10% (%)": "{:.0f}", "Core20 (%)": "{:.0f}",
                                     "Median IMD rank": "{:,.1f}"})


def core20_chart(ch: Chapter, q: Quality):
    """Every ICB's Core20 share as a ranked bar chart, the focal ICB highlighted."""
    ranking = dict(df=q.icbs, value="core20_share_pct", rank="core20_rank", focal_code=ch.icb, fmt=".1f",
                   label="LSOAs in England's most deprived 20% (%)", default_year="IMD 2019")
    return ch.show(charts.ranked_bar(**ranking), phone=charts.ranked_phone(**ranking),
                   tables=("lsoa_deprivation", "icb_lookup"))


# --- Healthy life expectancy (Q8) -----------------------------------------------------------------------------------


def report_year_end(ch: Chapter) -> int:
    """The calendar year the report was published: the year after its edition's first (2023-24 -> 2024); HLE
    "before the report" is the latest period ending before it."""
    return int(ch.report["edition"][:4]) + 1


def record_hle(ch: Chapter, hle: pd.DataFrame, areas: pd.DataFrame, missing: pd.DataFrame):
    """Record HLE at birth against the pension age for the ICB's areas (latest, and before the report from the
    series the report had); glue the sentences on the areas and the gaps."""
    pension_age = claims.stated(HLE_CLAIM)
    codes = list(areas["area_code"])
    gaps = quality.hle_against_pension_age(hle, codes, pension_age=pension_age, before=report_year_end(ch),
                                           before_series=BEFORE_SERIES)
    series = quality.hle_series(hle, codes, pension_age=pension_age)
    table = gaps.table
    for which, prefix in (("before", "hle_before_report"), ("latest", "hle_latest")):
        rows = table[table["which"] == which]
        if rows.empty:
            why = f"No healthy life expectancy in the data for {ch.who}'s areas ({which} the report)."
            ch.not_computed(f"{prefix}_highest_years", why)
            ch.not_computed(f"{prefix}_smallest_gap_years", why)
            continue
        top = quality.smallest_gap(rows)
        where = dict(area=top["area_name"], sex=top["sex"], period=top["period"], release=top["release"])
        ch.figure(f"{prefix}_highest_years", float(top["hle_years"]), unit="years", **where,
                  method="The highest healthy life expectancy at birth among the ICB's upper-tier areas and both "
                  f"sexes ({which} the report), from the release named.")
        ch.figure(f"{prefix}_smallest_gap_years", float(top["gap_years"]), unit="years", **where,
                  pension_age=pension_age, method="The state pension age less that highest healthy life expectancy.")
    before = table[table["which"] == "before"]
    if before.empty:
        ch.not_computed("hle_below_pension_age_pct", f"No healthy life expectancy before the report for {ch.who}.")
    else:
        ch.figure("hle_below_pension_age_pct", float((before["hle_years"] < pension_age).mean() * 100),
                  unit="per cent", values=len(before), pension_age=pension_age,
                  method="Per cent of the ICB's area and sex values of healthy life expectancy at birth, in the latest "
                  "period before the report, below the state pension age.")
    ch.glue("pension_age", pension_age)
    ch.glue("areas_finding", Markdown(escape.markdown(areas_sentence(ch, areas, missing))))
    ch.glue("hle_finding", Markdown(escape.markdown(hle_sentence(ch, table, pension_age))))
    ch.glue("hle_periods", Markdown(escape.markdown(periods_sentence(table))))
    ch.glue("hle_verdict", Markdown(ch.graded(ch.judge(ch.register[HLE_CLAIM]))
                                    if ch.about_report else ""))
    return gaps, series


def areas_sentence(ch: Chapter, areas: pd.DataFrame, missing: pd.DataFrame) -> str:
    """Which upper-tier areas stand for the ICB, which reach beyond it, and which of its authorities have none."""
    if areas.empty:
        text = f"The data give healthy life expectancy for none of {ch.who}'s areas."
    else:
        text = f"{ch.who}'s upper-tier areas in the data: {names(list(areas['area_name']))}."
    for row in areas.itertuples():
        if row.outside:
            text += f" {row.area_name} includes {row.outside}, which is outside the ICB."
    if len(missing):
        text += f" The data give no healthy life expectancy for {names(list(missing['ltla22_name']))}."
    return text


def period_shown(period: str) -> str:
    """A three-year period as a reader expects it: ONS's "2018 - 20" -> "2018–20" (a spaced hyphen reads as a
    subtraction)."""
    return re.sub(r"\s+-\s+", "\u2013", period)


def who_of(sex: str) -> str:
    """'Female' -> 'women', 'Male' -> 'men'; anything else as given, in lower case."""
    return {"female": "women", "male": "men"}.get(sex.lower(), sex.lower())


def hle_sentence(ch: Chapter, table: pd.DataFrame, pension_age: float) -> str:
    """The key finding: whether HLE at birth was below the pension age before the report in every area and for both
    sexes, the highest value then and its gap, and the highest in the latest data. The periods behind each value are
    in :func:`periods_sentence`."""
    before, latest = (table[table["which"] == which] for which in ("before", "latest"))
    if before.empty and latest.empty:
        return f"No healthy life expectancy is in the data for {ch.who}'s areas."
    parts = []
    if not before.empty:
        top = quality.smallest_gap(before)
        below = int((before["hle_years"] < pension_age).sum())
        where = (f"in {top['area_name']}" if before["area_code"].nunique() == 1 else f"in every one of {ch.who}'s "
                 "areas")
        if below == len(before):
            lead = (f"Before the report, healthy life expectancy at birth was below the pension age of "
                    f"{pension_age:g} {where}, for women and men")
        else:
            lead = (f"Before the report, healthy life expectancy at birth was below the pension age of "
                    f"{pension_age:g} for {below} of the {len(before)} values for {ch.who}'s areas, women and men")
        gap = top["gap_years"]
        parts.append(f"{lead}: the highest was {top['hle_years']:.1f} years ({top['area_name']}, "
                     f"{who_of(top['sex'])}, {period_shown(top['period'])}), {abs(gap):.1f} years "
                     f"{'short of' if gap > 0 else 'above'} it.")
    if not latest.empty:
        top = quality.smallest_gap(latest)
        parts.append(f"The latest data give at most {top['hle_years']:.1f} years ({top['area_name']}, "
                     f"{who_of(top['sex'])}, {period_shown(top['period'])}).")
    return " ".join(parts)


def periods_sentence(table: pd.DataFrame) -> str:
    """Which period and release each value before the report and latest comes from, and any area the series before
    ONS's revision does not give: the areas' periods can differ (a county's own pages against ONS's release for
    unitaries)."""
    parts = []
    for which, when in (("before", "Before the report"), ("latest", "In the latest data")):
        rows = table[table["which"] == which]
        if not rows.empty:
            parts.append(f"{when}, {periods_text(rows)}.")
    before = set(table.loc[table["which"] == "before", "area_code"])
    absent = table.loc[~table["area_code"].isin(before), "area_name"].drop_duplicates().tolist()
    if parts and absent:
        # An area with no value before the report (a unitary formed after the series the report had) is named.
        parts.append(f"The series before ONS's revision gives no value for {names(absent)}.")
    return " ".join(parts)


def periods_text(rows: pd.DataFrame) -> str:
    """Each area's period and release in ``rows`` (HLE values, one ``which``), in plain words: "the period is
    2022–24 for every area (OHID Fingertips)", or "the periods are 2018–20 for Blackpool (OHID Fingertips) and
    2016–18 for Lancashire (Lancashire Insight pages)"."""
    groups = rows.drop_duplicates(["area_code", "period", "release"]).groupby(["period", "release"], sort=False)
    if groups.ngroups == 1:
        (period, release), = groups.groups
        areas = rows["area_name"].drop_duplicates().tolist()
        return f"the period is {period_shown(period)} for {areas[0] if len(areas) == 1 else 'every area'} ({release})"
    text = [f"{period_shown(period)} for {names(list(part['area_name'].drop_duplicates()))} ({release})"
            for (period, release), part in groups]
    return "the periods are " + names(text)


def hle_table(q: Quality) -> charts.Table:
    """HLE at birth by area and sex, latest and before the report, with its release and the gap to the pension age."""
    t = q.gaps.table
    df = pd.DataFrame({
        "Area": t["area_name"], "Sex": t["sex"], "Which": t["which"].map({"latest": "Latest",
                                                                          "before": "Before the report"}),
        "Period": t["period"].map(period_shown), "Release": t["release"], "ONS series": t.get("ons_series", ""),
        "HLE at birth (years)": t["hle_years"], "Years short of the pension age": t["gap_years"],
    })
    return charts.table(df, formats={"HLE at birth (years)": "{:.1f}", "Years short of the pension age": "{:.1f}"})


def hle_chart(ch: Chapter, q: Quality):
    """HLE at birth over time, one panel per area, one line per sex, release and ONS series (none crossing), with the
    pension age as a dashed line; for an ICB none of whose areas the data cover, a sentence saying so."""
    s = q.series
    if s.empty:
        return Markdown(escape.markdown(f"No chart: the data give healthy life expectancy for none of {ch.who}'s "
                                        "areas."))
    df = pd.DataFrame({"place": s["area_name"], "line": s["sex"] + " · " + s["release"] + " · " + s["ons_series"],
                       "sex": s["sex"], "series": "ONS series " + s["ons_series"], "release": s["release"],
                       "year": s["period_end"].astype(int), "value": s["hle_years"]})
    return ch.show(charts.period_lines(
        df, title="Healthy life expectancy at birth (years)", y_title="Years in good health",
        x_title="Last year of the three-year period", legend="Sex", colour="sex", dash="series",
        dash_legend="Series", reference=ch.glued["pension_age"], reference_label="the state pension age",
        subtitle="A line per release and ONS series, never joined"), tables=("healthy_life_expectancy",))


# --- Hypertension treated to target (Q2) ----------------------------------------------------------------------------


def record_qof(ch: Chapter, qof: pd.DataFrame):
    """Record the population-weighted QOF proxy for the ICB's practices by QOF year (both age groups); for an ICB the
    extract does not cover, not computed, with why."""
    mine = qof[qof["icb_code"] == ch.icb]
    ids = [*QOF_COLUMNS.values()]
    if mine.empty:
        why = (f"The QOF extract in the book's inputs covers the practices of {ch.reported_about} only, not "
               f"{ch.who}.")
        for figure in ids:
            ch.not_computed(figure, why)
        ch.glue("qof_finding", Markdown(escape.markdown(why)))
        ch.glue("qof_verdict", Markdown(""))
        return None, None
    frames = []
    for column, figure in QOF_COLUMNS.items():
        by_year = quality.weighted_treated_to_target(mine, column)
        for row in by_year.itertuples():
            ch.figure(figure + year_suffix(row.qof_year), float(row.weighted_mean_pct), unit="per cent",
                      year=row.qof_year, extract=row.extract, practices=int(row.practices_used),
                      method=f"Mean of the practices' {QOF_LABELS[column]} per cent treated to target, weighted by "
                      "their weighted populations (a proxy: the extract has no numerators or denominators).")
        this = by_year[by_year["qof_year"] == ch.year]
        if len(this) == 1:
            ch.figure(figure, float(this["weighted_mean_pct"].iloc[0]), unit="per cent", year=ch.year,
                      method="The proxy for the edition's QOF year.")
        else:
            ch.not_computed(figure, f"No QOF extract in the book's inputs gives {ch.year}.")
        frames.append(by_year.assign(group=QOF_LABELS[column]))
    by_year = pd.concat(frames, ignore_index=True)
    claim = ch.register[QOF_CLAIM]
    start, end = claim["checks"][0], claim["checks"][1]
    under80 = by_year[by_year["group"] == QOF_LABELS["hyp_under80_treated_pct"]]
    years = [figure_year(start["figure"]), figure_year(end["figure"])]
    proxy = None
    if set(years) <= set(under80["qof_year"]):
        proxy = quality.proxy_against_stated(under80, years[0], years[1], start["stated"], end["stated"],
                                             claim["also_stated"])
    ch.glue("objective_pct", claim["also_stated"])
    ch.glue("qof_finding", Markdown(escape.markdown(qof_sentence(ch, under80, proxy, years, claim))))
    ch.glue("qof_verdict", Markdown(ch.graded(ch.judge(claim)) if ch.about_report else ""))
    return by_year, proxy


def figure_year(figure: str) -> str:
    """The QOF year of a year-suffixed figure id: 'qof_hyp_under80_treated_pct_2023_24' -> '2023/24'."""
    parts = figure.split("_")
    return f"{parts[-2]}/{parts[-1]}"


def qof_sentence(ch: Chapter, under80: pd.DataFrame, proxy: pd.DataFrame | None, years: list[str],
                 claim: dict) -> str:
    """The proxy's levels against the report's rise and the objective."""
    if proxy is None:
        return f"The QOF extracts do not give both {years[0]} and {years[1]} for {ch.who}."
    p = proxy.set_index("measure")
    return (f"The QOF proxy (under 80s, weighted by practice population) was {p.loc['start', 'proxy']:.1f}% in "
            f"{years[0]} and {p.loc['end', 'proxy']:.1f}% in {years[1]}: a rise of "
            f"{p.loc['rise', 'proxy']:.1f} points, against the report's {p.loc['start', 'stated']:g}% to "
            f"{p.loc['end', 'stated']:g}% ({p.loc['rise', 'stated']:.1f} points). It stood "
            f"{p.loc['short of objective', 'proxy']:.1f} points short of the {claim['also_stated']:g}% objective.")


def qof_chart(ch: Chapter, q: Quality):
    """The proxy by QOF year for each age group, with the objective as a dashed line; nothing for an ICB the extract
    does not cover (the key findings say why)."""
    if q.qof is None:
        return None
    df = pd.DataFrame({"place": ch.who, "line": q.qof["group"],
                       "year": q.qof["qof_year"].str[:4].astype(int) + 1, "value": q.qof["weighted_mean_pct"]})
    objective = ch.register[QOF_CLAIM]["also_stated"]
    return ch.show(charts.period_lines(
        df, title="Hypertension treated to target, QOF proxy (%)", y_title="Treated to target (%)",
        x_title="End of the QOF year (March)", legend="Age group", reference=objective,
        reference_label="the national objective", subtitle="Practices weighted by population"),
        tables=("qof_hypertension",))


def proxy_table(q: Quality) -> charts.Table | None:
    """The proxy against the report's start, end, rise and distance from the objective; None without it."""
    if q.proxy is None:
        return None
    labels = {"start": "Start of the year", "end": "End of the year", "rise": "Rise",
              "short of objective": "Short of the objective"}
    p = q.proxy
    df = pd.DataFrame({"Measure": p["measure"].map(labels), "Report": p["stated"], "QOF proxy": p["proxy"],
                       "Difference (points)": p["difference_points"], "Unit": p["unit"]})
    return charts.table(df, formats={"Report": "{:.1f}", "QOF proxy": "{:.1f}", "Difference (points)": "{:+.1f}"})


# --- Published pages (Q1, Q2, Q4, Q5, Q7) ---------------------------------------------------------------------------


def record_published(ch: Chapter, figures: pd.DataFrame) -> None:
    """Record the figures that settle a claim from a published page (:data:`SETTLED`), each citing its page, and glue
    the verdicts on the claims the section covers; for another ICB than the report's, not computed, with why."""
    rows = figures.set_index("figure_id")
    for claim_id, settled in SETTLED.items():
        for figure, published_id, unit, sign in settled:
            if not ch.about_report:
                ch.not_computed(figure, f"The report's claims are about {ch.reported_about}, not {ch.who}.")
            elif published_id not in rows.index or pd.isna(rows.loc[published_id, "value"]):
                ch.not_computed(figure, f"No published page in the book's inputs gives it (claim {claim_id}).")
            else:
                row = rows.loc[published_id]
                ch.figure(figure, sign * float(row["value"]), unit=unit, period=row["period"],
                          source=finance.citation(row), url=row["source_url"],
                          method=f"As published on the page ({finance.citation(row)}), not computed from data.")


def published_context(figures: pd.DataFrame) -> pd.DataFrame:
    """The published pages' figures behind the quality claims: rows whose id starts with a claim's prefix, with the
    claim's id (``claim``)."""
    rows = figures[figures["figure_id"].str.startswith(CONTEXT_CLAIMS)]
    return rows.assign(claim=rows["figure_id"].str[:2].str.upper()).sort_values(["claim", "figure_id"],
                                                                                ignore_index=True)


def reader_description(text: str) -> str:
    """A published figure's description without the claim id it starts with (:data:`CLAIM_PREFIX`): "Q1 context:
    lifts completed" -> "Lifts completed"; "Q4 follow-up: CQC says ..." -> "Follow-up: CQC says ..."."""
    match = CLAIM_PREFIX.match(text)
    if not match:
        return text
    rest = text[match.end():]
    rest = rest[:1].upper() + rest[1:]
    return f"Follow-up: {rest}" if match.group(1) == "follow-up" else rest


# A published figure's unit may say the page gave a lower bound: "visits (lower bound: 'over')", "percent (just
# over)", "GBP million (more than)".
BOUND_WORDS = re.compile(r"^(?P<unit>.*?)\s*\((?:lower bound: '(?P<quoted>[^']+)'|(?P<words>just over|more than))\)$")


def value_text(value: float, unit: str) -> str:
    """A published figure as the page put it: "more than 6,000 lifts", "just over 60%", "−13.6%", "£12,709,583",
    "segment 4", else the number and its unit ("20 contracts")."""
    bound = BOUND_WORDS.match(unit)
    words, unit = (bound["quoted"] or bound["words"], bound["unit"]) if bound else ("", unit)
    size = abs(value) if unit == "percent change" else value
    # Whole numbers in full ("12,709,583"), others as the page gave them ("13.6", "0.5").
    number = f"{size:,.0f}" if float(size).is_integer() else f"{size:,.10g}"
    if unit.endswith("segment"):
        text = f"segment {number}"
    elif unit in ("percent", "percent change"):
        text = f"{verdicts.MINUS if value < 0 else ''}{number}%"
    elif unit == "GBP":
        text = f"£{number}"
    else:
        text = f"{number} {unit}"
    return f"{words} {text}" if words else text


def published_evidence(ch: Chapter, published: pd.DataFrame) -> str:
    """The published pages' figures (``published``, :func:`published_context`) as Markdown, grouped by the claim
    they bear on in the register's order: the claim's label and verdict (for the report's ICB; the QOF claim's is in
    its own section), then each figure with what it is, its period and its page, linked. Every text from the table
    is escaped."""
    blocks = []
    for cid, rows in published.groupby("claim", sort=False):
        claim = ch.register[cid]
        head = f"**{escape.markdown(claim['label'])}.**"
        if ch.about_report and cid != QOF_CLAIM:
            verdict = ch.judge(claim)
            said = (f"**{verdicts.SAID[claims.STATED_ONLY]}.** {escape.markdown(claim['reason'])}"
                    if verdict.status == claims.STATED_ONLY else ch.graded(verdict))
            head += f" {said}"
        elif cid == QOF_CLAIM:
            head += " Context for the section above."
        items = []
        for r in rows.itertuples():
            value = "" if pd.isna(r.value) else f"**{escape.markdown(value_text(r.value, r.unit))}**: "
            items.append(f"- {value}{escape.markdown(reader_description(r.description))} "
                         f"({escape.markdown(r.period)}). {finance.linked_citation(r._asdict())}.")
        blocks.append("\n".join([head, "", *items]))
    return "\n\n".join(blocks)
