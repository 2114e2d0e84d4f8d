"""Where the build's independent tasks run: local processes, or an existing Dask cluster.

The build's tasks (executing one chapter notebook of one book, building one book) are independent of one another, so
they can run side by side. :func:`make` picks the executor from the command line: :class:`LocalExecutor` runs them
in this machine's processes (``-j N``), :class:`DaskExecutor` sends them to a Dask cluster someone already runs
(``--dask ADDRESS``). Both give the build one interface, :class:`Executor`, so the build does not know which it has.

The tasks start Jupyter kernels, so they run in real processes that may start subprocesses: the process pool's
workers, or the processes of Dask's workers (a nanny-managed worker process can start subprocesses; it is only
multiprocessing's children that a daemonic process may not have). The functions given to ``map`` are module-level
functions (pickled by reference, so the workers must be able to import them) taking a picklable item.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Protocol, TypeVar

from sots.errors import BuildError, InputError

if TYPE_CHECKING:  # imported for real only inside DaskExecutor, so that `import sots.site.executors` stays cheap
    import distributed

T = TypeVar("T")
R = TypeVar("R")

# How long to wait for a Dask scheduler to answer (and for it to have a worker) before saying it cannot be reached:
# long enough for a scheduler across a network, short enough that a mistyped address fails fast.
CONNECT_TIMEOUT_S = 10.0


class Executor(Protocol):
    """Runs a function on many items side by side and hands back each result as it comes."""

    workers: int  # how many tasks can run at once

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Run fn on every item; yield (index of the item, result) as each finishes, in any order.
        An exception raised by fn is re-raised here (the first one), after cancelling what has not started."""
        ...

    def close(self) -> None: ...

    def release(self) -> None:
        """Let go of what earlier tasks left warm (a worker's kernels, hundreds of MB each), keeping the executor
        usable: the build calls it once the chapters are done, before the books."""
        ...

    def abort(self) -> None:
        """Stop at once (the build was interrupted): cancel every task and stop the running ones if it can."""
        ...


def _worker_signals() -> None:
    """Set up a pool worker's signals.

    Ctrl-C sends SIGINT to the terminal's whole process group, workers included; the main process alone handles it
    (it stops the workers, :meth:`LocalExecutor.abort`), so a worker ignores it rather than print a traceback of its
    own. On SIGTERM, which abort sends, the worker kills its kernels and exits at once (:func:`_exit_now`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_now)


def _exit_now(signum: int, frame: object) -> None:
    """End a worker part-way through a task: its kernels killed (none is left running), then the process, without
    unwinding the task (its event loop would print the interruption of each coroutine as an error)."""
    kernels = sys.modules.get("sots.site.kernels")  # imported by the first chapter a worker runs; no kernel before it
    # A signal may land while the module is still being imported (in sys.modules, kill_all not yet defined): then it
    # has started no kernel, and there is nothing to kill.
    kill_all = getattr(kernels, "kill_all", None)
    if kill_all is not None:
        kill_all()
    os._exit(128 + signum)


class LocalExecutor:
    """Runs tasks in a pool of this machine's processes, or in this process, in order, when ``workers`` is 1.

    One worker needs no pool, so a single-job build is the simplest to debug (a breakpoint in a task is hit, a
    traceback is the task's own). The pool is made on the first ``map``, so making an executor costs nothing.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise InputError(f"-j: expected a whole number of parallel jobs, 1 or more, got {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver (spawn where there is none), never fork: forking a process that has threads (the caller's,
            # or a kernel client's) can copy a lock in its held state into the child.
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context(method),
                                             initializer=_worker_signals)
        return self._pool

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Run fn on every item; yield (index of the item, result) as each finishes, in any order.

        An exception raised by fn is re-raised here (the first one), after cancelling the tasks that have not started
        (the running ones finish, as a process pool cannot stop them). A worker process that dies (killed, out of
        memory) is a BuildError.
        """
        if self.workers == 1:
            for i, item in enumerate(items):
                yield i, fn(item)
            return
        pool = self._get_pool()
        try:
            pending: dict[Future[R], int] = {pool.submit(fn, item): i for i, item in enumerate(items)}
        except BrokenProcessPool as err:
            self._discard_broken_pool()
            raise BuildError(f"a local worker process died: {err}") from err
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    i = pending.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool as err:
                        self._discard_broken_pool()
                        raise BuildError(f"a local worker process died while running task {i}: {err}") from err
                    yield i, result
        finally:
            # On an error, or when the caller stops reading early, nothing more is started.
            for future in pending:
                future.cancel()

    def _discard_broken_pool(self) -> None:
        # A broken pool refuses every later task; the next map makes a new one.
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        """Stop the worker processes, cancelling any task that has not started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def release(self) -> None:
        """Stop the worker processes, and with them their warm kernels (each kernel ends with its parent); the next
        ``map`` starts new ones. With one worker the kernels are this process's own, stopped here."""
        self.close()
        kernels = sys.modules.get("sots.site.kernels")  # imported only if this process ran a chapter itself
        if kernels is not None:
            kernels.stop_warm()

    def abort(self) -> None:
        """Stop the worker processes now, running tasks and all (each kills its kernels as it exits)."""
        if self._pool is not None:
            # The pool has no public way to stop a running task; its processes are the only handle on them.
            processes = list((self._pool._processes or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=60)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Sends tasks to an existing Dask cluster (dask.distributed) through a client of its scheduler.

    The cluster is someone else's: this connects to it and, on close, disconnects, leaving it running. Its scheduler
    and workers must have the packages this machine has, sots among them: the scheduler unpickles the tasks, and
    the workers run them, importing the functions by name (a scheduler without sots fails every task with
    "Error during deserialization of the task graph").
    """

    def __init__(self, address: str, *, timeout: float | None = None) -> None:
        import distributed  # here, not at the top: it takes a second to import and only --dask needs it

        timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
        expected = "expected the address of a running Dask scheduler, such as tcp://host:8786"
        try:
            # Try the address with a bare connection first: a Client that fails to connect is left half-made, and at
            # exit its __del__ prints a traceback per failed attempt ("Exception ignored in: Client.__del__ ...
            # TimeoutError") under the one-line error.
            # In a thread of its own: the caller may already run an event loop (a notebook, pytest with Playwright).
            with ThreadPoolExecutor(max_workers=1) as probe:
                probe.submit(asyncio.run, _probe(address, timeout)).result()
            # set_as_default=False: this client is the build's own, not one that other dask code in the process
            # (a notebook's, say) should pick up.
            self._client: distributed.Client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            reason = " ".join(str(err).split()) or type(err).__name__
            raise InputError(f"--dask {address}: cannot connect ({reason}); {expected}") from None
        try:
            # A scheduler with no worker would hold every task for ever; wait a little for one to join (an adaptive
            # cluster may be starting one), then say so.
            self._client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            self._client.close()
            raise InputError(f"--dask {address}: the scheduler has no workers; start some with "
                             f"`dask worker {address}`") from None
        self.address = address
        self.workers = sum(self._client.nthreads().values())

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Run fn on every item; yield (index of the item, result) as each finishes, in any order.

        An exception raised by fn is re-raised here (the first one, with its traceback from the worker), after
        cancelling the tasks that have not finished (a running one finishes on its worker; its result is dropped).
        A task whose worker died again and again (Dask's KilledWorker), or that the cluster cancelled (its scheduler
        went away), is a BuildError.
        """
        import distributed
        from distributed.client import FutureCancelledError

        if not items:
            return
        # pure=False: each call is a new task, even with an item equal to an earlier one (a rebuild must rerun).
        futures = self._client.map(fn, list(items), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            # loop=: as_completed otherwise looks for a default client, and this one is not made the default.
            for future in distributed.as_completed(futures, loop=self._client.loop):
                try:
                    result = future.result()
                except distributed.KilledWorker as err:
                    raise BuildError(f"Dask task {index[future.key]} killed its worker: {err}") from err
                except FutureCancelledError as err:  # not by us: the scheduler lost the task, or this client
                    raise BuildError(f"Dask task {index[future.key]} was cancelled by the cluster "
                                     f"(reason: {err.reason}); is the scheduler at {self.address} still up?") from err
                yield index[future.key], result
                future.release()  # the result is the caller's now; the cluster need not keep it
        finally:
            # On an error, or when the caller stops reading early, nothing more is started.
            unfinished = [f for f in futures if not f.done()]
            if unfinished:
                self._client.cancel(unfinished)

    def close(self) -> None:
        """Disconnect from the scheduler; the cluster keeps running."""
        self._client.close()

    def release(self) -> None:
        """Nothing: the cluster's workers, and whatever they keep, are the cluster's."""

    def abort(self) -> None:
        """Disconnect: the unfinished tasks were cancelled as map stopped; a running one finishes on its worker."""
        self.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def in_process(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
    """Run fn on each item here, in order, yielding (index, result) as :meth:`Executor.map` does: for work that needs
    no pool, such as a single book (a pool would cost more to start than the book takes)."""
    for i, item in enumerate(items):
        yield i, fn(item)


async def _probe(address: str, timeout: float) -> None:
    """Open and close one connection to ``address``; OSError if nothing answers there within ``timeout`` seconds,
    ValueError if it is not an address."""
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout)
    await comm.close()


def make(jobs: int | None, dask_address: str | None) -> Executor:
    """The executor the command line asks for: the Dask cluster at ``dask_address`` if given (``jobs`` is then not
    used: the cluster's workers set how many tasks run at once), else ``jobs`` local processes (None: one per CPU).

    InputError, on one line, if ``jobs`` is below 1 or the cluster cannot be reached within CONNECT_TIMEOUT_S.
    """
    if jobs is not None and jobs < 1:
        raise InputError(f"-j: expected a whole number of parallel jobs, 1 or more, got {jobs}")
    if dask_address is not None:
        return DaskExecutor(dask_address)
    return LocalExecutor(jobs if jobs is not None else os.cpu_count() or 1)


__all__ = ["CONNECT_TIMEOUT_S", "DaskExecutor", "Executor", "LocalExecutor", "make"]
