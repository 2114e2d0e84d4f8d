"""A tiny upstream of the deprivation, healthy life and quality sources (issue 24), laid out like the real one, with
known answers: for the unit tests of `sots prepare` (tests/unit/test_prepare*.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from sots.inputs import prepare

# Ten LSOAs ranked 1 (most deprived) to 10: among ten, each rank is its own decile.
LSOAS = [f"E01{n:06d}" for n in range(1, 11)]
BLACKPOOL, ELSEWHERE = "E06000009", "E07000999"
WARDS = {"E05000001": ("Bloomfield", BLACKPOOL, "Blackpool"), "E05000002": ("Somewhere", ELSEWHERE, "Elsewhere")}
QOF_HEADERS = {
    "icb_name": "ICB name", "practice_code": "GP code", "practice_name": "GP name",
    "weighted_population": "Weighted population",
    "hyp_under80_treated_pct": "Last BP reading (<80 yrs) (%)",
    "hyp_80plus_treated_pct": "Last BP reading (80+ yrs) (%)",
}
QOF_FILE = "ohid_fingertips_qof_hypertension_practice_efit/efit_QE1_indicators_extract_2024-05.csv"
PAGE_SOURCE = {"source_title": "A page", "source_url": "https://example.org/page", "source_publisher": "An NHS body"}


def write_quality_layouts(sources: Path) -> None:
    """The QOF extract's layout in a tiny ``sources`` folder."""
    folder = sources / "layouts" / "qof_hypertension"
    folder.mkdir(parents=True, exist_ok=True)
    layout = {"source": "ohid_qof_hypertension", "file": QOF_FILE, "years": ["2022/23"], "columns": QOF_HEADERS}
    (folder / "2024-05.yml").write_text(yaml.safe_dump(layout, sort_keys=False))


def _csv(root: Path, relative: str, rows: list[dict]) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)


def make_quality_raw(root: Path) -> Path:
    """Write the tiny sources into the upstream folder ``root``: LSOAs 1-5 in a Blackpool ward and QE1, 6-10 in another
    ward and QWE; healthy life expectancy for England and Blackpool in two extracts and the county's pages; three
    practices of QE1 (one with its measures blank); one figure in each published pages' folder."""
    _csv(root, prepare.IMD, [{"lsoa11_code": code, "IMD_decile": f"{n}.0", "Income_decile": "1.0",
                              "IMD_rank": f"{n}.0", "Income_rank": "1.0"} for n, code in enumerate(LSOAS, 1)])
    _csv(root, prepare.LSOA_WARDS, [{"lsoa11_code": code, "ward17_code": "E05000001" if n <= 5 else "E05000002"}
                                    for n, code in enumerate(LSOAS, 1)]
         + [{"lsoa11_code": "W01000001", "ward17_code": "W05000001"}])  # Wales: not in the IMD, left out
    _csv(root, prepare.WARD_NAMES, [{"ward17_code": code, "ward17_name": name, "lad19_code": lad, "lad19_name": lname}
                                    for code, (name, lad, lname) in WARDS.items()])
    _csv(root, prepare.LSOA_ICBS, [
        {"lsoa11_name": "x", "lsoa11_code": code, "sicbl22_name": "x", "sicbl22_code": "E38000015",
         "sicbl22_code_h": "00R" if n <= 5 else "36L",
         "icb22_name": "NHS Lancashire and South Cumbria ICB" if n <= 5 else "NHS South West London ICB",
         "icb22_code": "E54000048" if n <= 5 else "E54000031", "icb22_code_h": "QE1" if n <= 5 else "QWE",
         "ltla22_name": "Blackpool" if n <= 5 else "Elsewhere", "ltla22_code": BLACKPOOL if n <= 5 else ELSEWHERE}
        for n, code in enumerate(LSOAS, 1)])

    def hle(area_code, area_name, area_type, period, value, sex):
        return {"area_code": area_code, "area_name": area_name, "area_type": area_type, "period": period,
                "indicator": "Healthy life expectancy at birth", "measure": "Life expectancy", "unit": "Years",
                "value": value, "compared_to_England": "Similar", "inequality": sex}
    old, new = list(prepare.HLE_EXTRACTS)
    _csv(root, old, [hle("E92000001", "England", "Country", "2018 - 20", "63.1", "Male"),
                     hle(BLACKPOOL, "Blackpool", "UA", "2018 - 20", "53.5", "Male"),
                     hle("E06000053", "Isles of Scilly", "UA", "2018 - 20", "NA", "Male"),  # not published: no row
                     hle(ELSEWHERE, "Elsewhere", "District", "2018 - 20", "NA", "Male")])  # lower tier: left out
    _csv(root, new, [hle("E92000001", "England", "Country", "2018 - 20", "63.1", "Male"),
                     hle(BLACKPOOL, "Blackpool", "UA", "2018 - 20", "54.3", "Male"),
                     hle(BLACKPOOL, "Blackpool", "UA", "2022 - 24", "50.9", "Female")])
    url = "https://www.lancashire.gov.uk/lancashire-insight/"
    _csv(root, prepare.LCC_HLE, [
        {"area_code": "E10000017", "area_name": "Lancashire", "period": period, "measure": measure, "sex": "Male",
         "value_years": value, "source_url": url, "page_text_file": "page_text/x.txt"}
        for period, measure, value in (("2016 - 18", "HLE at birth", "60.4"), ("2022 - 24", "HLE at birth", "59.3"),
                                       ("2022 - 24", "HLE at 65", "9.2"))])

    _csv(root, QOF_FILE, [
        {QOF_HEADERS["icb_name"]: "NHS Lancashire and South Cumbria ICB", QOF_HEADERS["practice_code"]: code,
         QOF_HEADERS["practice_name"]: name, QOF_HEADERS["weighted_population"]: pop, "Other (%)": "1",
         QOF_HEADERS["hyp_under80_treated_pct"]: under, QOF_HEADERS["hyp_80plus_treated_pct"]: over}
        for code, name, pop, under, over in (("P81001", "A surgery", "10000.5", "60", "80"),
                                             ("P81002", "B surgery", "5000", "70.5", "85"),
                                             ("Y05788", "C surgery", "271.8", "", ""))])

    figure = {"value": "77", "unit": "percent", "period": "by March 2024", "geography": "England",
              "description": "The 2023/24 objective", **PAGE_SOURCE}
    quality, context, round3 = prepare.PUBLISHED_PAGES
    _csv(root, quality, [{"figure_id": "q2_context_national_bp_ambition_2023_24", **figure,
                          "quoted_context": "A paraphrase."}])
    _csv(root, context, [{"figure_id": "q2_context_england_bp_controlled_2022_23", **figure, "value": "68",
                          "period": "2022-23", "evidence_file": "page_text/x.txt", "evidence_regex": "68%"}])
    _csv(root, round3, [{"figure_id": "f7_context_icb_deficit_month6_2023_24", **figure, "value": "50.4",
                         "unit": "GBP million", "period": "2023/24 month 6",
                         "geography": "NHS Lancashire and South Cumbria ICB (QE1)",
                         "quoted_context": "a verbatim quotation"}])
    return root
