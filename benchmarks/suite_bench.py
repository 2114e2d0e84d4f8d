"""Time the test suite as `make test` runs it, on its workers, against the same suite in one process, side by side.

In a fresh clone of a commit (so the work tree's changes are not measured), after `make venv chromium`: each
repetition runs `make test TEST_WORKERS=0` and `make test`, in turn, the one that goes first alternating, each from no
_build/ folder (an empty execution cache, as in CI), and records each run's wall time, the CPU time of everything it
ran, and its pytest summary. Writes the runs, the medians and the ratio of the medians to ``--out`` (default
benchmarks/suite_results.md). Any failing run stops the benchmark: a failed suite's time means nothing.

    .venv/bin/python benchmarks/suite_bench.py [--repeat N] [--commit REV] [--out FILE]

A repetition takes about half an hour on a 2-core machine (17 minutes in one process, 10 on two workers).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "suite_results.md"
WAYS = {"one process": ["TEST_WORKERS=0"], "workers (make test)": []}
# The tests read the upstream raw data beside the project (tests/helpers.py), which a clone in a temporary folder does
# not have beside it: they are told where this repository's is, unless SOTS_RAW already says.
ENV = {**os.environ, "SOTS_RAW": os.environ.get("SOTS_RAW", str(HERE.parent.parent / "shared" / "data" / "raw"))}
SUMMARY = re.compile(r"=+ (.*(?:passed|failed).*) in [\d.]+s")


@dataclass
class Run:
    way: str
    seconds: float  # wall time of `make test`
    cpu_seconds: float  # user + system time of every process it ran and waited for
    summary: str  # pytest's last line, e.g. "1464 passed, 38 warnings"


def run_once(clone: Path, way: str) -> Run:
    """`make test` in ``clone`` the given way, from no _build/ folder (so no execution cache, as in CI's fresh clone:
    a run after another would otherwise find its chapters in the cache the other filled); SystemExit with the end of
    its output if it fails."""
    shutil.rmtree(clone / "_build", ignore_errors=True)  # the clone is this benchmark's own
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(["make", "-s", "test", *WAYS[way]], cwd=clone, capture_output=True, text=True, env=ENV)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"make test ({way}) failed:\n" + (done.stdout + done.stderr)[-4000:])
    found = SUMMARY.findall(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(way, seconds, cpu, found[-1] if found else "?")


def order(repetition: int) -> list[str]:
    """The ways in the order repetition ``repetition`` (from 0) runs them: alternating which goes first."""
    ways = list(WAYS)
    return ways if repetition % 2 == 0 else ways[::-1]


def report(runs: Sequence[Run], commit: str, repeat: int) -> str:
    """The results as Markdown: every run, then each way's medians and the ratio of the medians."""
    medians = {way: (statistics.median(r.seconds for r in runs if r.way == way),
                     statistics.median(r.cpu_seconds for r in runs if r.way == way)) for way in WAYS}
    serial, workers = (medians[way][0] for way in WAYS)
    lines = [
        "# Test suite benchmark",
        "",
        f"Commit `{commit}`, a fresh clone; {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}. {repeat} repetition{'s' if repeat != 1 else ''}, the two ways in turn, "
        "the first alternating. Written by `benchmarks/suite_bench.py`; `make test`'s time includes ruff's.",
        "",
        "| run | way | wall (s) | CPU (s) | CPU / wall | pytest |",
        "| ---: | --- | ---: | ---: | ---: | --- |",
        *(f"| {i} | {r.way} | {r.seconds:.0f} | {r.cpu_seconds:.0f} | {r.cpu_seconds / r.seconds:.2f} | {r.summary} |"
          for i, r in enumerate(runs, 1)),
        "",
        "| way | median wall (s) | median CPU (s) |",
        "| --- | ---: | ---: |",
        *(f"| {way} | {wall:.0f} | {cpu:.0f} |" for way, (wall, cpu) in medians.items()),
        "",
        f"Workers / one process, medians of wall time: **{workers / serial:.2f}**. The budget is 600 s on 2 cores: "
        f"{'met' if workers <= 600 else 'not met'} by `make test` here ({workers:.0f} s).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each way (default 3)")
    parser.add_argument("--commit", default="HEAD", help="revision to benchmark (default HEAD)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    repo = HERE.parent
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", args.commit], capture_output=True,
                            text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="sots-suite-bench-") as scratch:
        clone = Path(scratch) / "clone"
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", commit], check=True)
        subprocess.run(["make", "-s", "venv", "chromium"], cwd=clone, check=True)
        runs = []
        for repetition in range(args.repeat):
            for way in order(repetition):
                runs.append(run_once(clone, way))
                print(f"{way}: {runs[-1].seconds:.0f} s, {runs[-1].summary}", file=sys.stderr, flush=True)
    args.out.write_text(report(runs, commit, args.repeat))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
