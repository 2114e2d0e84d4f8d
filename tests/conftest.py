"""Shared fixtures, and the rule that every test is marked unit, integration or e2e."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import ANOTHER_ICB, CURRENT, OTHER_ICBS, RAW, sots

KINDS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [item.nodeid for item in items if not any(item.get_closest_marker(k) for k in KINDS)]
    if unmarked:
        raise pytest.UsageError(f"tests must be marked one of {KINDS}; unmarked: {', '.join(unmarked)}")


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    if not (RAW / "README.md").is_file():
        pytest.fail(f"upstream raw data not found at {RAW} (set SOTS_RAW)")
    return RAW


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sots build --all-editions` for the default ICB, into a temporary site folder (built once per session)."""
    site = tmp_path_factory.mktemp("site") / "site"
    done = sots("build", "--all-editions", "--out", str(site))
    assert done.returncode == 0, done.stdout + done.stderr
    return site


@pytest.fixture(scope="session")
def another_icb_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The current edition built for South West London (QWE, `--icb`), with two more ICBs' books and the national page
    of the three (`--also-icb`, :data:`helpers.OTHER_ICBS`), into a temporary site folder: the other-ICB tests read its
    own book, the national build's tests the rest. One build serves both: each took a build of its own."""
    site = tmp_path_factory.mktemp("site-qwe") / "site"
    others = [arg for code in OTHER_ICBS for arg in ("--also-icb", code)]
    done = sots("build", "--edition", CURRENT, "--icb", ANOTHER_ICB, *others, "--out", str(site))
    assert done.returncode == 0, done.stdout + done.stderr
    return site
