import pandas as pd
import pytest

from sots.analysis import claims
from sots.errors import InputError
from sots.inputs import geography

pytestmark = pytest.mark.unit


def _estimates():
    rows = []
    for code, persons in ((geography.BARROW, 30.0), (geography.SOUTH_LAKELAND, 50.0), (geography.EDEN, 20.0)):
        rows += [{"year": 2020, "area_code": code, "age": age, "persons": persons * (1 + (age == 90))}
                 for age in (0, 90)]
    rows.append({"year": 2020, "area_code": geography.EDEN, "age": 45, "persons": 0.0})
    return pd.DataFrame(rows)


def test_south_cumbria_share_is_barrow_and_south_lakeland_over_westmorland_and_furness():
    share = geography.south_cumbria_share(_estimates())
    assert share[0] == pytest.approx(0.8) and share[90] == pytest.approx(160 / 200)
    with pytest.raises(InputError, match="no 2019 estimates"):
        geography.south_cumbria_share(_estimates(), year=2019)


def test_lsc_footprint_has_four_places_and_leaves_out_eden():
    parts = geography.footprint(geography.LSC_GSS, _estimates())
    assert [p.place for p in parts] == ["Lancashire", "Blackburn with Darwen", "Blackpool", "South Cumbria"]
    assert parts[-1].area_code == geography.WESTMORLAND_AND_FURNESS and parts[-1].share[0] == pytest.approx(0.8)
    assert all(p.share is None for p in parts[:3])
    assert geography.footprint(geography.LSC_GSS, exact=False) == [geography.Component(geography.LSC_GSS, "Whole ICB")]
    assert geography.footprint("E54000031") == [geography.Component("E54000031", "Whole ICB")]
    assert set(geography.localities(geography.LSC_GSS).values()) == {
        "East Lancashire", "North Lancashire", "Central Lancashire"}
    assert len(geography.localities(geography.LSC_GSS)) == 12 and geography.localities("E54000031") == {}


def test_claims_register_is_checked(tmp_path):
    path = tmp_path / "claims.yml"
    path.write_text("claims:\n  - {id: D1, label: l, reason: r, claim: x, stated: 21, unit: '%', rule: stated only, "
                    "figures: [], tolerance: 0.5, explanation: e, chapter: notebooks/c}\n")
    assert claims.stated("D1", path) == 21
    path.write_text("claims:\n  - {id: D1, label: l, reason: r, claim: x, stated: 21, unit: '%', rule: stated only, "
                    "figures: [], explanation: e, chapter: notebooks/c}\n")
    with pytest.raises(InputError, match="claim D1: field 'tolerance': expected a finite number, 0 or more, in the "
                                         "stated unit, got nothing"):
        claims.load(path)
    good = ("  - {id: D1, label: l, reason: r, claim: x, stated: 21, unit: '%', rule: stated only, figures: [], "
            "tolerance: 0.5, explanation: e, chapter: notebooks/c}\n")
    path.write_text("claims:\n" + good + good)
    with pytest.raises(InputError, match="claim D1: appears twice"):
        claims.load(path)


def test_the_projects_register_has_the_claims_the_chapters_use():
    register = claims.load()
    assert {"D1", "D2", "D3", "D4", "D5", "D6", "F9", "Q7"} <= set(register)


def test_every_claim_links_to_a_page_of_the_book():
    import yaml

    from helpers import ROOT
    from sots.toc import notebooks_in_toc

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = set(notebooks_in_toc(toc)) | {toc["root"]}
    missing = {cid: c["chapter"] for cid, c in claims.load().items() if c["chapter"] not in pages}
    assert missing == {}
