"""The execution cache: a chapter's outputs, kept under ``_build/cache`` and found again by what they were made from.

A chapter's outputs (the executed notebook, its results fragment, its charts' data) are a function of:

- its **base key** (:func:`base_key`): the notebook's bytes, the parameters it runs with, the code (the package's
  source, the pinned requirements, the Python version: :func:`code_digest`) and any other input the build knows
  before it runs (the claims register, the other chapters' results for a page that reads them);
- its **reads**: what it actually read while it ran, which only the run itself can tell. The chapter context records
  them (:meth:`sots.chapter.Chapter.table`) in a small JSON file: each table's rows (the sha256 of the rows of the
  edition's window, :mod:`sots.slices`) and their sources, and each chapter title the claims page quotes.

An entry lives at ``<cache>/<base key>/<digest of its reads>/``. To look a chapter up, the build takes each entry
under its base key, recomputes the values its reads name on the current inputs (:func:`current_reads`) and uses the
entry whose digest they reproduce. So a prose-only change finds every chapter, and a changed table misses only the
chapters that read it. Entries are written whole into a scratch folder, then renamed into place, so a killed build
leaves no half entry, and two builds writing the same entry both leave a good one. Deleting the cache is always safe.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import sots
from sots import claims, data, slices
from sots.atomic import write_atomic

FOLDER = "_build/cache"  # under the project, beside the site
READS_FILE = "reads.json"
LABEL_FILE = "chapter.txt"  # which chapter of which book made the entry, for people (and tests) reading the cache
OUTPUTS = ("notebook.ipynb", "fragment.json", "chart-data", "script.py")  # what a chapter writes, as an entry stores it


def digest(value: object) -> str:
    """``sha256:<hex>`` of ``value`` as canonical JSON (sorted keys)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


@cache
def code_digest(root: Path) -> str:
    """sha256 of the code every chapter runs: the package's files, ``root``'s requirements.txt and the Python version.

    The package is hashed as installed (its source files, not its caches), so an edit to any module re-executes
    every chapter: the cache cannot know which chapter imports which function, and must not guess.
    """
    package = Path(sots.__file__).parent
    h = hashlib.sha256(sys.version.encode())
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    pins = root / "requirements.txt"
    h.update(pins.read_bytes() if pins.is_file() else b"")
    return f"sha256:{h.hexdigest()}"


def base_key(notebook: Path, parameters: Mapping[str, object], code: str, extra: Mapping[str, str]) -> str:
    """The hex key of a chapter's run before it reads anything: its notebook's bytes, its ``parameters`` (as
    injected), the ``code`` (:func:`code_digest`) and ``extra`` inputs the build knows beforehand (name -> sha256)."""
    made = {"notebook": data.sha256(notebook), "parameters": dict(parameters), "code": code, "extra": dict(extra)}
    return digest(made).removeprefix("sha256:")


# --- What a chapter read --------------------------------------------------------------------------------------------

def table_read(piece: slices.Slice, sources: list[dict]) -> dict[str, str]:
    """What reading one table gave a chapter: the sha256 of its rows and of the source entries cited for them (of the
    table's ``sources``, those whose years meet the rows read: a publication added for another year changes
    nothing)."""
    return {"rows": piece.sha256, "sources": digest(slices.cited(sources, piece.rows))}


def title_read(title: str) -> str:
    """What reading a chapter's title gave (the claims page quotes titles, not pages): the title's sha256."""
    return digest(title)


def current_reads(reads: Mapping[str, Mapping], data_dir: Path, inputs: Mapping[str, str], stage: Path) -> dict:
    """The values the ``reads`` of an entry name, recomputed on the current inputs: the tables in ``data_dir`` for an
    edition with these ``inputs`` (field -> data year), the chapter titles in the staged book ``stage``."""
    sources = data.table_sources(data_dir)
    tables = {}
    for name in reads.get("tables", {}):
        if name not in sources:  # a table no longer prepared: the entry cannot match
            return {}
        tables[name] = table_read(_slice(name, data_dir, inputs, sources), sources[name])
    titles = {chapter: title_read(claims.chapter_title(stage, chapter)) for chapter in reads.get("titles", {})}
    return {"tables": tables, "titles": titles}


def _slice(name: str, data_dir: Path, inputs: Mapping[str, str], sources: dict) -> slices.Slice:
    # One build looks up every chapter of every book: each (table, window) is read and hashed once.
    return _slice_cached(name, Path(data_dir), tuple(sorted(inputs.items())), data.table_hashes(data_dir)[name],
                         json.dumps(sources, sort_keys=True))


@cache
def _slice_cached(name: str, data_dir: Path, inputs: tuple, file_sha: str, sources_json: str) -> slices.Slice:
    return slices.read(name, data_dir, dict(inputs), json.loads(sources_json))


# --- Entries -------------------------------------------------------------------------------------------------------

def lookup(cache_dir: Path, key: str, current: Callable[[dict], dict]) -> Path | None:
    """The entry under base ``key`` whose reads, recomputed by ``current`` (reads -> values now), are what it read;
    None if there is none."""
    folder = cache_dir / key
    if not folder.is_dir():
        return None
    for entry in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            reads = json.loads((entry / READS_FILE).read_text())
        except (OSError, ValueError):
            continue  # unreadable: never used, and harmless to leave
        if digest(current(reads)).removeprefix("sha256:") == entry.name:
            return entry
    return None


def store(cache_dir: Path, key: str, reads: dict, outputs: Mapping[str, Path], label: str = "") -> Path:
    """Keep a chapter's ``outputs`` (name in :data:`OUTPUTS` -> file or folder; missing ones are skipped) under base
    ``key`` and the digest of its ``reads``; return the entry. An entry already there is left as it is (same key,
    same content)."""
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

    _write_whole(entry, fill)
    return entry


def _write_whole(target: Path, fill: Callable[[Path], None]) -> None:
    """Make the folder ``target`` with ``fill`` (given a path that does not exist yet) in a scratch folder beside it,
    then rename it into place, so no reader ever sees part of it. A target already there is left as it is: the cache
    is content-addressed, so another build wrote the same thing."""
    if target.is_dir():
        return
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
# staged folder.

BOOKS = "books"


def folder_digest(folder: Path, skip: str = "_build") -> str:
    """The hex sha256 of every file under ``folder`` (paths and bytes), except those under the folder ``skip``."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and skip not in p.relative_to(folder).parts):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + data.sha256(path).encode() + b"\0")
    return h.hexdigest()


def fetch_book(cache_dir: Path, key: str, html: Path) -> bool:
    """Copy the HTML kept under ``key`` to ``html``; False if there is none."""
    kept = cache_dir / BOOKS / key
    if not kept.is_dir():
        return False
    shutil.copytree(kept, html)
    return True


def keep_book(cache_dir: Path, key: str, html: Path) -> None:
    """Keep a built book's HTML under ``key`` (written whole, then renamed into place)."""
    _write_whole(cache_dir / BOOKS / key, lambda folder: shutil.copytree(html, folder))


# --- The vega bundle -----------------------------------------------------------------------------------------------

def vega_bundle(cache_dir: Path | None) -> str:
    """The book's offline vega script (:func:`sots.charts.offline_bundle`), kept in the cache by the versions it is
    made from (vl-convert's and Altair's Vega-Lite): making it takes about 3 s, longer than a rebuild with nothing
    changed takes otherwise."""
    import altair as alt
    import vl_convert

    from sots import charts

    if cache_dir is None:
        return charts.offline_bundle()
    path = cache_dir / "vega" / f"vl-convert-{vl_convert.__version__}-vega-lite-{alt.VEGALITE_VERSION}.js"
    if path.is_file():
        return path.read_text()
    text = charts.offline_bundle()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return text
