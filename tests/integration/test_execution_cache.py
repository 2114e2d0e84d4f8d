"""The execution cache in real builds: a second build starts no kernel and publishes the same bytes, and a changed
table re-executes exactly the chapters that read it (and the claims page, which reads their results). The first
build is the session's (`built_site`), which fills the project's cache as `make book` does."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path

import pytest

from helpers import (
    CACHE,
    CURRENT,
    DATA,
    REPORT_EDITION,
    chapter_pages,
    edition_entry,
    rehash,
    run_counts,
    snapshot,
    sots,
)
from sots.inputs import data, editions

pytestmark = pytest.mark.integration

EXECUTED = re.compile(r"\[\d+/\d+\] (\S+) (\S+) (\S+) (\d+\.\d) s")  # edition, ICB, chapter, seconds
# The executed chapters' summed seconds in the workers, and of those in the kernels (sots.site.execution.Stats).
TIMES = re.compile(r"^chapters' time: ([\d.]+) s in the workers, ([\d.]+) s of it in the kernels running their cells$",
                   re.MULTILINE)


def build(out: Path, cache: Path, data_dir: Path = DATA, *more: str) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Build the current edition; return the run's counts and the chapters it executed (not taken from the cache), as
    (edition, chapter): a later edition's build runs the report edition's chapters too.

    When it executed any, the time it says they took in the workers is the sum of their own lines' times, and more than
    it says they took in the kernels, which is more than nothing."""
    done = sots("build", "--edition", CURRENT, "--out", str(out), "--cache", str(cache), "--data", str(data_dir), *more)
    assert done.returncode == 0, done.stdout + done.stderr
    executed, cached, kernels, books, books_cached = run_counts(done.stdout)
    counts = {"executed": executed, "cached": cached, "kernels": kernels, "books": books, "books_cached": books_cached}
    times = TIMES.findall(done.stdout)
    if executed:
        (workers, in_kernels), = times
        each = sum(float(m.group(4)) for m in EXECUTED.finditer(done.stdout))
        assert float(workers) == pytest.approx(each, abs=0.05 * executed + 0.1), done.stdout  # each line is rounded
        assert float(workers) > float(in_kernels) > 0, done.stdout
    else:
        assert times == [], done.stdout
    return counts, {(m.group(1), m.group(3)) for m in EXECUTED.finditer(done.stdout)}


def chapters_reading(site: Path, table: str, edition: str = CURRENT) -> set[str]:
    """The chapters whose reads, as the edition's manifest records them, include ``table``."""
    chapters = json.loads((site / edition / "manifest.json").read_text())["chapters"]
    return {chapter for chapter, tables in chapters.items() if table in tables}


def test_a_second_build_starts_no_kernel_and_a_changed_table_reexecutes_exactly_its_readers(built_site, tmp_path):
    """After the session's build (`built_site`, through the project's cache), a build of the current edition starts no
    kernel, builds no book and publishes the same bytes; then a changed table runs exactly its readers."""
    cache = CACHE
    chapters = len(chapter_pages())
    # A later edition runs the report edition's chapters too (all but its claims page), for the report's verdicts.
    report = 0 if CURRENT == REPORT_EDITION else chapters - 1
    second, ran = build(tmp_path / "second", cache)
    assert second == {"executed": 0, "cached": chapters + report, "kernels": 0, "books": 0, "books_cached": 1}, second
    assert snapshot(tmp_path / "second" / CURRENT) == snapshot(built_site / CURRENT)

    # One table changed in a row the current edition reads: its readers run again, and the claims page, whose
    # inputs are the chapters' results; and the report edition's readers, if that row is in its window too. The
    # report's figures do not move, so the current edition's other chapters, which quote them, do not run again.
    table = "unit_costs"
    expected = chapters_reading(built_site, table)
    assert expected and len(expected) < chapters - 1, f"the test needs a table only some chapters read: {expected}"
    changed = tmp_path / "data"
    shutil.copytree(DATA, changed)
    path = changed / data.TABLES[table].filename
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    year = edition_entry(CURRENT).inputs["unit_cost_year"]  # a row of the edition's own year
    n = next(i for i, line in enumerate(lines[1:], 1) if line.split(",")[header.index("year")] == year)
    cells = lines[n].split(",")
    # A value no build has seen (the project's cache outlives test runs), so no entry can already hold it.
    cells[header.index("unit_cost_gbp")] = str(float(cells[header.index("unit_cost_gbp")]) + 1 + uuid.uuid4().int % 997)
    lines[n] = ",".join(cells)
    path.write_text("\n".join(lines))
    rehash(changed)
    third, ran = build(tmp_path / "third", cache, changed, "--no-pdf")  # counts only: a draft build will do
    report_readers = set()
    if report and year in editions.window(table, edition_entry(REPORT_EDITION).inputs, data.table_sources(DATA)):
        report_readers = {(REPORT_EDITION, c) for c in chapters_reading(built_site, table, REPORT_EDITION)}
    assert ran == {(CURRENT, c) for c in expected | {"claims"}} | report_readers, (ran, expected)
    assert third["executed"] == len(ran) and third["cached"] == chapters + report - len(ran) and third["books"] == 1
