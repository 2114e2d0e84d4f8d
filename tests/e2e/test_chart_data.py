"""Under every chart: a short line of its own sources, each linked over https, and one CSV of the data it draws,
named `<edition>-<chapter>-<chart>.csv`, rounded as the chart shows it, with a metadata file (units, sources,
licence, edition and provenance) and the chart as SVG."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from helpers import ROOT, chapter_pages
from sots.chapters import charts
from sots.chapters.charts import main_dataset
from sots.inputs import data

pytestmark = pytest.mark.e2e

EDITION = "2023-24"
PROVENANCE = rf"edition {EDITION} · code [0-9a-f]{{12}} · parameters [0-9a-f]{{12}}"
# The tables some charts draw on, by page and chart: the allocations are no source of the claims or deficit charts.
TABLES = {
    ("funding_per_head", "core-allocation-per-registered-head"): {"icb_allocations", "icb_weighted_population",
                                                                  "icb_lookup"},
    ("finance", "deficits-before-and-after-support-against-plans"): {"published_figures"},
    ("claims", "claims-by-verdict"): set(),
    ("quality", "lsoas-in-englands-most-deprived-20"): {"lsoa_deprivation", "icb_lookup"},
}


@pytest.mark.parametrize("page", chapter_pages())
def test_every_chart_has_its_own_sources_and_one_named_rounded_described_csv(built_site, serve, visit, page):
    base = serve(built_site)
    v = visit(f"{base}/{EDITION}/{page}")
    v.wait_for_charts()
    chapter = page.removesuffix(".html").split("/")[-1]
    package = data.table_sources(ROOT / "data")
    charts_on_page = v.page.locator(".sots-chart")
    assert charts_on_page.count() > 0 or page.endswith("timeline.html"), f"{page}: no charts"  # the timeline is prose
    names = []
    for i in range(charts_on_page.count()):
        chart_id = charts_on_page.nth(i).get_attribute("id")
        line = v.page.locator(f"#{chart_id} + script + div.sots-chart-data")
        link = line.locator("a.sots-csv").first
        assert link.inner_text() == "data (CSV)", f"{page}: chart {chart_id} has no CSV link"
        # Provenance is small print (the link's title), not the visible line.
        assert re.fullmatch(PROVENANCE, link.get_attribute("title")), link.get_attribute("title")
        assert "parameters" not in line.inner_text()
        name = link.get_attribute("href").rsplit("/", 1)[1]
        assert re.fullmatch(rf"{EDITION}-{charts.slug(chapter)}-[a-z0-9]+(-[a-z0-9]+)*\.csv", name), name
        names.append(name)
        response = v.page.request.get(link.evaluate("a => a.href"))
        assert response.ok, f"{page}: {name} does not load"
        rows = list(csv.reader(io.StringIO(response.text())))
        header, rows = rows[0], rows[1:]
        assert rows, f"{page}: {name} is empty"

        # One table: the chart's main data (not a one-row reference layer), rounded as the chart shows it.
        script = v.page.locator(f"#{chart_id} + script").inner_text()
        embedded = script.split("vegaEmbed(el, ", 1)[1].split(", " + json.dumps(charts.EMBED_OPTIONS), 1)[0]
        spec = json.loads(embedded.replace("<\\/", "</"))
        table = charts.chart_table(spec)
        assert len(rows) == len(table) and len(rows) >= max(len(r) for _, r in charts.chart_rows(spec))
        fields = charts.encoded_fields(spec)
        for row, drawn in zip(rows, table):
            assert row == [charts.rounded(drawn.get(c), fields.get(c, {}).get("rounding")) for c in header]
        assert not re.search(r"\d\.\d{5,}", response.text()), f"{name} holds unrounded numbers"
        drawn = one_mark_per_row(spec, [dict(zip(header, r)) for r in rows])
        if drawn is not None:  # bars and points: the CSV's rows (of the year shown) are the marks drawn
            marks = v.page.locator(f"#{chart_id} svg.marks g.role-mark").first.locator(":scope > path").count()
            assert marks == drawn, f"{page}: {chart_id} draws {marks} marks for {drawn} rows"

        # Its metadata: units, sources, licence, edition and provenance.
        about_link = line.locator("a.sots-metadata")
        about = v.page.request.get(about_link.evaluate("a => a.href")).json()
        assert about["path"] == name and about["edition"] == EDITION
        assert [f["name"] for f in about["schema"]["fields"]] == header
        assert all("unit" in f for f in about["schema"]["fields"] if f["name"].endswith(("_gbp", "_pct", "_rank")))
        assert re.fullmatch(PROVENANCE, "edition {edition} · code {code_sha256} · parameters {parameters_sha256}"
                            .format(**about["provenance"]))
        if about["sources"]:
            assert data.OGL in about["licenses"]
            assert "Contains public sector information licensed under the Open Government Licence v3.0" in (
                about["attribution"])

        # Its sources: those of the tables it draws on, and no others, each linked over https.
        own = {s["title"] for t in about["tables"] for s in package[t]}
        assert {s["title"] for s in about["sources"]} <= own, f"{name}: sources of tables it does not draw on"
        if (chapter, name.removeprefix(f"{EDITION}-{charts.slug(chapter)}-")[:-4]) in TABLES:
            assert set(about["tables"]) == TABLES[chapter, name.removeprefix(
                f"{EDITION}-{charts.slug(chapter)}-")[:-4]], name
        listed = line.locator("details.sots-sources li")
        assert listed.count() <= len(about["sources"])
        assert (listed.count() > 0) == bool(about["sources"]), f"{name}: sources line and metadata disagree"
        for href in line.locator("details.sots-sources a").evaluate_all("as => as.map(a => a.getAttribute('href'))"):
            assert href.startswith("https://") and data.HTTPS_ADDRESS.fullmatch(href), href
        if about["sources"]:
            summary = line.locator("details.sots-sources > summary")
            assert summary.inner_text().startswith("Sources: ")
            # Short: the sources and the downloads each take a line or two in the desktop column.
            height = summary.bounding_box()["height"]
            assert height <= 2.6 * float(summary.evaluate(
                "s => parseFloat(getComputedStyle(s).lineHeight) || 1.5 * parseFloat(getComputedStyle(s).fontSize)"
            )), f"{name}: the sources line is {height} px tall"

        # Its table, a tap away: the CSV's rows, as the chart shows them (thousands separated where it does so).
        shown = line.locator("details.sots-chart-table")
        shown.locator("summary").click()
        if len(rows) <= charts.TABLE_ROWS_SHOWN:
            cells = shown.locator("tbody tr").evaluate_all(
                "trs => trs.map(tr => [...tr.cells].map(td => td.textContent))")
            order = [h.inner_text() for h in shown.locator("thead th").all()]
            assert len(cells) == len(rows) and len(order) == len(header), f"{name}: its table is not its CSV"
            assert sorted(c.replace(",", "") for r in cells for c in r) == sorted(
                c.replace(",", "") for r in rows for c in r), name
        else:
            assert f"{len(rows):,} rows" in shown.inner_text()
        shown.locator("summary").click()

        # The chart as SVG, made in the page.
        svg = line.locator("a.sots-svg")
        assert svg.is_visible() and svg.get_attribute("download") == name.replace(".csv", ".svg")
    assert len(names) == len(set(names)), f"{page}: two charts share a file name"
    assert v.console == []


def test_the_svg_link_saves_the_drawn_chart(built_site, serve, visit):
    base = serve(built_site)
    v = visit(f"{base}/{EDITION}/notebooks/funding_per_head.html")
    v.wait_for_charts()
    link = v.page.locator("a.sots-svg").first
    with v.page.expect_download() as saved:
        link.click()
    download = saved.value
    assert download.suggested_filename == f"{EDITION}-funding-per-head-core-allocation-per-registered-head.svg"
    with open(download.path()) as f:
        assert f.read().startswith("<svg")
    assert v.console == []


def one_mark_per_row(spec: dict, rows: list[dict]) -> int | None:
    """How many marks a chart whose first layer draws one bar or point per row of its CSV's table should show, or None
    if it is not one.

    A chart with a bound selection (the year buttons) draws the rows of the selected year.
    """
    if any(k in spec for k in ("facet", "vconcat", "hconcat", "concat")):
        return None
    first = spec["layer"][0] if "layer" in spec else spec
    mark = first.get("mark")
    mark = mark.get("type") if isinstance(mark, dict) else mark
    largest, its_rows = max(charts.chart_rows(spec), key=lambda named: len(named[1]))  # the CSV's table
    if (mark not in ("bar", "point", "circle", "square") or len(its_rows) != len(rows)  # panels drawn in parts
            or first.get("data", {}).get("name", main_dataset(spec)) != largest):
        return None
    selected = [(p["name"], p["value"]) for p in spec.get("params", []) if "bind" in p and "value" in p]
    for name, value in selected:
        if rows and name in rows[0]:
            rows = [r for r in rows if r[name] == str(value)]
    return len(rows)
