"""Known answers for the quality figures: ward and ICB deprivation, HLE against the pension age, the QOF proxy."""

import pandas as pd
import pytest

from sots.analysis import claims, quality
from sots.errors import InputError

pytestmark = pytest.mark.unit


def lsoa(code, rank, decile, ward_code, ward_name, lad_code="E06000009", lad_name="Blackpool", icb="QE1"):
    return {"lsoa_code": code, "imd_rank": rank, "imd_decile": decile, "ward_code": ward_code, "ward_name": ward_name,
            "lad_code": lad_code, "lad_name": lad_name, "icb_code": icb}


def town() -> pd.DataFrame:
    """Four wards of one authority and one ward of another, with known ranks and deciles."""
    return pd.DataFrame([
        # Talbot: deciles 1, 2, 5 -> Core20 2/3, most deprived 10% 1/3, median rank 5,000
        lsoa("L1", 100, 1, "W3", "Talbot"), lsoa("L2", 5_000, 2, "W3", "Talbot"), lsoa("L3", 15_000, 5, "W3", "Talbot"),
        # Bloomfield: deciles 1, 1 -> Core20 1, 10% 1, median of 50 and 200 = 125
        lsoa("L4", 50, 1, "W1", "Bloomfield"), lsoa("L5", 200, 1, "W1", "Bloomfield"),
        # Claremont: deciles 2, 2 -> Core20 1, 10% 0, median 5,000
        lsoa("L6", 4_000, 2, "W2", "Claremont"), lsoa("L7", 6_000, 2, "W2", "Claremont"),
        # Park: deciles 5, 9 -> Core20 0, median 22,500
        lsoa("L8", 15_000, 5, "W4", "Park"), lsoa("L9", 30_000, 9, "W4", "Park"),
        # A ward of another authority, more deprived than all, which must not count
        lsoa("L10", 1, 1, "X1", "Elsewhere", lad_code="E06000008", lad_name="Blackburn with Darwen", icb="QE1"),
    ])


def test_a_wards_core20_share_most_deprived_share_and_median_rank_are_known():
    wards = quality.ward_deprivation(town(), "E06000009").set_index("ward_name")
    assert wards.loc["Talbot", "lsoas"] == 3
    assert wards.loc["Talbot", "core20_share"] == pytest.approx(2 / 3)
    assert wards.loc["Talbot", "most_deprived_10_share"] == pytest.approx(1 / 3)
    assert wards.loc["Talbot", "median_imd_rank"] == 5_000
    assert wards.loc["Bloomfield", "median_imd_rank"] == 125  # the mean of the middle two of an even count
    assert wards.loc["Park", "core20_share"] == 0
    assert "Elsewhere" not in wards.index  # another authority's ward
    assert set(wards["wards"]) == {4}


def test_wards_are_placed_by_core20_share_then_median_rank():
    wards = quality.ward_deprivation(town(), "Blackpool")
    # Bloomfield and Claremont are both all Core20; Bloomfield's lower median rank puts it first
    assert wards["ward_name"].tolist() == ["Bloomfield", "Claremont", "Talbot", "Park"]
    assert wards["place"].tolist() == [1, 2, 3, 4]
    # by median rank alone Talbot (5,000) ties Claremont (5,000): the ward code puts Claremont (W2) before it
    assert wards.set_index("ward_name")["median_rank_place"].to_dict() == {
        "Bloomfield": 1, "Claremont": 2, "Talbot": 3, "Park": 4}


def test_an_exact_tie_is_broken_by_ward_code_whatever_the_row_order():
    tied = pd.DataFrame([lsoa("A", 10, 1, "W9", "Zeta"), lsoa("B", 10, 1, "W5", "Alpha"),
                         lsoa("C", 10, 1, "W7", "Mu")])
    for frame in (tied, tied.iloc[::-1]):
        assert quality.ward_deprivation(frame, "E06000009")["ward_code"].tolist() == ["W5", "W7", "W9"]


def test_the_authority_is_found_by_name_ignoring_case_and_spaces_and_an_unknown_one_is_named():
    assert len(quality.ward_deprivation(town(), "  black POOL ")) == 4
    with pytest.raises(InputError, match=r"no local authority 'Blackpol'.*closest: 'Blackpool'"):
        quality.ward_deprivation(town(), "Blackpol")


def test_an_lsoa_without_a_ward_is_named_not_dropped():
    frame = pd.concat([town(), pd.DataFrame([lsoa("E01099999", 7, 1, None, None)])], ignore_index=True)
    with pytest.raises(InputError, match="ward_code is empty for LSOA E01099999 of Blackpool"):
        quality.ward_deprivation(frame, "Blackpool")


def test_a_ward_without_a_name_is_named_by_its_code():
    frame = pd.concat([town(), pd.DataFrame([lsoa("E01099999", 7, 1, "E05009999", None)])], ignore_index=True)
    wards = quality.ward_deprivation(frame, "Blackpool")
    assert wards["ward_name"].iloc[0] == "E05009999" and wards["place"].iloc[0] == 1


def test_named_wards_matching_the_most_deprived():
    wards = quality.ward_deprivation(town(), "Blackpool")
    got = quality.named_wards_against_most_deprived(wards, ["claremont", " BLOOM field"])
    assert got.matches and got.n == 2 and got.added == [] and got.dropped == []
    assert got.named["ward_name"].tolist() == ["Claremont", "Bloomfield"]  # as named, spelt as the data spell them
    assert got.named["place"].tolist() == [2, 1]
    assert not got.tie_at_boundary


def test_named_wards_the_data_would_add_and_drop():
    wards = quality.ward_deprivation(town(), "Blackpool")
    got = quality.named_wards_against_most_deprived(wards, ["Bloomfield", "Park"])
    assert not got.matches
    assert got.added == ["Claremont"] and got.dropped == ["Park"]
    assert got.most_deprived["ward_name"].tolist() == ["Bloomfield", "Claremont"]


def test_named_wards_by_median_rank_alone():
    frame = pd.concat([town(), pd.DataFrame([
        # Brunswick: one LSOA in decile 1, one in 7 -> Core20 1/2, median rank (120 + 20,000) / 2 = 10,060
        lsoa("L11", 120, 1, "W5", "Brunswick"), lsoa("L12", 20_000, 7, "W5", "Brunswick"),
        # Hawes Side: both decile 3 -> Core20 0, median rank 7,100: after Brunswick by place, before it by median
        lsoa("L13", 7_000, 3, "W6", "Hawes Side"), lsoa("L14", 7_200, 3, "W6", "Hawes Side"),
    ])], ignore_index=True)
    wards = quality.ward_deprivation(frame, "Blackpool").set_index("ward_name")
    assert wards.loc["Brunswick", ["place", "median_rank_place"]].tolist() == [4, 5]
    assert wards.loc["Hawes Side", ["place", "median_rank_place"]].tolist() == [5, 4]
    named = ["Bloomfield", "Claremont", "Talbot", "Brunswick"]
    assert quality.named_wards_against_most_deprived(wards.reset_index(), named).matches
    got = quality.named_wards_against_most_deprived(wards.reset_index(), named, by="median_rank_place")
    assert not got.matches and got.by == "median_rank_place"
    assert got.added == ["Hawes Side"] and got.dropped == ["Brunswick"]
    # Claremont and Talbot share a median rank of 5,000: a line drawn between them is a tie
    got = quality.named_wards_against_most_deprived(wards.reset_index(), ["Bloomfield", "Claremont"],
                                                    by="median_rank_place")
    assert got.matches and got.tie_at_boundary
    with pytest.raises(ValueError, match="by must be one of"):
        quality.named_wards_against_most_deprived(wards.reset_index(), ["Park"], by="rank")


def test_a_tie_on_the_line_is_reported():
    tied = pd.DataFrame([lsoa("A", 10, 1, "W1", "One"), lsoa("B", 10, 1, "W2", "Two"), lsoa("C", 99, 1, "W3", "Three")])
    got = quality.named_wards_against_most_deprived(quality.ward_deprivation(tied, "Blackpool"), ["One"])
    assert got.matches and got.tie_at_boundary


def test_an_unknown_or_repeated_named_ward_is_an_input_error_naming_it():
    wards = quality.ward_deprivation(town(), "Blackpool")
    with pytest.raises(InputError, match=r"'Talbott' is not one of the 4 wards of Blackpool \(closest: 'Talbot'\)"):
        quality.named_wards_against_most_deprived(wards, ["Bloomfield", "Talbott"])
    with pytest.raises(InputError, match="'park' is named twice"):
        quality.named_wards_against_most_deprived(wards, ["Park", "park"])
    with pytest.raises(InputError, match="empty"):
        quality.named_wards_against_most_deprived(wards, [])


def test_every_icbs_core20_share_and_rank():
    frame = pd.DataFrame([
        lsoa("A1", 1, 1, "w", "w", icb="QAA"), lsoa("A2", 2, 2, "w", "w", icb="QAA"),
        lsoa("A3", 3, 6, "w", "w", icb="QAA"), lsoa("A4", 4, 10, "w", "w", icb="QAA"),  # 2 of 4 Core20
        lsoa("B1", 5, 2, "w", "w", icb="QBB"), lsoa("B2", 6, 7, "w", "w", icb="QBB"),  # 1 of 2: ties with QAA
        lsoa("C1", 7, 3, "w", "w", icb="QCC"),  # decile 3 is not Core20
    ])
    icbs = quality.icb_core20_share(frame).set_index("icb_code")
    assert icbs["lsoas"].to_dict() == {"QAA": 4, "QBB": 2, "QCC": 1}
    assert icbs["core20_lsoas"].to_dict() == {"QAA": 2, "QBB": 1, "QCC": 0}
    assert icbs["core20_share"].to_dict() == {"QAA": 0.5, "QBB": 0.5, "QCC": 0.0}
    assert icbs["most_deprived_10_share"].to_dict() == {"QAA": 0.25, "QBB": 0.0, "QCC": 0.0}
    assert icbs["core20_rank"].to_dict() == {"QAA": 1, "QBB": 1, "QCC": 3}  # ties share the best rank
    assert list(icbs.index) == ["QAA", "QBB", "QCC"]


def test_an_lsoa_without_an_icb_is_named():
    frame = pd.DataFrame([lsoa("A1", 1, 1, "w", "w"), lsoa("E01000099", 2, 2, "w", "w", icb=None)])
    with pytest.raises(InputError, match="icb_code is empty for LSOA E01000099"):
        quality.icb_core20_share(frame)


def test_the_authorities_an_icb_covers_and_how_much_of_each():
    def one(code, icb, la, la_name):
        return lsoa(code, 1, 1, "w", "w", icb=icb) | {"ltla22_code": la, "ltla22_name": la_name}

    frame = pd.DataFrame([
        one("A1", "QE1", "E06000009", "Blackpool"), one("A2", "QE1", "E06000009", "Blackpool"),
        one("B1", "QE1", "E07000029", "Copeland"), one("B2", "QHM", "E07000029", "Copeland"),
        one("B3", "QHM", "E07000029", "Copeland"), one("C1", "QHM", "E07000030", "Eden"),
    ])
    got = quality.icb_authorities(frame, "QE1").set_index("ltla22_name")
    assert got["lsoas_in_icb"].to_dict() == {"Blackpool": 2, "Copeland": 1}
    assert got["lsoas"].to_dict() == {"Blackpool": 2, "Copeland": 3}
    assert got["share_in_icb"].to_dict() == pytest.approx({"Blackpool": 1.0, "Copeland": 1 / 3})
    assert got["share_of_icb"].to_dict() == pytest.approx({"Blackpool": 2 / 3, "Copeland": 1 / 3})
    assert "Eden" not in got.index
    assert quality.icb_authorities(frame, "QXX").empty


# --- Healthy life expectancy ----------------------------------------------------------------------------------------


def hle_row(code, name, sex, end, release, years):
    return {"area_code": code, "area_name": name, "area_type": "UA", "sex": sex, "period": f"{end - 2} - {end % 100}",
            "period_end": end, "release": release, "hle_years": years}


OLD, NEW = "ONS 2018-20 (before the revision)", "ONS 2022-24 (revised)"


def hle() -> pd.DataFrame:
    return pd.DataFrame([
        hle_row("E06000009", "Blackpool", "Male", 2019, OLD, 54.0),
        hle_row("E06000009", "Blackpool", "Male", 2020, OLD, 53.5),
        hle_row("E06000009", "Blackpool", "Male", 2020, NEW, 54.3),  # the same period, revised
        hle_row("E06000009", "Blackpool", "Male", 2022, NEW, 51.9),
        hle_row("E06000009", "Blackpool", "Male", 2024, NEW, 56.3),
        hle_row("E06000009", "Blackpool", "Female", 2020, OLD, 54.3),
    ])


def test_the_gap_to_the_pension_age():
    assert quality.pension_age_gap(56.3) == pytest.approx(11.7)  # 68 - 56.3
    assert quality.pension_age_gap(70.0, pension_age=67) == pytest.approx(-3.0)  # above it: negative


def test_the_default_pension_age_is_the_registers():
    assert quality.PENSION_AGE == claims.stated("Q8")


def test_releases_are_ordered_newest_first():
    assert quality.release_order(hle()) == [NEW, OLD]


def test_latest_and_before_the_report_each_keep_their_release():
    got = quality.hle_against_pension_age(hle(), ["E06000009"], before=2021)
    t = got.table.set_index(["sex", "which"])
    assert t.loc[("Male", "latest"), "period"] == "2022 - 24"
    assert t.loc[("Male", "latest"), "release"] == NEW
    assert t.loc[("Male", "latest"), "gap_years"] == pytest.approx(11.7)
    # before 2021: 2018-20, which both releases give; the newest is preferred unless told otherwise
    assert t.loc[("Male", "before"), ["period", "release", "hle_years"]].tolist() == ["2018 - 20", NEW, 54.3]
    assert t.loc[("Male", "before"), "gap_years"] == pytest.approx(13.7)
    # the female series has only the old release's 2018-20: latest and before are that value, with its release
    assert t.loc[("Female", "latest"), "release"] == OLD
    assert got.missing == []


def test_a_preferred_release_gives_the_value_as_published_then():
    got = quality.hle_against_pension_age(hle(), ["E06000009"], before=2021, prefer=[OLD])
    t = got.table.set_index(["sex", "which"])
    assert t.loc[("Male", "before"), ["release", "hle_years"]].tolist() == [OLD, 53.5]
    assert t.loc[("Male", "latest"), "release"] == NEW  # only the new release gives 2022-24


def test_before_the_report_from_the_release_the_report_had():
    got = quality.hle_against_pension_age(hle(), ["E06000009"], before=2024, before_release=OLD)
    t = got.table.set_index(["sex", "which"])
    # with before_release, the latest period of the release the report had: 2018-20 as first published
    assert t.loc[("Male", "before"), ["period", "release", "hle_years"]].tolist() == ["2018 - 20", OLD, 53.5]
    assert t.loc[("Male", "latest"), "period"] == "2022 - 24"
    unrestricted = quality.hle_against_pension_age(hle(), ["E06000009"], before=2024).table.set_index(["sex", "which"])
    assert unrestricted.loc[("Male", "before"), ["period", "release"]].tolist() == ["2020 - 22", NEW]
    # a release the area lacks gives no "before" row, and says nothing false
    none = quality.hle_against_pension_age(hle(), ["E06000009"], before_release="ONS 2099").table
    assert set(none["which"]) == {"latest"}


def test_the_gap_carries_no_floating_point_noise():
    assert quality.pension_age_gap(64.4) == 3.6
    assert quality.pension_age_gap(pd.Series([64.4, 56.3])).tolist() == [3.6, 11.7]


def test_missing_areas_are_listed_not_dropped():
    got = quality.hle_against_pension_age(hle(), ["E10000017", "E06000009", "E06000064"])
    assert got.missing == ["E10000017", "E06000064"]
    assert set(got.table["area_code"]) == {"E06000009"}
    assert set(got.table["which"]) == {"latest"}  # no year given: only the latest
    assert quality.hle_against_pension_age(hle(), ["E10000017"]).table.empty


def test_a_chart_series_never_crosses_releases():
    s = quality.hle_series(hle(), ["E06000009"])
    assert s.groupby("series")["release"].nunique().max() == 1
    male = s[s["sex"] == "Male"]
    assert male["series"].unique().tolist() == [f"Blackpool · Male · {NEW}", f"Blackpool · Male · {OLD}"]
    assert male[male["release"] == OLD]["period_end"].tolist() == [2019, 2020]  # in period order
    assert s["gap_years"].tolist() == pytest.approx((68 - s["hle_years"]).tolist())


PAGES = "County pages"


def with_series() -> pd.DataFrame:
    """:func:`hle` with the ONS series of each value, and a release of pages quoting both series for the county."""
    frame = hle().assign(ons_series=lambda d: d["release"].map({OLD: "before revision", NEW: "revised"}))
    pages = pd.DataFrame([
        hle_row("E10000017", "Lancashire", "Male", 2018, PAGES, 60.4) | {"ons_series": "before revision"},
        hle_row("E10000017", "Lancashire", "Male", 2023, PAGES, 60.5) | {"ons_series": "revised"},
        hle_row("E10000017", "Lancashire", "Male", 2024, PAGES, 59.3) | {"ons_series": "revised"},
        hle_row("E06000009", "Blackpool", "Male", 2024, PAGES, 56.3) | {"ons_series": "revised"},  # as NEW has it
        # two more of NEW's values, so the file gives more than the pages
        hle_row("E06000008", "Blackburn with Darwen", "Male", 2022, NEW, 56.2) | {"ons_series": "revised"},
        hle_row("E06000008", "Blackburn with Darwen", "Male", 2024, NEW, 54.0) | {"ons_series": "revised"},
    ])
    return pd.concat([frame, pages], ignore_index=True)


def test_a_release_quoting_both_series_is_two_lines_not_one():
    s = quality.hle_series(with_series(), ["E10000017"])
    assert s["series"].unique().tolist() == [f"Lancashire · Male · {PAGES} · before revision",
                                             f"Lancashire · Male · {PAGES} · revised"]
    assert s.groupby("series")["ons_series"].nunique().max() == 1


def test_a_data_file_comes_before_pages_reaching_the_same_period():
    # NEW and the pages both reach 2022-24; NEW gives more values (5 against 4), so it is preferred
    assert quality.release_order(with_series()) == [NEW, PAGES, OLD]
    got = quality.hle_against_pension_age(with_series(), ["E06000009"]).table
    assert got.loc[got["sex"] == "Male", "release"].tolist() == [NEW]


def test_before_the_report_from_the_series_the_report_had():
    got = quality.hle_against_pension_age(with_series(), ["E10000017", "E06000009"], before=2024,
                                          before_series="before revision")
    t = got.table.set_index(["area_code", "sex", "which"])
    assert "ons_series" in got.table.columns
    assert t.loc[("E10000017", "Male", "before"), ["period", "release", "ons_series", "hle_years"]].tolist() == [
        "2016 - 18", PAGES, "before revision", 60.4]
    assert t.loc[("E10000017", "Male", "latest"), ["period", "ons_series", "gap_years"]].tolist() == [
        "2022 - 24", "revised", 8.7]
    # 2018-20 is in both series for Blackpool; only the value before the revision is the report's
    assert t.loc[("E06000009", "Male", "before"), ["period", "release", "hle_years"]].tolist() == [
        "2018 - 20", OLD, 53.5]
    with pytest.raises(ValueError, match="ons_series"):
        quality.hle_against_pension_age(hle(), ["E06000009"], before_series="revised")


def test_the_smallest_gap():
    got = quality.hle_against_pension_age(hle(), ["E06000009"], before=2021)
    assert quality.smallest_gap(got.table)["hle_years"] == 56.3
    with pytest.raises(ValueError):
        quality.smallest_gap(got.table.iloc[0:0])


# --- QOF hypertension treated to target ---------------------------------------------------------------------------


def qof() -> pd.DataFrame:
    rows = [
        ("P1", "2022/23", 1_000.0, 60.0), ("P2", "2022/23", 3_000.0, 70.0),
        ("P3", "2022/23", 500.0, None),  # no value: left out
        ("P4", "2022/23", None, 80.0),  # no weight: left out of the weighted mean, in the plain one
        ("P1", "2023/24", 1_000.0, 64.0), ("P2", "2023/24", 1_000.0, 68.0),
    ]
    return pd.DataFrame([{"practice_code": p, "practice_name": p, "icb_code": "QE1", "extract": f"e{y[:4]}",
                          "qof_year": y, "weighted_population": w, "hyp_under80_treated_pct": v,
                          "hyp_80plus_treated_pct": None} for p, y, w, v in rows])


def test_the_population_weighted_mean_by_year():
    got = quality.weighted_treated_to_target(qof(), "hyp_under80_treated_pct").set_index("qof_year")
    # (60 × 1,000 + 70 × 3,000) / 4,000 = 67.5
    assert got.loc["2022/23", "weighted_mean_pct"] == pytest.approx(67.5)
    assert got.loc["2022/23", ["practices_used", "practices_left_out"]].tolist() == [2, 2]
    assert got.loc["2022/23", "weighted_population_used"] == 4_000
    assert got.loc["2022/23", "mean_pct"] == pytest.approx(70.0)  # (60 + 70 + 80) / 3, unweighted
    assert got.loc["2022/23", "practices_with_value"] == 3
    assert got.loc["2023/24", "weighted_mean_pct"] == pytest.approx(66.0)
    assert got.loc["2023/24", "extract"] == "e2023"


def test_a_year_with_no_weighable_practice_has_no_weighted_mean():
    got = quality.weighted_treated_to_target(qof(), "hyp_80plus_treated_pct")
    assert got["weighted_mean_pct"].isna().all()
    assert got["practices_used"].tolist() == [0, 0] and got["practices_left_out"].tolist() == [4, 2]


def test_another_weight_column_can_be_named():
    frame = qof().assign(register=[1.0, 1.0, 1.0, 1.0, 3.0, 1.0])
    got = quality.weighted_treated_to_target(frame, "hyp_under80_treated_pct", weight="register")
    # P4 has a weight in this column, so it counts; P3 still has no value
    assert got["weighted_mean_pct"].tolist() == pytest.approx([(60 + 70 + 80) / 3, (64 * 3 + 68) / 4])
    assert got["practices_used"].tolist() == [3, 2]
    with pytest.raises(InputError, match="no column 'list_size'"):
        quality.weighted_treated_to_target(frame, "hyp_under80_treated_pct", weight="list_size")


def test_an_unknown_column_is_an_input_error():
    with pytest.raises(InputError, match="no column 'hyp_pct'"):
        quality.weighted_treated_to_target(qof(), "hyp_pct")


def test_the_proxy_against_the_stated_rise_and_objective():
    by_year = quality.weighted_treated_to_target(qof(), "hyp_under80_treated_pct")
    assert quality.change_points(by_year, "2022/23", "2023/24") == pytest.approx(-1.5)  # 67.5 -> 66.0
    got = quality.proxy_against_stated(by_year, "2022/23", "2023/24", 60.0, 72.6, 77.0).set_index("measure")
    assert got.loc["start", ["stated", "proxy", "difference_points"]].tolist() == pytest.approx([60.0, 67.5, 7.5])
    assert got.loc["end", "difference_points"] == pytest.approx(66.0 - 72.6)
    assert got.loc["rise", ["stated", "proxy"]].tolist() == pytest.approx([12.6, -1.5])
    assert got.loc["short of objective", ["stated", "proxy"]].tolist() == pytest.approx([4.4, 11.0])
    assert got.loc["rise", "unit"] == "percentage points"
    with pytest.raises(ValueError, match="QOF year 2021/22"):
        quality.change_points(by_year, "2021/22", "2023/24")
