"""How the tests share two workers (pytest-xdist's ``-n 2``, as `make test` runs them): which modules start the run
(:func:`start_order`), which tests go to a worker together (:func:`work_unit`), and folders made once per run for
every worker (:func:`once_per_run`). The hooks that use them are in tests/conftest.py."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

# Modules that share a costly session fixture no other module uses, so run on the same worker: the browser's crawl
# of the session's site (tests/e2e/conftest.py, about a minute).
TOGETHER = {f"tests/e2e/{name}.py": "crawl" for name in ("test_browser", "test_finance_pages", "test_site")}


# The modules run first, in this order, each first to ask for one of the session's sites (tests/conftest.py) on a worker
# of its own: each worker starts by building one site, the two at once, rather than one waiting idle for the other's
# build (the crawl waited 45 s for the default site in a run from an empty cache). Then the crawl, which needs the
# default site. Every other module follows, in the order it is collected: the slow end-to-end ones first, the many
# small unit ones last, to fill the end.
FIRST = ("tests/e2e/test_national_build.py",  # the other ICBs' site
         "tests/e2e/test_chart_data.py",  # the default ICB's site
         "tests/e2e/test_browser.py")  # the crawl's unit (TOGETHER)


def module_of(nodeid: str) -> str:
    """A test's module, as its id names it (``tests/e2e/test_pdf.py`` of ``tests/e2e/test_pdf.py::test_x[a]``)."""
    return nodeid.split("::")[0]


def start_order(nodeid: str) -> int:
    """Where a test's module comes in the run: its place in :data:`FIRST`, else after them."""
    module = module_of(nodeid)
    return FIRST.index(module) if module in FIRST else len(FIRST)


def work_unit(nodeid: str) -> str:
    """What a test is sent to a worker with: its module, or its module's name in :data:`TOGETHER`."""
    module = module_of(nodeid)
    return TOGETHER.get(module, module)


def once_per_run(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder ``make`` fills, made once per test run however many workers ask: the first worker to ask makes it,
    under a lock, in the folder the run's workers share; the others wait for it and use it. If ``make`` failed, each
    worker that asks fails with its message. Without workers, a temporary folder of the session's."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = factory.mktemp(name)
        make(folder)
        return folder
    shared = factory.getbasetemp().parent  # each worker's temporary folder is one of the run's
    folder, done, failed = shared / name, shared / f"{name}.done", shared / f"{name}.failed"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the worker dies
        if failed.is_file():
            pytest.fail(f"made by another worker, and failed: {failed.read_text()}")
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)  # half made by a worker that died making it
            folder.mkdir()
            try:
                make(folder)
            except Exception as err:
                failed.write_text(str(err))
                raise
            done.touch()
    return folder
