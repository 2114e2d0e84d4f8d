"""editions.yml: the committed register, and one clear line for each kind of mistake in it."""

import copy

import pandas as pd
import pytest

from helpers import GOLDEN_EDITIONS, ROOT
from sots.errors import InputError
from sots.inputs import editions

pytestmark = pytest.mark.unit

ENTRY = {
    "id": "2024-25",
    "title": "2024/25: a rerun",
    "status": "current",
    "inputs": {"allocation_year": "2024/25", "unit_cost_year": "2024/25", "outturn_year": "2024/25",
               "projection_vintage": "2018-based"},
}


def doc(*entries):
    return {"editions": [copy.deepcopy(e) for e in entries]}


def archived(edition_id="2023-24", year="2023/24"):
    e = copy.deepcopy(ENTRY)
    e.update(id=edition_id, status="archived", title=f"{year}: older")
    e["inputs"].update(allocation_year=year)
    return e


def test_the_committed_register_has_golden_values_for_each_edition_and_its_newest_current():
    register = editions.load(ROOT / "editions.yml")
    ids = [e.id for e in register]
    # Every edition is checked against its golden values (tests/e2e/test_golden_check.py), and none is left over.
    assert ids == list(GOLDEN_EDITIONS), "each edition needs tests/golden/<edition>/QE1.json: `sots check --update`"
    # A new year's entry is the current edition; every edition before it is archived.
    assert editions.current(register).id == ids[-1]
    assert [e.status for e in register] == ["archived"] * (len(ids) - 1) + ["current"]
    # The editions committed so far: the one reproducing the 2024 report, and its rerun on 2024/25 data.
    assert editions.get(register, "2023-24").inputs == {
        "allocation_year": "2023/24", "unit_cost_year": "2023/24", "outturn_year": "2023/24",
        "projection_vintage": "2018-based"}
    new = editions.get(register, "2024-25").inputs
    assert (new["allocation_year"], new["unit_cost_year"], new["outturn_year"]) == ("2024/25",) * 3


def test_the_texts_the_pages_quote_are_plain_strings():
    (e,) = editions.parse(doc(ENTRY))
    params = e.parameters()
    assert params == {"edition": "2024-25", "edition_title": "2024/25: a rerun", "allocation_year": "2024/25",
                      "unit_cost_year": "2024/25", "outturn_year": "2024/25", "projection_vintage": "2018-based"}
    assert all(isinstance(v, str) for v in params.values())


def test_data_years_given_to_a_chapter_are_checked_as_editions_yml_is():
    given = dict(reversed(ENTRY["inputs"].items()))
    checked = editions.check_inputs(given, "x.ipynb: parameter 'build'")
    assert checked == ENTRY["inputs"] and list(checked) == editions.inputs() and checked is not given
    with pytest.raises(InputError, match=r"^x: field 'inputs': expected a mapping with the fields allocation_year, "):
        editions.check_inputs(["2024/25"], "x")
    with pytest.raises(InputError, match=r"^x: field 'inputs.allocation_year': expected a financial year such as "
                                         r"2024/25 \(quoted\), got '2024/26'$"):
        editions.check_inputs({**ENTRY["inputs"], "allocation_year": "2024/26"}, "x")


def test_editions_are_sorted_oldest_first_and_the_year_after_2099_is_00():
    got = editions.parse(doc(ENTRY, archived(), archived("2099-00", "2099/00")))
    assert [e.id for e in got] == ["2023-24", "2024-25", "2099-00"]


def _fails(document, message):
    """The document is refused in one line containing ``message`` (file, edition, field, expected, got)."""
    with pytest.raises(InputError) as err:
        editions.parse(document, "editions.yml")
    text = str(err.value)
    assert "\n" not in text
    assert message in text, text


def test_a_bad_status_names_the_edition_and_field():
    _fails(doc(dict(ENTRY, status="live")),
           "editions.yml: edition 1 ('2024-25'), field 'status': expected current or archived, got 'live'")


@pytest.mark.parametrize("field, value, expected", [
    ("allocation_year", "2024-25", "a financial year such as 2024/25 (quoted), got '2024-25'"),
    ("allocation_year", "2024/26", "a financial year such as 2024/25 (quoted), got '2024/26'"),
    ("unit_cost_year", 2024, "a financial year such as 2024/25 (quoted), got 2024"),
    ("projection_vintage", "2018", "a vintage such as 2018-based (quoted), got '2018'"),
    ("outturn_year", None, "a financial year such as 2024/25 (quoted), got nothing"),
])
def test_a_bad_data_year_names_the_edition_and_field(field, value, expected):
    entry = copy.deepcopy(ENTRY)
    entry["inputs"][field] = value
    _fails(doc(archived(), entry), f"editions.yml: edition 2 ('2024-25'), field 'inputs.{field}': expected {expected}")


def test_an_unknown_input_or_field_is_named():
    entry = copy.deepcopy(ENTRY)
    entry["inputs"]["outturn_yaer"] = "2024/25"
    _fails(doc(entry), "editions.yml: edition 1 ('2024-25'), field 'inputs.outturn_yaer': expected only the fields "
                       "['allocation_year', 'unit_cost_year', 'outturn_year', 'projection_vintage'], "
                       "got 'outturn_yaer'")
    _fails(doc(dict(ENTRY, notes="x")), "editions.yml: edition 1 ('2024-25'), field 'notes': expected only the fields "
                                        "['id', 'title', 'status', 'inputs'], got 'notes'")
    _fails({"editions": [ENTRY], "edtions": []}, "editions.yml: field 'edtions': expected only the fields ['editions']")


def test_a_bad_id_is_named_by_position():
    _fails(doc(archived(), dict(ENTRY, id=2024)),
           "editions.yml: edition 2, field 'id': expected a financial year such as 2024-25 (quoted), got 2024")
    _fails(doc(archived(), dict(ENTRY, id="2024-26")),
           "editions.yml: edition 2 ('2024-26'), field 'id': expected a financial year such as 2024-25 (quoted), "
           "got '2024-26'")


@pytest.mark.parametrize("field, value, expected", [
    ("title", "  ", "field 'title': expected a short title in words, got '  '"),
    ("title", None, "field 'title': expected a short title in words, got nothing"),
    ("inputs", "2024/25", ("field 'inputs': expected a mapping with the fields allocation_year, unit_cost_year, "
                           "outturn_year and projection_vintage, got '2024/25'")),
])
def test_a_bad_title_or_inputs_names_the_edition_and_field(field, value, expected):
    _fails(doc(dict(ENTRY, **{field: value})), f"editions.yml: edition 1 ('2024-25'), {expected}")


def test_a_missing_field_or_an_entry_that_is_not_a_mapping_is_named():
    entry = copy.deepcopy(ENTRY)
    del entry["inputs"]["unit_cost_year"]
    _fails(doc(archived(), entry), "editions.yml: edition 2 ('2024-25'), field 'inputs.unit_cost_year': expected a "
                                   "financial year such as 2024/25 (quoted), got nothing")
    _fails(doc({k: v for k, v in ENTRY.items() if k != "status"}),
           "editions.yml: edition 1 ('2024-25'), field 'status': expected current or archived, got nothing")
    _fails(doc(ENTRY, "2023-24"), "editions.yml: edition 2: expected a mapping with the fields id, title, status and "
                                  "inputs, got '2023-24'")


def test_exactly_one_edition_is_current():
    _fails(doc(ENTRY, dict(archived(), status="current")),
           "editions.yml: field 'status': expected exactly one edition with status current, got 2 (2024-25, 2023-24)")
    _fails(doc(archived()), "expected exactly one edition with status current, got 0")


def test_duplicate_ids_and_an_empty_file():
    _fails(doc(ENTRY, dict(archived(), id="2024-25")),
           "editions.yml: edition 2 ('2024-25'), field 'id': expected each id once, "
           "got it also in edition 1 ('2024-25')")
    _fails({"editions": []}, "editions.yml: field 'editions': expected a non-empty list of editions, got []")
    _fails({}, "editions.yml: field 'editions': expected a non-empty list of editions, got nothing")
    _fails(None, "editions.yml: expected a mapping with a non-empty list 'editions', got nothing")


def test_load_names_a_yaml_error_by_line(tmp_path):
    path = tmp_path / "editions.yml"
    path.write_text("editions:\n  - id: '2024-25'\n    title: [unclosed\n")
    with pytest.raises(InputError, match=r"editions.yml, line \d+: not valid YAML"):
        editions.load(path)
    with pytest.raises(InputError, match="file not found"):
        editions.load(tmp_path / "missing.yml")


def test_an_unknown_edition_lists_the_ids():
    register = editions.parse(doc(ENTRY, archived()))
    with pytest.raises(InputError, match=r"unknown edition '2025-26': .* \(2023-24, 2024-25\)"):
        editions.get(register, "2025-26")


def test_missing_data_years_name_the_edition_field_table_and_years_present():
    (e,) = editions.parse(doc(dict(ENTRY, inputs=dict(ENTRY["inputs"], allocation_year="2030/31"))))
    tables = {name: pd.DataFrame({"year": ["2023/24", "2024/25"]}) for names in editions.INPUT_TABLES.values()
              for name in names}
    # Long, as prepared: its year column holds mid-years, and its vintage is the first (2018-based).
    tables["population_projection"] = pd.DataFrame({"area_code": "E92000001", "age": 0, "year": [2018, 2019],
                                                    "persons": 1.0})
    problems = editions.missing_data_years(e, tables)
    assert len(problems) == 2
    assert problems[0].startswith("edition '2024-25', field 'inputs.allocation_year': no 2030/31 rows in the "
                                  "prepared table 'icb_allocations' (years present: 2023/24, 2024/25")
    (ok,) = editions.parse(doc(ENTRY))
    assert editions.missing_data_years(ok, tables) == []
    # The outturn year and the projection vintage are checked too: neither may be printed if the data lack it.
    (later,) = editions.parse(doc(dict(ENTRY, inputs=dict(ENTRY["inputs"], outturn_year="2030/31",
                                                           projection_vintage="2020-based"))))
    problems = editions.missing_data_years(later, tables)
    assert [p.split(":")[0] for p in problems] == ["edition '2024-25', field 'inputs.outturn_year'"] * 2 + [
        "edition '2024-25', field 'inputs.projection_vintage'"]
    assert problems[-1].startswith("edition '2024-25', field 'inputs.projection_vintage': no 2020-based rows in the "
                                   "prepared table 'population_projection' (vintages present: 2018-based;")


def test_every_input_in_the_schema_has_the_tables_that_must_hold_its_year():
    assert editions.inputs() == list(editions.INPUT_TABLES) == list(ENTRY["inputs"])


def test_the_first_problem_in_the_file_is_the_one_reported():
    entries = [dict(archived(f"20{n:02d}-{n + 1:02d}", f"20{n:02d}/{n + 1:02d}")) for n in range(10, 21)]
    entries[9]["status"] = "old"  # edition 10
    entries[1]["title"] = ""  # edition 2: before edition 10, though "10" sorts before "2" as text
    _fails(doc(*entries, ENTRY), "editions.yml: edition 2 ('2011-12'), field 'title': expected a short title")
