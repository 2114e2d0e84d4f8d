"""The chapter context: the ICB resolved once, tables read lazily and recorded, verdicts from the register."""

import json

import pytest

from helpers import ROOT, report_results_file
from sots.analysis import claims
from sots.chapters import charts
from sots.chapters import context as chapter
from sots.errors import InputError
from sots.inputs import data, editions, slices
from sots.site import execcache

pytestmark = pytest.mark.unit

DATA = ROOT / "data"
REGISTER = editions.load(ROOT / editions.EDITIONS_FILE)
INPUTS_2324 = editions.get(REGISTER, "2023-24").inputs


def test_open_resolves_the_icb_once_and_reads_only_the_lookup():
    ch = chapter.open("finance", root=ROOT, edition="2023-24", icb="lancashire and south cumbria", data_dir=DATA)
    assert (ch.icb, ch.focal["icb_gss_code"]) == ("QE1", "E54000048")
    assert list(ch.tables_read) == ["icb_lookup"]  # nothing else until a chapter asks for it


def test_tables_are_loaded_once_and_recorded_with_the_hash_of_the_rows_read():
    ch = chapter.open("funding_per_head", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA)
    first = ch.table("icb_allocations")
    assert ch.table("icb_allocations") is first
    assert ch.inputs == editions.get(editions.load(ROOT / "editions.yml"), "2024-25").inputs
    # The rows read of a table by years; the file's recorded sha256 for a table read whole.
    assert ch.tables_read == {"icb_lookup": data.table_hashes(DATA)["icb_lookup"],
                              "icb_allocations": slices.digest(ch.table("icb_allocations"))}
    # A table read whole is hashed as its canonical CSV, which for a prepared table is the file itself.
    assert ch.tables_read["icb_lookup"] == data.table_hashes(DATA)["icb_lookup"]
    value = ch.figure("x_gbp", 1.5, unit="GBP", method="m")
    assert value == 1.5 and ch.figures["x_gbp"]["inputs"] == ch.tables_read  # a figure names the tables it came from
    assert "provenance" not in ch.figures["x_gbp"]  # by hand: no build, no provenance


def test_the_report_and_the_icb_it_is_about_come_from_the_register():
    ch = chapter.open("finance", root=ROOT, edition="2024-25", icb="QWE", data_dir=DATA)
    assert ch.report == claims.report() and ch.report["icb_code"] == "QE1"
    assert (ch.who, ch.reported_about) == ("South West London", "Lancashire and South Cumbria")


def test_an_unknown_icb_is_refused_with_suggestions():
    with pytest.raises(InputError, match="unknown ICB 'QE2'.*did you mean"):
        chapter.open("finance", root=ROOT, edition="2023-24", icb="QE2", data_dir=DATA)


def test_a_build_parameter_gives_provenance_sources_and_chart_files(tmp_path):
    made = {"edition": "2023-24", "code_sha256": "abc1234", "parameters_sha256": "0123456789ab"}
    build = json.dumps({"provenance": made, "chart_data": str(tmp_path / "cd"), "reads": str(tmp_path / "r.json"),
                        "inputs": INPUTS_2324})
    ch = chapter.open("claims", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA, build=build,
                      results_fragment=str(tmp_path / "f.json"))
    ch.table("icb_allocations")
    ch.figure("y_pct", 2.0, unit="per cent", method="m")
    entry = json.loads((tmp_path / "f.json").read_text())["y_pct"]
    assert entry["provenance"] == {**made, "sources": ch.citations()}
    assert ch.citations() == [data.citation(s) for s in ch.sources(["icb_lookup", "icb_allocations"])]
    shown = ch.show(charts.status_bars(charts.pd.DataFrame({"status": ["a"], "claims": [1]}), title="T"))
    assert len(list((tmp_path / "cd").glob("*.csv"))) == 1
    assert "code abc1234" in shown.markup and data.citation(ch.sources(["icb_allocations"])[0]) in shown.markup
    # What it read, for the execution cache: each table's rows and sources, as the cache recomputes them.
    reads = json.loads((tmp_path / "r.json").read_text())
    assert set(reads["tables"]) == {"icb_lookup", "icb_allocations"} and reads["titles"] == {}
    assert reads == execcache.current_reads(reads, DATA, ch.inputs, ROOT)


def test_a_verdict_is_the_registers_on_the_chapters_own_figures():
    ch = chapter.open("finance", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    claim = claims.by_key(ch.register, "savings_delivered")
    figure = claim["figures"][0]
    assert ch.verdict("savings_delivered").status == claims.STATED_ONLY  # its figure is not recorded yet
    ch.figure(figure, claim["stated"] + claim["tolerance"] / 2, unit=claim["unit"], method="m")
    assert ch.verdict("savings_delivered").status == claims.REPRODUCED
    assert [c["id"] for c in ch.claims()] == [
        c["id"] for c in ch.register.values() if c["chapter"] == "notebooks/finance"]
    with pytest.raises(InputError, match="no claim with key 'savings'"):
        ch.verdict("savings")


def test_an_edition_reads_only_its_years_and_cites_only_the_sources_of_the_rows_read():
    ch = chapter.open("acute_spend", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA)
    assert ch.years("trust_operating_expenditure") == ()  # the trust accounts give 2022/23 and 2023/24 only
    assert ch.table("trust_operating_expenditure").empty
    assert ch.years("icb_allocations") == ("2023/24", "2024/25") and ch.years("activity_rates") is None
    ch.table("icb_allocations")
    cited = [s["id"] for s in ch.sources()]
    assert cited == ["nhse_allocations", "ons_icb_codes"]  # the trust accounts gave no row, so are not cited
    assert ch.source_table()["Title"].tolist() == [s["title"] for s in ch.sources()]
    assert list(ch.source_table(["trust_operating_expenditure"])) == ["Publisher", "Title", "Address", "Period"]
    assert ch.source_table(["trust_operating_expenditure"]).empty


def test_an_unknown_edition_is_refused():
    with pytest.raises(InputError, match="unknown edition '2030-31'"):
        chapter.open("finance", root=ROOT, edition="2030-31", icb="QE1", data_dir=DATA)


def test_the_key_findings_check_the_reports_claims_only_in_a_book_for_the_reports_icb():
    own = chapter.open("budget", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA)
    other = chapter.open("budget", root=ROOT, edition="2024-25", icb="QWE", data_dir=DATA)
    # Before the chapter records its figure, its claim cannot be checked; another ICB's book checks none.
    assert own.claims_summary().startswith("Of the report's 1 claim checked here, 1 is stated only (")
    assert other.claims_summary() == ("The report's claims are about Lancashire and South Cumbria, so none is checked "
                                      "in this book for South West London.")


def test_a_later_edition_gives_the_reports_verdict_and_its_own_data_since(tmp_path):
    """In 2024-25 the verdict on a claim is the report edition's, whatever the chapter's own figures say."""
    key = "hospital_budget_growth_2038_pct"
    given = report_results_file(tmp_path, hospital_cost_demographic_growth_2038_pct=11.45,
                                implied_non_demographic_growth_pa_pct=2.44)
    ch = chapter.open("budget", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA, report_results=given)
    ch.figure("hospital_cost_demographic_growth_2038_pct", 60.0, unit="per cent growth", method="m")
    verdict = ch.verdict(key)
    assert verdict.status == claims.NOT_REPRODUCED and verdict.checks[0].computed == 11.45  # not this edition's 60
    assert ch.since(verdict) == "Since the report: 2024/25 data give +60.0%, against +11.4% in 2023/24."
    assert (ch.year, ch.report_year, ch.in_report_edition, ch.about_report) == ("2024/25", "2023/24", False, True)
    # In the report's own edition the chapter's figures are the report's, and there is nothing "since".
    own = chapter.open("budget", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA, report_results=given)
    own.figure("hospital_cost_demographic_growth_2038_pct", 60.0, unit="per cent growth", method="m")
    assert own.verdict(key).status == claims.REPRODUCED and own.since(own.verdict(key)) == ""
    # By hand, with no report edition's figures, a later edition says it cannot give the verdict.
    by_hand = chapter.open("budget", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA)
    assert by_hand.verdict(key).status == claims.STATED_ONLY and by_hand.verdict(key).note == chapter.NOT_GIVEN
    # Another ICB's book grades nothing, whatever it is given.
    other = chapter.open("budget", root=ROOT, edition="2024-25", icb="QWE", data_dir=DATA, report_results=given)
    assert other.report_figures is None and other.verdict(key).status == claims.STATED_ONLY
    assert "not South West London" in other.verdict(key).note


@pytest.mark.parametrize(("write", "message"), [
    (lambda p: p.write_text("{not json"), "not valid JSON"),
    (lambda p: p.write_text("[]"), "expected an object of figures"),
    (lambda p: p.write_text(json.dumps({"x_pct": {"value": 1.0, "edition": "2024-25", "icb": "QE1"}})),
     "figure 'x_pct': expected a number or null, of edition 2023-24 for QE1, got edition 2024-25 for QE1"),
    (lambda p: p.write_text(json.dumps({"x_pct": {"value": "1", "edition": "2023-24", "icb": "QE1"}})),
     "figure 'x_pct': expected a number or null"),
    (lambda p: p.write_text(json.dumps({"x_pct": {"value": 1.0, "edition": "2023-24", "icb": "QWE"}})),
     "got edition 2023-24 for QWE"),
    (lambda p: None, "file not found"),
])
def test_the_report_editions_results_are_checked_as_they_are_read(tmp_path, write, message):
    path = tmp_path / "report.json"
    write(path)
    with pytest.raises(InputError, match=message) as raised:
        chapter.open("budget", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA, report_results=str(path))
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


# --- The edition's data years: one channel ----------------------------------------------------------------------------

def test_in_a_build_the_data_years_are_the_build_parameters():
    """The build's inputs are the chapter's, whatever editions.yml says of the edition: there is no second source to
    disagree with them (no notebook declares a year: tests/unit/test_pipeline_parameters.py)."""
    given = dict(INPUTS_2324, unit_cost_year="2024/25")
    ch = chapter.open("budget", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA,
                      build=json.dumps({"inputs": given}))
    assert ch.inputs == given and ch.data_year("unit_cost_year") == "2024/25"
    assert ch.years("unit_costs") == editions.window("unit_costs", given, ch.table_sources)


@pytest.mark.parametrize("inputs, message", [
    (None, "field 'inputs': expected a mapping with the fields allocation_year, unit_cost_year, outturn_year and "
           "projection_vintage, got nothing"),
    ({**INPUTS_2324, "allocation_year": "2023-24"},
     "field 'inputs.allocation_year': expected a financial year such as 2024/25 (quoted), got '2023-24'"),
    ({**INPUTS_2324, "outturn_year": "2023/25"},
     "field 'inputs.outturn_year': expected a financial year such as 2024/25 (quoted), got '2023/25'"),
    ({**INPUTS_2324, "unit_cost_year": 2023}, "field 'inputs.unit_cost_year': expected a financial year"),
    ({**INPUTS_2324, "projection_vintage": "2018"},
     "field 'inputs.projection_vintage': expected a vintage such as 2018-based (quoted), got '2018'"),
    ({k: v for k, v in INPUTS_2324.items() if k != "outturn_year"},
     "field 'inputs.outturn_year': expected a financial year such as 2024/25 (quoted), got nothing"),
    ({**INPUTS_2324, "base_year": "2023/24"}, "field 'inputs.base_year': expected only the inputs ['allocation_year',"),
])
def test_a_build_parameter_without_an_editions_data_years_is_refused_naming_the_notebook(inputs, message):
    build = json.dumps({} if inputs is None else {"inputs": inputs})
    with pytest.raises(InputError) as err:
        chapter.open("finance", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA, build=build)
    assert str(err.value).startswith("finance.ipynb: parameter 'build': ") and message in str(err.value)
    assert "\n" not in str(err.value)


def test_by_hand_the_data_years_are_read_from_editions_yml_in_the_root_given(tmp_path, monkeypatch):
    """Outside a build the chapter reads ``root/editions.yml`` (and ``root/claims.yml``), never one found by walking up
    from the working folder: here the project's own notebooks folder, whose parent holds the real editions.yml."""
    text = (ROOT / "editions.yml").read_text()
    (tmp_path / "editions.yml").write_text(text.replace('allocation_year: "2023/24"', 'allocation_year: "2024/25"'))
    (tmp_path / "claims.yml").write_text((ROOT / "claims.yml").read_text())
    monkeypatch.chdir(ROOT / "notebooks")
    ch = chapter.open("funding_per_head", root=tmp_path, edition="2023-24", icb="QE1", data_dir=DATA)
    assert ch.root == tmp_path and ch.data_year("allocation_year") == "2024/25"
    assert ch.inputs == dict(INPUTS_2324, allocation_year="2024/25") and ch.register == claims.load(ROOT / "claims.yml")
    (tmp_path / "editions.yml").unlink()
    with pytest.raises(InputError, match=r"editions\.yml: file not found"):
        chapter.open("funding_per_head", root=tmp_path, edition="2023-24", icb="QE1", data_dir=DATA)


def test_a_data_year_the_edition_does_not_give_is_a_clear_error():
    ch = chapter.open("finance", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA)
    with pytest.raises(ValueError, match="finance: no edition input named 'base_year' \\(the inputs: allocation_year,"):
        ch.data_year("base_year")
