"""Execute one chapter notebook with papermill (:func:`run_chapter`), and the parameters every chapter receives.

Each notebook runs in the build's own copy of ``notebooks/``, with its parameters injected, in a warm kernel
(:mod:`sots.site.kernels`), and writes its figures to a fragment that :func:`sots.analysis.results.merge_fragments`
turns into results.json. :mod:`sots.site.execution` runs every chapter of a build this way. A failing cell stops the
build with that cell shown; nothing is published (see :mod:`sots.site.build` and :mod:`sots.site.publish`).

A notebook receives the parameters its ``parameters`` cell declares, from: ``edition``, ``icb``, ``data_dir``,
``root`` (the staged book, where the chapter reads ``claims.yml``), ``results_fragment``, ``results_dir`` (the folder
of every notebook's fragment: a chapter listed after the others, such as the claims page, reads their figures there),
``report_results`` (in a later edition of the report's ICB, the report edition's results.json, on which the report's
verdicts are computed; "" otherwise) and
``build`` (JSON: the edition's data years, the notebook's provenance, the folder for its charts' data and the file
where it records what it reads; see :func:`build_parameter`). The data years (``allocation_year`` and the others of
:mod:`sots.inputs.editions`) reach a chapter only in ``build``: no notebook declares one, and ``-p`` may not set
one. All are
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import papermill as pm

from sots import hashing
from sots.analysis.claims import page_file
from sots.errors import BuildError, InputError, parse_yaml
from sots.inputs import editions
from sots.inputs.editions import Edition
from sots.site import kernels
from sots.site.downloads import write_script
from sots.toc import TOC_FILE, pages_in_toc

if TYPE_CHECKING:  # the workers that run chapters never type overrides: they need not import pandas and pandera
    from sots.analysis.assumptions import Assumption

CELL_TIMEOUT_S = 600  # per cell, as in the QuantEcon books' CI
REMOVE_INPUT = "remove-input"  # readers (board members, the public) see a cell's output, never its code
REMOVE_CELL = "remove-cell"
# Cells already off the page, wholly or for their code: left as tagged. ("hide-input" folded code, as cells tagged
# before code left the page may still be.)
HIDDEN_FROM_READERS = {REMOVE_INPUT, REMOVE_CELL, "hide-input"}
# The parameters cells are off the page: the defaults cell would show another edition's values, and papermill's
# injected cell names build settings, not findings. Both stay in the downloadable notebook and script, which an
# analyst reruns, and the page's provenance line gives the parameters' hash.
PARAMETER_TAGS = {"parameters", "injected-parameters"}


@dataclass(frozen=True)
class Parameters:
    """What the notebooks are parameterised by: the edition (with its data years), the focal ICB, the tables.

    ``overrides`` are the texts given on the command line (for the build's log and provenance); their values as each
    chapter takes them are typed once, by :func:`sots.site.plan.make` (:func:`chapter_overrides`)."""

    edition: Edition
    icb: str
    data_dir: Path
    # Chapter assumptions set from the command line (name -> text), typed per notebook once, by the plan.
    overrides: Mapping[str, str] = field(default_factory=dict)
    # The folder holding the editions.yml and claims.yml the chapters read (their ``root``); None: the notebooks'
    # folder's parent, where a build stages them beside its copy of the notebooks.
    root: Path | None = None

    def reserved(self) -> set[str]:
        """The parameter names the edition and the build set, which overrides may not change: every parameter
        :meth:`for_notebook` gives, and the edition's inputs (:func:`sots.inputs.editions.inputs`), which reach a
        chapter in ``build`` and are set in editions.yml alone."""
        return set(self.for_notebook(Path("notebooks"), Path("fragment.json"))) | set(editions.inputs())

    def for_notebook(self, cwd: Path, fragment: Path) -> dict[str, str]:
        """Every parameter a notebook may declare, as strings; paths relative to the notebook's folder ``cwd``.

        Relative paths keep build-machine folders out of the published page (readers can unfold the injected cell),
        so the same inputs give the same HTML wherever the book is built. ``root`` is :attr:`root`, by default the
        book (``cwd``'s parent), where the build stages editions.yml and claims.yml. The edition's data years are no
        parameter of their own:
        they go in ``build`` (:func:`build_parameter`), the one way a chapter in a build has them.
        """
        return {
            "edition": self.edition.id,
            "icb": self.icb,
            "data_dir": os.path.relpath(self.data_dir, cwd),
            "root": os.path.relpath(cwd.parent if self.root is None else self.root, cwd),
            "results_fragment": os.path.relpath(fragment, cwd),
            "results_dir": os.path.relpath(fragment.parent, cwd),
            "report_results": "",  # per book: the report edition's results, in a later edition (sots.site.execution)
            "build": "",  # per notebook: see build_parameter
        }


def provenance(edition: str, code: str, parameters: dict[str, str]) -> dict[str, str]:
    """What a notebook's figures were made from: the edition, the code (a short sha256 of the notebook, the package and
    the pins: see :func:`chapter_code`) and a short sha256 of its parameters.

    Not the commit: a chapter's outputs must depend only on what the execution cache keys them on, so that a chapter
    taken from the cache publishes the same bytes as one run afresh. The build adds the commit to results.json.
    """
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:12]
    return {"edition": edition, "code_sha256": code, "parameters_sha256": digest}


def chapter_code(notebook: Path, code: str) -> str:
    """The short sha256 naming a chapter's code: its notebook's bytes and the package's code (``code``,
    :func:`sots.site.buildkey.code_digest`)."""
    return hashlib.sha256(f"{hashing.file_sha256(notebook)} {code}".encode()).hexdigest()[:12]


def build_parameter(provenance: dict[str, str] | None, chart_data: Path | None, cwd: Path,
                    reads: Path | None = None, inputs: Mapping[str, str] | None = None) -> str:
    """The ``build`` parameter of one notebook: JSON of the edition's data years (``inputs``: field -> year, the
    edition's :attr:`~sots.inputs.editions.Edition.inputs`), its ``provenance``, its charts' data folder and the file
    that records what it reads (both relative to the notebook's folder ``cwd``), read by
    :func:`sots.chapters.context.open`; "" when there is none of them."""
    made: dict = {}
    if inputs is not None:
        made["inputs"] = dict(inputs)
    if provenance:
        made["provenance"] = provenance
    if chart_data is not None:
        made["chart_data"] = os.path.relpath(chart_data, cwd)
    if reads is not None:
        made["reads"] = os.path.relpath(reads, cwd)
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
    (:func:`sots.analysis.assumptions.limits`), if the values a chapter would run with are outside them.
    """
    reserved = set(reserved)
    declared_by = {nb: chapter_parameters(nb) for nb in notebooks}
    for name in overrides:
        if name in editions.inputs():
            raise InputError(f"parameter '{name}': an input of the edition, set in editions.yml (its data year), not "
                             "by -p")
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
                from sots.analysis import assumptions

                assumptions.check({**own, **values}, dict(allowed), nb.name)
    return typed


def read_toc(root: Path) -> dict:
    """The book's table of contents, ``root/_toc.yml``, checked before any work: InputError naming the file (and
    the line of a YAML error) if it is not Jupyter Book's mapping with a ``root`` page and entries of ``file: <page>``,
    or if it lists a page the project lacks (a notebook ``notebooks/<name>.ipynb``, another page ``<page>.md``)."""
    path = root / TOC_FILE
    toc = parse_yaml(path.read_text(encoding="utf-8"), path)
    expected = "expected Jupyter Book's table of contents: a 'root' page, then entries of 'file: <page>'"
    try:
        pages = pages_in_toc(toc) if isinstance(toc, dict) else None
    except (KeyError, TypeError, AttributeError):
        pages = None
    if pages is None or not all(isinstance(page, str) and page for page in pages):
        raise InputError(f"{path}: {expected}")
    for page in pages:
        file = page_file(root, page)
        if not file.is_file():
            raise InputError(f"{path}: page '{page}': expected the file {file.relative_to(root)} in {root}, got none")
    return toc


def prepare_notebook(nb) -> list[str]:
    """Ready an executed notebook (in memory, as papermill returns it) for the book; return any stderr the kernel
    printed.

    Folds every code cell's source (readers can unfold it) and takes the parameters cells (the defaults and
    papermill's injected values) off the page, keeping them in the notebook (:data:`PARAMETER_TAGS`). Drops the
    Vega-Lite JSON of each chart: it lets analysts see charts in Jupyter, but the book draws them from the HTML
    output, and myst-nb warns on a mimetype it cannot render. Drops execution timings, which the build log reports,
    and build paths, so the same inputs publish a byte-identical notebook.
    """
    renumber(nb)
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
        if PARAMETER_TAGS.intersection(tags) and REMOVE_CELL not in tags:
            tags.append(REMOVE_CELL)
        elif not HIDDEN_FROM_READERS.intersection(tags):
            tags.append(REMOVE_INPUT)
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                stderr.append(output.get("text", ""))
            for mime in [m for m in output.get("data", {}) if m.startswith("application/vnd.vegalite")]:
                del output["data"][mime]
    return stderr


def renumber(nb) -> None:
    """Number the executed code cells 1, 2, ... as a fresh kernel does: a warm kernel (:mod:`sots.site.kernels`) goes on
    counting from the chapter it ran before, and the published notebook must not depend on which kernel ran it."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count


def _failure(name: str, err: pm.PapermillExecutionError) -> BuildError:
    source = "\n".join(f"    {line}" for line in err.source.splitlines())
    return BuildError(
        f"{name}: cell {err.exec_count} raised {err.ename}: {err.evalue}\n  the failing cell:\n{source}"
    )


@dataclass(frozen=True)
class ChapterRun:
    """One chapter to execute: a task a worker process (or a Dask worker) runs with :func:`run_chapter`."""

    label: str  # for progress and errors, e.g. "2024-25 QE1 ageing"
    source: Path  # the notebook as written
    target: Path  # the executed notebook, in the staged book's notebooks folder (its working folder)
    parameters: dict  # papermill's parameters, as injected
    script: Path | None = None  # where to write the executed chapter as a script for readers to download


@dataclass(frozen=True)
class ChapterDone:
    """What executing a chapter gave: its time, the kernels started for it (0 in a warm kernel), its stderr lines,
    and the part of its time the kernel spent running its cells (:func:`kernel_seconds`)."""

    seconds: float
    kernels_started: int
    stderr: tuple[str, ...]
    kernel_seconds: float = 0.0


def kernel_seconds(nb) -> float:
    """Seconds the kernel spent running the executed notebook ``nb``'s code cells, by the kernel's own clock: for each
    cell, from the kernel saying it is busy to its reply (nbclient's timings, which :func:`prepare_notebook` drops).

    This is the chapter's own code, its charts' display included; the rest of a chapter's time is the build's
    (papermill, the messages, writing the notebook). A cell with no timings (none ran) counts 0.
    """
    total = 0.0
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        busy, reply = timing.get("iopub.status.busy"), timing.get("shell.execute_reply")
        if cell.cell_type == "code" and busy and reply:
            total += (datetime.fromisoformat(reply) - datetime.fromisoformat(busy)).total_seconds()
    return total


def run_chapter(run: ChapterRun) -> ChapterDone:
    """Execute one chapter in this thread's warm kernel (:mod:`sots.site.kernels`) and ready it for the book.

    Raises BuildError naming the chapter and showing the failing cell if a cell errors, or naming the chapter and
    the error if the kernel could not run it (it died, or a cell ran past the time limit).
    """
    started, before = time.perf_counter(), kernels.started
    try:
        # No output path: the notebook is readied in memory and written once (a failure shows its cell instead).
        nb = pm.execute_notebook(
            str(run.source), None, parameters=run.parameters, engine_name=kernels.ENGINE,
            kernel_name=kernels.KERNEL_NAME, kernel_cwd=str(run.target.parent), progress_bar=False, log_output=False,
            execution_timeout=CELL_TIMEOUT_S,
        )
    except pm.PapermillExecutionError as err:
        raise _failure(run.label, err) from None
    except Exception as err:  # a dead kernel, a timeout: name the chapter; the next chapter gets a new kernel
        raise BuildError(f"{run.label}: the notebook could not be run: {type(err).__name__}: {err}") from None
    in_kernel = kernel_seconds(nb)  # before prepare_notebook drops the timings
    stderr = prepare_notebook(nb)
    nbformat.write(nb, run.target)
    if run.script is not None:
        write_script(nb, run.script)
    return ChapterDone(time.perf_counter() - started, kernels.started - before, tuple(stderr), in_kernel)
