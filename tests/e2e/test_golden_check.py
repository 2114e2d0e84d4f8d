"""CI runs `sots check`: each edition built for the default ICB matches its committed golden values."""

from __future__ import annotations

import pytest

from helpers import EDITIONS, GOLDEN, sots

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_built_edition_matches_its_golden_values(built_site, edition):
    assert (GOLDEN / edition / "QE1.json").is_file(), f"no golden values for {edition}: `sots check --update`"
    done = sots("check", "--edition", edition, "--icb", "QE1", "--site", str(built_site))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{edition} QE1: all" in done.stdout


def test_check_for_another_icb_says_the_build_is_not_for_it(built_site):
    done = sots("check", "--icb", "QWE", "--site", str(built_site))
    assert done.returncode == 1 and "not QWE" in done.stderr
