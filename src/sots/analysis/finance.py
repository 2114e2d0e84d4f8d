"""Savings, funding bases, deficits and the budget split: the figures of the chapter on the financial position.

Money is in £ millions (names end ``_gbp_m``) unless a name says otherwise; shares are per cent (6.6 means 6.6%).
Figures that exist only in published pages come from the prepared ``published_figures`` table, each with its
source; the figures the report itself states come from the claims register, ``claims.yml``. All functions are pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sots import escape
from sots.analysis import claims
from sots.prose import listed

# Published units -> £ millions per unit.
GBP_M_PER_UNIT = {"GBP": 1e-6, "GBP thousand": 1e-3, "GBP million": 1.0, "GBP billion": 1e3}


def to_gbp_m(value: float, unit: str) -> float:
    """A published amount in £ millions: 4.5 'GBP billion' -> 4500.0. Raises ValueError for a unit that is not money."""
    if unit not in GBP_M_PER_UNIT:
        raise ValueError(f"unit '{unit}' is not an amount of money (expected one of {list(GBP_M_PER_UNIT)})")
    return float(value) * GBP_M_PER_UNIT[unit]


def share_pct(part: float, whole: float) -> float:
    """``part`` as a per cent of ``whole`` (same units): 240.7, 3647 -> 6.6."""
    if whole == 0:
        raise ValueError("cannot take a share of zero")
    return part / whole * 100.0


def annualise(amount: float, months: float) -> float:
    """An amount over ``months`` months scaled to twelve (same unit): £5m in 10 months -> £6m a year."""
    if months <= 0:
        raise ValueError(f"months must be positive, got {months}")
    return amount * 12.0 / months


# --- The report's own figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFigures:
    """The figures one edition's report states, for the ICB whose report it is."""

    edition: str
    icb_code: str
    title: str
    publisher: str
    period: str
    figures: dict[str, dict] = field(default_factory=dict)

    def value(self, key: str) -> float:
        """The figure as the report states it, in its own unit (see :meth:`unit`)."""
        return float(self.figures[key]["value"])

    def unit(self, key: str) -> str:
        return self.figures[key]["unit"]

    def gbp_m(self, key: str) -> float:
        """A money figure of the report in £ millions."""
        return to_gbp_m(self.value(key), self.unit(key))

    def citation(self) -> str:
        return f"{self.publisher}, “{self.title}”"


FIGURE_FIELDS = ("year", "months", "period")  # a stated figure's optional context, kept with it


def edition_report(edition: str, register: Path | None = None) -> ReportFigures:
    """The figures of the report the book checks, as an edition checks them, whichever ICB the edition is for.
    ``register`` is the claims register's path (default: the project's; a chapter passes its own root's).

    Every edition checks the same report: the edition that reproduces it against its own year, a later edition
    against that year's figures. Read from the claims register (``claims.yml``): each claim with a ``key`` is a
    figure under that key, with ``value``, ``unit``, ``claim`` (its id) and ``says`` (the paraphrase); a claim's
    ``also`` adds further figures.
    """
    about = claims.report(register)
    figures = {}
    for c in claims.load(register).values():
        if "key" not in c:
            continue
        context = {k: c[k] for k in FIGURE_FIELDS if k in c}
        figures[c["key"]] = {"value": c["stated"], "unit": c["unit"], "claim": c["id"], "says": c["claim"], **context}
        for key, more in (c.get("also") or {}).items():
            extra = {k: more[k] for k in FIGURE_FIELDS if k in more}
            figures[key] = {
                "value": more["value"], "unit": more["unit"], "claim": c["id"], "says": more["claim"], **extra,
            }
    fields = {k: about[k] for k in ("icb_code", "title", "publisher", "period")}
    return ReportFigures(edition=edition, **fields, figures=figures)


def report_figures(edition: str, icb_code: str, register: Path | None = None) -> ReportFigures | None:
    """The report's figures for ``edition`` if that report is ``icb_code``'s; None otherwise (no report to check).
    ``register`` as for :func:`edition_report`."""
    report = edition_report(edition, register)
    return report if report.icb_code == icb_code else None


def claims_markdown(report: ReportFigures, claims: tuple[str, ...]) -> str:
    """The report's own words for the given claims (e.g. ("F2", "F3")), one bullet each, with the claim id: Markdown,
    the register's words escaped (:func:`sots.escape.markdown`)."""
    return "\n".join(f"- {escape.markdown(f['says'])} ({escape.markdown(f['claim'])})" for f in report.figures.values()
                     if f["claim"] in claims)


# --- Published figures ----------------------------------------------------------------------------------------------


def published(figures: pd.DataFrame, icb_code: str | None, measure: str, year: str | None = None) -> pd.Series | None:
    """The one published figure for an ICB (None: England), measure and optionally year; None if there is none.

    ``figures`` is the prepared ``published_figures`` table. Raises ValueError if the choice is ambiguous.
    """
    scope = figures["icb_code"].isna() if icb_code is None else figures["icb_code"] == icb_code
    rows = figures[scope & (figures["measure"] == measure)]
    if year is not None:
        rows = rows[rows["year"] == year]
    if len(rows) > 1:
        raise ValueError(
            f"{len(rows)} published figures for {icb_code} {measure} {year or ''}: {list(rows['figure_id'])}"
        )
    return rows.iloc[0] if len(rows) else None


def published_gbp_m(figures: pd.DataFrame, icb_code: str | None, measure: str, year: str | None = None) -> float | None:
    """A published money figure in £ millions, or None if there is none."""
    row = published(figures, icb_code, measure, year)
    return None if row is None else to_gbp_m(row["value"], row["unit"])


def citation(row: pd.Series) -> str:
    """A published figure's source as text: publisher, “title” (its address is listed in the chapter's sources)."""
    return f"{row['source_publisher']}, “{row['source_title']}”"


def linked_citation(row: pd.Series | dict) -> str:
    """A published figure's source as Markdown: publisher, then “title” linked to its page (:func:`sots.escape.link`),
    every text from the table escaped."""
    page = escape.link(f"“{row['source_title']}”", row["source_url"])
    return f"{escape.markdown(row['source_publisher'])}, {page}"


def sources_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Each distinct source behind ``rows`` (published figures): publisher, title, address and the figures used."""
    grouped = rows.groupby(["source_publisher", "source_title", "source_url"], sort=False)["figure_id"]
    out = grouped.apply(lambda ids: ", ".join(sorted(ids))).reset_index()
    return out.rename(columns={"source_publisher": "Publisher", "source_title": "Title", "source_url": "Address",
                               "figure_id": "Figures used"})


# --- Savings ------------------------------------------------------------------------------------------------------


def savings(figures: pd.DataFrame, icb_code: str, year: str) -> dict | None:
    """Savings delivered, recurrent and against plan for one ICB's system in ``year`` (£ millions; shares per cent).

    None when no published figure gives the savings delivered. The plan is delivered plus the published shortfall.
    """
    delivered = published_gbp_m(figures, icb_code, "savings_delivered", year)
    if delivered is None:
        return None
    recurrent = published_gbp_m(figures, icb_code, "savings_recurrent", year)
    shortfall = published_gbp_m(figures, icb_code, "savings_shortfall_vs_plan", year)
    plan = None if shortfall is None else delivered + shortfall
    used = [published(figures, icb_code, m, year) for m in ("savings_delivered", "savings_recurrent",
                                                            "savings_shortfall_vs_plan")]
    return {
        "delivered_gbp_m": delivered,
        "recurrent_gbp_m": recurrent,
        "recurrent_pct": None if recurrent is None else share_pct(recurrent, delivered),
        "shortfall_gbp_m": shortfall,
        "plan_gbp_m": plan,
        "delivered_pct_of_plan": None if plan is None else share_pct(delivered, plan),
        "figure_ids": [r["figure_id"] for r in used if r is not None],
    }


# --- Funding bases ------------------------------------------------------------------------------------------------

# Each published allocation base for an ICB, widest last: (key, label, columns of icb_allocations summed, £ thousands).
FUNDING_BASES = (
    ("core_recurrent_allocation", "Core services, recurrent", ("core_recurrent_allocation_gbp_k",)),
    ("core_total_allocation", "Core services, total (with elective recovery)", ("core_total_allocation_gbp_k",)),
    ("core_combined_allocation", "Core services, combined (with discharge)", ("core_combined_allocation_gbp_k",)),
    ("core_and_primary_care_allocation", "Core combined + primary care",
     ("core_combined_allocation_gbp_k", "pmc_recurrent_allocation_gbp_k", "other_primary_care_gbp_k")),
    ("total_allocation", "All ICB allocations (+ running costs)",
     ("core_combined_allocation_gbp_k", "pmc_recurrent_allocation_gbp_k", "other_primary_care_gbp_k",
      "running_cost_allowance_gbp_k")),
)


# What each allocation column of icb_allocations is, for the sentence saying NHS England did not publish it.
ALLOCATION_NAMES = {
    "core_recurrent_allocation_gbp_k": "the core services recurrent allocation",
    "core_total_allocation_gbp_k": "the core services total allocation",
    "core_combined_allocation_gbp_k": "the core services combined allocation",
    "pmc_recurrent_allocation_gbp_k": "the primary medical care allocation",
    "other_primary_care_gbp_k": "the other primary care allocation",
    "running_cost_allowance_gbp_k": "the running cost allowance",
}


def unpublished_bases(allocations: pd.DataFrame, icb_code: str, year: str) -> dict[str, str]:
    """Each allocation base of :data:`FUNDING_BASES` that cannot be summed for one ICB in one year, with why: "NHS
    England did not publish <the allocations it lacks> for <year>." Empty if every base can be."""
    row = allocations[(allocations["icb_code"] == icb_code) & (allocations["year"] == year)].iloc[0]
    why = {}
    for key, _, columns in FUNDING_BASES:
        lacking = [ALLOCATION_NAMES[c] for c in columns if pd.isna(row[c])]
        if lacking:
            why[key] = f"NHS England did not publish {listed(lacking)} for {year}."
    return why


def funding_bases(allocations: pd.DataFrame, icb_code: str, year: str) -> pd.DataFrame:
    """Each published allocation base of one ICB in one year: ``base``, ``label``, ``amount_gbp_m`` (£ millions).

    ``allocations`` is the prepared ``icb_allocations`` table (£ thousands). A base with an allocation NHS England
    did not publish for the year is NaN (:func:`unpublished_bases` says why). Raises ValueError if the ICB or year is
    missing.
    """
    row = allocations[(allocations["icb_code"] == icb_code) & (allocations["year"] == year)]
    if len(row) != 1:
        raise ValueError(f"no allocation for {icb_code} in {year} (years: {sorted(allocations['year'].unique())})")
    row = row.iloc[0]
    return pd.DataFrame(
        [{"base": key, "label": label, "amount_gbp_m": sum(float(row[c]) for c in columns) / 1000.0}
         for key, label, columns in FUNDING_BASES]
    )


def total_allocation_gbp_m(allocations: pd.DataFrame, icb_code: str, year: str) -> float:
    """The sum of an ICB's allocations in a year (£ millions): core combined, primary care and running costs; NaN if
    NHS England did not publish one of them for the year."""
    bases = funding_bases(allocations, icb_code, year).set_index("base")
    return float(bases.loc["total_allocation", "amount_gbp_m"])


def implied_base_gbp_m(amount_gbp_m: float, pct: float) -> float:
    """The base of which ``amount_gbp_m`` is ``pct`` per cent (£ millions): 240.7 at 6.6% -> 3,647."""
    if pct <= 0:
        raise ValueError(f"a share must be positive to imply a base, got {pct}")
    return amount_gbp_m / pct * 100.0


def savings_shares(savings_gbp_m: float, bases: pd.DataFrame, stated_pct: float, decimals: int = 1) -> pd.DataFrame:
    """Savings as a per cent of each base, against the share a report states.

    Adds to ``bases`` (from :func:`funding_bases`): ``share_pct``; ``difference_pct_points`` (share − stated);
    ``matches``, True where the share rounds to the stated figure at its ``decimals`` (6.55 to 6.65 for 6.6); and
    ``base_gap_gbp_m``, the base minus the base the stated share implies.
    """
    implied = implied_base_gbp_m(savings_gbp_m, stated_pct)
    share = savings_gbp_m / bases["amount_gbp_m"] * 100.0
    half = 0.5 * 10.0 ** -decimals
    return bases.assign(
        share_pct=share,
        difference_pct_points=share - stated_pct,
        # A tolerance of a millionth of a point: 6.65 exactly is a tie the stated figure could come from.
        matches=(share - stated_pct).abs() <= half + 1e-6,
        base_gap_gbp_m=bases["amount_gbp_m"] - implied,
    )


def nearest_base(shares: pd.DataFrame) -> pd.Series:
    """The base whose share is closest to the stated share (from :func:`savings_shares`)."""
    return shares.loc[shares["difference_pct_points"].abs().idxmin()]


# --- Trust expenditure ----------------------------------------------------------------------------------------------


def host_trusts(opex: pd.DataFrame, icb_code: str, year: str, sector: str = "Acute") -> pd.DataFrame:
    """The trusts of one sector hosted by an ICB in a year, with operating expenditure in £ millions."""
    rows = opex[(opex["host_icb_code"] == icb_code) & (opex["year"] == year) & (opex["sector"] == sector)]
    return rows.assign(opex_gbp_m=rows["total_operating_expenditure_gbp"] / 1e6)[
        ["trust_code", "trust_name", "sector", "opex_gbp_m"]
    ].sort_values("trust_code", ignore_index=True)


def trust_opex_by_icb(opex: pd.DataFrame, year: str, icb_codes: list[str], sector: str = "Acute") -> pd.DataFrame:
    """Operating expenditure (£) of one sector's trusts summed by host ICB, for the ICBs in ``icb_codes`` only.

    The trust file assigns some trusts to 2026 merged-ICB codes; the ICBs those cover cannot be separated, so only
    ICBs that the file names by their own code are returned. Columns: ``icb_code``, ``n_trusts``,
    ``acute_trust_opex_gbp`` (£).
    """
    rows = opex[(opex["year"] == year) & (opex["sector"] == sector) & opex["host_icb_code"].isin(icb_codes)]
    out = rows.groupby("host_icb_code").agg(
        n_trusts=("trust_code", "size"), acute_trust_opex_gbp=("total_operating_expenditure_gbp", "sum")
    )
    return out.rename_axis("icb_code").reset_index()


# --- Deficits -------------------------------------------------------------------------------------------------------

# What the deficit chart shows, in order: (published measure, body, stage).
DEFICIT_OUTTURNS = (
    ("system_deficit_before_support", "System", "before support"),
    ("system_deficit_after_support", "System", "after support"),
    ("provider_deficit", "Providers", "after support"),
    ("icb_deficit", "ICB", "after support"),
)
SUPPORT_MEASURES = ("nhse_support_funding", "deficit_support_funding", "winter_surge_funding")


def deficits(figures: pd.DataFrame, icb_code: str, report: ReportFigures | None) -> pd.DataFrame:
    """Published deficit outturns and plans (£ millions) for one ICB's system, one row per year, body and kind.

    Columns: ``year``, ``body`` (System, Providers, ICB), ``stage`` (before or after support), ``category`` (a chart
    label: "System, before support", or "System plan (before support)" for a plan), ``kind`` (``outturn``, or
    ``plan`` for a control total or limit), ``value_gbp_m``,
    ``source``. Plans are the published control total and, from the report, the system control total and the ICB's
    limit. Empty if nothing is published for the ICB.
    """
    rows = []
    for measure, body, stage in DEFICIT_OUTTURNS:
        for _, fig in figures[(figures["icb_code"] == icb_code) & (figures["measure"] == measure)].iterrows():
            rows.append({"year": fig["year"], "body": body, "stage": stage, "kind": "outturn",
                         "value_gbp_m": to_gbp_m(fig["value"], fig["unit"]), "source": citation(fig)})
    plans = figures[(figures["icb_code"] == icb_code) & (figures["measure"] == "system_control_total_deficit")]
    for _, fig in plans.iterrows():
        rows.append({"year": fig["year"], "body": "System", "stage": "before support", "kind": "plan",
                     "value_gbp_m": to_gbp_m(fig["value"], fig["unit"]), "source": citation(fig)})
    if report is not None:
        for key, body, stage in (("system_control_total_deficit", "System", "before support"),
                                 ("icb_deficit_limit", "ICB", "after support")):
            if key not in report.figures:
                continue
            year = report.figures[key]["year"]
            if not any(r["year"] == year and r["body"] == body and r["kind"] == "plan" for r in rows):
                rows.append({"year": year, "body": body, "stage": stage, "kind": "plan",
                             "value_gbp_m": report.gbp_m(key), "source": report.citation()})
    out = pd.DataFrame(rows, columns=["year", "body", "stage", "kind", "value_gbp_m", "source"])
    plan = out["kind"] == "plan"
    out.insert(3, "category", out["body"] + ", " + out["stage"])
    out.loc[plan, "category"] = out["body"] + " plan (" + out["stage"] + ")"
    # Each year: bodies in chart order, each outturn followed by its plan.
    position = {(body, stage): i for i, (_, body, stage) in enumerate(DEFICIT_OUTTURNS)}
    out["_order"] = [position[(b, s)] * 2 + (k == "plan") for b, s, k in zip(out["body"], out["stage"], out["kind"])]
    return out.sort_values(["year", "_order"], ignore_index=True).drop(columns="_order")


def support_received(figures: pd.DataFrame, icb_code: str) -> pd.DataFrame:
    """Published support funding (deficit support, winter money) by year, £ millions: ``year``, ``measure``,
    ``description``, ``value_gbp_m``, ``source``."""
    rows = figures[(figures["icb_code"] == icb_code) & figures["measure"].isin(SUPPORT_MEASURES)]
    return pd.DataFrame({
        "year": rows["year"], "measure": rows["measure"], "description": rows["description"],
        "value_gbp_m": [to_gbp_m(v, u) for v, u in zip(rows["value"], rows["unit"])],
        "source": [citation(r) for _, r in rows.iterrows()],
    }).sort_values(["year", "measure"], ignore_index=True)
