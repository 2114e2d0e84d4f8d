"""ICB names as the book writes them: NHS England's files capitalise every word of some ("Isle Of Wight"); the short
names the chapters use are written as English writes them."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import DATA
from sots.inputs import geography

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "name, short",
    [
        ("NHS Cornwall and The Isles Of Scilly ICB", "Cornwall and the Isles of Scilly"),
        ("NHS Hampshire and Isle Of Wight ICB", "Hampshire and Isle of Wight"),
        ("NHS Lancashire and South Cumbria ICB", "Lancashire and South Cumbria"),
        ("NHS Staffordshire and Stoke-on-Trent ICB", "Staffordshire and Stoke-on-Trent"),
        ("NHS Bath and North East Somerset, Swindon and Wiltshire ICB",
         "Bath and North East Somerset, Swindon and Wiltshire"),
        ("  NHS Kent And Medway ICB ", "Kent and Medway"),
    ],
)
def test_short_name_drops_nhs_and_icb_and_lowers_the_small_words(name, short):
    assert geography.short_name(name) == short


@pytest.mark.parametrize(
    "name, cased",
    [
        ("The Isles Of Scilly", "The Isles of Scilly"),  # a name's first word keeps its capital
        ("Isle Of Wight", "Isle of Wight"),
        ("North East And North Cumbria", "North East and North Cumbria"),
        ("Stoke-On-Trent", "Stoke-On-Trent"),  # a hyphenated word is one word: left as given
        ("Theale Andover", "Theale Andover"),  # only whole words
    ],
)
def test_name_case(name, cased):
    assert geography.name_case(name) == cased


def test_the_prepared_lookup_writes_no_small_word_with_a_capital():
    """data/icb_lookup.csv, as `sots prepare` writes it from NHS England's names."""
    lookup = pd.read_csv(DATA / "icb_lookup.csv", dtype=str, keep_default_na=False)
    assert lookup["short_name"].tolist() == lookup["icb_name"].map(geography.short_name).tolist()
    wrong = [n for n in [*lookup["short_name"], *lookup["icb_name"]] if any(
        w in geography.LOWER_CASE_WORDS for w in (x.lower() for x in n.split()[1:] if x[0].isupper()))]
    assert wrong == []
    assert {"Cornwall and the Isles of Scilly", "Hampshire and Isle of Wight"} <= set(lookup["short_name"])
    assert {"NHS Cornwall and the Isles of Scilly ICB", "NHS Hampshire and Isle of Wight ICB"} <= set(
        lookup["icb_name"])
