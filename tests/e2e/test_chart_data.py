"""Every chart on every page has a working "Download data (CSV)" link to the rows it draws, and its provenance."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from helpers import chapter_pages
from sots.charts import main_dataset

pytestmark = pytest.mark.e2e

EDITION = "2023-24"


@pytest.mark.parametrize("page", chapter_pages())
def test_every_chart_has_a_working_csv_link_to_the_rows_it_draws(built_site, serve, visit, page):
    base = serve(built_site)
    v = visit(f"{base}/{EDITION}/{page}")
    v.wait_for_charts()
    charts = v.page.locator(".sots-chart")
    assert charts.count() > 0 or page.endswith("timeline.html"), f"{page}: no charts"  # the timeline is prose
    for i in range(charts.count()):
        chart_id = charts.nth(i).get_attribute("id")
        link = v.page.locator(f"#{chart_id} + script + p.sots-chart-data a.sots-csv").first
        assert link.inner_text() == "Download data (CSV)", f"{page}: chart {chart_id} has no CSV link"
        made = v.page.locator(f"#{chart_id} + script + p.sots-chart-data .sots-provenance").inner_text()
        assert re.fullmatch(rf"edition {EDITION} · code [0-9a-f]{{12}} · parameters [0-9a-f]{{12}}", made), made
        response = v.page.request.get(link.evaluate("a => a.href"))
        assert response.ok, f"{page}: {chart_id}'s CSV does not load"
        rows = list(csv.DictReader(io.StringIO(response.text())))
        assert rows, f"{page}: {chart_id}'s CSV is empty"
        # The CSV holds the chart's own data, row for row as drawn from (the spec embeds the same rows).
        script = v.page.locator(f"#{chart_id} + script").inner_text()
        spec = json.loads(script.split("vegaEmbed(el, ", 1)[1].rsplit(", {", 1)[0].replace("<\\/", "</"))
        main = main_dataset(spec)
        assert len(rows) == len(spec["datasets"][main])
        drawn = one_mark_per_row(spec, rows)
        if drawn is not None:  # bars and points: the CSV's rows (of the year shown) are the marks drawn
            marks = v.page.locator(f"#{chart_id} svg.marks g.role-mark").first.locator(":scope > path").count()
            assert marks == drawn, f"{page}: {chart_id} draws {marks} marks for {drawn} rows"
        sources = v.page.locator(f"#{chart_id} + script + p.sots-chart-data .sots-sources").inner_text()
        assert sources.startswith("Sources of this page's data: ") and "(" in sources, sources
    assert v.console == []


def one_mark_per_row(spec: dict, rows: list[dict]) -> int | None:
    """How many marks a chart whose first layer draws one bar or point per row should show, or None if it is not one.

    A chart with a bound selection (the year buttons) draws the rows of the selected year.
    """
    if any(k in spec for k in ("facet", "vconcat", "hconcat", "concat")):
        return None
    first = spec["layer"][0] if "layer" in spec else spec
    mark = first.get("mark")
    mark = mark.get("type") if isinstance(mark, dict) else mark
    if (mark not in ("bar", "point", "circle", "square")
            or first.get("data", {}).get("name", main_dataset(spec)) != main_dataset(spec)):
        return None
    selected = [(p["name"], p["value"]) for p in spec.get("params", []) if "bind" in p and "value" in p]
    for name, value in selected:
        if rows and name in rows[0]:
            rows = [r for r in rows if r[name] == str(value)]
    return len(rows)
