import functools
import re

import altair as alt
import pandas as pd
import pytest

from helpers import drawn_marks
from sots.chapters import charts, statuses

pytestmark = pytest.mark.unit

DF = pd.DataFrame({"year": ["2023/24"] * 3, "icb_code": ["QAA", "QBB", "QCC"], "short_name": ["A", "B", "C"],
                   "v": [3.0, 1.0, 2.0], "v_rank": [1, 3, 2], "need_index": [1.0, 1.1, 0.9],
                   "core_allocation_per_head_gbp": [1.0, 2.0, 3.0]})

# 15 ICBs, Q00 the highest (100) to Q14 the lowest (86), ranked 1 to 15.
MANY = pd.DataFrame({"year": ["2023/24"] * 15, "icb_code": [f"Q{i:02d}" for i in range(15)],
                     "short_name": [f"ICB {i}" for i in range(15)], "v": [100.0 - i for i in range(15)],
                     "v_rank": list(range(1, 16))})


def _html(chart, order: int = 1) -> str:
    return charts.render(chart, order=order).markup


def test_renderer_embeds_with_the_offline_vegaembed_and_no_cdn():
    markup = _html(charts.ranked_bar(DF, value="v", rank="v_rank", label="V", focal_code="QBB",
                                     default_year="2023/24"))
    assert "vegaEmbed(el," in markup
    assert not re.search(r"(src|href)=\"https?://", markup)
    assert "cdn" not in markup.lower() and "require" not in markup


def test_chart_ids_are_stable_across_runs_but_unique_on_a_page():
    chart = charts.need_scatter(DF, focal_code="QAA", default_year="2023/24")
    first, again, second = _html(chart), _html(chart), _html(chart, order=2)
    id1, id1_again, id2 = (re.search(r'id="(sots-chart-[^"]+)"', h)[1] for h in (first, again, second))
    assert id1 == id1_again  # the same chart in the same place: the same id in every build
    assert id1 != id2 and id1.split("-")[-1] == id2.split("-")[-1]  # the second chart on a page: its own id


def test_ranked_bar_highlights_and_labels_the_focal_icb():
    spec = charts.ranked_bar(DF, value="v", rank="v_rank", label="V (£)", focal_code="QBB",
                             default_year="2023/24").to_dict()
    # As drawn: the focal ICB's bar, and only it, in the highlight colour, and only it labelled with its value.
    bars = {fields["ICB"]: fill for fields, fill, _ in drawn_marks(spec, "bar")}
    assert bars == {"A": charts.OTHERS, "B": charts.FOCAL, "C": charts.OTHERS}
    labels = [(fields["short_name"], text) for fields, _, text in drawn_marks(spec, "text mark") if text]
    assert labels == [("B", "1")]
    # The description, made from the rows drawn, names the focal ICB for screen readers.
    assert spec["description"] == "V (£) for all 3 ICBs in 2023/24 ranges from £1 (B) to £3 (A); B is 3rd at £1."


def test_need_scatter_highlights_only_the_focal_icb():
    spec = charts.need_scatter(DF, focal_code="QCC", default_year="2023/24").to_dict()
    points = {fields["ICB"]: fill for fields, fill, _ in drawn_marks(spec, "point")}
    assert points == {"A": charts.OTHERS, "B": charts.OTHERS, "C": charts.FOCAL}
    assert [text for _, _, text in drawn_marks(spec, "text mark")] == ["C"]


def test_offline_bundle_is_wrapped_and_defines_vegaembed():
    bundle = charts.offline_bundle()
    assert bundle.lstrip().startswith("/*") and "(function () {" in bundle
    assert "window.vegaEmbed=" in bundle
    assert bundle.rstrip().endswith("})();")


def test_table_is_identical_on_every_run():
    first = charts.table(pd.DataFrame({"A": [1.0], "B": [2]}), {"A": "{:.1f}"})
    second = charts.table(pd.DataFrame({"A": [1.0], "B": [2]}), {"A": "{:.1f}"})
    assert first._repr_html_() == second._repr_html_() and repr(first) == repr(second)
    assert "1.0" in first._repr_html_() and 'class="sots-table"' in first._repr_html_()
    assert " at 0x" not in repr(first)


def test_each_chart_writes_its_rows_as_csv_and_links_them_under_the_chart(tmp_path, monkeypatch):
    import pandas as pd

    from sots.chapters import charts

    df = pd.DataFrame({"status": ["reproduced", "stated only"], "claims": [3, 12]})
    spec = charts.status_bars(df, title="Claims by status").to_dict()
    assert [len(rows) for _, rows in charts.chart_rows(spec)] == [2]
    markup = charts.render(spec, order=1, data_folder=tmp_path / "data" / "claims", cwd=tmp_path).markup
    written = sorted((tmp_path / "data" / "claims").glob("*.csv"))
    assert [p.name for p in written] == ["claims-by-status.csv"]  # one CSV, named by the chart's title
    assert pd.read_csv(written[0]).sort_index(axis=1).equals(df.sort_index(axis=1))  # the rows drawn, as CSV
    assert 'href="data/claims/claims-by-status.csv" download>data (CSV)</a>' in markup
    assert 'href="data/claims/claims-by-status.json" download>metadata (JSON)</a>' in markup
    assert "sots-csv" not in charts.render(spec, order=1).markup  # outside a build: no files, no links


def test_a_rendered_chart_shows_as_the_same_text_on_every_run():
    chart = charts.status_bars(pd.DataFrame({"status": ["a"], "claims": [1]}), title="T")
    first, second = charts.render(chart, order=1), charts.render(chart, order=1)
    assert first._repr_mimebundle_() == second._repr_mimebundle_()
    assert " at 0x" not in first._repr_mimebundle_()["text/plain"]


def test_importing_charts_leaves_altair_alone_and_render_applies_the_theme():
    assert alt.renderers.active == "default" and alt.theme.active == "default"
    spec = charts.render(charts.status_bars(pd.DataFrame({"status": ["a"], "claims": [1]}), title="T"), order=1).spec
    assert spec["config"]["font"] == charts.FONT and spec["config"]["bar"]["color"] == charts.OTHERS
    # Render changes Altair's theme and data transformer (the one that makes each frame's rows once) for its call only.
    assert alt.data_transformers.active == "default" and alt.theme.active == "default"


# Two series of one place that must never be joined (before and after a revision), and a second place.
PERIODS = pd.DataFrame({"place": ["Town"] * 4 + ["Port"] * 2, "line": ["old", "old", "new", "new", "old", "old"],
                        "year": [2019, 2020, 2020, 2021, 2019, 2020], "value": [60.0, 61.0, 62.0, 63.5, 58.0, 59.0]})


@functools.cache
def every_chart() -> dict[str, list]:
    """Each chart function, on small frames shaped as its chapter's, on each of its branches (made once: the
    colour tests share them)."""
    years = pd.DataFrame({"year": [2023, 2024], "value": [1.0, 2.0]})
    by_age = pd.DataFrame({"sex": ["f", "m"] * 2, "age": [0, 0, 90, 90], "value": [1.0, 2.0, 3.0, 4.0]})
    bands = pd.concat([years.assign(place=p, band=b) for p in ("P", "Q") for b in ("65+", "75+", "85+")])
    fan = pd.DataFrame({"series": ["P", "P", "V", "V"], "year": [2024, 2025] * 2, "growth_pct": [1.0, 2.0, 1.0, 3.0]})
    ranks = pd.DataFrame({"row": ["A, 2023/24", "B, 2023/24"], "rank": [2, 21], "n": [42, 42],
                          "rank_text": ["2nd of 42", "21st of 42"]})
    shares = pd.DataFrame({"base": ["a", "b"], "label": ["Base A", "Base B"], "share_pct": [7.0, 6.8],
                           "amount_gbp_m": [100.0, 110.0]})
    deficits = pd.DataFrame({"year": ["2023/24", "2024/25"], "category": ["System", "System plan"],
                             "kind": ["outturn", "plan"], "value_gbp_m": [228.6, 175.0], "source": ["s"] * 2})
    amounts = pd.DataFrame({"label": ["Report", "Public data"], "value_gbp_m": [4500.0, 4088.0],
                            "kind": ["report", "public data"]})
    return {
        "period_lines": [charts.period_lines(PERIODS[PERIODS["place"] == "Town"], title="T", y_title="HLE (years)",
                                             x_title="Last year of the period", legend="Series"),
                         charts.period_lines(PERIODS, title="T", y_title="HLE (years)",
                                             x_title="Last year of the period", legend="Series", reference=68,
                                             reference_label="the pension age")],
        "ranked_bar": [charts.ranked_bar(DF, value="v", rank="v_rank", label="V (£)", focal_code="QBB",
                                         default_year="2023/24"),
                       charts.ranked_bar(DF, value="v", rank="v_rank", label="V (%)", focal_code="QBB",
                                         default_year="2023/24", fmt="+.1f",
                                         reference=pd.DataFrame({"year": ["2023/24"], "v": [2.0]})),
                       charts.ranked_bar(DF, value="v", rank="v_rank", label="V (£)", focal_code="QBB",
                                         default_year="2023/24", dots=True)],
        "ranked_phone": [charts.ranked_phone(MANY, value="v", rank="v_rank", label="V (£)", focal_code="Q07",
                                             default_year="2023/24", dots=True),
                         charts.ranked_phone(MANY, value="v", rank="v_rank", label="V (%)", focal_code="Q01",
                                             default_year="2023/24", fmt="+.1f",
                                             reference=pd.DataFrame({"year": ["2023/24"], "v": [90.0]}))],
        "need_scatter": [charts.need_scatter(DF, focal_code="QAA", default_year="2023/24")],
        "band_lines": [charts.band_lines(bands[bands["place"] == "P"], title="T", y_title="Persons"),
                       charts.band_lines(bands, title="T", y_title="Persons", base_year=2023)],
        "pyramid": [charts.pyramid(pd.concat([by_age.assign(year=2023), by_age.assign(year=2043)]).rename(
            columns={"value": "persons"}), years=(2023, 2043), title="T")],
        "growth_fan": [charts.growth_fan(fan, title="T", highlight="P"),
                       charts.growth_fan(fan, title="T", highlight="P", band=pd.DataFrame(
                           {"year": [2024, 2025], "low": [0.0, 1.0], "high": [2.0, 3.0]}))],
        "waterfall": [charts.waterfall(pd.DataFrame({"step": ["a", "b", "c"], "start": [0.0, 10.0, 0.0],
                                                     "end": [10.0, 12.0, 12.0]}), title="T")],
        "stacked_years": [charts.stacked_years(pd.concat([years.assign(part="Unplanned"),
                                                          years.assign(part="Elective")]),
                                               title="T", y_title="Bed days")],
        "age_profile": [charts.age_profile(by_age, title="T", y_title="£ per person")],
        "rank_dots": [charts.rank_dots(ranks, focal_name="X"),
                      charts.rank_dots(ranks, focal_name="X", claimed_rank=2, claim="report: 2nd")],
        "share_bars": [charts.share_bars(shares, stated_pct=6.6, focal_name="X", highlight="b")],
        "deficit_bars": [charts.deficit_bars(deficits, focal_name="X")],
        "amount_bars": [charts.amount_bars(amounts, title="T", subtitle="S", focal_name="X")],
        "status_bars": [charts.status_bars(pd.DataFrame({"status": list(statuses.STATUS_COLOURS),
                                                         "claims": [3, 2, 1, 12]}), title="T")],
    }


def test_every_chart_function_makes_a_valid_vega_lite_spec():
    # render does not validate (it cost more than drawing), so each chart function is validated here, on both its
    # branches where it has them; Altair's to_dict() raises SchemaValidationError for an invalid spec.
    for made in every_chart().values():
        for chart in made:
            chart.to_dict()  # validates
            assert charts.render(chart, order=1).spec["description"]


def test_channels_make_the_spec_encode_makes_from_shorthands_and_conditions(monkeypatch):
    # charts.channels builds each channel object itself, rather than leaving Altair's encode to find its class by
    # hashing every schema: every chart, on each of its branches, is the same spec as encode alone makes.
    fast = {name: [chart.to_dict() for chart in made] for name, made in every_chart().items()}
    monkeypatch.setattr(charts, "channels", lambda **encodings: encodings)
    assert {name: [chart.to_dict() for chart in made] for name, made in every_chart.__wrapped__().items()} == fast


def test_channels_keep_a_channel_object_and_name_a_value_channel_for_a_value():
    x = alt.X("v:Q", title="V")
    made = charts.channels(x=x, y="row:N", color=alt.condition(alt.datum.v > 1, alt.value("red"), alt.value("grey")),
                           text=alt.condition(alt.datum.v > 1, alt.Text("v:Q", format=".1f"), alt.value("")),
                           tooltip=["row:N", alt.Tooltip("v:Q")])
    assert made["x"] is x
    assert [type(made[k]).__name__ for k in ("y", "color", "text")] == ["Y", "ColorValue", "TextValue"]
    assert [type(t).__name__ for t in made["tooltip"]] == ["Tooltip", "Tooltip"]
    with pytest.raises(TypeError, match="channel 'x'"):
        charts.channels(x=3)


# A quantitative axis names its unit with one of these words (matched in lower case).
UNIT_WORDS = ("£", "%", "persons", "bed days", "claims", "rank", "index", "years")


def axes(spec: dict):
    """Every x and y encoding of a Vega-Lite spec, through its layers, facets and concatenations."""
    for channel in ("x", "y"):
        if channel in spec.get("encoding", {}):
            yield spec["encoding"][channel]
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            yield from axes(part)
    if "spec" in spec:  # a facet's inner chart
        yield from axes(spec["spec"])


# Charts whose value axis is named by the chart's own title alone: a phone's view, whose narrow plot has no room
# for a long axis title under it (sots.chapters.charts.ranked_phone).
TITLED_ABOVE = {"ranked_phone"}


def test_every_quantitative_or_year_axis_has_a_title_naming_its_unit():
    checked = 0
    for name, made in every_chart().items():
        for chart in made:
            for enc in axes(chart.to_dict()):
                is_year = enc.get("field") == "year"
                if enc.get("type") not in ("quantitative", "temporal") and not is_year:
                    continue
                # A layer drawn on a sibling's axis may leave the title to it; the axis shows the first layer's.
                if "title" not in enc:
                    continue
                title = enc["title"]
                if title is None and name in TITLED_ABOVE:
                    title = charts.chart_title(chart.to_dict())
                title = " ".join(title) if isinstance(title, list) else title  # a long title, as lines
                assert title, f"{name}: {enc['field']} has no axis title"
                if is_year:  # a calendar or mid-year, or which year of a period the point stands for
                    assert title in ("Year", "Mid-year") or title.startswith(("Last year of ", "End of the ")), \
                        f"{name}: {title}"
                elif enc["type"] == "quantitative":
                    assert any(w in title.lower() for w in UNIT_WORDS), f"{name}: {title!r} names no unit"
                checked += 1
    assert checked >= 25  # the walk really reaches the axes, layers and facets included


def test_every_shared_axis_is_titled_on_its_first_layer():
    # The walk above skips untitled layers, so check the axis each chart shows has a title: the first encoding
    # of each channel met (the one Vega-Lite takes the title from when layers share a scale).
    for name, made in every_chart().items():
        for chart in made:
            first: dict[str, dict] = {}
            spec = chart.to_dict()
            parts = spec.get("layer") or spec.get("vconcat") or [spec.get("spec", spec)]
            for part in parts:
                for layer in part.get("layer", [part]):
                    for channel in ("x", "y"):
                        enc = layer.get("encoding", {}).get(channel)
                        if enc and "field" in enc and channel not in first:
                            first[channel] = enc
            for channel, enc in first.items():
                if enc.get("type") in ("quantitative", "temporal") or enc.get("field") == "year":
                    assert enc.get("title") or name in TITLED_ABOVE, \
                        f"{name}: the {channel} axis ({enc['field']}) has no title"


@pytest.mark.parametrize(("title", "unit"), [
    ("Core allocation per registered head (£)", "£"), ("Distance from target (%)", "%"),
    ("Deficit (£ million)", "£ million"), ("£ million", "£ million"), ("£ per person", "£"),
    ("Bed days", "bed days"), ("Persons", "persons"),
])
def test_unit_of_reads_the_unit_an_axis_title_names(title, unit):
    assert charts.unit_of(title) == unit


@pytest.mark.parametrize(("value", "unit", "fmt", "text"), [
    (1907.35, "£", ",.0f", "£1,907"), (354.84, "£ million", ",.1f", "£354.8m"), (6.3, "%", "+.1f", "+6.3%"),
    (-3.21, "%", "+.1f", "-3.2%"), (-12.0, "£ million", ",.1f", "-£12.0m"), (1234567.0, "bed days", ",.0f",
                                                                            "1,234,567 bed days"),
])
def test_quantity_puts_the_unit_where_a_sentence_does(value, unit, fmt, text):
    assert charts.quantity(value, unit, fmt) == text


def test_each_description_is_one_sentence_from_the_rows_drawn():
    made = {name: [c.to_dict()["description"] for c in cs] for name, cs in every_chart().items()}
    assert made["ranked_bar"][1] == ("V (%) for all 3 ICBs in 2023/24 ranges from +1.0% (B) to +3.0% (A); "
                                     "B is 3rd at +1.0%; England +2.0%.")
    # A, B, C: need 1.0, 1.1, 0.9 against £1, £2, £3: perfectly anti-correlated but for B (r = -0.5).
    assert made["need_scatter"] == ["Core allocation per registered head against core need index for 3 ICBs in "
                                    "2023/24: the index runs from 0.900 to 1.100 and the allocation from £1 to £3 "
                                    "(correlation -0.50); A has an index of 1.000 and £1 per head."]
    # Every band of both places doubles from 1 to 2 persons: the first in the frame is both fastest and slowest.
    assert made["band_lines"][1] == ("T, 2023 to 2024: the fastest-growing band is 65+ in P, +100.0% (from 1 "
                                     "persons to 2 persons); the slowest is 65+ in P, +100.0%.")
    # 10 persons in each year; median: ages 0 hold 3 of 10, ages 90 the other 7, so the median person is 90.
    assert made["pyramid"] == ["T: 10 persons in 2023 and 10 persons in 2043 (0.0%); the median age is 90 in 2023 "
                               "and 90 in 2043."]
    assert made["growth_fan"] == [
        "T: by 2025, P grows +2.0% on the base year; the 2 series range from +2.0% to +3.0%.",
        "T: by 2025, P grows +2.0% on the base year; the 2 series range from +2.0% to +3.0%, and the 80% "
        "interval from +1.0% to +3.0%."]
    assert made["waterfall"] == ["T: from £10.0m (a), the largest change is b at +£2.0m, to £12.0m (c)."]
    # 1 + 1 bed days in 2023, 2 + 2 in 2024: the first part listed is the largest (ties keep the first).
    assert made["stacked_years"] == ["T: the total is 2 bed days in 2023 and 4 bed days in 2024 (+100.0%); "
                                     "Unplanned is the largest part, 50% in 2024."]
    assert made["age_profile"] == ["T: highest for men aged 90+, £4, and lowest for women aged 0, £1."]
    assert made["rank_dots"] == [
        "X's rank among ICBs on 2 measures runs from 2nd of 42 (A, 2023/24) to 21st of 42 (B, 2023/24).",
        "X's rank among ICBs on 2 measures runs from 2nd of 42 (A, 2023/24) to 21st of 42 (B, 2023/24); the "
        "report claims 2nd."]
    assert made["share_bars"] == ["X's savings are 6.80% to 7.00% of the 2 funding bases; the report states 6.6%, "
                                  "nearest Base B at 6.80%."]
    assert made["deficit_bars"] == ["X's published deficits in 2023/24 and 2024/25: the largest outturn is System "
                                    "in 2023/24, £228.6m; the largest plan is System plan in 2024/25, £175.0m."]
    assert made["amount_bars"] == ["T, X: Report, £4,500m; Public data, £4,088m."]
    assert made["status_bars"] == ["T: 18 claims, 3 reproduced, 2 consistent, 1 not reproduced and 12 stated only."]
    # Latest of each line: Town old 61.0 (2020), Town new 63.5 (2021), Port old 59.0 (2020).
    assert made["period_lines"] == [
        "T: 2 lines in 1 panel. The latest values run from 61.0 years (old, Town, 2020) to 63.5 years (new, Town, "
        "2021).",
        "T: 3 lines in 2 panels. The latest values run from 59.0 years (old, Port, 2020) to 63.5 years (new, Town, "
        "2021); the dashed line is the pension age, 68.0 years."]


def test_period_lines_draw_each_series_apart_with_the_reference_in_every_panel():
    spec = every_chart()["period_lines"][1].to_dict()
    assert spec["facet"]["field"] == "place" and spec["facet"]["sort"] == ["Town", "Port"]
    line, points, rule = spec["spec"]["layer"]
    # A line per series (detail), coloured and dashed by it by default, so "old" and "new" are never one path.
    assert line["encoding"]["detail"]["field"] == points["encoding"]["detail"]["field"] == "line"
    assert line["encoding"]["color"]["field"] == line["encoding"]["strokeDash"]["field"] == "line"
    assert rule["mark"]["type"] == "rule" and rule["transform"][-1] == {"calculate": "68.0", "as": "reference"}
    assert "Dashed grey line: the pension age" in spec["title"]["subtitle"]
    # Many lines read by a colour and a dash each: sex by colour, series by dash, each line still apart.
    two = charts.period_lines(PERIODS.assign(sex="F", series=PERIODS["line"]), title="T", y_title="HLE (years)",
                              x_title="Last year of the period", legend="Sex", colour="sex", dash="series",
                              dash_legend="Series").to_dict()
    line = two["spec"]["layer"][0] if "spec" in two else two["layer"][0]
    assert (line["encoding"]["color"]["field"], line["encoding"]["strokeDash"]["field"],
            line["encoding"]["detail"]["field"]) == ("sex", "series", "line")
    assert line["encoding"]["strokeDash"]["legend"]["symbolType"] == "stroke"


def test_a_chart_is_a_figure_captioned_with_its_description():
    chart = charts.status_bars(pd.DataFrame({"status": ["reproduced"], "claims": [1]}), title="T")
    markup = charts.render(chart, order=1).markup
    sentence = "T: 1 claim, 1 reproduced."
    assert markup.startswith(f'<figure class="sots-figure">\n<figcaption class="sots-caption">{sentence}'
                             "</figcaption>\n<div class=\"sots-chart\"")
    assert f'role="figure" aria-label="{sentence}"' in markup and markup.endswith("</figure>")
    assert markup == charts.render(chart, order=1).markup  # byte-identical on every build
    # The caption is escaped as the label is: a title with markup in it stays text.
    odd = charts.render(charts.status_bars(pd.DataFrame({"status": ["a"], "claims": [1]}), title="<b>"), order=1)
    assert "<figcaption class=\"sots-caption\">&lt;b&gt;: 1 claim, 1 a.</figcaption>" in odd.markup


def test_a_table_refuses_an_unformatted_fractional_column_and_separates_thousands():
    df = pd.DataFrame({"ICB": ["A"], "£m": [1234.5678], "Residents": [1234567], "Rank": [3], "Reached": [True]})
    with pytest.raises(ValueError, match="'£m'"):
        charts.table(df, {})
    shown = charts.table(df, {"£m": "{:,.1f}"})._repr_html_()
    assert ">1,234.6<" in shown and ">1,234,567<" in shown and ">3<" in shown and ">True<" in shown
    assert "1234.5678" not in shown
    # A number in a column of text (object dtype) is caught too.
    with pytest.raises(ValueError, match="'Value'"):
        charts.table(pd.DataFrame({"Value": ["not published", 0.5]}), {})


def test_every_chart_has_a_title_and_a_sentence_describing_it():
    for name, made in every_chart().items():
        for chart in made:
            spec = chart.to_dict()
            title = spec.get("title")
            text = title.get("text") if isinstance(title, dict) else title
            assert text, f"{name}: no title"
            assert spec.get("description", "").endswith("."), f"{name}: no one-sentence description"


def test_a_fan_of_one_series_gives_no_range():
    """An area with only the principal projection (as Cornwall's): no "the 1 series range from x to x"."""
    df = pd.DataFrame({"series": ["Principal", "Principal"], "year": [2024, 2025], "growth_pct": [1.0, 2.0]})
    assert charts.describe_growth_fan(df, title="T", highlight="Principal", band=None) == (
        "T: by 2025, Principal grows +2.0% on the base year.")


def test_a_dot_ranking_starts_its_axis_near_the_lowest_and_every_chart_fits_its_box():
    bars, _, dots = (c.to_dict() for c in every_chart()["ranked_bar"])
    assert bars["layer"][0]["mark"]["type"] == "bar" and bars["layer"][0]["encoding"]["x"]["scale"]["zero"] is True
    assert dots["layer"][0]["mark"]["type"] == "point" and dots["layer"][0]["encoding"]["x"]["scale"]["zero"] is False
    # A single or layered chart takes its box's width; a faceted or concatenated one has panels a phone can hold.
    for name, made in every_chart().items():
        for chart in made:
            spec = chart.to_dict()
            if any(k in spec for k in ("facet", "vconcat", "hconcat", "concat")):
                inner = spec.get("spec") or (spec.get("vconcat") or spec.get("hconcat") or spec.get("concat"))[0]
                assert inner["width"] <= charts.NARROW, name
            else:
                assert spec["width"] == "container" and isinstance(spec["height"], int), name
                assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}, name


def test_a_phone_shows_the_five_highest_and_lowest_and_the_icb_with_the_gaps_counted():
    rows = charts.phone_rows(MANY, value="v", rank="v_rank", focal_code="Q07")
    assert rows["row"].tolist() == ["1. ICB 0", "2. ICB 1", "3. ICB 2", "4. ICB 3", "5. ICB 4", "… 2 more ICBs",
                                    "8. ICB 7", "… 2 more ICBs", "11. ICB 10", "12. ICB 11", "13. ICB 12",
                                    "14. ICB 13", "15. ICB 14"]
    assert rows["order"].tolist() == sorted(rows["order"])  # rank order, each gap between its neighbours
    assert rows.loc[rows["kind"] == "focal", "v"].tolist() == [93.0]
    # An ICB among the highest five is not shown twice, and one gap remains; ICBs with no value are left out.
    top = charts.phone_rows(MANY.assign(v=MANY["v"].where(MANY["icb_code"] != "Q09")), value="v", rank="v_rank",
                            focal_code="Q01")
    assert top["row"].tolist()[4:7] == ["5. ICB 4", "… 5 more ICBs", "11. ICB 10"]
    assert top["kind"].tolist().count("focal") == 1 and "10. ICB 9" not in top["row"].tolist()
    # Ten ICBs or fewer: every one, no gap.
    assert charts.phone_rows(DF, value="v", rank="v_rank", focal_code="QBB")["row"].tolist() == ["1. A", "2. C",
                                                                                                "3. B"]


def test_the_phone_view_draws_its_rows_names_above_marks_the_icb_in_blue():
    spec = charts.ranked_phone(MANY, value="v", rank="v_rank", label="V (£)", focal_code="Q07",
                               default_year="2023/24", dots=True).to_dict()
    points = {fields["ICB"]: fill for fields, fill, _ in drawn_marks(spec, "point")}
    assert len(points) == 11 and points.pop("8. ICB 7") == charts.FOCAL and set(points.values()) == {charts.OTHERS}
    texts = [text for _, _, text in drawn_marks(spec, "text mark")]
    assert {"1. ICB 0", "8. ICB 7", "… 2 more ICBs", "15. ICB 14", "93"} <= set(texts)
    assert spec["description"].startswith("V (£) in 2023/24, the 5 highest and 5 lowest of 15 ICBs with ICB 7, "
                                          "highest first: ICB 0 £100, ICB 1 £99,")


def test_a_chart_with_a_phone_view_shows_it_with_a_button_for_the_whole_chart():
    kw = dict(value="v", rank="v_rank", label="V (£)", focal_code="Q07", default_year="2023/24")
    markup = charts.render(charts.ranked_bar(MANY, **kw), order=1, phone=charts.ranked_phone(MANY, **kw)).markup
    whole = re.search(r'<div class="sots-chart" id="([^"]+)"', markup)[1]
    assert f'<div class="sots-phone-chart" id="{whole}-phone" role="figure" aria-label="V (£) in 2023/24' in markup
    assert re.search(rf'<button type="button" class="sots-show-all" aria-controls="{whole}" aria-expanded="false"'
                     r'[^>]*>Show all 15 ICBs</button>', markup)
    assert markup.startswith('<figure class="sots-figure sots-has-phone-view">')
    # The whole chart's div and script stay together, after the phone's view.
    assert markup.index("sots-phone-view") < markup.index(f'<div class="sots-chart" id="{whole}"')
    assert charts.render(charts.ranked_bar(MANY, **kw), order=1).markup.startswith('<figure class="sots-figure">')


def test_a_long_title_is_cut_into_lines_a_phone_holds_and_a_short_one_kept():
    assert charts.title_lines("Core allocation per registered head (£)") == ["Core allocation per",
                                                                            "registered head (£)"]
    assert charts.title_lines("Activity-based acute cost per G&A weighted head (£)") == [
        "Activity-based acute cost per", "G&A weighted head (£)"]
    assert charts.title_lines("Bed days (thousands)") == "Bed days (thousands)"
