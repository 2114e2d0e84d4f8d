"""The benchmark script reads the counts a build prints: its pattern and the build's summary line agree. Its pure
parts: memory samples cut into the build's stages by its timed output, the targets, and the report's sections."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from helpers import ROOT, benchmark
from sots.site.execution import Stats

pytestmark = pytest.mark.unit

MB = 10**6  # the benchmark's MB (its BYTES_PER_MB)


@pytest.fixture(scope="module")
def bench():
    return benchmark("build_bench")


def test_the_benchmark_reads_the_counts_of_the_builds_last_line(bench):
    line = Stats(executed=3, cached=5, kernels_started=2).summary(books_built=1, books_cached=0, seconds=19.3)
    assert bench.parse_run_line(f"published /x\n{line}\n") == {"executed": 3, "cached": 5, "kernels": 2, "books": 1}


def test_every_stage_end_the_benchmark_waits_for_is_a_line_the_build_prints(bench):
    # The build's log lines as written in its source, each {expression} standing for a number.
    source = (ROOT / "src" / "sots" / "site" / "build.py").read_text()
    printed = [re.sub(r"\{[^}]*\}", "1", m) for m in re.findall(r'log\(f"([^"]*)"', source)]
    for pattern in bench.STAGE_ENDS:
        assert any(pattern.search(line) for line in printed), pattern.pattern


def test_the_benchmark_reads_the_workers_times_the_build_prints(bench):
    chapters = Stats(executed=3, seconds=12.25, kernel_seconds=10.5).time_line()
    # The books' line as written in build.py, its sum standing for 7.5.
    source = (ROOT / "src" / "sots" / "site" / "build.py").read_text()
    books = re.sub(r"\{[^}]*\}", "7.5", re.search(r'log\(f"(books\' time: [^"]*)"', source)[1])
    assert bench.parse_worker_times(f"chapters done at 9.9 s\n{chapters}\n{books}\nrun: ...\n") == {
        "chapters": 12.2, "cells": 10.5, "books": 7.5}  # as printed: to a tenth, half to even
    assert bench.parse_worker_times("run: 0 chapters executed\n") == {}


def test_es_floor_is_the_cells_then_the_books_shared_by_the_cores_of_its_median_run(bench):
    def timed(seconds, cells):
        return bench.Run(seconds=seconds, peak_rss_mb=1.0, stdout="", chapter_seconds=cells + 40.0,
                         cell_seconds=cells, book_seconds=100.0)

    e = bench.Result("E", [timed(300.0, 400.0), timed(250.0, 360.0), timed(320.0, 500.0)], [], baseline_books=84)
    assert bench.e_floor(e, cores=2) == ("200 s for the chapters' cells alone (400 s of the kernels' time / 2); "
                                         "250 s with the books (100 s); the chapters took 440 s of the workers' time")
    assert bench.worker_times(e) == ("workers' time, summed (medians): chapters 440.0 s, 400.0 s of it in the kernels "
                                     "running their cells; books 100.0 s")
    assert bench.e_floor(bench.Result("E", [bench.Run(300.0, 1.0, "")], []), cores=2) is None
    rows = bench.targets({"E": e}, cores=2)
    assert rows[1] == ("E", "its floor: the chapters' own code, and the books, shared by the cores",
                       bench.e_floor(e, 2), "info")


# A clean build's output, each line at the second the benchmark read it.
BUILD_LOG = [
    (0.4, "release 2026.1, commit abc; editions 2024-25; 2 workers"),
    (0.9, "staged edition 2024-25 (...) for NHS Lancashire and South Cumbria ICB (QE1)"),
    (1.0, "staged 1 books in 0.9 s"),
    (5.0, "[1/17] 2023-24 QE1 funding_per_head 2.3 s"),
    (10.0, "chapters done at 9.9 s"),
    (12.0, "book 2024-25 QE1 built in 2.2 s, its PDF printed in 9.8 s"),
    (20.0, "books done at 19.9 s"),
    (20.5, "published /tmp/site/2024-25"),
    (20.6, "run: 17 chapters executed, 0 from the cache, 2 kernels started, 1 books built, 0 from the cache, "
           "in 20.5 s"),
]


def test_each_memory_sample_counts_in_the_stage_in_progress_when_it_was_taken(bench):
    samples = [(0.0, 100 * MB), (0.95, 300 * MB), (1.1, 200 * MB), (8.0, 900 * MB), (10.0, 500 * MB),
               (15.0, 700 * MB), (20.2, 400 * MB), (20.6, 50 * MB)]
    assert bench.stage_ends(BUILD_LOG) == [1.0, 10.0, 20.0]
    # A sample at the very second a stage's end line was read counts in the next stage.
    assert bench.stage_peaks(BUILD_LOG, samples) == {"plan": 300 * MB, "chapters": 900 * MB, "books": 700 * MB,
                                                     "publish": 400 * MB}


def test_a_build_with_nothing_to_do_is_all_plan_and_a_missing_end_line_extends_its_stage(bench):
    nothing = [(0.2, "nothing to build: the site already holds this build")]
    assert bench.stage_peaks(nothing, [(0.0, 30 * MB), (0.1, 36 * MB)]) == {"plan": 36 * MB}
    no_chapters_line = [line for line in BUILD_LOG if not line[1].startswith("chapters done")]
    samples = [(8.0, 900 * MB), (15.0, 700 * MB)]
    assert bench.stage_peaks(no_chapters_line, samples) == {"chapters": 900 * MB}
    assert bench.stage_at(25.0, [None, None, None]) == "plan"
    assert bench.stage_at(25.0, [1.0, None, 20.0]) == "publish"


def run(bench, seconds, peak=1000.0, stages=None, kernels=2, executed=17):
    return bench.Run(seconds=seconds, peak_rss_mb=peak, stdout="", stage_peak_rss_mb=stages or {}, executed=executed,
                     cached=0, kernels=kernels, books=1)


def results(bench, a_nopdf_peak=700.0):
    naive = [run(bench, 40.0, peak=550.0, stages={"plan": 100.0, "chapters": 550.0, "books": 400.0}, kernels=None,
                 executed=None)]
    stages = {"plan": 300.0, "chapters": 2500.0, "books": 900.0, "publish": 150.0}
    return {
        "A": bench.Result("A", [run(bench, 20.0, 2600.0, stages)], naive),
        "A-nopdf": bench.Result("A-nopdf", [run(bench, 16.0, a_nopdf_peak, stages), run(bench, 17.0, a_nopdf_peak,
                                                                                        {"plan": 320.0})], naive),
        "B": bench.Result("B", [run(bench, 0.5, 36.0, {"plan": 36.0}, kernels=0, executed=0)], naive),
        "C": bench.Result("C", [run(bench, 4.0)], naive),
        "C-nopdf": bench.Result("C-nopdf", [run(bench, 6.0)], naive),
        "E": bench.Result("E", [run(bench, 170.0)], naive, baseline_books=84),
    }


def test_the_targets_hold_the_pdf_free_rows_the_memory_target_and_e_in_seconds_on_two_cores(bench):
    rows = {(s, t): (reached, ok) for s, t, reached, ok in bench.targets(results(bench), cores=2)}
    assert rows[("A", "time beside naive (A prints the PDF, naive does not)")] == ("0.50 x naive", "info")
    assert rows[("A-nopdf", "<= 0.6 x naive, like for like (neither prints a PDF)")] == ("0.41 x naive", "yes")
    assert rows[("A-nopdf", "peak RSS <= 800 MB (MB = 10^6 bytes)")] == ("700 MB", "yes")
    assert rows[("B", "<= 5% of A and 0 kernels started")] == ("2.5% of A, kernels started 0", "yes")
    assert rows[("C", "<= 25% of A (both with the PDF)")] == ("20.0% of A", "yes")
    assert rows[("C-nopdf", "beside A-nopdf (neither prints a PDF)")] == ("36.4% of A-nopdf", "info")
    assert rows[("E", "<= 180 s on 2 cores")] == ("170 s on 2 cores", "yes")
    over = {s: ok for s, t, _, ok in bench.targets(results(bench, a_nopdf_peak=801.0), cores=4)
            if "RSS" in t or s == "E"}
    assert over == {"A-nopdf": "no", "E": "n/a (other cores)"}


def test_without_the_no_pdf_scenarios_their_rows_are_left_out_and_c_has_no_a_to_compare(bench):
    got = results(bench)
    rows = bench.targets({"C": got["C"], "C-nopdf": got["C-nopdf"]}, cores=2)
    assert rows == [("C", "<= 25% of A (both with the PDF)", "A not run", "n/a"),
                    ("C-nopdf", "beside A-nopdf (neither prints a PDF)", "A-nopdf not run", "info")]


def test_the_report_has_a_section_per_scenario_with_its_peak_memory_per_stage(bench, monkeypatch):
    monkeypatch.setattr(bench, "git", lambda *args: "abc1234")
    clone = bench.Bench(root=Path("/nowhere"), python=Path(sys.executable), interface="new", edition="2024-25",
                        editions=["2023-24", "2024-25"], icb="QE1", icb_count=42)
    text = bench.report(results(bench), clone, repeat=1)
    assert "## A-nopdf: clean build (empty cache), --no-pdf" in text
    assert "| sots build --no-pdf (2 runs) | 16.5 | 16.0 | 17.0 | 700, 700, 700 |" in text
    assert "| peak RSS MB by stage (median) | plan | chapters | books | publish |" in text
    # A-nopdf's plan: the median of both runs; its later stages: of the one run that reached them.
    assert "| sots build --no-pdf | 310 | 2500 | 900 | 150 |" in text
    assert "| naive baseline (one book) | 100 | 550 | 400 | - |" in text
    assert "| sots build | 36 | - | - | - |" in text  # B stopped before staging
    assert "- candidate / A-nopdf (medians): 36.4%" in text
    assert "- candidate / A (medians): 82.5%" in text  # A-nopdf beside A: what the PDF costs
    assert "MB of 10^6 bytes" in text
    assert "| A-nopdf | peak RSS <= 800 MB (MB = 10^6 bytes) | 700 MB | yes |" in text


def test_scenario_names_are_read_in_any_case_and_run_in_their_order(bench):
    assert bench.parse_args(["--scenarios", "c-nopdf,a,A-NOPDF"]).scenarios == ["C-nopdf", "A", "A-nopdf"]
    with pytest.raises(SystemExit):
        bench.parse_args(["--scenarios", "A,F"])


def test_the_no_pdf_scenarios_build_with_no_pdf_unless_the_commit_has_no_such_option(bench):
    clone = bench.Bench(root=Path("/clone"), python=Path("python"), interface="new", edition="2024-25",
                        editions=["2024-25"], icb="QE1", icb_count=42)
    assert "--no-pdf" in clone.build_command(pdf=False)
    assert "--no-pdf" not in clone.build_command()
    clone.no_pdf_option = False
    assert "--no-pdf" not in clone.build_command(pdf=False)
    assert [bench.kind(s) for s in bench.SCENARIOS] == ["A", "A", "B", "C", "C", "D", "E"]


def test_d_holds_when_every_chapter_executed_read_the_changed_table_or_is_a_claims_page(bench):
    """The chapters executed are read from the build's progress lines; a chapter taken from the cache is not one."""
    out = ("[1/17] 2023-24 QE1 funding_per_head from the cache\n[8/17] 2023-24 QE1 budget 2.9 s\n"
           "[9/17] 2024-25 QE1 acute_spend 0.7 s\n[17/17] 2024-25 QE1 claims 0.2 s\n")
    assert bench.executed_labels(out) == ["2023-24 QE1 budget", "2024-25 QE1 acute_spend", "2024-25 QE1 claims"]
    readers = ["2023-24 QE1 budget", "2024-25 QE1 acute_spend"]
    assert bench.only_dependent(bench.executed_labels(out), readers)
    assert not bench.only_dependent(bench.executed_labels(out), readers[:1])
    naive = [run(bench, 40.0)]
    d = bench.Result("D", [bench.Run(seconds=5.0, peak_rss_mb=900.0, stdout=out, executed=3)], naive,
                     dependent=readers)
    assert bench.targets({"D": d}, cores=2) == [
        ("D", "only the chapters that read the table (2), and claims pages",
         "3 chapters executed: 2023-24 QE1 budget, 2024-25 QE1 acute_spend, 2024-25 QE1 claims", "yes")]
