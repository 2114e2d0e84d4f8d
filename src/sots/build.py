"""Build editions of the book side by side in a staging folder; :mod:`sots.publish` publishes them.

The flow (:func:`build`), for each edition chosen from ``editions.yml`` (:mod:`sots.editions`):

1. Copy the book sources (``_config.yml``, ``_toc.yml``, ``book/``) into a fresh staging folder beside the output,
   with this edition's title, switcher, footer and data years in the config and the vega bundle in ``_static/``.
2. Execute every notebook in ``_toc.yml`` with papermill (:mod:`sots.pipeline`), with the edition's parameters,
   and write each executed chapter as a Python script for readers to download (:mod:`sots.downloads`).
3. Build the Jupyter Book with execution off and warnings as errors (``-W -n --keep-going``).
4. Write ``results.json`` and then ``manifest.json`` (edition, release, commit, build time, sha256 of every input
   table and of every published file) beside the HTML.

Only when every chosen edition has got through step 4 are they published (:func:`sots.publish.publish`). Every
check that can fail on an input runs first, before any notebook; any failure before publishing leaves the published
site exactly as it was, and staging folders are unique per build, so concurrent builds never share one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml

from sots import assumptions, charts, claims, data, editions, geography, release
from sots.atomic import remove_stale, scratch
from sots.data import project_root
from sots.downloads import DOWNLOADS_FOLDER, export_scripts
from sots.editions import Edition
from sots.errors import BuildError, InputError, refuse
from sots.pipeline import Parameters, chapter_overrides, execute, notebooks_in_toc
from sots.publish import ICON, MANIFEST_FILE, SWITCHER_FILE, manifest, publish, redirect_page, sha256_file
from sots.release import Release
from sots.render import render
from sots.results import RESULTS_FILE, merge_fragments

# Notebooks read claims.yml, and editions.yml for their edition's data years, from the staged copy.
BOOK_SOURCES = ("_toc.yml", "book", "claims.yml", editions.EDITIONS_FILE)
VEGA_BUNDLE = "vega-offline.js"
STAGING_PREFIX = ".sots-staging-"  # a build's scratch folder, beside the site
CHART_DATA_FOLDER = "chart-data"  # under _static: each chart's rows as CSV, per notebook
# The switcher's address as each page's script sees it: relative to the edition's folder (pydata-sphinx-theme resolves
# a relative json_url against the page's documentation root), so the site can be served from any path.
SWITCHER_URL = f"../{SWITCHER_FILE}"
# Tables whose years editions.missing_data_years checks before a build starts.
YEAR_TABLES = sorted({name for names in editions.INPUT_TABLES.values() for name in names})


def footer_html(edition: Edition, rel: Release) -> str:
    """The footer line: the edition, the release version (calendar versioning) and the commit.

    It sits inside the theme's footer, so the template's closing line break is dropped.
    """
    return render("footer.html", edition=edition.id, version=rel.version, commit=rel.short_commit).rstrip("\n")


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


def source_hashes(root: Path, notebooks: Sequence[Path]) -> dict[str, str]:
    """The book's own sources a build reads (config, table of contents, prose pages, notebooks) -> sha256."""
    paths = [root / "_config.yml", *(p for name in BOOK_SOURCES for p in
                                     ([root / name] if (root / name).is_file() else sorted((root / name).rglob("*"))))]
    paths += list(notebooks)
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(set(paths)) if p.is_file()}


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
    export_scripts([stage / "notebooks" / source.name for source in sources], stage / "_static" / DOWNLOADS_FOLDER)
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

