"""Under each chart: the sources of the tables it draws on, and one CSV of its data, named, rounded and described."""

import json
import re

import pandas as pd
import pytest

from helpers import REGISTER, ROOT
from sots.chapters import charts
from sots.chapters import context as chapter
from sots.inputs import data

pytestmark = pytest.mark.unit

DATA = ROOT / "data"
MADE = {"edition": "2023-24", "code_sha256": "abc123def456", "parameters_sha256": "0123456789ab"}


# --- Names ------------------------------------------------------------------------------------------------------------

def test_a_chart_file_is_named_by_edition_chapter_and_title_with_its_order_only_on_a_clash():
    assert charts.slug("Activity-based acute cost per G&A weighted head (£)") == (
        "activity-based-acute-cost-per-g-a-weighted-head")
    assert charts.slug("LSOAs in England's most deprived 20% (%)") == "lsoas-in-englands-most-deprived-20"
    assert charts.slug("Résumé: naïve") == "resume-naive"
    assert charts.slug("a " * 40) == "-".join(["a"] * 30)  # at most 60 characters, cut between words
    assert charts.slug("£ %") == "chart"
    taken = set()
    assert charts.download_name("2023-24", "funding_per_head", "Core allocation per registered head (£)", 1,
                                taken) == "2023-24-funding-per-head-core-allocation-per-registered-head"
    assert charts.download_name("2023-24", "budget", "Hospital cost", 2, taken) == "2023-24-budget-hospital-cost"
    assert charts.download_name("2023-24", "budget", "Hospital cost", 3, taken) == "2023-24-budget-hospital-cost-3"


def test_a_title_object_or_lines_give_the_chart_title_and_an_untitled_chart_its_description():
    assert charts.chart_title({"title": {"text": "A", "subtitle": "b"}}) == "A"
    assert charts.chart_title({"title": {"text": ["Two", "lines"]}}) == "Two lines"
    assert charts.chart_title({"description": "What it shows."}) == "What it shows."


# --- Rounding ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, expected", [
    (",.0f", ("decimals", 0)), (".1f", ("decimals", 1)), ("+.2f", ("decimals", 2)), ("d", ("decimals", 0)),
    (".1%", ("decimals", 3)), (".3s", ("significant", 3)), (".2", ("significant", 2)), ("~s", None), ("", None),
    ("not a format", None),
])
def test_a_d3_format_says_how_it_rounds(fmt, expected):
    assert charts.rounding_of(fmt) == expected


@pytest.mark.parametrize("value, rounding, expected", [
    (1873.104512080893, ("decimals", 0), "1873"),
    (1873.104512080893, ("decimals", 1), "1873.1"),
    (0.0625, ("decimals", 3), "0.062"),  # a fraction shown as ".1%": 6.2%, as Python rounds half to even
    (1873.1, ("significant", 2), "1900"),
    (-0.04, ("decimals", 1), "0.0"),  # never "-0.0"
    (1873.104512080893, None, "1873"),  # no format: 4 significant figures, whole part kept
    (123456.7, None, "123457"),
    (0.0123456, None, "0.01235"),
    (3.0, None, "3"),
    (12, ("decimals", 2), "12"),  # an integer as it is
    (None, None, ""),
    (float("nan"), ("decimals", 1), ""),
    ("2023/24", None, "2023/24"),
])
def test_each_cell_is_rounded_as_the_chart_shows_it(value, rounding, expected):
    assert charts.rounded(value, rounding) == expected


def test_a_tooltip_format_wins_over_an_axis_and_a_range_shares_its_end_s_format():
    spec = {"layer": [
        {"mark": "bar", "encoding": {
            "x": {"field": "v", "type": "quantitative", "title": "Cost (£)", "axis": {"format": ",.0f"}},
            "tooltip": [{"field": "v", "format": ",.2f"}, {"field": "w", "format": ".1f"}]}},
        {"mark": "bar", "encoding": {"y": {"field": "start"}, "y2": {"field": "end"},
                                     "tooltip": [{"field": "end", "format": ",.1f"}]}},
        {"mark": "rule", "encoding": {"x": {"field": "r", "axis": {"format": ".3f"}}}},
    ]}
    fields = charts.encoded_fields(spec)
    assert fields["v"] == {"title": "Cost (£)", "format": ",.2f", "rounding": ("decimals", 2)}
    assert fields["start"]["rounding"] == ("decimals", 1)  # y with y2: a waterfall's start has its end's format
    assert fields["r"]["rounding"] == ("decimals", 3)  # only an axis gives one


# --- The one table a chart gives --------------------------------------------------------------------------------------

def spec_with(datasets: dict, **encoding) -> dict:
    return {"data": {"name": next(iter(datasets))}, "mark": "bar", "encoding": encoding, "datasets": datasets}


def test_the_download_is_the_chart_s_largest_dataset_with_its_panels_and_only_the_columns_it_uses():
    icbs = [{"icb_code": "QAA", "v": 1.0, "unused": 9, "year": "2023/24"},
            {"icb_code": "QBB", "v": 2.0, "unused": 9, "year": "2023/24"}]
    england = [{"v": 1.5}]
    panel = [{"icb_code": "QCC", "v": 3.0, "unused": 9, "year": "2024/25"}, icbs[0]]  # same columns: one table
    spec = spec_with({"england": england, "icbs": icbs, "panel": panel}, x={"field": "v"})
    spec["transform"] = [{"filter": "datum.year == '2023/24' && datum['icb_code'] != ''"}]
    assert charts.chart_table(spec) == [{"icb_code": "QAA", "v": 1.0, "year": "2023/24"},
                                        {"icb_code": "QBB", "v": 2.0, "year": "2023/24"},
                                        {"icb_code": "QCC", "v": 3.0, "year": "2024/25"}]  # each row once
    assert charts.chart_table({"mark": "bar"}) == []


def test_each_column_s_unit_comes_from_its_name_else_its_title():
    assert charts.column_unit("acute_cost_per_head_gbp", None) == "GBP"
    assert charts.column_unit("value_gbp_m", "Deficit (£ million)") == "GBP million"
    assert charts.column_unit("core20_rank", None) == "rank (1 = highest)"
    assert charts.column_unit("value", "£ per person") == "GBP per person"
    assert charts.column_unit("value", "Treated to target (%)") == "per cent"
    assert charts.column_unit("short_name", "ICB") is None


def test_a_chart_writes_one_rounded_csv_and_a_sidecar_with_units_sources_licence_and_provenance(tmp_path):
    rows = [{"short_name": "A & B", "v": 1873.104512080893, "v_rank": 1, "core20_share": 0.123456},
            {"short_name": "C", "v": 1650.5, "v_rank": 2, "core20_share": None}]
    spec = spec_with({"d": rows}, x={"field": "v", "title": "Cost per head (£)"},
                     tooltip=[{"field": "short_name", "title": "ICB"}, {"field": "v", "format": ",.1f"},
                              {"field": "v_rank"}, {"field": "core20_share"}])
    spec["title"] = "Cost per head"
    source = {"id": "s", "publisher": "NHS England", "title": "Allocations", "period": "2023/24",
              "path": "https://www.england.nhs.uk/allocations/", "years": ["2023/24"]}
    links = charts.write_chart_data(spec, "2023-24-x-cost-per-head", tmp_path / "cd", tmp_path, sources=[source],
                                    licenses=[data.OGL], provenance=MADE)
    assert links == ("cd/2023-24-x-cost-per-head.csv", "cd/2023-24-x-cost-per-head.json")
    csv_bytes = (tmp_path / links[0]).read_bytes()
    assert csv_bytes == (b"short_name,v,v_rank,core20_share\n"
                         b"A & B,1873.1,1,0.1235\n"
                         b"C,1650.5,2,\n")
    about = json.loads((tmp_path / links[1]).read_text())
    assert about["path"] == "2023-24-x-cost-per-head.csv" and about["profile"] == "tabular-data-resource"
    assert about["title"] == "Cost per head" and about["edition"] == "2023-24"
    assert about["schema"]["fields"] == [
        {"name": "short_name", "type": "string", "title": "ICB"},
        {"name": "v", "type": "number", "title": "Cost per head (£)", "unit": "GBP",
         "rounding": "1 decimal place, as the chart shows it (format ',.1f')"},
        {"name": "v_rank", "type": "integer", "unit": "rank (1 = highest)"},
        {"name": "core20_share", "type": "number", "unit": "fraction",
         "rounding": "4 significant figures, never fewer than the whole part's digits (the chart gives no format)"},
    ]
    assert about["sources"] == [{k: source[k] for k in ("title", "publisher", "path", "period")}]
    assert about["licenses"] == [data.OGL]
    assert about["attribution"] == ("Contains public sector information licensed under the Open Government Licence "
                                    "v3.0. Publishers: NHS England.")
    assert about["provenance"] == MADE
    # The same chart writes the same bytes again.
    again = charts.write_chart_data(spec, "2023-24-x-cost-per-head", tmp_path / "again", tmp_path,
                                    sources=[source], licenses=[data.OGL], provenance=MADE)
    assert (tmp_path / again[0]).read_bytes() == csv_bytes
    assert (tmp_path / again[1]).read_bytes() == (tmp_path / links[1]).read_bytes()


# --- The line under the chart -----------------------------------------------------------------------------------------

SOURCES = [
    {"id": "a", "publisher": "NHS England", "title": "Allocations", "period": "2023/24",
     "path": "https://www.england.nhs.uk/allocations/"},
    {"id": "b", "publisher": "Office for National Statistics (Open Geography Portal); The Strategy Unit",
     "title": "Codes <b>", "period": "2023", "path": "https://geoportal.statistics.gov.uk/"},
    {"id": "c", "publisher": "Various: each figure names its publisher", "title": "Figures", "period": "2025",
     "path": "see each figure's source_url"},
    {"id": "d", "publisher": "Various: each figure names its publisher", "title": "More figures", "period": "2025",
     "path": "see each figure's source_url"},
    {"id": "e", "publisher": "Someone", "title": "Old page", "period": "2020", "path": "http://example.org/"},
    {"id": "f", "publisher": "Someone", "title": "Script", "period": "2020", "path": "javascript:alert(1)"},
]


def test_the_sources_line_names_the_publishers_and_links_each_publication_over_https_only():
    line = charts.sources_html(SOURCES)
    assert line.startswith('<details class="sots-sources sots-print-open"><summary>Sources: NHS England; '
                           "Office for National Statistics; The Strategy Unit; various publishers; Someone "
                           "(5 publications)</summary>")
    assert ('<li><a href="https://www.england.nhs.uk/allocations/">NHS England, Allocations (2023/24)</a></li>'
            in line)
    assert "Codes &lt;b&gt; (2023)</a>" in line  # text from the data package is escaped once
    assert line.count("Various") == 1  # the published figures' entries say the same: named once
    assert 'href="http://' not in line and "javascript:" not in line.split("<li>Someone, Script")[0]
    assert "<li>Someone, Old page (2020)</li>" in line  # named, not linked: https only
    assert charts.sources_html([]) == ""


def test_the_data_line_gives_the_downloads_with_the_provenance_as_small_print(tmp_path):
    spec = charts.status_bars(pd.DataFrame({"status": ["reproduced"], "claims": [3]}), title="Claims by verdict")
    markup = charts.render(spec, order=1, data_folder=tmp_path / "cd", cwd=tmp_path, provenance=MADE,
                           sources=SOURCES[:1], licenses=[data.OGL], name="2023-24-claims-claims-by-verdict").markup
    assert ('<a class="sots-csv" href="cd/2023-24-claims-claims-by-verdict.csv" download title="edition 2023-24 · '
            'code abc123def456 · parameters 0123456789ab">data (CSV)</a>') in markup
    assert 'download="2023-24-claims-claims-by-verdict.svg">chart (SVG)</a>' in markup
    assert "toSVG()" in markup  # the SVG is made in the page, offline
    visible = markup.split('<div class="sots-chart-data">')[1]
    assert "code abc123def456 ·" not in visible.replace('title="edition 2023-24 · code abc123def456', "")
    # Outside a build: the sources, and no downloads.
    bare = charts.render(spec, order=1, sources=SOURCES[:1]).markup
    assert "Sources: NHS England" in bare and "sots-csv" not in bare and "toSVG" not in bare


# --- A chapter's charts -----------------------------------------------------------------------------------------------

def test_a_chapter_s_chart_lists_only_the_sources_of_the_tables_it_names(tmp_path):
    inputs = next(e for e in REGISTER if e.id == "2023-24").inputs  # the build gives its edition's data years
    build = json.dumps({"provenance": MADE, "chart_data": str(tmp_path / "cd"), "inputs": inputs})
    ch = chapter.open("funding_per_head", root=ROOT, edition="2023-24", icb="QE1", data_dir=DATA, build=build)
    ch.table("population_projection")  # read by the page, not drawn by the chart
    chart = charts.status_bars(pd.DataFrame({"status": ["a"], "claims": [1]}), title="Core allocation per head")
    shown = ch.show(chart, tables=("icb_allocations",)).markup
    allocations = ch.sources(["icb_allocations"])
    assert all(data.citation(s) in shown for s in allocations)
    assert not any(data.citation(s) in shown for s in ch.sources(["population_projection"]))
    assert (tmp_path / "cd" / "2023-24-funding-per-head-core-allocation-per-head.csv").is_file()
    about = json.loads((tmp_path / "cd" / "2023-24-funding-per-head-core-allocation-per-head.json").read_text())
    assert [s["title"] for s in about["sources"]] == [s["title"] for s in allocations]
    assert about["licenses"] == [data.OGL] and about["provenance"] == MADE and about["tables"] == ["icb_allocations"]
    # A second chart of the same title on the page gets its order; no tables named: no sources line.
    again = ch.show(chart, tables=())
    assert (tmp_path / "cd" / "2023-24-funding-per-head-core-allocation-per-head-2.csv").is_file()
    assert "sots-sources" not in again.markup
    with pytest.raises(ValueError, match="no table named 'nope'"):
        ch.show(chart, tables=("nope",))


def test_a_charts_table_gives_its_rows_rounded_as_shown_under_its_titles():
    spec = charts.ranked_bar(pd.DataFrame({"year": ["2023/24"] * 2, "icb_code": ["QAA", "QBB"],
                                           "short_name": ["A <b>", "B"], "v": [1873.104512, 12.0],
                                           "v_rank": [1, 2]}),
                             value="v", rank="v_rank", label="V (£)", focal_code="QBB", default_year="2023/24",
                             fmt=",.1f").to_dict()
    table = charts.table_html(spec)
    assert table.startswith('<details class="sots-chart-table sots-web-only"><summary>Table (2 rows)</summary>')
    # What each row is first, then its year and numbers, its code last; a number as the chart shows it ("1,873.1").
    assert re.findall(r'<th scope="col">([^<]*)</th>', table) == ["ICB", "Year", "V (£)", "Rank (1 = highest)",
                                                                  "ICB code"]
    assert '<td class="sots-number">1,873.1</td>' in table and "A &lt;b&gt;" in table and "A <b>" not in table
    many = charts.ranked_bar(pd.DataFrame({"year": ["2023/24"] * 200, "icb_code": [f"Q{i}" for i in range(200)],
                                           "short_name": [f"N{i}" for i in range(200)], "v": [1.0] * 200,
                                           "v_rank": range(1, 201)}),
                             value="v", rank="v_rank", label="V", focal_code="Q1", default_year="2023/24").to_dict()
    assert "<table" not in charts.table_html(many) and "200 rows: too many for the page" in charts.table_html(many)
    assert charts.table_html({"mark": "rule"}) == ""
