"""`prepare` on a tiny upstream laid out like the real one: known sums, and a clear error for each bad input."""

import pandas as pd
import pytest

from sots import data, prepare
from sots.errors import InputError

pytestmark = pytest.mark.unit

ICBS = {"QE1": ("NHS Lancashire and South Cumbria ICB", "E54000048"), "QWE": ("NHS South West London ICB", "E54000031")}


def make_raw(root, practices=None):
    """Write a two-ICB upstream: allocations, two practices per ICB, and ONS area codes."""
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
                          **{c: pop * 1.1 for c in prepare.PRACTICE_WP_COLUMNS}})
    pd.DataFrame(prows).to_csv(wp_dir / "gp_practice_weighted_population_2023_24.csv", index=False)

    su_dir = root / "su_hmhc_2018snpp_activity"
    su_dir.mkdir()
    areas = [{"area_code": gss, "area_name": name.removeprefix("NHS "), "area_type": "ICB"} for name, gss in ICBS.values()]
    areas.append({"area_code": "E06000008", "area_name": "Blackburn with Darwen", "area_type": "LAD (unitary)"})
    pd.DataFrame(areas).to_csv(su_dir / "area_codes_names.csv", index=False)
    return root


def test_prepare_sums_practices_and_matches_codes(tmp_path):
    raw, out = make_raw(tmp_path / "raw"), tmp_path / "data"
    assert prepare.prepare(raw, out) == {"icb_allocations": 2, "icb_weighted_population": 2, "icb_lookup": 2}
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
    with pytest.raises(InputError, match=r"tidy_derived.csv: missing column 'core_total_allocation_k'"):
        prepare.prepare(raw, tmp_path / "data")


def test_registered_populations_from_two_sources_must_agree(tmp_path):
    raw = make_raw(tmp_path / "raw")
    path = next((raw / "nhse_icb_allocations_2023_24_to_2024_25").glob("*.csv"))
    df = pd.read_csv(path)
    df.loc[df["icb_code"] == "QWE", "registered_population_implied"] = 2100.0
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"QWE 2023/24: registered population 2,000.0 \(practices\) against 2,100.0"):
        prepare.prepare(raw, tmp_path / "data")


def test_a_missing_source_folder_is_named(tmp_path):
    raw = make_raw(tmp_path / "raw")
    for f in (raw / "nhse_allocations_gp_weighted_pop").iterdir():
        f.unlink()
    with pytest.raises(InputError, match=r"gp_practice_weighted_population_\*.csv: no file matches"):
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
