"""The execution cache: a chapter's outputs, kept under ``_build/cache`` and found again by what they were made from.

A chapter's outputs (the executed notebook, its results fragment, its charts' data) are a function of:

- its **base key** (:func:`base_key`): the notebook's bytes, the parameters it runs with, the code (the package's
  source, the pinned requirements, the Python version: :func:`sots.site.buildkey.code_digest`) and any other input
  the build knows before it runs (the claims register, the other chapters' results for a page that reads them);
- its **reads**: what it actually read while it ran, which only the run itself can tell. The chapter context records
  them (:meth:`sots.chapters.context.Chapter.table`) in a small JSON file: each table's rows (the sha256 of the rows of
  the edition's window, :mod:`sots.inputs.slices`) and their sources, and each chapter title the claims page quotes.

An entry lives at ``<cache>/<base key>/<digest of its reads>/``. To look a chapter up, the build takes each entry
under its base key, recomputes the values its reads name on the current inputs (:func:`current_reads`) and uses the
entry whose digest they reproduce. So a prose-only change finds every chapter, and a changed table misses only the
chapters that read it. Entries are written whole into a scratch folder, then renamed into place, so a killed build
leaves no half entry, and two builds writing the same entry both leave a good one. Deleting the cache is always safe.

The cache is not trusted as it lies on disk: an entry holds the sha256 of each of its files (:data:`SUMS`, in the
format of ``sha256sum``, written last, before the rename), and an entry is checked against it just before it is used
(only that entry: a lookup reads no other entry's files). One changed, cut, missing or added file, or a missing or
unreadable list, and the entry is removed with one warning line, and its work is done again, so a build publishes what
it would have without the cache. The vega bundle, a single file, carries its sha256 in its name.

The cache keeps whole books too (their HTML, by their staged sources), printed PDFs (by the page and what it loads)
and each book's last contents page numbers, a guess that is checked before it is used: see their sections below.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

from sots.atomic import write_atomic
from sots.chapters import statuses
from sots.chapters.reads import table_read, title_read
from sots.errors import BuildError
from sots.hashing import digest, file_sha256
from sots.inputs import data, slices

FOLDER = "_build/cache"  # under the project, beside the site
READS_FILE = "reads.json"
LABEL_FILE = "chapter.txt"  # which chapter of which book made the entry, for people (and tests) reading the cache
OUTPUTS = ("notebook.ipynb", "fragment.json", "chart-data", "script.py")  # what a chapter writes, as an entry stores it
SUMS = "SHA256SUMS"  # in each entry: ``<hex>  <path>`` for each of its other files, as ``sha256sum -c`` checks
_SUM_LINE = re.compile(r"([0-9a-f]{64})  (.+)")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def base_key(notebook: Path, parameters: Mapping[str, object], code: str, extra: Mapping[str, str]) -> str:
    """The hex key of a chapter's run before it reads anything: its notebook's bytes, its ``parameters`` (as
    injected), the ``code`` (:func:`sots.site.buildkey.code_digest`) and ``extra`` inputs the build knows beforehand
    (name -> sha256)."""
    made = {"notebook": file_sha256(notebook), "parameters": dict(parameters), "code": code,
            "extra": dict(extra)}
    return digest(made).removeprefix("sha256:")


# --- What a chapter read --------------------------------------------------------------------------------------------

def current_reads(reads: Mapping[str, Mapping], data_dir: Path, inputs: Mapping[str, str], stage: Path) -> dict:
    """The values the ``reads`` of an entry name, recomputed on the current inputs: the tables in ``data_dir`` for an
    edition with these ``inputs`` (field -> data year), the chapter titles in the staged book ``stage``."""
    sources = data.table_sources(data_dir)
    tables = {}
    for name in reads.get("tables", {}):
        if name not in sources:  # a table no longer prepared: the entry cannot match
            return {}
        tables[name] = _table_read(name, data_dir, inputs, sources)
    titles = {chapter: title_read(statuses.chapter_title(stage, chapter)) for chapter in reads.get("titles", {})}
    return {"tables": tables, "titles": titles}


def _table_read(name: str, data_dir: Path, inputs: Mapping[str, str], sources: dict) -> dict[str, str]:
    # One build looks up every chapter of every book: each (table, window) is read and hashed once, and only its
    # digests are kept, not its rows (a whole projection is over 100 MB).
    return _table_read_cached(name, Path(data_dir), tuple(sorted(inputs.items())), data.table_hashes(data_dir)[name],
                              json.dumps(sources, sort_keys=True))


@cache
def _table_read_cached(name: str, data_dir: Path, inputs: tuple, file_sha: str, sources_json: str) -> dict[str, str]:
    sources = json.loads(sources_json)
    return table_read(slices.read(name, data_dir, dict(inputs), sources), sources[name])


# --- Checking entries ----------------------------------------------------------------------------------------------

def seal(folder: Path) -> None:
    """Write ``folder``'s :data:`SUMS`: the sha256 of each file under it, as it is now."""
    lines = [f"{file_sha256(folder / name)}  {name}\n" for name in _files(folder)]
    (folder / SUMS).write_text("".join(lines), encoding="utf-8")


def _files(folder: Path) -> list[str]:
    """Each file under ``folder`` (a link too, even to nothing) but its :data:`SUMS`: relative POSIX paths, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p != folder / SUMS)


def damage(entry: Path) -> str | None:
    """Why the folder ``entry`` is not as it was written: the first file, in path order, that is changed or cut,
    missing, or not listed in its :data:`SUMS`, or that list missing or unreadable; None if every file is as listed."""
    try:
        text = (entry / SUMS).read_text(encoding="utf-8")
    except FileNotFoundError:  # an entry of an earlier sots, too, which wrote none: never trusted
        return f"{SUMS} is missing"
    except (OSError, UnicodeDecodeError):
        return f"{SUMS} is unreadable"
    recorded = {}
    for line in text.splitlines():
        match = _SUM_LINE.fullmatch(line)
        if match is None:
            return f"{SUMS} is unreadable"
        recorded[match.group(2)] = match.group(1)
    found = set(_files(entry))
    for name in sorted(found | recorded.keys()):
        if name not in recorded:
            return f"{name} is not in its {SUMS}"
        if name not in found:
            return f"{name} is missing"
        try:
            same = file_sha256(entry / name) == recorded[name]
        except OSError:  # a link to nothing, a file this user cannot read
            same = False
        if not same:
            return f"{name} differs from its recorded sha256"
    return None


def discard(cache_dir: Path, entry: Path, reason: str, redo: str, warn: Callable[[str], None]) -> None:
    """Remove the damaged ``entry`` (a folder or a file of the cache folder ``cache_dir``) and say so in one line
    through ``warn``: the ``reason`` (:func:`damage`) and what the build does instead (``redo``)."""
    warn(f"warning: {entry}: cache entry damaged ({reason}); removed, {redo}")
    _remove(cache_dir, entry)


def _remove(cache_dir: Path, entry: Path) -> None:
    if not entry.parent.resolve().is_relative_to(cache_dir.resolve()):
        return  # not the cache's to remove: never delete what sots did not write
    if entry.is_symlink() or not entry.is_dir():
        entry.unlink(missing_ok=True)  # a link: the link, never what it points to
        return
    # Renamed out of the way in one step first, so no other build finds it half removed.
    gone = Path(tempfile.mkdtemp(prefix=".gone-", dir=entry.parent))
    try:
        entry.rename(gone / "entry")
    except FileNotFoundError:
        pass  # another build removed it first
    finally:
        shutil.rmtree(gone, ignore_errors=True)


# --- Entries -------------------------------------------------------------------------------------------------------

def lookup(cache_dir: Path, key: str, current: Callable[[dict], dict],
           warn: Callable[[str], None] = _stderr) -> Path | None:
    """The entry under base ``key`` whose reads, recomputed by ``current`` (reads -> values now), are what it read;
    None if there is none. That entry is checked (:func:`damage`) before it is given: a damaged one is removed, said
    through ``warn``, and None is given, so the chapter runs again."""
    folder = cache_dir / key
    if not folder.is_dir():
        return None
    for entry in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            reads = json.loads((entry / READS_FILE).read_text())
        except (OSError, ValueError):
            continue  # unreadable: never used, and replaced when its chapter is stored again
        if digest(current(reads)).removeprefix("sha256:") == entry.name:
            reason = damage(entry)
            if reason is None:
                return entry
            discard(cache_dir, entry, reason, "the chapter runs again", warn)
    return None


def store(cache_dir: Path, key: str, reads: dict, outputs: Mapping[str, Path], label: str = "") -> Path:
    """Keep a chapter's ``outputs`` (name in :data:`OUTPUTS` -> file or folder; missing ones are skipped) under base
    ``key`` and the digest of its ``reads``; return the entry. An entry already there is left as it is (same key,
    same content) unless it is damaged."""
    entry = cache_dir / key / digest(reads).removeprefix("sha256:")

    def fill(folder: Path) -> None:
        folder.mkdir()
        for name, path in outputs.items():
            if path.is_dir():
                shutil.copytree(path, folder / name)
            elif path.is_file():
                shutil.copy2(path, folder / name)
        (folder / LABEL_FILE).write_text(label + "\n")
        (folder / READS_FILE).write_text(json.dumps(reads, indent=1, sort_keys=True) + "\n")
        seal(folder)

    _write_whole(cache_dir, entry, fill)
    return entry


def _write_whole(cache_dir: Path, target: Path, fill: Callable[[Path], None]) -> None:
    """Make the folder ``target`` with ``fill`` (given a path that does not exist yet) in a scratch folder beside it,
    then rename it into place, so no reader ever sees part of it. A target already there is left as it is: the cache
    is content-addressed, so another build wrote the same thing; unless it is damaged (its reads unreadable, so no
    lookup found it), when it is replaced."""
    if target.is_dir():
        if damage(target) is None:
            return
        _remove(cache_dir, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".new-", dir=target.parent))
    try:
        fill(scratch / "whole")
        (scratch / "whole").rename(target)
    except OSError:
        if not target.is_dir():  # not lost to a build that wrote the same target first
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def restore(entry: Path, outputs: Mapping[str, Path]) -> None:
    """Copy an entry's outputs to where the chapter would have written them (name -> path)."""
    for name, path in outputs.items():
        kept = entry / name
        if kept.is_dir():
            shutil.copytree(kept, path, dirs_exist_ok=True)
        elif kept.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(kept, path)


# --- Whole books ---------------------------------------------------------------------------------------------------
# A book whose staged sources (config, prose, executed chapters, their charts' data) are byte for byte those of a book
# built before gives the same HTML, so the Jupyter Book build is skipped too: its HTML is kept by the digest of the
# staged folder, in ``books/<key>/html/``, beside the entry's :data:`SUMS`.

BOOKS = "books"
BOOK_HTML = "html"


def folder_digest(folder: Path, skip: str = "_build") -> str:
    """The hex sha256 of every file under ``folder`` (paths and bytes), except those under the folder ``skip``."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and skip not in p.relative_to(folder).parts):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + file_sha256(path).encode() + b"\0")
    return h.hexdigest()


def _sound(cache_dir: Path, kept: Path, redo: str, warn: Callable[[str], None]) -> bool:
    """Whether the folder entry ``kept`` is there and as it was written (:func:`damage`); a damaged one is removed,
    and said through ``warn`` with what the build does instead (``redo``)."""
    if not kept.is_dir():
        return False
    reason = damage(kept)
    if reason is not None:
        discard(cache_dir, kept, reason, redo, warn)
        return False
    return True


def fetch_book(cache_dir: Path, key: str, html: Path, warn: Callable[[str], None] = _stderr) -> bool:
    """Copy the HTML kept under ``key`` to ``html``; False if there is none, or if it is damaged (:func:`damage`):
    then it is removed, said through ``warn``, and the book is to be built again."""
    kept = cache_dir / BOOKS / key
    if not _sound(cache_dir, kept, "the book is built again", warn):
        return False
    shutil.copytree(kept / BOOK_HTML, html)
    return True


def keep_book(cache_dir: Path, key: str, html: Path) -> None:
    """Keep a built book's HTML under ``key`` (written whole, then renamed into place)."""

    def fill(folder: Path) -> None:
        shutil.copytree(html, folder / BOOK_HTML)
        seal(folder)

    _write_whole(cache_dir, cache_dir / BOOKS / key, fill)


# --- Printed PDFs ---------------------------------------------------------------------------------------------------
# Chromium's PDF of a page is a function of the page's HTML, the stylesheets and scripts beside it, the date it is
# given, Chromium's version and sots's printing code, which the caller digests into the key
# (:func:`sots.site.printbook.print_key`). A prose edit changes the book's print page but rarely its summary's, which is
# then not printed again. Kept as ``prints/<key>/printed.pdf`` beside the entry's :data:`SUMS`.
#
# A book's contents page numbers are kept too, as ``numbers/<key>.json`` by the book and its pages (not by their
# content): the next printing of the book guesses them, so a book whose pages start where they did is printed once, not
# twice. A guess is checked against the PDF it gives before that PDF is used, so a wrong one costs a printing, never
# a wrong number.

PRINTS = "prints"
PRINTED = "printed.pdf"
NUMBERS = "numbers"


def fetch_print(cache_dir: Path, key: str, warn: Callable[[str], None] = _stderr) -> bytes | None:
    """The PDF kept under ``key``; None if there is none, or if it is damaged (:func:`damage`): then it is removed,
    said through ``warn``, and the page is to be printed again."""
    kept = cache_dir / PRINTS / key
    return (kept / PRINTED).read_bytes() if _sound(cache_dir, kept, "the page is printed again", warn) else None


def keep_print(cache_dir: Path, key: str, pdf: Path) -> None:
    """Keep the printed ``pdf`` under ``key`` (written whole, then renamed into place)."""

    def fill(folder: Path) -> None:
        folder.mkdir()
        shutil.copy2(pdf, folder / PRINTED)
        seal(folder)

    _write_whole(cache_dir, cache_dir / PRINTS / key, fill)


def fetch_numbers(cache_dir: Path, key: str, slugs: list[str],
                  warn: Callable[[str], None] = _stderr) -> dict[str, int] | None:
    """The contents page numbers last kept under ``key`` (slug -> page, 1 for the cover); None if there are none. A
    file that does not give a page number of at least 1 for exactly ``slugs``, in order, is removed, said through
    ``warn``, and None is given: the book is then printed twice, to learn its numbers."""
    path = cache_dir / NUMBERS / f"{key}.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        found = None
    if (isinstance(found, dict) and list(found) == slugs
            and all(type(n) is int and n >= 1 for n in found.values())):
        return found
    discard(cache_dir, path, f"not a page number for each of the book's {len(slugs)} pages",
            "the book is printed twice", warn)
    return None


def keep_numbers(cache_dir: Path, key: str, numbers: Mapping[str, int]) -> None:
    """Keep a book's contents page ``numbers`` under ``key``, replacing what was kept: the next printing's guess."""
    (cache_dir / NUMBERS).mkdir(parents=True, exist_ok=True)
    write_atomic(cache_dir / NUMBERS / f"{key}.json", json.dumps(dict(numbers), indent=1) + "\n")


# --- The vega bundle -----------------------------------------------------------------------------------------------

@cache
def make_bundle() -> str:
    """:func:`sots.chapters.charts.offline_bundle`, made in a Python process of its own, once per process (a process
    that builds many times, such as the test suite's, would otherwise wait 2 s for it each time): the JavaScript
    runtime that vl-convert starts to make it holds about 125 MB of the process it runs in for the rest of that
    process's life, which for the build's own process is the whole build. A failure is a BuildError with the child's
    last line."""
    package = str(Path(__file__).resolve().parents[2])  # the folder this sots is imported from, for the child too
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", _MAKE_BUNDLE], capture_output=True, env=env, check=False)
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or [f"exit status {done.returncode}"]
        raise BuildError(f"making the offline vega bundle failed: {lines[-1]}")
    return done.stdout.decode("utf-8")


_MAKE_BUNDLE = "import sys; from sots.chapters import charts; sys.stdout.buffer.write(charts.offline_bundle().encode())"


def vega_bundle(cache_dir: Path | None, warn: Callable[[str], None] = _stderr) -> str:
    """The book's offline vega script (:func:`sots.chapters.charts.offline_bundle`), kept in the cache by the versions
    it is made from (vl-convert's, and Altair's, which sets the Vega-Lite version): making it takes about 3 s, longer
    than a rebuild with nothing changed takes otherwise.

    It is kept as ``vega/<versions>.<sha256 of its bytes>.js``; a kept file whose bytes are not those its name records
    (or whose name records none: an earlier sots's) is removed, said through ``warn``, and the bundle made again.
    The versions are the installed distributions' (their metadata): importing Altair to read its Vega-Lite version
    would take 30 MB and a fifth of a second of the build's own process, which charts nothing."""
    if cache_dir is None:
        return make_bundle()
    folder = cache_dir / "vega"
    versions = f"vl-convert-{metadata.version('vl-convert-python')}-altair-{metadata.version('altair')}"
    named = re.compile(re.escape(versions) + r"(?:\.([0-9a-f]{64}))?\.js")
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = named.fullmatch(path.name)
        if match is None:
            continue  # another version's, or a file being written (its name starts with a dot)
        if match.group(1) is None:
            reason = "its name records no sha256"
        else:
            try:
                kept = path.read_bytes()
            except OSError:
                kept = b""
            if hashlib.sha256(kept).hexdigest() == match.group(1):
                return kept.decode("utf-8")
            reason = "it differs from the sha256 its name records"
        discard(cache_dir, path, reason, "the bundle is made again", warn)
    text = make_bundle()
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / f"{versions}.{hashlib.sha256(text.encode()).hexdigest()}.js", text)
    return text
