"""Shared fixtures, the rule that every test is marked unit, integration or e2e, and how the tests share two workers.

`make test` runs the suite on two workers (pytest-xdist, ``-n 2 --dist loadfile``). Each test module runs whole on one
worker, so its module fixtures (a build, a cluster) are made once; the modules of :data:`workers.TOGETHER` run on one
worker together (:func:`pytest_xdist_make_scheduler`). The session's sites (``built_site``, ``another_icb_site``) are
built once per run, by the first worker to need one, and shared (:func:`workers.once_per_run`); the modules of
:data:`workers.FIRST` start the run, so that each worker builds one of them at once. A plain ``pytest`` runs
everything in one process, as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import ANOTHER_ICB, CURRENT, OTHER_ICBS, RAW, sots
from workers import once_per_run, start_order, work_unit

KINDS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [item.nodeid for item in items if not any(item.get_closest_marker(k) for k in KINDS)]
    if unmarked:
        raise pytest.UsageError(f"tests must be marked one of {KINDS}; unmarked: {', '.join(unmarked)}")
    items.sort(key=lambda item: start_order(item.nodeid))  # stable: the rest keep the order they were collected in


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's, which a plain pytest does not load
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With ``--dist loadfile``, pytest-xdist's scheduling by module, with the modules of :data:`workers.TOGETHER`
    as one. (Its ``xdist_group`` marks would do this, but pytest-xdist 3.8 marks a test by rewriting a field pytest 9
    no longer reads, and the marks are then silently ignored.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    if not (RAW / "README.md").is_file():
        pytest.fail(f"upstream raw data not found at {RAW} (set SOTS_RAW)")
    return RAW


def build_site(folder: Path, *args: str) -> None:
    done = sots("build", *args, "--out", str(folder / "site"))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sots build --all-editions` for the default ICB, into a temporary site folder (built once per run)."""
    return once_per_run(tmp_path_factory, "site", lambda folder: build_site(folder, "--all-editions")) / "site"


@pytest.fixture(scope="session")
def another_icb_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The current edition built for South West London (QWE, `--icb`), with two more ICBs' books and the national page
    of the three (`--also-icb`, :data:`helpers.OTHER_ICBS`), into a temporary site folder: the other-ICB tests read its
    own book, the national build's tests the rest. One build serves both: each took a build of its own."""
    others = [arg for code in OTHER_ICBS for arg in ("--also-icb", code)]
    return once_per_run(tmp_path_factory, "site-qwe",
                        lambda folder: build_site(folder, "--edition", CURRENT, "--icb", ANOTHER_ICB, *others)) / "site"
