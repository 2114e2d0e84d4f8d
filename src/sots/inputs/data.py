"""The prepared inputs: their schemas, where they come from, how to load them, and their data package.

Every tidy table under ``data/`` has one entry in :data:`TABLES`: a pandera schema (types, ranges, unique keys),
the public sources it was made from, and a one-line description. Loading a table always validates it, so a
notebook never sees a malformed input, and a bad file fails with one line naming the file, column and row.

Units are in the column names: ``_gbp_k`` is pounds sterling in thousands, ``_gbp`` pounds, ``_persons`` people
(registered or need-weighted), ``_frac`` a fraction (0.0625 means 6.25 per cent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pandera.pandas as pa

from sots import malloc
from sots.errors import InputError, read_json
from sots.hashing import file_sha256

OGL = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."
OPL = {
    "name": "OPL-UK-1.0",
    "title": "Open Parliament Licence",
    "path": "https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/",
}
# Figures read from news pages: the facts are reported by their publishers, who keep copyright in their text, so
# only the numbers and short paraphrases are recorded.
FACTS_ONLY = {
    "name": "facts-and-paraphrases",
    "title": "Numbers and paraphrases only; news publishers keep copyright in their text",
}

YEAR_PATTERN = r"^\d{4}/\d{2}$"  # a financial year, e.g. 2023/24
ODS_ICB_PATTERN = r"^Q[A-Z0-9]{2}$"  # NHS ODS code of an ICB, e.g. QE1
GSS_ICB_PATTERN = r"^E54\d{6}$"  # ONS GSS code of an ICB, e.g. E54000048


def plain_number(x: float) -> str:
    """A bound as a reader writes it: 200000000.0 -> '200,000,000'; 2018 -> '2018' (no separator below 10,000, so
    years read as years); 0.5 -> '0.5'."""
    if not float(x).is_integer():
        return f"{x:g}"
    return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))


@dataclass(frozen=True)
class Bounds:
    """The plausible range of a number, both ends included: a value outside it is a unit error or a broken file.

    One range serves a prepared table's schema and the raw column it comes from, so ``sots prepare`` rejects a bad
    raw value naming the publisher's file, column and line, before any reshaping hides where it came from.
    """

    low: float
    high: float

    @property
    def expected(self) -> str:
        return f"a number from {plain_number(self.low)} to {plain_number(self.high)}"

    def check(self) -> pa.Check:
        return pa.Check.in_range(self.low, self.high, error=self.expected)

    def holds(self, values: pd.Series) -> pd.Series:
        """True where a value is in range (NaN and infinities never are: the ends are finite)."""
        return values.between(self.low, self.high)


# NHS England's whole revenue budget is under £200bn, so no one allocation or trust spends more.
GBP = Bounds(0, 2e11)
GBP_K = Bounds(0, 2e8)
# No area of England has more people than England (57m in 2021): more is a unit error.
PERSONS = Bounds(0, 1e8)
# A national cost collection year counts hundreds of millions of contacts; no currency has a billion.
ACTIVITY_COUNT = Bounds(0, 1e9)
PER_HEAD_GBP = Bounds(500, 5000)  # core allocation per registered patient (about £1,900 in 2024/25)
# A distance from target or convergence adjustment beyond +/-50% would be a unit error (per cent, not fraction).
FRACTION = Bounds(-0.5, 0.5)
RATE = Bounds(0, 400)  # hospital events (or bed days) per person per year
UNIT_COST_GBP = Bounds(1, 100_000)  # national average cost of one admission, attendance or appointment
PRACTICES = Bounds(1, 10_000)  # GP practices in one ICB (England has about 6,300)
RAW_AGE = Bounds(0, 120)  # single years of age as sources publish them, before 90+ is folded
# Published figures come in many units (£ million, per cent, counts); beyond a trillion in any of them is an error.
PUBLISHED_VALUE = Bounds(-1e12, 1e12)


# A measure a publisher may stop publishing for a year (a distance from target, a weighted-population component) is
# ``nullable``: its empty cells are that year's "not published", which chapters record as not computed. The keys,
# names and the figures every chapter rests on stay required.


def _money(description: str, *checks: pa.Check, nullable: bool = False) -> pa.Column:
    return pa.Column(float, [GBP_K.check(), *checks], nullable=nullable, description=description,
                     metadata={"unit": "GBP thousands"})


def _persons(description: str, nullable: bool = False) -> pa.Column:
    return pa.Column(float, [pa.Check.gt(0), PERSONS.check()], nullable=nullable, description=description,
                     metadata={"unit": "persons"})


def _fraction(description: str, nullable: bool = False) -> pa.Column:
    return pa.Column(float, FRACTION.check(), nullable=nullable, description=description,
                     metadata={"unit": "fraction"})


def _schema(name: str, columns: dict[str, pa.Column], unique: list[str] | None = None) -> pa.DataFrameSchema:
    """A table's schema: exactly these columns in this order, values coerced to their types."""
    return pa.DataFrameSchema(columns, unique=unique, strict=True, ordered=True, coerce=True, name=name)


_KEYS = {
    "year": pa.Column(str, pa.Check.str_matches(YEAR_PATTERN), description="Financial year of the allocation"),
    "icb_code": pa.Column(str, pa.Check.str_matches(ODS_ICB_PATTERN), description="ICB code (NHS ODS)"),
}

ALLOCATIONS = _schema(
    "icb_allocations",
    {
        **_KEYS,
        "icb_name": pa.Column(str, pa.Check.str_length(min_value=3), description="ICB name as NHS England gives it"),
        "region_name": pa.Column(str, description="NHS England region"),
        "core_recurrent_allocation_gbp_k": _money("Core services recurrent allocation", pa.Check.gt(0)),
        "core_total_allocation_gbp_k": _money("Core services total allocation (recurrent plus elective recovery)",
                                              nullable=True),
        "core_combined_allocation_gbp_k": _money("Core total plus discharge (2023/24: also COVID and capacity)",
                                                 nullable=True),
        "core_recurrent_per_head_gbp": pa.Column(
            float, PER_HEAD_GBP.check(), description="Core recurrent allocation per registered patient, as "
            "published", metadata={"unit": "GBP per registered person"}
        ),
        "core_dft_pre_convergence_frac": _fraction("Distance from target before convergence (+ = above target)",
                                                   nullable=True),
        "core_dft_post_convergence_frac": _fraction("Distance from target after convergence (+ = above target)",
                                                    nullable=True),
        "core_convergence_frac": _fraction("Convergence adjustment applied to the baseline", nullable=True),
        "pmc_recurrent_allocation_gbp_k": _money("Primary medical care recurrent allocation", nullable=True),
        "other_primary_care_gbp_k": _money("Other primary care (dental, pharmacy, optometry) allocation",
                                           nullable=True),
        "running_cost_allowance_gbp_k": _money("Running cost allowance", nullable=True),
        "registered_population_implied_persons": _persons("Registered population implied by core £ / £ per head"),
    },
    unique=["year", "icb_code"],
)

WEIGHTED_POPULATION = _schema(
    "icb_weighted_population",
    {
        **_KEYS,
        "registered_population_persons": _persons("Projected GP-registered population for the allocation year"),
        "ga_weighted_persons": _persons("General and acute need-weighted population", nullable=True),
        "community_weighted_persons": _persons("Community services need-weighted population", nullable=True),
        "mental_health_weighted_persons": _persons("Mental health need-weighted population", nullable=True),
        "maternity_weighted_persons": _persons("Maternity need-weighted population", nullable=True),
        "health_inequalities_weighted_persons": _persons("Health inequalities weighted population", nullable=True),
        "prescribing_weighted_persons": _persons("Prescribing need-weighted population", nullable=True),
        "core_weighted_persons": _persons("Overall core services weighted population ('Final WP')"),
        "pmc_need_weighted_persons": _persons("Primary medical care need-weighted population", nullable=True),
        "pmc_weighted_persons": _persons("Overall primary medical care weighted population ('Final PMC WP')",
                                         nullable=True),
        "n_practices": pa.Column(int, PRACTICES.check(), description="GP practices summed", metadata={"unit": "count"}),
    },
    unique=["year", "icb_code"],
)

ICB_LOOKUP = _schema(
    "icb_lookup",
    {
        "icb_code": pa.Column(str, pa.Check.str_matches(ODS_ICB_PATTERN), unique=True, description="ICB code (ODS)"),
        "icb_gss_code": pa.Column(
            str, pa.Check.str_matches(GSS_ICB_PATTERN), unique=True, description="ICB code (ONS GSS)"
        ),
        "icb_name": pa.Column(str, unique=True, description="ICB name as NHS England gives it, its joining words "
                              "(of, and, the) in lower case as its pages write them"),
        "short_name": pa.Column(str, unique=True, description="ICB name without 'NHS' and 'ICB'"),
        "region_name": pa.Column(str, description="NHS England region"),
    },
)


def _matches(pattern: str) -> pa.Check:
    """As ``pa.Check.str_matches(pattern)``, with its error, but each distinct value is matched once: a long table
    repeats few codes, and matching every row of the population projection took most of its load time."""
    regex = re.compile(pattern)

    def check(values: pd.Series) -> pd.Series:
        distinct = values.drop_duplicates()
        return values.isin(distinct[[isinstance(v, str) and regex.match(v) is not None for v in distinct]])

    return pa.Check(check, name="str_matches", error=f"str_matches('{pattern}')")


AREA_CODE = pa.Column(str, _matches(r"^E\d{8}$"), description="ONS GSS area code")
SEX = pa.Column(str, pa.Check.isin(["f", "m"]), description="Sex: f female, m male")
OLDEST = 90  # ages are single years; 90 stands for 90 and over, as ONS publishes them
MID_YEAR = Bounds(2000, 2100)  # a mid-year of an estimate or projection; outside it a column was misread


def _age(youngest: int = 0) -> pa.Column:
    return pa.Column(int, pa.Check.in_range(youngest, OLDEST), description=f"Age in years ({OLDEST} = {OLDEST}+)")


# Long: one row per area, variant, sex, age and mid-year, so a vintage with other years needs no new columns. The
# years a table covers, and its vintage, come from the data (projection_years, projection_vintage).
POPULATION_PROJECTION = _schema(
    "population_projection",
    {
        "area_code": AREA_CODE,
        "variant": pa.Column(
            str, _matches(r"^v([1-9]|1[01])$"), description="Projection variant (v1 = principal)",
        ),
        "sex": SEX,
        "age": _age(),
        "year": pa.Column(int, MID_YEAR.check(), description="Mid-year of the projection (persons at 30 June)"),
        "persons": pa.Column(
            float, PERSONS.check(), description="Projected persons at 30 June of the year",
            metadata={"unit": "persons"},
        ),
    },
    unique=["area_code", "variant", "sex", "age", "year"],
)

POPULATION_ESTIMATES = _schema(
    "population_estimates",
    {
        "year": pa.Column(int, pa.Check.in_range(2000, 2100), description="Mid-year of the estimate"),
        "area_code": AREA_CODE,
        "age": _age(),
        "persons": pa.Column(float, PERSONS.check(), description="Persons at 30 June", metadata={"unit": "persons"}),
    },
    unique=["year", "area_code", "age"],
)

ACTIVITY_RATES = _schema(
    "activity_rates",
    {
        "area_code": AREA_CODE,
        "pod": pa.Column(
            str, pa.Check.isin(["aae", "apc", "opc"]), description="Point of delivery: A&E, admitted, outpatient",
        ),
        "activity": pa.Column(
            str, pa.Check.str_matches(r"^[a-z_-]+$"), description="Activity, e.g. emer_bds = unplanned bed days",
        ),
        "sex": SEX,
        "age": _age(17),
        "rate": pa.Column(
            float, RATE.check(), description="Events (or bed days) per person per year, calendar 2022",
            metadata={"unit": "events per person per year"},
        ),
    },
    unique=["area_code", "activity", "sex", "age"],
)

UNIT_COSTS = _schema(
    "unit_costs",
    {
        "year": _KEYS["year"],
        "activity": pa.Column(
            str, pa.Check.str_matches(r"^[a-z_-]+$"), description="Activity priced (as in activity_rates)",
        ),
        "unit_cost_gbp": pa.Column(
            float, UNIT_COST_GBP.check(), description="National average cost per unit of activity",
            metadata={"unit": "GBP per event"},
        ),
        "units": pa.Column(
            float, [pa.Check.gt(0), ACTIVITY_COUNT.check()], description="National activity behind the average",
            metadata={"unit": "events"},
        ),
        "cost_year": pa.Column(str, pa.Check.str_matches(YEAR_PATTERN), description="Year the cost was measured in"),
        "basis": pa.Column(str, description="National Cost Collection departments and currencies averaged"),
    },
    unique=["year", "activity"],
)

AREAS = _schema(
    "areas",
    {
        "area_code": pa.Column(str, pa.Check.str_matches(r"^E\d{8}$"), unique=True, description="ONS GSS area code"),
        "area_name": pa.Column(str, description="Area name"),
        "area_type": pa.Column(str, description="LAD, county, ICB or country"),
    },
)


TRUST_SECTORS = ["Acute", "Ambulance", "Community", "Mental Health", "Specialist"]


def _pounds(description: str) -> pa.Column:
    return pa.Column(float, GBP.check(), description=description, metadata={"unit": "GBP"})


TRUST_OPERATING_EXPENDITURE = _schema(
    "trust_operating_expenditure",
    {
        "year": pa.Column(str, pa.Check.str_matches(YEAR_PATTERN), description="Financial year of the accounts"),
        "trust_code": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]{3}$"), description="Trust code (NHS ODS)"),
        "trust_name": pa.Column(str, pa.Check.str_length(min_value=3), description="Trust name"),
        "sector": pa.Column(str, pa.Check.isin(TRUST_SECTORS), description="Trust type: Acute, Mental Health, ..."),
        "region_name": pa.Column(str, description="NHS England region"),
        "host_icb_code": pa.Column(
            str, pa.Check.str_matches(r"^[A-Z0-9]{3,5}$"), nullable=True,
            description="Host ICB as the extract assigns it: a 2023 ODS code (QE1) or a 2026 merged-ICB code (Z9B2Z)",
        ),
        "host_icb_name": pa.Column(str, nullable=True, description="Host ICB name as the extract gives it"),
        "total_operating_expenditure_gbp": _pounds("Total operating expenditure (TAC subcode EXP0390)"),
        "staff_costs_gbp": _pounds("Staff costs (the extract's grouping)"),
        "supplies_drugs_gbp": _pounds("Supplies, services and drugs (the extract's grouping)"),
        "premises_infrastructure_gbp": _pounds("Premises, infrastructure, depreciation (the extract's grouping)"),
        "other_operating_costs_gbp": _pounds("The remainder of operating expenditure (the extract's grouping)"),
        "groups_exceed_total": pa.Column(
            bool, description="True where the extract's groups add up to more than the total",
        ),
    },
    unique=["year", "trust_code"],
)

PUBLISHED_FIGURES = _schema(
    "published_figures",
    {
        "figure_id": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), unique=True, description="Stable figure id"),
        "icb_code": pa.Column(
            str, pa.Check.str_matches(ODS_ICB_PATTERN), nullable=True,
            description="The ICB the figure is about (NHS ODS); empty for England-wide figures and for those "
            "about another area (a trust, a county, a town)",
        ),
        "year": pa.Column(
            str, pa.Check.str_matches(YEAR_PATTERN), nullable=True,
            description="Financial year the figure is for, read from its period; empty if the period names none",
        ),
        "measure": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), description="What the figure measures"),
        "value": pa.Column(float, PUBLISHED_VALUE.check(), nullable=True,
                           description="The number as published; empty for a statement"),
        "unit": pa.Column(str, pa.Check.str_length(min_value=1), description="Unit as published, e.g. GBP million"),
        "period": pa.Column(str, pa.Check.str_length(min_value=1), description="Period as published"),
        "geography": pa.Column(str, pa.Check.str_length(min_value=1), description="Area or body the figure covers"),
        "description": pa.Column(str, pa.Check.str_length(min_value=3), description="What the figure is"),
        "source_title": pa.Column(str, pa.Check.str_length(min_value=3), description="Title of the page it is from"),
        "source_publisher": pa.Column(str, pa.Check.str_length(min_value=2), description="Who published that page"),
        "source_url": pa.Column(str, pa.Check.str_matches(r"^https?://\S+( ; https?://\S+)*$"),
                                description="Address of that page (of each, separated by ' ; ', for a figure two "
                                "pages give)"),
        "context": pa.Column(str, nullable=True, description="A short paraphrase of the page (not a quotation)"),
    },
)


# --- Deprivation, healthy life and quality of care (issue 24) ---------------------------------------------------

LSOA11_COUNT = 32_844  # LSOAs (2011) in England, each ranked by the Index of Multiple Deprivation 2019
IMD_RANK = Bounds(1, LSOA11_COUNT)  # 1 = most deprived
IMD_DECILE = Bounds(1, 10)  # 1 = the most deprived 10% of England's LSOAs
LA_CODE = r"^E0[6789]\d{6}$"  # a local authority district, unitary or borough (ONS GSS), e.g. E06000009 Blackpool
HLE_YEARS = Bounds(30, 90)  # healthy life expectancy at birth, years: England's areas lie between about 50 and 72
PER_CENT = Bounds(0, 100)  # a share in per cent (a practice's patients treated to target)
PRACTICE_PERSONS = Bounds(0, 200_000)  # one GP practice's weighted population: the largest lists hold about 100,000

LSOA_DEPRIVATION = _schema(
    "lsoa_deprivation",
    {
        "lsoa_code": pa.Column(str, _matches(r"^E01\d{6}$"), unique=True, description="LSOA (2011) code (ONS GSS)"),
        "imd_rank": pa.Column(int, IMD_RANK.check(), metadata={"unit": "rank"},
                              description=f"IMD 2019 rank among England's {LSOA11_COUNT:,} LSOAs (1 = most deprived; "
                              "LSOAs tied in the file share the best rank, and the next rank is skipped)"),
        "imd_decile": pa.Column(int, IMD_DECILE.check(), metadata={"unit": "decile"},
                                description="IMD 2019 decile of England's LSOAs (1 = the most deprived 10%)"),
        "ward_code": pa.Column(str, _matches(r"^E05\d{6}$"), description="Electoral ward (December 2017), best fit"),
        "ward_name": pa.Column(str, pa.Check.str_length(min_value=2), nullable=True,
                               description="Ward name (2017); empty for the wards of the City of London and the Isles "
                               "of Scilly, which the names file leaves out"),
        "lad_code": pa.Column(str, _matches(LA_CODE), description="The ward's local authority (2019), as the ward "
                              "names file gives it (for a ward it leaves out, its LSOA's 2022 authority)"),
        "lad_name": pa.Column(str, pa.Check.str_length(min_value=2), description="The ward's local authority name"),
        "icb_code": pa.Column(str, _matches(ODS_ICB_PATTERN), description="ICB (NHS ODS, 2022) the LSOA is in"),
        "ltla22_code": pa.Column(str, _matches(LA_CODE), description="Lower-tier local authority (2022) of the LSOA"),
        "ltla22_name": pa.Column(str, pa.Check.str_length(min_value=2), description="Its name"),
        "sub_icb_code": pa.Column(str, _matches(r"^[0-9A-Z]{3,5}$"),
                                  description="Sub-ICB location (NHS ODS, 2022), e.g. 00R Blackpool; five characters "
                                  "for a merged one"),
    },
)

HLE_SEXES = ["Female", "Male"]

HEALTHY_LIFE_EXPECTANCY = _schema(
    "healthy_life_expectancy",
    {
        "area_code": AREA_CODE,
        "area_name": pa.Column(str, pa.Check.str_length(min_value=2), description="Area name as published"),
        "area_type": pa.Column(str, pa.Check.isin(["Country", "County", "UA"]),
                               description="Country (England), County (a county council's area) or UA (a unitary "
                               "authority, metropolitan district or London borough), as published"),
        "sex": pa.Column(str, pa.Check.isin(HLE_SEXES), description="Female or Male"),
        "period": pa.Column(str, pa.Check.str_matches(r"^\d{4} - \d{2}$"),
                            description="Three years pooled, as published, e.g. '2018 - 20'"),
        "period_end": pa.Column(int, MID_YEAR.check(), description="The period's last calendar year, e.g. 2020"),
        "release": pa.Column(str, pa.Check.str_length(min_value=3),
                             description="Which extract or publication the value is from"),
        "ons_series": pa.Column(str, pa.Check.isin(["before revision", "revised"]),
                                description="The ONS series the value belongs to: before or after ONS's revision; "
                                "never join the two in one line"),
        "hle_years": pa.Column(float, HLE_YEARS.check(), metadata={"unit": "years"},
                               description="Healthy life expectancy at birth, years, as published (1 decimal)"),
    },
    unique=["area_code", "sex", "period", "release"],
)

QOF_HYPERTENSION = _schema(
    "qof_hypertension",
    {
        "practice_code": pa.Column(str, pa.Check.str_matches(r"^[A-Z]\d{5}$"), description="GP practice (NHS ODS)"),
        "practice_name": pa.Column(str, pa.Check.str_length(min_value=2), description="Practice name as given"),
        "icb_code": pa.Column(str, pa.Check.str_matches(ODS_ICB_PATTERN),
                              description="ICB (NHS ODS), from the ICB name the extract gives"),
        "extract": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$"),
                             description="The extract, by the month it was taken, e.g. 2024-05"),
        "qof_year": pa.Column(str, pa.Check.str_matches(YEAR_PATTERN),
                              description="The QOF year the extract's values are for (inferred, see its layout)"),
        "weighted_population": pa.Column(float, PRACTICE_PERSONS.check(), nullable=True, metadata={"unit": "persons"},
                                         description="NHS England need-weighted population of the practice"),
        "hyp_under80_treated_pct": pa.Column(
            float, PER_CENT.check(), nullable=True, metadata={"unit": "per cent"},
            description="QOF HYP008: patients under 80 with hypertension whose last blood pressure in 12 months is "
            "140/90 mmHg or less, per cent; empty where not published"),
        "hyp_80plus_treated_pct": pa.Column(
            float, PER_CENT.check(), nullable=True, metadata={"unit": "per cent"},
            description="QOF HYP009: patients 80 and over with hypertension whose last blood pressure in 12 months is "
            "150/90 mmHg or less, per cent; empty where not published"),
    },
    unique=["practice_code", "extract"],
)


@dataclass(frozen=True)
class Table:
    """One prepared table: its file under ``data/``, schema, sources and description.

    ``sources`` are the ids in ``sources/sources.yml`` of the publications a table read by file name is made from;
    a table read through layouts is cited from its layouts (``sources/layouts/<table>/``), each with its years.
    """

    name: str
    schema: pa.DataFrameSchema
    sources: tuple[str, ...]
    description: str
    licenses: tuple[dict, ...] = (OGL,)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "icb_allocations",
            ALLOCATIONS,
            (),  # cited from its layouts in sources/layouts/, with the years each gives
            "ICB revenue allocations by year for all ICBs: core services, primary care and running costs, with "
            "distance from target.",
        ),
        Table(
            "icb_weighted_population",
            WEIGHTED_POPULATION,
            (),  # cited from its layouts in sources/layouts/, with the years each gives
            "Registered and need-weighted populations by ICB and year, summed from the GP-practice file.",
        ),
        Table(
            "icb_lookup",
            ICB_LOOKUP,
            ("ons_icb_codes",),  # and the latest year's allocations, cited from their layouts
            "Each ICB's ODS code, ONS GSS code, name and region, matched by normalised name.",
        ),
        Table(
            "areas",
            AREAS,
            ("ons_icb_codes",),
            "Names and types of the areas used in the population and activity tables.",
        ),
        Table(
            "population_projection",
            POPULATION_PROJECTION,
            ("ons_snpp_2018",),
            "ONS population projections, persons by single year of age (90 = 90+), sex and mid-year, one row each "
            "(the vintage is the first year): the principal projection for every ICB, England, Lancashire and the "
            "Lancashire and South Cumbria districts; the ten variants for the areas that make up Lancashire and South "
            "Cumbria, and for England.",
        ),
        Table(
            "population_estimates",
            POPULATION_ESTIMATES,
            ("ons_mye",),
            "Mid-year population estimates by single year of age (90 = 90+), persons, for the Lancashire and South "
            "Cumbria districts and Eden, on pre-2023 boundaries.",
        ),
        Table(
            "activity_rates",
            ACTIVITY_RATES,
            ("su_activity_rates",),
            "Hospital activity per person per year by age (17 to 90+) and sex in calendar 2022: A&E, admissions, "
            "bed days and outpatients, for every ICB, England and the areas that make up Lancashire and South Cumbria.",
        ),
        Table(
            "unit_costs",
            UNIT_COSTS,
            (),  # cited from its layouts in sources/layouts/, with the years each gives
            "National average unit cost per admission, attendance or appointment, by the activities of "
            "activity_rates, for each National Cost Collection year.",
        ),
        Table(
            "trust_operating_expenditure",
            TRUST_OPERATING_EXPENDITURE,
            ("nhse_tac_opex",),
            "Total operating expenditure (£) of every NHS trust and foundation trust, with its sector and host ICB, "
            "from the Trust Accounts Consolidation data; some host ICBs carry 2026 merged-ICB codes.",
        ),
        Table(
            "published_figures",
            PUBLISHED_FIGURES,
            ("published_figures", "published_pages_quality", "published_pages_context", "published_pages_round3"),
            "Single figures that exist only in published web pages (deficits, savings, control totals, budgets; "
            "quality and oversight ratings, contracts, service counts, national objectives), each with the title, "
            "publisher and address of its source.",
            (OGL, OPL, FACTS_ONLY),
        ),
        Table(
            "lsoa_deprivation",
            LSOA_DEPRIVATION,
            ("mhclg_imd2019", "ons_lsoa_ward17", "ons_lsoa_icb22", "ward17_names"),
            "Every LSOA (2011) in England with its IMD 2019 rank and decile (1 = most deprived), its best-fit 2017 "
            "electoral ward and that ward's local authority, and its 2022 sub-ICB location, ICB and local authority.",
        ),
        Table(
            "healthy_life_expectancy",
            HEALTHY_LIFE_EXPECTANCY,
            ("ohid_hle_2024_extract", "ohid_hle_2026_extract", "lcc_hle_pages"),
            "Healthy life expectancy at birth (years) by sex and three-year period for England and every upper-tier "
            "area the sources give, one row per release: two OHID Fingertips extracts (before and after ONS's "
            "revision) and Lancashire County Council's pages (Lancashire county). A value not published has no row.",
        ),
        Table(
            "qof_hypertension",
            QOF_HYPERTENSION,
            (),  # cited from its layouts in sources/layouts/, with the QOF year each gives
            "QOF hypertension blood pressure control (HYP008 under 80, HYP009 80 and over, per cent) and weighted "
            "population of each GP practice, by extract: a third-party Fingertips extract without numerators (a "
            "proxy). A value not published is empty, never zero.",
        ),
    )
}

DATAPACKAGE = "datapackage.json"


class RawInput(NamedTuple):
    """A publisher's file a table was made from: its path under the upstream folder, its sha256 and, for a file read
    through a layout, the layout's path in the project."""

    path: str
    sha256: str
    layout: str | None = None


def year_keyed(name: str) -> bool:
    """Whether a table is keyed by financial year: its ``year`` column holds financial years such as "2024/25".

    An edition reads only some years of such a table (:func:`sots.inputs.editions.window`); any other table is read
    whole.
    """
    column = TABLES[name].schema.columns.get("year")
    return column is not None and any(check.statistics.get("pattern") == YEAR_PATTERN for check in column.checks)


def source_rows(entries: list[dict]) -> pd.DataFrame:
    """Publisher, title, address (as text) and period of each source entry (a data package entry).

    For a chapter's list of sources; the book shows the address as plain text, never as a link.
    """
    return pd.DataFrame(
        [{"Publisher": s["publisher"], "Title": s["title"], "Address": s["path"], "Period": s["period"]}
         for s in entries], columns=["Publisher", "Title", "Address", "Period"],
    )


def citation(entry: dict) -> str:
    """"Publisher, title (period)" of one source entry."""
    return f"{entry['publisher']}, {entry['title']} ({entry['period']})"


def source_link(entry: dict) -> str | None:
    """The address of one source entry's publisher page to link to: its ``path`` if that is a plain https address
    (:data:`HTTPS_ADDRESS`), else None (a source such as "see each figure's source_url" is named, not linked)."""
    address = str(entry.get("path", ""))
    return address if HTTPS_ADDRESS.fullmatch(address) else None


# A link out: https only, and nothing that could end an attribute or a Markdown link.
HTTPS_ADDRESS = re.compile(r"https://[^\s<>()`\\\[\]\"']+")




def describe_failure(path: Path | str, err: pa.errors.SchemaErrors, names: Mapping[str, str] | None = None) -> str:
    """One line naming the file, column, row and the check that failed, from pandera's failure cases.

    ``names`` maps a schema's column names to the names the file itself uses, so an error found in a publisher's file
    names that file's column.
    """
    names = names or {}
    cases = err.failure_cases
    first = cases.iloc[0]
    check = str(first.get("check"))
    expected_columns = [names.get(c, c) for c in err.schema.columns]
    # For whole-column problems pandera puts the column's name in failure_case.
    named = names.get(str(first.get("failure_case")), first.get("failure_case"))
    if check == "column_in_dataframe":
        return f"{path}: missing column '{named}' (expected the columns {expected_columns})"
    if check == "column_in_schema":
        return f"{path}: unexpected column '{named}' (expected only {expected_columns})"
    if check == "column_ordered":
        return f"{path}: columns out of order at '{named}' (expected {expected_columns})"
    if check in ("multiple_fields_uniqueness", "field_uniqueness"):
        key = list(err.schema.unique or []) if check == "multiple_fields_uniqueness" else [str(first.get("column"))]
        return describe_duplicate(path, err.data, key, names)
    column = first.get("column")
    where = f"column '{names.get(column, column)}'" if isinstance(column, str) else "table"
    index = first.get("index")
    if pd.notna(index):
        # Rows are counted as in a spreadsheet: the header is line 1, the first data row is line 2.
        where += f", line {int(index) + 2}"
    expected = {"not_nullable": "a value"}.get(check, check)
    got = first.get("failure_case")
    got = "an empty cell" if pd.isna(got) else repr(got.item() if hasattr(got, "item") else got)
    more = f" ({len(cases)} problems in all)" if len(cases) > 1 else ""
    return f"{path}: {where}: expected {expected}, got {got}{more}"


def describe_duplicate(path: Path | str, frame: pd.DataFrame, key: list[str], names: Mapping[str, str]) -> str:
    """One line naming the key's columns, the line of the first row that repeats a key (the second occurrence), the
    key's values and the line they first appear on; pandera's own failure cases list both rows, first one first."""
    again = frame.duplicated(subset=key, keep="first")
    label = again.idxmax()
    values = tuple(frame.loc[label, key])
    first = frame.index[(frame[key] == pd.Series(values, index=key)).all(axis=1)][0]
    shown = [names.get(c, c) for c in key]
    columns = f"column '{shown[0]}'" if len(key) == 1 else "columns " + ", ".join(f"'{c}'" for c in shown)
    each = shown[0] if len(key) == 1 else f"({', '.join(shown)})"
    got = repr(_plain_value(values[0])) if len(key) == 1 else repr(tuple(_plain_value(v) for v in values))
    return (f"{path}: {columns}, line {int(label) + 2}: expected each {each} once, got {got} again (first on line "
            f"{int(first) + 2})")


def _plain_value(value: object) -> object:
    """A numpy scalar as the Python value it holds, so an error line quotes 2023, not np.int64(2023)."""
    return value.item() if hasattr(value, "item") else value


def validate(df: pd.DataFrame, table: Table, path: Path | str, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Validate ``df`` against the table's schema; raise InputError with one line naming file, column and row.

    For a frame read from a publisher's file and renamed to the table's columns, keep the file's row index and give
    ``names`` (table column -> the file's column), so the error names the file's own column and line.
    """
    try:
        return table.schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise InputError(describe_failure(path, err, names)) from None


def validate_columns(df: pd.DataFrame, table: Table, path: Path | str, columns: Mapping[str, str]) -> None:
    """Check some columns of a frame read from a publisher's file (``columns``: the file's column -> the table's) with
    the table's own checks, before the frame is reshaped, so a bad value is named by the file's column and line."""
    schema = pa.DataFrameSchema({raw: table.schema.columns[tidy].set_name(raw) for raw, tidy in columns.items()},
                                coerce=True)
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise InputError(describe_failure(path, err)) from None


LOADED_TABLES = 32  # validated tables kept per process, by name and the sha256 of their bytes
_LOADED: dict[tuple[str, str], pd.DataFrame] = {}


def load(name: str, data_dir: Path | str) -> pd.DataFrame:
    """Load and validate one prepared table from ``data_dir``.

    A chapter reads tables through :meth:`sots.chapters.context.Chapter.table`, which also records which it read."""
    path = Path(data_dir) / TABLES[name].filename
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected the prepared table '{name}'; run `sots prepare`)")
    # The same bytes give the same validated table, wherever they lie: read and check them once per process (the
    # projection takes about a second; a build reads data/ and then its own copy of it), and hand each caller its
    # own copy to change as it likes. A shallow one: pandas copies on write (always, since pandas 3), so a caller's
    # change copies what it changes and never reaches the kept table, while an unchanged table is held once, not
    # twice (the projection's half a million rows are over 100 MB, in each kernel).
    content = file_sha256(path)
    if (name, content) not in _LOADED:
        if len(_LOADED) >= LOADED_TABLES:
            _LOADED.pop(next(iter(_LOADED)))  # the oldest: a long-lived process never holds more than a few
        _LOADED[name, content] = _load(name, path)
        malloc.trim()  # validating the projection frees about 35 MB of copies, which glibc would otherwise keep
    return _LOADED[name, content].copy(deep=False)


def forget() -> None:
    """Drop every table :func:`load` keeps, for a process done with them that lives on (the build's own, once its
    books are staged: the chapters read the tables in their kernels)."""
    _LOADED.clear()


def _load(name: str, path: Path) -> pd.DataFrame:
    """Read and validate a prepared table (InputError naming ``path`` if it fails its schema)."""
    table = TABLES[name]
    # Only an empty cell is missing: text such as "n/a" stays text, so the error can name it.
    # Codes and years are read as text ("2023/24" is not a number); the schema coerces each column to its type.
    # A year the schema takes as a number (a mid-year) is read as one: parsing text is slow on a long table.
    columns = table.schema.columns
    text_columns = {c: str for c in ("year", "icb_code", "icb_gss_code", "cost_year")
                    if c not in columns or not pd.api.types.is_integer_dtype(columns[c].dtype.type)}
    df = pd.read_csv(path, dtype=text_columns, keep_default_na=False, na_values=[""])
    return validate(df, table, path)


def read_package(data_dir: Path | str) -> dict:
    """The data package of ``data_dir``, checked to list a name and a sha256 for each table; InputError otherwise."""
    path = Path(data_dir) / DATAPACKAGE
    package = read_json(path, "file not found (run `sots prepare`)", "run `sots prepare` to rewrite it")
    resources_ = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources_, list):
        raise InputError(f"{path}: field 'resources': expected a list of tables (run `sots prepare`)")
    for n, resource in enumerate(resources_, 1):
        for field in ("name", "hash"):
            if not isinstance(resource, dict) or not isinstance(resource.get(field), str):
                raise InputError(f"{path}: resource {n}: missing field '{field}' (run `sots prepare`)")
    listed = {r["name"] for r in resources_}
    missing = [name for name in TABLES if name not in listed]
    if missing:
        raise InputError(f"{path}: no entry for the table '{missing[0]}' (run `sots prepare`)")
    return package


def table_hashes(data_dir: Path | str) -> dict[str, str]:
    """Each table's recorded sha256 from the data package, keyed by table name (``sha256:<hex>``)."""
    return {r["name"]: r["hash"] for r in read_package(data_dir)["resources"]}


def _field(name: str, column: pa.Column) -> dict:
    kind = {"float64": "number", "int64": "integer", "bool": "boolean"}.get(str(column.dtype), "string")
    field = {"name": name, "type": kind, "description": column.description}
    if unit := (column.metadata or {}).get("unit"):
        field["unit"] = unit
    return field


def datapackage(data_dir: Path, raw_files: dict[str, list[RawInput]], cited: dict[str, list[dict]]) -> dict:
    """The Frictionless Data Package describing every table in ``data_dir``.

    ``raw_files`` maps table name to each publisher's file it was made from; ``cited`` to the publications it is
    from (each a catalogue entry with its ``id`` and, for a table by financial year, the ``years`` it gives). The
    package carries no timestamp, so preparing the same inputs twice gives byte-identical output.
    """
    resources_ = []
    for table in TABLES.values():
        path = data_dir / table.filename
        resources_.append(
            {
                "name": table.name,
                "path": table.filename,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": table.description,
                "bytes": path.stat().st_size,
                "hash": f"sha256:{file_sha256(path)}",
                "sources": cited[table.name],
                "licenses": list(table.licenses),
                "raw_inputs": [{k: v for k, v in r._asdict().items() if v is not None}
                               for r in raw_files.get(table.name, [])],
                "schema": {
                    "fields": [_field(n, c) for n, c in table.schema.columns.items()],
                    "primaryKey": table.schema.unique or [n for n, c in table.schema.columns.items() if c.unique][:1],
                },
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "sots-prepared-inputs",
        "title": "Prepared inputs for the state of the system report",
        "licenses": [OGL],
        "attribution": ATTRIBUTION,
        "resources": resources_,
    }


def table_sources(data_dir: Path | str) -> dict[str, list[dict]]:
    """Each table's sources as its data package lists them: ``id``, ``title``, ``publisher``, ``path``, ``period``
    and, for a year-keyed table, ``years`` (the financial years that publication gives the table).

    InputError, naming the data package, for a source without an id or with years that are not a list of text.
    """
    path = Path(data_dir) / DATAPACKAGE
    found = {}
    for n, resource in enumerate(read_package(data_dir)["resources"], 1):
        entries = resource.get("sources", [])
        for m, entry in enumerate(entries if isinstance(entries, list) else [None], 1):
            where = f"{path}: resource {n} ('{resource['name']}'), source {m}"
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise InputError(f"{where}: missing field 'id' (run `sots prepare`)")
            years = entry.get("years", [])
            if not isinstance(years, list) or not all(isinstance(y, str) for y in years):
                raise InputError(f"{where}: field 'years': expected a list of financial years (run `sots prepare`)")
        found[resource["name"]] = list(entries)
    return found


def verify(data_dir: Path | str) -> list[str]:
    """Recompute each table's sha256 and compare it with the data package; return one line per mismatch.

    A missing or malformed data package is one line too: nothing in ``data_dir`` can be trusted without it.
    """
    data_dir = Path(data_dir)
    try:
        recorded_hashes = table_hashes(data_dir)
    except InputError as err:
        return [str(err)]
    problems = []
    for name, recorded in recorded_hashes.items():
        path = data_dir / f"{name}.csv"
        if not path.is_file():
            problems.append(f"{path}: file not found (listed in {DATAPACKAGE})")
        elif (actual := f"sha256:{file_sha256(path)}") != recorded:
            problems.append(f"{path}: sha256 is {actual}, expected {recorded} (from {DATAPACKAGE}): the table has "
                            "changed since `sots prepare` wrote it; run `sots prepare` to remake it")
    return problems


def projection_years(projection: pd.DataFrame) -> list[int]:
    """The mid-years a prepared ``population_projection`` table covers (its ``year`` column's values), in order."""
    return sorted(int(y) for y in projection["year"].unique())


def projection_vintage(projection: pd.DataFrame) -> str:
    """The vintage of a population projection table, e.g. "2018-based": ONS names a projection by its first mid-year."""
    return f"{projection_years(projection)[0]}-based"


def projection_by_year(projection: pd.DataFrame, area_codes: list[str], variant: str) -> pd.DataFrame:
    """Persons of some areas on one variant, wide: ``area_code``, ``sex``, ``age`` and one column per mid-year, named
    by the year as text ("2018"), in the table's order (area, sex, age).

    For the arithmetic that works year by year on whole rows (age bands, activity, growth); ``projection`` is the
    prepared (long) ``population_projection`` table. A year an area lacks is NaN.
    """
    # The table is long and this runs for every footprint and variant: narrow by variant first, comparing a plain
    # array (several times faster than a pandas string comparison), then by area on what is left, and copy once.
    chosen = projection["variant"].to_numpy() == variant
    chosen[chosen] = pd.Index(projection["area_code"].to_numpy()[chosen]).isin(area_codes)
    rows = projection.loc[chosen, ["area_code", "sex", "age", "year", "persons"]]
    wide = rows.pivot(index=["area_code", "sex", "age"], columns="year", values="persons")
    wide.columns = [str(y) for y in wide.columns]
    return wide.reset_index()
