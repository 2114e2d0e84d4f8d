"""Golden values: each figure of a built edition's results.json, committed under ``tests/golden/<edition>/<icb>.json``.

``sots check`` compares a build's results.json with its golden file and lists every figure that moved beyond its
tolerance, went missing or is new (:func:`drift`); any such row fails the check. ``sots check --update`` rewrites the
golden file from the build (:func:`from_results`, keeping each figure's tolerance), so that a deliberate change is
one reviewed commit. A golden file holds, per figure id, its ``value`` and ``tolerance`` (absolute, in the figure's
unit; a reviewer may widen it by hand, and updates keep it). Every golden file is checked against the package's JSON
Schema (``golden.schema.json``) when it is read: a NaN or infinite value or tolerance would match anything.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sots.atomic import write_atomic
from sots.errors import InputError, read_json
from sots.inputs import schema as schemas

GOLDEN_DIR = Path("tests") / "golden"
SCHEMA = "site/golden.schema.json"
MOVED, MISSING, NEW = "moved", "missing", "new"
RELATIVE_TOLERANCE = 1e-6  # a new figure's default tolerance, relative to its value; whole numbers get none


def golden_path(root: Path, edition: str, icb: str) -> Path:
    """Where the golden values of an edition and ICB live under the project ``root``."""
    return root / GOLDEN_DIR / edition / f"{icb}.json"


def default_tolerance(value: Any) -> float:
    """A new figure's tolerance: 0 for a whole number (ranks, counts), else a millionth of it to one digit."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or float(value).is_integer():
        return 0
    return float(f"{abs(value) * RELATIVE_TOLERANCE:.1g}")


def from_results(results: dict[str, dict], edition: str, icb: str, previous: dict | None = None) -> dict:
    """A golden file's content for ``results`` (figure id -> entry), keeping ``previous`` tolerances."""
    kept = (previous or {}).get("figures", {})
    figures = {}
    for figure_id, entry in sorted(results.items()):
        value = entry["value"]
        tolerance = kept[figure_id]["tolerance"] if figure_id in kept else default_tolerance(value)
        figures[figure_id] = {"value": value, "tolerance": tolerance}
    return {"edition": edition, "icb": icb, "figures": figures}


@dataclass(frozen=True)
class Drift:
    """One figure that differs from its golden value: ``kind`` is moved, missing (from the build) or new."""

    figure: str
    kind: str
    old: Any = None
    new: Any = None
    tolerance: float | None = None


def _moved(old: Any, new: Any, tolerance: float) -> bool:
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (old, new))
    if not numbers:
        return old != new
    slack = 1e-12 * max(1.0, abs(old))
    return not math.isclose(old, new, abs_tol=0) and abs(new - old) > tolerance + slack


def drift(golden: dict, results: dict[str, dict], exact: bool = False) -> list[Drift]:
    """Every figure that moved beyond its tolerance (any change if ``exact``), is missing or is new, by figure id."""
    figures = golden.get("figures", {})
    rows = []
    for figure_id in sorted(set(figures) | set(results)):
        if figure_id not in results:
            g = figures[figure_id]
            rows.append(Drift(figure_id, MISSING, old=_shown(g["value"]), tolerance=g["tolerance"]))
        elif figure_id not in figures:
            rows.append(Drift(figure_id, NEW, new=_shown(results[figure_id]["value"])))
        else:
            g, new = figures[figure_id], results[figure_id]["value"]
            if _moved(g["value"], new, 0 if exact else g["tolerance"]):
                rows.append(Drift(figure_id, MOVED, old=_shown(g["value"]), new=_shown(new), tolerance=g["tolerance"]))
    return rows


NOT_COMPUTED = "not computed"  # how the table shows a figure a chapter recorded without a value


def _shown(value: Any) -> Any:
    return NOT_COMPUTED if value is None else value


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def table(rows: list[Drift]) -> list[str]:
    """The rows as a plain-text table (figure, change, old value, new value, tolerance), header first."""
    cells = [("figure", "change", "old", "new", "tolerance")]
    cells += [(r.figure, r.kind, _cell(r.old), _cell(r.new), _cell(r.tolerance)) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(5)]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]


def _where(doc: Any, error) -> str:
    """'figure 'x': field 'tolerance': ...' (or 'field 'icb': ...') for a jsonschema error in a golden file."""
    path = list(error.absolute_path)
    if path[:1] == ["figures"] and len(path) >= 2:
        return f"figure '{path[1]}': {schemas.problem(error, path[2:])}"
    return schemas.problem(error, path)


def read(path: Path) -> dict:
    """A golden file, checked against its schema (finite numbers, a tolerance of 0 or more for each figure);
    InputError naming the file and the figure otherwise, or if it is missing or not JSON."""
    content = read_json(path, "no golden values (run `sots check --update` to record them, then commit the file)",
                        "restore it from git, or record it again with `sots check --update`")
    schemas.check(content, SCHEMA, path, _where)
    return content


def write(path: Path, content: dict) -> None:
    """Write a golden file: sorted, indented, one trailing newline, so its diff reads figure by figure; by one rename,
    so a run stopped part-way leaves the committed file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def built_results(site: Path, edition: str, icb: str) -> dict[str, dict]:
    """An edition's results.json from a built site, checked to be for ``icb``."""
    path = site / edition / "results.json"
    rebuild = f"`sots build --edition {edition}`"
    results = read_json(path, f"not found (build the edition first: {rebuild})", f"rebuild the edition: {rebuild}")
    bad = ([] if isinstance(results, dict) else ["(the file)"]) or [
        k for k, e in results.items() if not isinstance(e, dict) or "value" not in e]
    if bad:
        raise InputError(f"{path}: figure {bad[0]}: expected an entry with a 'value', as `sots build` writes; rebuild "
                         f"the edition: {rebuild}")
    # A NaN compares false with any golden value, so it would pass the check unseen; `sots build` never writes one.
    unfinite = [k for k, e in results.items() if isinstance(e["value"], float) and not math.isfinite(e["value"])]
    if unfinite:
        raise InputError(f"{path}: figure {unfinite[0]}: expected a finite number or null, as `sots build` writes, got "
                         f"{results[unfinite[0]]['value']}; rebuild the edition: {rebuild}")
    others = sorted({e.get("icb") for e in results.values()} - {icb})
    if others:
        raise InputError(f"{path}: built for {', '.join(map(str, others))}, not {icb} (give --icb or rebuild)")
    return results
