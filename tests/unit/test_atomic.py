"""Files replaced all or none, and scratch folders: removed by their owner, or by the next run if the owner was
killed."""

import os
import subprocess
import sys
import time

import pytest

from sots import atomic

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
