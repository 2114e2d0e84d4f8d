"""The Dask executor, against a two-worker cluster of real processes started here: every result with its index, a
task's error re-raised, a task that starts a subprocess and a Jupyter kernel, as the build's tasks do, and a whole
`sots build --dask --no-cache` on it, which publishes the bytes the session's local build did."""

import subprocess
import sys

import distributed
import pytest

from helpers import CURRENT, run_counts, snapshot, sots
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


def test_a_cold_build_on_the_cluster_publishes_what_the_sessions_local_build_did(executor, built_site, tmp_path):
    """`sots build --dask ADDRESS --no-cache` of the current edition runs every chapter and the book on the cluster's
    workers and prints the book twice (no page numbers to guess from). Every file it publishes, the PDFs included, is
    byte for byte what the session's build of the same checkout published locally (``built_site``: the same commit
    and build time, through the project's cache, so perhaps printed once with its page numbers guessed; a book
    printed either way is the same PDF, tests/unit/test_printbook.py)."""
    done = sots("build", "--edition", CURRENT, "--out", str(tmp_path / "cold"), "--no-cache", "--dask",
                executor.address)
    assert done.returncode == 0, done.stdout + done.stderr
    executed, from_cache, _, built, _ = run_counts(done.stdout)
    assert "; 2 workers; no cache" in done.stdout and executed > 0 and from_cache == 0 and built == 1

    local, cold = snapshot(built_site / CURRENT), snapshot(tmp_path / "cold" / CURRENT)
    assert sorted(local) == sorted(cold)
    assert [path for path in local if local[path] != cold[path]] == []
    assert any(path.endswith(".pdf") for path in local)
