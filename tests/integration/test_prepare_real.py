"""The committed tables match their checksums, and agree with independent sums of the real upstream. (That `sots
prepare` on a copy of the upstream reproduces them byte for byte is the last step of the catalogue's killed-prepare
case, tests/integration/test_catalogue.py.)"""

import shutil

import pandas as pd
import pytest

from helpers import DATA, sots
from sots import hashing
from sots.inputs import data, geography, prepare

pytestmark = pytest.mark.integration


def test_committed_tables_match_their_checksums():
    done = sots("prepare", "--verify")
    assert done.returncode == 0, done.stderr
    assert "every checksum matches" in done.stdout


def test_verify_fails_on_a_changed_table(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    with open(tmp_path / "data" / "icb_allocations.csv", "a") as f:
        f.write("\n")
    done = sots("prepare", "--verify", "--data", str(tmp_path / "data"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "icb_allocations.csv: sha256 is" in done.stderr


def test_all_42_icbs_match_one_to_one():
    lookup = data.load("icb_lookup", DATA)
    assert len(lookup) == 42
    assert lookup["icb_code"].is_unique and lookup["icb_gss_code"].is_unique
    assert lookup.set_index("icb_code").loc["QE1", "icb_gss_code"] == "E54000048"


def test_the_icb_code_reference_agrees_with_the_lookup_and_an_independent_source(raw_dir):
    """The 42 codes every source must use are the lookup's (NHS England's codes matched to ONS's by name), and each
    ODS code is one The Strategy Unit's admissions file (another publisher's extract) also uses."""
    reference = geography.icb_reference().sort_values("icb_code", ignore_index=True)
    lookup = data.load("icb_lookup", DATA).sort_values("icb_code", ignore_index=True)
    assert len(reference) == 42
    # The reference keeps NHS England's spelling ("Isle Of Wight"); the lookup writes the joining words in lower case.
    pd.testing.assert_frame_equal(reference.assign(icb_name=reference["icb_name"].map(geography.name_case)),
                                  lookup[["icb_code", "icb_gss_code", "icb_name"]])
    admissions = pd.read_csv(
        raw_dir / "ons_npp2018_and_su_apc2018" / "apc_admissions_2018_by_icb_sex_agegrp_admigrp.csv",
        encoding="utf-8-sig", usecols=["stpcd"])
    assert set(reference["icb_code"]) <= set(admissions["stpcd"])


def test_weighted_populations_equal_the_publishers_icb_summary(raw_dir):
    """Our sums over practices against the ICB summary shipped with the upstream (summed separately)."""
    summary = pd.read_csv(raw_dir / "nhse_allocations_gp_weighted_pop" / "icb_weighted_population_summary_derived.csv")
    summary = summary.rename(columns={"ICS22": "icb_code"}).set_index(["year", "icb_code"])
    ours = data.load("icb_weighted_population", DATA).set_index(["year", "icb_code"])
    assert len(summary) == 42 * summary.index.get_level_values("year").nunique()  # every ICB, every year it covers
    # The summary covers the years of the publication it ships with; a later year's file comes without one.
    ours = ours[ours.index.get_level_values("year").isin(summary.index.get_level_values("year"))]
    assert len(ours) == len(summary)
    for theirs, mine in (("registered_pop", "registered_population_persons"),
                         ("core_final_wp", "core_weighted_persons"), ("ga_wp", "ga_weighted_persons")):
        assert (ours[mine] - summary.loc[ours.index, theirs]).abs().max() < 1e-3, mine
    assert (ours["n_practices"] == summary.loc[ours.index, "n_practices"]).all()


# --- Deprivation, healthy life and quality of care (issue 24): the prepared tables against the raw files --------

IMD_FOLDER = "mhclg_imd2019_lsoa_ward_lookup"
REPORT_WARDS = ["Bloomfield", "Claremont", "Park", "Talbot", "Tyldesley"]  # the Blackpool wards the report names


def test_every_lsoa_of_the_imd_file_is_a_row_with_its_rank_decile_ward_and_icb(raw_dir):
    imd = pd.read_csv(raw_dir / IMD_FOLDER / "imd2019_england_lsoa11.csv", usecols=["lsoa11_code", "IMD_rank",
                                                                                    "IMD_decile"])
    table = data.load("lsoa_deprivation", DATA).set_index("lsoa_code")
    assert len(table) == len(imd) == data.LSOA11_COUNT
    assert (table.loc[imd["lsoa11_code"], "imd_rank"].to_numpy() == imd["IMD_rank"].to_numpy()).all()
    assert (table.loc[imd["lsoa11_code"], "imd_decile"].to_numpy() == imd["IMD_decile"].to_numpy()).all()
    assert table["icb_code"].nunique() == 42 and table["ward_code"].notna().all()
    # Only the wards of the two authorities the names file leaves out have no name.
    assert set(table.loc[table["ward_name"].isna(), "lad_name"]) == {"City of London", "Isles of Scilly"}


def test_lancashire_and_south_cumbria_and_blackpools_wards_as_provenance_gives_them(raw_dir):
    """The figures the upstream's PROVENANCE.md prints (its convert_and_check.py), from the prepared table."""
    table = data.load("lsoa_deprivation", DATA)
    lsc = table[table["icb_code"] == "QE1"]
    assert len(lsc) == 1058 and (lsc["imd_decile"] == 1).sum() == 198 and (lsc["imd_decile"] <= 2).sum() == 314
    assert set(lsc["sub_icb_code"]) == {"00Q", "00R", "00X", "01A", "01E", "01K", "02G", "02M"}
    blackpool = table[table["lad_name"] == "Blackpool"]
    assert blackpool["ward_name"].nunique() == 21 and set(REPORT_WARDS) <= set(blackpool["ward_name"])
    wards = blackpool.groupby("ward_name").agg(n=("imd_rank", "size"), core20=("imd_decile", lambda d: (d <= 2).sum()),
                                               median=("imd_rank", "median"))
    assert wards.loc["Bloomfield"].tolist() == [5, 5, 5] and wards.loc["Tyldesley"].tolist() == [5, 3, 4819]


def test_healthy_life_expectancy_keeps_every_upper_tier_value_of_each_release(raw_dir):
    table = data.load("healthy_life_expectancy", DATA)
    for relative, release in prepare.HLE_EXTRACTS.items():
        raw = pd.read_csv(raw_dir / relative, dtype=str, keep_default_na=False)
        kept = raw[raw["area_type"].isin(["Country", "UA"]) & (raw["value"] != "NA")]
        assert (table["release"] == release.label).sum() == len(kept), release.label
    pages = pd.read_csv(raw_dir / prepare.LCC_HLE)
    assert (table["release"] == prepare.LCC_RELEASE.label).sum() == (pages["measure"] == "HLE at birth").sum()
    value = table.set_index(["area_code", "sex", "period", "release"])["hle_years"]
    # Blackpool, men, 2018-20: 53.5 before ONS's revision, 54.3 after it (PROVENANCE.md).
    assert value[("E06000009", "Male", "2018 - 20", "OHID Fingertips, 2024 extract")] == 53.5
    assert value[("E06000009", "Male", "2018 - 20", "OHID Fingertips, 2026 extract")] == 54.3
    assert value[("E10000017", "Female", "2022 - 24", "Lancashire Insight pages")] == 60.3
    assert value[("E06000064", "Female", "2022 - 24", "OHID Fingertips, 2026 extract")] == 64.4
    county = table[table["area_code"] == "E10000017"].set_index("period")["ons_series"]
    assert county["2016 - 18"].unique().tolist() == ["before revision"] and county["2021 - 23"].unique().tolist() == [
        "revised"]


def test_qof_hypertension_has_every_practice_of_each_extract_and_provenances_means(raw_dir):
    table = data.load("qof_hypertension", DATA)
    by_extract = table.groupby("extract")
    assert by_extract.size().to_dict() == {"2024-05": 200, "2025-05": 196, "2026-05": 196}
    assert by_extract["qof_year"].first().to_dict() == {"2024-05": "2022/23", "2025-05": "2023/24",
                                                        "2026-05": "2024/25"}
    means = by_extract[["hyp_under80_treated_pct", "hyp_80plus_treated_pct"]].mean().round(2)
    assert means.loc["2024-05"].tolist() == [65.44, 80.60] and means.loc["2026-05"].tolist() == [67.36, 81.86]
    assert set(table["icb_code"]) == {"QE1"}
    blank = table[table["hyp_under80_treated_pct"].isna()]
    assert len(blank) == 1 and blank["extract"].tolist() == ["2024-05"]  # one practice with no value: not 0


def test_every_figure_of_the_published_pages_is_a_published_figure_with_its_page(raw_dir):
    table = data.load("published_figures", DATA).set_index("figure_id")
    for relative in prepare.PUBLISHED_PAGES:
        raw = pd.read_csv(raw_dir / relative, dtype=str, keep_default_na=False).set_index("figure_id")
        assert set(raw.index) <= set(table.index), relative
        assert (table.loc[raw.index, "source_url"] == raw["source_url"]).all()
        assert (table.loc[raw.index, "source_publisher"] == raw["source_publisher"]).all()
    assert table.loc["timeline_2025_02_nof_segment4", "icb_code"] == "QE1"
    assert table.loc["q2_context_national_bp_ambition_2023_24", "value"] == 77


def test_the_data_package_cites_each_new_source_with_its_licence_and_each_raw_files_sha256(raw_dir):
    package = {r["name"]: r for r in data.read_package(DATA)["resources"]}
    for name in ("lsoa_deprivation", "healthy_life_expectancy", "qof_hypertension", "published_figures"):
        resource = package[name]
        assert resource["sources"] and all(s["publisher"] and s["path"] for s in resource["sources"]), name
        for raw in resource["raw_inputs"]:
            assert raw["sha256"] == hashing.file_sha256(raw_dir / raw["path"]), raw["path"]
    licences = {s["id"]: s.get("licence", "") for r in package.values() for s in r["sources"]}
    for source in ("mhclg_imd2019", "ohid_hle_2024_extract", "ohid_hle_2026_extract", "ohid_qof_hypertension"):
        assert licences[source].startswith("Open Government Licence v3.0"), source
    assert "Lancashire County Council" in licences["lcc_hle_pages"]
    qof = {s["id"]: s.get("years") for s in package["qof_hypertension"]["sources"]}
    assert qof == {"ohid_qof_hypertension": ["2022/23", "2023/24", "2024/25"]}
    assert {s["id"] for s in package["published_figures"]["sources"]} == {
        "published_figures", "published_pages_quality", "published_pages_context", "published_pages_round3"}
