"""The Dask executor, against a two-worker cluster of real processes started here: every result with its index, a
task's error re-raised, a task that starts a subprocess and a Jupyter kernel, as the build's tasks do, and a whole
`sots build --dask --no-cache` on it, which publishes the bytes a local build through a warm cache does."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import distributed
import pytest

from helpers import CACHE, CURRENT, ROOT, copy_project, run_counts, snapshot, sots_exe
from sots.site import execcache, folders
from sots.site.executors import DaskExecutor

pytestmark = pytest.mark.integration

# The tasks are module-level functions, as the build's are: the scheduler and the workers import them by name.


def square(x: int) -> int:
    return x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"task {x} failed")
    return x


def run_child(x: int) -> str:
    """What a Python subprocess started inside the task prints."""
    done = subprocess.run([sys.executable, "-c", f"print({x} + 1)"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def run_in_kernel(x: int) -> str:
    """What a one-cell notebook prints, executed in a Jupyter kernel started by the task (as papermill does)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"print({x} * 2)")])
    NotebookClient(nb, kernel_name="python3", timeout=60,
                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"]).execute()
    return nb.cells[0].outputs[0]["text"].strip()


@pytest.fixture(scope="module")
def executor():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        ex = DaskExecutor(cluster.scheduler_address)
        try:
            yield ex
        finally:
            ex.close()


def test_the_workers_are_the_clusters_threads(executor):
    assert executor.workers == 2


def test_every_result_comes_back_with_its_index(executor):
    assert sorted(executor.map(square, [3, 1, 4, 1, 5])) == [(0, 9), (1, 1), (2, 16), (3, 1), (4, 25)]


def test_a_tasks_exception_is_re_raised(executor):
    with pytest.raises(ValueError, match="task 3 failed"):
        list(executor.map(fail_on_three, range(6)))


def test_a_task_can_start_a_subprocess_and_a_kernel(executor):
    assert sorted(executor.map(run_child, [1, 2])) == [(0, "2"), (1, "3")]
    assert sorted(executor.map(run_in_kernel, [1, 2])) == [(0, "2"), (1, "4")]


def build(root: Path, *args: str) -> tuple[str, tuple[int, ...]]:
    """`sots build ARGS` of the current edition from the project copy at ``root``, dated as the session's builds of
    the project (a copy is no checkout, so would be dated "unknown"): its output and the counts of its run: line."""
    when = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True,
                          check=True).stdout.strip()
    done = subprocess.run([sots_exe(), "build", "--edition", CURRENT, *args], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "SOURCE_DATE_EPOCH": when})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, run_counts(done.stdout)


def linked_copy(cache: Path, to: Path) -> Path:
    """A copy of ``cache`` at ``to`` whose files are hard links to the cache's (copies across file systems), for one
    build's own: the cache is shared with the other test worker's builds, and this test counts what its build adds. A
    build never changes a cache file in place (it writes each whole and renames it into place), so the cache is left
    as it was. What another build is writing meanwhile (its scratch files and folders, named with a dot) is left out."""

    def link(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    def writing(folder: str, names: list[str]) -> list[str]:
        return [name for name in names if name.startswith(".") and name != folders.CACHE.marker]

    shutil.copytree(cache, to, copy_function=link, ignore=writing)
    return to


def printed(cache: Path) -> set[str]:
    """The printings the cache holds."""
    folder = cache / execcache.PRINTS
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_a_cold_build_on_the_cluster_publishes_what_a_warm_local_build_does_after_a_prose_edit(executor, built_site,
                                                                                               tmp_path):
    """In a copy of the project with a sentence added to the front page, so that no cache holds the book:

    - a local build through (a copy of) the project's warm cache takes every chapter from it, builds the book and
      prints its PDF once (the contents' page numbers guessed from the session's printing of the same book, which
      ``built_site`` made: sots.site.printbook.print_book), taking the unchanged summary PDF from the cache;
    - `sots build --dask ADDRESS --no-cache` runs every chapter and the book on the cluster's workers and prints the
      book twice.

    Every file they publish, the PDFs included, is byte for byte the same.
    """
    project = copy_project(tmp_path / "project")
    with open(project / "book" / "intro.md", "a") as prose:
        prose.write(f"\nA sentence added to the front page, {uuid.uuid4().hex}.\n")
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    cache = linked_copy(CACHE, tmp_path / "cache")  # its own, so that the printings it gains are this build's
    before = printed(cache)
    _, (executed, _, kernels, built, _) = build(project, "--out", str(warm), "--cache", str(cache))
    assert (executed, kernels, built) == (0, 0, 1)
    assert len(printed(cache) - before) == 1  # the book's one printing; the summary came from the cache

    said, (executed, from_cache, _, built, _) = build(project, "--out", str(cold), "--no-cache", "--dask",
                                                      executor.address)
    assert "; 2 workers; no cache" in said and executed > 0 and from_cache == 0 and built == 1

    warm_files, cold_files = snapshot(warm / CURRENT), snapshot(cold / CURRENT)
    assert sorted(warm_files) == sorted(cold_files)
    assert [path for path in warm_files if warm_files[path] != cold_files[path]] == []
    assert any(path.endswith(".pdf") for path in warm_files)
