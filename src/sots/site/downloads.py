"""Each chapter as a Python script, for readers to download beside the executed notebook.

The theme's download menu already offers each chapter's executed notebook (``.ipynb``, from ``_sources/``). A reader
who wants the code without Jupyter gets the same chapter as a script, made by nbconvert's ``ScriptExporter`` from
the executed notebook (its markdown as comments, its code cells in order, papermill's injected parameters
included), written into the staged book's ``_static/`` so it is published with the edition, works offline and is
listed in the manifest. :mod:`sots.site.sphinx_downloads` links it from the chapter's page.
"""

from __future__ import annotations

from pathlib import Path

from sots.errors import BuildError

DOWNLOADS_FOLDER = "downloads"  # under the book's _static: <notebook>.py for each chapter


def script_name(notebook: str) -> str:
    """The script's file name for a notebook's page or file name (``notebooks/finance`` -> ``finance.py``)."""
    return f"{Path(notebook).stem}.py"


def write_script(nb, target: Path, name: str | None = None) -> None:
    """Write an executed notebook (in memory) as the Python script ``target``; BuildError naming the notebook
    (``name``, default the target's stem) if its kernel is not Python."""
    from nbconvert import ScriptExporter  # heavy: only a build needs it

    body, resources = ScriptExporter().from_notebook_node(nb)
    # ScriptExporter follows the kernel's language_info; a chapter whose kernel is not Python gives no .py.
    if resources.get("output_extension") != ".py":
        raise BuildError(f"{name or target.stem + '.ipynb'}: nbconvert made a {resources.get('output_extension')!r} "
                         "file, expected a Python script (.py): is the notebook's kernel Python?")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
