"""The two folders ``sots build`` writes besides its scratch folder: the site (``--out``) and the execution cache
(``--cache``), each checked before any work, so that a wrong path can never delete what sots did not write.

Publishing replaces folders in the site (``--out tests/golden`` once replaced the committed golden files with the
site), and the cache is written into. So each is refused, in one line naming the path and what was expected, if it is:

- the project folder, or a folder that holds it (``..``, ``/``);
- the prepared tables' folder (``data/``, or ``--data``), one of the project's own folders (:data:`PROJECT_FOLDERS`),
  a folder inside one of them, or one that holds the ``--data`` folder;
- the other of the two, inside it, or holding it;
- a folder holding files git tracks (when it is in a git checkout);
- a folder that is not empty and that sots did not make (:func:`check_made`). sots marks each folder it makes with a
  file at its root (the site's ``.sots-site``, :data:`sots.site.publish.SITE`; the cache's ``.sots-cache``,
  :data:`CACHE`), written when it first writes into a new or empty folder. A site or cache made before the markers
  existed has none: a folder whose every entry is one that sots writes there (:attr:`Kind.made`) is taken for one, and
  marked when sots next writes into it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sots.atomic import write_atomic
from sots.errors import InputError
from sots.site import execcache

SITE_DEFAULT = "_build/site"  # under the project, as `sots build --out` has it by default
PROJECT_FOLDERS = ("tests", "sources", "notebooks", "book", "src")  # the project's own, besides data/
MARKER_TEXT = "This folder is {what}, made by sots, which replaces what it holds: nothing else belongs here.\n"


@dataclass(frozen=True)
class Kind:
    """A folder sots makes: what it is for (as the command line names it), the file that marks it, where it goes by
    default (under the project) and which entries sots writes in it (``made``: an entry's path -> whether it is one,
    to recognise a folder made before the markers existed)."""

    what: str
    marker: str
    default: str
    made: Callable[[Path], bool]
    needed: str  # the entry a folder made before the markers must hold to be taken for one (it names no user's file)


VEGA = "vega"  # the cache's folder of vega bundles, written by every build that uses the cache


def _cache_entry(path: Path) -> bool:
    # An entry's folder is named by its key's sha256; books/ and vega/ hold whole books' HTML and the vega bundle; a
    # killed build may leave a scratch folder (.new-, .gone-).
    return path.is_dir() and (re.fullmatch(r"[0-9a-f]{64}", path.name) is not None or
                              path.name in (execcache.BOOKS, VEGA) or path.name.startswith((".new-", ".gone-")))


CACHE = Kind("the execution cache (--cache)", ".sots-cache", execcache.FOLDER, _cache_entry, VEGA)
# The site's kind is sots.site.publish.SITE: what a site holds is publishing's to say.


def _within(inner: Path, outer: Path) -> bool:
    """``inner`` is ``outer`` or a folder under it (both resolved)."""
    return inner == outer or outer in inner.parents


def tracked_files(folder: Path) -> list[str]:
    """The files under ``folder`` that git tracks (paths relative to it), if it is in a git checkout; else none.

    Asked of git itself (``git ls-files``), so any checkout counts: the project's, or another one the folder is in.
    """
    if not folder.is_dir():
        return []
    try:
        done = subprocess.run(["git", "-C", str(folder), "ls-files", "-z"], capture_output=True, text=True)
    except OSError:  # no git: the named project folders are still refused
        return []
    return [name for name in done.stdout.split("\0") if name] if done.returncode == 0 else []


def not_made(folder: Path, kind: Kind) -> str | None:
    """What shows that sots did not make ``folder`` as a ``kind`` ("holds 'notes.txt', which sots did not write"), or
    None if it did: a folder that does not exist, is empty, holds the kind's marker, or (made before the markers)
    holds only what sots writes in it, with the entry it always writes (``kind.needed``)."""
    if not folder.is_dir() or (folder / kind.marker).is_file():
        return None
    entries = sorted(folder.iterdir())
    foreign = [p.name for p in entries if not kind.made(p)]
    if foreign:
        return f"holds '{foreign[0]}', which sots did not write"
    if entries and not (folder / kind.needed).exists():
        return f"holds no {kind.needed}"  # what sots writes there, but not what it always writes: too little to tell
    return None


def check_outputs(site: Path, site_kind: Kind, cache: Path | None, root: Path, data_dir: Path) -> None:
    """InputError, in one line, if sots must not write the site (a ``site_kind``) or the cache (None: no cache) where
    they are (all paths resolved): where each is first (:func:`check_place`), then that they are apart
    (:func:`check_apart`), then what each holds (:func:`check_made`). Nothing is written."""
    chosen = [(site, site_kind), *([(cache, CACHE)] if cache else [])]
    for folder, kind in chosen:
        check_place(folder, kind, root, data_dir)
    if cache:
        check_apart(site, cache, root)
    for folder, kind in chosen:
        check_made(folder, kind)


def check_place(folder: Path, kind: Kind, root: Path, data_dir: Path) -> None:
    """InputError, in one line, if ``folder`` (resolved) is the project, a folder that holds it, one of its own, a
    file, or a folder holding tracked files (see the module's docstring)."""
    def refuse(reason: str) -> None:
        raise InputError(f"{folder}: {reason}; expected a folder of its own for {kind.what}, e.g. "
                         f"{root / kind.default}")

    if folder == root:
        refuse("is the project folder")
    if _within(root, folder):
        refuse(f"holds the project folder {root}")
    protected = {"the prepared tables' folder (--data)": data_dir,
                 **{f"the project's {name}/ folder": root / name for name in PROJECT_FOLDERS}}
    for what, path in protected.items():
        if _within(folder, path):
            refuse(f"is {what}" if folder == path else f"is inside {what} {path}")
        if _within(path, folder):
            refuse(f"holds {what} {path}")
    if folder.exists() and not folder.is_dir():
        refuse("is a file")
    tracked = tracked_files(folder)
    if tracked:
        refuse(f"holds files git tracks ({tracked[0]}{f' and {len(tracked) - 1} more' if len(tracked) > 1 else ''})")


def check_made(folder: Path, kind: Kind) -> None:
    """InputError, in one line, if ``folder`` is not empty and sots did not make it as a ``kind`` (:func:`not_made`)."""
    why = not_made(folder, kind)
    if why is not None:
        raise InputError(f"{folder}: {why}, and no {kind.marker} marker; expected a new or empty folder, or one sots "
                         f"made, for {kind.what}")


def check_apart(site: Path, cache: Path, root: Path) -> None:
    """InputError, in one line, if the site and the cache (both resolved) are one folder or one holds the other:
    publishing would replace the cache's entries, or the cache would be published."""
    if not (_within(site, cache) or _within(cache, site)):
        return
    inner = cache if _within(cache, site) else site
    how = ("given as both the site (--out) and the execution cache (--cache)" if site == cache else
           f"the execution cache (--cache) is inside the site {site} (--out)" if inner == cache else
           f"the site (--out) is inside the execution cache {cache} (--cache)")
    raise InputError(f"{inner}: {how}; expected a folder of its own for each, e.g. {root / SITE_DEFAULT} and "
                     f"{root / CACHE.default}")


def mark(folder: Path, kind: Kind) -> None:
    """Make ``folder`` if need be and mark it as a ``kind`` sots made (once; the marker's text never changes, so two
    sites built alike are byte-identical)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / kind.marker).is_file():
        write_atomic(folder / kind.marker, MARKER_TEXT.format(what=kind.what))
