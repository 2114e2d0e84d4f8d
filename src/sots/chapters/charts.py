"""Every chart in the book: one accessible theme, the focal ICB highlighted, drawn offline.

Chart functions return Altair charts and change no global state. A chapter shows one through
:meth:`sots.chapters.context.Chapter.show`, which calls :func:`render`: a plain ``<div>`` and a call to ``vegaEmbed``,
which the book loads from its own ``_static/vega-offline.js`` (see :func:`offline_bundle`), with the book's theme merged
into the spec. Altair's own HTML renderer would fetch vega from a CDN, so charts would be blank offline.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import html
import json
import math
import numbers
import os
import re
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import altair as alt
import pandas as pd

from sots import escape
from sots.chapters.marks import PRINT_OPEN, WEB_ONLY
from sots.chapters.palette import CATEGORICAL, FOCAL, OTHERS, REFERENCE
from sots.chapters.statuses import STATUS_COLOURS
from sots.inputs import data
from sots.prose import listed, ordinal

FONT = "Arial, Helvetica, sans-serif"
BAR_STEP = 13  # pixels per ICB bar: 42 bars fit in a page-height chart

EMBED_OPTIONS = {
    "renderer": "svg",  # SVG keeps text selectable and the marks inspectable by tests and screen readers
    # Export (PNG/SVG) works offline; the editor links would point off-site, so they are off.
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}


# The book's theme, merged under each chart's own config when it is rendered (:func:`themed`), so importing this
# module changes nothing in Altair and a chart looks the same in the book and in an analyst's own session.
THEME = {
    "font": FONT,
    "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": REFERENCE, "titleColor": REFERENCE},
    "legend": {"labelFontSize": 12, "titleFontSize": 13},
    "title": {"fontSize": 15, "anchor": "start", "color": REFERENCE},
    "view": {"stroke": None},
    "bar": {"color": OTHERS},
    "point": {"color": OTHERS, "filled": True, "size": 60},
}


def themed(spec: dict) -> dict:
    """``spec`` with :data:`THEME` under its own ``config`` (a chart's own settings win, key by key)."""
    config = {key: dict(value) if isinstance(value, dict) else value for key, value in THEME.items()}
    for key, value in spec.get("config", {}).items():
        config[key] = (
            {**config[key], **value} if isinstance(value, dict) and isinstance(config.get(key), dict) else value
        )
    return {**spec, "config": config}


def provenance_text(provenance: dict | None) -> str:
    """'edition 2023-24 · code 1a2b… · parameters 3c4d…' for a build's provenance; '' outside a build.

    The code and parameters hashes say what made the chart (:func:`sots.site.pipeline.provenance`); the page's footer
    names the commit of the build that published it. Under a chart they are small print: the CSV link's ``title`` and
    the chart's metadata file, not the visible line."""
    if not provenance:
        return ""
    p = provenance
    return f"edition {p['edition']} · code {p['code_sha256']} · parameters {p['parameters_sha256']}"


def cited_sources(sources: list[dict]) -> list[tuple[dict, str | None]]:
    """The sources a chart names, each once, with its https address or None (:func:`sots.inputs.data.source_link`). The
    sources of one publisher with one path that is not an address are one: the published figures' catalogue entries
    ("Various: each figure names its publisher…", "see each figure's source_url") say the same."""
    shown: dict[tuple[str, str], tuple[dict, str | None]] = {}
    for entry in sources:
        href = data.source_link(entry)
        key = (entry["publisher"], str(entry.get("path"))) if href is None else (data.citation(entry), href)
        shown.setdefault(key, (entry, href))
    return list(shown.values())


def publishers(sources: list[dict]) -> list[str]:
    """The publishers of ``sources``, each once, in order: a joint publisher ("Office for National Statistics; The
    Strategy Unit") as each of its names, without what follows a ": " or " (" ("Office for National Statistics (Open
    Geography Portal)" -> "Office for National Statistics"; "Various: …" -> "various publishers")."""
    names = []
    for entry in sources:
        for name in entry["publisher"].split("; "):
            name = re.split(r": | \(", name)[0].strip()
            names.append("various publishers" if name == "Various" else name)
    return list(dict.fromkeys(filter(None, names)))


def sources_html(sources: list[dict]) -> str:
    """The sources line under a chart: "Sources: " and the publishers of the tables the chart draws on, which opens
    to each publication (publisher, title and period: :func:`sots.inputs.data.citation`), a link to its publisher's page
    where the data package gives an https address; "" for none.

    A ``<details>``: the publishers keep the line under the chart to a line or two at any width, where the full
    titles of a chart's five or six publications took ten lines on a phone."""
    cited = cited_sources(sources)
    if not cited:
        return ""
    items = "".join(
        f'<li><a href="{html.escape(href, quote=True)}">{escape.html(data.citation(entry))}</a></li>' if href
        else f"<li>{escape.html(data.citation(entry))}</li>" for entry, href in cited)
    count = f" ({len(cited)} publications)" if len(cited) > 1 else ""
    # The summary is a touch target at least 24 px tall (sots.css; WCAG 2.2's target size, which axe checks). A printed
    # page cannot open it, so the print page opens it (PRINT_OPEN) and the PDF lists every publication.
    return (f'<details class="sots-sources {PRINT_OPEN}"><summary>Sources: '
            f'{escape.html("; ".join(publishers(sources)))}{count}</summary><ul>{items}</ul></details>')


def chart_rows(spec: dict) -> list[tuple[str, list[dict]]]:
    """The rows a chart draws, per dataset: (name, rows), the chart's own (top-level) data first.

    Altair puts every data frame of a chart in the spec's ``datasets``; a layered chart may have several (e.g. the
    ICBs and an England reference line).
    """
    datasets = spec.get("datasets", {})
    main = main_dataset(spec)
    names = sorted(datasets, key=lambda n: (n != main, n))
    return [(name, datasets[name]) for name in names]


def main_dataset(spec: dict) -> str | None:
    """The name of a chart's own data: the spec's, else its first layer's or sub-chart's, depth first."""
    name = (spec.get("data") or {}).get("name")
    if name:
        return name
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            found = main_dataset(part)
            if found:
                return found
    return None


def chart_table(spec: dict) -> list[dict]:
    """The one table a chart's download gives: its largest dataset (the ICBs, not the one-row England or claim line a
    layer draws), with the rows of every other dataset of the same columns (the panels or years of one table that a
    chart draws in parts), each row once, in the order met; only the columns the chart uses (:func:`used_columns`),
    so a chart of one measure does not carry the others its frame holds. [] for a chart with no data."""
    found = chart_rows(spec)
    if not found:
        return []
    main = max(found, key=lambda named: len(named[1]))[1]  # max keeps the first of equal sizes: the chart's own
    columns = _columns(main)
    rows, seen = [], set()
    for _, part in found:
        if part is main or _columns(part) == columns:
            for row in part:
                key = json.dumps(row, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    rows.append(row)
    kept = used_columns(spec, columns)
    return [{c: row[c] for c in kept if c in row} for row in rows]


def used_columns(spec: dict, columns: list[str]) -> list[str]:
    """Those of ``columns`` a chart uses: named anywhere in its spec but its data, as a field ("icb_code") or in an
    expression (``datum.year``, ``datum['year']``); all of them if it names none."""
    text = json.dumps({k: v for k, v in spec.items() if k != "datasets"})
    used = [c for c in columns if json.dumps(c) in text or re.search(
        rf"datum(\.{re.escape(c)}\b|\[\\?['\"]{re.escape(c)}\\?['\"]\])", text)]
    return used or list(columns)


def _columns(rows: list[dict]) -> list[str]:
    """Every key of ``rows``, in the order first met."""
    return list(dict.fromkeys(key for row in rows for key in row))


# --- Rounding: a chart's CSV gives each number as the chart shows it ------------------------------------------------

SIGNIFICANT = 4  # figures kept of a number whose chart gives it no format (never fewer than its whole part's digits)
# A d3 number format, as Vega-Lite takes it: [[fill]align][sign][symbol][0][width][,][.precision][~][type].
_D3_FORMAT = re.compile(r"^(?:.?[<>=^])?[-+( ]?[$#]?0?\d*,?(?:\.(?P<precision>\d+))?~?(?P<type>[a-zA-Z%]?)$")


def rounding_of(fmt: str) -> tuple[str, int] | None:
    """How a d3 format rounds a number: ("decimals", n) or ("significant", n); None for a format that does not say
    (no precision, or not a number's).

    ",.1f" -> ("decimals", 1); "d" -> ("decimals", 0); ".1%" -> ("decimals", 3) (a fraction shown in per cent);
    ".3s" or ".2" -> ("significant", 3 or 2); "~s" -> None."""
    m = _D3_FORMAT.match(fmt or "")
    if not m:
        return None
    kind, precision = m["type"], m["precision"]
    if kind == "d":
        return ("decimals", 0)
    if precision is None:
        return None
    if kind == "f":
        return ("decimals", int(precision))
    if kind == "%":
        return ("decimals", int(precision) + 2)
    if kind in ("", "e", "g", "r", "s", "p"):
        return ("significant", max(1, int(precision)))
    return None


def _fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimal places (none below 0: rounded to tens, hundreds…), never "-0"."""
    if decimals < 0:
        value, decimals = round(value, decimals), 0
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def rounded(value, rounding: tuple[str, int] | None) -> str:
    """One cell of a chart's CSV: a number rounded by ``rounding`` (:func:`rounding_of`), else (no format known) to
    :data:`SIGNIFICANT` significant figures but never fewer than its whole part's digits, trailing zeros dropped;
    an integer as it is; a missing value as ""; text as it is.

    1873.104512080893 -> "1873"; 0.0123456 -> "0.01235"; 12.3456 -> "12.35"; 3.0 -> "3"; with ("decimals", 1):
    1873.104 -> "1873.1"; with ("significant", 2): 1873.1 -> "1900"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if _is_integer(value):
        return str(value)
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    if rounding is None:
        text = _fixed(value, max(0, SIGNIFICANT - 1 - magnitude))
        return text.rstrip("0").rstrip(".") if "." in text else text
    kind, n = rounding
    return _fixed(value, n if kind == "decimals" else n - 1 - magnitude)


def encoded_fields(spec: dict) -> dict[str, dict]:
    """Each field a chart encodes: its ``title`` (the first given) and the ``format`` it is shown with.

    A tooltip's or text mark's format is the value as the reader reads it; an axis's only labels its ticks, so it
    counts only for a field no tooltip or text gives. Of several, the finest (most decimals) wins, so the CSV never
    rounds more than the chart shows."""
    shown: dict[str, list[str]] = {}
    axes: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    partners: dict[str, str] = {}  # a range's two ends (y and y2: a waterfall's start and end) share one format

    def visit(node) -> None:
        if isinstance(node, dict):
            for one, two in (("x", "x2"), ("y", "y2"), ("theta", "theta2")):
                ends = [(node.get(k) or {}).get("field") if isinstance(node.get(k), dict) else None for k in (one, two)]
                if all(isinstance(e, str) for e in ends):
                    partners.setdefault(ends[0], ends[1])
                    partners.setdefault(ends[1], ends[0])
            field = node.get("field")
            if isinstance(field, str):
                if isinstance(node.get("title"), str):
                    titles.setdefault(field, node["title"])
                if isinstance(node.get("format"), str):
                    shown.setdefault(field, []).append(node["format"])
                axis = node.get("axis")
                if isinstance(axis, dict) and isinstance(axis.get("format"), str):
                    axes.setdefault(field, []).append(axis["format"])
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit({k: v for k, v in spec.items() if k != "datasets"})
    found = {}
    for field in dict.fromkeys([*titles, *shown, *axes, *partners]):
        partner = partners.get(field, "")
        formats = shown.get(field) or shown.get(partner) or axes.get(field) or axes.get(partner) or []
        known = [(r, f) for f in formats if (r := rounding_of(f)) is not None]
        # Finest first: most decimals; significant figures count as finer than none.
        best = max(known, key=lambda rf: (rf[0][0] == "decimals", rf[0][1]), default=None)
        found[field] = {"title": titles.get(field), "format": best[1] if best else None,
                        "rounding": best[0] if best else None}
    return found


# A column's unit from its name's ending (the naming rule of sots.inputs.data's schemas), else its chart title's.
UNIT_SUFFIXES = (("_gbp_m", "GBP million"), ("_gbp_k", "GBP thousand"), ("_gbp", "GBP"),
                 ("_pct_points", "percentage points"), ("_pct", "per cent"), ("_frac", "fraction"),
                 ("_share", "fraction"), ("_persons", "persons"), ("_years", "years"), ("_rank", "rank (1 = highest)"))
TITLE_UNITS = (("(£ million)", "GBP million"), ("(£m)", "GBP million"), ("(£)", "GBP"), ("(%)", "per cent"),
               ("(years)", "years"))


def column_unit(name: str, title: str | None) -> str | None:
    """The unit of a chart's column: from its name's ending ("acute_cost_per_head_gbp" -> "GBP"), else its title's
    ("Treated to target (%)" -> "per cent", "£ per person" -> "GBP per person"); None if neither says."""
    unit = next((u for suffix, u in UNIT_SUFFIXES if name.endswith(suffix)), None)
    if unit or not title:
        return unit
    if title.startswith("£ "):
        return "GBP " + title[2:]
    return next((u for ending, u in TITLE_UNITS if title.endswith(ending)), None)


def _field_type(values: list) -> str:
    """The Table Schema type of a column's values: "integer", "number" or "string"."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if present and all(_is_integer(v) for v in present):
        return "integer"
    if present and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present):
        return "number"
    return "string"


def _rounding_words(field: dict, kind: str) -> str | None:
    """How a column's numbers are rounded, in words, for the metadata; None for a column of integers or text."""
    if kind != "number":
        return None
    if field.get("rounding") is None:
        return (f"{SIGNIFICANT} significant figures, never fewer than the whole part's digits (the chart gives no "
                "format)")
    how, n = field["rounding"]
    words = f"{n} decimal place{'s' * (n != 1)}" if how == "decimals" else f"{n} significant figure{'s' * (n != 1)}"
    return f"{words}, as the chart shows it (format '{field['format']}')"


# --- A chart's download: one CSV and its metadata, named by edition, chapter and title -------------------------------


def slug(text: str, most: int = 60) -> str:
    """``text`` as a file name's part: ASCII letters and digits in lower case, words joined by "-", at most ``most``
    characters, cut between words. "Activity-based acute cost per head (£)" -> "activity-based-acute-cost-per-head";
    "England's most deprived 20%" -> "englands-most-deprived-20"."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", ascii_text.lower())).strip("-")
    if len(words) > most:
        words = words[:most + 1].rsplit("-", 1)[0] if "-" in words[:most + 1] else words[:most]
    return words or "chart"


def chart_title(spec: dict) -> str:
    """A chart's title as text (a title object's ``text``, lines joined by spaces); its description if untitled."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title or spec.get("description") or "chart")


def download_name(edition: str, chapter: str, title: str, order: int, taken: set[str]) -> str:
    """The stem of a chart's download files: ``<edition>-<chapter>-<chart>`` (slugs, e.g.
    "2023-24-funding-per-head-core-allocation-per-registered-head"), with the chart's ``order`` on the page added only
    if an earlier chart of the page (``taken``, to which the name is added) has the same one."""
    name = "-".join(filter(None, (slug(edition), slug(chapter), slug(title))))
    if name in taken:
        name = f"{name}-{order}"
    taken.add(name)
    return name


def chart_metadata(spec: dict, name: str, rows: list[dict], *, sources: list[dict] = (), licenses: list[dict] = (),
                   provenance: dict | None = None, tables: list[str] | None = None) -> dict:
    """What a chart's CSV is, as a Frictionless Tabular Data Resource (the standard ``data/datapackage.json`` follows):
    its title and description (the chart's), each column's title, unit and rounding, the sources of the tables it is
    drawn from (``tables``: their names in ``data/datapackage.json``), their licences and the attribution they ask
    for, the edition and the code and parameters that made it."""
    fields = encoded_fields(spec)
    columns = _columns(rows)
    schema = []
    for column in columns:
        kind = _field_type([row.get(column) for row in rows])
        field = fields.get(column, {})
        entry = {"name": column, "type": kind, "title": field.get("title"),
                 "unit": column_unit(column, field.get("title")), "rounding": _rounding_words(field, kind)}
        schema.append({k: v for k, v in entry.items() if v is not None})
    publishers = list(dict.fromkeys(s["publisher"] for s in sources))
    attribution = " ".join(filter(None, [
        data.ATTRIBUTION if any(lic.get("name") == data.OGL["name"] for lic in licenses) else "",
        f"Publishers: {'; '.join(publishers)}." if publishers else ""]))
    made = provenance or {}
    return {
        "profile": "tabular-data-resource",
        "name": name,
        "path": f"{name}.csv",
        "title": chart_title(spec),
        "description": str(spec.get("description", "")),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "edition": made.get("edition"),
        "schema": {"fields": schema},
        "tables": list(tables or []),
        "sources": [{k: s[k] for k in ("title", "publisher", "path", "period") if k in s} for s in sources],
        "licenses": [dict(lic) for lic in licenses],
        "attribution": attribution,
        "provenance": {k: made[k] for k in ("edition", "code_sha256", "parameters_sha256") if k in made},
    }


def write_chart_data(spec: dict, name: str, folder: Path, cwd: Path, *, sources: list[dict] = (),
                     licenses: list[dict] = (), provenance: dict | None = None,
                     tables: list[str] | None = None) -> tuple[str, str] | None:
    """Write a chart's table (:func:`chart_table`) as ``<name>.csv``, its numbers rounded as the chart shows them
    (:func:`rounded`), and its metadata (:func:`chart_metadata`) as ``<name>.json``, in ``folder``; return both links
    relative to ``cwd`` (the page's folder), or None for a chart with no data.

    The metadata is a sidecar, not a "#" header in the CSV: many readers (Excel's import, pandas by default, R's
    read.csv) would take such a header for data, so the CSV stays a plain table any of them opens."""
    rows = chart_table(spec)
    if not rows:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    columns, fields = _columns(rows), encoded_fields(spec)
    csv_path, json_path = folder / f"{name}.csv", folder / f"{name}.json"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(columns)
        for row in rows:
            out.writerow([rounded(row.get(c), fields.get(c, {}).get("rounding")) for c in columns])
    metadata = chart_metadata(spec, name, rows, sources=sources, licenses=licenses, provenance=provenance,
                              tables=tables)
    json_path.write_text(json.dumps(metadata, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return tuple(os.path.relpath(p, cwd).replace(os.sep, "/") for p in (csv_path, json_path))


def download_links(chart_id: str, name: str, links: tuple[str, str] | None, provenance: str = "") -> str:
    """"Download: data (CSV) · metadata (JSON) · chart (SVG)" under a chart; "" outside a build (no files).

    The provenance is the CSV link's ``title`` (small print on hover; it is in the metadata too). The SVG link is
    hidden until the chart has drawn; then it saves the drawn chart (the render script's handler), offline."""
    if not links:
        return ""
    csv_link, json_link = (html.escape(link, quote=True) for link in links)
    made = f' title="{html.escape(provenance, quote=True)}"' if provenance else ""
    svg_name = html.escape(f"{name}.svg", quote=True)
    return ('<span class="sots-downloads">Download: '
            f'<a class="sots-csv" href="{csv_link}" download{made}>data (CSV)</a> · '
            f'<a class="sots-csv sots-metadata" href="{json_link}" download>metadata (JSON)</a>'
            f'<span class="sots-svg-item" id="{chart_id}-svg-item" hidden> · <a class="sots-csv sots-svg" '
            f'id="{chart_id}-svg" href="#{chart_id}" download="{svg_name}">chart (SVG)</a></span></span>')


TABLE_ROWS_SHOWN = 150  # a chart's table on the page: more rows than this are the CSV's to give, not the page's


def table_html(spec: dict) -> str:
    """A chart's data as a table under it, as Our World in Data's "Table" tab gives it: the rows of its download
    (:func:`chart_table`), rounded as the chart shows them (:func:`rounded`), each column headed by the title the chart
    gives its field, in a ``<details>`` that opens to it ("Table (42 rows)"); "" for a chart with no data. A chart of
    more than :data:`TABLE_ROWS_SHOWN` rows (a projection by single year of age) names its CSV instead. Not printed:
    the board pack has the chart, and the data are a download."""
    rows = chart_table(spec)
    if not rows:
        return ""
    columns, fields = reading_order(rows), encoded_fields(spec)
    summary = f"Table ({len(rows)} rows)" if len(rows) > 1 else "Table"
    if len(rows) > TABLE_ROWS_SHOWN:
        body = f"<p>{len(rows):,} rows: too many for the page; the data (CSV) below has them all.</p>"
    else:
        head = "".join(f'<th scope="col">{escape.html(heading(c, fields))}</th>' for c in columns)
        cells = "".join("<tr>" + "".join(_cell(row.get(c), fields.get(c, {})) for c in columns) + "</tr>"
                        for row in rows)
        body = (f'<div class="sots-table-box"><table class="sots-chart-rows"><thead><tr>{head}</tr></thead>'
                f"<tbody>{cells}</tbody></table></div>")
    return f'<details class="sots-chart-table sots-web-only"><summary>{summary}</summary>{body}</details>'


def reading_order(rows: list[dict]) -> list[str]:
    """The columns of a chart's table as a reader reads them: what each row is (names and other text) first, then its
    year, its numbers, and codes last ("icb_code"); each group in the CSV's order."""
    columns = _columns(rows)

    def group(column: str) -> int:
        if column.endswith("_code"):
            return 3
        if column == "year":
            return 1
        return 2 if any(isinstance(row.get(column), numbers.Real) for row in rows) else 0

    return sorted(columns, key=lambda c: (group(c), columns.index(c)))


def _cell(value, field: dict) -> str:
    """A cell of a chart's table: the value as its CSV gives it (:func:`rounded`), with thousands separators where the
    chart shows them (its format has ","); a number's right-aligned (sots.css)."""
    text = rounded(value, field.get("rounding"))
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return f"<td>{escape.html(text)}</td>"
    if "," in (field.get("format") or ""):
        whole, dot, part = text.partition(".")
        text = f"{int(whole):,}{dot}{part}" if whole.lstrip("-").isdigit() else text
    return f'<td class="sots-number">{escape.html(text)}</td>'



def heading(column: str, fields: dict[str, dict]) -> str:
    """A column's heading in a chart's table: the title the chart gives its field (:func:`encoded_fields`), else its
    name in words ("icb_code" -> "ICB code")."""
    title = fields.get(column, {}).get("title")
    if title:
        return title
    words = column.replace("_", " ")
    return re.sub(r"\bicb\b", "ICB", words[:1].upper() + words[1:], flags=re.IGNORECASE)


def chart_data_line(sources: str, downloads: str, table: str = "") -> str:
    """The small print under a chart: its table (:func:`table_html`), its sources (:func:`sources_html`), then its
    downloads line; "" if it has none. A ``<div>``: a ``<details>`` may not sit in a ``<p>``."""
    lines = [table, sources, f"<p>{downloads}</p>" if downloads else ""]
    return f'<div class="sots-chart-data">{"".join(lines)}</div>' if any(lines) else ""


class Rendered:
    """A chart as the book shows it: its markup for the page and its Vega-Lite spec for Jupyter."""

    def __init__(self, markup: str, spec: dict):
        self.markup, self.spec = markup, spec

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.markup, f"application/vnd.vegalite.v{alt.SCHEMA_VERSION[1]}+json": self.spec,
                "text/plain": repr(self)}

    def __repr__(self) -> str:
        # Stable text, not an object address: the same inputs must publish a byte-identical notebook.
        return f"Chart: {self.spec.get('description', 'no description')}"


# Saves the drawn chart as SVG when its "chart (SVG)" link is followed, as vega-embed's own export menu does: the
# view's toSVG() makes the file in the page, so it works offline. The link is shown only once the chart has drawn; a
# chart may draw before the parser has reached its link (which follows the script), so then it waits for the page.
# A chart as wide as its box follows the box, not only the window: vega measures its box when the window's resize
# event fires, which can come before the page has been laid out at its new width (a phone turned, a window
# resized), and the chart then keeps a width the box does not have. The width is set again from the box once it has
# its size (an observer of the box), and on the frame after each resize (after vega's own handler, whichever of the
# two comes first).
FIT_SCRIPT = """
    var box = el.querySelector(".chart-wrapper");
    var fit = function () {
      if (box.clientWidth && result.view.signal("width") !== box.clientWidth) {
        // resize(): vega lays the chart out again, so its axes and labels come out of the new width, as they do when
        // vega's own handler sets it.
        result.view.signal("width", box.clientWidth).resize().runAsync();
      }
    };
    if (box && window.ResizeObserver) new ResizeObserver(fit).observe(box);
    if (box) window.addEventListener("resize", function () { requestAnimationFrame(fit); });"""

SVG_SCRIPT = """
    (function wire() {
      var svg = document.getElementById(el.id + "-svg");
      if (!svg) {
        if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
        return;
      }
      svg.addEventListener("click", function (event) {
        event.preventDefault();
        result.view.toSVG().then(function (text) {
          var url = URL.createObjectURL(new Blob([text], {type: "image/svg+xml"}));
          var a = document.createElement("a");
          a.href = url;
          a.download = svg.getAttribute("download");
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
        });
      });
      document.getElementById(el.id + "-svg-item").hidden = false;
    })();"""


def render(
    chart: alt.TopLevelMixin | dict, *, order: int, data_folder: Path | None = None, cwd: Path | None = None,
    provenance: dict | None = None, sources: list[dict] = (), licenses: list[dict] = (),
    name: str | Callable[[str], str] | None = None, tables: list[str] | None = None,
    phone: alt.TopLevelMixin | dict | None = None,
) -> Rendered:
    """A chart's markup: a ``<figure class="sots-figure">`` holding a ``<figcaption>`` (the chart's description: the
    one sentence on what it shows that its function made from the data), then a div plus a vegaEmbed call, with an
    id stable across builds (spec hash + ``order`` on the page), then the line of sources and downloads. The div's
    ``aria-label`` is the same sentence.

    ``sources`` (data package entries, :meth:`sots.chapters.context.Chapter.sources`) are the sources of the tables the
    chart draws on, each linked to its publisher's page (:func:`sources_html`). With ``data_folder``, the chart's table
    is written there as ``<name>.csv`` with its metadata ``<name>.json`` (``name``: given, or made from the chart's
    title by a function, as :meth:`~sots.chapters.context.Chapter.show` does with :func:`download_name`; default the
    title's :func:`slug`) and both are linked, relative to ``cwd`` (the page's folder), with a link
    that saves the chart as SVG; ``tables`` (the names of those tables), their ``licenses`` and ``provenance`` go
    into the metadata.

    ``phone`` (e.g. :func:`ranked_phone`) is the chart's view for a narrow screen: the page shows it there, with a
    button that shows the whole chart (:func:`phone_view`); a desktop, and the printed page, show the whole chart.
    """
    spec = themed(_as_dict(chart))
    text = json.dumps(spec, sort_keys=True)
    chart_id = f"sots-chart-{order}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"
    label = html.escape(str(spec.get("description", "Chart")), quote=True)  # the caption, too
    name = name(chart_title(spec)) if callable(name) else name or slug(chart_title(spec))
    links = (write_chart_data(spec, name, data_folder, cwd or Path.cwd(), sources=list(sources),
                              licenses=list(licenses), provenance=provenance, tables=tables)
             if data_folder else None)
    downloads = download_links(chart_id, name, links, provenance_text(provenance))
    narrow = phone_view(themed(_as_dict(phone)), chart_id, whole_chart(spec)) if phone is not None else ""
    # The caption leads the figure: the div, its script and the data line stay adjacent, as readers of the page
    # (and its tests) find a chart's data line by them. role="figure" (not "img"): vega-embed puts its actions menu,
    # a focusable <summary>, inside the div, and an img's children are presentational, which axe-core's
    # nested-interactive rule rejects.
    markup = f"""<figure class="sots-figure{' sots-has-phone-view' if narrow else ''}">
<figcaption class="sots-caption">{label}</figcaption>{narrow}
<div class="sots-chart" id="{chart_id}" role="figure" aria-label="{label}"></div>
{embed_script(chart_id, text, fit=spec.get("width") == "container", svg=bool(links))}{
        chart_data_line(sources_html(list(sources)), downloads, table_html(spec))}
</figure>"""
    return Rendered(markup, spec)


def whole_chart(spec: dict) -> str:
    """The phone view's button text for the whole chart ``spec``: "Show all 42 ICBs" when its rows are ICBs."""
    icbs = {row.get("icb_code") for _, rows in chart_rows(spec)[:1] for row in rows} - {None, ""}
    return f"Show all {len(icbs)} ICBs" if icbs else "Show the whole chart"


DATA_ONCE = "sots-data-once"  # the name of :func:`_as_dict`'s data transformer in Altair's registry


def _as_dict(chart: alt.TopLevelMixin | dict) -> dict:
    if isinstance(chart, dict):
        return chart
    # Altair turns each layer's frame into rows (checking and copying every column) though the layers of a chart
    # share one or two frames: about 60% of the time to_dict took. Done once a frame here, by Altair's own default
    # transformer, so the rows and the spec are the same (tests/unit/test_charts.py compares).
    made: dict[int, tuple[pd.DataFrame, dict]] = {}

    def data_once(frame):
        kept = made.get(id(frame))
        if kept is None or kept[0] is not frame:  # every frame is held by the chart until the call ends
            kept = made[id(frame)] = (frame, alt.default_data_transformer(frame))
        return kept[1]

    alt.data_transformers.register(DATA_ONCE, data_once)
    # For this call only: Altair's default theme would add its own sizes.
    try:
        with alt.theme.enable("none"), alt.data_transformers.enable(DATA_ONCE):
            # Not validated against the Vega-Lite schema here: validation gives the same dict or an error, and it
            # cost more than building the chart, on every chart of every chapter. The unit tests validate each chart
            # function's spec (tests/unit/test_charts.py), which data cannot make invalid.
            return chart.to_dict(validate=False)
    finally:
        made.clear()  # the registry keeps the transformer until the next chart: it holds no frame meanwhile


def embed_script(chart_id: str, text: str, *, fit: bool, svg: bool) -> str:
    """The ``<script>`` that draws the spec ``text`` (JSON) into the div ``chart_id`` with vegaEmbed, offline; with
    ``fit``, the chart follows its box's width (:data:`FIT_SCRIPT`); with ``svg``, it wires the "chart (SVG)"
    download (:data:`SVG_SCRIPT`)."""
    script_safe = text.replace("</", "<\\/")
    return f"""<script type="text/javascript">
(function () {{
  var el = document.getElementById("{chart_id}");
  if (typeof vegaEmbed === "undefined") {{
    el.textContent = "This chart needs the book's vega-offline.js, which did not load.";
    console.error("sots: vegaEmbed is not loaded for {chart_id}");
    return;
  }}
  vegaEmbed(el, {script_safe}, {json.dumps(EMBED_OPTIONS)}).then(function (result) {{
    // vega-embed's export menu opens from a <summary> holding only an icon: give it a name for screen readers.
    var menu = el.querySelector("summary");
    if (menu) menu.setAttribute("aria-label", "Export this chart");{SVG_SCRIPT if svg else ""}{
        FIT_SCRIPT if fit else ""}
  }}).catch(function (err) {{
    el.textContent = "Chart failed to draw: " + err;
    console.error(err);
  }});
}})();
</script>"""


def phone_view(spec: dict, chart_id: str, whole: str = "Show the whole chart") -> str:
    """A chart's view for a narrow screen (``spec``, themed) and the button that shows the whole chart ``chart_id``
    in its place. sots.css shows the view, and hides the whole chart, only below a tablet's width (the print page
    leaves the view out: :data:`sots.chapters.marks.WEB_ONLY`); the button puts
    ``sots-all-shown`` on the figure (and takes it off again). The whole chart is drawn at its box's width even while
    hidden, so it is ready, at the right size, the moment it is shown. ``whole`` is the button's text ("Show all 42
    ICBs")."""
    text = json.dumps(spec, sort_keys=True)
    view_id = f"{chart_id}-phone"
    label = html.escape(str(spec.get("description", "Chart")), quote=True)
    return f"""
<div class="sots-phone-view {WEB_ONLY}">
<div class="sots-phone-chart" id="{view_id}" role="figure" aria-label="{label}"></div>
{embed_script(view_id, text, fit=spec.get("width") == "container", svg=False)}
<button type="button" class="sots-show-all" aria-controls="{chart_id}" aria-expanded="false"
 data-whole="{html.escape(whole, quote=True)}"
 onclick="var f = this.closest('figure'), all = f.classList.toggle('sots-all-shown');
 this.setAttribute('aria-expanded', all); this.textContent = all ? 'Show fewer' : this.dataset.whole;"
>{html.escape(whole)}</button>
</div>"""


@functools.cache
def offline_bundle() -> str:
    """vega, vega-lite and vega-embed as one self-contained script for the book's ``_static`` folder.

    Made once per process (it takes about 3 s, and a run of every ICB stages 84 books).

    Made from the pinned vl-convert-python at the vega-lite version Altair targets, so it changes with the pins.
    Wrapped in a function because its top-level names (e.g. ``_``) clash with Sphinx's own globals.
    """
    import vl_convert

    major_minor = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    bundle = vl_convert.javascript_bundle(vl_version=f"v{major_minor}")
    return (
        f"/* vega, vega-lite {alt.VEGALITE_VERSION} and vega-embed, bundled by vl-convert */\n"
        f"(function () {{\n{bundle}\n}})();\n"
    )


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _thousands(value):
    """An integer with thousands separators ("12,345"); anything else (text, a missing value) as it is."""
    return f"{value:,}" if _is_integer(value) else value


def number_formats(df: pd.DataFrame, formats: dict[str, str]) -> dict:
    """``formats``, plus thousands separators for each other column of integers; a ValueError naming any other
    column that holds a fractional number, since unformatted it would show as a raw float (e.g. 1907.3462)."""
    raw = [str(c) for c in df.columns if c not in formats
           and any(isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral) for v in df[c].dropna())]
    if raw:
        raise ValueError(f"table column(s) {', '.join(map(repr, raw))} hold numbers with no format: give each one in "
                         "formats, e.g. {'£m': '{:,.1f}'}")
    return {c: _thousands for c in df.columns if c not in formats and df[c].map(_is_integer).any()} | formats


class Table:
    """A table for the book: numbers formatted per column, no index, and the same HTML on every build.

    Every number is formatted: a column of fractional numbers must have a format (see :func:`number_formats`), and
    integers get thousands separators. A pandas Styler's plain-text form carries its memory address, which would
    change the published notebook on every run; this shows the frame's own text instead.
    """

    def __init__(self, df: pd.DataFrame, formats: dict[str, str], wrap: tuple[str, ...] = (), missing: str = "–"):
        self.df = df
        digest = hashlib.sha256("|".join(map(str, df.columns)).encode()).hexdigest()[:8]
        # A Styler writes each cell's text into the HTML as it is: text from the data (a publisher, an ICB's name) is
        # escaped here, once, so it reads as typed and is never markup. Numbers are formatted as numbers below.
        shown = df.map(lambda v: escape.html(v) if isinstance(v, str) else v)
        self.styler = (
            shown.style.format(number_formats(df, formats), na_rep=missing).hide(axis="index").set_uuid(f"t{digest}")
            .set_table_attributes('class="sots-table"')
        )
        if wrap:  # long unbroken text, such as an address, may break anywhere rather than run off the page
            self.styler = self.styler.set_properties(subset=list(wrap), **{"overflow-wrap": "anywhere"})

    def _repr_html_(self) -> str:
        return self.styler.to_html()

    def __repr__(self) -> str:
        return self.df.to_string(index=False)


def table(df: pd.DataFrame, formats: dict[str, str], wrap: tuple[str, ...] = (), missing: str = "–") -> Table:
    """Show ``df`` as a book table, formatting the columns named in ``formats`` (e.g. ``{"£": "{:,.0f}"}``).

    Text in the columns named in ``wrap`` (e.g. addresses) may break anywhere, so it never runs off the page. A
    missing value shows as ``missing`` (e.g. "not published for 2099/00").
    """
    return Table(df, formats, wrap, missing)


# --- The sentence each chart is described by (its alt text and its caption), made from the rows it draws ---------

MONEY_AND_PER_CENT = {"£ million": ("£", "m"), "£": ("£", ""), "%": ("", "%")}  # unit -> (prefix, suffix)


def unit_of(title: str) -> str:
    """The unit an axis title names: its closing bracket's if it has one, else the title's own.

    "£", "£ million" or "%" where the unit starts with one ("Deficit (£ million)" -> "£ million", "£ per person" ->
    "£"); otherwise the unit in lower case, a count noun ("Bed days" -> "bed days").
    """
    bracket = re.search(r"\(([^()]*)\)\s*$", title)
    unit = bracket[1] if bracket else title
    return next((u for u in MONEY_AND_PER_CENT if unit.startswith(u)), unit.lower())


def quantity(value: float, unit: str, fmt: str = ",.0f") -> str:
    """``value`` in ``unit`` (see :func:`unit_of`) as a sentence gives it: "£1,907", "£354.8m", "+1.2%", "1,234 bed
    days". ``fmt`` is the chart's number format (a Python format spec; a leading "+" signs rises as well as falls)."""
    prefix, suffix = MONEY_AND_PER_CENT.get(unit, ("", f" {unit}" if unit else ""))
    sign = "-" if value < 0 else "+" if fmt.startswith("+") and value > 0 else ""
    return f"{sign}{prefix}{format(abs(value), fmt.lstrip('+'))}{suffix}"


def describe_ranked_bar(df: pd.DataFrame, *, value: str, rank: str, label: str, focal_code: str, year: str,
                        fmt: str, reference: pd.DataFrame | None, which: str) -> str:
    """One sentence on a ranked bar chart's ``year``: the range across ICBs, the focal ICB's rank and value, and
    England's, each in the unit ``label`` names (see :func:`ranked_bar`)."""
    unit = unit_of(label)
    shown = df[(df["year"] == year) & df[value].notna()]
    focal_name = df.loc[df["icb_code"] == focal_code, "short_name"].iloc[0]
    low, high = shown.loc[shown[value].idxmin()], shown.loc[shown[value].idxmax()]
    counted = which.replace("ICBs", f"{len(shown)} ICBs", 1)
    parts = [f"{label} for {counted} in {year} ranges from {quantity(low[value], unit, fmt)} ({low['short_name']}) "
             f"to {quantity(high[value], unit, fmt)} ({high['short_name']})"]
    focal = shown[shown["icb_code"] == focal_code]
    parts.append(f"{focal_name} has no value for {year}" if focal.empty else
                 f"{focal_name} is {ordinal(int(focal[rank].iloc[0]))} at {quantity(focal[value].iloc[0], unit, fmt)}")
    england = reference[reference["year"] == year][value].dropna() if reference is not None else []
    if len(england):
        parts.append(f"England {quantity(england.iloc[0], unit, fmt)}")
    return "; ".join(parts) + "."


def describe_need_scatter(df: pd.DataFrame, *, focal_code: str, year: str) -> str:
    """One sentence on the need scatter's ``year``: the ranges of need index and £ per head, their (Pearson)
    correlation, and the focal ICB's point."""
    shown = df[df["year"] == year].dropna(subset=["need_index", "core_allocation_per_head_gbp"])
    need, gbp = shown["need_index"], shown["core_allocation_per_head_gbp"]
    focal = df[(df["year"] == year) & (df["icb_code"] == focal_code)].iloc[0]
    return (f"Core allocation per registered head against core need index for {len(shown)} ICBs in {year}: the index "
            f"runs from {need.min():.3f} to {need.max():.3f} and the allocation from {quantity(gbp.min(), '£')} to "
            f"{quantity(gbp.max(), '£')} (correlation {need.corr(gbp):.2f}); {focal['short_name']} has an index of "
            f"{focal['need_index']:.3f} and {quantity(focal['core_allocation_per_head_gbp'], '£')} per head.")


def describe_band_lines(df: pd.DataFrame, *, title: str, y_title: str, fmt: str, base_year: int | None) -> str:
    """One sentence on a band chart: the fastest- and slowest-growing band and place from ``base_year`` (else the
    first year) to the last, in per cent, with the fastest's values in the unit ``y_title`` names."""
    first, last = base_year or int(df["year"].min()), int(df["year"].max())
    wide = df[df["year"].isin([first, last])].pivot_table(index=["place", "band"], columns="year", values="value")
    growth = (wide[last] / wide[first] - 1) * 100
    (fast_place, fast_band), (slow_place, slow_band) = growth.idxmax(), growth.idxmin()
    then, now = (quantity(wide.loc[(fast_place, fast_band), y], unit_of(y_title), fmt) for y in (first, last))
    return (f"{title}, {first} to {last}: the fastest-growing band is {fast_band} in {fast_place}, "
            f"{quantity(growth.max(), '%', '+.1f')} (from {then} to {now}); the slowest is {slow_band} in "
            f"{slow_place}, {quantity(growth.min(), '%', '+.1f')}.")


def median_age(persons: pd.Series) -> int:
    """The age (years) of the median person, from persons by single year of age (the index, in years)."""
    counts = persons.groupby(level=0).sum().sort_index()
    return int(counts.index[(counts.cumsum() >= counts.sum() / 2).to_numpy().argmax()])


def describe_pyramid(df: pd.DataFrame, *, years: tuple[int, int], title: str) -> str:
    """One sentence on a population pyramid: the persons in each year, the change (per cent) and the median age."""
    first, second = years
    one, two = (df[df["year"] == y].set_index("age")["persons"] for y in years)
    return (f"{title}: {quantity(one.sum(), 'persons')} in {first} and {quantity(two.sum(), 'persons')} in {second} "
            f"({quantity((two.sum() / one.sum() - 1) * 100, '%', '+.1f')}); the median age is {median_age(one)} in "
            f"{first} and {median_age(two)} in {second}.")


def describe_growth_fan(df: pd.DataFrame, *, title: str, highlight: str, band: pd.DataFrame | None) -> str:
    """One sentence on a growth fan: the highlighted series' growth by its last year, the range across series that
    year, and the interval's, all in per cent."""
    last = int(df.loc[df["series"] == highlight, "year"].max())
    at_last = df[df["year"] == last].set_index("series")["growth_pct"]
    pct = lambda v: quantity(v, "%", "+.1f")  # noqa: E731
    text = f"{title}: by {last}, {highlight} grows {pct(at_last[highlight])} on the base year"
    if len(at_last) > 1:  # one series (an area with no variant projections) has no range to give
        text += f"; the {len(at_last)} series range from {pct(at_last.min())} to {pct(at_last.max())}"
    if band is not None and (band["year"] == last).any():
        row = band[band["year"] == last].iloc[0]
        text += f", and the 80% interval from {pct(row['low'])} to {pct(row['high'])}"
    return text + "."


def describe_waterfall(df: pd.DataFrame, *, title: str, y_title: str, fmt: str) -> str:
    """One sentence on a waterfall: the first total, the largest change and the last total, in ``y_title``'s unit."""
    unit = unit_of(y_title)
    totals, changes = df[df["start"] == 0], df[df["start"] != 0]
    first, last = totals.iloc[0], totals.iloc[-1]
    text = f"{title}: from {quantity(first['end'], unit, fmt)} ({first['step']})"
    if len(changes):
        size = changes["end"] - changes["start"]
        largest = changes.loc[size.abs().idxmax()]
        text += (f", the largest change is {largest['step']} at "
                 f"{quantity(largest['end'] - largest['start'], unit, '+' + fmt.lstrip('+'))}")
    return text + f", to {quantity(last['end'], unit, fmt)} ({last['step']})."


def describe_stacked_years(df: pd.DataFrame, *, title: str, y_title: str, fmt: str) -> str:
    """One sentence on stacked areas: the total in the first and last year, its change (per cent), and the largest
    part's share (per cent) in the last year."""
    unit = unit_of(y_title)
    total = df.groupby("year")["value"].sum()
    first, last = int(total.index.min()), int(total.index.max())
    parts = df[df["year"] == last].set_index("part")["value"]
    change = quantity((total[last] / total[first] - 1) * 100, "%", "+.1f")
    return (f"{title}: the total is {quantity(total[first], unit, fmt)} in {first} and "
            f"{quantity(total[last], unit, fmt)} in {last} ({change}); {parts.idxmax()} is the largest part, "
            f"{parts.max() / parts.sum() * 100:.0f}% in {last}.")


SEXES = {"f": "women", "m": "men"}


def describe_age_profile(df: pd.DataFrame, *, title: str, y_title: str, fmt: str) -> str:
    """One sentence on an age profile: its highest and lowest value, each with its sex and age (90 is 90 and over)."""
    unit = unit_of(y_title)
    high, low = df.loc[df["value"].idxmax()], df.loc[df["value"].idxmin()]
    age = lambda a: f"{int(a)}+" if a >= 90 else str(int(a))  # noqa: E731
    return (f"{title}: highest for {SEXES[high['sex']]} aged {age(high['age'])}, {quantity(high['value'], unit, fmt)}, "
            f"and lowest for {SEXES[low['sex']]} aged {age(low['age'])}, {quantity(low['value'], unit, fmt)}.")


def describe_rank_dots(ranks: pd.DataFrame, *, focal_name: str, claimed_rank: int | None) -> str:
    """One sentence on the rank dots: the focal ICB's best and worst rank and on which measure, and the claim's."""
    best, worst = ranks.loc[ranks["rank"].idxmin()], ranks.loc[ranks["rank"].idxmax()]
    text = (f"{focal_name}'s rank among ICBs on {len(ranks)} measures runs from {best['rank_text']} ({best['row']}) "
            f"to {worst['rank_text']} ({worst['row']})")
    return text + (f"; the report claims {ordinal(claimed_rank)}." if claimed_rank else ".")


def describe_share_bars(shares: pd.DataFrame, *, stated_pct: float, focal_name: str, highlight: str) -> str:
    """One sentence on the savings shares: their range (per cent) across the bases, and the base nearest the
    report's share."""
    near = shares[shares["base"] == highlight].iloc[0]
    return (f"{focal_name}'s savings are {shares['share_pct'].min():.2f}% to {shares['share_pct'].max():.2f}% of "
            f"the {len(shares)} funding bases; the report states {stated_pct:g}%, nearest {near['label']} at "
            f"{near['share_pct']:.2f}%.")


def describe_deficit_bars(deficits: pd.DataFrame, *, focal_name: str) -> str:
    """One sentence on the deficits: the years shown, and the largest outturn and the largest plan (£ million)."""
    parts = [f"{focal_name}'s published deficits in {listed(sorted(deficits['year'].unique()))}"]
    for kind, name in (("outturn", "outturn"), ("plan", "plan")):
        rows = deficits[deficits["kind"] == kind]
        if len(rows):
            top = rows.loc[rows["value_gbp_m"].idxmax()]
            parts.append(f"the largest {name} is {top['category']} in {top['year']}, "
                         f"{quantity(top['value_gbp_m'], '£ million', ',.1f')}")
    return parts[0] + (": " + "; ".join(parts[1:]) if parts[1:] else "") + "."


def describe_amount_bars(df: pd.DataFrame, *, title: str, focal_name: str) -> str:
    """One sentence on labelled amounts: whose they are, then each bar's label and amount (£ million), in order."""
    return f"{title}, {focal_name}: " + "; ".join(f"{label}, {quantity(v, '£ million')}"
                                    for label, v in zip(df["label"], df["value_gbp_m"])) + "."


def describe_status_bars(df: pd.DataFrame, *, title: str) -> str:
    """One sentence on claims by status: the total and each status's count."""
    total = int(df["claims"].sum())
    return (f"{title}: {total} claim{'s' * (total != 1)}, "
            + listed([f"{int(n)} {status}" for status, n in zip(df["status"], df["claims"])]) + ".")


def _year_selector(years: list[str], default: str) -> alt.Parameter:
    """The year shown; a radio button to choose it when there is more than one year."""
    if len(years) == 1:
        return alt.param(name="year", value=default)
    return alt.param(
        name="year",
        value=default,
        bind=alt.binding_radio(options=years, name="Year: "),
    )


def channels(**encodings) -> dict[str, alt.SchemaBase | list]:
    """The keyword arguments of a chart's ``encode``, each a channel object of Altair's: a shorthand string
    (``"year:O"``) as its field channel (``alt.X("year:O")``), a dict with a ``value`` (:func:`altair.value`, or
    :func:`altair.condition` with one) as its value channel (``alt.XValue``), any other dict as its field channel, a
    list item by item; a channel object is kept as it is.

    Why: ``encode`` makes the same objects from a string or a dict through Altair's ``from_dict``, which hashes the
    schema of every channel class to find the one to make, about 10 ms a channel: a quarter of a chapter's run when
    it draws a dozen charts. The spec is the same either way (tests/unit/test_charts.py compares).
    """
    return {name: _channel(name, value) for name, value in encodings.items()}


def _channel(name: str, value):
    """One ``encode`` argument as :func:`channels` makes it (``name``: the channel, e.g. ``x``, ``strokeDash``)."""
    if isinstance(value, alt.SchemaBase):
        return value
    if isinstance(value, list | tuple):
        return [_channel(name, item) for item in value]
    if isinstance(value, str):
        value = {"shorthand": value}
    if not isinstance(value, dict):
        raise TypeError(f"channel {name!r}: expected a shorthand, a dict or a channel object, got {type(value)}")
    kind = name[:1].upper() + name[1:] + ("Value" if "value" in value else "")
    return getattr(alt, kind)(**value)


def layered(*layers: alt.Chart, params: Sequence[alt.Parameter] = (), **properties) -> alt.LayerChart:
    """``alt.layer(*layers).add_params(*params).properties(**properties)``, the same spec, without the copies: a layer
    chart's ``add_params`` copies the whole chart twice to put the params on its first layer, and ``properties``
    once more (a ranked chart took 28 ms to put together that way, 5 ms this way). ``properties`` are not checked
    here, as ``properties`` would: the unit tests validate every chart function's spec."""
    first, *rest = layers
    return alt.LayerChart(layer=[first.add_params(*params) if params else first, *rest], **properties)


def _focal_color(focal_code: str) -> alt.Color:
    return alt.condition(
        alt.datum.icb_code == focal_code, alt.value(FOCAL), alt.value(OTHERS)
    )


# --- Charts that fit their box: a phone's column (342 px at 390 px) or a desktop's (672 px at 1280 px) -------------


def fitted(height: int) -> dict:
    """Properties that make a single or layered chart as wide as its box at any width, ``height`` px tall, its axes
    and legends inside that width. A fixed height, not a step per row: vega-lite warns in the browser when a step
    height meets a container width. (A faceted or concatenated chart cannot take its box's width: those have fixed
    widths that fit a phone, :data:`NARROW`.)"""
    return {"width": "container", "height": int(height), "autosize": alt.AutoSizeParams(type="fit-x",
                                                                                        contains="padding")}


NARROW = 250  # px: a panel of a faceted or concatenated chart, which with its axis fits a phone's 342 px column


def label_limit(most: int, share: float = 0.42) -> alt.ExprRef:
    """The longest a category label may be: ``most`` px, and at most ``share`` of the chart's box on a narrow
    screen, so the marks keep the rest of the width."""
    return alt.ExprRef(f"clamp(containerSize()[0] * {share}, 90, {most})")


def legend_below(**kwargs) -> alt.Legend:
    """A legend under the chart, one entry a row, its labels no wider than the box allows: beside the chart, it took
    width a phone does not have."""
    return alt.Legend(orient="bottom", columns=1, labelLimit=alt.ExprRef("clamp(containerSize()[0] - 40, 200, 360)"),
                      **kwargs)


TITLE_CHARACTERS = 34  # of a title's line: fewer than a phone's 342 px column holds of 15 px bold Arial, beside
# vega-embed's menu button


def title_lines(text: str) -> str | list[str]:
    """A chart's or an axis's title as lines that fit a phone's column (:data:`TITLE_CHARACTERS`), of about equal
    length, so no line is a lone word; the text as it is when it fits one. A title wider than its chart is cut off on
    a phone, and an axis title anchored at the plot's end that runs past its start moves the whole chart out of its
    box."""
    count = math.ceil(len(text) / TITLE_CHARACTERS)
    if count <= 1:
        return text
    lines = textwrap.wrap(text, math.ceil(len(text) / count) + 4, break_long_words=False)
    return lines if len(lines) == count else textwrap.wrap(text, TITLE_CHARACTERS, break_long_words=False)


def ranked_bar(
    df: pd.DataFrame, *, value: str, rank: str, label: str, focal_code: str, default_year: str,
    fmt: str = ",.0f", reference: pd.DataFrame | None = None, which: str = "all ICBs", note: str = "",
    dots: bool = False,
) -> alt.LayerChart:
    """Every ICB's ``value`` as a bar (or with ``dots``, a dot), sorted highest first, the focal ICB in blue and
    labelled, with a year choice.

    ``df`` has ``year``, ``icb_code``, ``short_name``, ``value`` and ``rank``; ``reference`` (optional) has ``year`` and
    ``value``, drawn as a dashed England line. ``which`` names the ICBs shown, for the subtitle; ``note`` (e.g. the
    years a measure was not published for) ends the subtitle. Dots suit a measure whose spread is small beside its
    size (pounds per head differ by a few per cent between ICBs): their axis starts near the lowest value, where
    bars from zero would all look alike.
    """
    years = sorted(df["year"].unique())
    year = _year_selector(years, default_year)
    focal_name = df.loc[df["icb_code"] == focal_code, "short_name"].iloc[0]
    base = alt.Chart(df).transform_filter(alt.datum.year == year)
    # One explicit sort for every layer: "-x" would differ between the stacked bars and the labels.
    order = alt.EncodingSortField(field=value, op="max", order="descending")
    y = alt.Y("short_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=label_limit(260)))
    focal = alt.datum.icb_code == focal_code
    mark = base.mark_point(filled=True, opacity=1) if dots else base.mark_bar()
    bars = mark.encode(**channels(
        # The axis title ends at the plot's right edge: centred under a phone's narrow plot, it ran off the chart.
        x=alt.X(f"{value}:Q", title=title_lines(label), axis=alt.Axis(format=fmt, titleAnchor="end"),
                scale=alt.Scale(zero=not dots)),
        y=y,
        color=_focal_color(focal_code),
        **({"size": alt.condition(focal, alt.value(120), alt.value(50))} if dots else {}),
        tooltip=[
            alt.Tooltip("short_name:N", title="ICB"),
            alt.Tooltip(f"{value}:Q", title=label, format=fmt),
            alt.Tooltip(f"{rank}:Q", title="Rank (1 = highest)"),
        ],
    ))
    # The label layer uses the same rows as the bars (blank text for all but the focal ICB), so both layers share
    # one sorted domain; a filtered label layer would make vega-lite fall back to alphabetical order.
    text = base.mark_text(align="left", dx=8 if dots else 4, fontWeight="bold", color=FOCAL).encode(**channels(
        x=f"{value}:Q", y=y,
        text=alt.condition(alt.datum.icb_code == focal_code, alt.Text(f"{value}:Q", format=fmt), alt.value("")),
    ))
    layers = [bars, text]
    if reference is not None:
        layers.append(
            alt.Chart(reference).transform_filter(alt.datum.year == year).mark_rule(
                strokeDash=[4, 3], color=REFERENCE
            ).encode(**channels(x=f"{value}:Q", tooltip=[alt.Tooltip(f"{value}:Q", title="England", format=fmt)]))
        )
    return layered(*layers, params=[year],
        **fitted(BAR_STEP * int(df.loc[df["year"] == default_year, "icb_code"].nunique())),
        # The subtitle's parts a line each, so a phone's width does not cut them off.
        title=alt.Title(title_lines(label),
                        subtitle=[f"{which[:1].upper() + which[1:]}, highest first; {focal_name} in blue",
                                  *(["Dashed line: England"] if reference is not None else []),
                                  *([note[:1].upper() + note[1:]] if note else [])]),
        description=describe_ranked_bar(df, value=value, rank=rank, label=label, focal_code=focal_code,
                                        year=default_year, fmt=fmt, reference=reference, which=which),
    )


PHONE_ENDS = 5  # the highest and the lowest shown on a phone, with the focal ICB
PHONE_STEP = 34  # px a row of the phone's view: its name above its mark


def phone_rows(df: pd.DataFrame, *, value: str, rank: str, focal_code: str, ends: int = PHONE_ENDS) -> pd.DataFrame:
    """The rows a phone shows of a ranking, per year: the ``ends`` highest and lowest ICBs by ``rank`` (1 = highest)
    and the focal ICB, in rank order, with a row between any two that are not neighbours saying how many ICBs it
    leaves out ("… 26 more ICBs"). Columns: ``year``, ``icb_code``, ``value``, ``order`` (rank; a gap between its two
    neighbours), ``row`` (the line shown: "4. Lancashire and South Cumbria") and ``kind`` ("focal", "icb" or "gap").
    ICBs with no value are left out, as the full chart leaves them."""
    out = []
    for year, rows in df[df[value].notna() & df[rank].notna()].groupby("year", sort=True):
        count = len(rows)
        kept = rows[(rows[rank] <= ends) | (rows[rank] > count - ends) | (rows["icb_code"] == focal_code)]
        kept = kept.sort_values(rank)
        previous = 0
        for _, row in kept.iterrows():
            place = int(row[rank])
            if place - previous > 1:
                out.append({"year": year, "icb_code": "", value: None, "order": previous + 0.5,
                            "row": f"… {place - previous - 1} more ICBs", "kind": "gap"})
            out.append({"year": year, "icb_code": row["icb_code"], value: row[value], "order": float(place),
                        "row": f"{place}. {row['short_name']}",
                        "kind": "focal" if row["icb_code"] == focal_code else "icb"})
            previous = place
    return pd.DataFrame(out, columns=["year", "icb_code", value, "order", "row", "kind"])


def ranked_phone(
    df: pd.DataFrame, *, value: str, rank: str, label: str, focal_code: str, default_year: str,
    fmt: str = ",.0f", reference: pd.DataFrame | None = None, which: str = "all ICBs", note: str = "",
    dots: bool = False,
) -> alt.LayerChart:
    """A ranking as a phone shows it: :func:`ranked_bar`'s chart (same arguments) cut to the highest and lowest ICBs
    and the focal one (:func:`phone_rows`), each row's rank and name written above its bar or dot and its value beside
    it, since a phone has no width for 42 names beside 42 marks. The book shows it on a narrow screen, with the whole
    chart a tap away (:func:`render`'s ``phone``)."""
    rows = phone_rows(df, value=value, rank=rank, focal_code=focal_code)
    years = sorted(df["year"].unique())
    year = _year_selector(years, default_year)
    base = alt.Chart(rows).transform_filter(alt.datum.year == year)
    y = alt.Y("row:N", sort=alt.EncodingSortField(field="order", op="min", order="ascending"), axis=None)
    # No axis title: the chart's own title names the measure, and a long one would not fit under a phone's plot.
    x = alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=fmt, tickCount=4), scale=alt.Scale(zero=not dots))
    focal = alt.datum.kind == "focal"
    marks = base.transform_filter(alt.datum.kind != "gap")
    # Each row's mark sits in the lower part of its band, its name in the upper part, so names get the whole width.
    mark = marks.mark_point(filled=True, opacity=1, yOffset=7) if dots else marks.mark_bar(size=9, yOffset=7)
    drawn = mark.encode(**channels(
        x=x, y=y, color=alt.condition(focal, alt.value(FOCAL), alt.value(OTHERS)),
        **({"size": alt.condition(focal, alt.value(110), alt.value(50))} if dots else {}),
        tooltip=[alt.Tooltip("row:N", title="ICB"), alt.Tooltip(f"{value}:Q", title=label, format=fmt)],
    ))
    # A layer per kind of row (weight and style are mark properties, not channels); one sort on "order" with op
    # "min" for every layer, which vega-lite can union across layers that hold different rows.
    names = [base.transform_filter(alt.datum.kind == kind).mark_text(
        align="left", baseline="bottom", dy=1, fontSize=12, color=FOCAL if kind == "focal" else REFERENCE,
        limit=alt.ExprRef("width"),  # a long name ends in "…" at the chart's edge
        fontWeight="bold" if kind == "focal" else "normal", fontStyle="italic" if kind == "gap" else "normal",
    ).encode(**channels(x=alt.value(0), y=y, text="row:N")) for kind in ("icb", "focal", "gap")]
    values = marks.mark_text(align="left", baseline="middle", dx=8 if dots else 4, yOffset=7,
                             fontSize=11).encode(**channels(
        x=f"{value}:Q", y=y, text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(focal, alt.value(FOCAL), alt.value(REFERENCE)),
    ))
    layers = [drawn, *names, values]
    if reference is not None:
        layers.append(alt.Chart(reference).transform_filter(alt.datum.year == year).mark_rule(
            strokeDash=[4, 3], color=REFERENCE).encode(**channels(
                x=f"{value}:Q", tooltip=[alt.Tooltip(f"{value}:Q", title="England", format=fmt)])))
    shown = rows[rows["year"] == default_year]
    count = int(df.loc[(df["year"] == default_year) & df[value].notna(), "icb_code"].nunique())
    focal_name = df.loc[df["icb_code"] == focal_code, "short_name"].iloc[0]
    return layered(*layers, params=[year],
        **fitted(PHONE_STEP * len(shown)),
        title=alt.Title(title_lines(label),
                        subtitle=[f"The {PHONE_ENDS} highest and {PHONE_ENDS} lowest of {count} ICBs",
                                  f"{focal_name} in blue",
                                  *(["Dashed line: England"] if reference is not None else []),
                                  *([note[:1].upper() + note[1:]] if note else [])]),
        description=describe_ranked_phone(shown, value=value, label=label, fmt=fmt, count=count, year=default_year,
                                          focal_name=focal_name),
    )


def describe_ranked_phone(shown: pd.DataFrame, *, value: str, label: str, fmt: str, count: int, year: str,
                          focal_name: str) -> str:
    """One sentence on :func:`ranked_phone`'s rows for ``year`` (:func:`phone_rows`): which ICBs it shows and their
    values, in the unit ``label`` names."""
    unit = unit_of(label)
    icbs = shown[shown["kind"] != "gap"]
    listed_rows = listed([f"{row['row'].split('. ', 1)[1]} {quantity(row[value], unit, fmt)}"
                          for _, row in icbs.iterrows()])
    return (f"{label} in {year}, the {PHONE_ENDS} highest and {PHONE_ENDS} lowest of {count} ICBs with {focal_name}, "
            f"highest first: {listed_rows}.")


def need_scatter(df: pd.DataFrame, *, focal_code: str, default_year: str) -> alt.LayerChart:
    """Need index (x) against core £ per registered head (y), one point per ICB, the focal ICB labelled."""
    years = sorted(df["year"].unique())
    year = _year_selector(years, default_year)
    base = alt.Chart(df).transform_filter(alt.datum.year == year)
    x = alt.X("need_index:Q", title="Core need index (weighted ÷ registered population)", scale=alt.Scale(zero=False))
    y = alt.Y(
        "core_allocation_per_head_gbp:Q", title="Core allocation per registered head (£)", scale=alt.Scale(zero=False),
        axis=alt.Axis(format=",.0f"),
    )
    points = base.mark_point().encode(**channels(
        x=x,
        y=y,
        color=_focal_color(focal_code),
        size=alt.condition(alt.datum.icb_code == focal_code, alt.value(140), alt.value(60)),
        tooltip=[
            alt.Tooltip("short_name:N", title="ICB"),
            alt.Tooltip("need_index:Q", title="Need index", format=".3f"),
            alt.Tooltip("core_allocation_per_head_gbp:Q", title="£ per head", format=",.0f"),
        ],
    ))
    label = base.transform_filter(alt.datum.icb_code == focal_code).mark_text(
        align="center", dy=-14, fontWeight="bold", color=FOCAL
    ).encode(**channels(x=x, y=y, text="short_name:N"))
    return layered(points, label, params=[year],
        **fitted(340),
        title=alt.Title("Need against funding", subtitle="Each point is an ICB; funding follows need"),
        description=describe_need_scatter(df, focal_code=focal_code, year=default_year),
    )


def band_lines(
    df: pd.DataFrame, *, title: str, y_title: str, fmt: str = ",.0f", base_year: int | None = None,
    x_title: str = "Mid-year",
) -> alt.Chart:
    """Persons (or another count) by year, one line per age band, one panel per place.

    ``df`` is long: ``place``, ``band``, ``year`` (int) and ``value``. A rule marks ``base_year`` if given. The years
    are population years, so the axis says "Mid-year" unless ``x_title`` says otherwise.
    """
    places = list(dict.fromkeys(df["place"]))
    lines = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=18)).encode(**channels(
        x=alt.X("year:O", title=x_title, axis=alt.Axis(values=list(range(2018, 2044, 5)), labelAngle=0)),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt)),
        color=alt.Color("band:N", title="Age band", scale=alt.Scale(range=list(CATEGORICAL)), legend=legend_below()),
        strokeDash=alt.StrokeDash("band:N", title="Age band", legend=legend_below()),
        tooltip=[alt.Tooltip("place:N", title="Place"), alt.Tooltip("band:N", title="Band"),
                 alt.Tooltip("year:O", title="Year"), alt.Tooltip("value:Q", title=y_title, format=fmt)],
    ))
    layers = [lines]
    if base_year is not None:
        # The rule takes the facet's rows too (a layer in a facet cannot bring its own), filtered to one year.
        layers.append(alt.Chart(df).transform_filter(alt.datum.year == base_year).transform_aggregate(
            groupby=["year"]).mark_rule(strokeDash=[4, 3], color=REFERENCE).encode(**channels(x="year:O")))
    # One panel a row: two side by side ran off a phone's screen. A single panel takes its box's width.
    chart = layered(*layers, data=df,
        **({"width": NARROW, "height": 160} if len(places) > 1 else fitted(220)))
    if len(places) > 1:
        chart = chart.facet(
            facet=alt.Facet("place:N", title=None, sort=places), columns=1,
        ).resolve_scale(y="independent")
    return chart.properties(
        title=alt.Title(
            title, subtitle=["Lines by age band", *([f"Dashed rule: base year {base_year}"] if base_year else [])],
        ),
        description=describe_band_lines(df, title=title, y_title=y_title, fmt=fmt, base_year=base_year),
    )


def pyramid(df: pd.DataFrame, *, years: tuple[int, int], title: str) -> alt.LayerChart:
    """Population pyramid: persons by single year of age, men left and women right; the first year as bars, the
    second as a line, so the change in shape shows. ``df``: ``sex`` (f/m), ``age``, ``year``, ``persons``.
    """
    first, second = years
    d = df.assign(signed=lambda x: x["persons"].where(x["sex"] == "f", -x["persons"]),
                  Sex=lambda x: x["sex"].map({"f": "Women", "m": "Men"}))
    x = alt.X("signed:Q", title="Persons (men left, women right)",
              axis=alt.Axis(format="~s", labelExpr="replace(datum.label, '−', '')"))
    y = alt.Y("age:O", title="Age (years; 90 = 90+)", sort="descending", axis=alt.Axis(values=list(range(0, 91, 10))))
    tooltip = [alt.Tooltip("Sex:N"), alt.Tooltip("age:O", title="Age"), alt.Tooltip("year:O", title="Year"),
               alt.Tooltip("persons:Q", title="Persons", format=",.0f")]
    bars = alt.Chart(d[d["year"] == first]).mark_bar(color=OTHERS).encode(**channels(x=x, y=y, tooltip=tooltip))
    line = alt.Chart(d[d["year"] == second]).mark_line(color=FOCAL, strokeWidth=2,
                                                        interpolate="step").encode(**channels(
        x=x, y=y, detail="Sex:N", order="age:O", tooltip=tooltip
    ))
    return layered(bars, line,
        **fitted(4 * d["age"].nunique()),
        title=alt.Title(title, subtitle=f"Grey bars: {first}; blue line: {second}"),
        description=describe_pyramid(df, years=years, title=title),
    )


def growth_fan(
    df: pd.DataFrame, *, title: str, highlight: str, band: pd.DataFrame | None = None, x_title: str = "Year",
) -> alt.LayerChart:
    """Growth since the base year (%) by year, one line per series, ``highlight`` in blue and named, the others grey.

    ``df``: ``series``, ``year`` (int), ``growth_pct``. ``band`` (optional): ``year``, ``low``, ``high`` (%), drawn
    as a shaded interval (e.g. a Monte Carlo p10 to p90).
    """
    x = alt.X("year:Q", title=x_title, axis=alt.Axis(format="d"), scale=alt.Scale(zero=False))
    y = alt.Y("growth_pct:Q", title="Growth since base year (%)")
    layers = []
    if band is not None:
        layers.append(alt.Chart(band).mark_area(opacity=0.25, color=FOCAL).encode(**channels(
            x=x, y=alt.Y("low:Q", title="Growth since base year (%)"), y2="high:Q",
            tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("low:Q", title="p10 %", format=".1f"),
                     alt.Tooltip("high:Q", title="p90 %", format=".1f")])))
    layers.append(alt.Chart(df).mark_line(strokeWidth=1.5).encode(**channels(
        x=x, y=y, detail="series:N",
        color=alt.condition(alt.datum.series == highlight, alt.value(FOCAL), alt.value(OTHERS)),
        size=alt.condition(alt.datum.series == highlight, alt.value(3), alt.value(1.2)),
        tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("year:Q", format="d"),
                 alt.Tooltip("growth_pct:Q", title="Growth %", format=".1f")])))
    last = df[df["series"] == highlight].sort_values("year").tail(1)
    layers.append(alt.Chart(last).mark_text(align="left", dx=5, fontWeight="bold", color=FOCAL).encode(**channels(
        x=x, y=y, text="series:N")))
    return layered(*layers,
        **fitted(280),
        title=alt.Title(
            title, subtitle=f"{highlight} in blue" + ("; shaded: 80% interval" if band is not None else ""),
        ),
        description=describe_growth_fan(df, title=title, highlight=highlight, band=band),
    )


def waterfall(df: pd.DataFrame, *, title: str, fmt: str = ",.1f", y_title: str = "£ million") -> alt.LayerChart:
    """Waterfall: bars from ``start`` to ``end`` for each ``step`` in order; totals grey, changes blue.

    A total (``start`` 0) is labelled with its value, a change with its signed size.
    """
    total = df["start"] == 0
    d = df.assign(
        change=df["end"] - df["start"], kind=total.map({True: "total", False: "change"}),
        label=[
            format(e, fmt) if t else format(e - s, "+" + fmt.lstrip("+"))
            for s, e, t in zip(df["start"], df["end"], total)
        ],
    )
    # On a narrow screen the steps' names slant, so each keeps its full width.
    narrow = "containerSize()[0] < 560"
    x = alt.X("step:N", sort=list(d["step"]), title=None, axis=alt.Axis(
        labelAngle=alt.ExprRef(f"{narrow} ? -40 : 0"), labelAlign=alt.ExprRef(f"{narrow} ? 'right' : 'center'"),
        labelLimit=130))
    bars = alt.Chart(d).mark_bar(size=alt.ExprRef(f"{narrow} ? 28 : 48")).encode(**channels(
        x=x, y=alt.Y("start:Q", title=y_title), y2="end:Q",
        color=alt.condition(alt.datum.kind == "total", alt.value(OTHERS), alt.value(FOCAL)),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("change:Q", title="Change", format=fmt),
                 alt.Tooltip("end:Q", title="Running total", format=fmt)],
    ))
    labels = alt.Chart(d).mark_text(dy=-8, color=REFERENCE).encode(**channels(x=x, y="end:Q", text="label:N"))
    return layered(bars, labels,
        **fitted(280), title=alt.Title(title, subtitle="Grey: totals; blue: changes"),
        description=describe_waterfall(df, title=title, y_title=y_title, fmt=fmt),
    )


def stacked_years(
    df: pd.DataFrame, *, title: str, y_title: str, fmt: str = ",.0f", x_title: str = "Year",
) -> alt.Chart:
    """Stacked areas by year: ``year`` (int), ``part`` and ``value`` (e.g. unplanned and elective bed days).

    Opaque: stacked areas do not overlap, and see-through ones would be paler than the palette's 3:1."""
    return alt.Chart(df).mark_area().encode(**channels(
        x=alt.X("year:Q", title=x_title, axis=alt.Axis(format="d")),
        y=alt.Y("value:Q", title=y_title, stack=True, axis=alt.Axis(format=fmt)),
        color=alt.Color("part:N", title=None, scale=alt.Scale(range=list(CATEGORICAL)), legend=legend_below()),
        tooltip=[alt.Tooltip("part:N"), alt.Tooltip("year:Q", format="d"),
                 alt.Tooltip("value:Q", title=y_title, format=fmt)],
    )).properties(**fitted(260), title=title,
                 description=describe_stacked_years(df, title=title, y_title=y_title, fmt=fmt))


def age_profile(df: pd.DataFrame, *, title: str, y_title: str, fmt: str = ",.0f") -> alt.Chart:
    """A value by single year of age, one line for women and one for men: ``sex`` (f/m), ``age``, ``value``."""
    d = df.assign(Sex=df["sex"].map({"f": "Women", "m": "Men"}))
    return alt.Chart(d).mark_line(strokeWidth=2).encode(**channels(
        x=alt.X("age:Q", title="Age (years; 90 = 90+)"),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt)),
        # One legend: colour and dash share the field, title and domain, so vega-lite merges them.
        color=alt.Color("Sex:N", title=None, legend=legend_below(),
                        scale=alt.Scale(domain=["Women", "Men"], range=list(CATEGORICAL[:2]))),
        strokeDash=alt.StrokeDash("Sex:N", title=None, legend=legend_below(),
                                  scale=alt.Scale(domain=["Women", "Men"], range=[[1, 0], [4, 3]])),
        tooltip=[alt.Tooltip("Sex:N"), alt.Tooltip("age:Q", title="Age"),
                 alt.Tooltip("value:Q", title=y_title, format=fmt)],
    )).properties(**fitted(260), title=title,
                 description=describe_age_profile(df, title=title, y_title=y_title, fmt=fmt))


def rank_dots(
    ranks: pd.DataFrame, *, focal_name: str, claimed_rank: int | None = None, claim: str = "",
) -> alt.LayerChart:
    """The focal ICB's rank on each measure as a labelled dot on a 1-to-n scale, and a claimed rank as a dashed rule.

    ``ranks`` has ``row`` (measure and year, the axis label), ``rank``, ``n`` and ``rank_text`` (e.g. "2nd of 42").
    Without ``claimed_rank`` there is no rule.
    """
    n_max = int(ranks["n"].max())
    order = list(ranks["row"])
    # Each label on two lines, the measure then its year ("..., 2023/24"), so a phone can show it whole: the dots
    # need little width.
    y = alt.Y("row:N", sort=order, title=None, axis=alt.Axis(
        labelLimit=label_limit(340, share=0.68), labelExpr="split(datum.label, ', ')"))
    # Ticks far enough apart for their labels: the claimed rank (or 1), 10, 20, 30 and the last rank.
    first = claimed_rank or 1
    ticks = sorted({first, n_max} | {t for t in (10, 20, 30) if t - first >= 5 and n_max - t >= 5})
    # The axis title ends at the plot's right edge: centred on a phone's narrow plot, it ran off the chart.
    x = alt.X("rank:Q", title="Rank among ICBs (1 = highest)", scale=alt.Scale(domain=[n_max, 1], nice=False),
              axis=alt.Axis(values=ticks, format="d", titleAnchor="end"))
    base = alt.Chart(ranks)
    dots = base.mark_point(filled=True, size=120, color=FOCAL, opacity=1).encode(**channels(
        x=x, y=y, tooltip=[alt.Tooltip("row:N", title="Measure"), alt.Tooltip("rank_text:N", title="Rank")]))
    text = base.mark_text(align="right", dx=-10, fontWeight="bold", color=FOCAL).encode(
        **channels(x=x, y=y, text="rank_text:N"))
    layers = [dots, text]
    if claimed_rank:
        claimed = pd.DataFrame({"rank": [claimed_rank], "label": [claim]})
        rule = alt.Chart(claimed).mark_rule(strokeDash=[4, 3], color=REFERENCE).encode(**channels(x=x))
        rule_text = alt.Chart(claimed).mark_text(
            align="right", dx=-4, dy=-4, baseline="bottom", color=REFERENCE,
        ).encode(**channels(x=x, y=alt.value(0), text="label:N"))
        layers = [rule, rule_text, *layers]
    subtitle = "Further right is higher" + ("; dashed line: the report's claim" if claimed_rank else "")
    return layered(*layers,
        **fitted(38 * len(ranks) + 10),
        title=alt.Title([f"{focal_name}:", "rank on each measure"], subtitle=subtitle),
        description=describe_rank_dots(ranks, focal_name=focal_name, claimed_rank=claimed_rank),
    )


def share_bars(shares: pd.DataFrame, *, stated_pct: float, focal_name: str, highlight: str) -> alt.LayerChart:
    """Savings as a per cent of each funding base (bars), against the share the report states (a dashed rule).

    ``shares`` has ``label``, ``share_pct`` and ``base``; the base named ``highlight`` (the match, or the nearest) is
    in blue and its label says so.
    """
    df = shares.assign(shown=[f"{v:.2f}%" + (" ◀ closest" if b == highlight else "")
                              for v, b in zip(shares["share_pct"], shares["base"])])
    y = alt.Y("label:N", sort=list(df["label"]), title=None, axis=alt.Axis(labelLimit=label_limit(300)))
    top = max(float(df["share_pct"].max()), stated_pct) * 1.35  # room for the value labels
    x = alt.X("share_pct:Q", title="Savings as a share of the base (%)", axis=alt.Axis(format=".0f"),
              scale=alt.Scale(domain=[0, top], nice=False))
    colour = alt.condition(alt.datum.base == highlight, alt.value(FOCAL), alt.value(OTHERS))
    bars = alt.Chart(df).mark_bar().encode(**channels(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("label:N", title="Base"), alt.Tooltip("share_pct:Q", title="Share (%)", format=".2f"),
                 alt.Tooltip("amount_gbp_m:Q", title="Base (£m)", format=",.1f")]))
    text = alt.Chart(df).mark_text(align="left", dx=4, color=REFERENCE).encode(**channels(x=x, y=y, text="shown:N"))
    stated = pd.DataFrame({"share_pct": [stated_pct], "label": [f"report: {stated_pct:g}%"]})
    rule = alt.Chart(stated).mark_rule(strokeDash=[4, 3], color=REFERENCE, strokeWidth=2).encode(**channels(x=x))
    rule_text = alt.Chart(stated).mark_text(align="right", dx=-4, dy=-4, baseline="bottom",
                                            color=REFERENCE).encode(**channels(
        x=x, y=alt.value(0), text="label:N"))
    return layered(bars, text, rule, rule_text,
        **fitted(34 * len(df)),
        title=alt.Title("Savings as a share of each funding base",
                        subtitle=f"{focal_name}; dashed line: the report's share; closest base in blue"),
        description=describe_share_bars(shares, stated_pct=stated_pct, focal_name=focal_name, highlight=highlight),
    )


def deficit_bars(deficits: pd.DataFrame, *, focal_name: str) -> alt.VConcatChart:
    """Deficits by year, one panel each: outturns as blue bars, plans (control totals, limits) as dark bars, labelled.

    ``deficits`` is :func:`sots.analysis.finance.deficits`: ``year``, ``category``, ``kind`` (outturn or plan),
    ``value_gbp_m``, ``source``. Each row's label says whether it is an outturn or a plan, so colour is not the only
    cue.
    """
    df = deficits.assign(shown=[f"£{v:,.1f}m" for v in deficits["value_gbp_m"]])
    top = float(df["value_gbp_m"].max()) * 1.25
    x = alt.X("value_gbp_m:Q", title="Deficit (£ million)", scale=alt.Scale(domain=[0, top], nice=False))
    colour = alt.condition(alt.datum.kind == "plan", alt.value(REFERENCE), alt.value(FOCAL))
    tooltip = [alt.Tooltip("year:N", title="Year"), alt.Tooltip("category:N", title="What"),
               alt.Tooltip("value_gbp_m:Q", title="£m", format=",.1f"), alt.Tooltip("source:N", title="Source")]
    panels = []
    for year, one in df.groupby("year", sort=True):
        # The names in full (they say before or after support, outturn or plan); the bars take what is left.
        y = alt.Y("category:N", sort=list(one["category"]), title=None, axis=alt.Axis(labelLimit=180))
        bars = alt.Chart(one).mark_bar().encode(**channels(x=x, y=y, color=colour, tooltip=tooltip))
        text = alt.Chart(one).mark_text(align="left", dx=4, color=REFERENCE).encode(
            **channels(x=x, y=y, text="shown:N"))
        panels.append(layered(bars, text, width=NARROW - 150, height=alt.Step(24), title=str(year)))
    return alt.vconcat(*panels, spacing=18).properties(
        title=alt.Title(["Deficits, before and after support,", "against plans"],
                        subtitle=[f"{focal_name}: outturns in blue;", "control totals and limits (plans) in black"]),
        description=describe_deficit_bars(deficits, focal_name=focal_name),
    )


def amount_bars(df: pd.DataFrame, *, title: str, subtitle: str, focal_name: str) -> alt.LayerChart:
    """Amounts in £ millions as labelled horizontal bars, in the order given: ``label``, ``value_gbp_m``, ``kind``.

    Bars of kind ``public data`` (reproduced here) are blue; the others (the report, a published page) grey, and
    each label names its kind, so colour is not the only cue.
    """
    y = alt.Y("label:N", sort=list(df["label"]), title=None, axis=alt.Axis(labelLimit=label_limit(320)))
    top = float(df["value_gbp_m"].max()) * 1.3  # room for the value labels
    x = alt.X("value_gbp_m:Q", title="£ million", axis=alt.Axis(format=",.0f"),
              scale=alt.Scale(domain=[0, top], nice=False))
    colour = alt.condition(alt.datum.kind == "public data", alt.value(FOCAL), alt.value(OTHERS))
    shown = df.assign(shown=[f"£{v:,.0f}m" for v in df["value_gbp_m"]])
    bars = alt.Chart(shown).mark_bar().encode(**channels(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("label:N", title="What"), alt.Tooltip("value_gbp_m:Q", title="£m", format=",.1f"),
                 alt.Tooltip("kind:N", title="From")]))
    text = alt.Chart(shown).mark_text(align="left", dx=4, color=REFERENCE).encode(**channels(x=x, y=y, text="shown:N"))
    return layered(bars, text,
        **fitted(28 * len(df)), title=alt.Title(title, subtitle=subtitle),
        description=describe_amount_bars(df, title=title, focal_name=focal_name))


def status_bars(df: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Claims by status as labelled horizontal bars, in the order given: ``status``, ``claims``.

    Each bar is named by its status on the axis and labelled with its count, so colour is not the only cue.
    """
    colours = STATUS_COLOURS
    y = alt.Y("status:N", sort=list(df["status"]), title=None, axis=alt.Axis(labelLimit=label_limit(200)))
    x = alt.X("claims:Q", title="Claims", axis=alt.Axis(format="d", tickMinStep=1),
              scale=alt.Scale(domain=[0, max(int(df["claims"].max()), 1) * 1.15], nice=False))
    colour = alt.Color("status:N", scale=alt.Scale(domain=list(colours), range=list(colours.values())), legend=None)
    bars = alt.Chart(df).mark_bar().encode(**channels(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("status:N", title="Status"), alt.Tooltip("claims:Q", title="Claims")]))
    text = alt.Chart(df).mark_text(align="left", dx=4, color=REFERENCE).encode(**channels(x=x, y=y, text="claims:Q"))
    return layered(bars, text,
        **fitted(28 * len(df)), title=title, description=describe_status_bars(df, title=title))


def describe_period_lines(df: pd.DataFrame, *, title: str, y_title: str, fmt: str, reference: float | None,
                          reference_label: str) -> str:
    """One sentence on a chart of separate lines: each line's latest value, the lowest and highest of them, and the
    reference line if any, in the unit ``y_title`` names."""
    latest = df.sort_values("year").groupby(["place", "line"], sort=False).tail(1)
    low, high = latest.loc[latest["value"].idxmin()], latest.loc[latest["value"].idxmax()]
    unit = unit_of(y_title)
    panels = df["place"].nunique()
    text = (f"{title}: {len(latest)} lines in {panels} panel{'s' if panels > 1 else ''}. The latest values run from "
            f"{quantity(low['value'], unit, fmt)} ({low['line']}, {low['place']}, {int(low['year'])}) to "
            f"{quantity(high['value'], unit, fmt)} ({high['line']}, {high['place']}, {int(high['year'])})")
    if reference is not None:
        text += f"; the dashed line is {reference_label}, {quantity(reference, unit, fmt)}"
    return text + "."


def period_lines(
    df: pd.DataFrame, *, title: str, y_title: str, x_title: str, legend: str, fmt: str = ",.1f",
    reference: float | None = None, reference_label: str = "", subtitle: str = "", colour: str = "line",
    dash: str = "line", dash_legend: str = "",
) -> alt.Chart:
    """Values over periods, one line per ``line`` (never joined to another: a line per series), one panel per place.

    ``df`` is long: ``place``, ``line``, ``year`` (int, the period's last year) and ``value``. Lines take their colour
    from the column ``colour`` (legend title ``legend``) and their dash from ``dash`` (title ``dash_legend``): by
    default both from ``line``, one legend; a few colours and dashes read better than a colour per line when lines
    are many (sex by colour, series by dash). ``reference`` (optional) is drawn as a dashed horizontal rule in every
    panel, named by ``reference_label``.
    """
    places = list(dict.fromkeys(df["place"]))
    years = sorted(int(y) for y in df["year"].unique())
    below = legend_below()
    extra = [alt.Tooltip(f"{c}:N", title=t) for c, t in ((colour, legend), (dash, dash_legend)) if c != "line"]
    x = alt.X("year:O", title=x_title, axis=alt.Axis(values=years[::2] if len(years) > 8 else years, labelAngle=0))
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False))
    color = alt.Color(f"{colour}:N", title=legend, scale=alt.Scale(range=list(CATEGORICAL)), legend=below)
    lines = alt.Chart(df).mark_line().encode(**channels(
        x=x, y=y, color=color, detail="line:N",
        # Dashed by the colour's own field, the colour's legend says it all: a second would repeat it beside it.
        strokeDash=alt.StrokeDash(f"{dash}:N", title=legend if dash == colour else dash_legend,
                                  legend=None if dash == colour else alt.Legend(
                                      orient="bottom", columns=1, symbolType="stroke", symbolStrokeWidth=2,
                                      symbolStrokeColor="#425563", symbolSize=300)),
    ))
    # The points are a layer of their own, without the dash: a point overlay on the lines would blank the dash
    # legend's symbols (vega-lite draws them as filled points with no stroke).
    points = alt.Chart(df).mark_point(filled=True, size=24).encode(**channels(
        x=x, y=y, color=color, detail="line:N",
        tooltip=[alt.Tooltip("place:N", title="Place"), alt.Tooltip("line:N", title="Line"), *extra,
                 alt.Tooltip("year:O", title=x_title), alt.Tooltip("value:Q", title=y_title, format=fmt)],
    ))
    layers = [lines, points]
    if reference is not None:
        # The rule takes the facet's rows too (a layer in a facet cannot bring its own).
        layers.append(alt.Chart(df).transform_aggregate(groupby=["place"]).transform_calculate(
            reference=f"{float(reference)}").mark_rule(strokeDash=[4, 3], color=REFERENCE).encode(**channels(
            y="reference:Q", tooltip=[alt.Tooltip("reference:Q", title=reference_label, format=fmt)])))
    # One panel per row, each narrow enough for a phone: a facet cannot take its box's width as a single chart can,
    # and two columns side by side ran off a 390 px screen.
    chart = layered(*layers, data=df,
        **({"width": NARROW, "height": 150} if len(places) > 1 else fitted(220)))
    if len(places) > 1:
        chart = chart.facet(facet=alt.Facet("place:N", title=None, sort=places), columns=1)
    note = f"Dashed grey line: {reference_label}" if reference is not None else ""
    # The subtitle's parts on lines of their own, so a phone's screen does not cut them off.
    return chart.properties(
        title=alt.Title(title, subtitle=[*filter(None, [subtitle, note])] or f"Lines by {legend.lower()}"),
        description=describe_period_lines(df, title=title, y_title=y_title, fmt=fmt, reference=reference,
                                          reference_label=reference_label),
    )
