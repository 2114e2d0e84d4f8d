"""The finance chapters' charts: each describes itself for screen readers, names the focal ICB, and marks what
colour alone would otherwise carry."""

import json

import pandas as pd
import pytest

from helpers import DATA, ROOT, drawn_marks
from sots.chapters import charts
from sots.chapters import context as chapter
from sots.inputs import editions

pytestmark = pytest.mark.unit


def _spec(chart) -> dict:
    return chart.to_dict()


def _text(chart) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def test_rank_dots_mark_the_claimed_rank_only_when_there_is_a_claim():
    ranks = pd.DataFrame({"row": ["A, 2023/24", "B, 2023/24"], "rank": [2, 21], "n": [42, 42],
                          "rank_text": ["2nd of 42", "21st of 42"]})
    with_claim = _text(charts.rank_dots(ranks, focal_name="X", claimed_rank=2, claim="report: 2nd"))
    assert "report: 2nd" in with_claim and "the report claims 2nd." in with_claim and "strokeDash" in with_claim
    without = _spec(charts.rank_dots(ranks, focal_name="X"))
    assert "strokeDash" not in json.dumps(without) and without["description"].endswith("to 21st of 42 (B, 2023/24).")
    assert len(without["layer"]) == 2


def test_one_year_needs_no_year_buttons():
    df = pd.DataFrame({"year": ["2023/24"] * 2, "icb_code": ["QAA", "QBB"], "short_name": ["A", "B"], "v": [1.0, 2.0],
                       "v_rank": [2, 1]})
    spec = json.dumps(_spec(charts.ranked_bar(df, value="v", rank="v_rank", label="V", focal_code="QAA",
                                              default_year="2023/24", which="ICBs in the file")))
    assert "radio" not in spec and "ICBs in the file, highest first" in spec and "dashed line" not in spec


def test_share_bars_highlight_and_label_the_closest_base():
    shares = pd.DataFrame({"base": ["a", "b"], "label": ["Base A", "Base B"], "share_pct": [7.0, 6.8],
                           "amount_gbp_m": [100.0, 110.0]})
    spec = _spec(charts.share_bars(shares, stated_pct=6.6, focal_name="X", highlight="b"))
    # As drawn: the highlighted base's bar, and only it, in the focal colour, and only its label says "closest".
    assert {fields["Base"]: fill for fields, fill, _ in drawn_marks(spec, "bar")} == {
        "Base A": charts.OTHERS, "Base B": charts.FOCAL}
    assert [text for _, _, text in drawn_marks(spec, "text mark")] == ["7.00%", "6.80% ◀ closest", "report: 6.6%"]
    assert "the report states 6.6%, nearest Base B at 6.80%" in spec["description"]


def test_deficit_bars_show_each_year_with_plans_named_as_plans():
    deficits = pd.DataFrame({"year": ["2023/24", "2024/25", "2024/25"], "category": [
        "System, before support", "System, before support", "System plan (before support)"],
        "kind": ["outturn", "outturn", "plan"], "value_gbp_m": [228.6, 354.8, 175.0], "source": ["s"] * 3})
    spec = _spec(charts.deficit_bars(deficits, focal_name="X"))
    assert [p["title"] for p in spec["vconcat"]] == ["2023/24", "2024/25"]
    assert "£175.0m" in json.dumps(spec, ensure_ascii=False) and "X's published deficits" in spec["description"]
    # Outturns in the focal colour, plans in the reference colour, each in its year's panel.
    assert [(f["Year"], f["What"], fill) for f, fill, _ in drawn_marks(spec, "bar")] == [
        ("2023/24", "System, before support", charts.FOCAL), ("2024/25", "System, before support", charts.FOCAL),
        ("2024/25", "System plan (before support)", charts.REFERENCE)]


def test_amount_bars_name_the_kind_of_each_amount():
    df = pd.DataFrame({"label": ["Report: budget", "Public data: allocations"], "value_gbp_m": [4500.0, 4088.0],
                       "kind": ["report", "public data"]})
    spec = _spec(charts.amount_bars(df, title="T", subtitle="S", focal_name="X"))
    # As drawn: public data in the focal colour, the report's figure not; each bar labelled with its amount.
    assert [(fields["What"], fill) for fields, fill, _ in drawn_marks(spec, "bar")] == [
        ("Report: budget", charts.OTHERS), ("Public data: allocations", charts.FOCAL)]
    assert [text for _, _, text in drawn_marks(spec, "text mark")] == ["£4,500m", "£4,088m"]
    assert spec["description"] == "T, X: Report: budget, £4,500m; Public data: allocations, £4,088m."


def test_source_table_lists_each_source_once_with_its_address_as_text():
    edition = editions.current(editions.load(ROOT / editions.EDITIONS_FILE))
    ch = chapter.open("finance", root=ROOT, edition=edition.id, icb="QE1", data_dir=DATA)
    table = ch.source_table(["icb_allocations", "icb_lookup", "published_figures"])
    assert table.columns.tolist() == ["Publisher", "Title", "Address", "Period"]
    assert table["Publisher"].tolist()[0] == "NHS England" and len(table) == len(set(table["Title"]))
    assert table["Address"].str.startswith(("https://", "see ")).all()


def test_a_table_may_let_long_addresses_break_without_breaking_numbers():
    df = pd.DataFrame({"Address": ["https://example.org/a/very/long/address"], "£": [1625.0]})
    html = charts.table(df, {"£": "{:,.0f}"}, wrap=("Address",))._repr_html_()
    assert html.count("overflow-wrap: anywhere") == 1 and "1,625" in html
    assert "overflow-wrap" not in charts.table(df, {"£": "{:,.0f}"})._repr_html_()
