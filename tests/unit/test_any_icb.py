"""Any ICB: every one of the 42 in the committed lookup resolves by ODS code, ONS code and name, to itself."""

import re

import pytest

from helpers import DATA
from sots.errors import InputError
from sots.inputs import data, geography

pytestmark = pytest.mark.unit

LOOKUP = data.load("icb_lookup", DATA)


def test_the_lookup_has_42_icbs():
    assert len(LOOKUP) == 42


@pytest.mark.parametrize("column", ["icb_code", "icb_gss_code", "icb_name", "short_name"])
def test_every_icb_resolves_to_itself_by_each_code_and_name(column):
    for row in LOOKUP.itertuples():
        typed = getattr(row, column)
        for variant in (typed, typed.lower()):
            assert geography.resolve_icb(variant, LOOKUP).icb_code == row.icb_code, (column, variant)


def test_a_near_miss_of_any_code_suggests_it_in_one_line():
    codes = set(LOOKUP["icb_code"])
    for row in LOOKUP.itertuples():
        typo = next(row.icb_code[:2] + c for c in "98765" if row.icb_code[:2] + c not in codes)  # QE1 -> QE9
        with pytest.raises(InputError) as err:
            geography.resolve_icb(typo, LOOKUP)
        message = str(err.value)
        assert "\n" not in message and message.startswith(f"unknown ICB '{typo}'")
        suggested = re.findall(r"\b(Q[0-9A-Z]{2}) \(", message.partition("; did you mean ")[2])
        # The code meant is suggested, unless more codes than are suggested are as near the typo (one letter away):
        # then each suggestion is one of those.
        as_near = {code for code in codes if sum(a != b for a, b in zip(code, typo)) == 1}
        assert row.icb_code in suggested or (len(suggested) == 3 and set(suggested) <= as_near), (typo, message)
