"""The timeline's glue: every sourced figure from the published figures, the report's own from the register."""

import pandas as pd
import pytest
import yaml

from helpers import DATA, ROOT
from sots import chapter
from sots.chapters import timeline

pytestmark = pytest.mark.unit


def test_every_published_figure_and_the_stated_control_total_are_glued():
    ch = chapter.open("timeline", edition="2024-25", icb="QE1", data_dir=DATA)
    timeline.glue_sourced(ch)
    seen = dict(ch.glued)
    published = pd.read_csv(DATA / "published_figures.csv").dropna(subset=["value"])
    register = yaml.safe_load((ROOT / "claims.yml").read_text())["claims"]
    stated = next(c["stated"] for c in register if c.get("key") == "system_control_total_deficit")
    assert seen.pop("report_control_total_deficit") == stated == 175
    entry = seen.pop("budget_entry").data
    # The edition's data run to 2024/25, so it reads no published figure for a later year (the 2025/26 budget).
    read = published[published["year"].isna() | (published["year"] <= "2024/25")]
    assert seen == dict(zip(read["figure_id"], read["value"])) and len(read) == len(published) - 1
    assert seen["lsc_2324_nhse_support_funding"] > 0  # a figure the page quotes
    assert ch.figures == {} and list(ch.tables_read) == ["icb_lookup", "published_figures"]
    assert entry == ("The ICB expected an underlying deficit of about £350m at the end of 2024/25. The ICB's budget "
                     "for 2025/26 is a figure for a year after this edition's data, so it is not given here.")


def test_the_budget_entry_quotes_the_budget_when_the_edition_reads_it():
    published = pd.read_csv(DATA / "published_figures.csv", dtype={"year": str})
    assert timeline.budget_entry(published) == (
        "The ICB gives its budget for 2025/26 as about £5.5bn, and expected an underlying deficit of about £350m at "
        "the end of 2024/25.")
