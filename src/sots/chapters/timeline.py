"""The timeline: dated events around the report's system, each figure quoted from its published source.

No figure is computed here: every sourced figure is glued from the prepared ``published_figures`` table under its
``figure_id`` (in that figure's own unit, e.g. GBP million), and the report's stated control total from the claims
register, so none is typed into the prose. An edition reads only the published figures up to the latest year of its
own data (:func:`sots.inputs.editions.window`), so an entry whose figure is for a later year says so instead of quoting
it.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from sots import escape
from sots.analysis import claims, finance
from sots.chapters.context import Chapter

CONTROL_TOTAL = "system_control_total_deficit"  # the register's key of the report's stated control total (GBP million)
BUDGET = "lsc_2526_icb_annual_budget"  # the ICB's budget for 2025/26 (GBP billion), as published
UNDERLYING_DEFICIT = "lsc_2425_anticipated_underlying_deficit"  # expected at the end of 2024/25 (GBP million)


def glue_sourced(ch: Chapter) -> None:
    """Glue each published figure the edition reads that has a value under its id, the report's stated control total
    deficit (GBP million) as ``report_control_total_deficit``, and the budget entry as ``budget_entry``."""
    published = ch.table("published_figures").dropna(subset=["value"])
    for row in published.itertuples():
        ch.glue(row.figure_id, row.value)
        ch.glue(f"{row.figure_id}_source", Markdown(source_line(row._asdict())))
    ch.glue("report_control_total_deficit", claims.by_key(ch.register, CONTROL_TOTAL)["stated"])
    ch.glue("budget_entry", Markdown(budget_entry(published)))


def source_line(row: dict) -> str:
    """A published figure's page as an entry's source (Markdown): publisher, the page's title linked to its address
    (:func:`sots.analysis.finance.linked_citation`), and the period the figure is for, every text from the table
    escaped."""
    return f"{finance.linked_citation(row)} ({escape.markdown(row['period'])})"


def budget_entry(published: pd.DataFrame) -> str:
    """The budget entry's text (Markdown) from the published figures the edition reads (``published_figures``
    rows): the ICB's budget (GBP billion) and the underlying deficit it expected (GBP million), each if read."""
    rows = published.set_index("figure_id")
    deficit = rows.loc[UNDERLYING_DEFICIT] if UNDERLYING_DEFICIT in rows.index else None
    expected = (f"expected an underlying deficit of about £{deficit['value']:,.0f}m at the end of {deficit['year']}"
                if deficit is not None else "")
    if BUDGET in rows.index:
        budget = rows.loc[BUDGET]
        return (f"The ICB gives its budget for {budget['year']} as about £{budget['value']:,.1f}bn"
                + (f", and {expected}." if expected else "."))
    later = "The ICB's budget for 2025/26 is a figure for a year after this edition's data, so it is not given here."
    return f"The ICB {expected}. {later}" if expected else later
