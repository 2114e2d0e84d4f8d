import json

import nbformat
import pytest

from sots.analysis import results
from sots.site import pipeline
from sots.toc import notebooks_in_toc, pages_in_toc

pytestmark = pytest.mark.unit


def test_recorder_writes_each_figure_with_unit_method_and_inputs(tmp_path):
    rec = results.Recorder(tmp_path / "f.json", edition="2023-24", icb="QE1", inputs=lambda: {"t": "sha256:x"})
    rec.figure("a_gbp_2023_24", 12.5, unit="GBP", method="m", year="2023/24")
    written = json.loads((tmp_path / "f.json").read_text())
    assert written == {"a_gbp_2023_24": {"value": 12.5, "unit": "GBP", "edition": "2023-24", "icb": "QE1",
                                         "inputs": {"t": "sha256:x", "year": "2023/24"}, "method": "m"}}
    assert rec.glued == {"a_gbp_2023_24": 12.5}
    with pytest.raises(ValueError, match="recorded twice"):
        rec.figure("a_gbp_2023_24", 1, unit="GBP", method="m")
    with pytest.raises(ValueError, match="not a finite number"):
        rec.figure("b", float("nan"), unit="GBP", method="m")


def test_a_figure_not_computed_is_recorded_with_no_value_and_its_reason(tmp_path):
    rec = results.Recorder(tmp_path / "f.json", edition="2024-25", icb="QE1")
    rec.not_computed("savings_gbp_m", "No published figure gives this for 2024/25.")
    written = json.loads((tmp_path / "f.json").read_text())
    assert written == {"savings_gbp_m": {"value": None, "not_computed": "No published figure gives this for 2024/25.",
                                         "edition": "2024-25", "icb": "QE1"}}
    with pytest.raises(ValueError, match="recorded twice"):
        rec.not_computed("savings_gbp_m", "again")


def test_merge_fragments_rejects_a_figure_from_two_notebooks(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"x": {"value": 1}, "z": {"value": 3}}))
    (tmp_path / "b.json").write_text(json.dumps({"y": {"value": 2}}))
    assert list(results.merge_fragments([tmp_path / "a.json", tmp_path / "b.json"])) == ["x", "y", "z"]
    (tmp_path / "c.json").write_text(json.dumps({"x": {"value": 9}}))
    with pytest.raises(ValueError, match="'x' is recorded by more than one notebook"):
        results.merge_fragments([tmp_path / "a.json", tmp_path / "c.json"])


def test_year_suffix():
    assert results.year_suffix("2024/25") == "_2024_25"


def test_notebooks_in_toc_in_order_from_chapters_parts_and_sections():
    toc = {"root": "book/intro", "parts": [{"chapters": [
        {"file": "notebooks/a", "sections": [{"file": "notebooks/b"}]}, {"file": "book/prose"}]}],
        "chapters": [{"file": "notebooks/c"}]}
    assert notebooks_in_toc(toc) == ["notebooks/c", "notebooks/a", "notebooks/b"]
    # Every page, prose ones included, in reading order from the root: what the edition's PDF prints.
    assert pages_in_toc(toc) == ["book/intro", "notebooks/c", "notebooks/a", "notebooks/b", "book/prose"]


def test_prepare_notebook_folds_code_removes_the_parameters_cells_and_drops_vegalite_json():
    nb = nbformat.v4.new_notebook()
    defaults = nbformat.v4.new_code_cell("edition = '2024-25'", metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell("edition = '2023-24'", metadata={"tags": ["injected-parameters"]})
    chart = nbformat.v4.new_code_cell("chart", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": "<div></div>", "application/vnd.vegalite.v6+json": {}})])
    warn = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stderr", text="careful\n")])
    removed = nbformat.v4.new_code_cell("y", metadata={"tags": ["remove-cell"]})
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), defaults, injected, chart, warn, removed]
    assert pipeline.prepare_notebook(nb) == ["careful\n"]
    cells = nb.cells
    # The parameters cells leave the page but stay in the notebook; every other code cell shows its output only.
    assert [c.metadata.get("tags", []) for c in cells[1:]] == [
        ["parameters", "remove-cell"], ["injected-parameters", "remove-cell"], ["remove-input"], ["remove-input"],
        ["remove-cell"]]
    assert [c.source for c in cells[1:3]] == ["edition = '2024-25'", "edition = '2023-24'"]
    assert list(cells[3].outputs[0].data) == ["text/html"]


def test_kernel_seconds_sums_each_code_cells_time_from_busy_to_reply_by_the_kernels_clock():
    def cell(busy=None, reply=None):
        made = nbformat.v4.new_code_cell("x")
        if busy:
            made.metadata["execution"] = {"iopub.status.busy": busy, "iopub.execute_input": busy,
                                          "shell.execute_reply": reply, "iopub.status.idle": reply}
        return made

    nb = nbformat.v4.new_notebook(cells=[
        cell("2026-12-07T21:00:00.250000Z", "2026-12-07T21:00:01.000000Z"),
        cell(),  # not run: no timings
        cell("2026-12-07T21:00:59.900000Z", "2026-12-07T21:01:00.150000Z"),  # over a minute's turn
    ])
    assert pipeline.kernel_seconds(nb) == pytest.approx(1.0)
    assert pipeline.kernel_seconds(nbformat.v4.new_notebook()) == 0.0
