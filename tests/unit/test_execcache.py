"""The execution cache's keys and entries: what changes a key, what an entry is found by, and that it is found only
when what the chapter read is unchanged."""

from __future__ import annotations

import shutil

import pytest

from helpers import DATA, EDITIONS, ROOT, edition_entry, rehash
from sots.chapters import reads as chapter_reads
from sots.errors import BuildError
from sots.inputs import data, slices
from sots.site import buildkey, execcache

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
    one = buildkey.code_digest(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "requirements.txt").write_text("pandas==2.0.1\n")
    assert one != buildkey.code_digest(other) and one.startswith("sha256:")
    assert buildkey.code_digest(ROOT) not in (one, buildkey.code_digest(other))


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
    reads = {e: {"tables": {name: chapter_reads.table_read(
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
    reads = {"tables": {}, "titles": {"book/intro": chapter_reads.title_read("The title")}}
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
    made = []
    monkeypatch.setattr(execcache, "make_bundle", lambda: made.append(1) or "/* vega */")
    assert execcache.vega_bundle(tmp_path) == "/* vega */" and made == [1]
    assert execcache.vega_bundle(tmp_path) == "/* vega */" and made == [1]  # read back, not made again
    (kept,) = (tmp_path / "vega").iterdir()
    assert kept.name.startswith("vl-convert-") and "-altair-" in kept.name
    assert execcache.vega_bundle(None) == "/* vega */" and made == [1, 1]  # no cache: made


def test_a_later_editions_chapters_are_keyed_on_the_report_figures_they_can_quote():
    """The report edition's results, as a later edition's chapters read them: the same figures read from other rows
    (other digests, other provenance) key the same; another value, reason or input (a count of ICBs) does not."""
    import json

    from sots.site.execution import quotable

    def results(value=21, n_icbs=42, rows="sha256:aa", code="c1", reason=None):
        entry = {"value": value, "unit": "rank of ICBs (1 = highest)", "method": "m", "edition": "2023-24",
                 "icb": "QE1", "inputs": {"unit_costs": rows, "n_icbs": n_icbs},
                 "provenance": {"code_sha256": code}}
        return json.dumps({"rank": {**entry, **({"not_computed": reason} if reason else {})}})

    same = quotable(results())
    assert quotable(results(rows="sha256:bb", code="c2")) == same
    assert len({same, quotable(results(value=20)), quotable(results(n_icbs=40)), quotable(results(reason="r"))}) == 4


# --- Entries are checked before they are used -------------------------------------------------------------------------

A_SHA = "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"  # sha256 of b"a\n", as sha256sum gives it
B_SHA = "0263829989b6fd954f72baaf2fc64bc2e2f01d692d4de72986ea808f6e99813f"  # of b"b\n"


@pytest.fixture
def sealed(tmp_path):
    entry = tmp_path / "entry"
    (entry / "sub").mkdir(parents=True)
    (entry / "a.txt").write_text("a\n")
    (entry / "sub" / "b.txt").write_text("b\n")
    execcache.seal(entry)
    return entry


def test_an_entrys_sums_list_each_file_by_its_sha256_as_sha256sum_checks_them(sealed):
    assert (sealed / execcache.SUMS).read_text() == f"{A_SHA}  a.txt\n{B_SHA}  sub/b.txt\n"
    assert execcache.damage(sealed) is None


@pytest.mark.parametrize(("spoil", "reason"), [
    (lambda e: (e / "a.txt").write_text("A\n"), "a.txt differs from its recorded sha256"),
    (lambda e: (e / "sub" / "b.txt").write_text(""), "sub/b.txt differs from its recorded sha256"),  # cut
    (lambda e: (e / "sub" / "b.txt").unlink(), "sub/b.txt is missing"),
    (lambda e: (e / "sub" / "c.csv").write_text("c\n"), "sub/c.csv is not in its SHA256SUMS"),
    (lambda e: (e / "sub" / "link").symlink_to(e / "nowhere"), "sub/link is not in its SHA256SUMS"),
    (lambda e: (e / execcache.SUMS).unlink(), "SHA256SUMS is missing"),  # also an entry of an earlier sots
    (lambda e: (e / execcache.SUMS).write_text(f"{A_SHA} a.txt\n"), "SHA256SUMS is unreadable"),
    (lambda e: (e / execcache.SUMS).write_bytes(b"\xff\xfe"), "SHA256SUMS is unreadable"),
    (lambda e: (e / execcache.SUMS).write_text(f"{A_SHA}  a.txt\n"), "sub/b.txt is not in its SHA256SUMS"),  # cut
])
def test_a_changed_cut_missing_or_added_file_or_a_bad_sums_list_is_damage(sealed, spoil, reason):
    spoil(sealed)
    assert execcache.damage(sealed) == reason


def test_a_damaged_chapter_entry_is_removed_with_one_warning_and_stored_again_whole(tmp_path):
    cache, reads = tmp_path / "cache", {"tables": {"t": {"rows": "sha256:1", "sources": "sha256:2"}}, "titles": {}}
    other = execcache.store(cache, "k", {"tables": {}, "titles": {}}, _outputs(tmp_path / "other"))
    entry = execcache.store(cache, "k", reads, _outputs(tmp_path / "made"))
    (entry / "fragment.json").write_text('{"x": 2}')
    warned = []
    assert execcache.lookup(cache, "k", lambda r: reads, warned.append) is None
    assert warned == [f"warning: {entry}: cache entry damaged (fragment.json differs from its recorded sha256); "
                      "removed, the chapter runs again"]
    assert not entry.exists() and execcache.damage(other) is None  # the other entry under the key is not touched
    assert sorted(p.name for p in (cache / "k").iterdir()) == [other.name]  # nothing left over from the removal
    assert execcache.store(cache, "k", reads, _outputs(tmp_path / "made")) == entry
    assert execcache.lookup(cache, "k", lambda r: reads, warned.append) == entry and len(warned) == 1


def test_an_entry_of_an_earlier_sots_with_no_sums_is_never_used(tmp_path):
    cache, reads = tmp_path / "cache", {"tables": {}, "titles": {}}
    entry = execcache.store(cache, "k", reads, _outputs(tmp_path / "made"))
    (entry / execcache.SUMS).unlink()
    warned = []
    assert execcache.lookup(cache, "k", lambda r: r, warned.append) is None
    assert warned == [f"warning: {entry}: cache entry damaged (SHA256SUMS is missing); removed, the chapter runs again"]
    assert not entry.exists()


def test_storing_over_an_entry_no_lookup_could_read_replaces_it(tmp_path):
    cache, reads = tmp_path / "cache", {"tables": {}, "titles": {}}
    entry = execcache.store(cache, "k", reads, _outputs(tmp_path / "made"))
    (entry / execcache.READS_FILE).write_text("{")  # unreadable: not found, so the chapter runs and is stored again
    assert execcache.lookup(cache, "k", lambda r: r, pytest.fail) is None
    assert execcache.store(cache, "k", reads, _outputs(tmp_path / "made")) == entry
    assert execcache.damage(entry) is None and execcache.lookup(cache, "k", lambda r: r, pytest.fail) == entry


def test_a_damaged_book_is_removed_with_one_warning_and_not_fetched(tmp_path):
    html, cache = tmp_path / "html", tmp_path / "cache"
    html.mkdir()
    (html / "intro.html").write_text("<h1>A</h1>")
    execcache.keep_book(cache, "key", html)
    kept = cache / execcache.BOOKS / "key"
    (kept / execcache.BOOK_HTML / "intro.html").write_text("<h1>A</h1><p>inserted</p>")
    warned = []
    assert not execcache.fetch_book(cache, "key", tmp_path / "out", warned.append)
    assert warned == [f"warning: {kept}: cache entry damaged (html/intro.html differs from its recorded sha256); "
                      "removed, the book is built again"]
    assert not kept.exists() and not (tmp_path / "out").exists()
    execcache.keep_book(cache, "key", html)
    assert execcache.fetch_book(cache, "key", tmp_path / "out", pytest.fail)
    assert (tmp_path / "out" / "intro.html").read_text() == "<h1>A</h1>"


def test_a_printed_pdf_is_fetched_as_kept_and_a_damaged_one_is_removed_with_one_warning(tmp_path):
    cache, pdf = tmp_path / "cache", tmp_path / "printed.pdf"
    pdf.write_bytes(b"%PDF-1.4 the printing")
    assert execcache.fetch_print(cache, "key", pytest.fail) is None
    execcache.keep_print(cache, "key", pdf)
    assert execcache.fetch_print(cache, "key", pytest.fail) == b"%PDF-1.4 the printing"
    kept = cache / execcache.PRINTS / "key"
    (kept / execcache.PRINTED).write_bytes(b"%PDF-1.4 the printin")
    warned = []
    assert execcache.fetch_print(cache, "key", warned.append) is None
    assert warned == [f"warning: {kept}: cache entry damaged ({execcache.PRINTED} differs from its recorded sha256); "
                      "removed, the page is printed again"]
    assert not kept.exists()


def test_a_books_page_numbers_are_kept_replaced_and_refused_unless_one_for_each_of_its_pages(tmp_path):
    cache, slugs = tmp_path / "cache", ["book-intro", "notebooks-a"]
    assert execcache.fetch_numbers(cache, "key", slugs, pytest.fail) is None
    execcache.keep_numbers(cache, "key", {"book-intro": 3, "notebooks-a": 5})
    execcache.keep_numbers(cache, "key", {"book-intro": 3, "notebooks-a": 6})  # the last printing's, not the first's
    assert execcache.fetch_numbers(cache, "key", slugs, pytest.fail) == {"book-intro": 3, "notebooks-a": 6}
    kept = cache / execcache.NUMBERS / "key.json"
    for bad in ('{"book-intro": 3}', '{"notebooks-a": 6, "book-intro": 3}', '{"book-intro": 3, "notebooks-a": 0}',
                '{"book-intro": 3, "notebooks-a": true}', '[3, 6]', '{"book-intro": 3, "notebooks-a": 6'):
        kept.write_text(bad)
        warned = []
        assert execcache.fetch_numbers(cache, "key", slugs, warned.append) is None, bad
        assert warned == [f"warning: {kept}: cache entry damaged (not a page number for each of the book's 2 "
                          "pages); removed, the book is printed twice"], bad
        assert not kept.exists()


def test_a_cut_vega_bundle_or_one_of_an_earlier_sots_is_removed_with_one_warning_and_made_again(tmp_path, monkeypatch):
    import hashlib

    made = []
    monkeypatch.setattr(execcache, "make_bundle", lambda: made.append(1) or "/* vega */")
    execcache.vega_bundle(tmp_path)
    (kept,) = (tmp_path / "vega").iterdir()
    versions, recorded, _ = kept.name.rsplit(".", 2)
    assert recorded == hashlib.sha256(b"/* vega */").hexdigest()
    kept.write_text("/* ve")
    earlier = tmp_path / "vega" / f"{versions}.js"  # an earlier sots's name, with no digest in it
    earlier.write_text("/* vega */")
    another = tmp_path / "vega" / "vl-convert-0.1-altair-1.0.js"  # another version's: not this build's to judge
    another.write_text("x")
    warned = []
    assert execcache.vega_bundle(tmp_path, warned.append) == "/* vega */" and made == [1, 1]
    assert sorted(warned) == [  # a hex digit sorts before the "js" of the earlier name
        f"warning: {kept}: cache entry damaged (it differs from the sha256 its name records); removed, the bundle is "
        "made again",
        f"warning: {earlier}: cache entry damaged (its name records no sha256); removed, the bundle is made again"]
    assert sorted(p.name for p in (tmp_path / "vega").iterdir()) == sorted([kept.name, another.name])
    assert execcache.vega_bundle(tmp_path, pytest.fail) == "/* vega */" and made == [1, 1]


def test_a_damaged_entry_that_is_a_link_loses_the_link_never_what_it_points_to(tmp_path):
    cache, reads = tmp_path / "cache", {"tables": {}, "titles": {}}
    elsewhere = execcache.store(tmp_path / "elsewhere", "k", reads, _outputs(tmp_path / "made"))
    (elsewhere / "fragment.json").write_text("{}\n")
    (cache / "k").mkdir(parents=True)
    link = cache / "k" / elsewhere.name
    link.symlink_to(elsewhere)
    warned = []
    assert execcache.lookup(cache, "k", lambda r: r, warned.append) is None and len(warned) == 1
    assert not link.exists() and not link.is_symlink() and (elsewhere / "fragment.json").read_text() == "{}\n"


def test_the_vega_bundle_made_in_a_process_of_its_own_is_the_one_made_here():
    from sots.chapters import charts

    assert execcache.make_bundle() == charts.offline_bundle()


def test_a_vega_bundle_that_cannot_be_made_is_one_line_naming_the_failure(monkeypatch):
    monkeypatch.setattr(execcache, "_MAKE_BUNDLE", "raise SystemExit('vl-convert is not installed')")
    with pytest.raises(BuildError, match=r"^making the offline vega bundle failed: vl-convert is not installed$"):
        execcache.make_bundle.__wrapped__()  # not the bundle this process may have made already
