"""Golden values: drift beyond tolerance, missing and new figures, and updates that keep tolerances."""

from __future__ import annotations

import pytest

from sots.errors import InputError
from sots.site import golden

pytestmark = pytest.mark.unit

GOLDEN = {"edition": "2023-24", "icb": "QE1", "figures": {
    "rank": {"value": 21, "tolerance": 0},
    "savings": {"value": 240.7, "tolerance": 0.1},
    "gone": {"value": 1.5, "tolerance": 0.01},
}}


def test_a_figure_moves_only_beyond_its_tolerance():
    results = {"rank": {"value": 21}, "savings": {"value": 240.8}, "gone": {"value": 1.5}}
    assert golden.drift(GOLDEN, results) == []  # 0.1 away: on the boundary, within
    results["savings"] = {"value": 240.81}
    assert golden.drift(GOLDEN, results) == [golden.Drift("savings", golden.MOVED, 240.7, 240.81, 0.1)]
    results["rank"] = {"value": 20}
    assert [d.figure for d in golden.drift(GOLDEN, results)] == ["rank", "savings"]


def test_missing_and_new_figures_are_drift():
    results = {"rank": {"value": 21}, "savings": {"value": 240.7}, "added": {"value": 3.0}}
    rows = golden.drift(GOLDEN, results)
    assert rows == [golden.Drift("added", golden.NEW, new=3.0),
                    golden.Drift("gone", golden.MISSING, old=1.5, tolerance=0.01)]
    lines = golden.table(rows)
    assert lines[0].split() == ["figure", "change", "old", "new", "tolerance"]
    assert (lines[1].split() == ["added", "new", "–", "3", "–"]
            and lines[2].split() == ["gone", "missing", "1.5", "–", "0.01"])


def test_an_update_keeps_reviewed_tolerances_and_gives_new_figures_a_default():
    results = {"rank": {"value": 22}, "savings": {"value": 250.0}, "added": {"value": 1234.5678}}
    updated = golden.from_results(results, "2023-24", "QE1", GOLDEN)
    assert updated["figures"] == {"added": {"value": 1234.5678, "tolerance": 0.001},
                                  "rank": {"value": 22, "tolerance": 0}, "savings": {"value": 250.0, "tolerance": 0.1}}
    assert golden.drift(updated, results) == []
    assert golden.drift(GOLDEN, {"rank": {"value": 21}, "savings": {"value": 240.75}, "gone": {"value": 1.5}},
                        exact=True)[0].figure == "savings"


def test_default_tolerance():
    assert [golden.default_tolerance(v) for v in (21, 2.0, 240.7, 0.0)] == [0, 0, 0.0002, 0]


@pytest.mark.parametrize("content, expected", [
    ("{\"a\": {\"value\": 1, \"icb\"", "results.json: not valid JSON"),
    ("[1, 2]", "results.json: figure (the file): expected an entry with a 'value'"),
    ("{\"a\": 3}", "results.json: figure a: expected an entry with a 'value'"),
])
def test_a_corrupt_results_file_is_one_line_naming_it(tmp_path, content, expected):
    (tmp_path / "2023-24").mkdir()
    (tmp_path / "2023-24" / "results.json").write_text(content)
    with pytest.raises(InputError) as err:
        golden.built_results(tmp_path, "2023-24", "QE1")
    assert (expected in str(err.value) and "\n" not in str(err.value)
            and "sots build --edition 2023-24" in str(err.value))


def test_a_figure_not_computed_shows_as_such_and_moves_when_it_gets_a_value():
    golden_file = {"figures": {"x": {"value": None, "tolerance": 0}}}
    assert golden.drift(golden_file, {"x": {"value": None, "not_computed": "why"}}) == []
    (row,) = golden.drift(golden_file, {"x": {"value": 4.2}})
    assert (row.kind, row.old, row.new) == (golden.MOVED, "not computed", 4.2)
    (row,) = golden.drift({"figures": {}}, {"y": {"value": None, "not_computed": "why"}})
    assert (row.kind, row.new) == (golden.NEW, "not computed")
