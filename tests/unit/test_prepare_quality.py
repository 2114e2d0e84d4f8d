"""The readers of the deprivation, healthy life and quality sources (issue 24), on a tiny upstream with known answers
(tests/quality_raw.py) and on small frames."""

import functools
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from quality_raw import LSOAS, QOF_FILE, QOF_HEADERS, make_quality_raw, write_quality_layouts

from helpers import ROOT
from sots.errors import InputError
from sots.inputs import data, geography, prepare

pytestmark = pytest.mark.unit


@pytest.fixture
def raw(tmp_path, monkeypatch):
    """The tiny upstream, in a world of its two ICBs (QE1 and QWE), each of which the lookup must give."""
    two = geography.icb_reference()[lambda r: r["icb_code"].isin(["QE1", "QWE"])]
    monkeypatch.setattr(geography, "check_every_icb", functools.partial(geography.check_every_icb, reference=two))
    return make_quality_raw(tmp_path / "raw")


@pytest.fixture
def sources(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copyfile(ROOT / "sources" / "sources.yml", folder / "sources.yml")
    write_quality_layouts(folder)
    return folder


def edit(path, change):
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def set_cell(frame, column, row, value):
    frame.loc[row, column] = value
    return frame


# --- Deprivation --------------------------------------------------------------------------------------------------


def test_a_decile_is_its_rank_times_ten_over_the_count_rounded_up():
    # England's 32,844 LSOAs: ranks 1 to 3,284 are the most deprived tenth, 3,285 starts the second.
    assert prepare.imd_decile(pd.Series([1, 3284, 3285, 32844]), 32844).tolist() == [1, 1, 2, 10]


def test_ranks_with_a_tie_are_accepted_and_a_gap_is_not(tmp_path):
    tied = pd.DataFrame({"IMD_rank": [1, 2, 2, 4], "IMD_decile": [3, 5, 5, 10]})  # 2 and 2, then 4: a tie
    prepare.check_ranks(tied, tmp_path / "imd.csv")
    gap = pd.DataFrame({"IMD_rank": [1, 2, 4, 5], "IMD_decile": [3, 5, 10, 10]})
    with pytest.raises(InputError, match=r"imd.csv: column 'IMD_rank', line 4: expected rank 3, as 2 LSOAs "
                                         r"rank before it \(ranks run from 1 to 4"):
        prepare.check_ranks(gap, tmp_path / "imd.csv")


def test_a_decile_inconsistent_with_its_rank_is_refused(tmp_path):
    frame = pd.DataFrame({"IMD_rank": [1, 2, 3, 4], "IMD_decile": [3, 5, 8, 3]})
    with pytest.raises(InputError, match=r"column 'IMD_decile', line 5: expected 10, the decile of rank 4 among 4 "
                                         r"LSOAs, got 3"):
        prepare.check_ranks(frame, tmp_path / "imd.csv")


def test_each_lsoa_gets_its_ward_its_wards_authority_and_its_icb(raw):
    table, paths = prepare.read_lsoa_deprivation(raw)
    assert table["lsoa_code"].tolist() == LSOAS  # the Welsh LSOA of the ward lookup is not in the IMD: left out
    first = table.iloc[0]
    assert (first.imd_rank, first.imd_decile, first.ward_name, first.lad_name, first.icb_code, first.sub_icb_code) == (
        1, 1, "Bloomfield", "Blackpool", "QE1", "00R")
    assert table.groupby("icb_code").size().to_dict() == {"QE1": 5, "QWE": 5}
    assert len(paths) == 4
    data.validate(table, data.TABLES["lsoa_deprivation"], "lsoa_deprivation")


def test_an_lsoa_without_a_ward_is_refused_naming_the_imd_line(raw):
    edit(raw / prepare.LSOA_WARDS, lambda f: f[f["lsoa11_code"] != LSOAS[2]])
    with pytest.raises(InputError, match=rf"imd2019_england_lsoa11.csv: column 'lsoa11_code', line 4: '{LSOAS[2]}' "
                                         "has no ward in .*lookup_lsoa11_ward17.csv"):
        prepare.read_lsoa_deprivation(raw)


def test_a_ward_without_a_name_is_refused_unless_its_authority_is_one_the_names_file_leaves_out(raw):
    edit(raw / prepare.WARD_NAMES, lambda f: f[f["ward17_code"] != "E05000002"])
    with pytest.raises(InputError, match=r"lookup_lsoa11_ward17.csv: column 'ward17_code', line 7: 'E05000002' has no "
                                         "name in"):
        prepare.read_lsoa_deprivation(raw)
    # The same ward in the City of London (which the names file leaves out): no name, its LSOAs' authority.
    edit(raw / prepare.LSOA_ICBS, lambda f: f.assign(ltla22_code=f["ltla22_code"].replace("E07000999", "E09000001"),
                                                     ltla22_name=f["ltla22_name"].replace("Elsewhere", "City")))
    table, _ = prepare.read_lsoa_deprivation(raw)
    last = table.iloc[-1]
    assert pd.isna(last.ward_name) and (last.lad_code, last.lad_name) == ("E09000001", "City")


def test_an_unknown_icb_code_in_the_lookup_is_refused(raw):
    edit(raw / prepare.LSOA_ICBS, lambda f: f.assign(icb22_code_h=f["icb22_code_h"].replace("QE1", "QZZ")))
    with pytest.raises(InputError, match=r"lookup_lsoa11_sicbl22_icb22_ltla22.csv: column 'icb22_code_h', line 2: "
                                         r"expected one of the 42 ICB codes .*got 'QZZ'; the ICB it names, NHS "
                                         "Lancashire and South Cumbria ICB, is QE1"):
        prepare.read_lsoa_deprivation(raw)


# --- Healthy life expectancy -----------------------------------------------------------------------------------


def test_a_period_ends_in_its_last_year_across_a_century():
    assert prepare.period_end(pd.Series(["2018 - 20", "1998 - 00"])).tolist() == [2020, 2000]


def test_each_value_keeps_its_release_and_series_and_values_not_published_have_no_row(raw):
    table, paths = prepare.read_healthy_life_expectancy(raw)
    assert len(paths) == 3
    # 2024 extract: England and Blackpool (Scilly's "NA" and the district left out); 2026: three; pages: the two
    # values at birth (HLE at 65 left out).
    assert table.groupby("release").size().to_dict() == {"Lancashire Insight pages": 2,
                                                        "OHID Fingertips, 2024 extract": 2,
                                                        "OHID Fingertips, 2026 extract": 3}
    blackpool = table[(table["area_code"] == "E06000009") & (table["period"] == "2018 - 20")]
    assert blackpool.set_index("release")["hle_years"].to_dict() == {"OHID Fingertips, 2024 extract": 53.5,
                                                                     "OHID Fingertips, 2026 extract": 54.3}
    county = table[table["area_code"] == "E10000017"].set_index("period")
    assert county["ons_series"].to_dict() == {"2016 - 18": "before revision", "2022 - 24": "revised"}
    assert county["area_type"].unique().tolist() == ["County"] and county["period_end"].tolist() == [2018, 2024]
    data.validate(table, data.TABLES["healthy_life_expectancy"], "healthy_life_expectancy")


def test_a_bad_hle_value_is_named_by_its_file_column_and_line(raw):
    old = raw / list(prepare.HLE_EXTRACTS)[0]
    edit(old, lambda f: set_cell(f, "value", 1, "fifty"))
    with pytest.raises(InputError, match=r"trafford_55c6d8c.csv: column 'value', line 3: expected a number or an "
                                         "empty cell, got 'fifty'"):
        prepare.read_healthy_life_expectancy(raw)


# --- QOF hypertension -------------------------------------------------------------------------------------------


def test_a_blank_practice_value_is_kept_missing_not_zero(raw, sources):
    table, used = prepare.read_qof_hypertension(raw, sources)
    assert [layout.path.name for layout in used] == ["2024-05.yml"]
    rows = table.set_index("practice_code")
    assert rows.loc["P81002", ["hyp_under80_treated_pct", "hyp_80plus_treated_pct"]].tolist() == [70.5, 85.0]
    assert rows.loc["Y05788", ["hyp_under80_treated_pct", "hyp_80plus_treated_pct"]].isna().all()
    assert rows.loc["Y05788", "weighted_population"] == 271.8
    assert set(table["icb_code"]) == {"QE1"} and set(table["extract"]) == {"2024-05"}
    assert set(table["qof_year"]) == {"2022/23"}
    data.validate(table, data.TABLES["qof_hypertension"], "qof_hypertension")


def test_an_icb_name_with_its_sub_icb_is_the_icbs_and_an_unknown_name_is_refused(raw, sources):
    header = QOF_HEADERS["icb_name"]
    edit(raw / QOF_FILE, lambda f: f.assign(**{header: "Lancashire and South Cumbria ICB - 00Q "}))
    table, _ = prepare.read_qof_hypertension(raw, sources)
    assert set(table["icb_code"]) == {"QE1"}
    edit(raw / QOF_FILE, lambda f: set_cell(f, header, 2, "NHS Nowhere ICB"))
    with pytest.raises(InputError, match=r"efit_QE1_indicators_extract_2024-05.csv: column 'ICB name', line 4: "
                                         "expected the name of one of the 42 ICBs .*got 'NHS Nowhere ICB'"):
        prepare.read_qof_hypertension(raw, sources)


def test_a_per_cent_over_100_is_refused(raw, sources):
    header = QOF_HEADERS["hyp_under80_treated_pct"]
    edit(raw / QOF_FILE, lambda f: set_cell(f, header, 0, "675"))
    with pytest.raises(InputError, match=re.escape(f"column '{header}', line 2: expected a number from 0 to 100 or "
                                                   "an empty cell, got '675'")):
        prepare.read_qof_hypertension(raw, sources)


def test_numbers_or_blanks_parse_blanks_and_na_as_missing(tmp_path):
    frame = pd.DataFrame({"v": ["1.5", "", "NA", "2,000"]})
    parsed = prepare._numeric_or_blank(frame, ["v"], tmp_path / "f.csv", data.Bounds(0, 5000), {"", "NA"})
    assert parsed["v"].tolist()[0] == 1.5 and np.isnan(parsed["v"][1]) and np.isnan(parsed["v"][2])
    assert parsed["v"][3] == 2000


# --- The published pages' figures ------------------------------------------------------------------------------


def test_the_pages_figures_join_the_published_figures_with_their_icb_year_and_paraphrase_only(raw):
    figures, paths, years = prepare.read_page_figures(raw)
    assert len(paths) == 3
    rows = figures.set_index("figure_id")
    f7 = rows.loc["f7_context_icb_deficit_month6_2023_24"]
    assert (f7.icb_code, f7.year, f7.measure, f7.value) == ("QE1", "2023/24", f7.name, 50.4)
    assert pd.isna(f7.context)  # round 3 quotes its page verbatim: not kept
    national = rows.loc["q2_context_national_bp_ambition_2023_24"]
    assert pd.isna(national.icb_code) and pd.isna(national.year) and national.context == "A paraphrase."
    assert years == {"published_pages_quality": [], "published_pages_context": [],
                     "published_pages_round3": ["2023/24"]}


def test_a_figure_id_in_two_files_is_refused(raw, tmp_path):
    figures, _, _ = prepare.read_page_figures(raw)
    with pytest.raises(InputError, match=r"figure q2_context_national_bp_ambition_2023_24 \(published figures and "
                                         r"pages\) appears more than once"):
        prepare.join_published(figures.iloc[:1], figures, tmp_path / "published_figures")
