"""The suite benchmark's order of runs and its report, on known runs (the benchmark itself is run by hand:
benchmarks/suite_bench.py)."""

from __future__ import annotations

import pytest

from helpers import benchmark

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def bench():
    return benchmark("suite_bench")


def test_the_way_that_goes_first_alternates(bench):
    serial, workers = bench.WAYS
    assert [bench.order(i) for i in range(3)] == [[serial, workers], [workers, serial], [serial, workers]]
    assert bench.WAYS[serial] == ["TEST_WORKERS=0"] and bench.WAYS[workers] == []  # make test as CI runs it


def test_the_report_gives_each_run_the_medians_and_their_ratio(bench):
    serial, workers = bench.WAYS
    runs = [bench.Run(serial, 1000, 850, "1464 passed"), bench.Run(workers, 600, 840, "1464 passed"),
            bench.Run(workers, 500, 830, "1464 passed"), bench.Run(serial, 1100, 860, "1464 passed"),
            bench.Run(serial, 900, 800, "1464 passed"), bench.Run(workers, 550, 820, "1464 passed")]
    text = bench.report(runs, "abc1234", 3)
    assert "| 2 | workers (make test) | 600 | 840 | 1.40 | 1464 passed |" in text
    assert f"| {serial} | 1000 | 850 |" in text and f"| {workers} | 550 | 830 |" in text
    assert "Workers / one process, medians of wall time: **0.55**" in text
    assert "met by `make test` here (550 s)" in text


def test_the_summary_is_pytests_last_line(bench):
    line = "================ 1459 passed, 38 warnings in 616.34s (0:10:16) ================="
    assert bench.SUMMARY.findall(line) == ["1459 passed, 38 warnings"]
