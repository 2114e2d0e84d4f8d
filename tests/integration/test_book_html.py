"""A book built by Jupyter Book in the build's own process (sots.site.bookhtml) is the book `jupyter-book build`
writes, byte for byte, the first time and every later time in the same process; a warning fails it, quoted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import snapshot
from sots.errors import BuildError
from sots.site import bookhtml

pytestmark = pytest.mark.integration

CONFIG = """title: "A small book"
only_build_toc_files: true
execute:
  execute_notebooks: "off"
sphinx:
  config:
    html_static_path: ["book/_static"]
    # Jupyter Book resolves this against the working folder: the build's is the staged book.
    html_search_scorer: "book/_static/scorer.js"
"""
TOC = "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapter\n"
PAGES = {
    "book/intro.md": "# The front\n\nSee [the chapter](chapter.md), and {ref}`its method <method>`.\n",
    "book/chapter.md": "# A chapter\n\n(method)=\n## Method\n\nSome words.\n",
    "book/_static/scorer.js": "var Scorer = {score: function (result) { return result[4]; }};\n",
}


def small_book(folder: Path, pages: dict[str, str] = PAGES) -> Path:
    for name, text in {"_config.yml": CONFIG, "_toc.yml": TOC, **pages}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def built(stage: Path) -> dict[str, str]:
    return snapshot(stage / bookhtml.HTML)


def test_a_book_built_here_is_the_book_the_command_line_builds_the_first_time_and_every_time_after(tmp_path):
    command = small_book(tmp_path / "command")
    done = subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build", str(command), "--builder",
                           "html", "-W", "-n", "--keep-going", "--all", "-q"], cwd=command, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = built(command)
    # The scorer, read from the staged book (found from the working folder), is inserted in the search's script.
    assert "result[4]" in (command / bookhtml.HTML / "_static" / "language_data.js").read_text()
    for n in range(3):  # the same process each time: the themes' additions to the configuration do not pile up
        here = tmp_path / f"here{n}"
        shutil.copytree(tmp_path / "command", here, ignore=shutil.ignore_patterns("_build"))
        before = Path.cwd()
        assert bookhtml.build_html(here) > 0
        assert Path.cwd() == before
        assert built(here) == expected


def test_a_warning_fails_the_build_with_what_sphinx_said(tmp_path):
    stage = small_book(tmp_path / "book", {**PAGES, "book/chapter.md": "# A chapter\n\nSee {ref}`nowhere`.\n"})
    with pytest.raises(BuildError, match=r"(?s)the Jupyter Book build failed \(warnings are errors\):\n.*"
                                         r"undefined label: 'nowhere'"):
        bookhtml.build_html(stage)
