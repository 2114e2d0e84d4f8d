"""The claims page's logic: whose figures the report's verdicts are computed on in each edition, why a claim goes
unchecked, and the two pieces of HTML it renders (the front page's panel and the register)."""

import json
import re

import pytest

from helpers import DATA, ROOT, report_results_file
from sots.analysis import claims
from sots.chapters import claims_page
from sots.chapters import context as chapter
from sots.errors import InputError

pytestmark = pytest.mark.unit

F9_FIGURES = {"hospital_cost_demographic_growth_2038_pct": 60.2, "implied_non_demographic_growth_pa_pct": 0.0}


def fragments(folder, edition="2023-24", icb="QE1", **parts):
    """Results fragments as chapters write them, one file per chapter, each figure of ``edition`` for ``icb``."""
    folder.mkdir()
    for name, figures in parts.items():
        (folder / f"{name}.json").write_text(json.dumps(
            {k: {"value": v, "unit": "per cent growth", "edition": edition, "icb": icb} for k, v in figures.items()}))
    return str(folder)


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tbody class="sots-claim[^"]*" id="claim-([A-Z0-9]+)"', html)


def test_the_note_says_why_no_claim_is_checked(tmp_path):
    ch = chapter.open("claims", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    assert claims_page.note_for(ch, "") == claims_page.NO_RESULTS
    assert "every claim is stated only" in claims_page.NO_RESULTS
    assert claims_page.note_for(ch, "results") == ""
    other = chapter.open("claims", root=ROOT, edition="2023-24", icb="QHM", data_dir=DATA)
    assert claims_page.note_for(other, "results").startswith(
        "The report is about Lancashire and South Cumbria; this book is for ")
    later = chapter.open("claims", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA)
    assert claims_page.note_for(later, "results") == chapter.NOT_GIVEN  # by hand: no report edition's figures
    given = chapter.open("claims", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA,
                         report_results=report_results_file(tmp_path, **F9_FIGURES))
    assert claims_page.note_for(given, "results") == ""


def test_results_are_every_fragment_merged_and_a_wrong_folder_is_named(tmp_path):
    folder = fragments(tmp_path / "r", budget={"b_pct": 1.5}, finance={"a_gbp": 2.0})
    assert list(claims_page.results_in(folder)) == ["a_gbp", "b_pct"]
    assert claims_page.results_in("") == {}
    with pytest.raises(InputError, match="results_dir '.*nosuch': no such folder"):
        claims_page.results_in(str(tmp_path / "nosuch"))


def test_by_hand_every_claim_is_stated_only_and_the_note_says_so():
    ch = chapter.open("claims", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA, results_fragment="")
    page = claims_page.record(ch, "")
    n = len(claims.load())
    assert page.counts == {claims.REPRODUCED: 0, claims.CONSISTENT: 0, claims.NOT_REPRODUCED: 0, claims.STATED_ONLY: n}
    assert ch.glued["claims_note"] == claims_page.NO_RESULTS and ch.glued["claims_stated_only_n"] == n
    assert all(claims_page.NO_RESULTS in v.explanation for v in page.verdicts)
    assert ch.figures == {}  # the page records no figures


def test_in_the_reports_edition_the_verdicts_are_on_the_chapters_figures(tmp_path):
    folder = fragments(tmp_path / "r", budget=F9_FIGURES)
    ch = chapter.open("claims", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    page = claims_page.record(ch, folder)
    f9 = claims.by_key(ch.register, "hospital_budget_growth_2038_pct")["id"]
    (verdict,) = [v for v in page.verdicts if v.id == f9]
    assert verdict.status == claims.REPRODUCED  # 60.2 is within 0.5 of the stated 60
    assert page.note == "" and ch.glued["claims_reproduced_n"] == 1
    assert ch.glued["claims_note"].startswith("The verdicts are on the figures of this edition, 2023-24")
    assert ch.glued["claims_counted"].startswith("1 is reproduced, 0 are consistent with public data")
    assert ch.glued["claims_headline"] == f"Of the report's {len(page.verdicts)} claims, {ch.glued['claims_counted']}."
    assert ch.glued["claims_misses"] == "No claim is contradicted by the figures given here (0 missed)."
    counts = claims_page.status_counts(page)
    assert list(counts["status"]) == list(claims.STATUSES) and counts["claims"].sum() == len(page.verdicts)
    register = claims_page.register(ch, page, root=ROOT)
    assert rows_of(register) == list(ch.register)  # every claim, in the register's order
    f9_row = register.split(f'id="claim-{f9}"')[1].split("</tbody>")[0]
    assert "The hospital budget in 2038</a>" in f9_row and "+60.2%" in f9_row and "Reproduced" in f9_row
    assert "hospital_cost_demographic_growth_2038_pct" in f9_row.split("sots-technical")[1]  # ids: analysts' line only
    assert "hospital_cost_demographic" not in f9_row.split("sots-technical")[0]
    assert "Since the report" not in register  # the report's own edition has no later data


def test_a_later_edition_gives_the_reports_verdicts_and_adds_its_own_data(tmp_path):
    """2024-25 grades the report on 2023-24's figures; its own figures appear only as "since the report"."""
    report = report_results_file(tmp_path, **F9_FIGURES)
    own = fragments(tmp_path / "r", edition="2024-25", budget={"hospital_cost_demographic_growth_2038_pct": 11.5,
                                                               "implied_non_demographic_growth_pa_pct": 2.4})
    ch = chapter.open("claims", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA, report_results=report)
    page = claims_page.record(ch, own)
    f9 = next(v for v in page.verdicts if v.claim.get("key") == "hospital_budget_growth_2038_pct")
    assert f9.status == claims.REPRODUCED and f9.checks[0].computed == 60.2  # the report's year, not 11.5
    assert ch.glued["claims_note"].startswith("The verdicts are on the figures of the report's own edition, 2023-24")
    register = claims_page.register(ch, page, root=ROOT)
    f9_row = register.split(f'id="claim-{f9.id}"')[1].split("</tbody>")[0]
    assert "2024/25: +11.5%" in f9_row
    assert "Since the report: 2024/25 data give +11.5%, against +60.2% in 2023/24." in f9_row
    assert ch.glued["claims_misses"] == "No claim is contradicted by the figures given here (0 missed)."
    lead = ch.glued["front_lead"]
    assert f"makes {len(ch.register)} claims" in lead and "2023/24, the year it looks back on" in lead
    assert ch.glued["front_later"].startswith("Every edition gives these verdicts")


def test_the_panel_shows_the_headline_claims_and_links_each_to_its_evidence(tmp_path):
    folder = fragments(tmp_path / "r", budget=F9_FIGURES)
    ch = chapter.open("claims", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    page = claims_page.record(ch, folder)
    html = claims_page.panel(ch, page, root=ROOT)
    headline = [c for c in ch.register.values() if c.get("headline")]
    labels = re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>', html)
    assert [label for _, label in labels] == [c["label"].replace("'", "&#39;") for c in headline]
    assert all(href.startswith("../notebooks/") and href.endswith(".html") for href, _ in labels)
    assert "F9" not in html and "hospital_cost" not in html  # no claim or figure ids for readers


def test_text_from_the_register_is_escaped_once(tmp_path):
    ch = chapter.open("claims", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    (first, *_) = ch.register
    ch.register[first] = {**ch.register[first], "label": "A <script>x</script> & B", "headline": True,
                          "claim": "C <b>", "reason": "R \"q\""}
    page = claims_page.record(ch, "")
    for html in (claims_page.panel(ch, page, root=ROOT), claims_page.register(ch, page, root=ROOT)):
        assert "A &lt;script&gt;x&lt;/script&gt; &amp; B" in html and "<script>" not in html
        assert "&amp;lt;" not in html  # once, not twice
    assert "C &lt;b&gt;" in claims_page.register(ch, page, root=ROOT)


def test_another_icbs_book_checks_no_claim_and_shows_no_panel(tmp_path):
    folder = fragments(tmp_path / "r", icb="QHM", budget={"hospital_cost_demographic_growth_2038_pct": 60.0})
    ch = chapter.open("claims", root=ROOT, edition="2023-24", icb="QHM", data_dir=DATA)
    page = claims_page.record(ch, folder)
    assert page.counts[claims.STATED_ONLY] == len(page.verdicts)
    assert ch.glued["claims_note"].startswith("The report is about Lancashire and South Cumbria; this book is for")
    panel = claims_page.panel(ch, page, root=ROOT)
    assert "<table" not in panel and "is about" not in panel  # the front page's lead says it, once
    assert ch.glued["front_lead"] == page.note and ch.glued["front_later"] == ""
    assert ch.glued["claims_headline"] == f"The report makes {len(page.verdicts)} claims, all about Lancashire and " \
                                          "South Cumbria."
    assert "Lancashire" not in ch.glued["claims_misses"] and "2023/24 edition" in ch.glued["claims_misses"]


def test_the_report_is_cited_by_title_and_linked_only_to_an_https_page_the_register_gives():
    report = {"publisher": "NHS *Birch* ICB", "title": "State [of] it", "edition": "2023-24", "icb_code": "QE1",
              "period": "2023/24"}
    assert claims_page.report_citation(report) == r"NHS \*Birch\* ICB, “State \[of\] it”"
    assert claims_page.report_citation({**report, "url": "https://example.org/report"}) == (
        r"NHS \*Birch\* ICB, [“State \[of\] it”](<https://example.org/report>)")
    # An address that is no plain https address stays text (the schema refuses it in a register).
    assert "](" not in claims_page.report_citation({**report, "url": "javascript:alert(1)"})
