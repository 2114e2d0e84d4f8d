"""``sots prepare``: turn the public sources (the upstream folder) into the small tidy tables under ``data/``.

All knowledge of the sources' layouts lives here: file names, header quirks, units. When a publisher changes a
layout in a new year, this module changes and nothing downstream does. Files are found by pattern, so a folder
that gains a new year's file is picked up without a code change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from sots import data
from sots.errors import InputError
from sots.geography import match_icb_codes, short_name

DEFAULT_RAW = Path("../shared/data/raw")

ALLOCATIONS_GLOB = "nhse_icb_allocations_*/icb_allocations_*_tidy_derived.csv"
PRACTICE_WP_GLOB = "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_*.csv"
AREA_CODES = "su_hmhc_2018snpp_activity/area_codes_names.csv"

# Raw allocation columns -> tidy names (units in the tidy names; money stays in £ thousands as published).
ALLOCATION_COLUMNS = {
    "year": "year",
    "icb_code": "icb_code",
    "icb_name": "icb_name",
    "region_name": "region_name",
    "core_recurrent_allocation_k": "core_recurrent_allocation_gbp_k",
    "core_total_allocation_k": "core_total_allocation_gbp_k",
    "core_combined_allocation_k": "core_combined_allocation_gbp_k",
    "core_recurrent_allocation_per_head": "core_recurrent_per_head_gbp",
    "core_dft_pre_convergence": "core_dft_pre_convergence_frac",
    "core_dft_post_convergence": "core_dft_post_convergence_frac",
    "core_convergence": "core_convergence_frac",
    "pmc_recurrent_allocation_k": "pmc_recurrent_allocation_gbp_k",
    "other_primary_care_k": "other_primary_care_gbp_k",
    "running_cost_allowance_k": "running_cost_allowance_gbp_k",
    "registered_population_implied": "registered_population_implied_persons",
}

# GP-practice weighted population columns -> tidy names. The registered-population header is matched by pattern
# because the published file mislabels it ("pop 2022/23" holds the allocation year's projected list size).
PRACTICE_WP_COLUMNS = {
    "G&A WP": "ga_weighted_persons",
    "CS WP": "community_weighted_persons",
    "MH WP": "mental_health_weighted_persons",
    "Mat WP": "maternity_weighted_persons",
    "Health Ineq WP": "health_inequalities_weighted_persons",
    "Prescr WP": "prescribing_weighted_persons",
    "Final WP": "core_weighted_persons",
    "Primary Medical Care WP": "pmc_need_weighted_persons",
    "Final PMC WP": "pmc_weighted_persons",
}
POP_HEADER = re.compile(r"^pop \d{4}/\d{2}$")

# Two sources give each ICB's registered population; they must agree to within this many persons.
REGISTERED_POP_TOLERANCE = 1.0


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot be read as CSV ({err})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column '{missing[0]}' (expected columns {required})")
    return df


def _numeric(df: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    """Parse ``columns`` as numbers; InputError naming the first cell that is not one."""
    out = df.copy()
    for column in columns:
        parsed = pd.to_numeric(df[column].str.replace(",", "", regex=False).str.strip(), errors="coerce")
        bad = parsed.isna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(f"{path}: column '{column}', line {i + 2}: expected a number, got {df[column].iloc[i]!r}")
        out[column] = parsed
    return out


def _glob(raw: Path, pattern: str) -> list[Path]:
    found = sorted(raw.glob(pattern))
    if not found:
        raise InputError(f"{raw / pattern}: no file matches (expected the upstream layout; see data/README.md)")
    return found


def _year_from_name(path: Path) -> str:
    """'..._2023_24.csv' -> '2023/24'."""
    m = re.search(r"(\d{4})_(\d{2})\.csv$", path.name)
    if not m:
        raise InputError(f"{path}: file name does not end in a year such as _2023_24.csv")
    return f"{m[1]}/{m[2]}"


def read_allocations(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """NHS England ICB allocations for every year found, in £ thousands and fractions, one row per ICB and year."""
    paths = _glob(raw, ALLOCATIONS_GLOB)
    frames = []
    for path in paths:
        df = _read_csv(path, list(ALLOCATION_COLUMNS))[list(ALLOCATION_COLUMNS)]
        frames.append(_numeric(df, list(ALLOCATION_COLUMNS)[4:], path).rename(columns=ALLOCATION_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    dup = out.duplicated(["year", "icb_code"], keep=False)
    if dup.any():
        first = out[dup].iloc[0]
        raise InputError(f"{raw / ALLOCATIONS_GLOB}: {first.icb_code} {first.year} appears in more than one file")
    return out.sort_values(["year", "icb_code"], ignore_index=True), paths


def read_weighted_population(raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """Registered and need-weighted populations per ICB and year, summed over GP practices (persons)."""
    paths = _glob(raw, PRACTICE_WP_GLOB)
    frames = []
    for path in paths:
        df = _read_csv(path, ["ICS22", *PRACTICE_WP_COLUMNS])
        pop = [c for c in df.columns if POP_HEADER.match(c)]
        if len(pop) != 1:
            raise InputError(f"{path}: expected one registered-population column named like 'pop 2023/24', got {pop}")
        df = _numeric(df, [pop[0], *PRACTICE_WP_COLUMNS], path)
        summed = (
            df.rename(columns={"ICS22": "icb_code", pop[0]: "registered_population_persons", **PRACTICE_WP_COLUMNS})
            .groupby("icb_code")[["registered_population_persons", *PRACTICE_WP_COLUMNS.values()]]
            .sum()
            .assign(n_practices=df.groupby("ICS22").size())
            .reset_index()
        )
        frames.append(summed.assign(year=_year_from_name(path)))
    out = pd.concat(frames, ignore_index=True)
    columns = list(data.WEIGHTED_POPULATION.columns)
    return out[columns].sort_values(["year", "icb_code"], ignore_index=True), paths


def build_icb_lookup(allocations: pd.DataFrame, raw: Path) -> tuple[pd.DataFrame, list[Path]]:
    """One row per ICB: ODS code, GSS code, NHS England name, short name and region."""
    path = raw / AREA_CODES
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected ONS area codes and names)")
    areas = _read_csv(path, ["area_code", "area_name", "area_type"])
    icbs = areas[areas["area_type"] == "ICB"]
    latest = allocations[allocations["year"] == allocations["year"].max()]
    matched = match_icb_codes(latest[["icb_code", "icb_name", "region_name"]], icbs)
    matched["short_name"] = matched["icb_name"].map(short_name)
    columns = list(data.ICB_LOOKUP.columns)
    return matched[columns].sort_values("icb_code", ignore_index=True), [path]


def check_registered_populations(allocations: pd.DataFrame, weighted: pd.DataFrame) -> None:
    """The allocation workbook's implied list size and the practice file's must agree (same NHS England data)."""
    both = allocations.merge(weighted, on=["year", "icb_code"], how="outer", indicator=True)
    orphan = both[both["_merge"] != "both"]
    if len(orphan):
        row = orphan.iloc[0]
        raise InputError(f"{row.icb_code} {row.year}: in only one of the allocations and weighted-population sources")
    gap = (both["registered_population_implied_persons"] - both["registered_population_persons"]).abs()
    if (gap > REGISTERED_POP_TOLERANCE).any():
        row = both.loc[gap.idxmax()]
        raise InputError(
            f"{row.icb_code} {row.year}: registered population {row.registered_population_persons:,.1f} (practices) "
            f"against {row.registered_population_implied_persons:,.1f} (allocations); expected within "
            f"{REGISTERED_POP_TOLERANCE} person"
        )


def prepare(raw: Path, out: Path) -> dict[str, int]:
    """Read the upstream folder ``raw``, validate, and write every tidy table and ``datapackage.json`` to ``out``.

    Nothing is written unless every table validates. Returns the row count of each table written.
    """
    raw, out = Path(raw), Path(out)
    if not raw.is_dir():
        raise InputError(f"{raw}: folder not found (expected the upstream raw data; pass --raw DIR)")
    allocations, alloc_paths = read_allocations(raw)
    weighted, wp_paths = read_weighted_population(raw)
    lookup, lookup_paths = build_icb_lookup(allocations, raw)
    check_registered_populations(allocations, weighted)

    frames = {"icb_allocations": allocations, "icb_weighted_population": weighted, "icb_lookup": lookup}
    raw_used = {"icb_allocations": alloc_paths, "icb_weighted_population": wp_paths, "icb_lookup": lookup_paths}
    for name, frame in frames.items():
        frames[name] = data.validate(frame, data.TABLES[name], f"{name} (prepared from {raw})")

    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(out / data.TABLES[name].filename, index=False, lineterminator="\n")
    raw_files = {
        name: [(p.relative_to(raw).as_posix(), data.sha256(p)) for p in paths] for name, paths in raw_used.items()
    }
    package = data.datapackage(out, raw_files)
    (out / data.DATAPACKAGE).write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")
    return {name: len(frame) for name, frame in frames.items()}
