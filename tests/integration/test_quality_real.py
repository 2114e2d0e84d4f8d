"""The quality figures (sots.analysis.quality) on the prepared tables agree with a direct computation from the raw
files.

Each check recomputes its figure with plain pandas from the upstream files in ../shared/data/raw, without the prepared
tables or sots.analysis.quality: the IMD 2019 ranks and deciles with ONS's LSOA-to-ward and LSOA-to-ICB lookups (Q6),
the Fingertips healthy life expectancy extracts (Q8) and the eFIT QOF extracts (Q2).
"""

import pandas as pd
import pytest

from helpers import DATA
from sots.analysis import quality
from sots.inputs import data

pytestmark = pytest.mark.integration

IMD = "mhclg_imd2019_lsoa_ward_lookup"
BLACKPOOL = "E06000009"
NAMED = ["Bloomfield", "Claremont", "Talbot", "Tyldesley", "Park"]  # the report's five wards (claim Q6)


@pytest.fixture(scope="module")
def lsoas():
    return data.load("lsoa_deprivation", DATA)


@pytest.fixture(scope="module")
def raw_lsoas(raw_dir):
    """Every LSOA's IMD rank and decile, its 2017 ward (code, name, 2019 authority) and its ICB, straight from the raw
    files (names joined left: the names file leaves out a few wards)."""
    folder = raw_dir / IMD
    imd = pd.read_csv(folder / "imd2019_england_lsoa11.csv", usecols=["lsoa11_code", "IMD_rank", "IMD_decile"])
    wards = pd.read_csv(folder / "lookup_lsoa11_ward17.csv")
    names = pd.read_csv(folder / "ward17_names_from_cni2019.csv")
    icbs = pd.read_csv(folder / "lookup_lsoa11_sicbl22_icb22_ltla22.csv", usecols=["lsoa11_code", "icb22_code_h"])
    return (imd.merge(wards, on="lsoa11_code", how="left").merge(names, on="ward17_code", how="left")
            .merge(icbs, on="lsoa11_code", how="left"))


def test_blackpools_wards_as_computed_from_the_raw_files(lsoas, raw_lsoas):
    raw = raw_lsoas[raw_lsoas["lad19_code"] == BLACKPOOL]
    direct = raw.groupby("ward17_name").agg(
        lsoas=("lsoa11_code", "size"),
        core20_share=("IMD_decile", lambda d: (d <= 2).mean()),
        most_deprived_10_share=("IMD_decile", lambda d: (d == 1).mean()),
        median_imd_rank=("IMD_rank", "median"),
    )
    got = quality.ward_deprivation(lsoas, BLACKPOOL).set_index("ward_name")
    assert sorted(got.index) == sorted(direct.index)
    columns = ["lsoas", "core20_share", "most_deprived_10_share", "median_imd_rank"]
    pd.testing.assert_frame_equal(got.loc[direct.index, columns].astype(float), direct[columns].astype(float),
                                  check_names=False)
    # places: by Core20 share (highest first), then median rank (lowest first), then ward code
    ordered = direct.assign(code=raw.groupby("ward17_name")["ward17_code"].first()).sort_values(
        ["core20_share", "median_imd_rank", "code"], ascending=[False, True, True])
    assert got.sort_values("place").index.tolist() == ordered.index.tolist()
    assert got.sort_values("median_rank_place").index.tolist() == direct.sort_values("median_imd_rank").index.tolist()


def test_the_named_wards_against_the_five_most_deprived(lsoas, raw_lsoas):
    wards = quality.ward_deprivation(lsoas, "Blackpool")
    raw = raw_lsoas[raw_lsoas["lad19_code"] == BLACKPOOL]
    by_median = raw.groupby("ward17_name")["IMD_rank"].median().sort_values()
    top = list(by_median.index[: len(NAMED)])
    got = quality.named_wards_against_most_deprived(wards, NAMED, by="median_rank_place")
    assert got.added == [w for w in top if w not in NAMED]
    assert got.dropped == [w for w in by_median.index if w in NAMED and w not in top]
    assert got.matches is (set(top) == set(NAMED))
    # every named ward is in the data, spelt as the report spells it
    assert got.named["ward_name"].tolist() == NAMED


def test_every_icbs_core20_share_as_computed_from_the_raw_files(lsoas, raw_lsoas):
    direct = raw_lsoas.groupby("icb22_code_h").agg(
        lsoas=("lsoa11_code", "size"), core20_share=("IMD_decile", lambda d: (d <= 2).mean()),
    )
    got = quality.icb_core20_share(lsoas).set_index("icb_code")
    assert len(got) == 42 and sorted(got.index) == sorted(direct.index)
    assert got["lsoas"].sum() == len(raw_lsoas)
    pd.testing.assert_series_equal(got.loc[direct.index, "core20_share"], direct["core20_share"], check_names=False)
    assert got.loc[direct.index, "lsoas"].tolist() == direct["lsoas"].tolist()
    highest = direct["core20_share"].idxmax()
    assert got.loc[highest, "core20_rank"] == 1


HLE = "ohid_fingertips_healthy_life_expectancy"
BEFORE = "healthy_life_expectancy_ua_2010-12_to_2018-20_trafford_55c6d8c.csv"  # the extract before ONS's revision
REVISED = "healthy_life_expectancy_utla_2015-17_to_2022-24_trafford_ae20a08.csv"


def raw_hle(raw_dir, name: str, area: str) -> pd.DataFrame:
    frame = pd.read_csv(raw_dir / HLE / name)
    return frame[frame["area_code"] == area].assign(period_end=lambda d: 2000 + d["period"].str[-2:].astype(int))


@pytest.mark.parametrize("area", [BLACKPOOL, "E06000008"])  # Blackpool, Blackburn with Darwen
def test_hle_against_the_pension_age_as_in_the_raw_extracts(raw_dir, area):
    hle = data.load("healthy_life_expectancy", DATA)
    got = quality.hle_against_pension_age(hle, [area], before=2024, before_series="before revision")
    assert got.missing == []
    table = got.table.set_index(["sex", "which"])
    for which, name in (("latest", REVISED), ("before", BEFORE)):
        raw = raw_hle(raw_dir, name, area)
        last = raw[raw["period_end"] == raw["period_end"].max()].set_index("inequality")
        for sex in ("Female", "Male"):
            row = table.loc[(sex, which)]
            assert row["period"] == last.loc[sex, "period"]
            assert row["hle_years"] == pytest.approx(last.loc[sex, "value"])
            assert row["gap_years"] == pytest.approx(68 - last.loc[sex, "value"])


def test_an_area_no_extract_covers_is_listed(raw_dir):
    hle = data.load("healthy_life_expectancy", DATA)
    covered = {code for name in (REVISED, BEFORE) for code in pd.read_csv(raw_dir / HLE / name)["area_code"]}
    absent = "E10000023"  # North Yorkshire county: neither extract keeps county rows
    assert absent not in covered
    assert quality.hle_against_pension_age(hle, [absent, BLACKPOOL]).missing == [absent]


QOF = "ohid_fingertips_qof_hypertension_practice_efit"


@pytest.mark.parametrize("extract", ["2024-05", "2025-05", "2026-05"])
def test_the_weighted_qof_proxy_as_computed_from_the_raw_extract(raw_dir, extract):
    raw = pd.read_csv(raw_dir / QOF / f"efit_QE1_indicators_extract_{extract}.csv", encoding="utf-8-sig")
    qof = data.load("qof_hypertension", DATA)
    for column, marker in (("hyp_under80_treated_pct", "<80"), ("hyp_80plus_treated_pct", "80+")):
        value = raw[next(c for c in raw.columns if c.startswith("Last BP reading") and marker in c)]
        weight = raw["Weighted population"]
        ok = value.notna() & weight.notna() & (weight > 0)
        expected = (value[ok] * weight[ok]).sum() / weight[ok].sum()
        got = quality.weighted_treated_to_target(qof[qof["icb_code"] == "QE1"], column).set_index("extract")
        assert got.loc[extract, "weighted_mean_pct"] == pytest.approx(expected, rel=1e-9)
        assert got.loc[extract, "practices_used"] == ok.sum()
        assert got.loc[extract, "practices_used"] + got.loc[extract, "practices_left_out"] == len(raw)
