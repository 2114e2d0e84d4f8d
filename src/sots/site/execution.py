"""Execute every chapter of every book in a run: through the execution cache, in parallel, in waves.

A run is one or more books (an edition for an ICB). Their chapters are independent of each other, except for two
kinds of reader. The report's verdicts are computed on the figures of the report's edition for its ICB, so in a
later edition of that ICB a chapter that declares ``report_results`` runs after the report edition's chapters, which
the run includes (as a book of its own, built or not); and a chapter that reads the others' results (it declares
``results_dir``: the claims page) runs after every other chapter of its book. So the run goes in three waves, each
handed whole to the executor (:mod:`sots.site.executors`: local worker processes, or a Dask cluster), which runs its
tasks in any order; nothing here schedules. Between the first two, each later edition's copy of the report
edition's results is written (:attr:`Book.report_file`), and the chapters reading it are keyed on the figures it
holds (:func:`quotable`).

Before a wave, each chapter is looked up in the cache (:mod:`sots.site.execcache`); a hit is copied into the book and
starts no kernel. A chapter executed is stored in the cache as soon as it finishes. The report (:class:`LogReport`,
or the command line's progress bar) hears of each chapter as it is done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from sots import hashing
from sots.analysis.results import merge_fragments
from sots.errors import BuildError
from sots.site import buildkey, execcache, executors, pipeline
from sots.site.downloads import script_name
from sots.site.pipeline import ChapterDone, ChapterRun, Parameters

CLAIMS_REGISTER = "claims.yml"  # read by every chapter (the verdicts), from the staged book


@dataclass
class Book:
    """One book's chapters to execute: its parameters, notebooks (in ``_toc.yml`` order) and folders.

    ``notebooks`` is the staged book's notebooks folder (the chapters' working folder); its parent is the staged
    book. ``code`` (:func:`sots.site.buildkey.code_digest`), when given, puts provenance on the figures and charts.
    """

    label: str  # e.g. "2024-25 QE1"
    params: Parameters
    sources: list[Path]
    notebooks: Path
    results: Path  # the results fragments, one per chapter that records figures
    chart_data: Path | None = None
    scripts: Path | None = None  # where each executed chapter is written as a script, for readers to download
    code: str | None = None
    # Each notebook's overrides, typed once by the plan (:attr:`sots.site.plan.BuildPlan.typed_overrides`): set by
    # :func:`run` from what it is given, never typed again here.
    typed: Mapping[Path, dict] = field(default_factory=dict)
    read: dict[str, dict] = field(default_factory=dict)  # each chapter's reads (:mod:`sots.site.execcache`), once run
    # The report's edition for the report's ICB, when this book is a later edition of that ICB: the book whose
    # figures the report's verdicts are computed on. None for the report's own book and for any other ICB's.
    report: Book | None = None

    @property
    def report_file(self) -> Path | None:
        """Where this book's copy of the report edition's results is written, for its chapters to read: in its own
        scratch folder, never published; None without a report book."""
        return self.results.parent / "report-results.json" if self.report else None

    def fragment(self, source: Path) -> Path:
        return self.results / f"{source.stem}.json"

    def reads(self, source: Path) -> Path:
        """Where a chapter records what it read: beside the fragments, never published."""
        return self.results.parent / "reads" / f"{source.stem}.json"

    def fragments(self) -> list[Path]:
        """The results fragments written, in chapter order."""
        return [self.fragment(s) for s in self.sources if self.fragment(s).exists()]

    def parameters(self, source: Path) -> dict:
        """The parameters papermill injects into ``source``: those its parameters cell declares."""
        params = {**pipeline.declared(self.params.for_notebook(self.notebooks, self.fragment(source)), source),
                  **self.typed.get(source, {})}
        if "report_results" in params and self.report_file is not None:
            params["report_results"] = os.path.relpath(self.report_file, self.notebooks)
        if "build" in params:  # its provenance hashes the other parameters, so it is made last
            del params["build"]
            inputs = dict(self.params.edition.inputs)  # the data years: in ``build`` alone, so hashed with the rest
            made = (pipeline.provenance(self.params.edition.id, pipeline.chapter_code(source, self.code),
                                        {**params, "inputs": inputs})
                    if self.code is not None else None)
            chart_data = self.chart_data / source.stem if self.chart_data else None
            params["build"] = pipeline.build_parameter(made, chart_data, self.notebooks, self.reads(source), inputs)
        return params

    def outputs(self, source: Path) -> dict[str, Path]:
        """Where a chapter's outputs go, by their names in a cache entry (:data:`sots.site.execcache.OUTPUTS`)."""
        made = {"notebook.ipynb": self.notebooks / source.name, "fragment.json": self.fragment(source)}
        if self.chart_data:
            made["chart-data"] = self.chart_data / source.stem
        if self.scripts:
            made["script.py"] = self.scripts / script_name(source.name)
        return made


@dataclass
class Stats:
    """What a run did: chapters executed and taken from the cache, kernels started, and the executed chapters' summed
    seconds in the workers (``seconds``) and, of those, in the kernels running their cells (``kernel_seconds``)."""

    executed: int = 0
    cached: int = 0
    kernels_started: int = 0
    seconds: float = 0.0
    kernel_seconds: float = 0.0

    def time_line(self) -> str:
        """Where the executed chapters' time went, summed over the workers (a line for the log and the benchmark):
        the rest of ``seconds`` beside ``kernel_seconds`` is the build's own work around each chapter."""
        return (f"chapters' time: {self.seconds:.1f} s in the workers, {self.kernel_seconds:.1f} s of it in the "
                "kernels running their cells")

    def summary(self, books_built: int, books_cached: int, seconds: float) -> str:
        """The build's last line (:func:`sots.site.buildkey.summary`, which a build with nothing to do prints too)."""
        return buildkey.summary(self.executed, self.cached, self.kernels_started, books_built, books_cached, seconds)


class Report(Protocol):
    def start(self, total: int) -> None: ...
    def done(self, label: str, seconds: float | None) -> None: ...  # seconds None: from the cache
    def warn(self, text: str) -> None: ...


class LogReport:
    """A line per chapter, for logs and tests: ``[3/8] 2024-25 QE1 finance 1.2 s`` or ``… from the cache``."""

    def __init__(self, log: Callable[[str], None]):
        self.log, self.total, self.count = log, 0, 0

    def start(self, total: int) -> None:
        self.total, self.count = total, 0

    def done(self, label: str, seconds: float | None) -> None:
        self.count += 1
        took = "from the cache" if seconds is None else f"{seconds:.1f} s"
        self.log(f"[{self.count}/{self.total}] {label} {took}")

    def warn(self, text: str) -> None:
        self.log(text)


def _reads_results(params: dict) -> bool:
    return "results_dir" in params


def _wave(book: Book, params: dict) -> int:
    """Which wave a chapter runs in: 0 if it reads no other chapter's figures, 1 if it reads the report edition's
    (a later edition of the report's ICB), 2 if it reads its own book's (the claims page)."""
    if _reads_results(params):
        return 2
    return 1 if book.report is not None and "report_results" in params else 0


def write_report_results(book: Book) -> None:
    """Write the report edition's merged results where ``book``'s chapters read them (:attr:`Book.report_file`)."""
    if book.report_file is not None:
        merged = merge_fragments(book.report.fragments())
        book.report_file.parent.mkdir(parents=True, exist_ok=True)
        book.report_file.write_text(json.dumps(merged, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def quotable(results_text: str) -> str:
    """The report edition's results as a later edition's chapter can use them, canonical: every figure's value,
    interval, unit, method, reason and inputs, but not its provenance nor the digests of the rows it was read from,
    which no verdict or sentence quotes. A change to rows the report edition reads that moves none of its figures
    then runs none of the later edition's chapters again."""
    figures = json.loads(results_text)
    kept = {figure_id: {**{k: v for k, v in entry.items() if k != "provenance"},
                        "inputs": {k: v for k, v in (entry.get("inputs") or {}).items()
                                   if not (isinstance(v, str) and v.startswith("sha256:"))}}
            for figure_id, entry in figures.items()}
    return json.dumps(kept, sort_keys=True)


def _extra(book: Book, source: Path, params: dict) -> dict[str, str]:
    """Inputs the build knows before a chapter runs: the claims register, the report edition's results for a chapter
    of a later edition, and the others' results for a page that reads them."""
    register = book.notebooks.parent / CLAIMS_REGISTER
    extra = {CLAIMS_REGISTER: hashing.digest(register.read_text()) if register.is_file() else ""}
    if params.get("report_results") and book.report_file is not None:
        extra["report_results"] = hashing.digest(quotable(book.report_file.read_text()))
    if _reads_results(params):
        for fragment in sorted(book.results.glob("*.json")):
            extra[f"results/{fragment.name}"] = hashing.digest(fragment.read_text())
    return extra


def run(books: list[Book], executor, cache: Path | None, report: Report, root: Path | None = None,
        typed: Mapping[Path, dict] | None = None) -> Stats:
    """Execute every chapter of ``books`` with ``executor``, through the cache folder ``cache`` (None: no cache).

    ``root`` is the project (its requirements.txt is part of the code's key; default: the package's project).
    ``typed`` is each notebook's overrides as the plan typed them (:attr:`sots.site.plan.BuildPlan.typed_overrides`,
    by the notebook as written); a book with overrides and none typed is a BuildError, not a build that drops them.
    Raises the first chapter's BuildError; chapters already stored in the cache stay there.
    """
    from sots.project import project_root

    code = buildkey.code_digest((root or project_root()).resolve())
    stats = Stats()
    for book in books:
        book.notebooks.mkdir(parents=True, exist_ok=True)
        if typed is not None:
            book.typed = {source: dict(typed.get(source, {})) for source in book.sources}
        elif book.params.overrides and not book.typed:
            raise BuildError(f"{book.label}: the chapter parameters {', '.join(book.params.overrides)} were not typed "
                             "(sots.site.plan.make types them; pass its typed_overrides)")
    report.start(sum(len(b.sources) for b in books))
    planned = [(b, s, b.parameters(s)) for b in books for s in b.sources]
    waves = [[c for c in planned if _wave(c[0], c[2]) == n] for n in range(3)]
    for n, wave in enumerate(waves):
        if n == 1:  # the report edition's chapters are done: give each later edition its copy of their figures
            for book in books:
                write_report_results(book)
        todo: list[tuple[Book, Path, dict, str]] = []
        for book, source, params in wave:
            key = execcache.base_key(source, params, code, _extra(book, source, params))
            # Only a chapter that records what it reads (it takes ``build``) can be found again by its reads.
            entry = cache and "build" in params and execcache.lookup(cache, key, _current(book), report.warn)
            if entry:
                execcache.restore(entry, book.outputs(source))
                book.read[source.stem] = json.loads((entry / execcache.READS_FILE).read_text())
                stats.cached += 1
                report.done(f"{book.label} {source.stem}", None)
            else:
                todo.append((book, source, params, key))
        runs = [ChapterRun(f"{book.label} {source.stem}", source, book.notebooks / source.name, params,
                           book.outputs(source).get("script.py")) for book, source, params, _ in todo]
        for i, done in executor.map(pipeline.run_chapter, runs):
            book, source, _, key = todo[i]
            _finish(book, source, key, done, cache, stats, report)
    return stats


def _current(book: Book) -> Callable[[dict], dict]:
    inputs = dict(book.params.edition.inputs)
    return lambda reads: execcache.current_reads(reads, book.params.data_dir, inputs, book.notebooks.parent)


def _finish(book: Book, source: Path, key: str, done: ChapterDone, cache: Path | None, stats: Stats,
            report: Report) -> None:
    stats.executed += 1
    stats.kernels_started += done.kernels_started
    stats.seconds += done.seconds
    stats.kernel_seconds += done.kernel_seconds
    for text in done.stderr:
        report.warn(f"    warning from {book.label} {source.name}: "
                    f"{text.strip().splitlines()[-1] if text.strip() else text}")
    reads_file = book.reads(source)
    if reads_file.is_file():
        book.read[source.stem] = json.loads(reads_file.read_text())
    if cache is not None and reads_file.is_file():  # no record of its reads: it cannot be found again safely
        execcache.store(cache, key, book.read[source.stem], book.outputs(source), label=f"{book.label} {source.stem}")
    report.done(f"{book.label} {source.stem}", done.seconds)


def execute(
    sources: list[Path], out_dir: Path, fragments_dir: Path, params: Parameters,
    log: Callable[[str], None] = print, chart_data: Path | None = None, code: str | None = None,
    typed: Mapping[Path, dict] | None = None,
) -> list[Path]:
    """Run each notebook in ``sources`` into ``out_dir``, in this process, without the cache; return the results
    fragments written (one book; :func:`run` runs many, in parallel and through the cache). ``out_dir`` is no staged
    book, so the chapters read editions.yml and claims.yml from ``params.root``, by default the project's.

    With ``chart_data``, each notebook's charts write the rows they draw as CSV to ``chart_data/<notebook>/`` and
    link them under the chart. With ``code`` (:func:`sots.site.buildkey.code_digest`), each notebook's charts and
    results.json entries carry its provenance (:func:`provenance`). ``typed`` is each notebook's ``params.overrides``
    as :func:`sots.site.pipeline.chapter_overrides` types them (as :func:`sots.site.plan.make` does for a build).

    Raises BuildError naming the notebook and showing the failing cell if any cell errors, or if ``params`` has
    overrides and ``typed`` is not given.
    """
    if params.root is None:
        from sots.project import project_root

        params = replace(params, root=project_root())
    book = Book(label=params.edition.id, params=params, sources=list(sources), notebooks=out_dir,
                          results=fragments_dir, chart_data=chart_data, code=code)
    executor = executors.make(1, None)
    try:
        run([book], executor, cache=None, report=LogReport(log), typed=typed)
    finally:
        executor.close()
    return book.fragments()
