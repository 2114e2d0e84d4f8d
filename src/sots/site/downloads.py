"""Each chapter as a Python script, for readers to download beside the executed notebook.

The theme's download menu already offers each chapter's executed notebook (``.ipynb``, from ``_sources/``). A reader
who wants the code without Jupyter gets the same chapter as a script, made by nbconvert's ``ScriptExporter`` from
the executed notebook (its markdown as comments, its code cells in order, papermill's injected parameters
included), written into the staged book's ``_static/`` so it is published with the edition, works offline and is
listed in the manifest. :mod:`sots.site.sphinx_downloads` links it from the chapter's page.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sots.errors import BuildError

DOWNLOADS_FOLDER = "downloads"  # under the book's _static: <notebook>.py for each chapter
_local = threading.local()  # one exporter per thread: a Dask worker may run chapters in several threads at once


def script_name(notebook: str) -> str:
    """The script's file name for a notebook's page or file name (``notebooks/finance`` -> ``finance.py``)."""
    return f"{Path(notebook).stem}.py"


def _exporter():
    """This thread's script exporter, made once (a new one compiles its templates again, a thirtieth of a second each
    chapter), without preprocessors: none changes a script under nbconvert's default configuration, yet each validated
    the whole notebook again, charts and all."""
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        from nbconvert import ScriptExporter  # heavy: only a build needs it
        from traitlets.config import Config

        # Exporter: the section ScriptExporter and the language's own exporter (PythonExporter), to which it hands a
        # Python notebook, both read.
        exporter = _local.exporter = ScriptExporter(config=Config({"Exporter": {"default_preprocessors": []}}))
    return exporter


def sources_only(nb):
    """The notebook ``nb`` without its code cells' outputs, as a new notebook (``nb`` is left as it is): a script
    holds the cells' sources, and an exporter copies the notebook it is given, whose charts are most of its bytes."""
    from nbformat import NotebookNode

    return NotebookNode({**nb, "cells": [NotebookNode({**cell, "outputs": []}) if cell.get("cell_type") == "code"
                                         else cell for cell in nb["cells"]]})


def write_script(nb, target: Path, name: str | None = None) -> None:
    """Write an executed notebook (in memory) as the Python script ``target``, as nbconvert's ``ScriptExporter``
    makes it with its default configuration; BuildError naming the notebook (``name``, default the target's stem) if
    its kernel is not Python."""
    body, resources = _exporter().from_notebook_node(sources_only(nb))
    # ScriptExporter follows the kernel's language_info; a chapter whose kernel is not Python gives no .py.
    if resources.get("output_extension") != ".py":
        raise BuildError(f"{name or target.stem + '.ipynb'}: nbconvert made a {resources.get('output_extension')!r} "
                         "file, expected a Python script (.py): is the notebook's kernel Python?")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
