"""A staged book's HTML, built by Jupyter Book in this process: ``jupyter-book build STAGE --builder html -W -n
--keep-going --all -q``, without starting a Python for it.

A new process would spend about a second starting Python and importing Sphinx, its extensions and the theme before
it read a page: more than half of what the build of one book costs, and paid again for every book of every ICB. Here
a process pays it once (a worker of the build's pool, or the build's own process for a single book) and each book is
built by a fresh Sphinx application, from a fresh environment (``--all``), so no book sees another's.

Sphinx is not made to run twice at once in one process: it patches docutils' globals while it builds, and Jupyter
Book's configuration resolves ``html_search_scorer`` against the working folder. So one book is built at a time per
process (:data:`_ONE_AT_A_TIME`; the build's books run side by side in separate processes), in the staged book's
folder, and the working folder is restored after. What Sphinx says on stderr, its warnings, is captured and, when the
build fails (every warning fails it), given in the BuildError.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from sots.errors import BuildError

HTML = Path("_build") / "html"  # under the staged book
DETAIL_CHARS = 4000  # of Sphinx's warnings, the last this many are quoted: the first failure is usually enough
_ONE_AT_A_TIME = threading.Lock()


@contextlib.contextmanager
def _working_folder(folder: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def templates_path(stage: Path) -> list[str]:
    """A new list of the templates folders the staged book's ``_config.yml`` names (``sphinx: config:
    templates_path``), none if it names none."""
    import yaml

    config = yaml.safe_load((stage / "_config.yml").read_text(encoding="utf-8")) or {}
    named = ((config.get("sphinx") or {}).get("config") or {}).get("templates_path") or []
    return [str(p) for p in named]


def build_html(stage: Path) -> float:
    """Build the staged book at ``stage`` to HTML (``stage/_build/html``) with warnings as errors, as ``jupyter-book
    build --builder html -W -n --keep-going --all -q`` run in ``stage`` does; return the seconds it took. A warning
    or an error is a BuildError quoting what Sphinx said."""
    from jupyter_book.sphinx import build_sphinx  # a second to import: only a process that builds a book needs it

    stage = stage.resolve()
    said = io.StringIO()
    started = time.perf_counter()
    with (_ONE_AT_A_TIME, _working_folder(stage), contextlib.redirect_stderr(said),
          contextlib.redirect_stdout(io.StringIO())):
        result = build_sphinx(
            stage, stage / HTML, use_external_toc=True, noconfig=True, path_config=stage / "_config.yml",
            # What the command line sets: its table of contents (an absolute path, as it gives it), -n. And a list of
            # this book's own for the themes to add their templates to: they append to the configuration's value,
            # which by default is one list for every application of the process, so each book would add its copies
            # to the last book's, and the page's .buildinfo hash (of the configuration) would differ from a first
            # build's.
            confoverrides={"external_toc_path": (stage / "_toc.yml").as_posix(), "latex_individualpages": False,
                           "nitpicky": True, "templates_path": templates_path(stage)},
            builder="html", warningiserror=True, keep_going=True, freshenv=True, quiet=True,
        )
    if isinstance(result, KeyboardInterrupt):  # Sphinx hands back what stopped it: Ctrl-C stops the build, as ever
        raise result
    if result != 0:
        lines = [line for line in said.getvalue().splitlines() if line.strip()]
        if isinstance(result, BaseException):
            lines.append(f"{type(result).__name__}: {result}")
        raise BuildError("the Jupyter Book build failed (warnings are errors):\n"
                         + "\n".join(lines)[-DETAIL_CHARS:])
    return time.perf_counter() - started
