"""ICB identities: matching NHS (ODS) codes to ONS (GSS) codes, and resolving what a user typed to one ICB."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from sots.errors import InputError

if TYPE_CHECKING:  # imported where a frame is read, so the command line's options need no pandas
    import pandas as pd

DEFAULT_ICB = "QE1"  # NHS Lancashire and South Cumbria ICB
ENGLAND = "E92000001"

# Lancashire and South Cumbria (ONS E54000048). ONS's 2023 districts merge Barrow-in-Furness and South Lakeland
# with Eden into Westmorland and Furness, and the published ICB series assigns all of it to this ICB, so it
# includes Eden (about 53,000 people), which belongs to North East and North Cumbria ICB.
LSC_GSS = "E54000048"
LANCASHIRE = "E10000017"  # the county: the 12 districts below
BLACKBURN_WITH_DARWEN = "E06000008"
BLACKPOOL = "E06000009"
WESTMORLAND_AND_FURNESS = "E06000064"
BARROW, EDEN, SOUTH_LAKELAND = "E07000027", "E07000030", "E07000031"  # pre-2023 districts
# Lancashire's districts and the locality each belongs to (the ICB's East, North and Central Lancashire).
LANCASHIRE_DISTRICTS = {
    "E07000117": "East Lancashire",  # Burnley
    "E07000120": "East Lancashire",  # Hyndburn
    "E07000122": "East Lancashire",  # Pendle
    "E07000124": "East Lancashire",  # Ribble Valley
    "E07000125": "East Lancashire",  # Rossendale
    "E07000121": "North Lancashire",  # Lancaster
    "E07000119": "North Lancashire",  # Fylde
    "E07000128": "North Lancashire",  # Wyre
    "E07000118": "Central Lancashire",  # Chorley
    "E07000123": "Central Lancashire",  # Preston
    "E07000126": "Central Lancashire",  # South Ribble
    "E07000127": "Central Lancashire",  # West Lancashire
}
LSC_DISTRICTS = [*LANCASHIRE_DISTRICTS, BLACKBURN_WITH_DARWEN, BLACKPOOL, WESTMORLAND_AND_FURNESS]
# The areas whose projection variants and activity rates build the footprint and its places.
LSC_COMPONENTS = [LANCASHIRE, BLACKBURN_WITH_DARWEN, BLACKPOOL, WESTMORLAND_AND_FURNESS]


# The 42 ICBs established on 1 July 2022, by NHS ODS code and ONS GSS code: the codes every source must use. A typo or
# a made-up code that is the same in every file still fails. When ICBs merge, the new boundaries' codes replace these.
ICB_CODES_FILE = "inputs/icb_codes.csv"
ICB_BOUNDARIES = "July 2022"


@cache
def icb_reference() -> pd.DataFrame:
    """The ICBs of England: ``icb_code`` (ODS), ``icb_gss_code`` (GSS) and ``icb_name`` (as NHS England gives it)."""
    import pandas as pd

    with resources.files("sots").joinpath(ICB_CODES_FILE).open() as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def check_icb_codes(frame: pd.DataFrame, path: object, code: str, name: str | None = None) -> None:
    """InputError naming the file, column and line (row index + 2) of the first code in ``frame[code]`` that is not an
    ICB's ODS code, with the code the reference gives the row's ICB name (``frame[name]``) if it knows it."""
    reference = icb_reference()
    unknown = ~frame[code].isin(reference["icb_code"])
    if not unknown.any():
        return
    label = unknown.idxmax()
    got = frame.at[label, code]
    hint = ""
    if name is not None:
        by_name = reference[reference["icb_name"].map(normalise_name) == normalise_name(str(frame.at[label, name]))]
        if len(by_name) == 1:
            hint = f"; the ICB it names, {by_name['icb_name'].iloc[0]}, is {by_name['icb_code'].iloc[0]}"
    raise InputError(f"{path}: column '{code}', line {int(label) + 2}: expected one of the {len(reference)} ICB codes "
                     f"(NHS ODS, {ICB_BOUNDARIES} boundaries), got {got!r}{hint}")


def check_every_icb(codes: pd.Series, where: object, year: str, reference: pd.DataFrame | None = None) -> None:
    """InputError naming ``where`` if ``codes`` (one year's rows of a source) leave out any ICB of ``reference``
    (default: :func:`icb_reference`): a benchmark across ICBs would otherwise rank one fewer, silently."""
    reference = icb_reference() if reference is None else reference
    missing = sorted(set(reference["icb_code"]) - set(codes))
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InputError(f"{where}: {year} has rows for {len(set(codes) & set(reference['icb_code']))} ICBs, expected "
                         f"all {len(reference)} (NHS ODS, {ICB_BOUNDARIES} boundaries): none for {missing[0]}{more}")


def normalise_name(name: str) -> str:
    """An ICB name reduced to a key both NHS England and ONS spellings share.

    Drops "NHS ", " ICB" and " Integrated Care Board", lower-cases, and reads "&" as "and", so
    "NHS Hampshire and Isle Of Wight ICB" and "Hampshire & Isle of Wight ICB" give the same key.
    """
    key = re.sub(r"\s+integrated care board$|\s+icb$", "", name.strip(), flags=re.IGNORECASE)
    key = re.sub(r"^nhs\s+", "", key, flags=re.IGNORECASE)
    key = key.replace("&", " and ").lower()
    return re.sub(r"\s+", " ", key).strip()


# Words written in lower case inside a place's name. NHS England's files capitalise every word of some ICBs' names
# ("NHS Hampshire and Isle Of Wight ICB", "NHS Cornwall and The Isles Of Scilly ICB"), where its own pages write
# "Isle of Wight" and "Cornwall and the Isles of Scilly".
LOWER_CASE_WORDS = frozenset({"and", "of", "the"})


def name_case(name: str) -> str:
    """A place's name with :data:`LOWER_CASE_WORDS` in lower case but for its first word, as English writes it:
    "Cornwall and The Isles Of Scilly" -> "Cornwall and the Isles of Scilly". Other words, hyphenated ones
    ("Stoke-on-Trent") and spacing are kept as given."""
    words = name.split(" ")
    return " ".join([words[0], *(w.lower() if w.lower() in LOWER_CASE_WORDS else w for w in words[1:])])


def short_name(name: str) -> str:
    """The name without "NHS " and " ICB", cased by :func:`name_case`: "NHS Lancashire and South Cumbria ICB" ->
    "Lancashire and South Cumbria"; "NHS Hampshire and Isle Of Wight ICB" -> "Hampshire and Isle of Wight"."""
    return name_case(re.sub(r"^NHS\s+|\s+ICB$", "", name.strip()))


def match_icb_codes(nhs: pd.DataFrame, ons: pd.DataFrame) -> pd.DataFrame:
    """Join NHS (``icb_code``, ``icb_name``) rows to ONS (``area_code``, ``area_name``) rows by normalised name.

    Returns one row per NHS ICB with its GSS code. Raises InputError naming every ICB without exactly one match,
    so a renamed or merged ICB is caught rather than silently dropped.
    """
    left = nhs.assign(key=nhs["icb_name"].map(normalise_name))
    right = ons.assign(key=ons["area_name"].map(normalise_name))[["key", "area_code"]]
    counts = right["key"].value_counts()
    unmatched = sorted(set(left["key"]) - set(counts.index))
    duplicated = sorted(k for k in left["key"] if counts.get(k, 0) > 1)
    if unmatched or duplicated or len(right) != len(left):
        raise InputError(
            f"ICB lookup: {len(left)} NHS ICBs against {len(right)} ONS ICBs; no ONS match for {unmatched}, "
            f"several for {duplicated} (expected every ICB to match exactly one by normalised name)"
        )
    return left.merge(right, on="key", validate="one_to_one").rename(columns={"area_code": "icb_gss_code"})


def _similarity(typed: str, candidate: str) -> float:
    """difflib's ratio plus the share of a common prefix, so "QE2" is nearest "QE1" and "lanc" nearest "lancashire"."""
    prefix = len(os.path.commonprefix([typed, candidate]))
    return difflib.SequenceMatcher(None, typed, candidate).ratio() + prefix / max(len(typed), len(candidate), 1)


def closest_icbs(typed: str, lookup: pd.DataFrame, n: int = 3) -> list[str]:
    """Up to ``n`` ICBs, as "CODE (Short name)", whose code or name is nearest ``typed``, or that contain it."""
    typed = typed.strip().lower()
    scores: dict[str, float] = {}
    for row in lookup.itertuples():
        # The reference table (:func:`icb_reference`) has no short names: they are made from the full one.
        label = f"{row.icb_code} ({getattr(row, 'short_name', None) or short_name(row.icb_name)})"
        name = normalise_name(row.icb_name)
        # The name's opening, cut to the length typed, catches abbreviations such as "lancs".
        keys = (row.icb_code.lower(), row.icb_gss_code.lower(), name, name[: len(typed)])
        score = max(_similarity(typed, key) for key in keys)
        if len(typed) > 3 and typed in name:  # a word of the name, e.g. "cumbria"
            score = max(score, 1.0)
        scores[label] = score
    ranked = sorted(scores, key=lambda label: -scores[label])
    return [label for label in ranked[:n] if scores[label] >= 0.6]


def resolve_icb(query: str, lookup: pd.DataFrame) -> pd.Series:
    """The lookup row for an ICB given by ODS code, GSS code or name (any case); InputError with suggestions if none.

    The error suggests the closest codes and names, so a typo such as "QE2" or "lancashire" is one step from right.
    """
    q = query.strip()
    if not q:  # an empty --icb (an unset shell variable, say) is like every name and no code: say so, not guess
        raise InputError(f"unknown ICB '{query}': expected one of the {len(lookup)} ICB codes (ODS or GSS) or names, "
                         "got nothing; run `sots icbs` to list them")
    for column in ("icb_code", "icb_gss_code"):
        hit = lookup[lookup[column].str.upper() == q.upper()]
        if len(hit) == 1:
            return hit.iloc[0]
    hit = lookup[lookup["icb_name"].map(normalise_name) == normalise_name(q)]
    if len(hit) == 1:
        return hit.iloc[0]
    suggestions = closest_icbs(q, lookup)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else "; run `sots icbs` to list them"
    raise InputError(f"unknown ICB '{query}': expected one of the {len(lookup)} ICB codes (ODS or GSS) or names{hint}")


@dataclass(frozen=True)
class Component:
    """One piece of a footprint: an area whose projection and activity rates are used, and the place it belongs to.

    ``share`` scales the area's population by single year of age (index 0..90, fractions); None takes all of it.
    """

    area_code: str
    place: str
    share: pd.Series | None = None


def south_cumbria_share(estimates: pd.DataFrame, year: int = 2020) -> pd.Series:
    """Share of Westmorland and Furness's population, by single year of age, living in Barrow-in-Furness and South
    Lakeland rather than Eden (a fraction, index age 0..90).

    From ONS mid-year estimates on pre-2023 boundaries (``population_estimates``), persons only: the same share is
    applied to both sexes, because the estimates give no sex split.
    """
    df = estimates[estimates["year"] == year].pivot(index="age", columns="area_code", values="persons")
    missing = {BARROW, EDEN, SOUTH_LAKELAND} - set(df.columns)
    if missing:
        raise InputError(
            f"population_estimates: no {year} estimates for {sorted(missing)} "
            "(needed to split Westmorland and Furness)"
        )
    south = df[BARROW] + df[SOUTH_LAKELAND]
    return (south / (south + df[EDEN])).rename("share")


def footprint(icb_gss: str, estimates: pd.DataFrame | None = None, exact: bool = True) -> list[Component]:
    """The areas that make up an ICB, each with its place.

    For Lancashire and South Cumbria with ``exact`` (the default): Lancashire, Blackburn with Darwen, Blackpool and
    South Cumbria, the last being Westmorland and Furness scaled by :func:`south_cumbria_share` so that Eden is left
    out. For any other ICB, or with ``exact=False``, the ICB's published ONS series as one piece.
    """
    if icb_gss == LSC_GSS and exact:
        if estimates is None:
            raise ValueError("the exact Lancashire and South Cumbria footprint needs population_estimates")
        return [
            Component(LANCASHIRE, "Lancashire"),
            Component(BLACKBURN_WITH_DARWEN, "Blackburn with Darwen"),
            Component(BLACKPOOL, "Blackpool"),
            Component(WESTMORLAND_AND_FURNESS, "South Cumbria", south_cumbria_share(estimates)),
        ]
    return [Component(icb_gss, "Whole ICB")]


def localities(icb_gss: str) -> dict[str, str]:
    """District code -> locality for an ICB's places that split into localities (only Lancashire, so far)."""
    return dict(LANCASHIRE_DISTRICTS) if icb_gss == LSC_GSS else {}
