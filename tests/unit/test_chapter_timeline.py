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
    assert seen == dict(zip(published["figure_id"], published["value"]))
    assert seen["lsc_2324_nhse_support_funding"] > 0  # a figure the page quotes
    assert ch.figures == {} and list(ch.tables_read) == ["icb_lookup", "published_figures"]
