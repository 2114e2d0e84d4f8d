"""The claims page: every claim of the register with its verdict on the figures the other chapters recorded.

The verdicts, badges, rows and counts are :mod:`sots.claims`'; this module only gathers the figures (the results
fragments in the build's ``results_dir``), says why a claim cannot be checked, and glues the summary the prose quotes.
The page records no figures of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sots import claims
from sots.chapter import Chapter
from sots.errors import InputError
from sots.results import merge_fragments

NO_RESULTS = ("No chapter's figures were given to this page (its results_dir is empty, as when it is run by hand), "
              "so every claim is stated only.")


@dataclass(frozen=True)
class Page:
    """The verdicts on every claim, in register order, and how many have each status (every status listed)."""

    verdicts: list[claims.Verdict]
    counts: dict[str, int]
    note: str  # why no claim is checked, or "" when they are


def results_in(results_dir: str) -> dict[str, dict]:
    """Every figure in the results fragments (``*.json``) of ``results_dir``, merged; {} for "" (none given).

    InputError if ``results_dir`` is given but is not a folder: an empty page would hide a wrong path.
    """
    if not results_dir:
        return {}
    folder = Path(results_dir)
    if not folder.is_dir():
        raise InputError(f"results_dir '{results_dir}': no such folder (expected the chapters' results fragments)")
    return merge_fragments(sorted(folder.glob("*.json")))


def note_for(report_icb: str, focal_icb: str, results_dir: str) -> str:
    """Why no claim is checked ("" if they are): no figures given, or figures of an ICB the report is not about."""
    if not results_dir:
        return NO_RESULTS
    if report_icb != focal_icb:  # the claims are about one ICB; another's figures do not test them
        return f"The report is about {report_icb}; this build is for {focal_icb}, so no claim is checked."
    return ""


def record(ch: Chapter, results_dir: str) -> Page:
    """Every claim's verdict on the figures in ``results_dir``; glue the citation, the counts and the note."""
    report = claims.report()
    note = note_for(report["icb_code"], ch.icb, results_dir)
    results = {} if note else results_in(results_dir)
    verdicts = claims.evaluate_all(ch.register, results, note)
    counted = claims.counts(verdicts)
    ch.glue("report_citation", f"{report['publisher']}, “{report['title']}”")
    ch.glue("claims_n", len(verdicts))
    for status, n in counted.items():
        ch.glue(f"claims_{status.replace(' ', '_')}_n", n)
    ch.glue("claims_discrepancies", claims.discrepancy_text(verdicts))
    ch.glue("claims_note", note or f"The figures are those of the {ch.edition} edition for {ch.focal['icb_name']}.")
    return Page(verdicts=verdicts, counts=counted, note=note)


def status_counts(page: Page) -> pd.DataFrame:
    """Claims by status, for the chart: ``status``, ``claims``, in :data:`sots.claims.STATUSES` order."""
    return pd.DataFrame({"status": list(page.counts), "claims": list(page.counts.values())})


def claim_rows(ch: Chapter, page: Page, root: Path = Path("..")) -> pd.DataFrame:
    """The table of every claim (see :func:`sots.claims.rows`), each linked to its chapter, titled from ``root``
    (the project folder, by default the parent of the notebooks' folder the page runs in)."""
    titles = {c["chapter"]: ch.chapter_title(c["chapter"], root) for c in ch.register.values()}
    return claims.rows(page.verdicts, titles)
