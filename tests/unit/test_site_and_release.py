"""The site's pure parts: switcher entries, front-page target, footer, edition config, manifest checks; and release
facts."""

import json
import re
import subprocess
import tomllib

import pytest
import yaml

from helpers import ARCHIVED, CURRENT, EDITIONS, REGISTER, REPORT_EDITION, ROOT, SWITCHER_NAMES
from sots.errors import InputError
from sots.inputs import editions
from sots.site import build, publish, release

pytestmark = pytest.mark.unit

REL = release.Release(version="2026.1", commit="ab" * 20, build_time="2026-01-01T00:00:00+00:00",
                      build_time_source="commit time")


def test_switcher_lists_published_editions_newest_first_with_relative_urls():
    entries = publish.switcher_entries(REGISTER, set(EDITIONS), REPORT_EDITION)
    assert [(e["version"], e["url"], e.get("preferred", False)) for e in entries] == [
        (e, f"../{e}/", e == CURRENT) for e in reversed(EDITIONS)]
    assert [e["name"] for e in entries] == [SWITCHER_NAMES[e] for e in reversed(EDITIONS)]
    assert [e["status"] for e in entries] == ["current" if e == CURRENT else "archived" for e in reversed(EDITIONS)]
    assert "://" not in json.dumps(entries)  # no other host
    # An edition in the register but not yet published is not offered.
    for edition in EDITIONS:
        assert [e["version"] for e in publish.switcher_entries(REGISTER, {edition})] == [edition]
    assert [e["version"] for e in publish.switcher_entries(REGISTER, set(ARCHIVED))] == list(reversed(ARCHIVED))


def test_the_front_page_goes_to_the_current_edition_else_the_newest_published():
    assert publish.index_target(REGISTER, set(EDITIONS)) == CURRENT
    for edition in EDITIONS:
        assert publish.index_target(REGISTER, {edition}) == edition
    if ARCHIVED:  # the current edition not yet published: the newest that is
        assert publish.index_target(REGISTER, set(ARCHIVED)) == max(ARCHIVED)
    assert publish.index_target(REGISTER, set()) is None


def test_footer_names_edition_release_and_commit():
    footer = build.footer_html(editions.get(REGISTER, "2023-24"), REL)
    text = re.sub(r"<[^>]+>", "", footer)
    assert text == f"Edition 2023-24 · release 2026.1 · commit {'ab' * 6}"


def test_edition_config_sets_switcher_footer_and_prose_values():
    config = build.edition_config(ROOT, editions.get(REGISTER, "2024-25"), "NHS X ICB", "X", REL)
    sphinx = config["sphinx"]["config"]
    assert config["title"].endswith(": X, 2024-25")
    assert sphinx["html_theme_options"]["switcher"] == {"json_url": "../switcher.json", "version_match": "2024-25"}
    assert "version-switcher" in sphinx["html_sidebars"]["**"]
    assert sphinx["myst_substitutions"]["allocation_year"] == "2024/25"
    assert sphinx["myst_substitutions"]["icb_name"] == "NHS X ICB"
    assert "2026.1" in sphinx["html_theme_options"]["extra_footer"]


def test_verify_manifest_finds_changed_missing_and_extra_files(tmp_path):
    (tmp_path / "a.html").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.js").write_text("b")
    outputs = publish.file_hashes(tmp_path)
    assert list(outputs) == ["a.html", "sub/b.js"]
    (tmp_path / publish.MANIFEST_FILE).write_text(json.dumps({"outputs": outputs}))
    assert publish.verify_manifest(tmp_path) == []
    (tmp_path / "a.html").write_text("changed")
    (tmp_path / "sub" / "b.js").unlink()
    (tmp_path / "c.css").write_text("c")
    problems = publish.verify_manifest(tmp_path)
    assert [p.split(": ", 1)[1] for p in problems] == ["missing", "not in manifest.json",
                                                       "sha256 differs from manifest.json"]


def test_build_time_prefers_source_date_epoch_and_never_reads_the_clock(tmp_path):
    assert release.build_time(tmp_path, {"SOURCE_DATE_EPOCH": "1767225600"}) == (
        "2026-01-01T00:00:00+00:00", "SOURCE_DATE_EPOCH")
    assert release.build_time(tmp_path, {}) == ("unknown", "unknown")  # not a git checkout
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH: expected whole seconds"):
        release.build_time(tmp_path, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_commit_and_build_time_come_from_git_in_a_checkout(tmp_path):
    assert release.commit(tmp_path) == "unknown"
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f").write_text("1")
    subprocess.run([*git, "add", "f"], check=True)
    env_date = {"GIT_COMMITTER_DATE": "2026-02-03T04:05:06+01:00", "GIT_AUTHOR_DATE": "2026-02-03T04:05:06+01:00"}
    subprocess.run([*git, "commit", "-qm", "x"], check=True, env={**__import__("os").environ, **env_date})
    sha = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert release.commit(tmp_path) == sha
    assert release.build_time(tmp_path, {}) == ("2026-02-03T03:05:06+00:00", "commit time")
    (tmp_path / "f").write_text("2")
    assert release.commit(tmp_path) == f"{sha}-dirty"
    assert release.Release("2026.1", f"{sha}-dirty", "", "").short_commit == f"{sha[:12]}-dirty"
    # A folder inside a checkout is not the checkout's project: its commit is unknown.
    (tmp_path / "inner").mkdir()
    assert release.commit(tmp_path / "inner") == "unknown"


def test_release_is_calendar_versioned_and_agrees_with_changelog_and_citation():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert release.CALVER.match(version), version
    assert release.version() == version  # the installed package is this checkout's
    changelog = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d{4}\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, flags=re.M)
    assert releases and releases[0][0] == version, "the newest CHANGELOG release is the package version"
    assert "## [Unreleased]" in changelog
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert citation["version"] == version and str(citation["date-released"]) == releases[0][1]
    assert citation["authors"] == [{"name": "The sots contributors"}]
    assert {"message", "title", "type"} <= set(citation) and citation["type"] == "software"
