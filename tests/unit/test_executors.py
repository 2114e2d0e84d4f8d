"""The local executor runs every task and hands back each result with its item's index, re-raises a task's error,
lets a task start a subprocess (as a notebook's kernel is); make() refuses a bad -j or an unreachable Dask address on
one line."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sots.errors import InputError
from sots.site import executors
from sots.site.executors import LocalExecutor

pytestmark = pytest.mark.unit

# The tasks are module-level functions, as the build's are: a worker process imports them by name.


def square(x: int) -> int:
    return x * x


def where(x: int) -> tuple[int, int]:
    """The item and the id of the process that ran it."""
    return x, os.getpid()


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"task {x} failed")
    return x


def fail_first_then_touch(item: tuple[Path, int]) -> int:
    """Item 0 fails at once; every other item waits a little, then leaves a file saying it ran."""
    folder, x = item
    if x == 0:
        raise ValueError("the first task failed")
    time.sleep(0.2)
    (folder / str(x)).touch()
    return x


def run_child(x: int) -> str:
    """What a Python subprocess started inside the task prints: a worker must be able to start one, as a kernel is."""
    done = subprocess.run([sys.executable, "-c", f"print({x} + 1)"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize("workers", [1, 2])
def test_every_result_comes_back_with_its_index(workers):
    with LocalExecutor(workers) as ex:
        got = list(ex.map(square, [3, 1, 4, 1, 5]))
    assert sorted(got) == [(0, 9), (1, 1), (2, 16), (3, 1), (4, 25)]


def test_one_worker_runs_in_this_process_in_order_and_two_in_others():
    with LocalExecutor(1) as ex:
        assert list(ex.map(where, [0, 1, 2])) == [(0, (0, os.getpid())), (1, (1, os.getpid())), (2, (2, os.getpid()))]
        assert ex._pool is None
    with LocalExecutor(2) as ex:
        pids = {pid for _, (_, pid) in ex.map(where, range(4))}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_nothing_is_run_for_no_items():
    with LocalExecutor(2) as ex:
        assert list(ex.map(square, [])) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_a_tasks_exception_is_re_raised(workers):
    with LocalExecutor(workers) as ex, pytest.raises(ValueError, match="task 3 failed"):
        list(ex.map(fail_on_three, range(6)))


def test_after_a_failure_the_tasks_not_started_are_cancelled(tmp_path):
    items = [(tmp_path, x) for x in range(30)]
    with LocalExecutor(2) as ex, pytest.raises(ValueError, match="the first task failed"):
        list(ex.map(fail_first_then_touch, items))
    # A few had started (the running one, and those the pool had already queued), not the other 20-odd.
    assert len(list(tmp_path.iterdir())) < 10


def test_the_executor_can_be_used_again_after_a_failure():
    with LocalExecutor(2) as ex:
        with pytest.raises(ValueError):
            list(ex.map(fail_on_three, range(6)))
        assert sorted(ex.map(square, [2, 3])) == [(0, 4), (1, 9)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_task_can_start_a_subprocess(workers):
    with LocalExecutor(workers) as ex:
        assert sorted(ex.map(run_child, [1, 2, 3])) == [(0, "2"), (1, "3"), (2, "4")]


def test_make_gives_local_processes_one_per_cpu_unless_told():
    assert isinstance(executors.make(None, None), LocalExecutor)
    assert executors.make(None, None).workers == (os.cpu_count() or 1)
    assert executors.make(3, None).workers == 3


@pytest.mark.parametrize("jobs", [0, -2])
def test_make_refuses_fewer_than_one_job(jobs):
    with pytest.raises(InputError) as err:
        executors.make(jobs, None)
    assert str(err.value) == f"-j: expected a whole number of parallel jobs, 1 or more, got {jobs}"


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-such-host.invalid:8786", "a:b:c"])
def test_make_refuses_an_unreachable_dask_address_on_one_line(address, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    start = time.monotonic()
    with pytest.raises(InputError) as err:
        executors.make(None, address)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"--dask {address}: cannot connect")
    assert "expected the address of a running Dask scheduler" in message
    assert time.monotonic() - start < 5


def test_sigterm_while_the_kernels_module_is_still_importing_exits_without_a_traceback(monkeypatch):
    """A worker stopped while it imports sots.site.kernels (in sys.modules, kill_all not yet defined) has no kernel to
    kill: it exits with SIGTERM's status, and prints nothing."""
    import types

    half = types.ModuleType("sots.site.kernels")  # as a module is while its body runs
    monkeypatch.setitem(sys.modules, "sots.site.kernels", half)
    exits = []
    monkeypatch.setattr(executors.os, "_exit", exits.append)
    executors._exit_now(signal.SIGTERM, None)
    assert exits == [128 + signal.SIGTERM]
