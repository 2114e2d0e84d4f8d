"""The build key and the site's stamp (sots.site.buildkey): a rebuild with nothing changed publishes nothing, and any
change to what a build reads, or to the site since it was published, builds again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sots import hashing
from sots.site import buildkey

pytestmark = pytest.mark.unit

CURRENT, OTHER = "2024-25", "2023-24"
# A small project, laid out as the real one: every file the build reads, with known bytes.
PROJECT = {
    "_config.yml": "title: A book\n",
    "_toc.yml": "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/first\n  - file: book/methods\n",
    "book/intro.md": "# Intro\n",
    "book/methods.md": "# Methods\n",
    "book/_static/sots.css": "body {}\n",
    "claims.yml": "claims: []\n",
    "editions.yml": "editions: []\n",
    "CITATION.cff": "cff-version: 1.2.0\n",
    "notebooks/first.ipynb": '{"cells": []}\n',
    "notebooks/unlisted.ipynb": '{"cells": [1]}\n',  # no page of _toc.yml: the build never reads it
    "requirements.txt": "pandas==2.2.3\n",
    "pyproject.toml": '[project]\nname = "sots"\nversion = "2026.1"\n',
    "data/unit_costs.csv": "year,unit_cost_gbp\n2024/25,280.17\n",
    "data/datapackage.json": '{"resources": []}\n',
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of :data:`PROJECT` (not a git checkout: its commit is "unknown"), built at a fixed time."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return write(tmp_path / "project", PROJECT)


def key(root: Path, options: buildkey.Options | None = None) -> str:
    return buildkey.build_key(root, root / "data", options or buildkey.Options(icb="QE1"))


# --- The key --------------------------------------------------------------------------------------------------------

def test_the_key_is_the_same_for_the_same_inputs_and_names_every_input(project):
    inputs = buildkey.key_inputs(project, project / "data", buildkey.Options(icb="QE1"))
    assert key(project) == key(project) == hashing.digest(inputs)
    assert sorted(inputs["sources"]) == ["CITATION.cff", "_config.yml", "_toc.yml", "book/_static/sots.css",
                                         "book/intro.md", "book/methods.md", "claims.yml", "editions.yml",
                                         "notebooks/first.ipynb"]
    assert sorted(inputs["data"]) == [".hidden", "datapackage.json", "unit_costs.csv"]
    assert inputs["release"]["version"] == "2026.1" and inputs["release"]["commit"] == "unknown"
    assert inputs["release"]["build_time"] == "2026-01-01T00:00:00+00:00"
    assert inputs["code"] == buildkey.code_digest(project)


@pytest.mark.parametrize("changed", [
    "_config.yml", "_toc.yml", "book/intro.md", "book/_static/sots.css", "claims.yml", "editions.yml", "CITATION.cff",
    "notebooks/first.ipynb", "requirements.txt", "data/unit_costs.csv", "data/datapackage.json",
])
def test_a_changed_input_file_changes_the_key(project, changed):
    before = key(project)
    with open(project / changed, "a") as f:
        f.write("# one more line\n")
    assert key(project) != before


@pytest.mark.parametrize("added", ["book/new-page.md", "data/another_table.csv", "data/.prepare-x1y2/journal.json"])
def test_an_added_file_changes_the_key(project, added):
    """A new page or table, and the scratch folder a stopped `sots prepare` leaves (which the build undoes first)."""
    before = key(project)
    write(project, {added: "x\n"})
    assert key(project) != before


def test_a_file_the_build_does_not_read_leaves_the_key_as_it_was(project):
    before = key(project)
    write(project, {"notebooks/unlisted.ipynb": "{}\n", "sources/README.md": "notes\n", "Makefile": "all:\n"})
    assert key(project) == before


def test_the_release_changes_the_key(project, monkeypatch):
    before = key(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225601")
    assert key(project) != before
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    write(project, {"pyproject.toml": PROJECT["pyproject.toml"].replace("2026.1", "2026.2")})
    assert key(project) != before


@pytest.mark.parametrize("option", [
    {"editions": (OTHER,)}, {"all_editions": True}, {"icb": "QWE"}, {"also_icbs": ("QWE",)}, {"all_icbs": True},
    {"overrides": {"base_year": "2022"}}, {"pdf": False},
])
def test_each_option_that_changes_what_is_published_changes_the_key(project, option):
    assert key(project, buildkey.Options(**{"icb": "QE1", **option})) != key(project)


def test_options_given_in_another_order_or_twice_give_the_same_key(project):
    one = buildkey.Options(editions=(CURRENT, OTHER), icb="QE1", also_icbs=("QWE", "QF7"),
                           overrides={"a": "1", "b": "2"})
    other = buildkey.Options(editions=(OTHER, CURRENT, OTHER), icb="QE1", also_icbs=("QF7", "QWE"),
                             overrides={"b": "2", "a": "1"})
    assert key(project, one) == key(project, other)


def test_the_code_digest_covers_every_file_of_the_package_templates_and_static_files_too(project, tmp_path):
    package = write(tmp_path / "package", {"__init__.py": "", "templates/page.html": "<p>\n",
                                           "static/sots.js": "x\n", "__pycache__/a.pyc": "old"})
    digest = buildkey.hash_code  # not the per-process cache (code_digest): the files change under it here
    before = digest(project, package)
    write(package, {"__pycache__/a.pyc": "new"})
    assert digest(project, package) == before
    for name in ("templates/page.html", "static/sots.js", "__init__.py"):
        write(package, {name: (package / name).read_text() + "changed\n"})
        assert digest(project, package) != before
        before = digest(project, package)


def test_the_installed_versions_are_read_from_the_dist_info_folders(tmp_path):
    site = tmp_path / "site-packages"
    (site / "altair-5.5.0.dist-info").mkdir(parents=True)
    (site / "vl_convert_python-1.7.0.dist-info").mkdir()
    (site / "altair").mkdir()
    assert buildkey.installed_versions([str(site), str(tmp_path / "none")]) == [
        "altair-5.5.0.dist-info", "vl_convert_python-1.7.0.dist-info"]
    (site / "altair-5.5.0.dist-info").rename(site / "altair-5.5.1.dist-info")
    assert buildkey.installed_versions([str(site)])[0] == "altair-5.5.1.dist-info"


def test_a_notebook_the_toc_lists_but_the_project_lacks_gives_no_key(project):
    (project / "notebooks" / "first.ipynb").unlink()
    with pytest.raises(FileNotFoundError):
        key(project)
    assert buildkey.key_or_none(project, project / "data", buildkey.Options(icb="QE1")) is None


def test_the_options_are_made_alike_from_the_command_line_and_the_build(project):
    given = buildkey.Options.given([CURRENT], False, "QE1", ["QWE"], False, None, True)
    assert given == buildkey.Options((CURRENT,), False, "QE1", ("QWE",), False, {}, True)


# --- The decision ---------------------------------------------------------------------------------------------------

def edition(folder: Path, pages: dict[str, str]) -> None:
    """An edition's folder as a build publishes it: its pages, results.json and the manifest listing them."""
    write(folder, {**pages, "results.json": '{"f1": {"value": 1}}\n'})
    outputs = {p.relative_to(folder).as_posix(): f"sha256:{hashing.file_sha256(p)}"
               for p in sorted(folder.rglob("*")) if p.is_file()}
    (folder / "manifest.json").write_text(json.dumps({"outputs": outputs}) + "\n")


@pytest.fixture
def site(project, tmp_path) -> Path:
    """A published site of two editions, the current one published (and stamped) by a build of :func:`project`."""
    out = tmp_path / "out" / "site"
    write(out, {".sots-site": "marker\n", "switcher.json": "[]\n", "index.html": "<p>front</p>\n",
                "changes.html": "<p>changes</p>\n"})
    edition(out / CURRENT, {"index.html": "<p>current</p>\n", "notebooks/first.html": "<p>chapter</p>\n"})
    edition(out / OTHER, {"index.html": "<p>earlier</p>\n"})
    buildkey.write_stamp(out, key(project), [CURRENT])
    return out


def test_the_same_inputs_on_the_site_as_published_build_nothing_and_say_so(project, site):
    assert buildkey.why_stale(site, key(project)) is None
    said = []
    assert buildkey.unchanged(site, key(project), said.append)
    assert len(said) == 2 and said[0].startswith(f"nothing to publish: {site} already holds what")
    assert said[1].startswith("run: 0 chapters executed, 0 from the cache, 0 kernels started, 0 books built, "
                              "0 from the cache, in ")


def test_a_changed_input_builds(project, site):
    write(project, {"book/intro.md": "# Intro, edited\n"})
    assert buildkey.why_stale(site, key(project)) == "its inputs changed since it was published"
    assert not buildkey.unchanged(site, key(project), print)
    assert not buildkey.unchanged(site, key(project, buildkey.Options(icb="QE1", pdf=False)), print)


@pytest.mark.parametrize("damage", [
    "edit-page", "remove-page", "add-page", "edit-manifest", "edit-switcher", "remove-changes", "add-root-entry",
    "edit-other-results", "remove-other-edition", "remove-stamp", "damage-stamp", "edit-own-results",
])
def test_a_site_changed_since_it_was_published_builds(project, site, damage):
    """A published file edited, removed or added (in an edition the build published, or the files of the site's root
    and the other editions' results, which the switcher and the changes page are made from), or a stamp removed or
    damaged: never taken for a site that is up to date."""
    current, other = site / CURRENT, site / OTHER
    changes = {
        "edit-page": lambda: write(current, {"notebooks/first.html": "<p>edited</p>\n"}),
        "remove-page": lambda: (current / "notebooks" / "first.html").unlink(),
        "add-page": lambda: write(current, {"extra.html": "<p>new</p>\n"}),
        "edit-manifest": lambda: write(current, {"manifest.json": "{}\n"}),
        "edit-switcher": lambda: write(site, {"switcher.json": "[{}]\n"}),
        "remove-changes": lambda: (site / "changes.html").unlink(),
        "add-root-entry": lambda: (site / "2025-26").mkdir(),
        "edit-other-results": lambda: write(other, {"results.json": "{}\n"}),
        "remove-other-edition": lambda: shutil.rmtree(other),
        "remove-stamp": lambda: buildkey.stamp_path(site).unlink(),
        "damage-stamp": lambda: buildkey.stamp_path(site).write_text("{not json"),
        "edit-own-results": lambda: write(current, {"results.json": "{}\n"}),
    }
    changes[damage]()
    assert buildkey.why_stale(site, key(project)) is not None
    assert not buildkey.unchanged(site, key(project), print)


def test_another_editions_pages_are_not_this_builds_to_check(project, site):
    """A page of an edition this build did not publish is not rebuilt by it: only what the build reads of it (its
    manifest and results.json, for the changes page) is checked."""
    write(site / OTHER, {"index.html": "<p>edited by hand</p>\n"})
    assert buildkey.why_stale(site, key(project)) is None


def test_no_key_is_never_up_to_date(site):
    assert not buildkey.unchanged(site, None, print)


def test_a_staging_folder_beside_the_site_builds_so_that_the_full_build_removes_it(project, site):
    (site.parent / f"{buildkey.STAGING_PREFIX}abc").mkdir()
    assert not buildkey.unchanged(site, key(project), print)


def test_the_stamp_is_beside_the_site_and_records_no_path_or_time(site):
    stamp = buildkey.stamp_path(site)
    assert stamp.parent == site.parent and stamp.name == ".site.stamp.json"
    text = stamp.read_text()
    assert str(site.parent) not in text and set(json.loads(text)) == {"format", "key", "site"}
