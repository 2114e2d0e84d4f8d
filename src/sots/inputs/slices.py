"""The rows of each prepared table that an edition reads, their sha256, and the sources behind them.

An edition reads a year-keyed table only for the years of its window (:func:`sots.inputs.editions.window`), so adding a
year's rows to ``data/`` never changes what an edition already published read. The sha256 recorded for a table read
is that of the rows read, written as a canonical CSV (:func:`digest`), not of the whole file: it stays the same when
another year's rows are added, so it can key a figure's inputs and a build cache. A table read whole (one not keyed
by financial year) is recorded by its file's sha256, which adding a year does not change either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sots.inputs import data, editions


@dataclass(frozen=True)
class Slice:
    """The rows of one table an edition reads: the rows, the window of years (None: the whole table), their sha256."""

    name: str
    rows: pd.DataFrame
    years: tuple[str, ...] | None
    sha256: str  # "sha256:<hex>" of the rows read as a canonical CSV; of the file, for a table read whole


def rows(frame: pd.DataFrame, years: tuple[str, ...] | None) -> pd.DataFrame:
    """The rows of a prepared table in the window ``years``, and those with no year; ``frame`` itself if None."""
    if years is None:
        return frame
    kept = frame["year"].isin(years) | frame["year"].isna()
    return frame[kept].reset_index(drop=True)


def digest(frame: pd.DataFrame) -> str:
    """``sha256:<hex>`` of ``frame`` as a canonical CSV: header, then rows in order, no index, "\\n" line ends, empty
    cells for missing values and each number as Python writes it back exactly. The same rows give the same digest
    whatever else the file holds."""
    text = frame.to_csv(index=False, lineterminator="\n")
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def read(name: str, data_dir: Path | str, inputs: dict[str, str], sources: dict[str, list[dict]]) -> Slice:
    """The rows of table ``name`` an edition with these ``inputs`` (field -> data year) reads, loaded and validated.

    ``sources`` is :func:`sots.inputs.data.table_sources` of ``data_dir``.
    """
    years = editions.window(name, inputs, sources)
    frame = rows(data.load(name, data_dir), years)
    # A table read whole is the file itself, whose sha256 the data package records (and a build checks first):
    # writing half a million projection rows out again to hash them would cost a second per chapter.
    return Slice(name, frame, years, data.table_hashes(data_dir)[name] if years is None else digest(frame))


def cited(entries: list[dict], frame: pd.DataFrame) -> list[dict]:
    """The source entries (a table's, from the data package) behind the rows read: those whose ``years`` meet the
    years of ``frame``, and every entry that gives no years."""
    if all("years" not in e for e in entries):  # a table not read by years (the projection's years are mid-years)
        return list(entries)
    present = {str(y) for y in frame["year"].dropna().unique()} if "year" in frame.columns else set()
    return [e for e in entries if "years" not in e or present & set(e["years"])]


def edition_inputs(data_dir: Path | str, inputs: dict[str, str]) -> dict[str, dict]:
    """For every prepared table, what an edition with these ``inputs`` reads of it: ``sha256`` of the rows and, for
    a table read by years, the ``years``; for a build's manifest."""
    sources = data.table_sources(data_dir)
    out = {}
    for name in data.TABLES:
        piece = read(name, data_dir, inputs, sources)
        out[name] = {"sha256": piece.sha256, **({"years": list(piece.years)} if piece.years is not None else {})}
    return out
