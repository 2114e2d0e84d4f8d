"""Benchmark `sots build` against a naive build run side by side: wall time and peak memory, per scenario.

Run by hand, not by the test suite; the results are recorded in ``benchmarks/results.md``. See
``benchmarks/README.md``. Each scenario builds in a fresh ``git clone`` of the commit under test (in a temporary
folder), so its edits never touch the work tree. Every candidate run is interleaved with a run of the naive baseline
(stage the book, papermill every notebook one after another in a fresh kernel, ``jupyter-book build``, no cache), so
machine noise hits both alike; the numbers reported are medians with min and max.

Scenarios (see :data:`SCENARIOS`):

- A: clean build (empty cache), printing the edition's PDF;
- A-nopdf: A with ``--no-pdf``;
- B: no change (a second build with a warm cache);
- C: one prose page edited (a sentence appended to ``book/intro.md``), printing the PDF;
- C-nopdf: C with ``--no-pdf``;
- D: one input table changed (one value of ``data/unit_costs.csv``, its hash rewritten in ``datapackage.json``);
- E: every edition for all 42 ICBs (``--all-editions --all-icbs``), clean cache, each edition's own book printed.

Besides each run's peak memory, the peak of each stage of the build (:data:`STAGES`: plan, chapters, books,
publish), cut where the build's output says one ended (:func:`stage_peaks`). Memory is in MB of 10^6 bytes.

The script is importable: :func:`main` (``main(argv) -> int``) and :func:`run_scenario`, one call per scenario, so a
smoke test can run e.g. ``run_scenario("B", repeat=1, bench=...)``. ``python build_bench.py naive ...`` is the naive
baseline itself, run as a child process so it is measured exactly like a candidate build.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results.md"
SCENARIOS = {
    "A": "clean build (empty cache), with the PDF",
    "A-nopdf": "clean build (empty cache), --no-pdf",
    "B": "no change (second build, warm cache)",
    "C": "one prose page edited (book/intro.md), with the PDF",
    "C-nopdf": "one prose page edited (book/intro.md), --no-pdf",
    "D": "one input table changed (data/unit_costs.csv)",
    "E": "all editions x all ICBs (--all-editions --all-icbs), clean cache, with each edition's PDF",
}
NO_PDF = "-nopdf"  # the suffix of a scenario run with `sots build --no-pdf`: A-nopdf is A without the PDF
# Each scenario's ratio to another's median time, shown in its section: B and C against A, the PDF's share of A.
REFERENCE = {"A-nopdf": "A", "B": "A", "C": "A", "C-nopdf": "A-nopdf"}
SAMPLE_INTERVAL_SECONDS = 0.1  # how often the process tree's memory is summed
BYTES_PER_MB = 10**6  # every memory figure (peak RSS columns and the memory target) is in MB of 10^6 bytes
# The stages of a build, in order, and the line of its output that ends each but the last (the rest is "publish":
# finishing the books, the manifest, publishing the site). The naive baseline prints the same three lines.
STAGES = ("plan", "chapters", "books", "publish")
STAGE_ENDS = (
    re.compile(r"^staged \d+ books? in "),  # "staged 1 books in 0.9 s": inputs read, every book staged
    re.compile(r"^chapters done at "),  # every notebook executed (or taken from the cache)
    re.compile(r"^books done at "),  # every book's HTML (and PDF) built
)
PROSE_PAGE = "book/intro.md"
CHANGED_TABLE = "unit_costs"  # small, and read by only some chapters (acute_spend and budget when written)
CLAIMS_NOTEBOOK = "claims"  # reads every other chapter's figures, so it reruns when any figure changes
TARGET_A_RATIO = 0.6  # A at most this x the naive baseline
TARGET_B_SHARE = 0.05  # B at most this share of A, with no kernel started
TARGET_C_SHARE = 0.25  # C at most this share of A (both with the PDF)
TARGET_E_SECONDS = 180  # E at most this, on TARGET_E_CORES cores
TARGET_E_CORES = 2
TARGET_PEAK_MB = 800  # peak RSS of a clean one-edition build without the PDF (A-nopdf), MB of BYTES_PER_MB
# The summary line the new `sots build` prints at the end, e.g.
# "run: 8 chapters executed, 0 from the cache, 2 kernels started, 1 books built, 0 from the cache, in 21.3 s".
RUN_LINE = re.compile(
    r"run: (?P<executed>\d+) chapters? executed, (?P<cached>\d+) from the cache, "
    r"(?P<kernels>\d+) kernels? started, (?P<books>\d+) books? built, (?P<books_cached>\d+) from the cache, "
    r"in (?P<seconds>[\d.]+) s"
)
# Where the workers' time went, as the build prints it after each phase (:meth:`sots.site.execution.Stats.time_line`
# and :func:`sots.site.build.build_books`), e.g. "chapters' time: 429.6 s in the workers, 350.8 s of it in the kernels
# running their cells" and "books' time: 188.0 s in the workers". A commit before these lines prints neither.
CHAPTERS_TIME_LINE = re.compile(r"^chapters' time: (?P<chapters>[\d.]+) s in the workers, (?P<kernels>[\d.]+) s of it "
                                r"in the kernels running their cells$")
BOOKS_TIME_LINE = re.compile(r"^books' time: (?P<books>[\d.]+) s in the workers$")
# Which `sots build` the commit under test has: "new" (cache, -j, --all-icbs, the run: line) or "current" (none of
# those; scenarios B-E then measure full rebuilds and E cannot run). "auto" reads `sots build --help`.
INTERFACES = ("auto", "new", "current")


# --- Measuring one run ----------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One measured run: its wall time, the peak memory of its whole process tree (overall and per stage, MB of
    :data:`BYTES_PER_MB`), and what its run: line said."""

    seconds: float
    peak_rss_mb: float
    stdout: str
    stage_peak_rss_mb: dict[str, float] = field(default_factory=dict)  # only the stages a sample fell in
    executed: int | None = None
    cached: int | None = None
    kernels: int | None = None
    books: int | None = None
    # Summed over the workers (parse_worker_times): the chapters, the part of that in their cells, the books.
    chapter_seconds: float | None = None
    cell_seconds: float | None = None
    book_seconds: float | None = None


def parse_worker_times(stdout: str) -> dict[str, float]:
    """The workers' summed seconds a build printed: "chapters", "cells" (the kernels running the chapters' cells) and
    "books"; only those it printed (none for a build that executed and built nothing, or a commit before the lines)."""
    found = {}
    for line in stdout.splitlines():
        if m := CHAPTERS_TIME_LINE.match(line):
            found |= {"chapters": float(m["chapters"]), "cells": float(m["kernels"])}
        elif m := BOOKS_TIME_LINE.match(line):
            found["books"] = float(m["books"])
    return found


def parse_run_line(stdout: str) -> dict[str, int] | None:
    """The counts from the last ``run: ...`` line of a build's output (None if there is none: the current CLI)."""
    found = None
    for line in stdout.splitlines():
        if m := RUN_LINE.search(line):
            found = {k: int(v) for k, v in m.groupdict().items() if k not in ("seconds", "books_cached")}
    return found


def stage_ends(lines: Sequence[tuple[float, str]]) -> list[float | None]:
    """When each stage but the last ended: for each of :data:`STAGE_ENDS`, the time (seconds from the start) of the
    first output line it matches, or None if none did (a build with nothing to do stops before staging)."""
    ends: list[float | None] = [None] * len(STAGE_ENDS)
    for t, line in lines:
        for i, pattern in enumerate(STAGE_ENDS):
            if ends[i] is None and pattern.search(line):
                ends[i] = t
    return ends


def stage_at(t: float, ends: Sequence[float | None]) -> str:
    """The stage in progress at ``t`` seconds: the one after the latest stage that had ended by then. A stage whose
    end line never came is not skipped over until a later stage's end line says it is over."""
    passed = [i + 1 for i, end in enumerate(ends) if end is not None and end <= t]
    return STAGES[max(passed, default=0)]


def stage_peaks(lines: Sequence[tuple[float, str]], samples: Sequence[tuple[float, int]]) -> dict[str, int]:
    """The peak of the memory ``samples`` (seconds from the start, bytes) within each stage, the stages cut by the
    timed output ``lines`` (seconds from the start, text) as :func:`stage_at`; a stage no sample fell in is absent.

    A line is timed when the benchmark read it, a little after the build wrote it, so a sample just before a stage's
    end line may count in the next stage: the 0.1 s sampling already blurs the boundaries as much."""
    ends = stage_ends(lines)
    peaks: dict[str, int] = {}
    for t, rss in samples:
        stage = stage_at(t, ends)
        peaks[stage] = max(peaks.get(stage, 0), rss)
    return {s: peaks[s] for s in STAGES if s in peaks}


def tree_rss_bytes(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants (kernels, jupyter-book, sphinx workers), in bytes."""
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in members:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            pass
    return total


def measure(command: Sequence[str], cwd: Path, env: dict[str, str], log: Callable[[str], None],
            output: Path | None = None) -> Run:
    """Run ``command`` to completion; return its wall time and the peak of its process tree's summed RSS, overall
    and per stage (:func:`stage_peaks`).

    RSS is sampled every :data:`SAMPLE_INTERVAL_SECONDS` by a thread, so a spike shorter than that may be missed: the
    peak is a lower bound, the same for the baseline and the candidate. The output is read line by line as it comes,
    each line timed, to cut the samples into stages. Raises RuntimeError with the output's tail if the command fails:
    a failed build's time means nothing.
    """
    # Unbuffered, so each line reaches the pipe when it is printed and is timed then, not when a buffer fills.
    env = {**env, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    child = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, bufsize=1)
    watched = psutil.Process(child.pid)
    samples: list[tuple[float, int]] = []
    lines: list[tuple[float, str]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            t = time.perf_counter() - started
            samples.append((t, tree_rss_bytes(watched)))
            done.wait(SAMPLE_INTERVAL_SECONDS)

    def read() -> None:
        for line in child.stdout:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))

    sampler = threading.Thread(target=sample, daemon=True)
    reader = threading.Thread(target=read, daemon=True)
    sampler.start()
    reader.start()
    code = child.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    # The pipe ends when the last process holding it does: a straggler the build left (none is expected) would
    # otherwise hold the benchmark up; its output after this is lost, its time is not counted either way.
    reader.join(timeout=10)
    stdout = "".join(f"{text}\n" for _, text in list(lines))
    if output is not None:  # every run's own log, timed, for a slow or failed run to be looked into (kept by --keep)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("".join(f"{t:8.2f} s  {text}\n" for t, text in list(lines)))
    if code != 0:
        tail = "\n".join(stdout.splitlines()[-40:])
        raise RuntimeError(f"{' '.join(command)} exited {code} after {seconds:.1f} s:\n{tail}")
    peak = max((rss for _, rss in samples), default=0)
    by_stage = {s: b / BYTES_PER_MB for s, b in stage_peaks(lines, samples).items()}
    run = Run(seconds=seconds, peak_rss_mb=peak / BYTES_PER_MB, stdout=stdout, stage_peak_rss_mb=by_stage)
    if counts := parse_run_line(stdout):
        run.executed, run.cached, run.kernels, run.books = (counts[k] for k in ("executed", "cached", "kernels",
                                                                                  "books"))
    times = parse_worker_times(stdout)
    run.chapter_seconds, run.cell_seconds, run.book_seconds = (times.get(k) for k in ("chapters", "cells", "books"))
    log(f"    {seconds:7.1f} s  {run.peak_rss_mb:7.0f} MB"
        + (f"  executed {run.executed}, cached {run.cached}, kernels {run.kernels}" if counts else "")
        + "  by stage " + ", ".join(f"{s} {mb:.0f}" for s, mb in by_stage.items()) + " MB")
    return run


# --- The clone under test -------------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    """Output of a git command in ``repo``; CalledProcessError (with git's message) if it fails."""
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def clone(repo: Path, commit: str, into: Path) -> Path:
    """A fresh clone of ``repo`` at ``commit`` (any revision ``repo`` knows), detached, in ``into``/sots."""
    sha = git(repo, "rev-parse", "--verify", f"{commit}^{{commit}}")
    target = into / "sots"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(repo), str(target)], check=True)
    try:
        git(target, "cat-file", "-e", sha)
    except subprocess.CalledProcessError:  # a commit on no branch (e.g. a detached HEAD): fetch it by name
        git(target, "fetch", "--quiet", str(repo), sha)
    git(target, "checkout", "--quiet", "--detach", sha)
    return target


@dataclass
class Bench:
    """One clone under test and how to build it: the shared state of every scenario in one invocation."""

    root: Path  # the clone
    python: Path  # the venv's interpreter; PYTHONPATH points it (and its kernels) at the clone's src/
    interface: str  # "new" or "current"
    edition: str  # the current edition's id
    editions: list[str]  # every edition's id, oldest first
    icb: str  # the report's ICB (claims.yml icb_code)
    icb_count: int  # rows of the ICB lookup: the number of ICBs an --all-icbs build covers
    jobs: int | None = None  # -j for the new interface (None: the build's default, the number of cores)
    dask: str | None = None  # --dask ADDRESS for the new interface
    no_pdf_option: bool = True  # whether the clone's `sots build` has --no-pdf (one before the PDF step prints none)
    log: Callable[[str], None] = print
    logs: Path | None = None  # a folder for each run's output (build-1.log, naive-1.log, ...)
    # Whether the site and cache hold a build of the unedited clone: None if not, else whether it printed the PDF (a
    # build with the other setting is not the same build: the PDF is part of its key and of its books' sources).
    warm: bool | None = field(default=None)
    edits: int = field(default=0)  # edits made so far: each is different, so an edit is never already cached
    runs: int = field(default=0)  # runs so far, to name their logs

    def _log_file(self, kind: str) -> Path | None:
        self.runs += 1
        return self.logs / f"{self.runs:03d}-{kind}.log" if self.logs else None

    @property
    def site(self) -> Path:
        return self.root / "_build" / "site"

    @property
    def cache(self) -> Path:
        return self.root / "_build" / "cache"

    @property
    def env(self) -> dict[str, str]:
        """The environment of every run: the clone's sources first on the path, for the build and its kernels."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(self.root / "src"), *filter(None, [env.get("PYTHONPATH")])])
        return env

    def build_command(self, all_icbs: bool = False, pdf: bool = True) -> list[str]:
        """``sots build`` for the current edition and the report's ICB (or, ``all_icbs``, every edition and ICB),
        printing the PDF unless not ``pdf`` (``--no-pdf``, left out for a commit without it: it prints no PDF)."""
        command = [str(self.python), "-m", "sots.cli", "build", "--icb", self.icb, "--out", str(self.site)]
        command += ["--all-editions"] if all_icbs else ["--edition", self.edition]
        command += ["--no-pdf"] if not pdf and self.no_pdf_option else []
        if self.interface == "new":
            command += ["--cache", str(self.cache)]
            command += ["--all-icbs"] if all_icbs else []
            command += ["--jobs", str(self.jobs)] if self.jobs else []
            command += ["--dask", self.dask] if self.dask else []
        elif all_icbs:
            raise RuntimeError("scenario E needs `sots build --all-icbs`, which this commit's CLI does not have")
        return command

    def build(self, all_icbs: bool = False, pdf: bool = True) -> Run:
        """One measured candidate build."""
        run = measure(self.build_command(all_icbs, pdf), self.root, self.env, self.log, self._log_file("build"))
        check_site(self, all_icbs)
        return run

    def naive(self, scratch: Path) -> Run:
        """One measured naive build of one book (the current edition, the report's ICB) in a fresh folder."""
        folder = Path(tempfile.mkdtemp(prefix="naive-", dir=scratch))
        try:
            command = [str(self.python), str(Path(__file__).resolve()), "naive", "--root", str(self.root),
                       "--edition", self.edition, "--icb", self.icb, "--work", str(folder)]
            return measure(command, self.root, self.env, self.log, self._log_file("naive"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def clear_cache(self) -> None:
        """Delete the build cache (and the site, so nothing is reused from a previous build)."""
        shutil.rmtree(self.cache, ignore_errors=True)
        shutil.rmtree(self.site, ignore_errors=True)
        self.warm = None

    def warm_up(self, pdf: bool = True) -> None:
        """Build the unedited clone once (with the PDF, or not), unmeasured, unless the site already holds it."""
        if self.warm != pdf:
            self.log("  warm-up build (not measured)" + ("" if pdf else ", --no-pdf"))
            self.build(pdf=pdf)
            self.warm = pdf

    def undo_edits(self) -> None:
        """Put every tracked file back as committed (the prose page and the table after C and D)."""
        git(self.root, "checkout", "--quiet", "--", ".")


def check_site(bench: Bench, all_icbs: bool) -> None:
    """Fail if a build did not leave the pages it should have: a fast run that built nothing is no result."""
    if not all_icbs:
        expected = [bench.site / bench.edition / "index.html"]
    else:
        expected = [bench.site / e / "icb" / "index.html" for e in bench.editions]
        for e in bench.editions:
            # Every ICB but the report's, whose book is the edition's own.
            pages = [p for p in (bench.site / e / "icb").glob("*/") if p.is_dir()]
            if len(pages) < bench.icb_count - 1:
                raise RuntimeError(f"{bench.site / e / 'icb'}: {len(pages)} ICB folders, "
                                   f"expected {bench.icb_count - 1}")
    missing = [str(p) for p in expected if not p.is_file()]
    if missing:
        raise RuntimeError(f"the build left no {', '.join(missing)}")


def build_help(python: Path, root: Path, env: dict[str, str]) -> str:
    """The clone's ``sots build --help``, wide enough that no option's name is broken across lines."""
    done = subprocess.run([str(python), "-m", "sots.cli", "build", "--help"], cwd=root, env={**env, "COLUMNS": "200"},
                          capture_output=True, text=True)
    return done.stdout + done.stderr


def detect_interface(help_text: str) -> str:
    """"new" if ``sots build --help`` offers ``--cache`` and ``--all-icbs``, else "current"."""
    return "new" if "--cache" in help_text and "--all-icbs" in help_text else "current"


def open_bench(repo: Path, commit: str, scratch: Path, interface: str = "auto", jobs: int | None = None,
               dask: str | None = None, log: Callable[[str], None] = print) -> Bench:
    """Clone ``repo`` at ``commit`` into ``scratch`` and read what a build of it needs (editions, ICB, interface)."""
    root = clone(repo, commit, scratch)
    python = Path(sys.executable)
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    facts = subprocess.run([str(python), "-c", FACTS_SCRIPT], cwd=root, env=env, check=True, capture_output=True,
                           text=True)
    read = json.loads(facts.stdout)
    help_text = build_help(python, root, env)
    chosen = detect_interface(help_text) if interface == "auto" else interface
    bench = Bench(root=root, python=python, interface=chosen, edition=read["current"], editions=read["editions"],
                  icb=read["icb"], icb_count=read["icb_count"], jobs=jobs, dask=dask,
                  no_pdf_option="--no-pdf" in help_text, log=log, logs=scratch / "logs")
    log(f"clone {git(root, 'rev-parse', '--short', 'HEAD')} in {root}; interface {chosen}; edition {bench.edition}, "
        f"ICB {bench.icb}" + ("" if bench.no_pdf_option else "; no --no-pdf (this commit prints no PDF)"))
    return bench


# Run with the clone's sources, so the facts are the commit under test's, not this script's.
FACTS_SCRIPT = """
import json
from pathlib import Path
from sots.analysis import claims
from sots.inputs import data, editions
root = Path.cwd()
register = editions.load(root / editions.EDITIONS_FILE)
print(json.dumps({
    "current": editions.current(register).id,
    "editions": [e.id for e in register],
    "icb": claims.report(root / claims.REGISTER)["icb_code"],
    "icb_count": len(data.load("icb_lookup", root / "data")),
}))
"""


# --- The naive baseline ---------------------------------------------------------------------------------------------


def naive_build(root: Path, edition_id: str, icb: str, work: Path) -> None:
    """Build one book the naive way: stage it as ``sots build`` does, papermill every notebook in ``_toc.yml`` order,
    one after another, each in a fresh kernel, then ``jupyter-book build --builder html``. No cache, no parallelism,
    no checks, and no PDF (it never prints one, so it is the baseline of the --no-pdf scenarios as it is of the rest).
    It prints the three lines that end a build's stages (:data:`STAGE_ENDS`), so its memory is cut into stages too:
    staging, the notebooks, jupyter-book.

    Runs in a child process (``build_bench.py naive``) with the clone's ``src/`` on the path, so it imports the
    commit under test's staging code and its notebooks' kernels import the same package.
    """
    started_all = time.perf_counter()
    import papermill as pm
    import yaml

    from sots.inputs import data, editions, geography
    from sots.site import release
    from sots.site.build import edition_config, stage_sources
    from sots.site.pipeline import Parameters, declared
    from sots.toc import notebooks_in_toc

    edition = editions.get(editions.load(root / editions.EDITIONS_FILE), edition_id)
    focal = geography.resolve_icb(icb, data.load("icb_lookup", root / "data"))
    stage = work / "book"
    stage.mkdir(parents=True)
    stage_sources(root, stage, edition_config(root, edition, focal.icb_name, focal.short_name, release.current(root)))
    cwd = stage / "notebooks"
    cwd.mkdir()
    results = work / "results"  # as the build: beside the staged book, read by the claims page via results_dir
    results.mkdir()
    params = Parameters(edition=edition, icb=focal.icb_code, data_dir=(root / "data").resolve())
    print(f"staged 1 books in {time.perf_counter() - started_all:.1f} s", flush=True)
    for name in notebooks_in_toc(yaml.safe_load((root / "_toc.yml").read_text())):
        source = root / f"{name}.ipynb"
        started = time.perf_counter()
        parameters = declared(params.for_notebook(cwd, results / f"{source.stem}.json"), source)
        pm.execute_notebook(str(source), str(cwd / source.name), parameters=parameters, kernel_name="python3",
                            cwd=str(cwd), progress_bar=False, log_output=False)
        print(f"naive: {source.name} {time.perf_counter() - started:.1f} s", flush=True)
    print(f"chapters done at {time.perf_counter() - started_all:.1f} s", flush=True)
    started = time.perf_counter()
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jupyter_book), "build", str(stage), "--builder", "html", "-q"], check=True)
    print(f"naive: book built in {time.perf_counter() - started:.1f} s", flush=True)
    print(f"books done at {time.perf_counter() - started_all:.1f} s", flush=True)
    if not (stage / "_build" / "html" / "index.html").is_file():
        raise SystemExit("naive: jupyter-book left no index.html")


# --- Edits for C and D ----------------------------------------------------------------------------------------------


def edit_prose(bench: Bench) -> str:
    """Append a sentence to the prose page; each call's sentence differs, so it is never already in the cache."""
    bench.edits += 1
    page = bench.root / PROSE_PAGE
    with page.open("a") as f:
        f.write(f"\nThis sentence was added by the build benchmark (edit {bench.edits}, {uuid.uuid4().hex[:8]}).\n")
    return f"appended a sentence to {PROSE_PAGE}"


def edit_table(bench: Bench) -> str:
    """Change one value of :data:`CHANGED_TABLE` in a row of the current edition's year and rewrite its recorded
    hash (and size) in ``datapackage.json``, so the build's checksum check passes.

    Only the changed line is rewritten, so every other byte of the file is as committed. Each call scales the value
    by a different factor, so the edited rows are never already in the cache.
    """
    bench.edits += 1
    data_dir = bench.root / "data"
    package_path = data_dir / "datapackage.json"
    package = json.loads(package_path.read_text())
    resource = next(r for r in package["resources"] if r["name"] == CHANGED_TABLE)
    path = data_dir / resource["path"]
    lines = path.read_text().splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    year, value_column = header.index("year"), header.index("unit_cost_gbp")
    edition_years = set(json.loads(subprocess.run(
        [str(bench.python), "-c", "import json,sys; from sots.inputs import editions; "
         f"e = editions.get(editions.load('editions.yml'), {bench.edition!r}); print(json.dumps(e.inputs))"],
        cwd=bench.root, env=bench.env, check=True, capture_output=True, text=True).stdout).values())
    for i, line in enumerate(lines[1:], 1):
        row = next(csv.reader([line]))
        if row[year] in edition_years:
            old = row[value_column]
            row[value_column] = repr(float(old) * (1 + 0.01 * bench.edits))
            text = io.StringIO()
            csv.writer(text, lineterminator=line[len(line.rstrip("\r\n")):]).writerow(row)
            lines[i] = text.getvalue()
            break
    else:
        raise RuntimeError(f"{path}: no row of the edition's years {sorted(edition_years)}")
    path.write_text("".join(lines))
    resource["hash"] = f"sha256:{sha256_file(path)}"
    if "bytes" in resource:
        resource["bytes"] = path.stat().st_size
    package_path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")
    return f"{resource['path']}: {row[0]} {row[1]} unit_cost_gbp {old} -> {row[value_column]}"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, as ``sots.inputs.data.sha256`` (kept here so the script needs only the standard
    library)."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_readers(cache: Path, table: str) -> list[str]:
    """The chapters, of every book the build runs, whose entries in the execution cache record reading ``table``, as
    "<edition> <ICB> <chapter>": what each chapter recorded as it ran (``reads.json``, and ``chapter.txt``). A build
    of the current edition runs the report edition's chapters too (their figures are the report's verdicts), and a
    publication giving two years puts a row of one in both editions' windows."""
    readers = set()
    for reads in cache.glob("*/*/reads.json"):
        label = (reads.parent / "chapter.txt").read_text().strip()
        if label and table in json.loads(reads.read_text()).get("tables", {}):
            readers.add(label)
    return sorted(readers)


PROGRESS_RAN = re.compile(r"^\[\d+/\d+\] (?P<label>.+) [\d.]+ s$")  # a chapter executed, not "from the cache"


def executed_labels(stdout: str) -> list[str]:
    """The chapters a build executed ("<edition> <ICB> <chapter>"), from its progress lines (``[8/17] 2023-24 QE1
    budget 2.9 s``; a chapter taken from the cache ends "from the cache")."""
    return [m["label"] for line in stdout.splitlines() if (m := PROGRESS_RAN.match(line.strip()))]


def only_dependent(executed: Sequence[str], readers: Sequence[str]) -> bool:
    """Whether every chapter ``executed`` read the changed table (``readers``) or is a claims page, which reads the
    figures of the chapters that did."""
    return all(label in readers or label.split()[-1] == CLAIMS_NOTEBOOK for label in executed)


# --- Scenarios ------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    """A scenario's measured runs and its baseline's, side by side."""

    scenario: str
    candidate: list[Run]
    baseline: list[Run]
    baseline_books: int = 1  # the baseline is one book; E's is multiplied by its number of books
    dependent: list[str] | None = None  # D: the chapters that read the changed table
    notes: list[str] = field(default_factory=list)

    def median_seconds(self) -> float:
        return statistics.median(r.seconds for r in self.candidate)

    def baseline_median_seconds(self) -> float:
        return statistics.median(r.seconds for r in self.baseline) * self.baseline_books

    def median_peak_mb(self) -> float:
        return statistics.median(r.peak_rss_mb for r in self.candidate)


def kind(name: str) -> str:
    """What a scenario does, whether or not it prints the PDF: "A" for both A and A-nopdf."""
    return name.removesuffix(NO_PDF)


def prints_pdf(name: str) -> bool:
    """Whether scenario ``name`` builds with the PDF (every scenario but the -nopdf ones)."""
    return not name.endswith(NO_PDF)


def stage_medians(runs: Sequence[Run]) -> dict[str, float]:
    """Per stage, the median over ``runs`` of its peak RSS (MB), of the runs that had a sample in it."""
    return {s: statistics.median(v) for s in STAGES
            if (v := [r.stage_peak_rss_mb[s] for r in runs if s in r.stage_peak_rss_mb])}


def run_scenario(name: str, bench: Bench, scratch: Path, repeat: int = 3, baseline_repeat: int | None = None) -> Result:
    """Run scenario ``name`` (one of :data:`SCENARIOS`) ``repeat`` times, each after a naive baseline run; return
    both sets of runs.

    Each repetition starts from the state the scenario needs: A and E with no cache; B after a build; C and D after
    a build, then the edit, which is undone after the run. A-nopdf and C-nopdf are A and C with ``--no-pdf`` (their
    warm-up build too); the baseline is the same naive build, which prints no PDF. ``baseline_repeat`` (default
    ``repeat``) runs the baseline more often than the candidate: E runs once but its baseline three times.
    """
    log = bench.log
    baseline_repeat = repeat if baseline_repeat is None else baseline_repeat
    what, pdf = kind(name), prints_pdf(name)
    result = Result(name, [], [])
    for i in range(max(repeat, baseline_repeat)):
        if i < baseline_repeat:
            log(f"  [{name} {i + 1}] naive baseline")
            result.baseline.append(bench.naive(scratch))
        if i >= repeat:
            continue
        if what in ("A", "E"):
            bench.clear_cache()
        else:
            bench.undo_edits()
            bench.warm_up(pdf)
        if what == "D" and not result.dependent:  # read from the cache the warm-up filled
            result.dependent = table_readers(bench.cache, CHANGED_TABLE)
            result.notes.append(f"chapters that read {CHANGED_TABLE} (as recorded in the cache): "
                                f"{', '.join(result.dependent)} (+ {CLAIMS_NOTEBOOK}, which reads their figures)")
        edit = {"C": edit_prose, "D": edit_table}.get(what)
        if edit:
            edited = edit(bench)
            log(f"  [{name} {i + 1}] {edited}")
            if i == 0:
                result.notes.append(f"edit: {edited} (a different value each repetition)")
        log(f"  [{name} {i + 1}] sots build" + ("" if pdf else " --no-pdf"))
        try:
            result.candidate.append(bench.build(all_icbs=what == "E", pdf=pdf))
        finally:
            if edit:
                bench.undo_edits()  # the cache now holds the edited build; the unedited one is still there
        # After A and B the site is the unedited clone's; after C and D the edited build's, after E every ICB's.
        bench.warm = pdf if what in ("A", "B") else None
    if not bench.no_pdf_option:
        result.notes.append("this commit's `sots build` has no --no-pdf and prints no PDF: with or without is the "
                            "same build")
    elif not pdf:
        result.notes.append("sots build --no-pdf; the naive baseline is the same as the other scenarios': it never "
                            "prints a PDF, so this is like for like")
    elif what == "E":
        result.notes.append(f"with the PDF (no --no-pdf): each edition's own book is printed ({len(bench.editions)} "
                            "editions); the other ICBs' books are not; the naive baseline prints "
                            "none")
    elif what in ("A", "C", "D"):
        result.notes.append("with the PDF: the edition's book is printed to a PDF; the naive baseline prints none")
    if what == "E":
        result.baseline_books = len(bench.editions) * bench.icb_count
        result.notes.append(f"baseline = median of {len(result.baseline)} naive builds of one book x "
                            f"{result.baseline_books} books ({len(bench.editions)} editions x {bench.icb_count} ICBs)")
    if bench.interface == "current":
        result.notes.append("run with the current CLI (no cache, no -j, no run: line): a full rebuild each time")
    return result


# --- The report -----------------------------------------------------------------------------------------------------


def _fmt(values: list[float], digits: int = 1) -> tuple[str, str, str]:
    return tuple(f"{v:.{digits}f}" for v in (statistics.median(values), min(values), max(values)))


def _counts(runs: list[Run], field_name: str) -> str:
    values = [getattr(r, field_name) for r in runs]
    if any(v is None for v in values):
        return "n/a"
    distinct = sorted(set(values))
    return str(distinct[0]) if len(distinct) == 1 else "-".join(map(str, (distinct[0], distinct[-1])))


def targets(results: dict[str, Result], cores: int | None = None) -> list[tuple[str, str, str, str]]:
    """(scenario, target, reached, met?) for each target of the issue whose scenarios ran; "met?" is yes, no, n/a
    (what it needs did not run) or "info" for a row shown beside a target, not one. ``cores`` is the machine's
    (default :func:`os.cpu_count`): E's target is for :data:`TARGET_E_CORES`."""
    cores = os.cpu_count() if cores is None else cores
    rows = []

    def ratio_to(r: Result, ref: str) -> float | None:
        return r.median_seconds() / results[ref].median_seconds() if ref in results else None

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("yes" if ok else "no")

    # The naive build prints no PDF, so the target is on the build that prints none either; A is shown beside it.
    if a := results.get("A"):
        ratio = a.median_seconds() / a.baseline_median_seconds()
        rows.append(("A", "time beside naive (A prints the PDF, naive does not)", f"{ratio:.2f} x naive", "info"))
    if a0 := results.get("A-nopdf"):
        ratio = a0.median_seconds() / a0.baseline_median_seconds()
        rows.append(("A-nopdf", f"<= {TARGET_A_RATIO} x naive, like for like (neither prints a PDF)",
                     f"{ratio:.2f} x naive", verdict(ratio <= TARGET_A_RATIO)))
        peak = a0.median_peak_mb()
        rows.append(("A-nopdf", f"peak RSS <= {TARGET_PEAK_MB} MB (MB = 10^6 bytes)", f"{peak:.0f} MB",
                     verdict(peak <= TARGET_PEAK_MB)))
    if b := results.get("B"):
        ratio, kernels = ratio_to(b, "A"), _counts(b.candidate, "kernels")
        reached = (f"{ratio:.1%} of A" if ratio is not None else "A not run") + f", kernels started {kernels}"
        ok = None if ratio is None or kernels == "n/a" else (ratio <= TARGET_B_SHARE and kernels == "0")
        rows.append(("B", f"<= {TARGET_B_SHARE:.0%} of A and 0 kernels started", reached, verdict(ok)))
    for name, ref, target in (("C", "A", f"<= {TARGET_C_SHARE:.0%} of A (both with the PDF)"),
                              ("C-nopdf", "A-nopdf", "beside A-nopdf (neither prints a PDF)")):
        if c := results.get(name):
            ratio = ratio_to(c, ref)
            reached = f"{ratio:.1%} of {ref}" if ratio is not None else f"{ref} not run"
            met = "info" if name != "C" else verdict(None if ratio is None else ratio <= TARGET_C_SHARE)
            rows.append((name, target, reached, met))
    if d := results.get("D"):
        executed = _counts(d.candidate, "executed")
        ran = [executed_labels(r.stdout) for r in d.candidate]
        ok = None if not d.candidate else all(only_dependent(labels, d.dependent or []) for labels in ran)
        rows.append(("D", f"only the chapters that read the table ({len(d.dependent or [])}), and claims pages",
                     f"{executed} chapters executed: {', '.join(ran[0]) if ran else '-'}", verdict(ok)))
    if e := results.get("E"):
        seconds = e.median_seconds()
        rows.append(("E", f"<= {TARGET_E_SECONDS} s on {TARGET_E_CORES} cores", f"{seconds:.0f} s on {cores} cores",
                     verdict(seconds <= TARGET_E_SECONDS) if cores == TARGET_E_CORES else "n/a (other cores)"))
        if floor := e_floor(e, cores):
            rows.append(("E", "its floor: the chapters' own code, and the books, shared by the cores", floor, "info"))
    return rows


def worker_times(r: Result) -> str | None:
    """The workers' summed seconds, medians over the runs that printed them, as a line of the report (None if none
    did): where a build's time went, the chapters' own code apart from the build's work around it."""
    def median(name: str) -> float | None:
        values = [v for run in r.candidate if (v := getattr(run, name)) is not None]
        return statistics.median(values) if values else None

    chapters, cells, books = median("chapter_seconds"), median("cell_seconds"), median("book_seconds")
    parts = []
    if chapters is not None:
        parts.append(f"chapters {chapters:.1f} s, {cells:.1f} s of it in the kernels running their cells")
    if books is not None:
        parts.append(f"books {books:.1f} s")
    return "workers' time, summed (medians): " + "; ".join(parts) if parts else None


def e_floor(e: Result, cores: int) -> str | None:
    """What E could take at the least, in words, from its median run's worker times: the seconds the kernels spent
    running the chapters' cells, spread evenly over ``cores`` with nothing else to do, then with the books' builds
    as well. None if the build printed no worker times."""
    run = sorted(e.candidate, key=lambda r: r.seconds)[(len(e.candidate) - 1) // 2]
    if run.cell_seconds is None or run.book_seconds is None:
        return None
    return (f"{run.cell_seconds / cores:.0f} s for the chapters' cells alone ({run.cell_seconds:.0f} s of the kernels' "
            f"time / {cores}); {(run.cell_seconds + run.book_seconds) / cores:.0f} s with the books "
            f"({run.book_seconds:.0f} s); the chapters took {run.chapter_seconds:.0f} s of the workers' time")


def _stage_cells(medians: dict[str, float]) -> str:
    return " | ".join(f"{medians[s]:.0f}" if s in medians else "-" for s in STAGES)


def report(results: dict[str, Result], bench: Bench, repeat: int) -> str:
    """``results.md``: the machine and commit, a table per scenario (time and peak memory, then peak memory per
    stage), and the targets next to what was reached."""
    lines = [
        "# Build benchmark results",
        "",
        "Written by `benchmarks/build_bench.py`; see `benchmarks/README.md`. Times are wall-clock seconds, the median "
        "of the repetitions with min and max; peak RSS is the largest sum over the build's whole process tree (sampled "
        f"every {SAMPLE_INTERVAL_SECONDS} s), in MB of 10^6 bytes. Each candidate run was interleaved with a naive "
        "baseline run, which never prints a PDF.",
        "",
        f"Peak RSS by stage: the peak of the samples taken in each stage (median of the runs), the stages cut where "
        f"the build's output says one ended: {STAGES[0]} (inputs read, books staged: until `staged N books`), "
        f"{STAGES[1]} (notebooks executed: until `chapters done`), {STAGES[2]} (HTML and PDF: until `books done`), "
        f"{STAGES[3]} (the rest: finishing the books, publishing). A stage no sample fell in is `-` (a build with "
        "nothing to do stops in the first). The naive baseline prints the same three lines: its stages are staging, "
        "the notebooks, jupyter-book.",
        "",
        f"- commit: `{git(bench.root, 'rev-parse', '--short', 'HEAD')}`",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- cores: {os.cpu_count()}",
        f"- Python: {platform.python_version()}",
        f"- CLI interface: {bench.interface}"
        + (" (no cache, -j, --all-icbs or run: line: scenarios B-D are full rebuilds)" if bench.interface == "current"
           else ""),
        f"- built: edition {bench.edition}, ICB {bench.icb}; repetitions: {repeat}"
        + (f"; jobs: {bench.jobs}" if bench.jobs else "") + (f"; dask: {bench.dask}" if bench.dask else ""),
        "",
    ]
    for name, r in results.items():
        secs = _fmt([x.seconds for x in r.candidate])
        base_secs = _fmt([x.seconds * r.baseline_books for x in r.baseline])
        rss = _fmt([x.peak_rss_mb for x in r.candidate], 0)
        base_rss = _fmt([x.peak_rss_mb for x in r.baseline], 0)
        times_books = f", x {r.baseline_books} books" if r.baseline_books > 1 else ""
        command = "sots build" + ("" if prints_pdf(name) else " --no-pdf")
        lines += [f"## {name}: {SCENARIOS[name]}", ""]
        if len(r.candidate) == 1:
            lines += [f"Ran once ({'--repeat-e' if name == 'E' else '--repeat'} 1): min = median = max.", ""]
        lines += [
            "| | median s | min s | max s | peak RSS MB (median, min, max) | executed | from cache | kernels started |",
            "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
            f"| {command} ({len(r.candidate)} runs) | {' | '.join(secs)} | {', '.join(rss)} | "
            + " | ".join(_counts(r.candidate, k) for k in ("executed", "cached", "kernels")) + " |",
            f"| naive baseline ({len(r.baseline)} runs{times_books}) | {' | '.join(base_secs)} | "
            f"{', '.join(base_rss)} | all | 0 | one per notebook |",
            "",
            "| peak RSS MB by stage (median) | " + " | ".join(STAGES) + " |",
            "| --- |" + " ---: |" * len(STAGES),
            f"| {command} | {_stage_cells(stage_medians(r.candidate))} |",
            f"| naive baseline (one book) | {_stage_cells(stage_medians(r.baseline))} |",
            "",
            f"- candidate / naive baseline (medians): {r.median_seconds() / r.baseline_median_seconds():.2f}",
        ]
        if ref := REFERENCE.get(name):
            lines.append(f"- candidate / {ref} (medians): {r.median_seconds() / results[ref].median_seconds():.1%}"
                         if ref in results else f"- candidate / {ref}: n/a ({ref} not run in this invocation)")
        if times := worker_times(r):
            lines.append(f"- {times}")
        lines += [f"- {note}" for note in r.notes] + [""]
    lines += ["## Targets", "", "| scenario | target | reached | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {s} | {t} | {reached} | {ok} |" for s, t, reached, ok in targets(results)] + [""]
    return "\n".join(lines)


# --- Command line ---------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, of {', '.join(SCENARIOS)} (default: all; always run in that order)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of every scenario but E, and of the baseline (default 3)")
    parser.add_argument("--repeat-e", type=int, default=1, help="repetitions of E (default 1: it is long)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default {DEFAULT_OUT})")
    parser.add_argument("--repo", type=Path, default=HERE.parent, help="repository to clone (default: this one)")
    parser.add_argument("--commit", default="HEAD", help="revision to benchmark (default HEAD)")
    parser.add_argument("--interface", choices=INTERFACES, default="auto",
                        help="the CLI the commit has: new (cache, -j, --all-icbs), current, or auto (read --help)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="passed to sots build (default: its own)")
    parser.add_argument("--dask", default=None, help="ADDRESS, passed to sots build --dask")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone (its path is printed)")
    args = parser.parse_args(argv)
    names = {s.lower(): s for s in SCENARIOS}  # any case: a-nopdf is A-nopdf
    args.scenarios = [names.get(s.strip().lower(), s.strip()) for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"--scenarios: unknown {', '.join(unknown)} (choose from {', '.join(SCENARIOS)})")
    if args.repeat < 1 or args.repeat_e < 1:
        parser.error("--repeat and --repeat-e must be at least 1")
    return args


def naive_main(argv: Sequence[str]) -> int:
    """``build_bench.py naive --root R --edition E --icb I --work W``: one naive build (see :func:`naive_build`)."""
    parser = argparse.ArgumentParser(prog="build_bench.py naive")
    for name in ("--root", "--edition", "--icb", "--work"):
        parser.add_argument(name, required=True)
    args = parser.parse_args(argv)
    naive_build(Path(args.root), args.edition, args.icb, Path(args.work))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen scenarios in a fresh clone and write the results; 0 on success, 1 if a build failed."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["naive"]:
        return naive_main(argv[1:])
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="sots-bench-"))
    results: dict[str, Result] = {}
    try:
        bench = open_bench(args.repo.resolve(), args.commit, scratch, args.interface, args.jobs, args.dask)
        for name in [s for s in SCENARIOS if s in args.scenarios]:  # A first: B, C, ... are compared with it
            print(f"scenario {name}: {SCENARIOS[name]}", flush=True)
            if name == "E" and bench.interface == "current":
                print("  skipped: E needs `sots build --all-icbs`, which this commit's CLI does not have")
                continue
            if name == "E":
                results[name] = run_scenario(name, bench, scratch, repeat=args.repeat_e, baseline_repeat=args.repeat)
            else:
                results[name] = run_scenario(name, bench, scratch, repeat=args.repeat)
        text = report(results, bench, args.repeat)
        args.out.write_text(text)
        print(text)
        print(f"wrote {args.out}")
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"error: {err}", file=sys.stderr)
        if isinstance(err, subprocess.CalledProcessError) and err.stderr:
            print(err.stderr, file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
