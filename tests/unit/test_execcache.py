"""The execution cache's keys and entries: what changes a key, what an entry is found by, and that it is found only
when what the chapter read is unchanged."""

from __future__ import annotations

import shutil

import pytest

from helpers import DATA, EDITIONS, ROOT, edition_entry, rehash
from sots import data, execcache, slices

pytestmark = pytest.mark.unit

PARAMS = {"edition": "2024-25", "icb": "QE1", "data_dir": "../data"}


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text('{"cells": []}')
    return path


def test_the_base_key_changes_with_the_notebook_the_parameters_the_code_and_each_known_input(notebook):
    known = {"claims.yml": "sha256:a"}
    key = execcache.base_key(notebook, PARAMS, "sha256:code", known)
    assert key == execcache.base_key(notebook, dict(reversed(PARAMS.items())), "sha256:code", known)
    changed = [
        execcache.base_key(notebook, {**PARAMS, "icb": "QHM"}, "sha256:code", {"claims.yml": "sha256:a"}),
        execcache.base_key(notebook, PARAMS, "sha256:other", {"claims.yml": "sha256:a"}),
        execcache.base_key(notebook, PARAMS, "sha256:code", {"claims.yml": "sha256:b"}),
        execcache.base_key(notebook, PARAMS, "sha256:code", {"claims.yml": "sha256:a", "results/x.json": "s"}),
    ]
    notebook.write_text('{"cells": [1]}')
    changed.append(execcache.base_key(notebook, PARAMS, "sha256:code", {"claims.yml": "sha256:a"}))
    assert len({key, *changed}) == 1 + len(changed)


def test_the_code_digest_covers_the_pins_as_well_as_the_package(tmp_path):
    (tmp_path / "requirements.txt").write_text("pandas==2.0.0\n")
    one = execcache.code_digest(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "requirements.txt").write_text("pandas==2.0.1\n")
    assert one != execcache.code_digest(other) and one.startswith("sha256:")
    assert execcache.code_digest(ROOT) not in (one, execcache.code_digest(other))


def _outputs(folder, text="x"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "n.ipynb").write_text(text)
    (folder / "f.json").write_text("{}")
    (folder / "cd").mkdir(exist_ok=True)
    (folder / "cd" / "a.csv").write_text("a\n1\n")
    return {"notebook.ipynb": folder / "n.ipynb", "fragment.json": folder / "f.json", "chart-data": folder / "cd",
            "script.py": folder / "missing.py"}


def test_an_entry_is_found_only_while_what_it_read_is_unchanged_and_restores_every_output(tmp_path):
    cache, reads = tmp_path / "cache", {"tables": {"t": {"rows": "sha256:1", "sources": "sha256:2"}}, "titles": {}}
    execcache.store(cache, "k", reads, _outputs(tmp_path / "made"))
    assert execcache.lookup(cache, "k", lambda r: r) is not None
    assert execcache.lookup(cache, "other", lambda r: r) is None
    moved = {"tables": {"t": {"rows": "sha256:changed", "sources": "sha256:2"}}, "titles": {}}
    assert execcache.lookup(cache, "k", lambda r: moved) is None
    entry = execcache.lookup(cache, "k", lambda r: r)
    target = _outputs(tmp_path / "target", text="")
    for path in target.values():
        if path.is_file():
            path.unlink()
    shutil.rmtree(target["chart-data"])
    execcache.restore(entry, target)
    assert target["notebook.ipynb"].read_text() == "x" and (target["chart-data"] / "a.csv").is_file()
    assert not target["script.py"].exists()  # an output the chapter did not write is not made up
    # Storing the same entry again keeps the one there; a half-written entry (no reads file) is never used.
    assert execcache.store(cache, "k", reads, _outputs(tmp_path / "again", text="y")) == entry
    (cache / "k" / "broken").mkdir()
    assert execcache.lookup(cache, "k", lambda r: r) == entry


def test_a_tables_read_is_its_rows_in_the_editions_window_so_rows_of_other_years_change_nothing(tmp_path):
    sources = data.table_sources(DATA)
    name = "trust_operating_expenditure"
    # An edition whose window of this table misses some of its years, and one whose window meets the year changed.
    blind = next(e for e in EDITIONS if slices.read(name, DATA, edition_entry(e).inputs, sources).years == ())
    seeing = next(e for e in EDITIONS if slices.read(name, DATA, edition_entry(e).inputs, sources).years)
    reads = {e: {"tables": {name: execcache.table_read(
        slices.read(name, DATA, edition_entry(e).inputs, sources), sources[name])}, "titles": {}}
        for e in (blind, seeing)}
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    path = copy / data.TABLES[name].filename
    header, first, rest = path.read_text().split("\n", 2)
    cells = first.split(",")
    column = header.split(",").index("total_operating_expenditure_gbp")
    cells[column] = str(int(cells[column]) + 1)  # one pound more in one trust's first year
    path.write_text("\n".join([header, ",".join(cells), rest]))
    rehash(copy)
    assert execcache.current_reads(reads[blind], copy, edition_entry(blind).inputs, ROOT) == reads[blind]
    assert execcache.current_reads(reads[seeing], copy, edition_entry(seeing).inputs, ROOT) != reads[seeing]


def test_a_title_read_changes_with_the_title_not_with_the_rest_of_the_page(tmp_path):
    (tmp_path / "book").mkdir()
    page = tmp_path / "book" / "intro.md"
    page.write_text("# The title\n\nSome prose.\n")
    reads = {"tables": {}, "titles": {"book/intro": execcache.title_read("The title")}}
    assert execcache.current_reads(reads, DATA, {}, tmp_path) == reads
    page.write_text("# The title\n\nOther prose, longer.\n")
    assert execcache.current_reads(reads, DATA, {}, tmp_path) == reads
    page.write_text("# A new title\n\nOther prose.\n")
    assert execcache.current_reads(reads, DATA, {}, tmp_path) != reads


def test_a_books_html_is_kept_by_the_digest_of_its_staged_sources_not_of_its_own_build(tmp_path):
    stage = tmp_path / "book"
    (stage / "_build" / "html").mkdir(parents=True)
    (stage / "intro.md").write_text("# A\n")
    (stage / "_build" / "html" / "intro.html").write_text("<h1>A</h1>")
    key = execcache.folder_digest(stage)
    (stage / "_build" / "html" / "other.html").write_text("")
    assert execcache.folder_digest(stage) == key
    execcache.keep_book(tmp_path / "cache", key, stage / "_build" / "html")
    assert execcache.fetch_book(tmp_path / "cache", key, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["intro.html", "other.html"]
    (stage / "intro.md").write_text("# B\n")
    assert not execcache.fetch_book(tmp_path / "cache", execcache.folder_digest(stage), tmp_path / "out2")


def test_the_vega_bundle_is_kept_by_the_versions_it_is_made_from(tmp_path, monkeypatch):
    from sots import charts

    made = []
    monkeypatch.setattr(charts, "offline_bundle", lambda: made.append(1) or "/* vega */")
    assert execcache.vega_bundle(tmp_path) == "/* vega */" and made == [1]
    assert execcache.vega_bundle(tmp_path) == "/* vega */" and made == [1]  # read back, not made again
    (kept,) = (tmp_path / "vega").iterdir()
    assert kept.name.startswith("vl-convert-") and "vega-lite-" in kept.name
    assert execcache.vega_bundle(None) == "/* vega */" and made == [1, 1]  # no cache: made


def test_a_later_editions_chapters_are_keyed_on_the_report_figures_they_can_quote():
    """The report edition's results, as a later edition's chapters read them: the same figures read from other rows
    (other digests, other provenance) key the same; another value, reason or input (a count of ICBs) does not."""
    import json

    from sots.execution import quotable

    def results(value=21, n_icbs=42, rows="sha256:aa", code="c1", reason=None):
        entry = {"value": value, "unit": "rank of ICBs (1 = highest)", "method": "m", "edition": "2023-24",
                 "icb": "QE1", "inputs": {"unit_costs": rows, "n_icbs": n_icbs},
                 "provenance": {"code_sha256": code}}
        return json.dumps({"rank": {**entry, **({"not_computed": reason} if reason else {})}})

    same = quotable(results())
    assert quotable(results(rows="sha256:bb", code="c2")) == same
    assert len({same, quotable(results(value=20)), quotable(results(n_icbs=40)), quotable(results(reason="r"))}) == 4
