"""The funding chapter, executed by papermill on the committed data, reports what a direct computation gives."""

import json

import pandas as pd
import pytest

from helpers import DATA, ROOT, sots
from sots.inputs import editions
from sots.site.execution import execute
from sots.site.pipeline import Parameters

pytestmark = pytest.mark.integration

NOTEBOOK = ROOT / "notebooks" / "funding_per_head.ipynb"
YEARS = ("2023/24", "2024/25")


def run_chapter(tmp_path, icb, edition="2023-24"):
    register = editions.load(ROOT / "editions.yml")
    params = Parameters(edition=editions.get(register, edition), icb=icb, data_dir=DATA)
    (fragment,) = execute([NOTEBOOK], tmp_path / "nb", tmp_path / "results", params, log=lambda _: None)
    return json.loads(fragment.read_text())


def direct_ranks(icb_code, year):
    """Per-head figures and ranks straight from the CSVs, without the sots package."""
    alloc = pd.read_csv(DATA / "icb_allocations.csv")
    wp = pd.read_csv(DATA / "icb_weighted_population.csv")
    df = alloc.merge(wp, on=["year", "icb_code"])
    df = df[df["year"] == year].copy()
    df["per_head"] = df["core_recurrent_allocation_gbp_k"] * 1000 / df["registered_population_persons"]
    df["per_weighted_head"] = df["core_recurrent_allocation_gbp_k"] * 1000 / df["core_weighted_persons"]
    row = df.set_index("icb_code").loc[icb_code]
    return {
        "per_head": row["per_head"],
        "per_head_rank": int((df["per_head"] > row["per_head"]).sum() + 1),
        "per_weighted_head": row["per_weighted_head"],
        "per_weighted_head_rank": int((df["per_weighted_head"] > row["per_weighted_head"]).sum() + 1),
        "dft_pct": row["core_dft_post_convergence_frac"] * 100,
        "dft_rank": int((df["core_dft_post_convergence_frac"] > row["core_dft_post_convergence_frac"]).sum() + 1),
        "published_per_head": row["core_recurrent_per_head_gbp"],
    }


@pytest.mark.parametrize("icb, edition", [("QE1", "2023-24"), ("QWE", "2024-25")])
def test_chapter_figures_equal_a_direct_computation(tmp_path, icb, edition):
    figures = run_chapter(tmp_path, icb, edition)
    for year in YEARS:
        s = "_" + year.replace("/", "_")
        want = direct_ranks(icb, year)
        assert figures[f"core_allocation_per_head_rank{s}"]["value"] == want["per_head_rank"]
        assert figures[f"core_allocation_per_weighted_head_rank{s}"]["value"] == want["per_weighted_head_rank"]
        assert figures[f"distance_from_target_rank{s}"]["value"] == want["dft_rank"]
        assert figures[f"core_allocation_per_head_gbp{s}"]["value"] == pytest.approx(want["per_head"])
        # NHS England's own published £ per head agrees to the penny
        assert figures[f"core_allocation_per_head_gbp{s}"]["value"] == pytest.approx(
            want["published_per_head"], abs=0.01)
        assert figures[f"core_allocation_per_weighted_head_gbp{s}"]["value"] == pytest.approx(want["per_weighted_head"])
        assert figures[f"distance_from_target_pct{s}"]["value"] == pytest.approx(want["dft_pct"])
        for entry in (v for k, v in figures.items() if k.endswith(s)):
            assert entry["icb"] == icb and entry["edition"] == edition and entry["inputs"]["year"] == year
            assert entry["inputs"]["icb_allocations"].startswith("sha256:") and entry["unit"] and entry["method"]
    # The headline figures are those of the edition's allocation year.
    year = edition.replace("-", "/")
    want = direct_ranks(icb, year)
    assert figures["core_allocation_per_head_gbp"]["value"] == pytest.approx(want["per_head"])
    assert figures["core_allocation_per_head_rank"]["value"] == want["per_head_rank"]
    assert figures["distance_from_target_rank"]["value"] == want["dft_rank"]
    assert figures["core_allocation_per_head_gbp"]["inputs"]["year"] == year


def test_lsc_ranks_as_nhs_england_reports_them(tmp_path):
    """L&SC: 2nd per registered head and 4th on distance from target in both years, as NHS England's workbook ranks."""
    figures = run_chapter(tmp_path, "QE1")
    alloc = pd.read_csv(DATA / "icb_allocations.csv")
    for year in YEARS:
        s = "_" + year.replace("/", "_")
        one = alloc[alloc["year"] == year].set_index("icb_code")
        published_rank = int(
            (one["core_recurrent_per_head_gbp"] > one.loc["QE1", "core_recurrent_per_head_gbp"]).sum() + 1)
        assert figures[f"core_allocation_per_head_rank{s}"]["value"] == published_rank


def test_an_unknown_icb_fails_in_one_line_with_suggestions():
    done = sots("build", "--icb", "QE2", "--out", "/nonexistent/never-written")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "unknown ICB 'QE2'" in done.stderr and "QE1 (Lancashire and South Cumbria)" in done.stderr
