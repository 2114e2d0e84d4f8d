"""`prepare` on a tiny upstream laid out like the real one: known sums, and a clear error for each bad input."""

import functools
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from quality_raw import make_quality_raw, write_quality_layouts

from helpers import ROOT
from sots.errors import InputError
from sots.inputs import data, geography, layouts, prepare

pytestmark = pytest.mark.unit

ICBS = {"QE1": ("NHS Lancashire and South Cumbria ICB", "E54000048"), "QWE": ("NHS South West London ICB", "E54000031")}


# The tiny upstream's allocations CSV: its headers -> the table's columns, for its layout.
ALLOCATION_HEADERS = {
    "icb_code": "icb_code", "icb_name": "icb_name", "region_name": "region_name",
    "core_recurrent_allocation_gbp_k": "core_recurrent_allocation_k",
    "core_total_allocation_gbp_k": "core_total_allocation_k",
    "core_combined_allocation_gbp_k": "core_combined_allocation_k",
    "core_recurrent_per_head_gbp": "core_recurrent_allocation_per_head",
    "core_dft_pre_convergence_frac": "core_dft_pre_convergence",
    "core_dft_post_convergence_frac": "core_dft_post_convergence", "core_convergence_frac": "core_convergence",
    "pmc_recurrent_allocation_gbp_k": "pmc_recurrent_allocation_k", "other_primary_care_gbp_k": "other_primary_care_k",
    "running_cost_allowance_gbp_k": "running_cost_allowance_k",
    "registered_population_implied_persons": "registered_population_implied",
}
PRACTICE_HEADERS = {
    "ga_weighted_persons": "G&A WP", "community_weighted_persons": "CS WP", "mental_health_weighted_persons": "MH WP",
    "maternity_weighted_persons": "Mat WP", "health_inequalities_weighted_persons": "Health Ineq WP",
    "prescribing_weighted_persons": "Prescr WP", "core_weighted_persons": "Final WP",
    "pmc_need_weighted_persons": "Primary Medical Care WP", "pmc_weighted_persons": "Final PMC WP",
}


def write_layout(sources, table, name, layout):
    folder = sources / "layouts" / table
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yml").write_text(yaml.safe_dump(layout, sort_keys=False, allow_unicode=True))


@pytest.fixture(autouse=True)
def tiny_sources(tmp_path, monkeypatch):
    """The layouts of the tiny upstream, in ``tmp_path/sources``, with the project's catalogue of publications;
    ``sots prepare`` reads them as it reads the project's."""
    sources = tmp_path / "sources"
    (sources / "layouts").mkdir(parents=True)
    shutil.copyfile(ROOT / "sources" / "sources.yml", sources / "sources.yml")
    write_layout(sources, "icb_allocations", "2023-24", {
        "source": "nhse_allocations", "years": ["2023/24"],
        "file": "nhse_icb_allocations_2023_24_to_2024_25/icb_allocations_2023_24_tidy_derived.csv",
        "columns": ALLOCATION_HEADERS})
    write_layout(sources, "icb_weighted_population", "2023-24", {
        "source": "nhse_weighted_population", "years": ["2023/24"],
        "file": "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2023_24.csv",
        "columns": {"icb_code": "ICS22", "registered_population_persons": "pop 2022/23", **PRACTICE_HEADERS}})
    for year in ("2023/24", "2024/25"):
        token = year.replace("/", "_")
        write_layout(sources, "unit_costs", token, {
            "source": "nhse_ncc", "years": [year],
            "file": f"nhse_national_cost_collection/ncc_national_schedule_{token}_by_department_currency.csv",
            "columns": {c: c for c in ("department_code", "currency_code", "activity", "cost")}})
    write_quality_layouts(sources)
    monkeypatch.setattr(layouts, "folder", lambda project=None: sources)
    # A world of two ICBs: each source must give every one of them.
    two = geography.icb_reference()[lambda r: r["icb_code"].isin(list(ICBS))]
    monkeypatch.setattr(geography, "check_every_icb", functools.partial(geography.check_every_icb, reference=two))
    return sources


def make_raw(root, practices=None, projection_years=range(2018, 2044)):
    """Write a two-ICB upstream: allocations, two practices per ICB, and ONS area codes; projections for
    ``projection_years`` (the 2018-based years by default)."""
    alloc_dir = root / "nhse_icb_allocations_2023_24_to_2024_25"
    alloc_dir.mkdir(parents=True)
    practices = practices or {"QE1": [600.0, 400.0], "QWE": [1500.0, 500.0]}
    rows = []
    for code, (name, _) in ICBS.items():
        registered = sum(practices[code])
        rows.append({
            "year": "2023/24", "region_code": "Y", "region_name": "R", "icb_code": code, "icb_name": name,
            "core_recurrent_allocation_k": registered * 2.0, "core_total_allocation_k": registered * 2.1,
            "core_combined_allocation_k": registered * 2.2, "core_recurrent_allocation_per_head": 2000.0,
            "core_dft_pre_convergence": 0.01, "core_dft_post_convergence": 0.005, "core_convergence": -0.005,
            "pmc_recurrent_allocation_k": 10.0, "other_primary_care_k": 5.0, "running_cost_allowance_k": 1.0,
            "registered_population_implied": registered,
        })
    pd.DataFrame(rows).to_csv(alloc_dir / "icb_allocations_2023_24_tidy_derived.csv", index=False)

    wp_dir = root / "nhse_allocations_gp_weighted_pop"
    wp_dir.mkdir()
    prows = []
    for code, pops in practices.items():
        for i, pop in enumerate(pops):
            prows.append({"Practice_Code": f"{code}{i}", "ICS22": code, "pop 2022/23": pop,
                          **{c: pop * 1.1 for c in PRACTICE_HEADERS.values()}})
    pd.DataFrame(prows).to_csv(wp_dir / "gp_practice_weighted_population_2023_24.csv", index=False)

    su_dir = root / "su_hmhc_2018snpp_activity"
    su_dir.mkdir()
    areas = [{"area_code": gss, "area_name": name.removeprefix("NHS "), "area_type": "ICB"}
             for name, gss in ICBS.values()]
    areas += [{"area_code": "E06000008", "area_name": "Blackburn with Darwen", "area_type": "LAD (unitary)"},
              {"area_code": "E10000017", "area_name": "Lancashire", "area_type": "county"},
              {"area_code": "E07000999", "area_name": "Elsewhere", "area_type": "LAD (non-metropolitan district)"}]
    pd.DataFrame(areas).to_csv(su_dir / "area_codes_names.csv", index=False)

    # Projections: ages 0, 90 and 95 (which folds into 90+); persons = age + 1 in the first year, +10 per year after.
    years = [str(y) for y in projection_years]
    def rows(code, area_type, variant=None):
        for sex in "fm":
            for age in (0, 90, 95):
                yield {"area_code": code, "area_name": "x", "area_type": area_type,
                       **({"variant": variant} if variant else {}),
                       "sex": sex, "age": age, **{y: age + 1 + 10 * (int(y) - int(years[0])) for y in years}}
    principal = [r for code, t in (("E54000048", "ICB"), ("E10000017", "county"),
                                   ("E07000999", "LAD (non-metropolitan district)"))
                 for r in rows(code, t)]
    pd.DataFrame(principal).to_csv(su_dir / "snpp2018b_principal_sya_sex_all_areas_2018_2043.csv", index=False)
    variants = [*rows("E10000017", "county", "v1"), *rows("E10000017", "county", "v2")]
    pd.DataFrame(variants).to_csv(su_dir / "snpp2018b_11_variants_sya_sex_lsc_areas_2018_2043.csv", index=False)
    rates = [{"area_code": code, "area_name": "x", "area_type": t, "pod": "apc", "group": "emer_bds", "label": "x",
              "age": age, "rate_f": 0.5, "rate_m": 0.25, "rate_f_smoothed": 0, "rate_m_smoothed": 0}
             for code, t in (("E54000048", "ICB"), ("E07000999", "LAD (non-metropolitan district)"))
             for age in (17, 90)]
    pd.DataFrame(rates).to_csv(su_dir / "activity_rates_per_person_2022_by_age_sex_icbs_lsc.csv", index=False)

    mye_dir = root / "ons_mye_2019_2020_ltla"
    mye_dir.mkdir()
    ages = {str(a): a for a in range(90)} | {"90+": 1000}
    mye = [{"ltla21_code": code, "ltla21_name": "x", "total_population": 0, **ages}
           for code in ("E07000027", "E07000030", "E07000999")]
    pd.DataFrame(mye).to_csv(mye_dir / "ons_mye_mid2020_persons_sya_ltla2021.csv", index=False)

    ncc_dir = root / "nhse_national_cost_collection"
    ncc_dir.mkdir()
    departments = {d for ds, _ in prepare.UNIT_COST_BASIS.values() for d in ds}
    ncc = [{"department_code": d, "currency_code": c, "currency_desc": "x", "activity": 10, "unit_cost": 0,
            "cost": cost}
           for d in sorted(departments) for c, cost in (("WF01A", 1000), ("WF01B", 3000), ("XX", 2000))]
    ncc.append({"department_code": "Daycase", "currency_code": "YY", "currency_desc": "suppressed", "activity": "",
                "unit_cost": "", "cost": ""})
    pd.DataFrame(ncc).to_csv(ncc_dir / "ncc_national_schedule_2023_24_by_department_currency.csv", index=False)
    # The next year lacks outpatient attendance currencies, as the real 2024/25 schedule does.
    later = [r for r in ncc if not (r["currency_code"].startswith("WF") and "Led" in r["department_code"])]
    pd.DataFrame(later).to_csv(ncc_dir / "ncc_national_schedule_2024_25_by_department_currency.csv", index=False)

    tac_dir = root / "nhs_trust_accounts_tac_opex"
    tac_dir.mkdir()
    tac = [("2023/24", "Hospital A", "RXR", "Acute", "QE1", "NHS X ICB", 700_000_000, "False"),
           ("2023/24", "Trust B", "RW5", "Mental Health", "QE1", "NHS X ICB", 500_000_000, "False"),
           ("2023/24", "Hospital C", "R1H", "Acute", "Z9B2Z", "NHS MERGED ICB", 900_000_000, "True"),
           ("2022/23", "Hospital A", "RXR", "Acute", "", "", 650_000_000, "False")]
    pd.DataFrame([{"fin_year": y, "trust_name": n, "nhs_code": c, "sector": sec, "region": "North West", "icb_code": i,
                   "icb_name": iname, "total_operating_expenditure_gbp": t, "staff_costs_gbp": t * 0.6,
                   "supplies_drugs_gbp": t * 0.2, "premises_infrastructure_gbp": t * 0.1,
                   "other_operating_costs_gbp": t * 0.1, "discrepancy_flag": f}
                  for y, n, c, sec, i, iname, t, f in tac]).to_csv(
        tac_dir / "nhs_trust_operating_expenditure_tac_2022_23_2023_24.csv", index=False)

    pub_dir = root / "published_figures"
    pub_dir.mkdir()
    source = {"source_title": "A news report", "source_url": "https://example.org/news", "source_publisher": "LDRS"}
    pd.DataFrame([
        {"figure_id": "lsc_2324_savings_delivered", "value": "240.7", "unit": "GBP million",
         "period": "2023/24 (to 31 Mar 2024)", "geography": "L&SC ICS", "description": "Savings delivered",
         **source, "quoted_context": "About £240.7m was saved."},
        {"figure_id": "lsc_2324_chc_spend_position", "value": "", "unit": "qualitative", "period": "2023/24",
         "geography": "L&SC", "description": "A statement", **source, "quoted_context": "Among the highest."},
        {"figure_id": "eng_2425_core_per_patient", "value": "1,732", "unit": "GBP per registered patient",
         "period": "2024/25", "geography": "England", "description": "Core per patient", **source,
         "quoted_context": ""},
        {"figure_id": "lsc_pre2020_funding_vs_england", "value": "10", "unit": "percent", "period": "c. 2019",
         "geography": "L&SC", "description": "Funding per resident", **source, "quoted_context": "x"},
    ]).to_csv(pub_dir / "figures.csv", index=False)
    return make_quality_raw(root)


def test_prepare_sums_practices_and_matches_codes(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    rows = prepare.prepare(raw, out)
    assert {k: rows[k] for k in ("icb_allocations", "icb_weighted_population", "icb_lookup")} == {
        "icb_allocations": 2, "icb_weighted_population": 2, "icb_lookup": 2}
    wp = data.load("icb_weighted_population", out).set_index("icb_code")
    assert wp.loc["QE1", "registered_population_persons"] == 1000.0
    assert wp.loc["QWE", "core_weighted_persons"] == pytest.approx(2200.0)
    assert wp.loc["QWE", "n_practices"] == 2
    lookup = data.load("icb_lookup", out).set_index("icb_code")
    assert lookup.loc["QE1", "icb_gss_code"] == "E54000048"
    assert lookup.loc["QWE", "short_name"] == "South West London"
    assert data.verify(out) == []


def test_prepare_is_byte_reproducible(tmp_path):
    raw = make_raw(tmp_path / "raw")
    prepare.prepare(raw, tmp_path / "a")
    prepare.prepare(raw, tmp_path / "b")
    for name in [t.filename for t in data.TABLES.values()] + [data.DATAPACKAGE]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_text_in_a_practice_number_is_named_and_nothing_is_written(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = raw / "nhse_allocations_gp_weighted_pop" / "gp_practice_weighted_population_2023_24.csv"
    df = pd.read_csv(path)
    df["G&A WP"] = df["G&A WP"].astype(object)
    df.loc[1, "G&A WP"] = "abc"
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value) == f"{path}: column 'G&A WP', line 3: expected a number, got 'abc'"
    assert not (tmp_path / "data").exists()


def test_a_missing_raw_column_is_named(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = next((raw / "nhse_icb_allocations_2023_24_to_2024_25").glob("*.csv"))
    pd.read_csv(path).drop(columns="core_total_allocation_k").to_csv(path, index=False)
    with pytest.raises(InputError, match=r"tidy_derived.csv: no column 'core_total_allocation_k' \(the layout .*"
                                         r"2023-24.yml reads it as 'core_total_allocation_gbp_k'"):
        prepare.prepare(raw, tmp_path / "data")


def test_registered_populations_from_two_sources_must_agree(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = next((raw / "nhse_icb_allocations_2023_24_to_2024_25").glob("*.csv"))
    df = pd.read_csv(path)
    df.loc[df["icb_code"] == "QWE", "registered_population_implied"] = 2100.0
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"QWE 2023/24: registered population 2,000.0 \(practices, "
                       r"nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2023_24.csv\) "
                       r"against 2,100.0 "
                       r"\(allocations, .*tidy_derived.csv\); expected within 1.0 person \(is a practice in twice"):
        prepare.prepare(raw, tmp_path / "data")


def test_a_missing_source_folder_is_named(tmp_path):
    raw = make_raw(tmp_path / "raw")
    for f in (raw / "nhse_allocations_gp_weighted_pop").iterdir():
        f.unlink()
    with pytest.raises(InputError, match=r"gp_practice_weighted_population_2023_24.csv: file not found"):
        prepare.prepare(raw, tmp_path / "data")
    with pytest.raises(InputError, match=r"nowhere: folder not found"):
        prepare.prepare(tmp_path / "nowhere", tmp_path / "data")


def test_an_icb_without_an_ons_code_is_named(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = raw / "su_hmhc_2018snpp_activity" / "area_codes_names.csv"
    df = pd.read_csv(path)
    df.loc[df["area_code"] == "E54000031", "area_name"] = "South London ICB"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"no ONS match for \['south west london'\]"):
        prepare.prepare(raw, tmp_path / "data")


def test_projection_folds_ages_over_90_and_keeps_only_the_areas_used(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    prepare.prepare(raw, out)
    pop = data.load("population_projection", out)
    # E07000999 is not an L&SC district and not an ICB: dropped. The county has v1 and v2.
    assert sorted(pop.groupby(["area_code", "variant"]).size().index) == [
        ("E10000017", "v1"), ("E10000017", "v2"), ("E54000048", "v1")]
    row = pop[(pop.area_code == "E54000048") & (pop.sex == "f")].set_index(["age", "year"])["persons"]
    assert row.index.get_level_values("age").unique().tolist() == [0, 90]
    assert row.loc[90, 2018] == 91 + 96  # ages 90 and 95 folded into 90+
    assert row.loc[0, 2043] == 1 + 250


def test_projection_is_long_sorted_and_written_as_short_numbers(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    prepare.prepare(raw, out)
    pop = data.load("population_projection", out)
    assert pop.columns.tolist() == ["area_code", "variant", "sex", "age", "year", "persons"]
    # 3 area-variant pairs x 2 sexes x 2 ages (0, 90+) x 26 mid-years, one row each, sorted by the keys
    assert len(pop) == 3 * 2 * 2 * 26
    assert pop.equals(pop.sort_values(["area_code", "variant", "sex", "age", "year"], ignore_index=True))
    lines = (out / "population_projection.csv").read_text().splitlines()
    # Whole persons are written as integers ("11", not "11.0"): the file is read back to the same values.
    assert lines[:3] == ["area_code,variant,sex,age,year,persons", "E10000017,v1,f,0,2018,1",
                         "E10000017,v1,f,0,2019,11"]


def test_projection_variants_sort_by_number(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    path = raw / prepare.SNPP_VARIANTS
    variants = pd.read_csv(path)
    pd.concat([variants, variants[variants.variant == "v2"].assign(variant="v10")]).to_csv(path, index=False)
    prepare.prepare(raw, out)
    pop = data.load("population_projection", out)
    assert pop["variant"].drop_duplicates().tolist() == ["v1", "v2", "v10"]  # by number, not as text


def test_a_projection_with_other_years_is_read_with_no_code_change(tmp_path):
    raw, out = make_raw(tmp_path / "raw", projection_years=range(2022, 2048)), tmp_path / "data"
    prepare.prepare(raw, out)
    pop = data.load("population_projection", out)
    assert data.projection_years(pop) == list(range(2022, 2048))
    assert data.projection_vintage(pop) == "2022-based"
    row = pop[(pop.area_code == "E54000048") & (pop.sex == "f") & (pop.age == 0)].set_index("year")["persons"]
    assert row[2022] == 1 and row[2047] == 1 + 250


def test_projection_files_must_share_their_years(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = raw / prepare.SNPP_VARIANTS
    pd.read_csv(path).drop(columns="2043").to_csv(path, index=False)
    with pytest.raises(InputError, match=r"snpp2018b_11_variants.*: year columns 2018 to 2042: expected the years of "
                                         r".*snpp2018b_principal.*, 2018 to 2043"):
        prepare.prepare(raw, tmp_path / "data")
    path = raw / prepare.SNPP_PRINCIPAL
    df = pd.read_csv(path)
    df[[c for c in df.columns if not c.isdigit()]].to_csv(path, index=False)
    with pytest.raises(InputError, match=r"snpp2018b_principal.*: no year columns \(expected columns of persons"):
        prepare.prepare(raw, tmp_path / "data")


def test_estimates_rates_and_unit_costs(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    prepare.prepare(raw, out)
    est = data.load("population_estimates", out)
    assert sorted(est.area_code.unique()) == ["E07000027", "E07000030"]  # Barrow and Eden; not the other district
    assert est.set_index(["area_code", "age"]).loc[("E07000030", 90), "persons"] == 1000
    rates = data.load("activity_rates", out).set_index(["sex", "age"])["rate"]
    assert rates.to_dict() == {("f", 17): 0.5, ("f", 90): 0.5, ("m", 17): 0.25, ("m", 90): 0.25}
    costs = data.load("unit_costs", out).set_index(["year", "activity"])
    # whole department: (1000 + 3000 + 2000) / 30; the suppressed row is ignored
    assert costs.loc[("2023/24", "daycase_n"), "unit_cost_gbp"] == pytest.approx(200.0)
    assert costs.loc[("2023/24", "surg_first"), "unit_cost_gbp"] == pytest.approx(300.0)  # WF01B only: 3000 / 10
    assert costs.loc[("2023/24", "surg_fup"), "unit_cost_gbp"] == pytest.approx(100.0)  # WF01A only
    carried = costs.loc[("2024/25", "surg_fup")]
    assert carried["unit_cost_gbp"] == pytest.approx(100.0) and carried["cost_year"] == "2023/24"
    assert "carried forward" in carried["basis"]


def test_trust_expenditure_keeps_host_codes_as_given(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    prepare.prepare(raw, out)
    opex = data.load("trust_operating_expenditure", out).set_index(["year", "trust_code"])
    assert len(opex) == 4
    assert opex.loc[("2023/24", "RXR"), "total_operating_expenditure_gbp"] == 700_000_000
    assert opex.loc[("2023/24", "R1H"), "host_icb_code"] == "Z9B2Z"  # a 2026 merged-ICB code, kept as given
    assert bool(opex.loc[("2023/24", "R1H"), "groups_exceed_total"]) is True
    assert pd.isna(opex.loc[("2022/23", "RXR"), "host_icb_code"])


def test_published_figures_keep_their_sources_scope_and_year(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    prepare.prepare(raw, out)
    figs = data.load("published_figures", out).set_index("figure_id")
    saved = figs.loc["lsc_2324_savings_delivered"]
    assert (saved.icb_code, saved.year, saved.measure, saved.value) == ("QE1", "2023/24", "savings_delivered", 240.7)
    assert (saved.source_title, saved.source_publisher, saved.source_url) == (
        "A news report", "LDRS", "https://example.org/news")
    assert pd.isna(figs.loc["lsc_2324_chc_spend_position", "value"])  # a statement, not a number
    england = figs.loc["eng_2425_core_per_patient"]
    assert pd.isna(england.icb_code) and england.value == 1732.0 and pd.isna(england.context)
    assert pd.isna(figs.loc["lsc_pre2020_funding_vs_england", "year"])  # the period names no financial year


@pytest.mark.parametrize("column", ["source_title", "source_publisher", "source_url"])
def test_a_published_figure_without_its_source_fails_validation(tmp_path, column):
    raw = make_raw(tmp_path / "raw")
    path = raw / "published_figures" / "figures.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[2, column] = ""
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value) == f"{path}: column '{column}', line 4: expected a value, got an empty cell"
    assert not (tmp_path / "data").exists()


def test_a_published_figure_with_an_unknown_scope_or_a_bad_value_is_named(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = raw / "published_figures" / "figures.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[1, "figure_id"] = "xyz_2324_savings"
    df.to_csv(path, index=False)
    with pytest.raises(InputError,
                       match=r"figures.csv: column 'figure_id', line 3: expected an id .* got 'xyz_2324_savings'"):
        prepare.prepare(raw, tmp_path / "data")
    df.loc[1, "figure_id"], df.loc[0, "value"] = "lsc_2324_other", "about 240"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"figures.csv: column 'value', line 2: "
                                         r"expected a number or an empty cell, got 'about 240'"):
        prepare.prepare(raw, tmp_path / "data")


def test_a_trust_row_with_a_bad_flag_is_named(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = next((raw / "nhs_trust_accounts_tac_opex").glob("*.csv"))
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[2, "discrepancy_flag"] = "maybe"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"column 'discrepancy_flag', line 4: expected True or False, got 'maybe'"):
        prepare.prepare(raw, tmp_path / "data")


def test_a_year_in_two_allocation_files_is_named(tmp_path, tiny_sources):
    raw = make_raw(tmp_path / "raw")
    first = tiny_sources / "layouts" / "icb_allocations" / "2023-24.yml"
    (first.parent / "2023-24-again.yml").write_bytes(first.read_bytes())
    with pytest.raises(InputError, match=r"icb_allocations: year 2023/24, icb_code QE1 appears more than once"):
        prepare.prepare(raw, tmp_path / "data")


# --- Bad raw values: each named by the publisher's file, its own column and its line; nothing is written ----------

ALLOCATIONS = "nhse_icb_allocations_2023_24_to_2024_25/icb_allocations_2023_24_tidy_derived.csv"
PRACTICES = "nhse_allocations_gp_weighted_pop/gp_practice_weighted_population_2023_24.csv"
NCC = "nhse_national_cost_collection/ncc_national_schedule_2023_24_by_department_currency.csv"
RATES = "su_hmhc_2018snpp_activity/activity_rates_per_person_2022_by_age_sex_icbs_lsc.csv"


def _set(raw, relative, row, column, value):
    path = raw / relative
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("relative, row, column, value, expected", [
    (PRACTICES, 1, "G&A WP", "-500", "expected a number from 0 to 100,000,000, got '-500'"),
    (NCC, 4, "cost", "-1000", "expected a number from 0 to 200,000,000,000, got '-1000'"),
    (ALLOCATIONS, 1, "core_total_allocation_k", "1e300", "expected a number from 0 to 200,000,000, got 1e+300"),
    (ALLOCATIONS, 0, "core_combined_allocation_k", "inf", "expected a finite number, got 'inf'"),
    (ALLOCATIONS, 1, "core_dft_post_convergence", "6.25", "expected a number from -0.5 to 0.5, got 6.25"),
    (RATES, 1, "rate_m", "999", "expected a number from 0 to 400, got '999'"),
])
def test_a_bad_raw_value_is_named_by_its_file_column_and_line(tmp_path, relative, row, column, value, expected):
    raw = make_raw(tmp_path / "raw")
    path = _set(raw, relative, row, column, value)
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value) == f"{path}: column '{column}', line {row + 2}: {expected}"
    assert not (tmp_path / "data").exists()


def test_a_rate_is_named_by_its_line_in_the_publishers_file_not_in_the_prepared_table(tmp_path):
    """Rows of other areas are dropped and the two sexes are stacked into one column: the error still names rate_f and
    the raw line."""
    raw = make_raw(tmp_path / "raw")
    path = raw / RATES
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert set(df.loc[2:3, "area_code"]) == {"E07000999"}  # not an area the book uses: dropped
    lancashire = df.iloc[0].to_dict() | {"area_code": "E10000017", "area_type": "county", "rate_f": "-0.5"}
    pd.concat([df, pd.DataFrame([lancashire])]).to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value) == f"{path}: column 'rate_f', line 6: expected a number from 0 to 400, got '-0.5'"


@pytest.mark.parametrize("damage, expected", [
    (lambda text: text[: text.rindex(",") + 3], "line 3: expected a line break at the end of the file, got none"),
    (lambda text: "\n".join(text.splitlines()[:2] + [text.splitlines()[2].rsplit(",", 5)[0]]) + "\n",
     "line 3: expected 16 fields, as the header names, got 11: the row is incomplete"),
    (lambda text: "", "the file is empty"),
])
def test_a_cut_short_or_empty_file_is_named(tmp_path, damage, expected):
    raw = make_raw(tmp_path / "raw")
    path = raw / ALLOCATIONS
    path.write_text(damage(path.read_text()))
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value)


def test_a_file_not_in_utf8_is_named_with_its_line(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = raw / ALLOCATIONS
    path.write_bytes(path.read_text().replace("South West London", "South West Lond\u00f6n").encode("latin-1"))
    with pytest.raises(InputError, match=r"tidy_derived.csv: line 3: expected UTF-8 text, got the byte 0xf6"):
        prepare.prepare(raw, tmp_path / "data")


def test_a_blank_line_keeps_the_line_count(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = raw / PRACTICES
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "\n" + "".join(lines[1:]).replace(",600.0,", ",-600.0,", 1))
    with pytest.raises(InputError, match=r"column 'pop 2022/23', line 3: expected a number from 0"):
        prepare.prepare(raw, tmp_path / "data")


def test_an_unknown_icb_code_is_refused_even_when_every_file_uses_it(tmp_path):
    raw = make_raw(tmp_path / "raw")
    for relative in (ALLOCATIONS, PRACTICES):
        path = raw / relative
        path.write_text(path.read_text().replace("QWE", "QZZ"))
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value) == (
        f"{raw / ALLOCATIONS}: column 'icb_code', line 3: expected one of the 42 ICB codes (NHS ODS, July 2022 "
        "boundaries), got 'QZZ'; the ICB it names, NHS South West London ICB, is QWE")


def test_an_icb_matched_by_name_to_another_icbs_ons_code_is_refused(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = raw / "su_hmhc_2018snpp_activity" / "area_codes_names.csv"
    path.write_text(path.read_text().replace("E54000031", "E54000099"))
    with pytest.raises(InputError, match=r"ICB 'NHS South West London ICB' \(QWE\) matches the ONS code E54000099 by "
                                         r"name; expected E54000031"):
        prepare.prepare(raw, tmp_path / "data")


def test_a_write_that_fails_part_way_leaves_every_table_and_the_package_as_they_were(tmp_path, monkeypatch):
    """A full disk on the fourth table: nothing under data/ changes, and no scratch folder is left."""
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    prepare.prepare(raw, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _set(raw, PRACTICES, 0, "G&A WP", "700.0")  # a real change, so every table would be rewritten
    written = []
    real = Path.write_text

    def write_text(path, *args, **kwargs):
        written.append(path)
        if len(written) == 4:
            raise OSError(28, "No space left on device", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(OSError, match="No space left"):
        prepare.prepare(raw, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert data.verify(out) == []


def test_a_bad_code_in_a_reshaped_source_is_named_by_the_publishers_column(tmp_path):
    """The rates file's `group` becomes the table's `activity`: a bad one is named as the file names it."""
    raw = make_raw(tmp_path / "raw")
    path = _set(raw, RATES, 1, "group", "Emergency bed days")
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value) == (f"{path}: column 'group', line 3: expected str_matches('^[a-z_-]+$'), "
                              "got 'Emergency bed days'")


def test_a_year_given_by_one_of_the_two_allocation_sources_names_the_layout_to_add(tmp_path, tiny_sources):
    """A new year's workbook with no GP-practice file: the error names the layout that gives the year and where the
    missing one goes (it used to say only "in only one of the allocations and weighted-population sources")."""
    raw = make_raw(tmp_path / "raw")
    source = next((raw / "nhse_icb_allocations_2023_24_to_2024_25").glob("*.csv"))
    (raw / "next.csv").write_text(source.read_text())
    write_layout(tiny_sources, "icb_allocations", "2024-25", {
        "source": "nhse_allocations", "years": ["2024/25"], "file": "next.csv", "columns": ALLOCATION_HEADERS})
    layout = tiny_sources / "layouts" / "icb_allocations" / "2024-25.yml"
    with pytest.raises(InputError) as err:
        prepare.prepare(raw, tmp_path / "data")
    assert str(err.value) == (
        f"{layout}: gives 2024/25 (QE1 and others) from next.csv, but no layout in "
        f"{tiny_sources / 'layouts' / 'icb_weighted_population'} gives 2024/25 (expected both sources for every year: "
        "add a layout for the year's GP-practice weighted populations)")
    assert not (tmp_path / "data").exists()


def test_adding_rows_never_rewrites_an_existing_row():
    """Numbers are written one by one: a new year's non-whole value does not turn "1010" into "1010.0" in the rows
    before it (as a column-wide format did), and a missing value is an empty cell."""
    old = pd.DataFrame({"year": ["2023/24", "2024/25"], "persons": [1010.0, 2020.0], "share": [0.5, 1.0]})
    new = pd.concat([old, pd.DataFrame({"year": ["2099/00"], "persons": [3030.25], "share": [np.nan]})])
    before, after = prepare.table_text(old).splitlines(), prepare.table_text(new).splitlines()
    assert before == ["year,persons,share", "2023/24,1010,0.5", "2024/25,2020,1"]
    assert after == [*before, "2099/00,3030.25,"]
    assert prepare.number_text(0.1 + 0.2) == "0.30000000000000004"  # the shortest text that reads back the same


def test_the_data_package_cites_each_publication_with_the_years_it_gives_and_each_files_layout(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    prepare.prepare(raw, out)
    package = {r["name"]: r for r in json.loads((out / data.DATAPACKAGE).read_text())["resources"]}
    sources = {name: [(s["id"], s.get("years")) for s in r["sources"]] for name, r in package.items()}
    assert sources["icb_allocations"] == [("nhse_allocations", ["2023/24"])]
    assert sources["unit_costs"] == [("nhse_ncc", ["2023/24", "2024/25"])]  # two layouts, one publication
    assert sources["icb_lookup"] == [("nhse_allocations", None), ("ons_icb_codes", None)]
    assert sources["population_projection"] == [("ons_snpp_2018", None)]  # not by financial year: read whole
    assert [r.get("layout") for r in package["unit_costs"]["raw_inputs"]] == [
        "sources/layouts/unit_costs/2023_24.yml", "sources/layouts/unit_costs/2024_25.yml"]


def test_one_registry_reads_every_table_once_each_after_the_tables_it_needs():
    """`prepare` walks one list of readers: every prepared table has exactly one, and a reader given other tables
    comes after them."""
    names = [reader.table for reader in prepare.READERS]
    assert sorted(names) == sorted(data.TABLES)
    for i, reader in enumerate(prepare.READERS):
        assert set(reader.needs) <= set(names[:i]), reader.table
    # Read by layout: the tables whose files arrive year by year; the others by file names in code.
    assert {r.table for r in prepare.READERS if r.by_layout} == {
        "icb_allocations", "icb_weighted_population", "unit_costs", "qof_hypertension"}
