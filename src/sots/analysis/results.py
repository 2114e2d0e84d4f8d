"""Headline figures: glued into a notebook's prose and written to results.json from the same call.

A chapter's context (:mod:`sots.chapters.context`) makes one :class:`Recorder` from its parameters; the chapter calls
:meth:`Recorder.figure` for every number it publishes. That one call glues the value for the prose
(``{glue:text}`name``) and writes the figure, with its unit, method and inputs, to the notebook's results fragment.
``sots build`` merges the fragments into results.json, so the book's prose, results.json, the claims checks and the
tests all read the same value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

RESULTS_FILE = "results.json"


def _plain(value: Any) -> Any:
    """numpy and pandas scalars -> plain Python, so json and glue see ordinary numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"figure value {value} is not a finite number")
    return value


class Recorder:
    """Collects one notebook's figures; each is glued and written to ``fragment`` as soon as it is made.

    ``inputs`` gives what every figure of this notebook was computed from at the moment it is recorded (e.g. table
    name -> sha256 of the tables read so far); ``provenance``, in a build, gives the figure's provenance entry (the
    edition, commit, parameters hash and sources). Both are called per figure, so a figure names what it came from.
    """

    def __init__(
        self, fragment: str | Path | None, *, edition: str, icb: str,
        inputs: Callable[[], dict[str, Any]] = dict, provenance: Callable[[], dict] = dict,
    ):
        self.path = Path(fragment) if fragment else None
        self.edition, self.icb = edition, icb
        self._inputs, self._provenance = inputs, provenance
        self.figures: dict[str, dict] = {}
        self.glued: dict[str, Any] = {}

    def figure(
        self, figure_id: str, value: Any, *, unit: str, method: str, interval: dict[str, float] | None = None,
        **inputs: Any,
    ) -> Any:
        """Publish a headline figure: glue it under ``figure_id`` and record it for results.json.

        ``inputs`` are figure-specific inputs (e.g. ``year="2023/24"``) added to the notebook's own. ``interval``
        (e.g. ``{"p10": 18.2, "p90": 25.1}``, same unit as the value) is recorded beside the value.
        """
        if figure_id in self.figures:
            raise ValueError(f"figure '{figure_id}' recorded twice")
        value = _plain(value)
        self.figures[figure_id] = {
            "value": value,
            "unit": unit,
            "edition": self.edition,
            "icb": self.icb,
            "inputs": {**self._inputs(), **{k: _plain(v) for k, v in inputs.items()}},
            "method": method,
            **{k: _plain(v) for k, v in (interval or {}).items()},
            **self._provenance_entry(),
        }
        self.glue(figure_id, value)
        self._write()
        return value

    def not_computed(self, figure_id: str, reason: str) -> None:
        """Record that this chapter cannot compute ``figure_id`` for this edition and ICB, and why (one sentence).

        results.json then holds the figure with no value and the reason, which the claims page shows; and a figure id
        that no chapter records, neither computed nor declared here, is a misspelling the build refuses to publish.
        """
        if figure_id in self.figures:
            raise ValueError(f"figure '{figure_id}' recorded twice")
        self.figures[figure_id] = {"value": None, "not_computed": reason, "edition": self.edition, "icb": self.icb,
                                   **self._provenance_entry()}
        self._write()

    def _provenance_entry(self) -> dict:
        made = self._provenance()
        return {"provenance": made} if made else {}

    def _write(self) -> None:
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.figures, indent=2, sort_keys=True) + "\n")

    def glue(self, name: str, value: Any) -> None:
        """Glue a value that the prose quotes but results.json does not need (a name, an ordinal, a year).

        Each value glued is also kept in :attr:`glued` (name -> value), so a chapter's prose values can be read
        back outside a kernel, as the unit tests do.
        """
        from myst_nb import glue

        value = _plain(value) if not isinstance(value, pd.DataFrame) else value
        self.glued[name] = value
        glue(name, value, display=False)


def merge_fragments(fragments: list[Path]) -> dict[str, dict]:
    """Merge per-notebook fragments into one mapping, sorted by figure id; a figure id in two notebooks is an error."""
    merged: dict[str, dict] = {}
    for path in fragments:
        for figure_id, entry in json.loads(path.read_text()).items():
            if figure_id in merged:
                raise ValueError(f"figure '{figure_id}' is recorded by more than one notebook (second: {path.name})")
            merged[figure_id] = entry
    return dict(sorted(merged.items()))


def read_results(path: Path, edition: str, icb: str, remedy: str = "") -> dict[str, dict]:
    """A results.json (figure id -> entry) read back and checked: JSON of one entry per figure, each with a finite
    number or None as its value and recorded for ``edition`` and ``icb``; InputError naming the file and the first
    figure that is not, so figures of another edition or ICB, or a damaged file, are never taken as the report's.
    ``remedy`` (e.g. how to rebuild the edition) ends each error line, after what was expected."""
    from sots.errors import InputError, read_json

    expected = f"the results.json of edition {edition} for {icb}"
    hint = f"; {remedy}" if remedy else ""
    found = read_json(path, f"file not found (expected {expected}){hint}", remedy or f"expected {expected}")
    if not isinstance(found, dict) or not found:
        raise InputError(f"{path}: expected an object of figures ({expected}){hint}")
    for figure_id, entry in found.items():
        value = entry.get("value", "missing") if isinstance(entry, dict) else "missing"
        number = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                   and math.isfinite(value))
        if not number or (entry.get("edition"), entry.get("icb")) != (edition, icb):
            got = (f"edition {entry.get('edition')} for {entry.get('icb')}, value {value!r}" if isinstance(entry, dict)
                   else repr(entry))
            raise InputError(f"{path}: figure '{figure_id}': expected a number or null, of edition {edition} for "
                             f"{icb}, got {got}{hint}")
    return found


def year_suffix(year: str) -> str:
    """'2023/24' -> '_2023_24', the suffix of per-year figure ids."""
    return "_" + year.replace("/", "_")
