"""Publish built editions into the site all at once, and record what each one publishes.

Only when every chosen edition has been built (:mod:`sots.site.build`) are they published, under a lock so that two
builds at once cannot interleave: each staged edition is renamed into ``<out>/<edition>/``, then the site's
``switcher.json`` (the editions published, the current one marked preferred), ``index.html`` (a redirect to the
current edition) and ``changes.html`` (:mod:`sots.site.changes`: every edition's
headline figures side by side, and why each moved) are replaced, each by one rename. The changes page is made from
every edition's results.json, read back and checked before anything is renamed, so a damaged one stops publishing. A
failure before that leaves the published site exactly as it was.

The version switcher on every page (pydata-sphinx-theme's) and the banner on archived editions read the site's one
``switcher.json`` when a page is opened, by a URL relative to the edition, so publishing a new edition updates every
older edition's switcher and banner without rebuilding it, and the site works from any sub-path.

Each edition's ``manifest.json`` records the sha256 of every file it publishes, so a published edition can be
checked against it (:func:`verify_manifest`).

Only a folder sots made is published into (:data:`SITE`, :mod:`sots.site.folders`): a new or empty one, or one holding
the marker ``.sots-site``, written by the first publish. A site built before the marker existed is recognised by what it
holds (switcher.json, the front pages, edition folders each with its manifest.json) and marked when next published
into.
"""

from __future__ import annotations

import fcntl
import fnmatch
import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sots import hashing
from sots.analysis import claims
from sots.atomic import write_atomic
from sots.inputs import editions
from sots.inputs.editions import Edition
from sots.render import render
from sots.site import buildkey, changes, folders
from sots.site.release import Release

ICON = "favicon.svg"  # copied into _static by Sphinx from html_favicon
SWITCHER_FILE = "switcher.json"
RETIRED = ".{edition}.retired-"  # an edition being replaced, inside the site, for the moment of the swap
MANIFEST_FILE = buildkey.MANIFEST_FILE


def _site_entry(path: Path) -> bool:
    """An entry sots writes at a site's root: switcher.json, the front page and the changes page (and what a killed
    publish leaves of them: a temporary file, a retired edition), or an edition's folder, which holds its manifest."""
    pages = (SWITCHER_FILE, "index.html", changes.PAGE)
    if path.name in pages or path.name.startswith(tuple(f".{page}." for page in pages)):  # write_atomic's
        return path.is_file()
    retired = fnmatch.fnmatchcase(path.name, RETIRED.format(edition="*") + "*")  # as publish() finds them
    return path.is_dir() and (retired or (path / MANIFEST_FILE).is_file())


SITE = folders.Kind("the site (--out)", ".sots-site", folders.SITE_DEFAULT, _site_entry, SWITCHER_FILE)


def switcher_label(e: Edition, report_edition: str | None) -> str:
    """The switcher's name for an edition: its id and what it is, "2024-25 · latest data", "2023-24 · the report's
    year", so a reader choosing one knows which to open."""
    if e.is_current:
        what = "the report's year, latest data" if e.id == report_edition else "latest data"
    else:
        what = "the report's year" if e.id == report_edition else "an earlier year"
    return f"{e.id} · {what}"


def switcher_entries(register: Sequence[Edition], published: set[str], report_edition: str | None = None
                     ) -> list[dict]:
    """The switcher's list: each published edition, newest first, its URL relative to an edition's folder.

    The current edition is marked ``preferred`` (pydata-sphinx-theme's name); each is named by
    :func:`switcher_label` (``report_edition``: the edition the report's claims are graded on); ``status`` and
    ``title`` are read by the archived-edition banner. No entry names another host.
    """
    entries = []
    for e in sorted(register, key=lambda e: e.id, reverse=True):
        if e.id not in published:
            continue
        entry = {
            "name": switcher_label(e, report_edition),
            "version": e.id,
            "url": f"../{e.id}/",
            "status": e.status,
            "title": e.title,
        }
        if e.is_current:
            entry["preferred"] = True
        entries.append(entry)
    return entries


def index_target(register: Sequence[Edition], published: set[str]) -> str | None:
    """The edition the site's front page sends readers to: the current one, else the newest published, else None."""
    current = editions.current(tuple(register))
    if current.id in published:
        return current.id
    newest = sorted((e.id for e in register if e.id in published), reverse=True)
    return newest[0] if newest else None


def sha256_file(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes, as in the data package."""
    return f"sha256:{hashing.file_sha256(path)}"


def file_hashes(folder: Path, prefix: str = "", exclude: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every file under ``folder`` (POSIX path relative to it, with ``prefix``) -> its sha256, sorted by path."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative not in exclude:
            found[prefix + relative] = sha256_file(path)
    return found


def manifest(edition: Edition, focal, rel: Release, read: dict[str, dict], html_dir: Path, sources: dict[str, str],
             chapters: dict[str, dict] | None = None) -> dict:
    """What one edition was built from and what it publishes: edition, release, commit, build time, what the edition
    read of each input table (``read``, :func:`sots.inputs.slices.edition_inputs`: the sha256 of its rows and the years
    read, the same whatever other years ``data/`` holds, and for every ICB's book of the edition), the sha256 of the
    book's sources (``sources``: path -> sha256, as the commit may be dirty), each chapter's tables read with the sha256
    of their rows (``chapters``: notebook stem -> table -> sha256, as the chapter recorded them), and of every output
    file (paths relative to the edition), except the manifest itself."""
    return {
        "edition": edition.id,
        "title": edition.title,
        "data_years": dict(edition.inputs),
        "icb": {"code": focal.icb_code, "name": focal.icb_name},
        "version": rel.version,
        "commit": rel.commit,
        "build_time": rel.build_time,
        "build_time_source": rel.build_time_source,
        "inputs": read,
        "sources": sources,
        "chapters": chapters or {},
        "outputs": file_hashes(html_dir, exclude=frozenset({MANIFEST_FILE})),
    }


def verify_manifest(folder: Path) -> list[str]:
    """Check a published edition against its manifest; one line per missing, changed or unlisted file."""
    listed = json.loads((folder / MANIFEST_FILE).read_text())["outputs"]
    actual = file_hashes(folder, exclude=frozenset({MANIFEST_FILE}))
    problems = [f"{folder / p}: missing" for p in sorted(set(listed) - set(actual))]
    problems += [f"{folder / p}: not in {MANIFEST_FILE}" for p in sorted(set(actual) - set(listed))]
    problems += [f"{folder / p}: sha256 differs from {MANIFEST_FILE}" for p in sorted(listed) if
                 p in actual and actual[p] != listed[p]]
    return problems


def redirect_page(target: str, icon: str) -> str:
    """A static page that sends the reader to ``target`` (a relative URL), with a link for those without refresh.

    It names the book's icon (``icon``, relative): without one, browsers ask for /favicon.ico, which is not there.
    """
    return render("redirect.html", target=target, icon=icon)


@contextmanager
def publish_lock(out: Path) -> Iterator[None]:
    """Hold the site's publish lock: a file beside ``out`` (not in it, so it is never published), locked with flock.

    The lock is released when the process ends, however it ends, so a killed build never leaves it held.
    """
    lock_path = out.parent / f".{out.name}.lock"
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_in(html_dir: Path, out: Path, edition_id: str) -> Path:
    """Rename ``html_dir`` to ``out/<edition_id>``; the edition it replaces is renamed aside, then removed."""
    target = out / edition_id
    retired = Path(tempfile.mkdtemp(prefix=RETIRED.format(edition=edition_id), dir=out))
    retired.rmdir()  # a unique name, free for the rename
    if target.exists():
        target.rename(retired)
    try:
        html_dir.rename(target)
    except OSError:
        if retired.exists():
            retired.rename(target)  # put the published edition back
        raise
    shutil.rmtree(retired, ignore_errors=True)
    return target


def publish(staged: dict[str, Path], out: Path, register: Sequence[Edition], key: str | None = None) -> list[Path]:
    """Swap each staged edition (id -> HTML folder) into ``out/<id>``, then rewrite the switcher and the front page.

    Runs under :func:`publish_lock`, so concurrent builds publish one after the other, each seeing the other's
    editions when it writes ``switcher.json``, ``index.html`` and ``changes.html``. The changes page is made before
    any edition is swapped in, from the staged editions and the published ones, so a damaged results.json or manifest
    stops publishing with the site as it was. InputError if ``out`` is a folder sots did not make (:data:`SITE`).

    The site's stamp (:mod:`sots.site.buildkey`) is removed before anything changes and, given the build's ``key``,
    written again once every file is in place, so a later build with the same key can tell nothing changed.
    """
    out.mkdir(parents=True, exist_ok=True)
    with publish_lock(out):
        folders.check_made(out, SITE)  # `sots build` checked it before any work; this is for every other caller
        # An edition retired by a publish that was killed before it removed it; under the lock none is in use.
        for left in out.glob(RETIRED.format(edition="*") + "*"):
            shutil.rmtree(left, ignore_errors=True)
        changes_page = changes.site_page(out, register, staged, ICON)  # None only for a site with no edition
        folders.mark(out, SITE)  # from now on, this folder is a site sots made
        buildkey.remove_stamp(out)  # a publish stopped from here on leaves no stamp: the next build builds
        published = [_swap_in(html_dir, out, edition_id) for edition_id, html_dir in staged.items()]
        ids = {e.id for e in register}
        present = {p.name for p in out.iterdir() if p.is_dir() and p.name in ids}
        switcher = json.dumps(switcher_entries(register, present, claims.report()["edition"]), indent=2,
                              ensure_ascii=False) + "\n"
        write_atomic(out / SWITCHER_FILE, switcher)
        target = index_target(register, present)
        if target:
            write_atomic(out / "index.html", redirect_page(f"{target}/index.html", f"{target}/_static/{ICON}"))
        if changes_page is not None:
            write_atomic(out / changes.PAGE, changes_page)
        if key is not None:
            buildkey.write_stamp(out, key, list(staged))
    return published
