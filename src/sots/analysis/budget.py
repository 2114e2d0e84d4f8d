"""Hospital cost by age and sex, its growth with the population, and the growth rate that reaches a stated total.

Cost is activity priced at national average unit costs: for each activity with a unit cost (A&E attendances,
unplanned and elective admissions, day cases, outpatient first, follow-up and procedure appointments), events per
person per year × £ per event. Bed days are not priced separately, because a spell's cost includes its bed days.
It leaves out under-17s (no rates), critical care, high-cost drugs and devices, and local cost differences (the
market forces factor).
"""

from __future__ import annotations

import pandas as pd

# Readers' names for the priced activities of the activity_rates table.
ACTIVITY_LABELS = {
    "walkin": "A&E attendances (walk-in)",
    "amb": "A&E attendances (by ambulance)",
    "emer_n": "Unplanned admissions",
    "ordelec_n": "Elective admissions",
    "daycase_n": "Day cases",
    "surg_first": "Outpatient first appointments, surgical",
    "non-surg_first": "Outpatient first appointments, non-surgical",
    "surg_fup": "Outpatient follow-ups, surgical",
    "non-surg_fup": "Outpatient follow-ups, non-surgical",
    "surg_proc": "Outpatient procedures, surgical",
    "non-surg_proc": "Outpatient procedures, non-surgical",
}


def cost_per_person(rates: pd.DataFrame, unit_costs: pd.DataFrame, cost_year: str) -> pd.DataFrame:
    """Hospital cost per person per year (£) by area, sex and age, at ``cost_year``'s national unit costs.

    ``rates`` is the prepared ``activity_rates`` table (events per person per year); ``unit_costs`` the prepared
    ``unit_costs`` table (£ per event). Activities without a unit cost (bed days) are not priced. Returns
    ``area_code``, ``sex``, ``age``, ``activity``, ``cost_gbp`` (£ per person per year for that activity).
    """
    costs = unit_costs[unit_costs["year"] == cost_year][["activity", "unit_cost_gbp"]]
    if costs.empty:
        years = sorted(unit_costs["year"].unique())
        raise ValueError(f"no unit costs for {cost_year} (years available: {years})")
    priced = rates.merge(costs, on="activity", how="inner", validate="many_to_one")
    return priced.assign(cost_gbp=priced["rate"] * priced["unit_cost_gbp"])[
        ["area_code", "sex", "age", "activity", "cost_gbp"]
    ]


def cost_per_person_total(rates: pd.DataFrame, unit_costs: pd.DataFrame, cost_year: str) -> pd.DataFrame:
    """As :func:`cost_per_person`, summed over activities: ``area_code``, ``sex``, ``age``, ``cost_gbp``."""
    per_activity = cost_per_person(rates, unit_costs, cost_year)
    return per_activity.groupby(["area_code", "sex", "age"], as_index=False)["cost_gbp"].sum()


def implied_annual_growth(total_growth: float, demographic_growth: float, years: int) -> float:
    """The steady annual growth (a fraction) on top of demography that makes total growth reach ``total_growth``.

    All growth figures are fractions (0.6 = +60%). Solves (1 + demographic) × (1 + r)^years = 1 + total.
    """
    if years <= 0:
        raise ValueError(f"years must be positive, got {years}")
    return ((1 + total_growth) / (1 + demographic_growth)) ** (1 / years) - 1


def waterfall(base: float, demographic_growth: float, other_growth_pa: float, years: int) -> pd.DataFrame:
    """Steps from a base to the end year: base, + demographic, + non-demographic, end (same unit as ``base``).

    Growth compounds: demographic first, then ``other_growth_pa`` a year for ``years`` years on top of it.
    """
    after_demography = base * (1 + demographic_growth)
    end = after_demography * (1 + other_growth_pa) ** years
    return pd.DataFrame(
        {
            "step": ["Base year", "Demographic change", "Other (non-demographic) growth", "End year"],
            "start": [0.0, base, after_demography, 0.0],
            "end": [base, after_demography, end, end],
        }
    )
