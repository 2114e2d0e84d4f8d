"""Population and hospital activity projections: age bands, growth, variants, Monte Carlo and the method search.

Populations are persons at 30 June by single year of age (90 = 90+) and sex, one column per mid-year named by the
year as text ("2018", ...): the prepared (long) ``population_projection`` table pivoted by
:func:`sots.inputs.data.projection_by_year`, so the years are the projection's own. Activity is events (or bed days) per
year: the 2022 rate per person for each age and sex, times the projected population, so the only change over time is
demographic.
Growth is a fraction (0.21 = +21%) unless a name ends in ``_pct``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sots.inputs.data import projection_by_year
from sots.inputs.geography import Component

PRINCIPAL = "v1"
BANDS = {"65+": 65, "75+": 75, "85+": 85}
BED_DAYS = {"unplanned": ["emer_bds"], "all": ["emer_bds", "ordelec_bds"]}
# As The Strategy Unit's model: the principal projection 0.4 and four migration variants 0.15 each. The source holds
# only two pure migration variants (high, low); the other two are the young and old age-structure variants, which
# pair high and low migration with other assumptions. ONS's "10-year" and "zero net" migration variants are not in it.
VARIANT_WEIGHTS = {"v1": 0.40, "v6": 0.15, "v7": 0.15, "v10": 0.15, "v11": 0.15}
# The 80% interval of the rate multiplier widens by this much each year from the base: ±0.5% a year, ±5% after ten.
RATE_80PCT_HALF_WIDTH_PER_YEAR = 0.005
BED_OCCUPANCY = 0.92  # the occupancy at which bed days are turned into beds (a common NHS planning assumption)
Z80 = 2.563  # width of a normal 80% interval in standard deviations, as in The Strategy Unit's model


def year_columns(frame: pd.DataFrame) -> list[str]:
    """The year columns of a wide frame ("2018", ...), in order."""
    return sorted((c for c in frame.columns if str(c).isdigit()), key=int)


def footprint_population(
    projection: pd.DataFrame, components: list[Component], variant: str = PRINCIPAL,
) -> pd.DataFrame:
    """Persons by place, area, sex and age, one column per year, for a footprint's components and one variant.

    ``projection`` is the prepared (long) ``population_projection`` table. Each component's population is scaled by
    its age share, if it has one. Raises ValueError naming the area if the variant is not available for it.
    """
    wide = projection_by_year(projection, [c.area_code for c in components], variant)
    years = year_columns(wide)
    frames = []
    for c in components:
        rows = wide[wide["area_code"] == c.area_code]
        if rows.empty:
            raise ValueError(f"no {variant} projection for area {c.area_code}")
        rows = rows[["area_code", "sex", "age", *years]].copy()
        if c.share is not None:
            rows[years] = rows[years].mul(rows["age"].map(c.share).to_numpy(), axis=0)
        frames.append(rows.assign(place=c.place))
    return pd.concat(frames, ignore_index=True)[["place", "area_code", "sex", "age", *years]]


def variants_available(projection: pd.DataFrame, components: list[Component]) -> list[str]:
    """Variants projected for every component, principal first (v1, v2, ... v11)."""
    # One pass over the (long) projection for all the components, then each component's variants from what is left.
    pairs = projection.loc[projection["area_code"].isin([c.area_code for c in components]), ["area_code", "variant"]]
    pairs = pairs.drop_duplicates()
    sets = [set(pairs.loc[pairs["area_code"] == c.area_code, "variant"]) for c in components]
    common = set.intersection(*sets) if sets else set()
    return sorted(common, key=lambda v: int(v[1:]))


def band_totals(frame: pd.DataFrame, bands: Mapping[str, int] = BANDS, by: Iterable[str] = ()) -> pd.DataFrame:
    """Sum the year columns over ages at or above each band's lower age, plus "All ages": rows ``by`` × band.

    The sums are in the units of ``frame`` (persons, bed days, £ a year); a missing value counts as nothing.
    """
    by, years = list(by), year_columns(frame)
    if not by and years and all(frame[y].dtype == np.float64 for y in years):
        return _band_sums(frame, bands, years)
    out = []
    for band, youngest in {"All ages": 0, **bands}.items():
        part = frame[frame["age"] >= youngest]
        summed = part.groupby(by)[years].sum().reset_index() if by else part[years].sum().to_frame().T
        out.append(summed.assign(band=band))
    return pd.concat(out, ignore_index=True)[[*by, "band", *years]]


def _band_sums(frame: pd.DataFrame, bands: Mapping[str, int], years: list[str]) -> pd.DataFrame:
    """:func:`band_totals` without ``by``, for float year columns: the same sums, bit for bit, without pandas' overhead
    per band (the bed-days chapter asks for hundreds of them).

    pandas sums a float column with missing values as 0 and numpy's pairwise summation over the column's values in
    row order; summing each column as one contiguous row of numbers does exactly that. (A 2-D numpy sum would not:
    over a non-contiguous axis numpy adds in another order, and the last digit can differ.)
    """
    values = frame[years].to_numpy(dtype=np.float64)
    age = frame["age"].to_numpy()
    named = {"All ages": 0, **bands}
    sums = np.empty((len(named), len(years)))
    for i, youngest in enumerate(named.values()):
        columns = np.ascontiguousarray(values[age >= youngest].T)  # one contiguous row per year
        columns[np.isnan(columns)] = 0.0
        sums[i] = [np.add.reduce(column) for column in columns]
    return pd.DataFrame({"band": list(named), **{year: sums[:, j] for j, year in enumerate(years)}})


def growth(totals: pd.Series, base_year: int, target_year: int) -> float:
    """Growth from base to target year (a fraction), from a series indexed by year ("2023" or 2023)."""
    # Looked up by position: renaming the index to text on every call cost more than the arithmetic (the method
    # search asks for thousands of growths). KeyError for a year the series lacks, as indexing would raise.
    labels = [str(y) for y in totals.index]
    values = totals.to_numpy()

    def at(year: int):
        try:
            return values[labels.index(str(year))]
        except ValueError:
            raise KeyError(str(year)) from None

    return float(at(target_year) / at(base_year) - 1)


def activity(population: pd.DataFrame, rates: pd.DataFrame, activities: list[str]) -> pd.DataFrame:
    """Projected events (or bed days) per year: each component's 2022 rate per person × its projected population.

    ``population`` as from :func:`footprint_population`; ``rates`` the prepared ``activity_rates``. Each component
    uses its own area's rates. Ages without rates (under 17) contribute nothing. Returns the population's rows
    (place, area_code, sex, age) with one column per year, summed over ``activities``.
    """
    # Only the population's areas' rates are summed: the same sums (each group's rates are the same rows, in the same
    # order), at a fraction of the cost of grouping every area's.
    near = rates[rates["area_code"].isin(set(_text(population["area_code"])))]
    return activity_at(population, summed_rates(near, activities), activities)


def _text(column: pd.Series) -> np.ndarray:
    """A text column as a numpy array of objects: comparing those is several times faster than pandas' own."""
    return column.to_numpy(dtype=object)


def summed_rates(rates: pd.DataFrame, activities: list[str]) -> pd.DataFrame:
    """Events (or bed days) per person per year summed over ``activities``: ``area_code``, ``sex``, ``age``, ``rate``.

    ``rates`` is the prepared ``activity_rates`` (or some of its rows). For :func:`activity_at`, so a caller projecting
    many populations with the same activities sums the rates once.
    """
    names = _text(rates["activity"])
    chosen = np.zeros(len(rates), dtype=bool)
    for name in set(activities):
        chosen |= names == name
    return rates[chosen].groupby(["area_code", "sex", "age"], as_index=False)["rate"].sum()


def activity_at(population: pd.DataFrame, summed: pd.DataFrame, activities: list[str]) -> pd.DataFrame:
    """:func:`activity` from rates already summed (:func:`summed_rates` of ``activities``, which errors name)."""
    missing = set(_text(population["area_code"])) - set(_text(summed["area_code"]))
    if missing:
        raise ValueError(f"no activity rates for {sorted(missing)} ({', '.join(activities)})")
    keys = ["area_code", "sex", "age"]
    known = pd.MultiIndex.from_frame(summed[keys])
    if not known.is_unique:
        raise ValueError(f"activity rates are not unique by {keys}")
    # Each row's rate looked up by its keys rather than merged: the same rows, in the population's order (as an inner
    # merge keeps them), and the same products, without a merge's cost on every call.
    found = known.get_indexer(pd.MultiIndex.from_frame(population[keys]))
    kept = found >= 0
    rate = summed["rate"].to_numpy()[found[kept]]
    rows = population.loc[kept].reset_index(drop=True)
    years = year_columns(population)
    scaled = rows[years].mul(rate, axis=0)
    return pd.DataFrame({**{c: rows[c] for c in rows.columns if c not in years},
                         **{year: scaled[year] for year in years}})[list(population.columns)]


@dataclass(frozen=True)
class MonteCarlo:
    """Seeded Monte Carlo of growth: each run draws a variant and a rate multiplier.

    ``variant_weights`` are probabilities (renormalised over the variants available); the rate multiplier for a
    target year is 1 + z × sd × (target − base), z ~ Normal(0, 1) drawn once per run, where the 80% interval is
    ±``half_width_per_year`` a year (sd = 2 × half-width / 2.563).
    """

    runs: int = 1000
    seed: int = 2024
    variant_weights: Mapping[str, float] = field(default_factory=lambda: dict(VARIANT_WEIGHTS))
    half_width_per_year: float = RATE_80PCT_HALF_WIDTH_PER_YEAR

    def draw(self, available: list[str]) -> pd.DataFrame:
        """The runs' variant and z, reproducible from the seed."""
        weights = {v: w for v, w in self.variant_weights.items() if v in available}
        if not weights:
            weights = {PRINCIPAL: 1.0}
        names = list(weights)
        p = np.array([weights[v] for v in names], dtype=float)
        rng = np.random.default_rng(self.seed)
        variant = rng.choice(names, size=self.runs, p=p / p.sum())
        z = rng.standard_normal(self.runs)
        return pd.DataFrame({"run": np.arange(self.runs), "variant": variant, "z": z})

    def growth(self, totals_by_variant: Mapping[str, pd.Series], base_year: int, targets: list[int]) -> pd.DataFrame:
        """Growth (fraction) per run and target year: ``run``, ``variant``, ``z`` and one column per target."""
        runs = self.draw(list(totals_by_variant))
        sd = 2 * self.half_width_per_year / Z80
        for target in targets:
            ratio = runs["variant"].map({v: growth(t, base_year, target) + 1 for v, t in totals_by_variant.items()})
            runs[target] = ratio * (1 + runs["z"] * sd * (target - base_year)) - 1
        return runs


def percentiles(runs: pd.DataFrame, targets: list[int], q: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """p10, p50 and p90 (by default) of each target's growth: rows target, columns p10, p50, p90 (fractions)."""
    return pd.DataFrame({f"p{round(x * 100)}": [runs[t].quantile(x) for t in targets] for x in q}, index=targets)


def method_grid(
    series: Mapping[tuple[str, str, str, str], pd.Series], base_years: Iterable[int], target: int,
) -> pd.DataFrame:
    """Growth to ``target`` for every method: (geography, variant, measure, band) series × base year.

    ``series`` maps (geography, variant, measure, band) to totals by year. Returns one row per method and base year
    with ``growth_pct``.
    """
    rows = [
        {
            "geography": g, "variant": v, "measure": m, "band": b, "base_year": base,
            "growth_pct": growth(s, base, target) * 100,
        }
        for (g, v, m, b), s in series.items()
        for base in base_years
    ]
    return pd.DataFrame(rows)


def closest_methods(grid: pd.DataFrame, band: str, stated_pct: float, n: int = 3) -> pd.DataFrame:
    """The ``n`` methods for ``band`` whose growth is nearest the stated figure, with the gap in percentage points."""
    g = grid[grid["band"] == band].assign(gap_pp=lambda d: d["growth_pct"] - stated_pct)
    return g.reindex(g["gap_pp"].abs().sort_values(kind="stable").index).head(n).reset_index(drop=True)


METHOD_KEYS = ["geography", "variant", "measure", "base_year"]


def consistent_methods(
    grids: Mapping[str, pd.DataFrame], stated: Mapping[str, float], claims: Iterable[str],
) -> pd.DataFrame:
    """One method for several claims at once: each method's gap (points) to each claim and their total.

    ``grids`` maps claim id to its :func:`method_grid` rows for the claim's band; ``stated`` maps claim id to the
    stated growth (%). The total adds the absolute gaps over ``claims`` only (leave out claims no method reaches).
    Rows are methods (:data:`METHOD_KEYS`), sorted best first.
    """
    gaps = [g.set_index(METHOD_KEYS)["growth_pct"].sub(stated[cid]).rename(cid) for cid, g in grids.items()]
    table = pd.concat(gaps, axis=1)
    table["total_gap_pp"] = table[list(claims)].abs().sum(axis=1)
    return table.sort_values("total_gap_pp", kind="stable").reset_index()
