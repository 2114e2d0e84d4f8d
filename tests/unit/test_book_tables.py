"""Every table of numbers the chapters show formats its numbers: a column of fractions with no format is refused
(:func:`sots.chapters.charts.number_formats`), so no page can show a raw float; here every chapter's tables are built on
the committed data as its notebook builds them, and their HTML checked. (The claims page's register is its own HTML,
each value formatted in its claim's unit by sots.analysis.verdicts: tests/unit/test_verdicts.py.)"""

from __future__ import annotations

import re

import pytest

from helpers import DATA, ROOT
from sots.analysis import benchmark
from sots.chapters import acute_spend, ageing, beddays, budget, charts, finance, funding_per_head
from sots.chapters import context as chapter

pytestmark = pytest.mark.unit

# A float as Python prints one unformatted: four or more decimals (every format here gives at most three).
RAW_FLOAT = re.compile(r">\s*[-+]?\d[\d,]*\.\d{4,}\s*<")


def book_tables(icb: str) -> dict[str, charts.Table]:
    """Each table the chapters' notebooks show for ``icb`` in the 2023-24 edition, built as they build it."""
    def open_(name: str) -> chapter.Chapter:
        return chapter.open(name, root=ROOT, edition="2023-24", icb=icb, data_dir=DATA)

    tables = {}
    ch = open_("acute_spend")
    spend = acute_spend.record(ch, "2023/24", "2023/24", 2022)
    tables["acute ranks"] = charts.table(benchmark.rank_table(spend.ranks), formats={})
    if len(spend.focal_trusts):
        tables["acute host trusts"] = charts.table(*acute_spend.host_trusts_table(spend.focal_trusts, spend.year))
    tables["acute league"] = acute_spend.league_table(spend)
    ch = open_("ageing")
    people = ageing.project(ch, 2023, "v1")
    tables["ageing places"] = charts.table(*ageing.place_growth(people))
    if located := ageing.localities(ch, people):
        tables["ageing localities"] = charts.table(*located)
    tables["ageing eden"] = charts.table(ageing.eden(ch, people), formats=ageing.EDEN_FORMATS)
    ch = open_("beddays")
    bd = beddays.project(ch, 2023, runs=50, seed=2024)  # few runs: the table's shape, not its interval, is tested
    tables["bed days four figures"] = charts.table(*beddays.four_figures(ch, bd))
    found = beddays.search(ch, bd)
    tables["bed days closest"] = charts.table(beddays.closest_methods(found), formats=beddays.CLOSEST_FORMATS)
    tables["bed days methods"] = charts.table(*beddays.shown_methods(found))
    tables["bed days eden"] = charts.table(beddays.eden(bd), formats=beddays.EDEN_FORMATS)
    ch = open_("budget")
    b = budget.record(ch, "2023/24", 2023, 2038)
    tables["budget by activity"] = charts.table(budget.by_activity(b), formats=budget.by_activity_formats(b))
    tables["budget footprint"] = charts.table(budget.footprint_effect(ch, b), formats=budget.FOOTPRINT_FORMATS)
    ch = open_("funding_per_head")
    funding = funding_per_head.record(ch, "2023/24")
    tables["funding summary"] = funding_per_head.summary_table(funding, ch.icb)
    tables["funding league"] = funding_per_head.league_table(funding)
    ch = open_("finance")
    fin = finance.record(ch, "2023/24")
    tables["finance bases"] = finance.shares_table(fin) if fin.shares is not None else finance.bases_table(fin)
    if not fin.deficits.empty:
        tables["finance support"] = finance.support_table(fin)
    if len(fin.acute_trusts):
        tables["finance trusts"] = finance.trusts_table(fin)
    return tables


@pytest.fixture(scope="module", params=["QE1", "QHM"])
def tables(request):
    return book_tables(request.param)


def test_no_table_shows_a_raw_float(tables):
    assert len(tables) >= 15
    raw = {name: RAW_FLOAT.findall(t._repr_html_()) for name, t in tables.items()}
    assert {name: found for name, found in raw.items() if found} == {}


def test_numbers_carry_separators_and_years_do_not(tables):
    ageing_places = tables["ageing places"]._repr_html_()
    # Persons in thousands with separators, and the year in the header plain, with the unit beside it.
    assert re.search(r">\d{1,3},\d{3}<", ageing_places) and "2043 (persons)" in ageing_places
    four = tables["bed days four figures"]
    assert ">2033<" in four._repr_html_() and ">2,033<" not in four._repr_html_()
    assert not re.search(r">\d,\d{3}<", tables["bed days methods"]._repr_html_().split("Total gap")[0])


def test_every_column_of_numbers_names_its_unit_in_its_header(tables):
    # A header of a numeric column names a unit (£, %, points, persons...), or is a rank, a count or a year.
    # The two-series comparisons ("This book", "Published ICB series") give each row's unit in its Figure column.
    units = re.compile(r"£|%|points|persons|Residents|Registered|weighted|Rank|Claims|Base|By|index|This book|"
                       r"Published ICB series")
    for name, table in tables.items():
        numeric = [c for c in table.df.columns if table.df[c].map(lambda v: isinstance(v, (int, float))
                                                                  and not isinstance(v, bool)).any()]
        assert [c for c in numeric if not units.search(str(c))] == [], name
