"""Per-head funding measures for every ICB, and ranks among them.

All functions are pure: DataFrames in, DataFrames or numbers out. Ranks count from 1 = highest value, and tied
values share the best rank of the tie (1, 2, 2, 4), the convention of published league tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sots.inputs.data import projection_years


@dataclass(frozen=True)
class Measure:
    """A benchmark measure: its column in :func:`funding_measures`, a label for charts and prose, and its unit."""

    key: str
    rank_key: str
    label: str
    unit: str
    fmt: str  # how prose and tables show a value, e.g. "£{:,.0f}"
    method: str

    def show(self, value: float) -> str:
        return self.fmt.format(value)


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "core_allocation_per_head_gbp",
            "core_allocation_per_head_rank",
            "Core allocation per registered head",
            "GBP per registered person",
            "£{:,.0f}",
            "Core services recurrent allocation (£) divided by the GP-registered population, summed over practices.",
        ),
        Measure(
            "core_allocation_per_weighted_head_gbp",
            "core_allocation_per_weighted_head_rank",
            "Core allocation per weighted head",
            "GBP per need-weighted person",
            "£{:,.0f}",
            "Core services recurrent allocation (£) divided by the core need-weighted population ('Final WP').",
        ),
        Measure(
            "distance_from_target_pct",
            "distance_from_target_rank",
            "Distance from target",
            "per cent",
            "{:+.2f}%",
            "NHS England's core distance from target after convergence: (allocation - fair-shares target) / target.",
        ),
    )
}


def per_head(amount_gbp_k: pd.Series, persons: pd.Series) -> pd.Series:
    """Pounds per person, from an amount in £ thousands and a population in persons."""
    return amount_gbp_k * 1000.0 / persons


def rank_desc(values: pd.Series) -> pd.Series:
    """Rank with 1 = highest; ties share the best rank of the tie (1, 2, 2, 4). Missing values stay missing."""
    return values.rank(ascending=False, method="min").astype("Int64")


def funding_measures(allocations: pd.DataFrame, weighted: pd.DataFrame) -> pd.DataFrame:
    """Every ICB's funding measures and ranks, one row per ICB and year.

    Inputs are the prepared ``icb_allocations`` and ``icb_weighted_population`` tables. The result has
    ``year``, ``icb_code``, ``icb_name``, ``region_name``, the populations (persons), ``need_index`` (core weighted
    ÷ registered, a ratio), each measure of :data:`MEASURES` (its unit in the name) and its ``rank_key`` (rank
    within the year).
    """
    df = allocations.merge(weighted, on=["year", "icb_code"], how="inner", validate="one_to_one")
    out = df[["year", "icb_code", "icb_name", "region_name", "registered_population_persons", "core_weighted_persons"]]
    out = out.assign(
        need_index=df["core_weighted_persons"] / df["registered_population_persons"],
        core_allocation_per_head_gbp=per_head(
            df["core_recurrent_allocation_gbp_k"], df["registered_population_persons"]
        ),
        core_allocation_per_weighted_head_gbp=per_head(
            df["core_recurrent_allocation_gbp_k"], df["core_weighted_persons"]
        ),
        distance_from_target_pct=df["core_dft_post_convergence_frac"] * 100.0,
    )
    for key in MEASURES:
        out[MEASURES[key].rank_key] = out.groupby("year")[key].transform(rank_desc).astype("Int64")
    return out.sort_values(["year", "icb_code"], ignore_index=True)


def england_values(allocations: pd.DataFrame, weighted: pd.DataFrame) -> pd.DataFrame:
    """England's value of each per-head measure by year (totals over all ICBs), for reference lines.

    Distance from target for England is the total allocation against the total target implied by each ICB's
    distance, so it is the allocation-weighted position of the whole country (a per cent); NaN for a year in which
    NHS England did not publish every ICB's distance.
    """
    df = allocations.merge(weighted, on=["year", "icb_code"], validate="one_to_one")
    target = df["core_recurrent_allocation_gbp_k"] / (1 + df["core_dft_post_convergence_frac"])
    g = df.assign(target=target).groupby("year")
    totals = g[["core_recurrent_allocation_gbp_k", "registered_population_persons", "core_weighted_persons", "target"]]
    t = totals.sum()
    # A year in which any ICB's distance from target is unpublished has no England figure: a partial sum is not one.
    t["target"] = t["target"].where(~target.isna().groupby(df["year"]).any())
    return pd.DataFrame(
        {
            "core_allocation_per_head_gbp": per_head(
                t["core_recurrent_allocation_gbp_k"], t["registered_population_persons"]
            ),
            "core_allocation_per_weighted_head_gbp": per_head(
                t["core_recurrent_allocation_gbp_k"], t["core_weighted_persons"]
            ),
            "distance_from_target_pct": (t["core_recurrent_allocation_gbp_k"] / t["target"] - 1) * 100.0,
        }
    ).reset_index()


def not_published(year: str) -> str:
    """What a table shows for a measure its publisher did not publish for ``year``."""
    return f"not published for {year}"


def focal_summary(measures: pd.DataFrame, england: pd.DataFrame, icb_code: str) -> pd.DataFrame:
    """One row per measure and year for one ICB: its value, its rank (1 = highest) among the ICBs with a value, and
    England's value.

    Values are shown as text in each measure's own unit (£ or per cent), ready for a table; a value not published
    for the year shows as "not published for <year>" (:func:`not_published`), with no rank.
    """
    rows = []
    eng = england.set_index("year")
    for _, row in measures[measures["icb_code"] == icb_code].sort_values("year").iterrows():
        year = measures[measures["year"] == row["year"]]
        for m in MEASURES.values():
            show = lambda v, m=m: not_published(row["year"]) if pd.isna(v) else m.show(v)  # noqa: E731
            ranked = int(year[m.key].count())  # the ICBs with a value that year
            rows.append(
                {
                    "Measure": m.label,
                    "Year": row["year"],
                    "Value": show(row[m.key]),
                    "Rank": "–" if pd.isna(row[m.rank_key]) else f"{int(row[m.rank_key])} of {ranked}",
                    "England": show(eng.loc[row["year"], m.key]),
                }
            )
    return pd.DataFrame(rows)


def league_table(measures: pd.DataFrame, year: str) -> pd.DataFrame:
    """Every ICB's measures in one year, ranked by allocation per weighted head, with readable column names."""
    columns = {
        # The ICB first: on a phone the first column stays in view as the table scrolls (sots.css).
        "short_name": "ICB",
        "core_allocation_per_weighted_head_rank": "Rank (weighted)",
        "region_name": "Region",
        "registered_population_persons": "Registered population",
        "need_index": "Need index",
        "core_allocation_per_head_gbp": "£ per registered head",
        "core_allocation_per_weighted_head_gbp": "£ per weighted head",
        "distance_from_target_pct": "Distance from target (%)",
    }
    one_year = measures[measures["year"] == year].sort_values(["core_allocation_per_weighted_head_rank", "icb_code"])
    return one_year[list(columns)].rename(columns=columns).reset_index(drop=True)


# --- Acute spend: an activity-based estimate, and the acute trusts' accounts --------------------------------------

ACUTE_MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "acute_cost_per_head_gbp",
            "acute_cost_per_head_rank",
            "Activity-based acute cost per head",
            "GBP per person per year",
            "£{:,.0f}",
            "Σ over age (17 to 90+), sex and priced activity of 2022 activity per person × ONS resident population × "
            "national average unit cost, divided by the resident population (all ages). Registered patients are "
            "assumed to cost what residents do, so this is also £ per registered head.",
        ),
        Measure(
            "acute_cost_per_ga_weighted_head_gbp",
            "acute_cost_per_ga_weighted_head_rank",
            "Activity-based acute cost per G&A weighted head",
            "GBP per general and acute need-weighted person per year",
            "£{:,.0f}",
            "Activity-based acute cost per head × registered population ÷ general and acute (G&A) need-weighted "
            "population, assuming registered patients cost what residents do.",
        ),
    )
}

TRUST_MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "acute_trust_opex_per_head_gbp",
            "acute_trust_opex_per_head_rank",
            "Acute trusts' spending per registered head",
            "GBP per registered person",
            "£{:,.0f}",
            "Total operating expenditure (TAC EXP0390) of the acute trusts an ICB hosts, divided by its registered "
            "population; ranked among the ICBs the trust file names by their own code.",
        ),
        Measure(
            "acute_trust_opex_per_ga_weighted_head_gbp",
            "acute_trust_opex_per_ga_weighted_head_rank",
            "Acute trusts' spending per G&A weighted head",
            "GBP per general and acute need-weighted person",
            "£{:,.0f}",
            "Total operating expenditure of the acute trusts an ICB hosts, divided by its general and acute "
            "need-weighted population; ranked among the ICBs the trust file names by their own code.",
        ),
    )
}


def activity_cost(
    rates: pd.DataFrame, unit_costs: pd.DataFrame, population: pd.DataFrame, cost_year: str,
    population_year: int = 2022, variant: str = "v1",
) -> pd.DataFrame:
    """Activity-based acute cost (£ a year) and resident population (persons, all ages) of every area with rates.

    For each area: Σ over sex, age and priced activity of activity per person (``activity_rates``, 2022) × the
    ``population_year`` population of that age and sex (``population_projection``, ``variant``) × the national unit
    cost of ``cost_year`` (``unit_costs``), through :func:`sots.analysis.budget.cost_per_person_total`. Rates start at
    17, so under-17s add nothing to the cost but count in the population. Returns ``area_code``, ``acute_cost_gbp``,
    ``resident_population_persons``, ``acute_cost_per_head_gbp`` (£ per resident a year).
    """
    from sots.analysis import budget

    column = "persons"
    if population_year not in projection_years(population):
        raise ValueError(f"no population for {population_year} (years: {projection_years(population)})")
    chosen = (population["variant"] == variant) & (population["year"] == population_year)
    pop = population[chosen][["area_code", "sex", "age", column]]
    per_person = budget.cost_per_person_total(rates, unit_costs, cost_year)
    priced = per_person.merge(pop, on=["area_code", "sex", "age"], how="left", validate="one_to_one")
    if priced[column].isna().any():
        missing = sorted(priced.loc[priced[column].isna(), "area_code"].unique())
        raise ValueError(f"no {variant} population for {missing} in {population_year}")
    cost = (priced["cost_gbp"] * priced[column]).groupby(priced["area_code"]).sum()
    residents = pop.groupby("area_code")[column].sum()
    out = pd.DataFrame({"acute_cost_gbp": cost, "resident_population_persons": residents.reindex(cost.index)})
    out["acute_cost_per_head_gbp"] = out["acute_cost_gbp"] / out["resident_population_persons"]
    return out.rename_axis("area_code").reset_index()


def acute_spend_measures(cost: pd.DataFrame, lookup: pd.DataFrame, weighted: pd.DataFrame, year: str) -> pd.DataFrame:
    """Every ICB's activity-based acute cost per head and per G&A weighted head (£ a year), with ranks.

    ``cost`` is from :func:`activity_cost`; ``lookup`` the ``icb_lookup`` table (GSS codes); ``weighted`` the
    ``icb_weighted_population`` table, whose ``year`` gives the registered and G&A weighted populations. Per G&A
    weighted head = per resident head × registered ÷ G&A weighted population: registered patients are assumed to cost
    what residents do, which keeps numerator and denominator on one population. Ranks: 1 = highest, ties share.
    """
    wp = weighted[weighted["year"] == year][
        ["year", "icb_code", "registered_population_persons", "ga_weighted_persons"]
    ]
    if wp.empty:
        raise ValueError(f"no weighted populations for {year} (years: {sorted(weighted['year'].unique())})")
    df = lookup[["icb_code", "icb_gss_code"]].merge(
        cost.rename(columns={"area_code": "icb_gss_code"}), on="icb_gss_code", how="left", validate="one_to_one"
    ).merge(wp, on="icb_code", how="left", validate="one_to_one")
    # Every ICB has a cost and a registered population; a G&A weighted population NHS England did not publish leaves
    # the measure per G&A weighted head missing (and unranked) for that ICB, never filled from another measure.
    if df["acute_cost_gbp"].isna().any() or df["registered_population_persons"].isna().any():
        missing = sorted(df.loc[df["acute_cost_gbp"].isna() | df["registered_population_persons"].isna(), "icb_code"])
        raise ValueError(f"no activity-based cost or registered population for {missing} ({year})")
    df["acute_cost_per_ga_weighted_head_gbp"] = (
        df["acute_cost_per_head_gbp"] * df["registered_population_persons"] / df["ga_weighted_persons"]
    )
    for m in ACUTE_MEASURES.values():
        df[m.rank_key] = rank_desc(df[m.key])
    columns = ["year", "icb_code", "icb_gss_code", "acute_cost_gbp", "resident_population_persons",
               "registered_population_persons", "ga_weighted_persons", *ACUTE_MEASURES,
               *(m.rank_key for m in ACUTE_MEASURES.values())]
    return df[columns].sort_values("icb_code", ignore_index=True)


def acute_spend_england(
    cost: pd.DataFrame, weighted: pd.DataFrame, year: str, england: str = "E92000001",
) -> pd.DataFrame:
    """England's activity-based acute cost per head and per G&A weighted head (one row), for reference lines.

    Per head is England's cost over its resident population; per G&A weighted head scales it by England's registered
    over G&A weighted population (totals over all ICBs in ``year``; NaN if any is unpublished).
    """
    row = cost.set_index("area_code").loc[england]
    wp = weighted[weighted["year"] == year]
    per_head = row["acute_cost_per_head_gbp"]
    return pd.DataFrame({
        "year": [year],
        "acute_cost_per_head_gbp": [per_head],
        "acute_cost_per_ga_weighted_head_gbp": [
            # NaN if any ICB's G&A weighted population is unpublished: a partial sum is not England's
            per_head * wp["registered_population_persons"].sum() / wp["ga_weighted_persons"].sum(skipna=False)
        ],
    })


def acute_trust_measures(trust_totals: pd.DataFrame, weighted: pd.DataFrame, year: str) -> pd.DataFrame:
    """Acute trusts' operating expenditure per registered and per G&A weighted head (£), for the ICBs in
    ``trust_totals`` (from :func:`sots.analysis.finance.trust_opex_by_icb`), ranked among them only (1 = highest)."""
    wp = weighted[weighted["year"] == year][
        ["year", "icb_code", "registered_population_persons", "ga_weighted_persons"]
    ]
    df = trust_totals.merge(wp, on="icb_code", how="inner", validate="one_to_one")
    df["acute_trust_opex_per_head_gbp"] = df["acute_trust_opex_gbp"] / df["registered_population_persons"]
    df["acute_trust_opex_per_ga_weighted_head_gbp"] = df["acute_trust_opex_gbp"] / df["ga_weighted_persons"]
    for m in TRUST_MEASURES.values():
        df[m.rank_key] = rank_desc(df[m.key])
    return df.sort_values("icb_code", ignore_index=True)


def focal_ranks(df: pd.DataFrame, measures: dict[str, Measure], icb_code: str,
                england: pd.DataFrame | None = None, basis: str = "") -> pd.DataFrame:
    """One row per measure and year for one ICB: ``measure``, ``label``, ``year``, ``basis``, ``value``, ``rank``,
    ``n`` (ICBs ranked) and ``england`` (England's value, if ``england`` gives it by year).

    ``df`` has one row per ICB (and year), the measures' keys and rank keys. An ICB not in ``df`` gets no rows.
    """
    eng = england.set_index("year") if england is not None else None
    rows = []
    for _, row in df[df["icb_code"] == icb_code].sort_values("year").iterrows():
        year = df[df["year"] == row["year"]]
        for m in measures.values():
            published = pd.notna(row[m.key])
            rows.append({
                "measure": m.key, "label": m.label, "year": row["year"], "basis": basis,
                "value": float(row[m.key]) if published else float("nan"),
                "rank": int(row[m.rank_key]) if published else None, "n": int(year[m.key].count()),
                "england": float(eng.loc[row["year"], m.key]) if eng is not None and m.key in eng else float("nan"),
            })
    return pd.DataFrame(rows, columns=["measure", "label", "year", "basis", "value", "rank", "n", "england"])


def rank_table(ranks: pd.DataFrame) -> pd.DataFrame:
    """:func:`focal_ranks` rows as a readable table, each value in its measure's own unit; a value not published
    for its year shows as "not published for <year>", with no rank."""
    every = {**MEASURES, **ACUTE_MEASURES, **TRUST_MEASURES}
    show = lambda key, v: "" if pd.isna(v) else every[key].show(v)  # noqa: E731
    return pd.DataFrame({
        "Measure": ranks["label"],
        "Year": ranks["year"],
        "Basis": ranks["basis"],
        "Value": [not_published(y) if pd.isna(v) else show(k, v)
                  for k, v, y in zip(ranks["measure"], ranks["value"], ranks["year"])],
        "Rank": ["–" if pd.isna(r) else f"{int(r)} of {n}" for r, n in zip(ranks["rank"], ranks["n"])],
        "England": [show(k, v) for k, v in zip(ranks["measure"], ranks["england"])],
    })


def value_at_rank(df: pd.DataFrame, key: str, rank_key: str, rank: int) -> pd.Series:
    """The first ICB row (by code) holding ``rank`` on a measure; raises ValueError if no ICB does (a tie skips it)."""
    rows = df[df[rank_key] == rank].sort_values("icb_code")
    if rows.empty:
        raise ValueError(f"no ICB ranks {rank} on {key} (ties share the best rank)")
    return rows.iloc[0]
