"""The bad-input catalogue for the sources of the deprivation, healthy life and quality chapter (issue 24): for each
raw file `sots prepare` reads, a missing column, a bad number and an unknown code, each refused in one line naming the
file, the column and the line, with `data/` unchanged (tests/catalogue.py). `sots prepare` reads these sources first,
so each case stops within a second or two."""

from __future__ import annotations

import pandas as pd
import pytest
from catalogue import cases, refused

from helpers import upstream
from sots.inputs import prepare

pytestmark = pytest.mark.integration

HLE_2024, HLE_2026 = prepare.HLE_EXTRACTS
QOF_2025 = "ohid_fingertips_qof_hypertension_practice_efit/efit_QE1_indicators_extract_2025-05.csv"
QOF_UNDER_80 = ("Last BP reading of patients (<80 yrs, with hypertension), in the last 12 months is <= 140/90 mmHg "
                "(denominator incl. PCAs)")
QOF_80_PLUS = ("Last BP reading of patients (80+ yrs, with hypertension), in the last 12 months is <= 150/90 mmHg "
               "(denominator incl. PCAs)")
PAGES_QUALITY, PAGES_CONTEXT, PAGES_ROUND3 = prepare.PUBLISHED_PAGES


def edit_csv(path, change):
    """Rewrite a publisher's CSV (every cell as text, its BOM dropped) as ``change(frame)`` returns it."""
    change(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")).to_csv(path, index=False)


def set_cell(column, row, value):
    def change(frame):
        frame.loc[row, column] = value
        return frame
    return change


def renamed(column, to):
    return lambda frame: frame.rename(columns={column: to})


def damage(change, *expected):
    """A damage: ``change`` a frame of the file, and the texts the error line must hold (``{path}``: the file)."""
    def apply(path):
        edit_csv(path, change)
        return [text.replace("{path}", str(path)) for text in expected]
    return apply


def ward_row(path, ward):
    """A row of the ward lookup (not one of the City of London's, whose wards have no name) set to ``ward``."""
    frame = pd.read_csv(path, dtype=str)
    row = int(frame.index[frame["lsoa11_code"] == "E01012000"][0])
    return damage(set_cell("ward17_code", row, ward), f"{{path}}: column 'ward17_code', line {row + 2}: '{ward}' has "
                  "no name in ")(path)


def unknown_icb(path):
    frame = pd.read_csv(path, dtype=str)
    row = int(frame.index[frame["icb22_code_h"] == "QE1"][0])
    return damage(lambda f: f.assign(icb22_code_h=f["icb22_code_h"].replace("QE1", "QZZ")),
                  f"{{path}}: column 'icb22_code_h', line {row + 2}: expected one of the 42 ICB codes",
                  "got 'QZZ'; the ICB it names, NHS Lancashire and South Cumbria ICB, is QE1")(path)


@cases("relative, change", [
    # The IMD 2019 ranks and deciles
    pytest.param(prepare.IMD, damage(renamed("IMD_rank", "Rank"), "{path}: missing column 'IMD_rank' (expected "
                                     "columns ['lsoa11_code', 'IMD_rank', 'IMD_decile'])"), id="imd-column-missing"),
    pytest.param(prepare.IMD, damage(set_cell("IMD_rank", 5, "n/a"),
                                     "{path}: column 'IMD_rank', line 7: expected a number, got 'n/a'"),
                 id="imd-rank-not-a-number"),
    pytest.param(prepare.IMD, damage(set_cell("lsoa11_code", 3, "W01000001"),
                                     "{path}: column 'lsoa11_code', line 5: expected str_matches('^E01\\d{6}$'), got "
                                     "'W01000001'"), id="imd-unknown-lsoa-code"),
    pytest.param(prepare.IMD, damage(set_cell("IMD_decile", 0, "3.0"),
                                     "{path}: column 'IMD_decile', line 2: expected 9, the decile of rank 29199 among "
                                     "32844 LSOAs, got 3"), id="imd-decile-inconsistent-with-rank"),
    pytest.param(prepare.IMD, damage(set_cell("IMD_rank", 0, "1.0"),
                                     "{path}: column 'IMD_rank', line ", ": expected rank 3, as 2 LSOAs rank before it "
                                     "(ranks run from 1 to 32844, one per LSOA of the file, tied LSOAs sharing the "
                                     "best), got 2"),
                 id="imd-rank-twice"),
    # LSOA -> ward (2017), and the wards' names
    pytest.param(prepare.LSOA_WARDS, damage(renamed("ward17_code", "WD17CD"), "{path}: missing column 'ward17_code'"),
                 id="ward-lookup-column-missing"),
    pytest.param(prepare.LSOA_WARDS, lambda path: ward_row(path, "E05999999"), id="ward-unknown-code"),
    pytest.param(prepare.LSOA_WARDS, damage(lambda f: f[f["lsoa11_code"] != "E01012000"],
                                            "imd2019_england_lsoa11.csv: column 'lsoa11_code', line ",
                                            ": 'E01012000' has no ward in {path} (expected every code there)"),
                 id="lsoa-without-a-ward"),
    pytest.param(prepare.WARD_NAMES, damage(renamed("ward17_name", "name"), "{path}: missing column 'ward17_name'"),
                 id="ward-names-column-missing"),
    pytest.param(prepare.WARD_NAMES, damage(set_cell("lad19_code", 4, "Barking"),
                                            "{path}: column 'lad19_code', line 6: expected str_matches(", "got "
                                            "'Barking'"), id="ward-names-unknown-authority-code"),
    # LSOA -> sub-ICB, ICB, LAD (2022)
    pytest.param(prepare.LSOA_ICBS, damage(renamed("icb22_code_h", "icb22cdh"),
                                           "{path}: missing column 'icb22_code_h'"), id="lsoa-icb-column-missing"),
    pytest.param(prepare.LSOA_ICBS, unknown_icb, id="lsoa-icb-unknown-code"),
    # Healthy life expectancy: the Fingertips extracts and Lancashire's pages
    pytest.param(HLE_2024, damage(renamed("value", "Value"), "{path}: missing column 'value'"),
                 id="hle-column-missing"),
    pytest.param(HLE_2024, damage(set_cell("value", 0, "sixty"), "{path}: column 'value', line 2: expected a number "
                                  "or an empty cell, got 'sixty'"), id="hle-value-not-a-number"),
    pytest.param(HLE_2026, damage(set_cell("value", 1, "640"), "{path}: column 'value', line 3: expected a number "
                                  "from 30 to 90 or an empty cell, got '640'"), id="hle-value-out-of-range"),
    pytest.param(HLE_2026, damage(set_cell("area_code", 0, "England"), "{path}: column 'area_code', line 2: expected "
                                  "str_matches('^E\\d{8}$'), got 'England'"), id="hle-unknown-area-code"),
    pytest.param(HLE_2026, damage(set_cell("inequality", 2, "Persons"), "{path}: column 'inequality', line 4: "
                                  "expected isin(['Female', 'Male']), got 'Persons'"), id="hle-unknown-sex"),
    pytest.param(prepare.LCC_HLE, damage(set_cell("value_years", 0, "sixty"), "{path}: column 'value_years', "
                                         "line 2: expected a number or an empty cell, got 'sixty'"),
                 id="lcc-hle-value-not-a-number"),
    pytest.param(prepare.LCC_HLE, damage(set_cell("area_code", 0, "E07000117"), "{path}: column 'area_code', line 2: "
                                         "expected the code of England, a county or a unitary authority (starting "
                                         "E92, E10, E06, E08, E09), got 'E07000117'"), id="lcc-hle-unknown-area-code"),
    pytest.param(prepare.LCC_HLE, damage(renamed("sex", "gender"), "{path}: missing column 'sex'"),
                 id="lcc-hle-column-missing"),
    # QOF hypertension, read through its layouts
    pytest.param(QOF_2025, damage(renamed(QOF_UNDER_80, "HYP008"), f"{{path}}: no column '{QOF_UNDER_80}' (the layout ",
                                  "reads it as 'hyp_under80_treated_pct'"), id="qof-column-missing"),
    pytest.param(QOF_2025, damage(set_cell(QOF_80_PLUS, 3, "n/a"), f"{{path}}: column '{QOF_80_PLUS}', line 5: "
                                  "expected a number or an empty cell, got 'n/a'"), id="qof-value-not-a-number"),
    pytest.param(QOF_2025, damage(set_cell(QOF_UNDER_80, 3, "675"), f"{{path}}: column '{QOF_UNDER_80}', line 5: "
                                  "expected a number from 0 to 100 or an empty cell, got '675'"),
                 id="qof-per-cent-over-100"),
    pytest.param(QOF_2025, damage(set_cell("ICB name", 7, "NHS Nowhere ICB"), "{path}: column 'ICB name', line 9: "
                                  "expected the name of one of the 42 ICBs (July 2022 boundaries), got 'NHS Nowhere "
                                  "ICB'"), id="qof-unknown-icb-name"),
    pytest.param(QOF_2025, damage(set_cell("GP code", 2, "81005"), "{path}: column 'GP code', line 4: expected "
                                  "str_matches('^[A-Z]\\d{5}$'), got '81005'"), id="qof-unknown-practice-code"),
    # The published pages' figures
    pytest.param(PAGES_QUALITY, damage(renamed("source_url", "url"), "{path}: missing column 'source_url'"),
                 id="pages-column-missing"),
    pytest.param(PAGES_CONTEXT, damage(set_cell("value", 0, "just over 60"), "{path}: column 'value', line 2: "
                                       "expected a number or an empty cell, got 'just over 60'"),
                 id="pages-value-not-a-number"),
    pytest.param(PAGES_ROUND3, damage(set_cell("figure_id", 0, "Q5-contracts"), "{path}: column 'figure_id', line 2: "
                                      "expected str_matches('^[a-z0-9_]+$'), got 'Q5-contracts'"),
                 id="pages-unknown-figure-id"),
    pytest.param(PAGES_ROUND3, damage(set_cell("figure_id", 1, "q5_cyp_mh_contracts_total"),
                                      "{path}: column 'figure_id', line 3: expected each figure_id once, got "
                                      "'q5_cyp_mh_contracts_total' again (first on line 2)"), id="pages-figure-twice"),
    pytest.param(PAGES_ROUND3, damage(set_cell("figure_id", 1, "lsc_2324_system_deficit_after_support"),
                                      "published_figures/figures*.csv: figure lsc_2324_system_deficit_after_support "
                                      "(published figures and pages) appears more than once (expected each figure id "
                                      "once, across the published figures and the published pages)"),
                 id="pages-figure-also-a-finance-figure"),
])
def test_prepare_refuses_a_bad_quality_source_naming_its_file_column_and_line(project, tmp_path, relative, change):
    raw = upstream(tmp_path / "raw", relative)
    expected = change(raw / relative)
    refused(project, "prepare", "--raw", str(raw), expected=expected)
