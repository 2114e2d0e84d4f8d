"""Warm kernels: one Jupyter kernel per worker process, reused for every chapter that process runs.

A chapter's own computation takes a second or two; starting a kernel and importing pandas, Altair and the package
into it took about as long again, for every chapter of every book. A worker process therefore starts one kernel and
runs each notebook in it (papermill's engine :class:`WarmEngine`, registered as ``sots-warm``), after clearing the
namespace (:func:`clear`) and moving to the notebook's folder. What is kept between chapters is what a fresh kernel
would rebuild identically: imported modules and the package's caches keyed by content (validated tables,
:func:`sots.inputs.data.load`). The executed notebook's counters are renumbered from 1
(:func:`sots.site.pipeline.renumber`), so a chapter publishes the same bytes whichever kernel ran it
(``tests/integration/test_execution_cache.py``).

A kernel that has died (a chapter crashed it) is replaced before the next chapter. :data:`started` counts the kernels
this process has started, which a build reports ("kernels started").

Kernels talk over Unix sockets in a folder of their own, not over TCP: with TCP, each kernel's ports are picked free
and then bound by the kernel a moment later, and two workers starting kernels at once could both pick one port
(``ZMQError: Address already in use``, then "Kernel didn't respond", failing the build). A kernel that does not come
up is shut down at once, and every kernel when its process exits, so none outlives the build holding its output pipes
open. A worker stopped part-way (the build was interrupted) kills its kernels at once (:func:`kill_all`).
"""

from __future__ import annotations

import json
import multiprocessing.util
import os
import shutil
import signal
import tempfile
import threading

import papermill as pm
from jupyter_client.manager import KernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from sots import malloc

ENGINE = "sots-warm"
_count = threading.Lock()
# Silence the kernel's own log (not the notebook's output): the build reports every failure itself, so the first line
# a user sees is ours.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
KERNEL_NAME = "python3"
START_TIMEOUT_S = 60

started = 0  # kernels started by this process
# One kernel per thread: a Dask worker may run tasks in several threads, and a kernel runs one notebook at a time.
_local = threading.local()
_mine: list[KernelManager] = []  # every kernel this process started or is starting, for kill_all


def stop(kernel: tuple[KernelManager, object]) -> None:
    km, kc = kernel
    kc.stop_channels()
    if km.has_kernel:  # stopped once already when it died and was replaced; the exit's finalizer comes again
        km.shutdown_kernel(now=True)
    shutil.rmtree(os.path.dirname(km.ip), ignore_errors=True)  # its sockets' folder


def stop_warm() -> None:
    """Stop this thread's warm kernel now, if it has one (its next chapter would start another): for a build whose
    chapters ran in this process, once they are done, so the kernel's memory is not held through the books."""
    kernel = getattr(_local, "kernel", None)
    if kernel is not None:
        _local.kernel = None
        stop(kernel)  # the exit's finalizer finds it stopped


def kill_all() -> None:
    """Kill every kernel this process started and remove its sockets' folder, now.

    For a worker that must exit part-way through a chapter (:mod:`sots.site.executors`): a clean shutdown would need the
    event loop the interrupted chapter was running, and a kernel left behind would keep running, holding its output
    pipes open.
    """
    for km in list(_mine):
        process = getattr(km.provisioner, "process", None)  # no provisioner yet: not launched
        if process is not None and process.poll() is None:
            process.kill()
        shutil.rmtree(os.path.dirname(km.ip), ignore_errors=True)


def start(cwd: str) -> tuple[KernelManager, object]:
    """A new kernel, ready, on Unix sockets in a new folder; shut down (and the folder removed) if it is not ready in
    :data:`START_TIMEOUT_S`."""
    # The folder is made and the kernel recorded as one step: a worker told to stop (SIGTERM, :func:`kill_all`) in
    # between would leave the folder behind. The signals wait until both are done (in the thread Python handles them
    # in; elsewhere there is nothing to hold).
    held = {signal.SIGTERM, signal.SIGINT} if threading.current_thread() is threading.main_thread() else set()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        sockets = tempfile.mkdtemp(prefix="sots-kernel-")
        km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=os.path.join(sockets, "kernel"))
        _mine.append(km)  # before it is launched: a worker stopped while it starts kills it too
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
    kc = None
    try:
        km.start_kernel(cwd=cwd, extra_arguments=KERNEL_ARGS, env=malloc.child_environment())
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=START_TIMEOUT_S)
    except BaseException:
        if kc is not None:
            kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
        raise
    kc.allow_stdin = False
    return km, kc


def warm(cwd: str) -> tuple[KernelManager, object]:
    """This thread's kernel (started if there is none, or if it died), cleared and moved to ``cwd``."""
    global started
    kernel = getattr(_local, "kernel", None)
    if kernel is not None and not kernel[0].is_alive():
        _local.kernel = None
        stop(kernel)
        kernel = None
    if kernel is None:
        kernel = _local.kernel = start(cwd)
        with _count:
            started += 1
        # Run when the process exits, a pool's worker process included (which skips atexit handlers).
        multiprocessing.util.Finalize(None, stop, args=(kernel,), exitpriority=10)
    km, kc = kernel
    # Silent, so the notebook's own cells are the only ones it records. json.dumps gives a safe Python literal.
    reply = kc.execute_interactive(f"__import__('sots.site.kernels').site.kernels.clear(get_ipython(), "
                                   f"{json.dumps(cwd)})",
                                   silent=True, store_history=False, timeout=START_TIMEOUT_S)
    if reply["content"]["status"] != "ok":
        _local.kernel = None
        stop(kernel)  # a kernel that cannot be cleared is not reused
        return warm(cwd)
    return kernel


def clear(shell, cwd: str) -> None:
    """Run inside a warm kernel before each notebook: forget every name the last notebook defined (its variables,
    imports and outputs) and move to ``cwd``.

    What ``%reset -f`` clears of the namespace, without its garbage collection, which took a fifth of a second a
    chapter; modules stay imported, as they would in any one kernel.
    """
    shell.user_ns["_oh"].clear()
    for name in [n for n in shell.user_ns if n not in shell.user_ns_hidden]:
        del shell.user_ns[name]
    malloc.trim()  # what the last notebook's frames and charts held, freed just now, goes back to the system
    os.chdir(cwd)


class WarmEngine(NBClientEngine):
    """papermill's nbclient engine, run in this thread's warm kernel instead of a new one per notebook."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=START_TIMEOUT_S, execution_timeout=None, **kwargs):
        # The notebook's folder comes as an engine argument, not as papermill's cwd=, which would move the whole
        # process (every thread of a Dask worker) there.
        km, kc = warm(kwargs["kernel_cwd"])
        client = PapermillNotebookClient(
            nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
            log=pm.log.logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
        )
        client.kc = kc  # nbclient then neither starts a kernel nor closes this one when the notebook ends
        return client.execute()


papermill_engines.register(ENGINE, WarmEngine)
