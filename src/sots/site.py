"""Build one edition of the book for one ICB, and publish it only if every step succeeds.

The flow (:func:`build`):

1. Copy the book sources (``_config.yml``, ``_toc.yml``, ``book/``) into a fresh staging folder beside the output,
   with this edition's title and release in the config and the vega bundle in ``_static/``.
2. Execute every notebook in ``_toc.yml`` with papermill (:mod:`sots.pipeline`).
3. Build the Jupyter Book with execution off and warnings as errors (``-W -n --keep-going``).
4. Write ``results.json`` beside the HTML, then swap the staged edition into ``<out>/<edition>/`` and write
   ``<out>/index.html``, which redirects to it.

Any failure before step 4 leaves the published site exactly as it was.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from sots import charts, data, geography
from sots.data import project_root
from sots.errors import BuildError
from sots.pipeline import Parameters, execute, notebooks_in_toc
from sots.results import RESULTS_FILE, merge_fragments

DEFAULT_EDITION = "2023-24"
BOOK_SOURCES = ("_toc.yml", "book", "claims.yml")  # notebooks read claims.yml from the staged copy
VEGA_BUNDLE = "vega-offline.js"
ICON = "favicon.svg"  # copied into _static by Sphinx from html_favicon


def edition_config(root: Path, edition: str, icb_name: str) -> dict:
    """The project's ``_config.yml`` with this edition's title, release and version filled in."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"] = f"{config['title']}: {icb_name}, {edition}"
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["release"] = sphinx["version"] = edition
    return config


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


def publish(html_dir: Path, out: Path, edition: str) -> Path:
    """Swap ``html_dir`` into ``out/<edition>`` with renames, so readers never see a half-written edition."""
    target = out / edition
    retired = out / f".{edition}.retired-{os.getpid()}"
    if target.exists():
        target.rename(retired)
    try:
        html_dir.rename(target)
    except OSError:
        if retired.exists():
            retired.rename(target)  # put the published edition back
        raise
    shutil.rmtree(retired, ignore_errors=True)
    index = out / ".index.html.tmp"
    index.write_text(redirect_page(f"{edition}/index.html", f"{edition}/_static/{ICON}"))
    index.replace(out / "index.html")
    return target


def build(
    edition: str = DEFAULT_EDITION, icb: str = geography.DEFAULT_ICB, out: Path = Path("_build/site"),
    data_dir: Path | None = None, root: Path | None = None, log: Callable[[str], None] = print,
) -> Path:
    """Execute the notebooks and build the book for one edition and ICB into ``out/<edition>``; return that folder."""
    root = (root or project_root()).resolve()
    data_dir = (data_dir or root / "data").resolve()
    out = out.resolve()
    lookup = data.load("icb_lookup", data_dir)
    focal = geography.resolve_icb(icb, lookup)  # fail on a bad code before any work
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    sources = [root / f"{name}.ipynb" for name in notebooks_in_toc(toc)]

    out.mkdir(parents=True, exist_ok=True)
    # Staging sits beside the output so the final move is a rename on one file system.
    with tempfile.TemporaryDirectory(prefix=f".sots-staging-{edition}-", dir=out.parent) as tmp:
        stage = Path(tmp) / "book"
        stage.mkdir()
        log(f"building edition {edition} for {focal.icb_name} ({focal.icb_code})")
        stage_sources(root, stage, edition_config(root, edition, focal.short_name))
        # The build reads its own copy of the (small) tables: inputs cannot change mid-build.
        inputs = shutil.copytree(data_dir, Path(tmp) / "data")
        params = Parameters(edition=edition, icb=focal.icb_code, data_dir=inputs)
        fragments = execute(sources, stage / "notebooks", Path(tmp) / "results", params, log=log)
        html_dir = run_jupyter_book(stage, log)
        # Jupyter Book's own redirect to the first page names no icon; replace it with ours, which does.
        first_page = yaml.safe_load((stage / "_toc.yml").read_text())["root"] + ".html"
        (html_dir / "index.html").write_text(redirect_page(first_page, f"_static/{ICON}"))
        results = merge_fragments(fragments)
        (html_dir / RESULTS_FILE).write_text(json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        published = publish(html_dir, out, edition)
    log(f"published {published} ({len(results)} figures in {RESULTS_FILE})")
    return published
