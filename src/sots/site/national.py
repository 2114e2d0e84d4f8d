"""The national page of an edition: every ICB's headline figures in one table, each ICB linking to its own book.

``sots build --all-icbs`` builds an edition's book once per ICB, each with its own results.json. This module turns
those results into one static page per edition, so a reader can compare ICBs without opening 42 books. The page reads
nothing but the results: the figures are the same values each book quotes (one
:meth:`sots.analysis.results.Recorder.figure` call glues the prose and writes results.json), so the page and the books
cannot disagree.

Two pure steps: :func:`rows` gathers the figures into a table (one row per ICB, by name) and refuses a table with an
ICB missing; :func:`page` renders it through the ``national.html`` template. Nothing here names an ICB or a year: the
ICBs come from the lookup, the years from the figure ids.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from urllib.parse import urlsplit

import pandas as pd

from sots.analysis.results import RESULTS_FILE
from sots.errors import BuildError
from sots.render import render

TEMPLATE = "national.html"
# The columns of the table that describe the ICB rather than a figure, in the lookup's names.
ICB_COLUMNS = ("icb_code", "icb_name", "short_name", "region_name")
# The column of :func:`rows` holding, per ICB, each headline figure not published and why (figure id -> sentence).
REASONS = "not_published"
MISSING = "not published"  # what a cell without a value says; the reason goes in its title
MINUS = "\u2212"  # a true minus sign: a hyphen is narrower and lines up badly in a column of numbers


@dataclass(frozen=True)
class Headline:
    """One column of the national table: a figure id of results.json, how the column is headed and formatted.

    ``unit`` is the unit results.json records for the figure: :func:`rows` checks it, so a chapter that changed a
    figure's unit (pounds for £ million, say) fails the build rather than publishing a value formatted for another
    unit. A value is shown as ``prefix`` + the number to ``decimals`` places with thousands separators + ``suffix``.
    """

    figure_id: str
    header: str  # short, with its unit and, for a projection, the year the figure id names
    unit: str
    decimals: int = 0
    prefix: str = ""
    suffix: str = ""
    rank: bool = False  # a rank among all ICBs (1 = highest), which the page's note explains

    def format(self, value: float) -> str:
        """``value`` as the page shows it, e.g. 1907.35 -> "£1,907", 24.224 -> "24.2%", -3.21 -> "−3.2%"."""
        rounded = round(float(value), self.decimals)
        sign = MINUS if rounded < 0 else ""  # a value that rounds to zero shows no sign: "−0.0%" says nothing
        return f"{sign}{self.prefix}{abs(rounded):,.{self.decimals}f}{self.suffix}"


GBP_PER_HEAD = "GBP per registered person"
RANK = "rank of ICBs (1 = highest)"
GROWTH = "per cent growth"

# The table's columns, in order. Ranks sit beside the figure they rank; bed days and hospital cost are growth from
# the projection's base year to the year the figure id names.
HEADLINES: tuple[Headline, ...] = (
    Headline("core_allocation_per_head_gbp", "Funding per head (£)", GBP_PER_HEAD, prefix="£"),
    Headline("core_allocation_per_head_rank", "Rank, funding per head", RANK, rank=True),
    Headline("core_allocation_per_weighted_head_gbp", "Funding per need-weighted head (£)",
             "GBP per need-weighted person", prefix="£"),
    Headline("core_allocation_per_weighted_head_rank", "Rank, funding per need-weighted head", RANK, rank=True),
    Headline("acute_cost_gbp_m", "Acute cost estimate (£m a year)", "GBP million per year", 1, "£", "m"),
    Headline("acute_cost_per_head_gbp", "Acute cost per head (£ a year)", "GBP per person per year", prefix="£"),
    Headline("beddays_65plus_growth_2033_pct", "Bed days, age 65+, growth to 2033 (%)", GROWTH, 1, suffix="%"),
    Headline("beddays_65plus_growth_2043_pct", "Bed days, age 65+, growth to 2043 (%)", GROWTH, 1, suffix="%"),
    Headline("beddays_85plus_growth_2033_pct", "Bed days, age 85+, growth to 2033 (%)", GROWTH, 1, suffix="%"),
    Headline("beddays_85plus_growth_2043_pct", "Bed days, age 85+, growth to 2043 (%)", GROWTH, 1, suffix="%"),
    Headline("hospital_cost_demographic_growth_2038_pct", "Hospital cost growth from population change to 2038 (%)",
             GROWTH, 1, suffix="%"),
)


def _value(code: str, headline: Headline, entry: object) -> tuple[float, str | None]:
    """The figure's value (NaN if not published) and, if not published, why; BuildError if the entry is malformed."""
    where = f"ICB {code}, figure '{headline.figure_id}'"
    if entry is None:  # an edition whose chapters do not record this figure at all
        return math.nan, "This edition's results for this ICB do not include this figure."
    if not isinstance(entry, Mapping):
        raise BuildError(f"{where}: expected an object with a value in results.json, found {entry!r}")
    value = entry.get("value")
    if value is None:
        reason = entry.get("not_computed")
        return math.nan, str(reason) if reason else "This figure was not computed for this ICB in this edition."
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise BuildError(f"{where}: the value {value!r} is not a finite number")
    if entry.get("unit") != headline.unit:
        raise BuildError(f"{where}: results.json gives the unit {entry.get('unit')!r}, the national page expects "
                         f"{headline.unit!r}; change its HEADLINES entry to match")
    return float(value), None


def rows(results_by_icb: Mapping[str, Mapping[str, dict]], lookup: pd.DataFrame) -> pd.DataFrame:
    """The national table: one row per ICB of ``lookup`` (the ``icb_lookup`` table), ordered by ICB name.

    ``results_by_icb`` maps each ICB code to its edition's results.json (figure id -> entry). Columns: the ICB's
    ``icb_code``, ``icb_name``, ``short_name`` and ``region_name``; one column per :data:`HEADLINES` figure id holding
    the value in that headline's unit (£ per head, a rank of all ICBs with 1 the highest, £ million a year, or per
    cent growth to the year the id names), NaN where results.json gives no value; and ``not_published``, a dict of
    each figure id without a value -> the sentence saying why (results.json's reason, or that the figure is absent).

    An ICB of the lookup without results, or results for a code the lookup does not know, is a BuildError naming the
    code: a national page with a hole, or a row it cannot name, must not publish. Pure: reads and changes nothing else.
    """
    known = set(lookup["icb_code"])
    missing = [code for code in lookup["icb_code"] if code not in results_by_icb]
    if missing:
        raise BuildError(f"no results for ICB {', '.join(missing)}: the national page needs every ICB of the lookup "
                         f"({len(missing)} of {len(known)} missing); build each ICB's book first")
    unknown = sorted(set(results_by_icb) - known)
    if unknown:
        raise BuildError(f"results for ICB {', '.join(unknown)}, which the ICB lookup does not name")
    records = []
    for icb in lookup.sort_values("icb_name", kind="stable").itertuples(index=False):
        results = results_by_icb[icb.icb_code]
        record: dict[str, object] = {column: getattr(icb, column) for column in ICB_COLUMNS}
        reasons: dict[str, str] = {}
        for headline in HEADLINES:
            record[headline.figure_id], reason = _value(icb.icb_code, headline, results.get(headline.figure_id))
            if reason is not None:
                reasons[headline.figure_id] = reason
        record[REASONS] = reasons
        records.append(record)
    columns = [*ICB_COLUMNS, *(h.figure_id for h in HEADLINES), REASONS]
    return pd.DataFrame.from_records(records, columns=columns)


def _relative(url: str, what: str) -> str:
    """``url`` if it stays on this site (a relative path); BuildError otherwise, because the page makes no request
    to, and sends no reader to, another host by accident."""
    parts = urlsplit(url)
    if not url or parts.scheme or parts.netloc or url.startswith("/"):
        raise BuildError(f"{what} {url!r} is not a relative path within the site")
    return url


def page(edition: str, edition_title: str, table: pd.DataFrame, focal: str | None, links: Mapping[str, str],
         icon: str | None = None, ranked_among: int | None = None) -> str:
    """The national page of edition ``edition`` (titled ``edition_title``) as HTML: ``table`` (from :func:`rows`) with
    each ICB's name linking to ``links[code]`` (its book's front page, relative to the page) and the row of
    ``focal`` (an ICB code, or None) marked.

    Values are formatted in their headline's unit (£ with thousands separators, £m, %, ranks as whole numbers); a
    missing value says "not published" with its reason as a tooltip. ``icon`` is the relative path of the site's
    icon, named so the browser does not ask for /favicon.ico. Every link must be relative: the page is static and
    self-contained (inline CSS, no script, nothing from another host). ``ranked_among`` is how many ICBs the ranks are
    of (default: the rows), for a page that shows only some of them. BuildError if an ICB has no link, a link is not
    relative, or ``focal`` is not in the table. Pure.
    """
    codes = list(table["icb_code"])
    if focal is not None and focal not in codes:
        raise BuildError(f"the focal ICB {focal} is not in the national table")
    unlinked = [code for code in codes if code not in links]
    if unlinked:
        raise BuildError(f"no link to the book of ICB {', '.join(unlinked)} for the national page")
    body = []
    for record in table.to_dict("records"):
        reasons = record[REASONS]
        cells = []
        for headline in HEADLINES:
            value = record[headline.figure_id]
            if pd.isna(value):
                cells.append({"text": MISSING, "reason": reasons.get(headline.figure_id, ""), "missing": True})
            else:
                cells.append({"text": headline.format(value), "reason": "", "missing": False})
        body.append({
            "code": record["icb_code"],
            "name": record["short_name"],  # "NHS … ICB" around every name would only widen the column
            "full_name": record["icb_name"],
            "region": record["region_name"],
            "href": _relative(links[record["icb_code"]], f"the link to ICB {record['icb_code']}'s book"),
            # Its figures file sits beside its book's front page, as every book publishes it.
            "figures": posixpath.join(posixpath.dirname(links[record["icb_code"]]), RESULTS_FILE),
            "focal": record["icb_code"] == focal,
            "cells": cells,
        })
    focal_name = next((row["full_name"] for row in body if row["focal"]), None)
    return render(
        TEMPLATE,
        edition=edition,
        edition_title=edition_title,
        headers=[h.header for h in HEADLINES],
        rows=body,
        n_icbs=ranked_among or len(body),
        n_shown=len(body),
        focal_name=focal_name,
        missing=MISSING,
        icon=_relative(icon, "the icon") if icon is not None else None,
    )
