"""Schemas reject bad tables with one line naming file, column and line; the data package checks its hashes."""

import json

import pandas as pd
import pytest

from helpers import DATA
from sots import hashing
from sots.errors import InputError
from sots.inputs import data

pytestmark = pytest.mark.unit


def _lookup() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "icb_code": ["QE1", "QWE"],
            "icb_gss_code": ["E54000048", "E54000031"],
            "icb_name": ["NHS Lancashire and South Cumbria ICB", "NHS South West London ICB"],
            "short_name": ["Lancashire and South Cumbria", "South West London"],
            "region_name": ["North West", "London"],
        }
    )


def _allocations() -> pd.DataFrame:
    row = {
        "year": "2023/24", "icb_code": "QE1", "icb_name": "NHS Lancashire and South Cumbria ICB",
        "region_name": "North West", "core_recurrent_allocation_gbp_k": 3_409_586.0,
        "core_total_allocation_gbp_k": 3_504_264.1, "core_combined_allocation_gbp_k": 3_541_231.3,
        "core_recurrent_per_head_gbp": 1_873.1, "core_dft_pre_convergence_frac": 0.0701,
        "core_dft_post_convergence_frac": 0.0625, "core_convergence_frac": -0.0071,
        "pmc_recurrent_allocation_gbp_k": 323_950.0, "other_primary_care_gbp_k": 189_472.7,
        "running_cost_allowance_gbp_k": 33_053.0, "registered_population_implied_persons": 1_820_286.0,
    }
    return pd.DataFrame([row, {**row, "year": "2024/25"}])


def _write(tmp_path, name, df):
    df.to_csv(tmp_path / data.TABLES[name].filename, index=False)
    return tmp_path


def test_valid_tables_load(tmp_path):
    _write(tmp_path, "icb_lookup", _lookup())
    _write(tmp_path, "icb_allocations", _allocations())
    assert len(data.load("icb_lookup", tmp_path)) == 2
    assert data.load("icb_allocations", tmp_path)["core_recurrent_allocation_gbp_k"].dtype == "float64"


@pytest.mark.parametrize(
    "column, bad, expected",
    [
        ("icb_code", "XX9", "str_matches"),
        ("core_recurrent_allocation_gbp_k", -5.0, "a number from 0 to 200,000,000"),
        # beyond NHS England's whole budget, or not a finite number: a unit error or a broken file
        ("core_total_allocation_gbp_k", 1e300, "a number from 0 to 200,000,000"),
        ("core_total_allocation_gbp_k", float("inf"), "a number from 0 to 200,000,000"),
        ("registered_population_implied_persons", 2e9, "a number from 0 to 100,000,000"),
        # a distance from target typed as per cent instead of a fraction
        ("core_dft_post_convergence_frac", 6.25, "a number from -0.5 to 0.5"),
        ("year", "2023-24", "str_matches"),
    ],
)
def test_allocations_reject_bad_values_naming_file_column_and_line(tmp_path, column, bad, expected):
    df = _allocations()
    df.loc[1, column] = bad
    _write(tmp_path, "icb_allocations", df)
    with pytest.raises(InputError) as err:
        data.load("icb_allocations", tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert f"icb_allocations.csv: column '{column}', line 3: expected {expected}" in message
    assert repr(bad) in message or str(bad) in message


def test_text_in_a_number_column_is_named(tmp_path):
    df = _allocations().astype({"running_cost_allowance_gbp_k": object})
    df.loc[0, "running_cost_allowance_gbp_k"] = "n/a"
    _write(tmp_path, "icb_allocations", df)
    with pytest.raises(InputError, match=r"column 'running_cost_allowance_gbp_k', line 2: expected .*float64.*'n/a'"):
        data.load("icb_allocations", tmp_path)


def test_duplicate_keys_are_rejected(tmp_path):
    df = _allocations()
    df.loc[1, "year"] = "2023/24"
    _write(tmp_path, "icb_allocations", df)
    with pytest.raises(InputError, match=r"icb_allocations.csv: columns 'year', 'icb_code', line 3: expected "
                                         r"each \(year, icb_code\) once, got \('2023/24', '\w+'\) again "
                                         r"\(first on line 2\)$"):
        data.load("icb_allocations", tmp_path)


def test_a_missing_column_is_named(tmp_path):
    _write(tmp_path, "icb_lookup", _lookup().drop(columns="short_name"))
    with pytest.raises(InputError, match=r"icb_lookup.csv: missing column 'short_name' \(expected the columns"):
        data.load("icb_lookup", tmp_path)


def test_a_duplicated_icb_in_the_lookup_is_rejected(tmp_path):
    df = _lookup()
    df.loc[1, "icb_gss_code"] = "E54000048"
    _write(tmp_path, "icb_lookup", df)
    with pytest.raises(InputError, match=r"column 'icb_gss_code', line 3: expected each icb_gss_code once, "
                                         r"got 'E54000048' again \(first on line 2\)$"):
        data.load("icb_lookup", tmp_path)


def test_a_missing_table_says_how_to_make_it(tmp_path):
    with pytest.raises(InputError, match=r"icb_lookup.csv: file not found .*sots prepare"):
        data.load("icb_lookup", tmp_path)


def test_verify_finds_a_changed_table(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "TABLES", {n: data.TABLES[n] for n in ("icb_lookup", "icb_allocations")})
    for name, frame in (("icb_lookup", _lookup()), ("icb_allocations", _allocations())):
        _write(tmp_path, name, frame)
    package = {"resources": [{"name": n, "hash": f"sha256:{hashing.file_sha256(tmp_path / f'{n}.csv')}"}
                             for n in ("icb_lookup", "icb_allocations")]}
    (tmp_path / data.DATAPACKAGE).write_text(json.dumps(package))
    assert data.verify(tmp_path) == []
    with open(tmp_path / "icb_lookup.csv", "a") as f:
        f.write("QXX,E54000099,NHS X ICB,X,Nowhere\n")
    (problem,) = data.verify(tmp_path)
    assert "icb_lookup.csv: sha256 is sha256:" in problem and "expected sha256:" in problem


def test_datapackage_describes_every_table_with_source_licence_and_hash(tmp_path):
    for name, frame in (("icb_lookup", _lookup()), ("icb_allocations", _allocations())):
        _write(tmp_path, name, frame)
    for name in set(data.TABLES) - {"icb_lookup", "icb_allocations"}:
        _write(tmp_path, name, pd.DataFrame(columns=list(data.TABLES[name].schema.columns)))
    nhse = {"id": "nhse_allocations", "title": "Allocations", "publisher": "NHS England",
            "path": "https://www.england.nhs.uk/allocations/", "period": "2023/24", "years": ["2023/24"]}
    cited = {name: [nhse] for name in data.TABLES}
    package = data.datapackage(tmp_path, {"icb_lookup": [data.RawInput("x/y.csv", "ab" * 32)]}, cited)
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    by_name = {r["name"]: r for r in package["resources"]}
    assert set(by_name) == set(data.TABLES)
    lookup = by_name["icb_lookup"]
    assert lookup["hash"] == f"sha256:{hashing.file_sha256(tmp_path / 'icb_lookup.csv')}"
    assert {s["publisher"] for s in lookup["sources"]} >= {"NHS England"}
    assert all(s["path"].startswith("https://") for s in lookup["sources"])
    assert lookup["raw_inputs"] == [{"path": "x/y.csv", "sha256": "ab" * 32}]
    assert by_name["icb_allocations"]["sources"] == [nhse]  # as cited: the publication, its id and years
    assert by_name["icb_allocations"]["schema"]["primaryKey"] == ["year", "icb_code"]
    units = {f["name"]: f.get("unit") for f in by_name["icb_allocations"]["schema"]["fields"]}
    assert units["core_recurrent_allocation_gbp_k"] == "GBP thousands"



def test_an_empty_cell_is_named(tmp_path):
    df = _allocations()
    df.loc[1, "core_recurrent_allocation_gbp_k"] = None
    _write(tmp_path, "icb_allocations", df)
    with pytest.raises(InputError,
                       match=r"column 'core_recurrent_allocation_gbp_k', line 3: expected a value, got an empty cell"):
        data.load("icb_allocations", tmp_path)


@pytest.mark.parametrize("name, column", [
    ("icb_allocations", "core_dft_post_convergence_frac"), ("icb_allocations", "running_cost_allowance_gbp_k"),
    ("icb_weighted_population", "ga_weighted_persons"), ("icb_weighted_population", "pmc_weighted_persons"),
])
def test_a_measure_a_publisher_may_stop_publishing_may_be_empty(name, column):
    assert data.TABLES[name].schema.columns[column].nullable


@pytest.mark.parametrize("name, column", [
    ("icb_allocations", c) for c in ("year", "icb_code", "icb_name", "core_recurrent_allocation_gbp_k",
                                     "core_recurrent_per_head_gbp")] + [
    ("icb_weighted_population", c) for c in ("year", "icb_code", "registered_population_persons",
                                             "core_weighted_persons")])
def test_keys_names_and_the_core_figures_stay_required(name, column):
    assert not data.TABLES[name].schema.columns[column].nullable


def test_table_sources_reads_the_data_package_and_refuses_a_source_without_an_id(tmp_path):
    sources = data.table_sources(DATA)
    assert set(sources) == set(data.TABLES)
    assert sources["icb_allocations"][0]["id"] == "nhse_allocations"
    assert sources["icb_allocations"][0]["years"] == ["2023/24", "2024/25"]
    package = json.loads((DATA / data.DATAPACKAGE).read_text())
    del package["resources"][0]["sources"][0]["id"]
    (tmp_path / data.DATAPACKAGE).write_text(json.dumps(package))
    with pytest.raises(InputError, match=r"resource 1 \('icb_allocations'\), source 1: missing field 'id'"):
        data.table_sources(tmp_path)


def test_the_year_keyed_tables_are_those_with_financial_years():
    assert [n for n in data.TABLES if data.year_keyed(n)] == [
        "icb_allocations", "icb_weighted_population", "unit_costs", "trust_operating_expenditure", "published_figures"]


def test_an_extra_column_is_named(tmp_path):
    _write(tmp_path, "icb_lookup", _lookup().assign(notes="x"))
    with pytest.raises(InputError, match=r"icb_lookup.csv: unexpected column 'notes'"):
        data.load("icb_lookup", tmp_path)


@pytest.mark.parametrize("content, expected", [
    ("{not json", "datapackage.json: not valid JSON"),
    ('{"resources": {}}', "datapackage.json: field 'resources': expected a list of tables"),
    ('{"resources": [{"name": "icb_lookup"}]}', "datapackage.json: resource 1: missing field 'hash'"),
    ('{"resources": [{"name": "icb_lookup", "hash": "sha256:00"}]}',
     "datapackage.json: no entry for the table 'icb_allocations'"),
])
def test_a_malformed_or_incomplete_data_package_is_one_line(tmp_path, content, expected):
    """Without a whole data package no table can be checked, so verify reports it, in one line, as the only problem."""
    (tmp_path / data.DATAPACKAGE).write_text(content)
    (problem,) = data.verify(tmp_path)
    assert expected in problem and "\n" not in problem and "sots prepare" in problem
    with pytest.raises(InputError, match=expected):
        data.table_hashes(tmp_path)
