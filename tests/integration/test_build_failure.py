"""A notebook that fails stops the build, shows the failing cell, and leaves the published site untouched."""

import hashlib
import re
import shutil

import pytest

from helpers import DATA, sots

pytestmark = pytest.mark.integration


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failing_notebook_publishes_nothing(built_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    before = snapshot(site)

    bad = tmp_path / "data"
    shutil.copytree(DATA, bad)
    table = bad / "icb_allocations.csv"
    lines = table.read_text().splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if ",QH8," in line)
    lines[i] = lines[i].replace(",QH8,", ",Q!!,", 1)  # an ICB code the schema rejects
    table.write_text("".join(lines))

    done = sots("build", "--out", str(site), "--data", str(bad))
    assert done.returncode == 1
    assert re.search(r"\[1/\d+\] funding_per_head.ipynb FAILED", done.stdout)  # the first chapter stops the build
    first = done.stderr.splitlines()[0]
    assert first.startswith("error: funding_per_head.ipynb: cell") and "raised InputError" in first
    assert f"icb_allocations.csv: column 'icb_code', line {i + 1}: expected str_matches" in first
    assert "data.load(name, data_dir)" in done.stderr  # the failing cell's source is shown
    assert snapshot(site) == before
    assert not list(tmp_path.glob(".sots-staging-*")), "staging folders are cleaned up"
