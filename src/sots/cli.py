"""The ``sots`` command line: prepare the inputs, build the book's editions, list the editions and the ICBs.

Every expected failure (bad input, a failing notebook, a book warning, a full disk) prints one ``error:`` line, plus
the failing cell where there is one, and exits 1; an interrupt (Ctrl-C, SIGTERM) prints one line and exits 130 or
143; anything else (a bug) prints one line naming the exception and exits 2. ``sots --debug`` shows the traceback
instead. Nothing is published, and ``data/`` is not changed, by a command that fails or is stopped.
"""

from __future__ import annotations

import functools
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from sots import project
from sots.errors import SotsError
from sots.inputs.geography import DEFAULT_ICB
from sots.project import DEFAULT_RAW
from sots.site import buildkey

# Only light modules are imported here: each command imports what it needs (pandas, papermill, Jupyter Book), so
# `sots --help` and a build with nothing to do start in a fraction of a second.

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
# Every line is printed as the text it is: no markup, emoji codes or highlighting, so a path, an ICB or a cell that
# holds "[x]", "[/]" or ":smile:" is shown, and never read as styling (a stray "[/]" would end in Rich's MarkupError).
err = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)
out = Console(markup=False, emoji=False, highlight=False, soft_wrap=True)

DataDir = Annotated[Path, typer.Option("--data", help="Folder of prepared tables.")]
ProjectData = Annotated[
    Path | None, typer.Option("--data", help="Folder of prepared tables (default: the project's data/).")
]


DEBUG = {"on": False}  # set by `sots --debug`: let every error raise with its traceback
STOPPED = "nothing was published and data/ is as it was"


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error.")] = False) -> None:
    """Prepare the public sources and build the state of the system book."""
    DEBUG["on"] = debug


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the process is, like Ctrl-C's KeyboardInterrupt, so every cleanup runs."""

    signal = signal.SIGTERM


@contextmanager
def _terminate_like_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Stopped` for this block (by default it ends the process at once, and a build's
    staging folder and kernels would be left for the next run to clean up)."""
    def stop(signum: int, frame: object) -> None:
        raise Stopped()

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave SIGTERM as it is
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say(first: str, rest: list[str], code: int) -> None:
    err.print(Text.assemble(("error:", "bold red"), " ", first))
    for line in rest:
        err.print(line)
    raise typer.Exit(code)


def _fail(error: Exception) -> None:
    if DEBUG["on"]:
        raise error
    if isinstance(error, OSError) and error.filename is not None:  # e.g. a full disk or a folder not writable
        error = SotsError(f"{error.filename}: {error.strerror or error}")
    first, *rest = str(error).splitlines() or [type(error).__name__]
    _say(first, rest, 1)


def reported(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command so that it ends in one ``error:`` line and a non-zero exit, however it fails (see the module's
    docstring), unless ``--debug`` is given."""
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with _terminate_like_interrupt():
                return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (SotsError, OSError) as error:
            _fail(error)
        except KeyboardInterrupt as error:
            if DEBUG["on"]:
                raise
            number = getattr(error, "signal", signal.SIGINT)
            _say(f"stopped by {number.name}; {STOPPED}", [], 128 + number.value)
        except Exception as error:  # a bug: one line, and how to see more
            if DEBUG["on"]:
                raise
            _say(f"unexpected {type(error).__name__}: {error} (a bug in sots; run `sots --debug ...` for the "
                 "traceback and report it)", [], 2)

    return run


@app.command()
@reported
def prepare(
    raw: Annotated[Path, typer.Option(help="Upstream folder laid out like ../shared/data/raw.")] = DEFAULT_RAW,
    data_dir: DataDir = Path("data"),
    verify: Annotated[
        bool, typer.Option("--verify", help="Only recompute checksums against datapackage.json.")
    ] = False,
) -> None:
    """Turn the public sources into tidy, validated tables and datapackage.json under data/."""
    from sots.inputs import data
    from sots.inputs.prepare import prepare as prepare_tables
    from sots.inputs.prepare import recover as recover_tables

    for line in recover_tables(data_dir):  # a prepare killed while it renamed its tables: data/ as it was, first
        out.print(line)
    if verify:
        problems = data.verify(data_dir)
        if problems:  # the first as the error, then every other table that differs
            raise SotsError("\n".join(problems))
        out.print(f"{data_dir}/{data.DATAPACKAGE}: every checksum matches")
        return
    rows = prepare_tables(raw, data_dir)
    for name, n in rows.items():
        out.print(f"wrote {data_dir / data.TABLES[name].filename} ({n} rows)")
    out.print(f"wrote {data_dir / data.DATAPACKAGE}")


def parse_params(pairs: list[str]) -> dict[str, str]:
    """["base_year=2022"] -> {"base_year": "2022"}; InputError for a pair without "=" or a name given twice."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SotsError(f"-p {pair!r}: expected NAME=VALUE, e.g. -p base_year=2022")
        if name.strip() in parsed:
            raise SotsError(f"-p {name.strip()}: given twice")
        parsed[name.strip()] = value.strip()
    return parsed


@app.command()
@reported
def build(
    edition: Annotated[
        list[str] | None,
        typer.Option(help="Edition to build, by its id in editions.yml (e.g. 2024-25); repeat for several. "
                     "Default: the current edition."),
    ] = None,
    all_editions: Annotated[bool, typer.Option("--all-editions", help="Build every edition in editions.yml.")] = False,
    icb: Annotated[str, typer.Option(help="Focal ICB: ODS code (QE1), ONS code (E54000048) or name.")] = (
        DEFAULT_ICB
    ),
    out_dir: Annotated[Path, typer.Option("--out", help="Site folder; each edition goes in <out>/<edition>/.")] = Path(
        "_build/site"
    ),
    data_dir: ProjectData = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A chapter assumption as NAME=VALUE (e.g. base_year=2022), given to the "
                     "chapters that declare it; repeat for several."),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Chapters and books to run at once (default: the cores).")
    ] = None,
    all_icbs: Annotated[
        bool, typer.Option("--all-icbs", help="Also build each edition for every ICB, under <edition>/icb/<CODE>/, "
                           "with a national page of every ICB's headline figures.")
    ] = False,
    also_icb: Annotated[
        list[str] | None, typer.Option("--also-icb", help="Like --all-icbs, for this ICB only; repeat for several.")
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Execution cache folder (default: _build/cache in the project).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Execute every chapter; neither read nor write the cache.")
    ] = False,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Run the chapters and books on this Dask scheduler (e.g. "
                                 "tcp://host:8786) instead of local processes; its workers must see this folder.")
    ] = None,
    no_pdf: Annotated[
        bool, typer.Option("--no-pdf", help="Do not print each edition's PDF (a quicker draft; its front page then "
                           "names no PDF). `make book` prints it.")
    ] = False,
) -> None:
    """Execute every notebook and build the book for each edition; publish only if every edition succeeds."""
    started = time.perf_counter()
    overrides = parse_params(param or [])
    options = buildkey.Options.given(edition or (), all_editions, icb, also_icb or (), all_icbs, overrides, not no_pdf)
    if not no_cache and _nothing_to_build(out_dir, data_dir, options, started):
        return
    from sots.site.build import build as build_site  # heavy imports only when there is something to build
    from sots.site.plan import Request
    from sots.site.progress import progress_report

    request = Request(options, out=out_dir, data_dir=data_dir, cache=cache, use_cache=not no_cache, jobs=jobs,
                      dask=dask)
    with progress_report(out) as report:
        build_site(request, log=out.print, report=report, skip_unchanged=False)


def _nothing_to_build(out_dir: Path, data_dir: Path | None, options: buildkey.Options, started: float) -> bool:
    """True, having said so, if the site already holds what this build would publish
    (:func:`sots.site.buildkey.unchanged`), found before pandas or papermill is imported; False, having said nothing,
    otherwise."""
    site = out_dir.resolve()
    if not buildkey.stamp_path(site).is_file():
        return False  # never stamped: nothing to compare, so nothing to hash
    root = project.project_root().resolve()
    key = buildkey.key_or_none(root, (data_dir or root / "data").resolve(), options)
    return buildkey.unchanged(site, key, out.print, started)


@app.command()
@reported
def check(
    edition: Annotated[str | None, typer.Option(help="Edition to check (default: the current one).")] = None,
    icb: Annotated[str, typer.Option(help="ICB the edition was built for (ODS code).")] = DEFAULT_ICB,
    site: Annotated[
        Path, typer.Option(help="Built site folder, as given to `sots build --out`.")
    ] = Path("_build/site"),
    update: Annotated[
        bool, typer.Option("--update", help="Rewrite the golden file from the build; print the diff.")
    ] = False,
) -> None:
    """Compare a built edition's results.json with its golden values; exit 1 on any drift, missing or new figure."""
    from sots.inputs import editions as register
    from sots.inputs import geography
    from sots.site import golden

    root = project.project_root()
    chosen = register.get(register.load(root / register.EDITIONS_FILE), edition) if edition else (
        register.current(register.load(root / register.EDITIONS_FILE)))
    code = geography.resolve_icb(icb, geography.icb_reference()).icb_code  # a typo is named, not looked for
    results = golden.built_results(site, chosen.id, code)
    path = golden.golden_path(root, chosen.id, code)
    shown = path.relative_to(root)
    if update:
        previous = golden.read(path) if path.is_file() else None
        changes = golden.drift(previous or {}, results, exact=True)
        golden.write(path, golden.from_results(results, chosen.id, code, previous))
        for line in golden.table(changes) if changes else []:
            out.print(line)
        out.print(f"wrote {shown}: {len(changes)} figure(s) changed, {len(results)} in all")
        return
    rows = golden.drift(golden.read(path), results)
    if rows:
        for line in golden.table(rows):
            out.print(line)
        raise SotsError(f"{len(rows)} figure(s) of {chosen.id} for {code} differ from {shown} "
                        "(a deliberate change: `sots check --update`, then commit the file)")
    out.print(f"{chosen.id} {code}: all {len(results)} figures match {shown}")


@app.command()
@reported
def editions() -> None:
    """List the editions in editions.yml: id, status, data years and title."""
    from sots.inputs import editions as register

    listed = register.load(project.project_root() / register.EDITIONS_FILE)
    for e in listed:
        years = ", ".join(f"{k} {v}" for k, v in e.inputs.items())
        out.print(f"{e.id}  {e.status:<8}  {years}  {e.title}")


@app.command()
@reported
def icbs(data_dir: ProjectData = None) -> None:
    """List every ICB's codes and name."""
    from sots.inputs import data

    lookup = data.load("icb_lookup", data_dir or project.project_root() / "data")
    for row in lookup.itertuples():
        out.print(f"{row.icb_code}  {row.icb_gss_code}  {row.icb_name}")


@app.command()
@reported
def inspect(
    file: Annotated[Path, typer.Argument(help="A publisher's file: a workbook (.xlsx) or a CSV.")],
    layout: Annotated[Path | None, typer.Option(
        "--layout", help="A layout to hold it against, e.g. last year's sources/layouts/<table>/<year>.yml.")] = None,
) -> None:
    """List a file's sheets and the rows that look like header rows; with --layout, which of the layout's headers the
    file has, and the closest to each it lacks. For writing a new year's layout; writes nothing."""
    from sots.inputs import headers

    for line in headers.report(file, layout):
        out.print(line)


if __name__ == "__main__":
    app()
