"""The chapter assumptions an analyst may change with ``sots build -p NAME=VALUE``, and the values each may take.

A value outside its range stops the build in one line before any work, so ``-p runs=0`` or
``-p non_demographic_growth_pa_pct=nan`` never reaches a notebook and no published figure rests on an impossible
assumption. Years and projection variants are read from the prepared projection, so a new projection vintage moves
the ranges with it. Every parameter a chapter declares, other than those the edition and the build set, needs an
entry in :func:`limits` (a unit test checks each notebook's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sots.errors import InputError
from sots.inputs.data import plain_number, projection_years

FIRST_HORIZON = 2033  # the earliest year the chapters project to (the report's ten-year horizon)


@dataclass(frozen=True)
class Assumption:
    """What one assumption means and the values it may take: a closed range of numbers, or a list of choices."""

    meaning: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        return f"a number from {plain_number(self.low)} to {plain_number(self.high)}"

    def allows(self, value: object) -> bool:
        if self.choices:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        return self.low <= value <= self.high


def limits(projection: pd.DataFrame, icb_gss: str) -> dict[str, Assumption]:
    """Each assumption's allowed values, for a focal ICB (ONS code) and the prepared ``population_projection``."""
    years = projection_years(projection)
    first, last = years[0], years[-1]
    variants = projection.loc[projection["area_code"] == icb_gss, "variant"].unique()
    return {
        "base_year": Assumption(f"the mid-year growth is measured from (before {FIRST_HORIZON}, the first horizon)",
                                first, FIRST_HORIZON - 1),
        "target_year": Assumption("the year hospital cost growth is measured to", first + 1, last),
        "population_year": Assumption("the mid-year of the resident population", first, last),
        "variant": Assumption("the projection variant (those published for this ICB)",
                              choices=tuple(sorted(variants, key=lambda v: int(v[1:])))),
        "runs": Assumption("Monte Carlo runs", 1, 100_000),
        "seed": Assumption("the Monte Carlo seed", 0, 2**32 - 1),
        "non_demographic_growth_pa_pct": Assumption("yearly growth of hospital cost beyond demography (per cent)",
                                                    -10.0, 20.0),
    }


# Pairs of assumptions that must be in this order wherever one chapter takes both: (earlier, later).
ORDERED = (("base_year", "target_year"),)


def check(values: dict[str, object], allowed: dict[str, Assumption], chapter: str) -> None:
    """InputError naming the parameter for the first value of ``values`` (name -> typed value, as one chapter would
    run with them) that is outside its range or out of order."""
    for name, value in values.items():
        if name not in allowed:
            raise InputError(f"parameter '{name}': {chapter} declares it, but sots.analysis.assumptions gives no "
                             f"range for it")
        if not allowed[name].allows(value):
            raise InputError(f"parameter '{name}': expected {allowed[name].expected} ({allowed[name].meaning}), "
                             f"got {value!r}")
    for earlier, later in ORDERED:
        if earlier in values and later in values and not values[earlier] < values[later]:
            raise InputError(f"parameter '{earlier}': expected a year before {later} ({values[later]!r}) in {chapter}, "
                             f"got {values[earlier]!r}")
