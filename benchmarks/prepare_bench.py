"""How long `sots prepare` takes at one commit against another, run side by side.

Not a test: run by hand, its results recorded in `benchmarks/prepare_results.md` (commit that file with the change it
measures). Each commit's `src/` is taken from a `git worktree` in a temporary folder and run with this virtualenv
(`PYTHONPATH` puts it before the installed package), on the same upstream folder, into a temporary `--data`. The
two commits alternate, run after run, so the machine's other work falls on both alike; the results give each one's
median and the ratio of the medians.

    .venv/bin/python benchmarks/prepare_bench.py                          # 8acaf6e against HEAD, 5 runs each
    .venv/bin/python benchmarks/prepare_bench.py --baseline main~3 --repeat 3 --out /tmp/prepare.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = Path(os.environ.get("SOTS_RAW", ROOT.parent / "shared" / "data" / "raw"))
BASELINE = "8acaf6e"  # before each workbook was opened once for all its sheets


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def one_run(src: Path, raw: Path, out: Path) -> float:
    """Seconds for one `sots prepare` with the package in ``src``; fails if prepare does."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from sots.cli import app; app()", "prepare", "--raw", str(raw), "--data",
                    str(out)], check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(src)})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--candidate", default="HEAD")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "prepare_results.md")
    args = parser.parse_args()
    commits = {name: git("rev-parse", "--short=12", rev) for name, rev in
               (("baseline", args.baseline), ("candidate", args.candidate))}
    times: dict[str, list[float]] = {name: [] for name in commits}
    with tempfile.TemporaryDirectory(prefix="sots-prepare-bench-") as tmp:
        trees = {}
        for name, commit in commits.items():
            trees[name] = Path(tmp) / name
            git("worktree", "add", "--detach", "-q", str(trees[name]), commit)
        try:
            for n in range(args.repeat):
                for name in commits:
                    seconds = one_run(trees[name] / "src", RAW, Path(tmp) / f"data-{name}-{n}")
                    times[name].append(seconds)
                    print(f"{name} {commits[name]} run {n + 1}: {seconds:.2f} s", flush=True)
        finally:
            for tree in trees.values():
                git("worktree", "remove", "--force", str(tree))
    medians = {name: statistics.median(t) for name, t in times.items()}
    lines = [
        "# `sots prepare`: two commits side by side",
        "",
        f"Made by `benchmarks/prepare_bench.py` on {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {args.repeat} runs of each, alternating, on "
        f"`{RAW}`.",
        "",
        "| commit | runs (s) | median (s) |",
        "|---|---|---|",
        *[f"| {name} `{commits[name]}` | {', '.join(f'{t:.2f}' for t in times[name])} | {medians[name]:.2f} |"
          for name in commits],
        "",
        f"Ratio of the medians, candidate over baseline: {medians['candidate'] / medians['baseline']:.2f}.",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
