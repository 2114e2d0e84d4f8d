"""Build editions of the book side by side, and publish them only if every step of every edition succeeds.

The flow (:func:`build`), for each edition chosen from ``editions.yml`` (:mod:`sots.editions`):

1. Copy the book sources (``_config.yml``, ``_toc.yml``, ``book/``) into a fresh staging folder beside the output,
   with this edition's title, switcher, footer and data years in the config and the vega bundle in ``_static/``.
2. Execute every notebook in ``_toc.yml`` with papermill (:mod:`sots.pipeline`), with the edition's parameters.
3. Build the Jupyter Book with execution off and warnings as errors (``-W -n --keep-going``).
4. Write ``results.json`` and then ``manifest.json`` (edition, release, commit, build time, sha256 of every input
   table and of every published file) beside the HTML.

Only when every chosen edition has got through step 4 are they published, under a lock so that two builds at once
cannot interleave: each staged edition is renamed into ``<out>/<edition>/``, then the site's ``switcher.json`` (the
editions published, the current one marked preferred) and ``index.html`` (a redirect to the current edition) are
replaced, each by one rename. Any failure before that leaves the published site exactly as it was; staging folders
are unique per build, so concurrent builds never share one.

The version switcher on every page (pydata-sphinx-theme's) and the banner on archived editions read the site's one
``switcher.json`` when a page is opened, by a URL relative to the edition, so publishing a new edition updates every
older edition's switcher and banner without rebuilding it, and the site works from any sub-path.
"""

from __future__ import annotations

import fcntl
import html
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import yaml

from sots import assumptions, charts, claims, data, editions, geography, release
from sots.atomic import remove_stale, scratch, write_atomic
from sots.data import project_root
from sots.editions import Edition
from sots.errors import BuildError, InputError, refuse
from sots.pipeline import Parameters, chapter_overrides, execute, notebooks_in_toc
from sots.release import Release
from sots.results import RESULTS_FILE, merge_fragments

BOOK_SOURCES = ("_toc.yml", "book", "claims.yml")  # notebooks read claims.yml from the staged copy
VEGA_BUNDLE = "vega-offline.js"
ICON = "favicon.svg"  # copied into _static by Sphinx from html_favicon
SWITCHER_FILE = "switcher.json"
STAGING_PREFIX = ".sots-staging-"  # a build's scratch folder, beside the site
RETIRED = ".{edition}.retired-"  # an edition being replaced, inside the site, for the moment of the swap
MANIFEST_FILE = "manifest.json"
CHART_DATA_FOLDER = "chart-data"  # under _static: each chart's rows as CSV, per notebook
# The switcher's address as each page's script sees it: relative to the edition's folder (pydata-sphinx-theme resolves
# a relative json_url against the page's documentation root), so the site can be served from any path.
SWITCHER_URL = f"../{SWITCHER_FILE}"
# Tables whose years editions.missing_data_years checks before a build starts.
YEAR_TABLES = sorted({name for names in editions.INPUT_TABLES.values() for name in names})


def footer_html(edition: Edition, rel: Release) -> str:
    """The footer line: the edition, the release version (calendar versioning) and the commit."""
    e, v, c = (html.escape(x) for x in (edition.id, rel.version, rel.short_commit))
    return (
        f'<p class="sots-release">Edition <strong>{e}</strong> · release <span class="sots-version">{v}</span>'
        f' · commit <code class="sots-commit">{c}</code></p>'
    )


def edition_config(root: Path, edition: Edition, icb_name: str, icb_short_name: str, rel: Release) -> dict:
    """The project's ``_config.yml`` with this edition's title, release, switcher, footer and prose values.

    ``myst_substitutions`` give the prose pages the edition's title, data years and the ICB's name as
    ``{{ allocation_year }}`` and so on, from editions.yml rather than typed by hand.
    """
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"] = f"{config['title']}: {icb_short_name}, {edition.id}"
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["release"] = sphinx["version"] = edition.id
    sphinx["myst_substitutions"] = {**edition.parameters(), "icb_name": icb_name}
    theme = sphinx.setdefault("html_theme_options", {})
    theme["switcher"] = {"json_url": SWITCHER_URL, "version_match": edition.id}
    theme["extra_footer"] = footer_html(edition, rel)
    return config


def switcher_entries(register: Sequence[Edition], published: set[str]) -> list[dict]:
    """The switcher's list: each published edition, newest first, its URL relative to an edition's folder.

    The current edition is marked ``preferred`` (pydata-sphinx-theme's name) and named "(current)"; ``status`` and
    ``title`` are read by the archived-edition banner. No entry names another host.
    """
    entries = []
    for e in sorted(register, key=lambda e: e.id, reverse=True):
        if e.id not in published:
            continue
        entry = {
            "name": f"{e.id} (current)" if e.is_current else e.id,
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
    return f"sha256:{data.sha256(path)}"


def file_hashes(folder: Path, prefix: str = "", exclude: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every file under ``folder`` (POSIX path relative to it, with ``prefix``) -> its sha256, sorted by path."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative not in exclude:
            found[prefix + relative] = sha256_file(path)
    return found


def source_hashes(root: Path, notebooks: Sequence[Path]) -> dict[str, str]:
    """The book's own sources a build reads (config, table of contents, prose pages, notebooks) -> sha256."""
    paths = [root / "_config.yml", *(p for name in BOOK_SOURCES for p in
                                     ([root / name] if (root / name).is_file() else sorted((root / name).rglob("*"))))]
    paths += list(notebooks)
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(set(paths)) if p.is_file()}


def manifest(edition: Edition, focal, rel: Release, inputs_dir: Path, html_dir: Path, sources: dict[str, str]) -> dict:
    """What one edition was built from and what it publishes: edition, release, commit, build time, and the sha256
    of every input table (``data/...``), of the book's sources (``sources``: path -> sha256, as the commit may be
    dirty) and of every output file (paths relative to the edition), except the manifest itself."""
    return {
        "edition": edition.id,
        "title": edition.title,
        "data_years": dict(edition.inputs),
        "icb": {"code": focal.icb_code, "name": focal.icb_name},
        "version": rel.version,
        "commit": rel.commit,
        "build_time": rel.build_time,
        "build_time_source": rel.build_time_source,
        "inputs": file_hashes(inputs_dir, prefix="data/"),
        "sources": sources,
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


def stage_sources(root: Path, stage: Path, config: dict) -> None:
    """Copy the book's prose pages and table of contents, write the config and the offline vega bundle."""
    for name in BOOK_SOURCES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, stage / name)
        else:
            shutil.copy2(source, stage / name)
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    (stage / "_static").mkdir(exist_ok=True)
    (stage / "_static" / VEGA_BUNDLE).write_text(charts.offline_bundle())


def run_jupyter_book(stage: Path, log: Callable[[str], None]) -> Path:
    """Build the staged book to HTML with warnings as errors; return the HTML folder."""
    command = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(stage), "--builder", "html",
        "-W", "-n", "--keep-going", "--all", "-q",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        detail = "\n".join(line for line in (done.stdout + done.stderr).splitlines() if line.strip())[-4000:]
        raise BuildError(f"the Jupyter Book build failed (warnings are errors):\n{detail}")
    log(f"book built in {time.perf_counter() - started:.1f} s")
    return stage / "_build" / "html"


def redirect_page(target: str, icon: str) -> str:
    """A static page that sends the reader to ``target`` (a relative URL), with a link for those without refresh.

    It names the book's icon (``icon``, relative): without one, browsers ask for /favicon.ico, which is not there.
    """
    t, i = html.escape(target, quote=True), html.escape(icon, quote=True)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="refresh" content="0; url={t}">\n<link rel="canonical" href="{t}">\n'
        f'<link rel="icon" href="{i}">\n<title>Redirecting</title>\n</head>\n<body>\n'
        f'<p>This book has moved to <a href="{t}">{t}</a>.</p>\n</body>\n</html>\n'
    )


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


def publish(staged: dict[str, Path], out: Path, register: Sequence[Edition]) -> list[Path]:
    """Swap each staged edition (id -> HTML folder) into ``out/<id>``, then rewrite the switcher and the front page.

    Runs under :func:`publish_lock`, so concurrent builds publish one after the other, each seeing the other's
    editions when it writes ``switcher.json`` and ``index.html``.
    """
    out.mkdir(parents=True, exist_ok=True)
    with publish_lock(out):
        # An edition retired by a publish that was killed before it removed it; under the lock none is in use.
        for left in out.glob(RETIRED.format(edition="*") + "*"):
            shutil.rmtree(left, ignore_errors=True)
        published = [_swap_in(html_dir, out, edition_id) for edition_id, html_dir in staged.items()]
        ids = {e.id for e in register}
        present = {p.name for p in out.iterdir() if p.is_dir() and p.name in ids}
        switcher = json.dumps(switcher_entries(register, present), indent=2, ensure_ascii=False) + "\n"
        write_atomic(out / SWITCHER_FILE, switcher)
        target = index_target(register, present)
        if target:
            write_atomic(out / "index.html", redirect_page(f"{target}/index.html", f"{target}/_static/{ICON}"))
    return published


def build_edition(
    edition: Edition, focal, inputs: Path, root: Path, work: Path, rel: Release, log: Callable[[str], None],
    overrides: Mapping[str, str] | None = None, register: dict[str, dict] | None = None,
) -> Path:
    """Execute the notebooks and build the book for one edition in ``work``; return its finished HTML folder.

    With the claims ``register`` (for a build of the report's ICB), every figure a claim names must be recorded by a
    chapter, computed or declared not computed, before the book is built.
    """
    stage = work / "book"
    stage.mkdir(parents=True)
    log(f"building edition {edition.id} ({edition.title}) for {focal.icb_name} ({focal.icb_code})")
    stage_sources(root, stage, edition_config(root, edition, focal.icb_name, focal.short_name, rel))
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    sources = [root / f"{name}.ipynb" for name in notebooks_in_toc(toc)]
    params = Parameters(edition=edition, icb=focal.icb_code, data_dir=inputs, overrides=dict(overrides or {}))
    fragments = execute(sources, stage / "notebooks", work / "results", params, log=log,
                        chart_data=stage / "_static" / CHART_DATA_FOLDER, commit=rel.short_commit)
    results = merge_fragments(fragments)
    if register is not None:  # only a build for the report's ICB checks its claims
        refuse(claims.unrecorded_figures(register, results))
    html_dir = run_jupyter_book(stage, log)
    # Jupyter Book's own redirect to the first page names no icon; replace it with ours, which does.
    (html_dir / "index.html").write_text(redirect_page(toc["root"] + ".html", f"_static/{ICON}"))
    (html_dir / RESULTS_FILE).write_text(json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    recorded = manifest(edition, focal, rel, inputs, html_dir, source_hashes(root, sources))
    (html_dir / MANIFEST_FILE).write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n")
    log(f"edition {edition.id} ready: {len(results)} figures in {RESULTS_FILE}, {len(recorded['outputs'])} files")
    return html_dir


def choose(register: tuple[Edition, ...], edition_ids: Sequence[str], all_editions: bool) -> list[Edition]:
    """The editions to build, oldest first: all of them, those named, or (by default) the current one."""
    if all_editions and edition_ids:
        raise InputError("give --edition or --all-editions, not both")
    if all_editions:
        return list(register)
    if edition_ids:
        chosen = {editions.get(register, i).id for i in edition_ids}
        return [e for e in register if e.id in chosen]
    return [editions.current(register)]


def build(
    edition_ids: Sequence[str] = (), *, all_editions: bool = False, icb: str = geography.DEFAULT_ICB,
    out: Path = Path("_build/site"), data_dir: Path | None = None, root: Path | None = None,
    log: Callable[[str], None] = print, overrides: Mapping[str, str] | None = None,
) -> list[Path]:
    """Build the chosen editions (default: the current one) for one ICB and publish them under ``out``.

    ``overrides`` (parameter name -> text) change chapter assumptions, e.g. ``{"base_year": "2022"}``; each goes to
    the chapters that declare it. Returns the published edition folders. Nothing is published unless every chosen
    edition builds.
    """
    root = (root or project_root()).resolve()
    data_dir = (data_dir or root / "data").resolve()
    out = out.resolve()
    # Every check that can fail does so here, in one line, before any notebook runs.
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: expected a folder for the site (--out), got a file")
    for stale in remove_stale(out.parent, STAGING_PREFIX):  # left by builds that were killed
        log(f"removed {stale}, left by a build that was stopped")
    register = editions.load(root / editions.EDITIONS_FILE)
    chosen = choose(register, edition_ids, all_editions)
    # A table edited by hand, or half-copied, would otherwise be published as if `sots prepare` had made it.
    refuse(data.verify(data_dir))
    claims_path = root / claims.REGISTER
    claims_register, report = claims.load(claims_path), claims.report(claims_path)
    focal = geography.resolve_icb(icb, data.load("icb_lookup", data_dir))
    tables = {name: data.load(name, data_dir) for name in YEAR_TABLES}
    refuse([line for e in chosen for line in editions.missing_data_years(e, tables)], f"{editions.EDITIONS_FILE}: ")
    if overrides:  # a wrong name or value stops the build before any work, like a wrong ICB code
        toc = yaml.safe_load((root / "_toc.yml").read_text())
        sources = [root / f"{name}.ipynb" for name in notebooks_in_toc(toc)]
        allowed = assumptions.limits(tables["population_projection"], focal.icb_gss_code)
        chapter_overrides(overrides, sources, Parameters(chosen[0], focal.icb_code, data_dir).reserved(), allowed)
    rel = release.current(root)
    log(f"release {rel.version}, commit {rel.short_commit}; editions {', '.join(e.id for e in chosen)}"
        + (f"; chapter parameters {', '.join(f'{k}={v}' for k, v in overrides.items())}" if overrides else ""))

    out.parent.mkdir(parents=True, exist_ok=True)
    # Staging sits beside the output so the final moves are renames on one file system; its name is unique, so
    # builds running at once never share one.
    checked = claims_register if report["icb_code"] == focal.icb_code else None
    with scratch(out.parent, STAGING_PREFIX) as tmp:
        # The build reads its own copy of the (small) tables: inputs cannot change mid-build.
        inputs = Path(shutil.copytree(data_dir, tmp / "data", ignore=shutil.ignore_patterns(".*")))
        staged = {e.id: build_edition(e, focal, inputs, root, tmp / e.id, rel, log, overrides, checked)
                  for e in chosen}
        published = publish(staged, out, register)
    for folder in published:
        log(f"published {folder}")
    return published

