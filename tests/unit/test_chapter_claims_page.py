"""The claims page's logic: the figures it reads, why a claim goes unchecked, and the counts the prose quotes."""

import json

import pytest

from helpers import DATA, ROOT
from sots import chapter, claims
from sots.chapters import claims_page
from sots.errors import InputError

pytestmark = pytest.mark.unit


def fragments(folder, **parts):
    folder.mkdir()
    for name, figures in parts.items():
        (folder / f"{name}.json").write_text(json.dumps({k: {"value": v} for k, v in figures.items()}))
    return str(folder)


def test_the_note_says_why_no_claim_is_checked():
    assert claims_page.note_for("QE1", "QE1", "") == claims_page.NO_RESULTS
    assert "every claim is stated only" in claims_page.NO_RESULTS
    assert claims_page.note_for("QE1", "QHM", "results") == (
        "The report is about QE1; this build is for QHM, so no claim is checked.")
    assert claims_page.note_for("QE1", "QE1", "results") == ""


def test_results_are_every_fragment_merged_and_a_wrong_folder_is_named(tmp_path):
    folder = fragments(tmp_path / "r", budget={"b_pct": 1.5}, finance={"a_gbp": 2.0})
    assert list(claims_page.results_in(folder)) == ["a_gbp", "b_pct"]
    assert claims_page.results_in("") == {}
    with pytest.raises(InputError, match="results_dir '.*nosuch': no such folder"):
        claims_page.results_in(str(tmp_path / "nosuch"))


def test_by_hand_every_claim_is_stated_only_and_the_note_says_so():
    ch = chapter.open("claims", edition="2023-24", icb="QE1", data_dir=DATA, results_fragment="")
    page = claims_page.record(ch, "")
    n = len(claims.load())
    assert page.counts == {claims.REPRODUCED: 0, claims.CONSISTENT: 0, claims.NOT_REPRODUCED: 0, claims.STATED_ONLY: n}
    assert ch.glued["claims_note"] == claims_page.NO_RESULTS and ch.glued["claims_stated_only_n"] == n
    assert all(claims_page.NO_RESULTS in v.explanation for v in page.verdicts)
    assert ch.figures == {}  # the page records no figures


def test_the_verdicts_are_the_registers_on_the_chapters_figures(tmp_path):
    folder = fragments(tmp_path / "r", budget={"hospital_cost_demographic_growth_2038_pct": 60.2,
                                               "implied_non_demographic_growth_pa_pct": 0.0})
    ch = chapter.open("claims", edition="2023-24", icb="QE1", data_dir=DATA)
    page = claims_page.record(ch, folder)
    f9 = claims.by_key(ch.register, "hospital_budget_growth_2038_pct")["id"]
    (verdict,) = [v for v in page.verdicts if v.id == f9]
    assert verdict.status == claims.REPRODUCED  # 60.2 is within 0.5 of the stated 60
    assert page.note == "" and ch.glued["claims_reproduced_n"] == 1
    assert ch.glued["claims_note"] == (
        "The figures are those of the 2023-24 edition for NHS Lancashire and South Cumbria ICB.")
    counts = claims_page.status_counts(page)
    assert list(counts["status"]) == list(claims.STATUSES) and counts["claims"].sum() == len(page.verdicts)
    rows = claims_page.claim_rows(ch, page, root=ROOT).set_index("Claim")
    assert "The hospital budget in 2038</a>" in rows.loc[f9, "Evidence"] and rows.loc[f9, "Computed"] == "60.2"


def test_another_icbs_figures_check_no_claim(tmp_path):
    folder = fragments(tmp_path / "r", budget={"hospital_cost_demographic_growth_2038_pct": 60.0})
    ch = chapter.open("claims", edition="2023-24", icb="QHM", data_dir=DATA)
    page = claims_page.record(ch, folder)
    assert page.counts[claims.STATED_ONLY] == len(page.verdicts)
    assert ch.glued["claims_note"] == "The report is about QE1; this build is for QHM, so no claim is checked."
