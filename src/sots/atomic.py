"""Writing so that nothing is lost: a reader sees the old files or the new, never a part, and a killed run's leftovers
are cleaned by the next run.

- :func:`write_atomic` replaces one file by one rename.
- :func:`replace_together` renames a set of finished files over their targets, and puts the old ones back if any
  rename fails, so a table and the data package that lists its checksum change together. Given a journal, a run
  killed outright between two renames is undone by the next (:func:`undo_stopped`).
- :func:`scratch` gives a run a folder of its own, removed when the run ends however it ends, except when the process
  is killed outright (SIGKILL, power loss). Each scratch folder holds a lock its owner keeps while it runs, so
  :func:`remove_stale` can tell a dead run's folder from a running one's and remove only the first.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from sots.errors import InputError, read_json
from sots.hashing import file_sha256

JOURNAL = "journal.json"  # in a run's scratch folder: the renames replace_together is making, to undo if it is killed
OWNER = ".owner.lock"  # in each scratch folder, locked by the process that made it for as long as it runs
# A folder without its lock file is one being made this instant, or one left by a process killed between making it
# and locking it; only the second is removed, once it is this old.
UNLOCKED_GRACE_S = 60.0
STALE_TRIES, STALE_WAIT_S = 10, 0.5  # removing a dead run's folder that something still writes in


def check_writable(folder: Path, what: str) -> None:
    """InputError, in one line, if a file cannot be made in ``folder``, or, if it does not exist yet, in the folder it
    would be made in: a folder that is read-only, not this user's, or on a read-only file system. Checked before any
    work, so a long run does not fail at its end. ``what`` says what the folder is for, e.g. "the site (--out)"."""
    existing = next(f for f in (folder, *folder.parents) if f.exists())  # nothing is made on the way
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".sots-probe-", dir=existing))
    except OSError as err:
        raise InputError(f"{folder}: cannot write here ({err.strerror or err}); expected a folder this user can write "
                         f"to, for {what}") from None


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` by one rename, so a reader sees the old file or the new, never a part."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Move(NamedTuple):
    """One rename of :func:`replace_together`: the finished file, its target, the target's backup (None if there was
    no target) and the sha256 of the finished file (for a new target: the file sots wrote there)."""

    new: Path
    target: Path
    backup: Path | None
    sha256: str | None


def replace_together(moves: Sequence[tuple[Path, Path]], backups: Path, journal: Path | None = None) -> None:
    """Rename each finished file over its target (``(new, target)`` pairs, in order), all or none.

    First every target is hard-linked into ``backups`` (a folder on the same file system), and, given a ``journal``
    (a file in the run's scratch folder), each rename is listed in it with its backup. If a rename fails (or the run is
    interrupted), every target is put back and the error is raised; if the process is killed outright between two
    renames, the next run puts them back from the journal (:func:`undo_stopped`). Put the file that describes the
    others (a data package with their checksums) last: until then, a reader that checks them against it finds a
    mismatch, never a silent mix.
    """
    planned = []
    for n, (new, target) in enumerate(moves):
        kept = None
        if target.is_file():
            kept = backups / f"{n}-{target.name}"
            try:
                os.link(target, kept)
            except OSError:  # a file system without hard links
                shutil.copy2(target, kept)
        planned.append(_Move(new, target, kept, None if kept else file_sha256(new)))
    if journal is not None:
        moves_json = [{"new": _relative(m.new, journal), "target": _relative(m.target, journal),
                       "backup": m.backup and _relative(m.backup, journal), "sha256": m.sha256} for m in planned]
        write_atomic(journal, json.dumps({"moves": moves_json}, indent=1) + "\n")  # whole, or not there at all
    try:
        for move in planned:
            os.replace(move.new, move.target)
    except BaseException:
        _undo(planned)
        if journal is not None:
            journal.unlink(missing_ok=True)
        raise
    if journal is not None:
        journal.unlink(missing_ok=True)



def _relative(path: Path, journal: Path) -> str:
    return os.path.relpath(path, journal.parent)


def _undo(planned: Sequence[_Move]) -> None:
    """Put every target of ``planned`` back as it was: its backup renamed over it, or, if there was none, the file
    renamed there removed (only if it is the very file sots wrote: its sha256 says so). Safe to run twice."""
    for move in reversed(planned):
        if move.backup is not None:
            if move.backup.is_file():  # not yet put back
                os.replace(move.backup, move.target)
        elif not move.new.exists() and move.target.is_file() and file_sha256(move.target) == move.sha256:
            move.target.unlink()


def _read_journal(journal: Path) -> list[_Move]:
    doc = read_json(journal, "file not found", "remove it and check the folder's files by hand")
    try:
        planned = [_Move(*(None if m[k] is None else Path(os.path.normpath(journal.parent / m[k])) for k in
                           ("new", "target", "backup")), m["sha256"]) for m in doc["moves"]]
    except (KeyError, TypeError) as err:
        raise InputError(f"{journal}: expected a journal of renames, each with new, target, backup and sha256 "
                         f"({type(err).__name__}: {err}); remove it and check the folder's files by hand") from None
    # A run renames only within the folder its scratch folder is in: a journal naming any other path was not written
    # by sots, and undoing it would move files sots did not write.
    home = journal.parent.parent
    for n, move in enumerate(planned, 1):
        for path in (move.new, move.target, move.backup):
            if path is not None and home not in path.parents:
                raise InputError(f"{journal}: rename {n}: expected paths inside {home}, got {path}; remove the "
                                 "journal and check the folder's files by hand")
    return planned


def undo_stopped(parent: Path, prefix: str) -> list[tuple[Path, int, int]]:
    """Undo the renames of every run killed outright while :func:`replace_together` made them: each scratch folder
    ``parent/<prefix>*`` whose owner is gone and that holds a journal (:data:`JOURNAL`). Every target is put back as
    it was, then the folder (which holds only that run's files) is removed. Returns each such folder, with how many of
    its renames had been made and how many there were."""
    undone = []
    for folder in sorted(parent.glob(f"{prefix}*")) if parent.is_dir() else []:
        journal = folder / JOURNAL
        if folder.is_dir() and not folder.is_symlink() and journal.is_file() and _owner_gone(folder):
            planned = _read_journal(journal)
            made = sum(not move.new.exists() for move in planned)
            _undo(planned)
            journal.unlink()
            shutil.rmtree(folder, ignore_errors=True)
            undone.append((folder, made, len(planned)))
    return undone


@contextmanager
def scratch(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder ``parent/<prefix><random>`` owned by this process until the block ends, then removed."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        with open(folder / OWNER, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # new and ours: never blocks
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _owner_gone(folder: Path) -> bool:
    lock = folder / OWNER
    if not lock.is_file():
        return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE_S
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # its owner is still running
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def remove_stale(parent: Path, prefix: str) -> list[Path]:
    """Remove every ``parent/<prefix>*`` scratch folder whose owner is no longer running; return those removed."""
    removed = []
    for folder in sorted(parent.glob(f"{prefix}*")) if parent.is_dir() else []:
        if folder.is_dir() and not folder.is_symlink() and _owner_gone(folder):
            for _ in range(STALE_TRIES):
                shutil.rmtree(folder, ignore_errors=True)
                if not folder.exists():
                    removed.append(folder)
                    break
                # A killed build's kernels run on until they see their worker has gone (about a second), and may
                # still write in its staging folder.
                time.sleep(STALE_WAIT_S)
    return removed
