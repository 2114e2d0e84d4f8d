"""Build editions of the book side by side in a staging folder; :mod:`sots.site.publish` publishes them.

The flow (:func:`build`), for the editions chosen from ``editions.yml`` (:mod:`sots.inputs.editions`), each for the
focal ICB and, with ``--all-icbs``, for every other ICB too:

1. Check every input (tables' checksums, the registers, the data years, the ICB, any ``-p``) before any work.
2. Stage each book (:func:`stage_book`): the book sources, the config with the edition's title, switcher, footer and
   data years, the vega bundle, and the notebooks as written.
3. Execute every chapter of every book (:mod:`sots.site.execution`): through the execution cache
   (:mod:`sots.site.execcache`), in warm kernels, ``-j`` at once or on a Dask cluster (:mod:`sots.site.executors`).
4. Merge each book's results; for the report's ICB, refuse a figure the claims register names but no chapter
   recorded. Build each book with Jupyter Book (warnings are errors) and print it to one PDF
   (:mod:`sots.site.printbook`), or take both from the cache when its staged sources are unchanged. Write
   ``results.json``, copies of ``claims.yml`` and ``data/datapackage.json`` (:func:`publish_registers`) and
   ``manifest.json``; with ``--all-icbs``, move every other ICB's book under ``<edition>/icb/<CODE>/`` and write the
   national page.

Only when every chosen edition has got through step 4 are they published (:func:`sots.site.publish.publish`). Any
failure before publishing leaves the published site exactly as it was, and staging folders are unique per build, so
concurrent builds never share one.
"""

from __future__ import annotations

import functools
import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from sots import escape, malloc
from sots.analysis import claims
from sots.analysis.results import RESULTS_FILE, merge_fragments
from sots.atomic import scratch
from sots.errors import InputError, refuse
from sots.inputs import data, editions, geography, slices
from sots.inputs.editions import Edition
from sots.project import project_root
from sots.render import render
from sots.site import bookhtml, buildkey, citation, execcache, execution, executors, folders, national, plan, printbook
from sots.site.downloads import DOWNLOADS_FOLDER
from sots.site.pipeline import Parameters, chapter_parameters
from sots.site.publish import ICON, MANIFEST_FILE, SWITCHER_FILE, manifest, publish, redirect_page, sha256_file
from sots.site.release import Release
from sots.toc import pages_in_toc

# Notebooks read claims.yml, and editions.yml for their edition's data years, from the staged copy.
BOOK_SOURCES = buildkey.BOOK_SOURCES
VEGA_BUNDLE = "vega-offline.js"
CHART_DATA_FOLDER = "chart-data"  # under _static: each chart's rows as CSV, per notebook
# The switcher's address as each page's script sees it: relative to the edition's folder (pydata-sphinx-theme resolves
# a relative json_url against the page's documentation root), so the site can be served from any path.
SWITCHER_URL = f"../{SWITCHER_FILE}"
ICB_FOLDER = Path("icb")  # under an edition: every ICB's book, icb/<CODE>/, and the national page, icb/index.html
# Tables whose years editions.missing_data_years checks before a build starts.


def footer_html(edition: Edition, rel: Release) -> str:
    """The footer line: the edition, the release version (calendar versioning) and the commit.

    It sits inside the theme's footer, so the template's closing line break is dropped.
    """
    return render("footer.html", edition=edition.id, version=rel.version, commit=rel.short_commit).rstrip("\n")


def edition_config(root: Path, edition: Edition, icb_name: str, icb_short_name: str, rel: Release,
                   printed: bool = True) -> dict:
    """The project's ``_config.yml`` with this edition's title, release, switcher, footer and prose values.

    ``myst_substitutions`` give the prose pages the edition's title, data years and the ICB's name as
    ``{{ allocation_year }}`` and so on, from editions.yml rather than typed by hand, and the file name of the
    edition's PDF as ``{{ pdf_file }}`` and of its two-page summary as ``{{ summary_pdf_file }}`` ("" for a book that
    is not ``printed``: another ICB's, in an every-ICB run).
    """
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"] = f"{config['title']}: {icb_short_name}, {edition.id}"
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["release"] = sphinx["version"] = edition.id
    cite = citation.text(citation.load(root / citation.CITATION_FILE), edition.id, icb_name)
    # The prose pages are MyST, which parses a substitution's value as Markdown: the register's and the data's texts
    # are escaped once, here (cite_text is Markdown already, escaped by citation.text), so they read as typed.
    texts = {**edition.parameters(), "icb_name": icb_name}
    sphinx["myst_substitutions"] = {**{k: escape.markdown(v) for k, v in texts.items()}, "cite_text": cite,
                                    "pdf_file": printbook.pdf_name(edition.id) if printed else "",
                                    "summary_pdf_file": printbook.summary_pdf_name(edition.id) if printed else ""}
    theme = sphinx.setdefault("html_theme_options", {})
    theme["switcher"] = {"json_url": SWITCHER_URL, "version_match": edition.id}
    theme["extra_footer"] = footer_html(edition, rel)
    return config


def source_hashes(root: Path, notebooks: Sequence[Path]) -> dict[str, str]:
    """The book's own sources a build reads (config, table of contents, prose pages, notebooks:
    :func:`sots.site.buildkey.source_files`, which the build key hashes too) -> sha256."""
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in buildkey.source_files(root, notebooks)}


def stage_sources(root: Path, stage: Path, config: dict, bundle: str | None = None) -> None:
    """Copy the book's prose pages and table of contents, write the config and the offline vega script ``bundle``
    (read once per build, :func:`sots.site.execcache.vega_bundle`; made here if not given)."""
    for name in BOOK_SOURCES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, stage / name)
        else:
            shutil.copy2(source, stage / name)
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    (stage / "_static").mkdir(exist_ok=True)
    # Published beside the book, so its "How to cite" box links the file it was made from.
    shutil.copy2(root / citation.CITATION_FILE, stage / "_static" / citation.CITATION_FILE)
    (stage / "_static" / VEGA_BUNDLE).write_text(bundle if bundle is not None else execcache.vega_bundle(None))


def book_pages(toc: dict) -> list[str]:
    """The book's built pages in reading order, relative to its HTML folder: the front page, then every page the
    table of contents lists (the chapters, the methods and the glossary)."""
    return [f"{name}.html" for name in pages_in_toc(toc)]


def build_book(stage: Path, cache: Path | None = None) -> tuple[float, float | None]:
    """Build the staged book's HTML (:func:`sots.site.bookhtml.build_html`), then print it to one PDF at its root
    (:func:`sots.site.printbook.print_book`, through the execution ``cache``: None, none); return the seconds each
    took (None: the book is not printed).

    One task for the executor, so the PDF is made beside the book's HTML, in parallel with other books, and kept in
    the execution cache with it.
    """
    built = bookhtml.build_html(stage)
    toc = yaml.safe_load((stage / "_toc.yml").read_text())
    # The print page keeps the vega bundle of the front page's scripts: the charts draw with it.
    return built, printbook.print_book(stage, stage / "_build" / "html", book_pages(toc), (VEGA_BUNDLE,), cache=cache)


@dataclass(eq=False)  # compared and hashed by identity (it holds the ICB's lookup row), so it can key a dict
class Staged:
    """One book staged for a run: the edition, the ICB, the book's scratch folder and its chapters to execute."""

    edition: Edition
    focal: object  # the ICB's lookup row (:func:`sots.inputs.geography.resolve_icb`)
    work: Path  # the book's scratch folder: book/ (the staged sources), results/, reads/
    book: execution.Book
    checked: dict | None  # the claims register, for a build of the report's ICB

    @property
    def stage(self) -> Path:
        return self.work / "book"

    @property
    def html(self) -> Path:
        return self.stage / "_build" / "html"


def stage_book(edition: Edition, focal, inputs: Path, root: Path, work: Path, rel: Release, sources: list[Path],
               overrides: Mapping[str, str] | None, checked: dict | None, depth: int = 0,
               bundle: str | None = None, pdf: bool = True) -> Staged:
    """Stage one book (the sources, config, vega bundle and the notebooks as written) in ``work/book``.

    ``depth`` is how many folders below its edition's folder the book is published (2 for ``icb/<CODE>/``), so its
    version switcher finds the site's switcher.json. Only the edition's own book (depth 0) is printed to a PDF: one
    PDF per edition, not one per ICB (84 more prints in an every-ICB run), and none unless ``pdf``.
    """
    stage = work / "book"
    stage.mkdir(parents=True)
    printed = pdf and depth == 0
    config = edition_config(root, edition, focal.icb_name, focal.short_name, rel, printed)
    config["sphinx"]["config"]["html_theme_options"]["switcher"]["json_url"] = "../" * depth + SWITCHER_URL
    # The site's own pages (the changes between editions), from a page one folder below the book's root.
    config["sphinx"]["config"]["myst_substitutions"]["site_root"] = "../" * (depth + 2)
    stage_sources(root, stage, config, bundle)
    if printed:
        # What to print, in the staged book, so the execution cache keys its PDF on the PDF's date and title too.
        (stage / printbook.SETTINGS_FILE).write_text(json.dumps(
            printbook.settings(edition.id, config["title"], rel.build_time), indent=1, sort_keys=True) + "\n")
    # The notebooks as written, which the executed ones replace: a page that quotes a chapter's title finds it
    # whether that chapter has run yet or not.
    (stage / "notebooks").mkdir()
    for source in sources:
        shutil.copy2(source, stage / "notebooks" / source.name)
    params = Parameters(edition=edition, icb=focal.icb_code, data_dir=inputs, overrides=dict(overrides or {}))
    book = execution.Book(label=f"{edition.id} {focal.icb_code}", params=params, sources=sources,
                          notebooks=stage / "notebooks", results=work / "results",
                          chart_data=stage / "_static" / CHART_DATA_FOLDER,
                          scripts=stage / "_static" / DOWNLOADS_FOLDER, code=buildkey.code_digest(root))
    return Staged(edition, focal, work, book, checked)


def finish_results(staged: Staged, rel: Release) -> dict:
    """The book's results.json: its chapters' figures, each with the build's commit in its provenance; for the
    report's ICB, refused if a figure the claims register names was recorded by no chapter."""
    results = merge_fragments(staged.book.fragments())
    for entry in results.values():
        if "provenance" in entry:
            entry["provenance"] = {**entry["provenance"], "commit": rel.short_commit}
    if staged.checked is not None:  # only a build of the report's ICB checks its claims
        refuse(claims.unrecorded_figures(staged.checked, results))
    return results


def publish_registers(html_dir: Path, registers: Mapping[str, Path]) -> None:
    """Copy each register (published name -> the file read) into a built book's root, beside results.json, byte for
    byte: the pages that name claims.yml and datapackage.json link these copies, and manifest.json, written after,
    lists them with every other output."""
    for name, source in sorted(registers.items()):
        shutil.copyfile(source, html_dir / name)  # contents only: no mode or time, so every build publishes the same


def finish_book(staged: Staged, results: dict, toc: dict, registers: Mapping[str, Path]) -> Path:
    """Write the built book's front redirect, results.json and the registers (:func:`publish_registers`); return its
    HTML folder."""
    html_dir = staged.html
    # Jupyter Book's own redirect to the first page names no icon; replace it with ours, which does.
    (html_dir / "index.html").write_text(redirect_page(toc["root"] + ".html", f"_static/{ICON}"))
    (html_dir / RESULTS_FILE).write_text(json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    publish_registers(html_dir, registers)
    return html_dir


def published_registers(staged: Staged, inputs: Path) -> dict[str, Path]:
    """The registers a book publishes at its root (name -> the file copied): the claims register its chapters read
    (the staged copy of the project's claims.yml) and the data package's descriptor of the tables it was built from
    (the build's copy of data/datapackage.json)."""
    return {claims.REGISTER: staged.stage / claims.REGISTER, data.DATAPACKAGE: inputs / data.DATAPACKAGE}


def write_manifest(staged: Staged, read: dict[str, dict], sources: dict[str, str], rel: Release) -> None:
    """Write a built book's manifest.json, last: what it was built from (``read``: what its edition read of each table,
    :func:`sots.inputs.slices.edition_inputs`; ``sources``: :func:`source_hashes`) and the sha256 of every file it
    publishes."""
    chapters = {stem: {name: table["rows"] for name, table in reads.get("tables", {}).items()}
                for stem, reads in sorted(staged.book.read.items())}
    recorded = manifest(staged.edition, staged.focal, rel, read, staged.html, sources, chapters)
    (staged.html / MANIFEST_FILE).write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n")


def write_national_page(folder: Path, main: Staged, by_icb: Mapping[str, dict], lookup) -> None:
    """The edition's national page, ``icb/index.html``: every ICB's headline figures, from each book's results,
    linking to each ICB's book (the focal ICB's is the edition's own, one folder up)."""
    focal = main.focal.icb_code
    links = {code: ("../index.html" if code == focal else f"{code}/index.html") for code in by_icb}
    table = national.rows(by_icb, lookup[lookup["icb_code"].isin(list(by_icb))])
    (folder / "index.html").write_text(national.page(main.edition.id, main.edition.title, table, focal, links,
                                                     icon=f"../_static/{ICON}", ranked_among=len(lookup)))


def stage_report_book(every: list[Staged], register: tuple[Edition, ...], report_about: dict, checked: dict,
                      lookup, inputs: Path, root: Path, work: Path, rel: Release, sources: list[Path],
                      overrides: Mapping[str, str] | None, bundle: str,
                      log: Callable[[str], None]) -> list[Staged]:
    """Give each later edition's book of the report's ICB the book whose figures the report's verdicts are computed
    on: the report's edition for its ICB (``report_about``, the register's ``report``). It is one of ``every`` when
    that edition is built; otherwise it is staged here, executed and never published. Returns the books staged here.

    InputError if the register's report edition is not in ``editions.yml`` and a book needs it.
    """
    icb, edition_id = report_about["icb_code"], report_about["edition"]
    readers = [b for b in every if b.focal.icb_code == icb and b.edition.id != edition_id]
    if not readers:
        return []
    found = next((b for b in every if b.focal.icb_code == icb and b.edition.id == edition_id), None)
    staged = []
    if found is None:
        if edition_id not in {e.id for e in register}:
            raise InputError(f"{root / claims.REGISTER}: report: field 'edition': expected an edition of "
                             f"{editions.EDITIONS_FILE} ({', '.join(e.id for e in register)}), got '{edition_id}'")
        edition = editions.get(register, edition_id)
        # Where the edition's own book is staged when it is chosen, so its chapters' parameters (paths relative to
        # the book) and cache keys are the same either way.
        found = stage_book(edition, geography.resolve_icb(icb, lookup), inputs, root, work / edition_id / icb, rel,
                           sources, overrides, checked, bundle=bundle, pdf=False)
        # Only the chapters that record figures: nothing reads this book's claims page.
        found.book.sources = [s for s in found.book.sources if "results_dir" not in chapter_parameters(s)]
        staged.append(found)
        log(f"staged edition {edition_id} for {icb} too, unpublished: the report's verdicts are computed on its "
            "figures")
    for b in readers:
        b.book.report = found.book
    return staged


def build(request: plan.Request, *, root: Path | None = None, log: Callable[[str], None] = print,
          report: execution.Report | None = None, skip_unchanged: bool = True) -> list[Path]:
    """Build what ``request`` asks for (:class:`sots.site.plan.Request`: the editions, default the current one, for
    one ICB, and for other ICBs with a national page) and publish it under its site folder; return the published
    edition folders. Nothing is published unless every chosen edition builds.

    The stages: check and plan (:func:`sots.site.plan.check_folders`, :func:`sots.site.plan.make`: every check that
    can fail, before any notebook runs), then :func:`run` (execute, books, finish, publish). With ``skip_unchanged``
    (and the cache in use), a site that already holds what this build publishes (its stamp and the build key match,
    :func:`sots.site.buildkey.unchanged`) is left as it is: one line says so, and nothing is published (returns no
    folder). Publishing stamps the site with the build's key.
    """
    started = time.perf_counter()
    root = (root or project_root()).resolve()
    out, data_dir, cache = plan.check_folders(request, root, log)
    key = buildkey.key_or_none(root, data_dir, request.options)  # of the inputs as the build starts: read from here on
    if cache and skip_unchanged and buildkey.unchanged(out, key, log, started):
        return []
    return run(plan.make(request, root, key, out, data_dir, cache), log, report, started)


def run(p: plan.BuildPlan, log: Callable[[str], None] = print, report: execution.Report | None = None,
        started: float | None = None) -> list[Path]:
    """Carry out the plan ``p``: stage its books, execute their chapters (through the cache,
    :mod:`sots.site.execution`), build the books and the PDF, finish each edition (results, manifests, the national
    page) and publish them all at once (:func:`sots.site.publish.publish`)."""
    started = time.perf_counter() if started is None else started
    rel, focal = p.release, p.focal
    executor = executors.make(p.jobs, p.dask)
    log(f"release {rel.version}, commit {rel.short_commit}; editions {', '.join(e.id for e in p.editions)}"
        + (f" for {focal.icb_code} and every other ICB" if p.national else "")
        + (f"; chapter parameters {', '.join(f'{k}={v}' for k, v in p.overrides.items())}" if p.overrides else "")
        + f"; {executor.workers} workers" + ("" if p.cache else "; no cache"))

    if p.cache:
        folders.mark(p.cache, folders.CACHE)  # before anything is written in it
    # Read (and, when kept in the cache, checked) once, before staging: every book staged gets this one text, and a
    # damaged bundle is named once, in the log. Made, it is made in a process of its own, which ends before the
    # chapters start their kernels.
    bundle = execcache.vega_bundle(p.cache, log)
    p.out.parent.mkdir(parents=True, exist_ok=True)
    sources = list(p.notebooks)
    # Staging sits beside the output so the final moves are renames on one file system; its name is unique, so
    # builds running at once never share one.
    with scratch(p.out.parent, plan.STAGING_PREFIX) as tmp:
        # The build reads its own copy of the (small) tables: inputs cannot change mid-build.
        inputs = Path(shutil.copytree(p.data_dir, tmp / "data", ignore=shutil.ignore_patterns(".*")))
        books: list[tuple[Staged, list[Staged]]] = []
        for e in p.editions:
            main = stage_book(e, focal, inputs, p.root, tmp / e.id / focal.icb_code, rel, sources, p.overrides,
                              p.checked_claims(focal.icb_code), bundle=bundle, pdf=p.pdf)
            icb_books = [stage_book(e, other, inputs, p.root, tmp / e.id / other.icb_code, rel, sources, p.overrides,
                                    p.checked_claims(other.icb_code), depth=len(ICB_FOLDER.parts) + 1, bundle=bundle)
                         for other in p.others]
            log(f"staged edition {e.id} ({e.title}) for {focal.icb_name} ({focal.icb_code})"
                + (f" and {len(icb_books)} other ICBs" if p.national else ""))
            books.append((main, icb_books))
        every = [b for main, icb_books in books for b in (main, *icb_books)]
        deps = stage_report_book(every, p.register, p.report_about, p.claims_register, p.lookup, inputs, p.root, tmp,
                                 rel, sources, p.overrides, bundle, log)
        log(f"staged {len(every)} books in {time.perf_counter() - started:.1f} s")
        # What each edition reads of the tables, for its manifest. The tables are read here for the plan, the staging
        # and this; the chapters read them in their kernels. Kept, they would hold about 60 MB of this process through
        # the whole build.
        reads = {main.edition.id: slices.edition_inputs(inputs, main.edition.inputs) for main, _ in books}
        data.forget()
        malloc.trim()
        report = report or execution.LogReport(log)
        try:
            stats = execution.run([b.book for b in [*deps, *every]], executor, p.cache, report, p.root,
                                  typed=p.typed_overrides)
            # The warm kernels (up to 700 MB each after a run of every ICB) are not needed for the books: they end now.
            executor.release()
            log(f"chapters done at {time.perf_counter() - started:.1f} s")
            if stats.executed:
                log(stats.time_line())
            for b in deps:  # not published, but its figures must hold every figure a claim names
                finish_results(b, rel)
            results = {b: finish_results(b, rel) for b in every}
            todo = build_books(every, executor, p.cache, log)
            log(f"books done at {time.perf_counter() - started:.1f} s")
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM as the command line turns it: stop the workers first, so
            executor.abort()       # that none is writing to the staging folder when it is removed
            raise
        finally:
            executor.close()
        staged = {}
        sources_sha = source_hashes(p.root, sources)
        for (main, icb_books) in books:
            read = reads[main.edition.id]  # the same for every ICB's book
            html = finish_book(main, results[main], p.toc, published_registers(main, inputs))
            if p.national:
                (html / ICB_FOLDER).mkdir()
                for b in icb_books:
                    finish_book(b, results[b], p.toc, published_registers(b, inputs))
                    write_manifest(b, read, sources_sha, rel)
                    b.html.rename(html / ICB_FOLDER / b.focal.icb_code)
                write_national_page(html / ICB_FOLDER, main, {b.focal.icb_code: results[b] for b in (main, *icb_books)},
                                    p.lookup)
            write_manifest(main, read, sources_sha, rel)  # last: it lists every file the edition publishes
            staged[main.edition.id] = html
            log(f"edition {main.edition.id} ready: {len(results[main])} figures in {RESULTS_FILE}"
                + (f", and {len(icb_books)} other ICBs' books" if p.national else ""))
        # Stamped only if no input changed while the build read them: the site then holds what the key builds.
        same = p.key is not None and buildkey.key_or_none(p.root, p.data_dir, p.options) == p.key
        published = publish(staged, p.out, p.register, p.key if same else None)
    for folder in published:
        log(f"published {folder}")
    log(stats.summary(len(todo), len(every) - len(todo), time.perf_counter() - started))
    return published


def build_books(every: list[Staged], executor, cache: Path | None, log: Callable[[str], None]) -> list[Staged]:
    """Build each staged book's HTML and PDF, or take it from the execution ``cache`` (None: none), keyed on its
    staged sources; return the books built. One book needs no pool (starting one would cost more than its build): it
    is built here, in this process. Several are built side by side by the executor's workers, each worker building
    its books one after another in a Sphinx it has imported once (:mod:`sots.site.bookhtml`)."""
    keys = {b: execcache.folder_digest(b.stage) for b in every} if cache else {}
    todo = [b for b in every if not (cache and execcache.fetch_book(cache, keys[b], b.html, log))]
    runner = executor.map if len(todo) > 1 else executors.in_process
    total = 0.0
    for i, (seconds, printed) in runner(functools.partial(build_book, cache=cache), [b.stage for b in todo]):
        log(f"book {todo[i].book.label} built in {seconds:.1f} s"
            + (f", its PDF printed in {printed:.1f} s" if printed is not None else ""))
        total += seconds + (printed or 0.0)
        if cache:
            execcache.keep_book(cache, keys[todo[i]], todo[i].html)
    if todo:
        log(f"books' time: {total:.1f} s in the workers")
    return todo
