"""The build key, and the stamp that says a site holds what a build with that key publishes: a rebuild with nothing
changed publishes nothing.

The **key** (:func:`build_key`) is the sha256 of everything a build reads (:func:`key_inputs`): the options that
change what it publishes (:class:`Options`), the code (:func:`hash_code`: the package's files, the pinned
requirements and the Python version, as the execution cache keys chapters on), the installed distributions' versions
(the vega bundle's, Jupyter Book's, ...), the release (version, commit, build time), the book's sources
(:func:`source_files`: ``_config.yml``, ``_toc.yml``, ``book/``, the registers, ``CITATION.cff`` and the notebooks
``_toc.yml`` lists, the list the manifest records) and every file of the data folder the build copies.

The **stamp** (:func:`stamp_path`, a file beside the site, like its lock, so the site's own bytes never depend on
it) is written by publishing, under the publish lock, once every file is in place (:func:`write_stamp`): the key,
and the sha256 of each file at the site's root and of each edition's ``manifest.json``. Publishing removes it first,
so a publish that is stopped leaves none. A build whose key is the stamp's, on a site that is as the stamp recorded
(:func:`why_stale`: every published file of the editions built as their manifests list them, the other editions'
manifests and results, the root's files and entries), publishes nothing and says so (:func:`unchanged`).

Only the standard library, yaml and light modules are imported here (no pandas, pandera, altair, papermill or
nbformat), so ``sots build`` knows in a fraction of a second that there is nothing to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import sots
from sots.atomic import write_atomic
from sots.hashing import digest, file_sha256
from sots.site import release
from sots.site.citation import CITATION_FILE
from sots.toc import TOC_FILE, notebooks_in_toc

FORMAT = 1  # of the key's inputs and of the stamp: a sots that records them otherwise never trusts an older stamp
PACKAGE = Path(sots.__file__).parent  # the package as imported: what every chapter runs
CONFIG_FILE = "_config.yml"
# The book's sources a build stages (besides the config it rewrites); notebooks read editions.yml and claims.yml from
# the staged copy. The manifest records their sha256 (:func:`sots.site.build.source_hashes`), and so does the key.
BOOK_SOURCES = (TOC_FILE, "book", "claims.yml", "editions.yml", CITATION_FILE)
MANIFEST_FILE = "manifest.json"  # an edition's record of what it publishes (:func:`sots.site.publish.manifest`)
RESULTS_FILE = "results.json"  # an edition's figures, which the site's changes page reads
STAGING_PREFIX = ".sots-staging-"  # a build's scratch folder, beside the site (:mod:`sots.site.build`)


@dataclass(frozen=True)
class Options:
    """The options of ``sots build`` that change what it publishes, as given (a code or a name of an ICB is not
    resolved: two spellings of one ICB are two keys, which costs a build, never a wrong skip). ``-j``, ``--dask`` and
    the cache change no byte of the site (the tests compare), so they are not here."""

    editions: tuple[str, ...] = ()
    all_editions: bool = False
    icb: str = ""
    also_icbs: tuple[str, ...] = ()
    all_icbs: bool = False
    overrides: dict[str, str] = field(default_factory=dict)
    pdf: bool = True

    @classmethod
    def given(cls, edition_ids: Sequence[str], all_editions: bool, icb: str, also_icbs: Sequence[str], all_icbs: bool,
              overrides: Mapping[str, str] | None, pdf: bool) -> Options:
        """The options of one ``sots build``, from its arguments as :func:`sots.site.build.build` takes them."""
        return cls(tuple(edition_ids), all_editions, icb, tuple(also_icbs), all_icbs, dict(overrides or {}), pdf)

    def canonical(self) -> dict:
        """The options as the key records them: lists sorted and each name once, as the build reads them."""
        fields = asdict(self)
        fields["editions"], fields["also_icbs"] = sorted(set(self.editions)), sorted(set(self.also_icbs))
        fields["overrides"] = dict(sorted(self.overrides.items()))
        return fields


@cache
def code_digest(root: Path, package: Path = PACKAGE) -> str:
    """:func:`hash_code`, read once per process: every chapter and book of a run is keyed on the same code."""
    return hash_code(root, package)


def hash_code(root: Path, package: Path = PACKAGE) -> str:
    """sha256 of the code every chapter runs: the package's files, ``root``'s requirements.txt and the Python version.

    The package is hashed as installed (its source files, templates and static files, not its caches), so an edit to
    any module re-executes every chapter: the cache cannot know which chapter imports which function, and must not
    guess. Read afresh each call: the build key reads it at the start of a build and again before it stamps the site.
    """
    h = hashlib.sha256(sys.version.encode())
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    pins = root / "requirements.txt"
    h.update(pins.read_bytes() if pins.is_file() else b"")
    return f"sha256:{h.hexdigest()}"


def installed_versions(paths: Sequence[str] | None = None) -> list[str]:
    """Every distribution installed on ``paths`` (default ``sys.path``), as the names of their ``.dist-info`` (or
    ``.egg-info``) folders, which carry name and version (``altair-5.5.0.dist-info``): sorted.

    Read from folder names, not from each one's metadata, which takes 0.2 s to parse.
    """
    found = set()
    for entry in sys.path if paths is None else paths:
        try:
            with os.scandir(entry or ".") as listing:
                found |= {item.name for item in listing if item.name.endswith((".dist-info", ".egg-info"))}
        except OSError:  # a zip file or a folder that is not there
            continue
    return sorted(found)


def toc_notebooks(root: Path) -> list[Path]:
    """The notebooks ``root/_toc.yml`` lists, in order; ValueError (or yaml's error) if it cannot be read as one,
    which the full build then names."""
    import yaml

    toc = yaml.safe_load((root / TOC_FILE).read_text(encoding="utf-8"))
    if not isinstance(toc, dict):
        raise ValueError(f"{root / TOC_FILE}: not a table of contents")
    return [root / f"{name}.ipynb" for name in notebooks_in_toc(toc)]


def source_files(root: Path, notebooks: Sequence[Path]) -> list[Path]:
    """The book's own sources a build reads (config, table of contents, prose pages, registers, notebooks), sorted,
    files only: what the manifest records (:func:`sots.site.build.source_hashes`) and the key hashes."""
    paths = [root / CONFIG_FILE, *(p for name in BOOK_SOURCES for p in
                                   ([root / name] if (root / name).is_file() else sorted((root / name).rglob("*"))))]
    return [p for p in sorted({*paths, *notebooks}) if p.is_file()]


def data_files(data_dir: Path) -> dict[str, str]:
    """Every file the build copies from the data folder (relative POSIX path -> sha256), and the name of each hidden
    entry at its top, which the build does not copy: a ``sots prepare`` stopped part way leaves one, which the build
    undoes first."""
    found = {".hidden": sorted(p.name for p in data_dir.iterdir() if p.name.startswith("."))}
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found[relative.as_posix()] = file_sha256(path)
    return found


def key_inputs(root: Path, data_dir: Path, options: Options) -> dict:
    """Everything a build of the project at ``root`` from ``data_dir`` with ``options`` reads, each as a value or a
    sha256 (see the module's docstring). Raises what reading them raises (a bad ``_toc.yml``, a bad
    ``SOURCE_DATE_EPOCH``): the full build then says what is wrong."""
    notebooks = toc_notebooks(root)
    missing = [p for p in notebooks if not p.is_file()]
    if missing:
        raise FileNotFoundError(missing[0])
    return {
        "format": FORMAT,
        "options": options.canonical(),
        "code": hash_code(root),
        "installed": installed_versions(),
        "release": asdict(release.current(root)),
        "sources": {p.relative_to(root).as_posix(): file_sha256(p) for p in source_files(root, notebooks)},
        "data": data_files(data_dir),
    }


def build_key(root: Path, data_dir: Path, options: Options) -> str:
    """The hex sha256 of :func:`key_inputs`."""
    return digest(key_inputs(root, data_dir, options))


def key_or_none(root: Path, data_dir: Path, options: Options) -> str | None:
    """:func:`build_key`, or None if an input cannot be read as the key reads it (a bad ``_toc.yml``, a notebook it
    lists missing, a bad ``SOURCE_DATE_EPOCH``): the full build then refuses it in a line of its own."""
    try:
        return build_key(root, data_dir, options)
    except Exception:  # any failure costs the fast path only: with no key, the build builds and stamps nothing
        return None


# --- The stamp -------------------------------------------------------------------------------------------------------

def stamp_path(out: Path) -> Path:
    """Where the stamp of the site ``out`` is kept: beside it, as ``.<name>.stamp.json`` (beside its lock)."""
    return out.parent / f".{out.name}.stamp.json"


def site_record(out: Path, built: Sequence[str]) -> dict:
    """What the stamp records of the site ``out`` as it is: every entry at its root, each file's sha256 there, each
    edition's ``manifest.json`` sha256, and which editions the build published (``built``)."""
    entries = sorted(p.name for p in out.iterdir())
    return {
        "entries": entries,
        "files": {name: file_sha256(out / name) for name in entries if (out / name).is_file()},
        "manifests": {name: file_sha256(out / name / MANIFEST_FILE) for name in entries
                      if (out / name / MANIFEST_FILE).is_file()},
        "built": sorted(built),
    }


def write_stamp(out: Path, key: str, built: Sequence[str]) -> None:
    """Record that the site ``out``, as it is now, is what a build with ``key`` published (the editions ``built``).
    Publishing calls it under its lock, once every file is in place."""
    write_atomic(stamp_path(out), json.dumps({"format": FORMAT, "key": key, "site": site_record(out, built)},
                                             indent=1, sort_keys=True) + "\n")


def remove_stamp(out: Path) -> None:
    """Forget the site's stamp: publishing calls it, under its lock, before it changes anything."""
    stamp_path(out).unlink(missing_ok=True)


def read_stamp(out: Path) -> dict:
    """The stamp of the site ``out``, as :func:`write_stamp` wrote it; OSError or ValueError if there is none or it is
    not JSON."""
    return json.loads(stamp_path(out).read_text(encoding="utf-8"))


def _manifest_differences(folder: Path, listed: dict[str, str], every_file: bool) -> str | None:
    """The first file of the edition ``folder`` that is not as its manifest lists it (``listed``: path -> sha256):
    every file if ``every_file``, else only its results.json, which other builds read; None if none."""
    if not every_file:
        name = RESULTS_FILE
        path = folder / name
        return None if path.is_file() and f"sha256:{file_sha256(path)}" == listed.get(name) else f"{path} changed"
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    found.discard(MANIFEST_FILE)
    for name in sorted(found | listed.keys()):
        path = folder / name
        if name not in found:
            return f"{path} is missing"
        if name not in listed:
            return f"{path} is not in its {MANIFEST_FILE}"
        if path.is_symlink() or f"sha256:{file_sha256(path)}" != listed[name]:
            return f"{path} differs from its {MANIFEST_FILE}"
    return None


def why_stale(out: Path, key: str) -> str | None:
    """Why the site ``out`` may not hold what a build with ``key`` publishes, in a few words; None if it does: the
    stamp records ``key``, the site's root holds the same entries and files, every edition's manifest is the one
    recorded, every file of each edition the build published is as its manifest lists it, and the results.json of
    each other edition (which the site's changes page reads) too."""
    try:
        stamp = read_stamp(out)
        recorded = stamp["site"]
        if stamp.get("format") != FORMAT or stamp.get("key") != key:
            return "its inputs changed since it was published"
        if sorted(p.name for p in out.iterdir()) != recorded["entries"]:
            return f"{out} holds other entries than when it was published"
        for name, sha in recorded["files"].items():
            if file_sha256(out / name) != sha:
                return f"{out / name} changed"
        for name, sha in recorded["manifests"].items():
            manifest = out / name / MANIFEST_FILE
            if file_sha256(manifest) != sha:
                return f"{manifest} changed"
            listed = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
            reason = _manifest_differences(out / name, listed, name in recorded["built"])
            if reason is not None:
                return reason
        if not set(recorded["built"]) <= recorded["manifests"].keys():
            return "an edition it built is not there"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # no stamp, or one damaged: never trusted
        return "it has no readable stamp"
    return None


def summary(executed: int, cached: int, kernels: int, books_built: int, books_cached: int, seconds: float) -> str:
    """The build's last line, which people and the benchmark (``benchmarks/build_bench.py``) read."""
    return (f"run: {executed} chapters executed, {cached} from the cache, {kernels} kernels started, {books_built} "
            f"books built, {books_cached} from the cache, in {seconds:.1f} s")


def unchanged(out: Path, key: str | None, log: Callable[[str], None], started: float | None = None) -> bool:
    """If the site ``out`` holds what a build with ``key`` (:func:`key_or_none`) publishes (:func:`why_stale`), say so
    in one line and the run's summary line through ``log`` and return True; else False, having said nothing, for the
    full build to run. ``started`` is the run's start (``time.perf_counter()``), for the summary's seconds."""
    started = time.perf_counter() if started is None else started
    if key is None or not stamp_path(out).is_file():
        return False
    if any(p.name.startswith(STAGING_PREFIX) for p in out.parent.iterdir()):
        return False  # a build running, or one killed whose staging the full build removes (and says so)
    if why_stale(out, key) is not None:
        return False
    short = key.removeprefix("sha256:")[:12]
    log(f"nothing to publish: {out} already holds what these inputs and options build (key {short})")
    log(summary(0, 0, 0, 0, 0, time.perf_counter() - started))
    return True
