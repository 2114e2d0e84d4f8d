"""Deprivation of wards and ICBs, healthy life expectancy against the pension age, and the QOF hypertension proxy.

The figures behind the quality claims: the priority wards (Q6), healthy life expectancy (HLE) at birth against the
state pension age (Q8) and hypertension treated to target (Q2). All functions are pure: the prepared tables in,
DataFrames, dataclasses or numbers out, no I/O.

Units: a share is a fraction (0.4 = 40%) unless its name ends in ``_pct`` (per cent, 40.0 = 40%); a difference of
per cents is in percentage points (``_points``); HLE, ages and gaps are years. IMD ranks are those of the English
Indices of Deprivation 2019 among England's 32,844 LSOAs (1 = most deprived), deciles 1-10 (1 = the most deprived
10%). Core20 is NHS England's Core20PLUS5 definition: the most deprived 20% of England, IMD deciles 1 and 2.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from sots.analysis.benchmark import rank_desc
from sots.errors import InputError

MOST_DEPRIVED_10_DECILES = (1,)  # IMD decile 1: the most deprived 10% of England's LSOAs
CORE20_DECILES = (1, 2)  # IMD deciles 1-2: the most deprived 20% (Core20)
# The state pension age the report compares healthy life expectancy with (years): the default only, equal to claim
# Q8's stated value (a unit test holds them together); a chapter passes the register's own, claims.stated("Q8").
PENSION_AGE = 68


# --- Q6: the wards of a local authority -----------------------------------------------------------------------------


def name_key(name: str) -> str:
    """A name reduced to what two spellings of it share: case and every space ignored ("St Annes" = "st annes")."""
    return re.sub(r"\s+", "", str(name)).casefold()


def closest_name(typed: str, names: Sequence[str]) -> str | None:
    """The name in ``names`` nearest ``typed`` (compared as :func:`name_key`s), or None if there are no names."""
    keys = {name_key(n): n for n in names}
    found = difflib.get_close_matches(name_key(typed), list(keys), n=1, cutoff=0.0)
    return keys[found[0]] if found else None


def _authority_rows(lsoas: pd.DataFrame, authority: str) -> pd.DataFrame:
    """The LSOAs of the local authority whose ``lad_code`` or ``lad_name`` is ``authority`` (a name matched as
    :func:`name_key`); InputError naming the authority and the closest one if none is."""
    chosen = (lsoas["lad_code"] == authority.strip()) | (lsoas["lad_name"].map(name_key) == name_key(authority))
    if not chosen.any():
        near = closest_name(authority, sorted(lsoas["lad_name"].dropna().unique()))
        raise InputError(f"lsoa_deprivation: no local authority '{authority}' in column lad_code or lad_name "
                         f"(expected a code such as E06000009 or a name; closest: '{near}')")
    return lsoas[chosen]


def ward_deprivation(lsoas: pd.DataFrame, authority: str) -> pd.DataFrame:
    """One row per ward of a local authority: how deprived its LSOAs are, and its place among the authority's wards.

    ``lsoas`` is the prepared ``lsoa_deprivation`` table (one row per 2011 LSOA); ``authority`` a ``lad_code``
    (E06000009) or ``lad_name`` (case and spaces ignored). Returns ``lad_code``, ``lad_name``, ``ward_code``,
    ``ward_name``, ``lsoas`` (LSOAs in the ward), ``most_deprived_10_share`` (fraction of the ward's LSOAs in IMD
    decile 1), ``core20_share`` (fraction in deciles 1-2), ``median_imd_rank`` (median of the LSOAs' national ranks,
    1 = most deprived; the mean of the middle two for an even count), ``place`` (1 = the most deprived ward),
    ``median_rank_place`` (the place by median rank alone, lowest first, then ward code) and ``wards`` (how many wards
    the authority has), sorted by place.

    Wards are ordered by Core20 share (highest first), then median rank (lowest first), then ward code. Core20 share
    comes first because it is the measure NHS priority-setting uses (Core20PLUS5 names the most deprived 20%), and
    it says roughly what share of the ward's residents live in such areas (LSOAs are of similar size). Many wards of
    a deprived town share the same Core20 share (often all their LSOAs), so the median rank then says how deep the
    ward's deprivation goes, without one extreme LSOA deciding it as the minimum would. The ward code only breaks
    exact ties, so every ward has its own place and the order is the same on every run;
    :func:`named_wards_against_most_deprived` says when a tie falls on the line it draws. A ward without a name (the
    names file leaves out those of the City of London and the Isles of Scilly) is named by its code; an LSOA of the
    authority with no ward code is an InputError naming it, never left out.
    """
    rows = _authority_rows(lsoas, authority)
    unplaced = rows["ward_code"].isna()
    if unplaced.any():
        raise InputError(f"lsoa_deprivation: column ward_code is empty for LSOA "
                         f"{rows.loc[unplaced, 'lsoa_code'].iloc[0]} of {authority} ({int(unplaced.sum())} LSOAs in "
                         f"all; expected every LSOA in a ward)")
    rows = rows.assign(ward_name=rows["ward_name"].fillna(rows["ward_code"]))
    decile = rows["imd_decile"]
    keyed = rows.assign(
        in_10=decile.isin(MOST_DEPRIVED_10_DECILES).astype(float), in_20=decile.isin(CORE20_DECILES).astype(float),
    )
    g = keyed.groupby(["lad_code", "lad_name", "ward_code", "ward_name"], as_index=False, sort=False)
    wards = g.agg(
        lsoas=("lsoa_code", "size"), most_deprived_10_share=("in_10", "mean"), core20_share=("in_20", "mean"),
        median_imd_rank=("imd_rank", "median"),
    )
    wards = wards.sort_values(["core20_share", "median_imd_rank", "ward_code"], ascending=[False, True, True],
                              ignore_index=True)
    wards["median_imd_rank"] = wards["median_imd_rank"].astype(float)
    wards["place"] = range(1, len(wards) + 1)
    # The order by median rank alone, for a reader who ranks wards that way: it can differ, e.g. for a ward with a
    # few very deprived LSOAs and the rest far less so.
    by_median = wards.sort_values(["median_imd_rank", "ward_code"]).index
    wards.loc[by_median, "median_rank_place"] = range(1, len(wards) + 1)
    wards["median_rank_place"] = wards["median_rank_place"].astype(int)
    wards["wards"] = len(wards)
    return wards


@dataclass(frozen=True)
class WardMatch:
    """The report's named wards against the authority's most deprived wards in the data.

    ``by`` is the place column the wards are ordered by (``place`` or ``median_rank_place``). ``named`` holds the
    named wards' rows of :func:`ward_deprivation`, in the order named; ``most_deprived`` the authority's ``n`` most
    deprived wards, in order. ``added`` are wards the data would add to the report's list (among the ``n`` most
    deprived but not named) and ``dropped`` named wards they would drop (not among the ``n``), both as the data spell
    them, in order. ``tie_at_boundary`` is True when the wards ``n``th and ``n + 1``th are equal on what ``by``
    orders them by (Core20 share and median rank, or median rank), so only the ward code separated them.
    """

    by: str
    n: int
    matches: bool
    named: pd.DataFrame
    most_deprived: pd.DataFrame
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    tie_at_boundary: bool = False


def named_wards_against_most_deprived(wards: pd.DataFrame, named: Sequence[str], by: str = "place") -> WardMatch:
    """Whether ``named`` (the report's wards) are exactly the authority's ``len(named)`` most deprived wards.

    ``wards`` is :func:`ward_deprivation` for one authority; ``by`` the order: ``place`` (Core20 share, then median
    rank) or ``median_rank_place`` (median rank alone). Names are matched ignoring case and spaces
    (:func:`name_key`). A name that is no ward of the authority, or named twice, is an InputError naming it (and the
    closest ward name); so is an empty list.
    """
    keys = {"place": ["core20_share", "median_imd_rank"], "median_rank_place": ["median_imd_rank"]}
    if by not in keys:
        raise ValueError(f"by must be one of {list(keys)}, got '{by}'")
    if not len(named):
        raise InputError("named wards: the list is empty (expected the report's ward names)")
    by_key = {name_key(w): w for w in wards["ward_name"]}
    if len(by_key) < len(wards):
        raise InputError("ward_deprivation: two wards share a name ignoring case and spaces (expected unique names)")
    where = f"wards of {wards['lad_name'].iloc[0]}" if len(wards) else "wards"
    seen: set[str] = set()
    for name in named:
        key = name_key(name)
        if key not in by_key:
            near = closest_name(name, list(wards["ward_name"]))
            raise InputError(f"named wards: '{name}' is not one of the {len(wards)} {where} (closest: '{near}')")
        if key in seen:
            raise InputError(f"named wards: '{name}' is named twice (expected each ward once)")
        seen.add(key)
    n = len(named)
    if n > len(wards):
        raise InputError(f"named wards: {n} names but only {len(wards)} {where}")
    spelt = [by_key[name_key(name)] for name in named]
    ranked = wards.sort_values(by, ignore_index=True)
    top = ranked.head(n)
    named_rows = wards.set_index("ward_name").loc[spelt].reset_index()[list(wards.columns)]
    added = [w for w in top["ward_name"] if w not in spelt]
    dropped = [w for w in ranked["ward_name"] if w in spelt and w not in set(top["ward_name"])]
    tie = False
    if n < len(ranked):
        last, following = ranked.iloc[n - 1], ranked.iloc[n]
        tie = all(last[k] == following[k] for k in keys[by])
    return WardMatch(by=by, n=n, matches=not added and not dropped, named=named_rows, most_deprived=top, added=added,
                     dropped=dropped, tie_at_boundary=tie)


# --- Q6: every ICB's Core20 share ---------------------------------------------------------------------------------


def icb_core20_share(lsoas: pd.DataFrame) -> pd.DataFrame:
    """Every ICB's share of its LSOAs in the most deprived 20% of England (Core20), one row per ICB.

    ``lsoas`` is the prepared ``lsoa_deprivation`` table. Returns ``icb_code`` (ODS), ``lsoas`` (the ICB's LSOAs),
    ``core20_lsoas``, ``core20_share`` (fraction), ``most_deprived_10_share`` (fraction in decile 1) and
    ``core20_rank`` (1 = the highest Core20 share; ties share the best rank), sorted by rank then code. Every LSOA
    counts once, so the shares are of LSOAs (each about 1,500 residents in 2011), not of people. An LSOA with no ICB
    code is an InputError naming it.
    """
    unplaced = lsoas["icb_code"].isna()
    if unplaced.any():
        first = lsoas.loc[unplaced, "lsoa_code"].iloc[0]
        raise InputError(f"lsoa_deprivation: column icb_code is empty for LSOA {first} "
                         f"({int(unplaced.sum())} LSOAs in all; expected every LSOA in an ICB)")
    decile = lsoas["imd_decile"]
    keyed = lsoas.assign(
        in_10=decile.isin(MOST_DEPRIVED_10_DECILES).astype(int), in_20=decile.isin(CORE20_DECILES).astype(int),
    )
    icbs = keyed.groupby("icb_code", as_index=False).agg(
        lsoas=("lsoa_code", "size"), core20_lsoas=("in_20", "sum"), most_deprived_10_lsoas=("in_10", "sum"),
    )
    icbs["core20_share"] = icbs["core20_lsoas"] / icbs["lsoas"]
    icbs["most_deprived_10_share"] = icbs.pop("most_deprived_10_lsoas") / icbs["lsoas"]
    icbs["core20_rank"] = rank_desc(icbs["core20_share"])
    return icbs.sort_values(["core20_rank", "icb_code"], ignore_index=True)


def icb_authorities(lsoas: pd.DataFrame, icb_code: str) -> pd.DataFrame:
    """The local authorities (2022, lower tier) an ICB covers, and how much of each: one row per authority.

    ``lsoas`` is the prepared ``lsoa_deprivation`` table. Returns ``ltla22_code``, ``ltla22_name``, ``lsoas_in_icb``,
    ``lsoas`` (all the authority's LSOAs), ``share_in_icb`` (fraction of the authority's LSOAs in the ICB: below 1
    for an authority the ICB's boundary cuts, such as Copeland and Craven for L&SC) and ``share_of_icb`` (fraction of
    the ICB's LSOAs in the authority), sorted by code; empty for an ICB with no LSOAs. Areas whose healthy life
    expectancy covers places outside the ICB (a county, or a unitary formed after 2022 such as Westmorland and
    Furness, which includes Eden) are found by joining these authorities to that area's own.
    """
    keys = ["ltla22_code", "ltla22_name"]
    inside = lsoas[lsoas["icb_code"] == icb_code].groupby(keys).size().rename("lsoas_in_icb")
    every = lsoas[lsoas["ltla22_code"].isin(inside.index.get_level_values(0))].groupby(keys).size().rename("lsoas")
    out = pd.concat([inside, every], axis=1).reset_index()
    out["share_in_icb"] = out["lsoas_in_icb"] / out["lsoas"]
    out["share_of_icb"] = out["lsoas_in_icb"] / out["lsoas_in_icb"].sum()
    columns = [*keys, "lsoas_in_icb", "lsoas", "share_in_icb", "share_of_icb"]
    return out.reindex(columns=columns).sort_values("ltla22_code", ignore_index=True)


# --- Q8: healthy life expectancy against the state pension age ------------------------------------------------------


def pension_age_gap(hle_years: float | pd.Series, pension_age: float = PENSION_AGE) -> float | pd.Series:
    """Years from healthy life expectancy to the pension age: ``pension_age - hle_years`` (68 - 56.3 = 11.7).

    Positive: the years of life in poorer health a person born then can expect before reaching the pension age.
    Rounded to a millionth of a year, so that 68 - 64.4 is 3.6 and not 3.5999999999999943.
    """
    gap = pension_age - hle_years
    return gap.round(6) if isinstance(gap, pd.Series) else round(float(gap), 6)


SERIES = "ons_series"  # the optional column naming the ONS series (before or after a revision) of a value


def release_order(hle: pd.DataFrame) -> list[str]:
    """The releases of the ``healthy_life_expectancy`` table, newest first: by the latest period each gives (the
    series ONS revised reaches later periods), then by how many values each gives (a data file before pages quoting
    some of it), then by label, so the order is the same on every run."""
    g = hle.groupby("release")["period_end"]
    latest, size = g.max(), g.size()
    return sorted(latest.index, key=lambda r: (-latest[r], -size[r], r))


def _preference(hle: pd.DataFrame, prefer: Sequence[str] | None) -> list[str]:
    """``prefer``'s releases first (those in the table), then the rest newest first."""
    newest = release_order(hle)
    first = [r for r in (prefer or []) if r in newest]
    return first + [r for r in newest if r not in first]


def _pick(rows: pd.DataFrame, order: list[str], before: int | None) -> pd.Series | None:
    """The row of the latest period (ending before ``before``, if given), from the first release in ``order`` that
    gives it (then the ONS series' label, if there are several); None if there is no such period."""
    if before is not None:
        rows = rows[rows["period_end"] < before]
    if rows.empty:
        return None
    latest = rows[rows["period_end"] == rows["period_end"].max()]
    keys = ["_o", SERIES] if SERIES in latest.columns else ["_o"]
    return latest.assign(_o=latest["release"].map(order.index)).sort_values(keys).iloc[0].drop("_o")


@dataclass(frozen=True)
class PensionGaps:
    """HLE against the pension age for some areas: ``table`` (see :func:`hle_against_pension_age`) and ``missing``,
    the area codes asked for that the data do not cover, in the order asked."""

    table: pd.DataFrame
    missing: list[str]


HLE_COLUMNS = ["area_code", "area_name", "sex", "which", "period", "period_end", "release", "hle_years", "gap_years"]


def hle_against_pension_age(
    hle: pd.DataFrame, areas: Sequence[str], pension_age: float = PENSION_AGE, before: int | None = None,
    prefer: Sequence[str] | None = None, before_release: str | None = None, before_series: str | None = None,
) -> PensionGaps:
    """HLE at birth by sex for ``areas`` (GSS codes), in the latest period and the latest before the report, each
    against the pension age.

    ``hle`` is the prepared ``healthy_life_expectancy`` table. For each area and sex, ``which`` is "latest" (the
    latest period any release gives) and, if any of ``before``, ``before_release`` or ``before_series`` is given,
    "before": the latest period ending before the year ``before`` (``period_end < before``; the report's year),
    taken only from ``before_release`` and the ONS series ``before_series`` (column ``ons_series``) if given: the
    release or series the report's authors had, so the value is the one they could see, not a later revision of it.
    When several releases give a period, the value is the first release's of ``prefer``, then the newest
    (:func:`release_order`); its ``release`` (and ``ons_series``, if the table has it) is kept beside it, so a
    revised value is never shown as the one before the revision. ``hle_years`` and ``gap_years``
    (:func:`pension_age_gap`, positive = years expected in poorer health before the pension age) are years.
    Rows follow ``areas``' order, then sex, latest first. An area the data do not cover is listed in ``missing``,
    never dropped silently; an area with one sex only has rows for that sex.
    """
    order = _preference(hle, prefer)
    series = [SERIES] if SERIES in hle.columns else []
    if before_series is not None and not series:
        raise ValueError(f"before_series needs the column {SERIES}, which the table lacks")
    columns = [*HLE_COLUMNS[:-2], *series, *HLE_COLUMNS[-2:]]
    rows, missing = [], []
    for code in areas:
        mine = hle[hle["area_code"] == code]
        if mine.empty:
            missing.append(code)
            continue
        for sex in sorted(mine["sex"].unique()):
            of_sex = mine[mine["sex"] == sex]
            wanted = [("latest", of_sex, None)]
            if before is not None or before_release is not None or before_series is not None:
                chosen = of_sex
                if before_release is not None:
                    chosen = chosen[chosen["release"] == before_release]
                if before_series is not None:
                    chosen = chosen[chosen[SERIES] == before_series]
                wanted.append(("before", chosen, before))
            for which, rows_of, limit in wanted:
                row = _pick(rows_of, order, limit)
                if row is not None:
                    rows.append({"area_code": code, "area_name": row["area_name"], "sex": sex, "which": which,
                                 "period": row["period"], "period_end": int(row["period_end"]),
                                 "release": row["release"], **{c: row[c] for c in series},
                                 "hle_years": float(row["hle_years"])})
    table = pd.DataFrame(rows, columns=columns[:-1])
    table["gap_years"] = pension_age_gap(table["hle_years"].astype(float), pension_age)
    return PensionGaps(table=table[columns], missing=missing)


def hle_series(hle: pd.DataFrame, areas: Sequence[str], pension_age: float = PENSION_AGE) -> pd.DataFrame:
    """HLE at birth over time for ``areas``, one line per area, sex, release and ONS series, for a chart.

    Returns the rows of ``hle`` for the areas with ``series`` ("Blackpool · Male · <release>", and " · <ONS
    series>" when the table has ``ons_series``), the key a chart draws one line by, so no line crosses from one
    release or ONS series to another (the revised series differs from the one before it for the same period, and
    one release can quote both), and ``gap_years`` (:func:`pension_age_gap`, years). Sorted by area (in ``areas``'
    order), sex, release (newest first, :func:`release_order`), ONS series and period.
    """
    rows = hle[hle["area_code"].isin(list(areas))]
    order = release_order(hle)
    label = rows["area_name"] + " · " + rows["sex"] + " · " + rows["release"]
    if SERIES in rows.columns:
        label = label + " · " + rows[SERIES]
    rows = rows.assign(
        series=label, gap_years=pension_age_gap(rows["hle_years"].astype(float), pension_age),
        _a=rows["area_code"].map(list(areas).index), _r=rows["release"].map(order.index),
    )
    keys = ["_a", "sex", "_r", *([SERIES] if SERIES in rows.columns else []), "period_end"]
    return rows.sort_values(keys, ignore_index=True).drop(columns=["_a", "_r"])


def smallest_gap(table: pd.DataFrame) -> pd.Series:
    """The row of a :func:`hle_against_pension_age` table (or some of its rows) nearest the pension age: the smallest
    ``gap_years``, then the area code and sex, so the choice is the same on every run. ValueError if it is empty."""
    if table.empty:
        raise ValueError("no healthy life expectancy to compare with the pension age")
    return table.sort_values(["gap_years", "area_code", "sex"]).iloc[0]


# --- Q2: hypertension treated to target (the QOF proxy) -------------------------------------------------------------


def weighted_treated_to_target(qof: pd.DataFrame, column: str, weight: str = "weighted_population") -> pd.DataFrame:
    """The practices' population-weighted mean per cent of ``column`` by QOF year: the ICB's proxy figure.

    ``qof`` is the prepared ``qof_hypertension`` table (or an ICB's rows of it); ``column`` one of its per cent
    columns (``hyp_under80_treated_pct``, ``hyp_80plus_treated_pct``). Weights are the column ``weight`` (default
    ``weighted_population``, persons): a practice with no value, or no positive weight, is left out. Returns one row
    per ``qof_year`` and ``extract`` (two extracts of one year stay apart, each labelled): ``weighted_mean_pct`` (per
    cent; NaN if no practice can be weighted), ``practices_used``, ``practices_left_out``,
    ``weighted_population_used`` (persons), and for context ``mean_pct`` (the unweighted mean of the practices with a
    value, per cent) and ``practices_with_value``. Sorted by year.

    The weights are need-weighted list sizes, not hypertension registers (the extract has no numerators or
    denominators), so the mean stands in for the ICB's own per cent: a proxy, not the figure itself.
    """
    for name in (column, weight):
        if name not in qof.columns:
            raise InputError(f"qof_hypertension: no column '{name}' (expected one of {list(qof.columns)})")
    value, w = qof[column].astype(float), qof[weight].astype(float)
    used = value.notna() & w.notna() & (w > 0)
    keyed = qof.assign(
        _v=value, _used=used.astype(int), _has=value.notna().astype(int),
        _w=w.where(used, 0.0), _vw=(value * w).where(used, 0.0),
    )
    g = keyed.groupby(["qof_year", "extract"], as_index=False).agg(
        practices=("practice_code", "size"), practices_used=("_used", "sum"), practices_with_value=("_has", "sum"),
        weighted_population_used=("_w", "sum"), _vw=("_vw", "sum"), mean_pct=("_v", "mean"),
    )
    g["weighted_mean_pct"] = (g["_vw"] / g["weighted_population_used"]).where(g["practices_used"] > 0)
    g["practices_left_out"] = g.pop("practices") - g["practices_used"]
    columns = ["qof_year", "extract", "weighted_mean_pct", "practices_used", "practices_left_out",
               "weighted_population_used", "mean_pct", "practices_with_value"]
    return g[columns].sort_values(["qof_year", "extract"], ignore_index=True)


def change_points(by_year: pd.DataFrame, start_year: str, end_year: str, value: str = "weighted_mean_pct") -> float:
    """The change in percentage points of ``value`` from ``start_year`` to ``end_year`` (QOF years, "2022/23") in a
    :func:`weighted_treated_to_target` table: 65.3 -> 66.5 is +1.2. ValueError if either year is missing or is in
    more than one extract."""
    return _level(by_year, end_year, value) - _level(by_year, start_year, value)


def _level(by_year: pd.DataFrame, year: str, value: str) -> float:
    rows = by_year[by_year["qof_year"] == year]
    if len(rows) != 1:
        found = sorted(by_year["qof_year"].unique())
        raise ValueError(f"expected one row for QOF year {year}, found {len(rows)} (years: {found})")
    return float(rows[value].iloc[0])


def proxy_against_stated(
    by_year: pd.DataFrame, start_year: str, end_year: str, stated_start_pct: float, stated_end_pct: float,
    objective_pct: float, value: str = "weighted_mean_pct",
) -> pd.DataFrame:
    """The QOF proxy against the report's figures for hypertension treated to target (Q2), one row per comparison.

    ``by_year`` is a :func:`weighted_treated_to_target` table; the stated values (the report's start and end per
    cents and the national objective, all per cent) come from the claims register, never typed. Rows (``measure``):
    "start" (the proxy in ``start_year`` against the stated start), "end" (``end_year`` against the stated end),
    "rise" (the change, in points, against the stated rise) and "short of objective" (the objective minus the end
    value, points). Columns ``measure``, ``stated``, ``proxy``, ``difference_points`` (proxy - stated) and ``unit``
    ("per cent" or "percentage points").
    """
    start, end = _level(by_year, start_year, value), _level(by_year, end_year, value)
    rows = [
        ("start", stated_start_pct, start, "per cent"),
        ("end", stated_end_pct, end, "per cent"),
        ("rise", stated_end_pct - stated_start_pct, end - start, "percentage points"),
        ("short of objective", objective_pct - stated_end_pct, objective_pct - end, "percentage points"),
    ]
    out = pd.DataFrame(rows, columns=["measure", "stated", "proxy", "unit"])
    out["difference_points"] = out["proxy"] - out["stated"]
    return out[["measure", "stated", "proxy", "difference_points", "unit"]]
