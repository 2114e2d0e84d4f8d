import pandas as pd
import pytest

from sots.errors import InputError
from sots.inputs import geography

pytestmark = pytest.mark.unit

LOOKUP = pd.DataFrame(
    {
        "icb_code": ["QE1", "QWE", "QHM"],
        "icb_gss_code": ["E54000048", "E54000031", "E54000050"],
        "icb_name": ["NHS Lancashire and South Cumbria ICB", "NHS South West London ICB",
                     "NHS North East and North Cumbria ICB"],
        "short_name": ["Lancashire and South Cumbria", "South West London", "North East and North Cumbria"],
        "region_name": ["North West", "London", "North East and Yorkshire"],
    }
)


@pytest.mark.parametrize(
    "name, key",
    [
        ("NHS Hampshire and Isle Of Wight ICB", "hampshire and isle of wight"),
        ("Hampshire & Isle of Wight ICB", "hampshire and isle of wight"),
        ("NHS Frimley Integrated Care Board", "frimley"),
        ("  Bath and North East Somerset, Swindon and Wiltshire ICB ",
         "bath and north east somerset, swindon and wiltshire"),
    ],
)
def test_normalise_name(name, key):
    assert geography.normalise_name(name) == key


def test_short_name():
    assert geography.short_name("NHS Lancashire and South Cumbria ICB") == "Lancashire and South Cumbria"


def test_match_icb_codes_joins_one_to_one_by_name():
    nhs = LOOKUP[["icb_code", "icb_name"]]
    ons = pd.DataFrame({"area_code": ["E54000031", "E54000048", "E54000050"],
                        "area_name": ["South West London ICB", "Lancashire & South Cumbria ICB",
                                      "North East and North Cumbria ICB"]})
    got = geography.match_icb_codes(nhs, ons).set_index("icb_code")["icb_gss_code"].to_dict()
    assert got == {"QE1": "E54000048", "QWE": "E54000031", "QHM": "E54000050"}


def test_match_icb_codes_names_the_unmatched():
    nhs = LOOKUP[["icb_code", "icb_name"]]
    ons = pd.DataFrame({"area_code": ["E54000048", "E54000031", "E54000099"],
                        "area_name": ["Lancashire and South Cumbria ICB", "South West London ICB", "Somewhere ICB"]})
    with pytest.raises(InputError, match="no ONS match for \\['north east and north cumbria'\\]"):
        geography.match_icb_codes(nhs, ons)


@pytest.mark.parametrize("query", ["QE1", "qe1", "E54000048", "Lancashire and South Cumbria",
                                   "NHS Lancashire & South Cumbria ICB"])
def test_resolve_icb_by_code_or_name(query):
    assert geography.resolve_icb(query, LOOKUP).icb_code == "QE1"


@pytest.mark.parametrize("query, suggested", [("QE2", "QE1 (Lancashire and South Cumbria)"),
                                              ("cumbria", "QHM (North East and North Cumbria)"),
                                              ("South West Londn", "QWE (South West London)"),
                                              ("lancs", "QE1 (Lancashire and South Cumbria)")])
def test_unknown_icb_suggests_the_closest(query, suggested):
    with pytest.raises(InputError) as err:
        geography.resolve_icb(query, LOOKUP)
    assert f"unknown ICB '{query}'" in str(err.value)
    assert suggested in str(err.value)
    assert "\n" not in str(err.value)
