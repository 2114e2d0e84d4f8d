"""The hospital budget: hospital cost by age and sex projected with the population, and the growth beyond demography
that reaches the report's stated rise.

Figures (from The Strategy Unit's activity rates, NHS England's National Cost Collection and ONS projections):
``hospital_cost_demographic_growth_2038_pct`` (per cent growth from the base to the target year) and
``implied_non_demographic_growth_pa_pct`` (per cent a year). Money is in pounds (£) at the edition's unit-cost prices
unless a name says £m.

The stated rise is the report's for its own ICB: only that ICB's book gives the report's verdict on it (on the figures
of the report's own year, in every edition). Another ICB's book shows what the same rise would need there, as a
scenario, ungraded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from IPython.display import Markdown

from sots import escape
from sots.analysis import budget, claims, demand, verdicts
from sots.chapters.context import Chapter
from sots.inputs import geography

CLAIM = "hospital_budget_growth_2038_pct"  # the register's key of the claim this chapter checks


@dataclass(frozen=True)
class Budget:
    """What the chapter's charts and tables draw on, and the headline numbers behind its figures."""

    population: pd.DataFrame  # persons by place, area, sex and age; one column per year (the exact footprint)
    rates: pd.DataFrame  # £ per person per year by area, sex, age and activity, in a column named ``rate``
    cost: pd.DataFrame  # £ a year by place, area, sex and age; one column per year
    total: pd.Series  # £ a year, all ages, by year ("2023")
    base_year: int
    target_year: int
    cost_year: str  # the National Cost Collection year of the prices, e.g. "2023/24"
    claimed_pct: float  # the report's stated growth to the target year, per cent
    demographic_growth: float  # growth of the total from base to target year, a fraction
    implied_growth: float  # steady yearly growth on top of demography that reaches the stated rise, a fraction

    @property
    def years(self) -> int:
        """Years from the base to the target year."""
        return self.target_year - self.base_year

    @property
    def activities(self) -> list[str]:
        """The priced activities, sorted."""
        return sorted(self.rates["activity"].unique())


def priced_rates(activity_rates: pd.DataFrame, unit_costs: pd.DataFrame, cost_year: str) -> pd.DataFrame:
    """Cost per person as a rate like any other: £ per person per year by area, sex, age and activity (``rate``).

    So :func:`sots.analysis.demand.activity` projects cost exactly as it projects events.
    """
    return budget.cost_per_person(activity_rates, unit_costs, cost_year).rename(columns={"cost_gbp": "rate"})


def total_cost(population: pd.DataFrame, rates: pd.DataFrame) -> pd.Series:
    """£ a year, all ages and activities, by year: ``rates`` (see :func:`priced_rates`) times ``population``."""
    cost = demand.activity(population, rates, sorted(rates["activity"].unique()))
    return demand.band_totals(cost, {}).set_index("band").loc["All ages"]


def record(ch: Chapter, cost_year: str, base_year: int, target_year: int) -> Budget:
    """Record the demographic growth in hospital cost and the yearly growth on top that reaches the stated rise.

    Glues the values the key findings quote; returns what the charts and tables draw on.
    """
    components = geography.footprint(ch.focal["icb_gss_code"], ch.table("population_estimates"))
    population = demand.footprint_population(ch.table("population_projection"), components)
    rates = priced_rates(ch.table("activity_rates"), ch.table("unit_costs"), cost_year)
    cost = demand.activity(population, rates, sorted(rates["activity"].unique()))
    total = demand.band_totals(cost, {}).set_index("band").loc["All ages"]
    years = target_year - base_year
    g_dem = demand.growth(total, base_year, target_year)
    claimed = claims.by_key(ch.register, CLAIM)["stated"]
    r = budget.implied_annual_growth(claimed / 100, g_dem, years)

    method = (f"2022 activity per person by age and sex, priced at {cost_year} national average unit costs "
              "(admissions, day cases, A&E and outpatient appointments), times the ONS 2018-based principal projection "
              "for the footprint; growth in the total from base to target year.")
    ch.figure("hospital_cost_demographic_growth_2038_pct", g_dem * 100, unit="per cent growth", method=method,
              base_year=base_year, target_year=target_year, unit_cost_year=cost_year)
    ch.figure("implied_non_demographic_growth_pa_pct", r * 100, unit="per cent a year",
              method=f"Steady yearly growth r with (1 + demographic growth) x (1 + r)^{years} = 1 + {claimed:g}%.",
              base_year=base_year, target_year=target_year, claimed_growth_pct=claimed)
    made = Budget(population=population, rates=rates, cost=cost, total=total, base_year=base_year,
                  target_year=target_year, cost_year=cost_year, claimed_pct=claimed, demographic_growth=g_dem,
                  implied_growth=r)
    glue_prose(ch, made)
    return made


def glue_prose(ch: Chapter, b: Budget) -> None:
    """Glue the names, years and £m the key findings quote, the introduction, and the finding on the stated rise:
    the report's verdict for its own ICB, a scenario for another."""
    said, use = intro(ch, b)
    ch.glue("report_said", said)
    ch.glue("intro_use", use)
    ch.glue("icb_name", ch.focal["icb_name"])
    ch.glue("base_year", b.base_year)
    ch.glue("target_year", b.target_year)
    ch.glue("cost_year", b.cost_year)
    ch.glue("base_cost_m", b.total[str(b.base_year)] / 1e6)
    ch.glue("target_cost_m", b.total[str(b.target_year)] / 1e6)
    ch.glue("claim_finding", Markdown(claim_finding(ch, b) if ch.about_report else scenario_finding(ch, b)))
    ch.glue("implied_text", implied_text(ch, b))


def stated_rise(ch: Chapter, b: Budget) -> str:
    """The report's claim in words, with its stated rise (per cent) and year: whose budget it is, for another ICB."""
    whose = "the" if ch.about_report else f"{ch.reported_about}'s"
    return (f"if nothing changed, {whose} hospital budget would have to rise by {b.claimed_pct:g}% by {b.target_year} "
            "to deliver today's level of care")


def intro(ch: Chapter, b: Budget) -> tuple[str, str]:
    """The chapter's opening sentence (what the report says) and its closing one (what the chapter does with the
    stated rise: a scenario, for another ICB than the report's)."""
    use = ("It then finds the steady yearly growth on top of demography that would take the total to the report's "
           "figure." if ch.about_report else
           f"It then finds the steady yearly growth on top of demography that would take {ch.who}'s total up by as "
           "much, as a scenario.")
    return f"The report says that {stated_rise(ch, b)}.", use


def claim_finding(ch: Chapter, b: Budget) -> str:
    """For the report's ICB: the report's claim and its verdict, with the numbers it was computed on (the report's own
    year's); in a later edition, what this edition's prices give (Markdown)."""
    verdict = ch.verdict(CLAIM)
    return " ".join(filter(None, [
        f"The report says that {stated_rise(ch, b)}.", ch.graded(verdict), later_growth(ch, b, verdict),
        "The report says neither whether its figure is in cash or real terms nor what it includes beyond demography."]))


def later_growth(ch: Chapter, b: Budget, verdict: claims.Verdict) -> str:
    """In a later edition, the growth beyond demography (per cent a year) that this edition's prices need for the
    stated rise, against the report's year's; "" in the report's edition, or with no figure of the report's year."""
    if ch.in_report_edition or verdict.assumed is None:
        return ""
    now, before = b.implied_growth * 100, verdict.assumed[0]
    same = verdicts.shown(now, "per cent a year", 2)
    if same == verdicts.shown(before, "per cent a year", 2):
        return f"At {b.cost_year} prices, the stated rise would need the same growth beyond demography, {same}."
    mine, theirs = verdicts.apart(now, before, "per cent a year", 2)
    return (f"At {b.cost_year} prices, the stated rise would need {mine} of growth beyond demography, against "
            f"{theirs} at {ch.report_year} prices.")


def scenario_finding(ch: Chapter, b: Budget) -> str:
    """For another ICB than the report's: what the report's stated rise, named as its own ICB's, would need here as a
    scenario, with no verdict (Markdown, the names from the data escaped)."""
    return (f"As a scenario, a rise of {b.claimed_pct:g}% by {b.target_year} (the report's figure for "
            f"{escape.markdown(ch.reported_about)}) would need {escape.markdown(ch.who)}'s hospital costs per person "
            f"to grow by **{b.implied_growth * 100:.2f}% a year** for {b.years} years on top of demography.")


def implied_text(ch: Chapter, b: Budget) -> str:
    """The sentence introducing the waterfall that reaches the stated rise: whose figure it is, for another ICB."""
    if ch.about_report:
        return "The same waterfall with the yearly growth that reaches the report's figure:"
    return (f"The same waterfall with the yearly growth that would reach +{b.claimed_pct:g}%, the report's figure for "
            f"{ch.reported_about}:")


def age_profile(b: Budget) -> pd.DataFrame:
    """Average hospital cost per resident (£ a year) by sex and age, at the base year's population: sex, age, value."""
    base = str(b.base_year)
    profile = b.cost.groupby(["sex", "age"])[base].sum() / b.population.groupby(["sex", "age"])[base].sum()
    return profile.dropna().rename("value").reset_index()


def by_activity(b: Budget) -> pd.DataFrame:
    """Each priced activity's cost in the base and target years (£m) and its growth (per cent)."""
    base, target = f"£m in {b.base_year}", f"£m in {b.target_year}"
    parts = []
    for name in b.activities:
        one = demand.activity(b.population, b.rates, [name])
        parts.append({"Activity": budget.ACTIVITY_LABELS.get(name, name), base: one[str(b.base_year)].sum() / 1e6,
                      target: one[str(b.target_year)].sum() / 1e6})
    split = pd.DataFrame(parts)
    split["Growth (%)"] = (split[target] / split[base] - 1) * 100
    return split


def by_activity_formats(b: Budget) -> dict[str, str]:
    """The display formats of :func:`by_activity`'s columns."""
    return {f"£m in {b.base_year}": "{:,.1f}", f"£m in {b.target_year}": "{:,.1f}", "Growth (%)": "{:+.1f}"}


def scenario_steps(b: Budget, other_growth_pa_pct: float) -> pd.DataFrame:
    """The waterfall (£m) from the base year's cost: demography, then ``other_growth_pa_pct`` per cent a year."""
    steps = budget.waterfall(b.total[str(b.base_year)] / 1e6, b.demographic_growth, other_growth_pa_pct / 100, b.years)
    steps["step"] = [f"{b.base_year}", "Demography", f"Other: {other_growth_pa_pct:g}% a year", f"{b.target_year}"]
    return steps


def implied_steps(b: Budget) -> pd.DataFrame:
    """The waterfall (£m) with the yearly growth on top of demography that reaches the stated rise."""
    steps = budget.waterfall(b.total[str(b.base_year)] / 1e6, b.demographic_growth, b.implied_growth, b.years)
    steps["step"] = [f"{b.base_year}", "Demography", f"Other: {b.implied_growth * 100:.2f}% a year",
                     f"{b.target_year}"]
    return steps


def implied_title(b: Budget) -> str:
    """The title of :func:`implied_steps`' chart."""
    return f"Hospital cost reaching +{b.claimed_pct:g}% by {b.target_year}"


def footprint_effect(ch: Chapter, b: Budget) -> pd.DataFrame:
    """The figures on the exact footprint against the ICB's published ONS series (for Lancashire and South Cumbria,
    with and without Eden): demographic growth (per cent) and other growth needed (per cent a year), and the gap;
    glue the sentence on what removing Eden changes, or that the two are the same series."""
    published = demand.footprint_population(ch.table("population_projection"),
                                            geography.footprint(ch.focal["icb_gss_code"], exact=False))
    g_pub = demand.growth(total_cost(published, b.rates), b.base_year, b.target_year)
    r_pub = budget.implied_annual_growth(b.claimed_pct / 100, g_pub, b.years)
    table = pd.DataFrame([
        {"Figure": f"Demographic growth to {b.target_year} (%)", "This book": b.demographic_growth * 100,
         "Published ICB series": g_pub * 100},
        {"Figure": "Other growth needed (% a year)", "This book": b.implied_growth * 100,
         "Published ICB series": r_pub * 100},
    ]).assign(**{"Difference (points)": lambda d: d["This book"] - d["Published ICB series"]})
    exact = geography.footprint(ch.focal["icb_gss_code"], ch.table("population_estimates"))
    corrected = exact != geography.footprint(ch.focal["icb_gss_code"], exact=False)
    gaps = table["Difference (points)"].abs()
    ch.glue("eden_text", f"Removing Eden moves the demographic growth by {points(gaps.iloc[0])} and the other "
            f"growth needed by {points(gaps.iloc[1])} a year." if corrected else
            f"{ch.who}'s published ONS series is used as it is, so the two columns are the same.")
    return table


def points(gap: float) -> str:
    """A gap (percentage points, not negative) to two decimals: '0.08 points', or 'less than 0.01 points' where two
    decimals would print a real difference as none."""
    return f"{gap:.2f} points" if round(gap, 2) > 0 or gap == 0 else "less than 0.01 points"


FOOTPRINT_FORMATS = {"This book": "{:.2f}", "Published ICB series": "{:.2f}", "Difference (points)": "{:+.2f}"}
