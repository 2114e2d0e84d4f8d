import re

import pandas as pd
import pytest

from helpers import drawn_marks
from sots import charts

pytestmark = pytest.mark.unit

DF = pd.DataFrame({"year": ["2023/24"] * 3, "icb_code": ["QAA", "QBB", "QCC"], "short_name": ["A", "B", "C"],
                   "v": [3.0, 1.0, 2.0], "v_rank": [1, 3, 2], "need_index": [1.0, 1.1, 0.9],
                   "core_allocation_per_head_gbp": [1.0, 2.0, 3.0]})


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
    spec = charts.ranked_bar(DF, value="v", rank="v_rank", label="V", focal_code="QBB",
                             default_year="2023/24").to_dict()
    # As drawn: the focal ICB's bar, and only it, in the highlight colour, and only it labelled with its value.
    bars = {fields["ICB"]: fill for fields, fill, _ in drawn_marks(spec, "bar")}
    assert bars == {"A": charts.OTHERS, "B": charts.FOCAL, "C": charts.OTHERS}
    labels = [(fields["short_name"], text) for fields, _, text in drawn_marks(spec, "text mark") if text]
    assert labels == [("B", "1")]
    assert spec["description"].endswith("with B highlighted.")  # the description names the focal ICB for screen readers


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

    from sots import charts

    df = pd.DataFrame({"status": ["reproduced", "stated only"], "claims": [3, 12]})
    spec = charts.status_bars(df, title="Claims by status").to_dict()
    assert [len(rows) for _, rows in charts.chart_rows(spec)] == [2]
    markup = charts.render(spec, order=1, data_folder=tmp_path / "data" / "claims", cwd=tmp_path).markup
    written = sorted((tmp_path / "data" / "claims").glob("*.csv"))
    assert len(written) == 1
    assert pd.read_csv(written[0]).sort_index(axis=1).equals(df.sort_index(axis=1))  # the rows drawn, as CSV
    assert f'href="data/claims/{written[0].name}" download>Download data (CSV)</a>' in markup
    assert "sots-csv" not in charts.render(spec, order=1).markup  # outside a build: no files, no links


def test_a_rendered_chart_shows_as_the_same_text_on_every_run():
    chart = charts.status_bars(pd.DataFrame({"status": ["a"], "claims": [1]}), title="T")
    first, second = charts.render(chart, order=1), charts.render(chart, order=1)
    assert first._repr_mimebundle_() == second._repr_mimebundle_()
    assert " at 0x" not in first._repr_mimebundle_()["text/plain"]


def test_importing_charts_leaves_altair_alone_and_render_applies_the_theme():
    import altair as alt

    assert alt.renderers.active == "default" and alt.theme.active == "default"
    spec = charts.render(charts.status_bars(pd.DataFrame({"status": ["a"], "claims": [1]}), title="T"), order=1).spec
    assert spec["config"]["font"] == charts.FONT and spec["config"]["bar"]["color"] == charts.OTHERS


def test_every_chart_function_makes_a_valid_vega_lite_spec():
    # render does not validate (it cost more than drawing), so each chart function is validated here, on both its
    # branches where it has them; Altair's to_dict() raises SchemaValidationError for an invalid spec.
    years = pd.DataFrame({"year": [2023, 2024], "value": [1.0, 2.0]})
    by_age = pd.DataFrame({"sex": ["f", "m"] * 2, "age": [0, 0, 90, 90], "value": [1.0, 2.0, 3.0, 4.0]})
    made = [
        charts.band_lines(years.assign(place="A", band="65+"), title="T", y_title="Persons"),
        charts.band_lines(years.assign(place="A", band="65+"), title="T", y_title="Persons", base_year=2023),
        charts.pyramid(pd.concat([by_age.assign(year=2023), by_age.assign(year=2043)]).rename(
            columns={"value": "persons"}), years=(2023, 2043), title="T"),
        charts.growth_fan(pd.DataFrame({"series": ["P", "P"], "year": [2024, 2025], "growth_pct": [1.0, 2.0]}),
                          title="T", highlight="P"),
        charts.growth_fan(pd.DataFrame({"series": ["P", "P"], "year": [2024, 2025], "growth_pct": [1.0, 2.0]}),
                          title="T", highlight="P",
                          band=pd.DataFrame({"year": [2024, 2025], "low": [0.0, 1.0], "high": [2.0, 3.0]})),
        charts.waterfall(pd.DataFrame({"step": ["a", "b", "c"], "start": [0.0, 10.0, 0.0], "end": [10.0, 12.0, 12.0]}),
                         title="T"),
        charts.stacked_years(years.assign(part="Unplanned"), title="T", y_title="Bed days"),
        charts.age_profile(by_age, title="T", y_title="£"),
    ]
    for chart in made:
        chart.to_dict()  # validates
        assert charts.render(chart, order=1).spec["description"]
