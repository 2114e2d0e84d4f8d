"""The timeline's glue: every sourced figure from the published figures, the report's own from the register."""

import pandas as pd
import pytest
import yaml

from helpers import DATA, ROOT
from sots.chapters import context as chapter
from sots.chapters import timeline

pytestmark = pytest.mark.unit


def test_every_published_figure_and_the_stated_control_total_are_glued():
    ch = chapter.open("timeline", root=ROOT, edition="2024-25", icb="QE1", data_dir=DATA)
    timeline.glue_sourced(ch)
    seen = dict(ch.glued)
    published = pd.read_csv(DATA / "published_figures.csv").dropna(subset=["value"])
    register = yaml.safe_load((ROOT / "claims.yml").read_text())["claims"]
    stated = next(c["stated"] for c in register if c.get("key") == "system_control_total_deficit")
    assert seen.pop("report_control_total_deficit") == stated == 175
    entry = seen.pop("budget_entry").data
    sources = {name: seen.pop(name).data for name in [n for n in seen if n.endswith("_source")]}
    # The edition's data run to 2024/25, so it reads no published figure for a later year (the 2025/26 budget).
    read = published[published["year"].isna() | (published["year"] <= "2024/25")]
    assert seen == dict(zip(read["figure_id"], read["value"])) and len(read) == len(published) - 1
    assert set(sources) == {f"{f}_source" for f in read["figure_id"]}
    # The February 2025 entry cites the ICB's own news page, linked.
    assert sources["timeline_2025_02_nof_segment4_source"].startswith(
        "NHS Lancashire and South Cumbria ICB, [“Four NHS organisations in Lancashire and South Cumbria entered into a "
        "programme of national support”](<https://lancashireandsouthcumbria.icb.nhs.uk/news-and-media/")
    assert seen["lsc_2324_nhse_support_funding"] > 0  # a figure the page quotes
    assert ch.figures == {} and list(ch.tables_read) == ["icb_lookup", "published_figures"]
    assert entry == ("The ICB expected an underlying deficit of about £350m at the end of 2024/25. The ICB's budget "
                     "for 2025/26 is a figure for a year after this edition's data, so it is not given here.")


def test_the_budget_entry_quotes_the_budget_when_the_edition_reads_it():
    published = pd.read_csv(DATA / "published_figures.csv", dtype={"year": str})
    assert timeline.budget_entry(published) == (
        "The ICB gives its budget for 2025/26 as about £5.5bn, and expected an underlying deficit of about £350m at "
        "the end of 2024/25.")


def test_a_source_line_escapes_its_text_and_links_only_a_plain_web_address():
    row = {"source_publisher": "A *bold* publisher", "source_title": "Title [1]", "period": "2024",
           "source_url": "https://example.org/page"}
    assert timeline.source_line(row) == (r"A \*bold\* publisher, [“Title \[1\]”](<https://example.org/page>) (2024)")
    odd = timeline.source_line({**row, "source_url": "https://a.org/x> [y](javascript:z)"})
    assert "](<" not in odd and "javascript" in odd and "\\[y\\]" in odd
