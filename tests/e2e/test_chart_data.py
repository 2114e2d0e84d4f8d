"""Every chart on every page has a working "Download data (CSV)" link to the rows it draws, and its provenance."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import yaml

from helpers import ROOT
from sots.charts import main_dataset
from sots.pipeline import notebooks_in_toc

pytestmark = pytest.mark.e2e

EDITION = "2023-24"


def chapter_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [f"{name}.html" for name in notebooks_in_toc(toc)]


@pytest.mark.parametrize("page", chapter_pages())
def test_every_chart_has_a_working_csv_link_to_the_rows_it_draws(built_site, serve, visit, page):
    base = serve(built_site)
    v = visit(f"{base}/{EDITION}/{page}")
    v.wait_for_charts()
    charts = v.page.locator(".sots-chart")
    for i in range(charts.count()):
        chart_id = charts.nth(i).get_attribute("id")
        link = v.page.locator(f"#{chart_id} + script + p.sots-chart-data a.sots-csv").first
        assert link.inner_text() == "Download data (CSV)", f"{page}: chart {chart_id} has no CSV link"
        made = v.page.locator(f"#{chart_id} + script + p.sots-chart-data .sots-provenance").inner_text()
        assert re.fullmatch(rf"edition {EDITION} · commit \S+ · parameters [0-9a-f]{{12}}", made), made
        response = v.page.request.get(link.evaluate("a => a.href"))
        assert response.ok, f"{page}: {chart_id}'s CSV does not load"
        rows = list(csv.DictReader(io.StringIO(response.text())))
        assert rows, f"{page}: {chart_id}'s CSV is empty"
        # The CSV holds the chart's own data, row for row as drawn from (the spec embeds the same rows).
        script = v.page.locator(f"#{chart_id} + script").inner_text()
        spec = json.loads(script.split("vegaEmbed(el, ", 1)[1].rsplit(", {", 1)[0].replace("<\\/", "</"))
        main = main_dataset(spec)
        assert len(rows) == len(spec["datasets"][main])
    assert v.console == []
