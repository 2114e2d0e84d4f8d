"""The committed tables match their checksums, and agree with independent sums of the real upstream. (That `sots
prepare` on a copy of the upstream reproduces them byte for byte is the last step of the catalogue's killed-prepare
case, tests/integration/test_catalogue.py.)"""

import shutil

import pandas as pd
import pytest

from helpers import DATA, sots
from sots import data, geography

pytestmark = pytest.mark.integration


def test_committed_tables_match_their_checksums():
    done = sots("prepare", "--verify")
    assert done.returncode == 0, done.stderr
    assert "every checksum matches" in done.stdout


def test_verify_fails_on_a_changed_table(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    with open(tmp_path / "data" / "icb_allocations.csv", "a") as f:
        f.write("\n")
    done = sots("prepare", "--verify", "--data", str(tmp_path / "data"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "icb_allocations.csv: sha256 is" in done.stderr


def test_all_42_icbs_match_one_to_one():
    lookup = data.load("icb_lookup", DATA)
    assert len(lookup) == 42
    assert lookup["icb_code"].is_unique and lookup["icb_gss_code"].is_unique
    assert lookup.set_index("icb_code").loc["QE1", "icb_gss_code"] == "E54000048"


def test_the_icb_code_reference_agrees_with_the_lookup_and_an_independent_source(raw_dir):
    """The 42 codes every source must use are the lookup's (NHS England's codes matched to ONS's by name), and each
    ODS code is one The Strategy Unit's admissions file (another publisher's extract) also uses."""
    reference = geography.icb_reference().sort_values("icb_code", ignore_index=True)
    lookup = data.load("icb_lookup", DATA).sort_values("icb_code", ignore_index=True)
    assert len(reference) == 42
    pd.testing.assert_frame_equal(reference, lookup[["icb_code", "icb_gss_code", "icb_name"]])
    admissions = pd.read_csv(
        raw_dir / "ons_npp2018_and_su_apc2018" / "apc_admissions_2018_by_icb_sex_agegrp_admigrp.csv",
        encoding="utf-8-sig", usecols=["stpcd"])
    assert set(reference["icb_code"]) <= set(admissions["stpcd"])


def test_weighted_populations_equal_the_publishers_icb_summary(raw_dir):
    """Our sums over practices against the ICB summary shipped with the upstream (summed separately)."""
    summary = pd.read_csv(raw_dir / "nhse_allocations_gp_weighted_pop" / "icb_weighted_population_summary_derived.csv")
    summary = summary.rename(columns={"ICS22": "icb_code"}).set_index(["year", "icb_code"])
    ours = data.load("icb_weighted_population", DATA).set_index(["year", "icb_code"])
    assert len(summary) == 42 * summary.index.get_level_values("year").nunique()  # every ICB, every year it covers
    # The summary covers the years of the publication it ships with; a later year's file comes without one.
    ours = ours[ours.index.get_level_values("year").isin(summary.index.get_level_values("year"))]
    assert len(ours) == len(summary)
    for theirs, mine in (("registered_pop", "registered_population_persons"),
                         ("core_final_wp", "core_weighted_persons"), ("ga_wp", "ga_weighted_persons")):
        assert (ours[mine] - summary.loc[ours.index, theirs]).abs().max() < 1e-3, mine
    assert (ours["n_practices"] == summary.loc[ours.index, "n_practices"]).all()
