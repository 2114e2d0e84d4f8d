"""Per-head funding measures for every ICB, and ranks among them.

All functions are pure: DataFrames in, DataFrames or numbers out. Ranks count from 1 = highest value, and tied
values share the best rank of the tie (1, 2, 2, 4), the convention of published league tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


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
        core_allocation_per_head_gbp=per_head(df["core_recurrent_allocation_gbp_k"], df["registered_population_persons"]),
        core_allocation_per_weighted_head_gbp=per_head(df["core_recurrent_allocation_gbp_k"], df["core_weighted_persons"]),
        distance_from_target_pct=df["core_dft_post_convergence_frac"] * 100.0,
    )
    for key in MEASURES:
        out[MEASURES[key].rank_key] = out.groupby("year")[key].transform(rank_desc).astype("Int64")
    return out.sort_values(["year", "icb_code"], ignore_index=True)


def england_values(allocations: pd.DataFrame, weighted: pd.DataFrame) -> pd.DataFrame:
    """England's value of each per-head measure by year (totals over all ICBs), for reference lines.

    Distance from target for England is the total allocation against the total target implied by each ICB's
    distance, so it is the allocation-weighted position of the whole country (a per cent).
    """
    df = allocations.merge(weighted, on=["year", "icb_code"], validate="one_to_one")
    target = df["core_recurrent_allocation_gbp_k"] / (1 + df["core_dft_post_convergence_frac"])
    g = df.assign(target=target).groupby("year")
    totals = g[["core_recurrent_allocation_gbp_k", "registered_population_persons", "core_weighted_persons", "target"]]
    t = totals.sum()
    return pd.DataFrame(
        {
            "core_allocation_per_head_gbp": per_head(t["core_recurrent_allocation_gbp_k"], t["registered_population_persons"]),
            "core_allocation_per_weighted_head_gbp": per_head(t["core_recurrent_allocation_gbp_k"], t["core_weighted_persons"]),
            "distance_from_target_pct": (t["core_recurrent_allocation_gbp_k"] / t["target"] - 1) * 100.0,
        }
    ).reset_index()


def focal_summary(measures: pd.DataFrame, england: pd.DataFrame, icb_code: str) -> pd.DataFrame:
    """One row per measure and year for one ICB: its value, its rank (1 = highest) and England's value.

    Values are shown as text in each measure's own unit (£ or per cent), ready for a table.
    """
    rows = []
    eng = england.set_index("year")
    for _, row in measures[measures["icb_code"] == icb_code].sort_values("year").iterrows():
        for m in MEASURES.values():
            rows.append(
                {
                    "Measure": m.label,
                    "Year": row["year"],
                    "Value": m.show(row[m.key]),
                    "Rank": f"{int(row[m.rank_key])} of {int((measures['year'] == row['year']).sum())}",
                    "England": m.show(eng.loc[row["year"], m.key]),
                }
            )
    return pd.DataFrame(rows)


def league_table(measures: pd.DataFrame, year: str) -> pd.DataFrame:
    """Every ICB's measures in one year, ranked by allocation per weighted head, with readable column names."""
    columns = {
        "core_allocation_per_weighted_head_rank": "Rank (weighted)",
        "short_name": "ICB",
        "region_name": "Region",
        "registered_population_persons": "Registered population",
        "need_index": "Need index",
        "core_allocation_per_head_gbp": "£ per registered head",
        "core_allocation_per_weighted_head_gbp": "£ per weighted head",
        "distance_from_target_pct": "Distance from target (%)",
    }
    one_year = measures[measures["year"] == year].sort_values(["core_allocation_per_weighted_head_rank", "icb_code"])
    return one_year[list(columns)].rename(columns=columns).reset_index(drop=True)


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 22 -> '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
