"""`sots check` fails, naming the figure, when one input changes and the book is rebuilt."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from helpers import DATA, ROOT, rehash, sots

pytestmark = pytest.mark.integration


def test_a_changed_input_fails_the_golden_check_and_names_the_figure(tmp_path):
    data = shutil.copytree(DATA, tmp_path / "data")
    table = data / "published_figures.csv"
    figures = pd.read_csv(table, dtype=str, keep_default_na=False)
    row = figures["figure_id"] == "lsc_2324_savings_delivered"
    assert row.sum() == 1
    figures.loc[row, "value"] = str(float(figures.loc[row, "value"].iloc[0]) + 10)
    figures.to_csv(table, index=False)
    rehash(data)  # a changed input as `sots prepare` would write it, checksums and all

    site = tmp_path / "site"
    # No PDF: this checks figures, and a draft build without one is quicker.
    built = sots("build", "--edition", "2023-24", "--data", str(data), "--out", str(site), "--no-pdf")
    assert built.returncode == 0, built.stdout + built.stderr
    # --no-pdf: no PDF printed, and the front page names none.
    assert not list((site / "2023-24").glob("*.pdf"))
    assert not re.search(r'href="[^"]*\.pdf"', (site / "2023-24" / "book" / "intro.html").read_text())

    golden = ROOT / "tests" / "golden" / "2023-24" / "QE1.json"
    before = golden.read_bytes()
    checked = sots("check", "--edition", "2023-24", "--site", str(site))
    assert checked.returncode == 1
    moved = [line.split() for line in checked.stdout.splitlines() if line.startswith("savings_delivered_gbp_m ")]
    assert len(moved) == 1 and moved[0][1] == "moved" and float(moved[0][3]) - float(moved[0][2]) == pytest.approx(10)
    assert "error:" in checked.stderr and "tests/golden/2023-24/QE1.json" in checked.stderr
    assert checked.stderr.count("\n") == 1  # one line
    # The golden file itself is untouched by a failing check, so checking again fails again.
    assert golden.read_bytes() == before
    assert sots("check", "--edition", "2023-24", "--site", str(site)).returncode == 1
