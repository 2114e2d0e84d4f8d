"""The benchmark script reads the counts a build prints: its pattern and the build's summary line agree."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from helpers import ROOT
from sots.site.execution import Stats

pytestmark = pytest.mark.unit


def load_bench():
    spec = importlib.util.spec_from_file_location("build_bench", ROOT / "benchmarks" / "build_bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_reads_the_counts_of_the_builds_last_line():
    bench = load_bench()
    line = Stats(executed=3, cached=5, kernels_started=2).summary(books_built=1, books_cached=0, seconds=19.3)
    assert bench.parse_run_line(f"published /x\n{line}\n") == {"executed": 3, "cached": 5, "kernels": 2, "books": 1}
