"""The catalogue's cases of paths: a build only ever writes folders sots made (never the project, its own folders, a
folder holding files git tracks or files sots did not write), a layout reads only files inside the upstream folder,
and a prepare killed while it renamed its tables into data/ is undone by the next command that reads data/.

Each refused path is refused before any work, in one line naming the path and what was expected, with the whole
project (its tests/golden, data/ and published site) byte-identical to before.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from catalogue import cases, refused

from helpers import RAW, assert_refused, cli, rehash, snapshot, upstream
from sots import atomic
from sots.inputs import data, prepare

pytestmark = pytest.mark.integration

OWN = "; expected a folder of its own for "


@cases("args, reason", [
    pytest.param(["--all-editions", "--out", "tests/golden"], "{root}/tests/golden: is inside the project's tests/ "
                 "folder {root}/tests" + OWN + "the site (--out), e.g. {root}/_build/site", id="out-tests-golden"),
    pytest.param(["--out", "."], "{root}: is the project folder" + OWN + "the site (--out)", id="out-project"),
    pytest.param(["--out", ".."], "{root.parent}: holds the project folder {root}" + OWN + "the site (--out)",
                 id="out-above-the-project"),
    pytest.param(["--out", "/"], "/: holds the project folder {root}" + OWN + "the site (--out)",
                 id="out-file-system-root"),
    pytest.param(["--out", "data"], "{root}/data: is the prepared tables' folder (--data)" + OWN + "the site (--out)",
                 id="out-data"),
    pytest.param(["--out", "notebooks"], "{root}/notebooks: is the project's notebooks/ folder" + OWN +
                 "the site (--out)", id="out-notebooks"),
    pytest.param(["--out", "_build/cache"], "{root}/_build/cache: given as both the site (--out) and the execution "
                 "cache (--cache); expected a folder of its own for each, e.g. {root}/_build/site and "
                 "{root}/_build/cache", id="out-the-cache"),
    pytest.param(["--cache", "data"], "{root}/data: is the prepared tables' folder (--data)" + OWN +
                 "the execution cache (--cache), e.g. {root}/_build/cache", id="cache-data"),
    pytest.param(["--cache", "."], "{root}: is the project folder" + OWN + "the execution cache (--cache)",
                 id="cache-project"),
    pytest.param(["--cache", "tests"], "{root}/tests: is the project's tests/ folder" + OWN +
                 "the execution cache (--cache)", id="cache-tests"),
    pytest.param(["--cache", "_build/site"], "{root}/_build/site: given as both the site (--out) and the execution "
                 "cache (--cache)", id="cache-the-site"),
    pytest.param(["--cache", "_build/site/cache"], "{root}/_build/site/cache: the execution cache (--cache) is inside "
                 "the site {root}/_build/site (--out)", id="cache-inside-the-site"),
])
def test_an_output_folder_sots_must_not_write_is_refused_before_any_work(project, args, reason):
    before = snapshot(project)  # tests/golden, data/, the site, the sources: everything
    refused(project, "build", *args, expected=[reason.format(root=project)])
    assert snapshot(project) == before


@cases("option, marker, what", [
    pytest.param("--out", ".sots-site", "the site (--out)", id="out-not-empty-without-the-marker"),
    pytest.param("--cache", ".sots-cache", "the execution cache (--cache)", id="cache-not-empty-without-the-marker"),
])
def test_a_folder_holding_files_sots_did_not_write_is_refused(project, tmp_path, option, marker, what):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.docx").write_text("months of work\n")
    refused(project, "build", option, str(folder), expected=[
        f"{folder}: holds 'thesis.docx', which sots did not write, and no {marker} marker; expected a new or empty "
        f"folder, or one sots made, for {what}"])
    assert [p.name for p in folder.iterdir()] == ["thesis.docx"]


@cases("option", [pytest.param("--out", id="out-holds-tracked-files"),
                  pytest.param("--cache", id="cache-holds-tracked-files")])
def test_a_folder_holding_files_git_tracks_is_refused(project, option):
    """In a git checkout, a folder that holds tracked files is refused, whatever its name (benchmarks/ is not one of
    the project's named folders)."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "add", "benchmarks"], check=True)
    folder = project / "benchmarks"
    before = snapshot(folder)
    refused(project, "build", option, "benchmarks", expected=[f"{folder}: holds files git tracks (", OWN])
    assert snapshot(folder) == before


@cases("file", [
    pytest.param("../../../../etc/passwd", id="layout-file-outside-raw"),
    pytest.param("/etc/passwd", id="layout-file-absolute"),
    pytest.param("nhse_icb_allocations_2023_24_to_2024_25/../../../raw/elsewhere.xlsx", id="layout-file-dotdot-inside"),
])
def test_a_layout_naming_a_file_outside_the_upstream_folder_is_refused(project, tmp_path, file):
    """Only the path as written counts: the upstream's files may be links to files elsewhere (as here)."""
    raw = upstream(tmp_path / "raw")
    layout = project / "sources" / "layouts" / "icb_allocations" / "2023-24.yml"
    text = layout.read_text()
    written = next(line for line in text.splitlines() if line.startswith("file: "))
    layout.write_text(text.replace(written, f"file: {file}"))
    refused(project, "prepare", "--raw", str(raw), expected=[
        f"{layout}: field 'file': expected a path inside the upstream folder (--raw), relative and without '..', "
        f"got '{file}'"])


# `sots prepare` run as a user runs it, but killed outright (SIGKILL) as it is about to make the rename after the
# first sys.argv[2] of the tables it renames into data/ (sys.argv[1]).
KILLED_MID_RENAMES = """
import os, signal, sys
from pathlib import Path
from sots.cli import app
data, after, raw = Path(sys.argv[1]).resolve(), int(sys.argv[2]), sys.argv[3]
real, made = os.replace, []
def replace(source, target):
    if Path(target).parent.resolve() == data:
        if len(made) == after:
            os.kill(os.getpid(), signal.SIGKILL)
        made.append(target)
    real(source, target)
os.replace = replace
app(["prepare", "--raw", raw, "--data", str(data)])
"""


@cases("command", [
    pytest.param(["prepare", "--verify"], id="prepare-killed-during-renames"),
    pytest.param(["build", "-p", "runs=0"], id="prepare-killed-during-renames-then-build"),
])
def test_a_prepare_killed_between_two_renames_is_undone_by_the_next_command(project, command):
    """Killed after 4 of its renames (one per table, then the data package), prepare used to leave data/ half new
    and half old: `prepare --verify` said so, the next build refused, and nothing put it right. Now the renames are
    listed in a journal first, and the next command that reads data/ puts back every table replaced, in one log line,
    before it does anything else: data/ is byte-identical to before (a build is then refused for a bad -p, after it
    has read data/)."""
    data_dir = project / "data"
    # data/ as an earlier prepare made it, unlike what this one writes (the committed tables), so that undone and
    # half done differ: one area's name is another.
    areas = data_dir / data.TABLES["areas"].filename
    areas.write_text(areas.read_text().replace(",Blackpool,", ",Blackpool (an earlier name),", 1))
    rehash(data_dir)
    before = snapshot(data_dir)
    done = subprocess.run([sys.executable, "-c", KILLED_MID_RENAMES, str(data_dir), "4", str(RAW)], cwd=project,
                          capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    (left,) = data_dir.glob(f"{prepare.SCRATCH_PREFIX}*")
    assert (left / atomic.JOURNAL).is_file()
    # Half new: the four first tables (areas.csv the fourth) replaced, the data package not.
    assert [line.split(":")[0] for line in data.verify(data_dir)] == [str(areas)]

    result = cli(*command, cwd=project)
    renames = len(data.TABLES) + 1  # every table, then the data package
    assert (f"undid a `sots prepare` stopped while it renamed its tables (4 of {renames} files had been replaced); the "
            "tables are as they were before it ran") in result.stdout
    if command[0] == "prepare":
        assert result.exit_code == 0 and "every checksum matches" in result.stdout, result.stderr
    else:
        assert_refused(result, "parameter 'runs': expected a number from 1 to 100,000")
    assert snapshot(data_dir) == before and data.verify(data_dir) == []
    assert not left.exists()
