"""The site and the execution cache are only ever folders sots made: never the project, one of its own folders, one
holding files git tracks, one holding files sots did not write, or each other."""

import json
import subprocess
from pathlib import Path

import pytest

from helpers import REGISTER
from sots.errors import InputError
from sots.site import folders, publish

pytestmark = pytest.mark.unit


@pytest.fixture
def root(tmp_path):
    """A project folder with its own folders, each holding a file."""
    project = tmp_path / "project"
    for name in ("data", *folders.PROJECT_FOLDERS):
        (project / name).mkdir(parents=True)
        (project / name / "kept.txt").write_text("a file sots did not write\n")
    return project


def check(folder, kind, root, data_dir):
    """Check ``folder`` as the only output, as a build without a cache does."""
    if kind is publish.SITE:
        folders.check_outputs(folder, kind, None, root, data_dir)
    else:
        folders.check_outputs(root.parent / "a site of its own", publish.SITE, folder, root, data_dir)


def refusal(folder, root, kind=publish.SITE, data_dir=None):
    with pytest.raises(InputError) as refused:
        check(folder, kind, root, data_dir or root / "data")
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"{folder}: ")
    return message


@pytest.mark.parametrize("relative, reason", [
    (".", "is the project folder"),
    ("..", "holds the project folder {root}"),
    ("data", "is the prepared tables' folder (--data)"),
    ("data/site", "is inside the prepared tables' folder (--data) {root}/data"),
    ("tests", "is the project's tests/ folder"),
    ("tests/golden", "is inside the project's tests/ folder {root}/tests"),
    ("notebooks", "is the project's notebooks/ folder"),
    ("sources", "is the project's sources/ folder"),
    ("book", "is the project's book/ folder"),
    ("src", "is the project's src/ folder"),
])
def test_the_project_and_its_own_folders_are_refused_as_the_site_or_the_cache(root, relative, reason):
    folder = (root / relative).resolve()
    for kind in (publish.SITE, folders.CACHE):
        assert refusal(folder, root, kind) == (f"{folder}: {reason.format(root=root)}; expected a folder of its own "
                                               f"for {kind.what}, e.g. {root / kind.default}")


def test_the_file_system_root_holds_the_project_and_is_refused(root):
    assert refusal(Path("/"), root).startswith(f"/: holds the project folder {root}; ")


def test_a_folder_holding_the_data_folder_given_elsewhere_is_refused(root, tmp_path):
    data_dir = tmp_path / "elsewhere" / "data"
    data_dir.mkdir(parents=True)
    message = refusal(tmp_path / "elsewhere", root, data_dir=data_dir)
    assert f"holds the prepared tables' folder (--data) {data_dir}; " in message


def test_a_folder_holding_files_git_tracks_is_refused_even_with_the_marker(root):
    site = root / "docs"
    site.mkdir()
    (site / "page.html").write_text("<p>tracked</p>\n")
    folders.mark(site, publish.SITE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "docs/page.html"], check=True)
    assert folders.tracked_files(site) == ["page.html"]
    assert ": holds files git tracks (page.html); expected a folder of its own for the site" in refusal(site, root)
    assert folders.tracked_files(root.parent / "not-a-checkout") == []


def test_a_folder_sots_did_not_make_is_refused_and_one_it_made_is_taken(root, tmp_path):
    site = tmp_path / "site"
    check(site, publish.SITE, root, root / "data")  # new
    site.mkdir()
    check(site, publish.SITE, root, root / "data")  # empty
    (site / "notes.txt").write_text("mine\n")
    assert refusal(site, root) == (f"{site}: holds 'notes.txt', which sots did not write, and no .sots-site marker; "
                                   "expected a new or empty folder, or one sots made, for the site (--out)")
    (site / "notes.txt").unlink()
    folders.mark(site, publish.SITE)
    (site / "2024-25").mkdir()  # anything goes in a marked site
    check(site, publish.SITE, root, root / "data")
    assert (site / ".sots-site").read_text() == folders.MARKER_TEXT.format(what="the site (--out)")
    assert ": is a file; " in refusal(site / ".sots-site", root)


def legacy_site(site):
    """A site as sots published it before the marker: editions with their manifests, the switcher and front pages,
    and what a killed publish leaves."""
    for name in ("2023-24", "2024-25", ".2024-25.retired-abc123"):
        (site / name).mkdir(parents=True)
        (site / name / "manifest.json").write_text("{}\n")
    for name in ("switcher.json", "index.html", "changes.html", ".index.html.x1y2"):
        (site / name).write_text("\n")
    return site


def test_a_site_built_before_the_marker_is_taken_for_one_and_only_if_it_holds_just_what_sots_writes(root, tmp_path):
    site = legacy_site(tmp_path / "site")
    check(site, publish.SITE, root, root / "data")
    (site / "2023-24" / "manifest.json").unlink()  # a folder that is not an edition sots published
    assert "holds '2023-24', which sots did not write, and no .sots-site marker" in refusal(site, root)
    (site / "2023-24" / "manifest.json").write_text("{}\n")
    (site / "switcher.json").unlink()  # the pages alone could be anyone's
    assert refusal(site, root).startswith(f"{site}: holds no switcher.json, and no .sots-site marker; ")


def test_a_cache_built_before_the_marker_is_taken_for_one(root, tmp_path):
    cache = tmp_path / "cache"
    for name in ("a" * 64, "books", "vega"):
        (cache / name).mkdir(parents=True)
    check(cache, folders.CACHE, root, root / "data")
    (cache / "notes").mkdir()
    assert "holds 'notes', which sots did not write, and no .sots-cache marker; expected a new or empty folder, or " \
           "one sots made, for the execution cache (--cache)" in refusal(cache, root, folders.CACHE)
    folders.mark(cache, folders.CACHE)
    check(cache, folders.CACHE, root, root / "data")


@pytest.mark.parametrize("site, cache, named, how", [
    ("s", "s", "s", "given as both the site (--out) and the execution cache (--cache)"),
    ("s", "s/cache", "s/cache", "the execution cache (--cache) is inside the site {tmp}/s (--out)"),
    ("c/site", "c", "c/site", "the site (--out) is inside the execution cache {tmp}/c (--cache)"),
])
def test_the_site_and_the_cache_are_kept_apart(root, tmp_path, site, cache, named, how):
    with pytest.raises(InputError) as refused:
        folders.check_apart(tmp_path / site, tmp_path / cache, root)
    assert str(refused.value) == (f"{tmp_path / named}: {how.format(tmp=tmp_path)}; expected a folder of its own for "
                                  f"each, e.g. {root / '_build/site'} and {root / '_build/cache'}")
    folders.check_apart(tmp_path / "site", tmp_path / "cache", root)


def staged(folder, edition):
    """A small staged edition, as a build leaves it: a front page, results.json, its manifest."""
    (folder / edition).mkdir(parents=True)
    (folder / edition / "index.html").write_text(f"<p>{edition}</p>\n")
    figure = {"value": None, "not_computed": "a test", "edition": edition, "icb": "QE1"}
    (folder / edition / "results.json").write_text(json.dumps({"core_allocation_per_head_gbp": figure}))
    (folder / edition / "manifest.json").write_text(json.dumps({"edition": edition, "icb": {"code": "QE1", "name": "x"},
                                                                "outputs": publish.file_hashes(folder / edition)}))
    return folder / edition


def test_publishing_marks_a_new_site_and_a_site_built_before_the_marker(tmp_path):
    old, new = (e.id for e in REGISTER[:2])
    site = tmp_path / "site"
    publish.publish({old: staged(tmp_path / "s1", old)}, site, REGISTER)
    assert (site / ".sots-site").read_text() == folders.MARKER_TEXT.format(what="the site (--out)")
    (site / ".sots-site").unlink()  # as a site published before the marker existed
    assert folders.not_made(site, publish.SITE) is None
    publish.publish({new: staged(tmp_path / "s2", new)}, site, REGISTER)
    assert (site / ".sots-site").is_file() and publish.verify_manifest(site / new) == []


def test_publishing_into_a_folder_sots_did_not_make_changes_nothing(tmp_path):
    site = tmp_path / "mine"
    site.mkdir()
    (site / "notes.txt").write_text("mine\n")
    edition = REGISTER[0].id
    with pytest.raises(InputError, match="holds 'notes.txt', which sots did not write"):
        publish.publish({edition: staged(tmp_path / "s", edition)}, site, REGISTER)
    assert [p.name for p in site.iterdir()] == ["notes.txt"]


def test_a_site_given_as_the_cache_is_named_as_such_not_as_a_folder_sots_did_not_write(root, tmp_path):
    cache = tmp_path / "cache"
    (cache / ("a" * 64)).mkdir(parents=True)
    folders.mark(cache, folders.CACHE)
    with pytest.raises(InputError, match="given as both the site"):
        folders.check_outputs(cache, publish.SITE, cache, root, root / "data")
