"""The timeline: dated events around the report's system, each figure quoted from its published source.

No figure is computed here: every sourced figure is glued from the prepared ``published_figures`` table under its
``figure_id`` (in that figure's own unit, e.g. GBP million), and the report's stated control total from the claims
register, so none is typed into the prose.
"""

from __future__ import annotations

from sots import claims
from sots.chapter import Chapter

CONTROL_TOTAL = "system_control_total_deficit"  # the register's key of the report's stated control total (GBP million)


def glue_sourced(ch: Chapter) -> None:
    """Glue each published figure that has a value under its id, and the report's stated control total deficit
    (GBP million) as ``report_control_total_deficit``."""
    published = ch.table("published_figures").dropna(subset=["value"])
    for row in published.itertuples():
        ch.glue(row.figure_id, row.value)
    ch.glue("report_control_total_deficit", claims.by_key(ch.register, CONTROL_TOTAL)["stated"])
