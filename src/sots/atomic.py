"""Writing so that nothing is lost: a reader sees the old files or the new, never a part, and a killed run's leftovers
are cleaned by the next run.

- :func:`write_atomic` replaces one file by one rename.
- :func:`replace_together` renames a set of finished files over their targets, and puts the old ones back if any
  rename fails, so a table and the data package that lists its checksum change together.
- :func:`scratch` gives a run a folder of its own, removed when the run ends however it ends, except when the process
  is killed outright (SIGKILL, power loss). Each scratch folder holds a lock its owner keeps while it runs, so
  :func:`remove_stale` can tell a dead run's folder from a running one's and remove only the first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sots.errors import InputError

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


def replace_together(moves: Sequence[tuple[Path, Path]], backups: Path) -> None:
    """Rename each finished file over its target (``(new, target)`` pairs, in order), all or none.

    Before a target is replaced it is hard-linked into ``backups`` (a folder on the same file system), so if any rename
    fails every target already replaced is put back and the error is raised. Put the file that describes the others
    (a data package with their checksums) last: a process killed between two renames then leaves a description that
    disagrees with a table, which ``sots prepare --verify`` and ``sots build`` report, rather than a silent mix.
    """
    done: list[tuple[Path, Path | None]] = []
    try:
        for n, (new, target) in enumerate(moves):
            kept = None
            if target.is_file():
                kept = backups / f"{n}-{target.name}"
                try:
                    os.link(target, kept)
                except OSError:  # a file system without hard links
                    shutil.copy2(target, kept)
            os.replace(new, target)
            done.append((target, kept))
    except BaseException:
        for target, kept in reversed(done):
            if kept is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(kept, target)
        raise


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
