"""What one ``sots build`` will do, settled before any notebook runs: the request, checked, becomes a plan.

A build runs in stages: **check** and **plan** (here: :func:`make`, every check that can fail, each in one line, and
every choice made: editions, ICBs, folders, overrides), then **execute** (the chapters), **books** (Jupyter Book and
the PDF), **finish** (results, manifests, the national page) and **publish** (:func:`sots.site.build.run`). The plan
is the one value the later stages read, so no stage re-derives or re-types what an earlier one settled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sots.analysis import assumptions, claims
from sots.atomic import check_writable, remove_stale
from sots.errors import InputError, refuse
from sots.inputs import data, editions, geography, prepare
from sots.inputs.editions import Edition
from sots.project import project_root
from sots.site import buildkey, execcache, folders, release
from sots.site.pipeline import Parameters, chapter_overrides, read_toc
from sots.site.publish import SITE
from sots.site.release import Release
from sots.toc import notebooks_in_toc, pages_in_toc

STAGING_PREFIX = buildkey.STAGING_PREFIX  # a build's scratch folder, beside the site
YEAR_TABLES = sorted({name for names in editions.INPUT_TABLES.values() for name in names})


@dataclass(frozen=True)
class Request:
    """What ``sots build`` was asked for, as given on its command line: the options that change what it publishes
    (:attr:`options`), where it reads and writes (``out``, ``data_dir``, ``cache``; None: the defaults) and how it
    runs (``jobs`` local workers, or the Dask scheduler at ``dask``)."""

    options: buildkey.Options = field(default_factory=buildkey.Options)
    out: Path = Path("_build/site")
    data_dir: Path | None = None
    cache: Path | None = None
    use_cache: bool = True
    jobs: int | None = None
    dask: str | None = None


@dataclass(frozen=True, eq=False)
class BuildPlan:
    """A build, checked and settled: every later stage reads this and nothing else of the request.

    ``editions`` are the editions to publish (of the register ``register``), each built for ``focal`` (the ICB's
    lookup row) and, for a national page, for each of ``others`` (none: no national page). ``overrides`` (parameter
    name -> text) are checked against the chapters that declare them, and typed once: ``typed_overrides`` gives each
    notebook of ``notebooks`` the values it runs with (:func:`sots.site.pipeline.chapter_overrides`; empty for a
    notebook that declares none), which execution injects as they are. ``cache`` is None when the cache is not used.
    ``key`` is the build key of the inputs as the build started (None: it could not be made; the site is then never
    stamped).
    """

    root: Path
    data_dir: Path
    out: Path
    cache: Path | None
    register: tuple[Edition, ...]
    editions: tuple[Edition, ...]
    focal: object
    others: tuple[object, ...]
    lookup: object  # the ICBs' lookup table (pandas), for the national page
    overrides: Mapping[str, str]
    typed_overrides: Mapping[Path, dict]  # notebook (as in ``notebooks``) -> parameter name -> typed value
    claims_register: dict[str, dict]
    report_about: dict
    toc: dict
    notebooks: tuple[Path, ...]  # the chapters' notebooks, in the order _toc.yml lists them
    release: Release
    pdf: bool
    options: buildkey.Options
    key: str | None
    jobs: int | None = None
    dask: str | None = None

    @property
    def national(self) -> bool:
        """Whether each edition is built for other ICBs too (``--all-icbs`` or ``--also-icb``), with a national page
        of every ICB built: ``others``, which may be none (``--also-icb`` naming the focal ICB alone)."""
        return self.options.all_icbs or bool(self.options.also_icbs)

    def checked_claims(self, icb_code: str) -> dict | None:
        """The claims register, for a book of the report's ICB (whose chapters check the claims); None otherwise."""
        return self.claims_register if self.report_about["icb_code"] == icb_code else None


def check_folders(request: Request, root: Path, log: Callable[[str], None]) -> tuple[Path, Path, Path | None]:
    """The site, data and cache folders of ``request`` (absolute), checked: the site a folder sots may write (not the
    project, ``data/`` or the cache), writable; the data folder recovered from a ``sots prepare`` that was killed; the
    staging folders of builds that were stopped removed. InputError, one line, otherwise."""
    data_dir = (request.data_dir or root / "data").resolve()
    out = request.out.resolve()
    cache = (request.cache or root / execcache.FOLDER).resolve() if request.use_cache else None
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: expected a folder for the site (--out), got a file")
    # Publishing replaces what the site holds, and the cache is written into: neither may be a folder sots did not
    # make (the project, tests/golden, data/...), nor the other.
    folders.check_outputs(out, SITE, cache, root, data_dir)
    for folder in (out.parent, *([out] if out.is_dir() else [])):  # staging is made beside the site, then moved in
        check_writable(folder, "the site (--out)")
    for line in prepare.recover(data_dir):  # a prepare killed while it renamed its tables: data/ as it was before
        log(line)
    for stale in remove_stale(out.parent, STAGING_PREFIX):  # left by builds that were killed
        log(f"removed {stale}, left by a build that was stopped")
    return out, data_dir, cache


def choose(register: tuple[Edition, ...], edition_ids: tuple[str, ...], all_editions: bool) -> list[Edition]:
    """The editions to build, oldest first: all of them, those named, or (by default) the current one."""
    if all_editions and edition_ids:
        raise InputError("give --edition or --all-editions, not both")
    if all_editions:
        return list(register)
    if edition_ids:
        chosen = {editions.get(register, i).id for i in edition_ids}
        return [e for e in register if e.id in chosen]
    return [editions.current(register)]


def make(request: Request, root: Path | None, key: str | None, out: Path, data_dir: Path,
         cache: Path | None) -> BuildPlan:
    """The plan of ``request``, every input checked first, each failure one line (InputError): the registers, the
    tables against the data package, each edition's data years, the claims' chapters, the ICBs and the overrides.
    ``out``, ``data_dir`` and ``cache`` are :func:`check_folders`'s; ``key`` the build key as the build started."""
    root = (root or project_root()).resolve()
    options = request.options
    register = editions.load(root / editions.EDITIONS_FILE)
    chosen = choose(register, options.editions, options.all_editions)
    # A table edited by hand, or half-copied, would otherwise be published as if `sots prepare` had made it.
    refuse(data.verify(data_dir))
    claims_path = root / claims.REGISTER
    claims_register, report_about = claims.load(claims_path), claims.report(claims_path)
    lookup = data.load("icb_lookup", data_dir)
    focal = geography.resolve_icb(options.icb, lookup)
    tables = {name: data.load(name, data_dir) for name in YEAR_TABLES}
    refuse([line for e in chosen for line in editions.missing_data_years(e, tables)], f"{editions.EDITIONS_FILE}: ")
    toc = read_toc(root)
    refuse(claims.unknown_chapters(claims_register, pages_in_toc(toc), root, claims_path))
    notebooks = tuple(root / f"{name}.ipynb" for name in notebooks_in_toc(toc))
    overrides = dict(options.overrides)
    typed: dict[Path, dict] = {notebook: {} for notebook in notebooks}
    if overrides:  # a wrong name or value stops the build before any work, like a wrong ICB code
        allowed = assumptions.limits(tables["population_projection"], focal.icb_gss_code)
        typed = chapter_overrides(overrides, list(notebooks),
                                  Parameters(chosen[0], focal.icb_code, data_dir).reserved(), allowed)
    # Every ICB (--all-icbs) or those named (--also-icb), each once, the focal one apart.
    wanted = (list(lookup["icb_code"]) if options.all_icbs
              else [geography.resolve_icb(i, lookup).icb_code for i in options.also_icbs])
    others = tuple(geography.resolve_icb(code, lookup) for code in dict.fromkeys(wanted) if code != focal.icb_code)
    return BuildPlan(root=root, data_dir=data_dir, out=out, cache=cache, register=register, editions=tuple(chosen),
                     focal=focal, others=others, lookup=lookup, overrides=overrides, typed_overrides=typed,
                     claims_register=claims_register, report_about=report_about, toc=toc, notebooks=notebooks,
                     release=release.current(root), pdf=options.pdf, options=options, key=key, jobs=request.jobs,
                     dask=request.dask)
