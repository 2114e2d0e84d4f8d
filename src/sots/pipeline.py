"""Execute the book's notebooks with papermill, one edition and ICB at a time.

Each notebook runs in the build's own copy of ``notebooks/``, with its parameters injected, and writes its figures
to a fragment that :func:`sots.results.merge_fragments` turns into results.json. A failing cell stops the build
with that cell shown; nothing is published (see :mod:`sots.build` and :mod:`sots.publish`).

A notebook receives the parameters its ``parameters`` cell declares, from: ``edition``, ``edition_title``, each data
year of the edition (``allocation_year``, ``unit_cost_year``, ``outturn_year``, ``projection_vintage``; see
:mod:`sots.editions`), ``icb``, ``data_dir``, ``results_fragment``, ``results_dir`` (the folder of every
notebook's fragment: a chapter listed after the others, such as the claims page, reads their figures there) and
``build`` (JSON: the notebook's provenance and the folder for its charts' data; see :func:`build_parameter`). All are
plain strings, passed through papermill's Python interface, so no type is guessed from the text. Nothing reaches a
notebook through the environment: a chapter opened by hand runs as the build runs it, with its defaults.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import papermill as pm

from sots import assumptions
from sots.assumptions import Assumption
from sots.editions import Edition
from sots.errors import BuildError, InputError

CELL_TIMEOUT_S = 600  # per cell, as in the QuantEcon books' CI
# Silence the kernel's own log (not the notebook's output): at start-up it warns that its local TCP link is
# unencrypted, and when a cell fails and the kernel is stopped it may log the interrupt. The build reports every
# failure itself (the failing cell, or papermill's error if the kernel dies), so the first line a user sees is ours.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
HIDE_INPUT = "hide-input"
# Cells whose code readers never need, not even folded.
HIDDEN_FROM_READERS = {"remove-input", "remove-cell", HIDE_INPUT}


@dataclass(frozen=True)
class Parameters:
    """What the notebooks are parameterised by: the edition (with its data years), the focal ICB, the tables."""

    edition: Edition
    icb: str
    data_dir: Path
    # Chapter assumptions set from the command line (name -> text), typed per notebook by chapter_overrides.
    overrides: Mapping[str, str] = field(default_factory=dict)

    def reserved(self) -> set[str]:
        """The parameter names the edition and the build set, which overrides may not change."""
        return set(self.for_notebook(Path("."), Path("fragment.json")))

    def for_notebook(self, cwd: Path, fragment: Path) -> dict[str, str]:
        """Every parameter a notebook may declare, as strings; paths relative to the notebook's folder ``cwd``.

        Relative paths keep build-machine folders out of the published page (readers can unfold the injected cell),
        so the same inputs give the same HTML wherever the book is built.
        """
        return {
            **self.edition.parameters(),
            "icb": self.icb,
            "data_dir": os.path.relpath(self.data_dir, cwd),
            "results_fragment": os.path.relpath(fragment, cwd),
            "results_dir": os.path.relpath(fragment.parent, cwd),
            "build": "",  # per notebook: see build_parameter
        }


def provenance(edition: str, commit: str, parameters: dict[str, str]) -> dict[str, str]:
    """What a notebook's figures were made from: the edition, the commit and a short sha256 of its parameters."""
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:12]
    return {"edition": edition, "commit": commit, "parameters_sha256": digest}


def build_parameter(provenance: dict[str, str] | None, chart_data: Path | None, cwd: Path) -> str:
    """The ``build`` parameter of one notebook: JSON of its ``provenance`` and its charts' data folder (relative to
    the notebook's folder ``cwd``), read by :func:`sots.chapter.open`; "" when there is neither."""
    made = {}
    if provenance:
        made["provenance"] = provenance
    if chart_data is not None:
        made["chart_data"] = os.path.relpath(chart_data, cwd)
    return json.dumps(made, sort_keys=True) if made else ""


def chapter_parameters(notebook: Path) -> dict[str, object]:
    """Each parameter ``notebook``'s cell tagged ``parameters`` declares, with its default value, in order."""
    try:
        spec = pm.inspect_notebook(str(notebook))
    except ValueError as err:  # e.g. no kernelspec in the notebook's metadata
        raise BuildError(f"{notebook.name}: cannot read its parameters cell ({err})") from None
    defaults = {}
    for name, p in spec.items():
        try:
            defaults[name] = ast.literal_eval(p["default"])
        except (ValueError, SyntaxError):
            defaults[name] = p["default"]  # an expression: overrides of it stay text
    return defaults


def declared(parameters: dict[str, str], notebook: Path) -> dict[str, str]:
    """The subset of ``parameters`` that ``notebook``'s cell tagged ``parameters`` declares, in that order."""
    return {name: parameters[name] for name in chapter_parameters(notebook) if name in parameters}


def _typed(name: str, text: str, default: object, notebook: Path) -> object:
    """``text`` as the type of the parameter's default (int, float, bool or text); InputError if it is not one.

    A float must be finite: "nan" and "inf" parse as floats but are no assumption a chapter can run on.
    """
    kind = type(default)
    try:
        if kind is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        value = kind(text) if kind in (int, float) else text
        if kind is float and not math.isfinite(value):
            raise ValueError(text)
        return value
    except ValueError:
        raise InputError(
            f"parameter '{name}': expected {'a finite ' if kind is float else ''}{kind.__name__} like its default "
            f"{default!r} in {notebook.name}, got {text!r}"
        ) from None


def chapter_overrides(
    overrides: Mapping[str, str], notebooks: list[Path], reserved: Iterable[str],
    allowed: Mapping[str, Assumption] | None = None,
) -> dict[Path, dict]:
    """Each notebook's typed values for the ``overrides`` (name -> text) its parameters cell declares.

    An analyst changes a chapter's assumptions (a base year, a variant, a growth rate) without editing it. Raises
    InputError naming the parameter if it is one the edition or the build sets (``reserved``), if no notebook
    declares it, if its value is not of the declared default's type, or, given the ``allowed`` ranges
    (:func:`sots.assumptions.limits`), if the values a chapter would run with are outside them.
    """
    reserved = set(reserved)
    declared_by = {nb: chapter_parameters(nb) for nb in notebooks}
    for name in overrides:
        if name in reserved:
            raise InputError(
                f"parameter '{name}': set by the edition or the build, not by -p (see editions.yml and --icb)"
            )
        if not any(name in params for params in declared_by.values()):
            known = sorted({n for params in declared_by.values() for n in params} - reserved)
            raise InputError(f"parameter '{name}': no chapter declares it (chapters take: {', '.join(known)})")
    typed = {
        nb: {name: _typed(name, text, params[name], nb) for name, text in overrides.items() if name in params}
        for nb, params in declared_by.items()
    }
    if allowed is not None:
        for nb, values in typed.items():
            if values:
                own = {k: v for k, v in declared_by[nb].items() if k not in reserved}
                assumptions.check({**own, **values}, dict(allowed), nb.name)
    return typed


def notebooks_in_toc(toc: dict) -> list[str]:
    """The notebook paths (no suffix) that a Jupyter Book ``_toc.yml`` lists, in order."""
    found: list[str] = []

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry and entry["file"].startswith("notebooks/"):
                found.append(entry["file"])
            for key in ("chapters", "sections"):
                walk(entry.get(key, []))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []))

    walk([toc])
    return found


def prepare_for_book(path: Path) -> list[str]:
    """Ready an executed notebook for the book; return any stderr the kernel printed.

    Folds every code cell's source (readers can unfold it), including papermill's injected parameters. Drops the
    Vega-Lite JSON of each chart: it lets analysts see charts in Jupyter, but the book draws them from the HTML
    output, and myst-nb warns on a mimetype it cannot render. Drops execution timings, which the build log reports,
    and build paths, so the same inputs publish a byte-identical notebook.
    """
    nb = nbformat.read(path, as_version=4)
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        nb.metadata.get("papermill", {}).pop(key, None)
    stderr = []
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"  # papermill draws a random id
        if not HIDDEN_FROM_READERS.intersection(tags):
            tags.append(HIDE_INPUT)
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                stderr.append(output.get("text", ""))
            for mime in [m for m in output.get("data", {}) if m.startswith("application/vnd.vegalite")]:
                del output["data"][mime]
    nbformat.write(nb, path)
    return stderr


def _failure(name: str, err: pm.PapermillExecutionError) -> BuildError:
    source = "\n".join(f"    {line}" for line in err.source.splitlines())
    return BuildError(
        f"{name}: cell {err.exec_count} raised {err.ename}: {err.evalue}\n  the failing cell:\n{source}"
    )


def execute(
    sources: list[Path], out_dir: Path, fragments_dir: Path, params: Parameters,
    log: Callable[[str], None] = print, chart_data: Path | None = None, commit: str | None = None,
) -> list[Path]:
    """Run each notebook in ``sources`` into ``out_dir``; return the results fragments written.

    With ``chart_data``, each notebook's charts write the rows they draw as CSV to ``chart_data/<notebook>/`` and
    link them under the chart. With ``commit``,
    each notebook's charts and results.json entries carry its provenance: the edition, the commit and a short hash of
    the parameters it ran with (:func:`provenance`).

    Logs one progress line per notebook with its time. Raises BuildError naming the notebook and showing the failing
    cell if any cell errors, and InputError for an override no notebook takes.
    """
    typed = chapter_overrides(params.overrides, sources, params.reserved())
    out_dir.mkdir(parents=True, exist_ok=True)
    fragments = []
    for i, source in enumerate(sources, 1):
        target = out_dir / source.name
        fragment = fragments_dir / f"{source.stem}.json"
        started = time.perf_counter()
        parameters = {**declared(params.for_notebook(out_dir, fragment), source), **typed[source]}
        if "build" in parameters:  # its provenance hashes the other parameters, so it is made last
            del parameters["build"]
            made = provenance(params.edition.id, commit, parameters) if commit is not None else None
            parameters["build"] = build_parameter(made, chart_data / source.stem if chart_data else None, out_dir)
        try:
            pm.execute_notebook(
                str(source), str(target), parameters=parameters,
                kernel_name="python3",
                cwd=str(out_dir), progress_bar=False, log_output=False, execution_timeout=CELL_TIMEOUT_S,
                extra_arguments=KERNEL_ARGS,
            )
        except pm.PapermillExecutionError as err:
            log(f"[{i}/{len(sources)}] {source.name} FAILED after {time.perf_counter() - started:.1f} s")
            raise _failure(source.name, err) from None
        for text in prepare_for_book(target):
            log(f"    warning from {source.name}: {text.strip().splitlines()[-1] if text.strip() else text}")
        log(f"[{i}/{len(sources)}] {source.name} {time.perf_counter() - started:.1f} s")
        if fragment.exists():
            fragments.append(fragment)
    return fragments
