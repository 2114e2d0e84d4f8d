"""Files replaced all or none, and scratch folders: removed by their owner, or by the next run if the owner was
killed."""

import json
import os
import subprocess
import sys
import time

import pytest

from sots import atomic
from sots.errors import InputError

pytestmark = pytest.mark.unit


def test_replace_together_puts_every_replaced_file_back_when_one_rename_fails(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir(), work.mkdir()
    for name in ("a.csv", "b.csv"):
        (out / name).write_text(f"old {name}\n")
        (work / name).write_text(f"new {name}\n")
    (out / "c.csv").mkdir()  # a folder where a file should go: its rename fails
    (work / "c.csv").write_text("new c\n")
    with pytest.raises(OSError):
        atomic.replace_together([(work / n, out / n) for n in ("a.csv", "b.csv", "c.csv")], backups=work)
    assert (out / "a.csv").read_text() == "old a.csv\n" and (out / "b.csv").read_text() == "old b.csv\n"


def test_replace_together_replaces_every_file_and_adds_new_ones(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir(), work.mkdir()
    (out / "a.csv").write_text("old\n")
    (work / "a.csv").write_text("new\n")
    (work / "b.csv").write_text("added\n")
    atomic.replace_together([(work / "a.csv", out / "a.csv"), (work / "b.csv", out / "b.csv")], backups=work)
    assert (out / "a.csv").read_text() == "new\n" and (out / "b.csv").read_text() == "added\n"


def test_a_scratch_folder_is_removed_when_its_block_ends_even_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic.scratch(tmp_path, ".run-") as folder:
            (folder / "half-written.csv").write_text("x")
            raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []


def test_remove_stale_takes_a_killed_runs_folder_and_leaves_a_running_ones(tmp_path):
    # A run killed outright: its folder and lock file stay, but nobody holds the lock.
    code = ("import os, sys; from pathlib import Path; from sots import atomic\n"
            "with atomic.scratch(Path(sys.argv[1]), '.run-') as f:\n"
            "    (f / 'table.csv').write_text('x'); os._exit(9)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env={**os.environ})
    assert done.returncode == 9
    (dead,) = tmp_path.glob(".run-*")
    with atomic.scratch(tmp_path, ".run-") as live:
        assert atomic.remove_stale(tmp_path, ".run-") == [dead]
        assert live.is_dir() and not dead.exists()


def test_a_folder_without_its_lock_is_left_while_it_may_be_being_made(tmp_path):
    young = tmp_path / ".run-young"
    young.mkdir()
    old = tmp_path / ".run-old"
    old.mkdir()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert atomic.remove_stale(tmp_path, ".run-") == [old]
    assert young.is_dir()


# A run that renames three files into out/ (a.csv and b.csv replace old ones, c.csv is new) with a journal, and is
# killed outright (SIGKILL) once it has made sys.argv[2] of the renames (3: before it removes its journal).
KILLED_MID_RENAMES = """
import os, signal, sys
from pathlib import Path
from sots import atomic
from sots.errors import InputError
out, after = Path(sys.argv[1]), int(sys.argv[2])
real_replace, real_unlink, made = os.replace, Path.unlink, []
def replace(source, target):
    if Path(target).parent == out:
        if len(made) == after:
            os.kill(os.getpid(), signal.SIGKILL)
        made.append(target)
    real_replace(source, target)
def unlink(path, missing_ok=False):
    if path.name == atomic.JOURNAL:
        os.kill(os.getpid(), signal.SIGKILL)
    real_unlink(path, missing_ok)
os.replace, Path.unlink = replace, unlink
with atomic.scratch(out, ".run-") as work:
    for name in ("a.csv", "b.csv", "c.csv"):
        (work / name).write_text(f"new {name}\\n")
    atomic.replace_together([(work / n, out / n) for n in ("a.csv", "b.csv", "c.csv")], backups=work,
                            journal=work / atomic.JOURNAL)
"""


def old_files(out):
    out.mkdir()
    for name in ("a.csv", "b.csv"):
        (out / name).write_text(f"old {name}\n")
    (out / "notes.txt").write_text("not sots's\n")
    return {p.name: p.read_text() for p in out.iterdir()}


@pytest.mark.parametrize("after", [0, 1, 2, 3])
def test_a_run_killed_between_two_renames_is_undone_by_the_next_from_its_journal(tmp_path, after):
    out = tmp_path / "out"
    before = old_files(out)
    done = subprocess.run([sys.executable, "-c", KILLED_MID_RENAMES, str(out), str(after)])
    assert done.returncode == -9
    (left,) = out.glob(".run-*")
    assert (left / atomic.JOURNAL).is_file()
    replaced = {n for n in ("a.csv", "b.csv", "c.csv")[:after]}
    assert {p.name for p in out.iterdir() if p.is_file() and p.read_text().startswith("new")} == replaced
    assert atomic.undo_stopped(out, ".run-") == [(left, after, 3)]
    assert {p.name: p.read_text() for p in out.iterdir()} == before  # c.csv gone, the others as they were
    assert atomic.undo_stopped(out, ".run-") == []


def test_undoing_keeps_a_new_file_changed_since_and_every_file_sots_did_not_write(tmp_path):
    out = tmp_path / "out"
    old_files(out)
    assert subprocess.run([sys.executable, "-c", KILLED_MID_RENAMES, str(out), "3"]).returncode == -9
    (out / "c.csv").write_text("edited by hand after the kill\n")  # no longer the file sots wrote there
    atomic.undo_stopped(out, ".run-")
    assert {p.name: p.read_text() for p in out.iterdir()} == {
        "a.csv": "old a.csv\n", "b.csv": "old b.csv\n", "c.csv": "edited by hand after the kill\n",
        "notes.txt": "not sots's\n"}


def test_a_running_owners_journal_is_left_alone(tmp_path):
    out = tmp_path / "out"
    old_files(out)
    with atomic.scratch(out, ".run-") as work:
        (work / atomic.JOURNAL).write_text('{"moves": []}\n')
        assert atomic.undo_stopped(out, ".run-") == []
        assert (work / atomic.JOURNAL).is_file()


def test_replace_together_leaves_no_journal_and_undoes_a_new_file_when_a_rename_fails(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    old_files(out), work.mkdir()
    for name in ("a.csv", "c.csv", "d.csv"):
        (work / name).write_text(f"new {name}\n")
    (out / "d.csv").mkdir()  # its rename fails, after a.csv and the new c.csv are in place
    with pytest.raises(OSError):
        atomic.replace_together([(work / n, out / n) for n in ("a.csv", "c.csv", "d.csv")], backups=work,
                                journal=work / atomic.JOURNAL)
    assert (out / "a.csv").read_text() == "old a.csv\n" and not (out / "c.csv").exists()
    assert not (work / atomic.JOURNAL).exists() and (out / "notes.txt").read_text() == "not sots's\n"
    for name in ("a.csv", "c.csv"):
        (work / name).write_text(f"new {name}\n")
    atomic.replace_together([(work / n, out / n) for n in ("a.csv", "c.csv")], backups=work,
                            journal=work / atomic.JOURNAL)
    assert (out / "a.csv").read_text() == "new a.csv\n" and (out / "c.csv").read_text() == "new c.csv\n"
    assert not (work / atomic.JOURNAL).exists()


def test_a_journal_naming_a_path_outside_its_folder_is_refused_and_nothing_is_moved(tmp_path):
    """A journal is read back, not trusted: one that would rename a file outside the folder the run wrote in was not
    written by sots, and undoing it would move a file sots did not write."""
    out = tmp_path / "out"
    before = old_files(out)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone else's\n")
    assert subprocess.run([sys.executable, "-c", KILLED_MID_RENAMES, str(out), "1"]).returncode == -9
    (left,) = out.glob(".run-*")
    journal = left / atomic.JOURNAL
    doc = json.loads(journal.read_text())
    doc["moves"][1]["target"] = "../../elsewhere.txt"
    journal.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"journal.json: rename 2: expected paths inside .*/out, got .*elsewhere.txt"):
        atomic.undo_stopped(out, ".run-")
    assert elsewhere.read_text() == "someone else's\n" and journal.is_file()
    assert (out / "a.csv").read_text() == "new a.csv\n" and before["b.csv"] == (out / "b.csv").read_text()
