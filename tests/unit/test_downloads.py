"""Each chapter as a Python script to download: written from the executed notebook, linked from the page's menu."""

from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from sots.errors import BuildError
from sots.site import downloads, sphinx_downloads

pytestmark = pytest.mark.unit


# What an executed notebook's metadata says of its kernel, as ipykernel writes it.
PYTHON = {"name": "python", "nbconvert_exporter": "python", "file_extension": ".py", "mimetype": "text/x-python"}


def notebook(path, *cells, language=PYTHON):
    nb = new_notebook(cells=list(cells), metadata={"language_info": language})
    nbformat.write(nb, path)
    return path


def test_each_notebook_becomes_a_script_that_compiles_with_its_prose_as_comments(tmp_path):
    first = notebook(tmp_path / "funding_per_head.ipynb", new_markdown_cell("# Funding per head\n\nSome prose."),
                     new_code_cell('edition = "2024-25"', metadata={"tags": ["injected-parameters"]}),
                     new_code_cell("%matplotlib inline\ntotal = sum(range(4))"))
    second = notebook(tmp_path / "finance.ipynb", new_code_cell("x = 1"))
    folder = tmp_path / "_static" / "downloads"
    written = [folder / downloads.script_name(p.name) for p in (first, second)]
    for path, target in zip((first, second), written):
        downloads.write_script(nbformat.read(path, as_version=4), target)
    assert [p.name for p in written] == ["funding_per_head.py", "finance.py"]
    text = written[0].read_text()
    compile(text, written[0].name, "exec")
    assert "# # Funding per head" in text and "# Some prose." in text
    assert 'edition = "2024-25"' in text and "total = sum(range(4))" in text
    assert "%matplotlib" not in text  # a magic becomes a call to IPython, which compiles
    # The same notebook gives the same bytes, so builds stay byte-identical.
    again = tmp_path / "again" / downloads.script_name(first.name)
    downloads.write_script(nbformat.read(first, as_version=4), again)
    assert again.read_bytes() == written[0].read_bytes()


def test_the_script_is_nbconverts_own_though_made_from_the_sources_alone_and_the_notebook_is_left_whole(tmp_path):
    from nbconvert import ScriptExporter
    from nbformat.v4 import new_output, new_raw_cell

    chart = {"application/vnd.vegalite.v5+json": {"mark": "bar"}, "text/plain": ["<VegaLite 5 object>"]}
    path = notebook(tmp_path / "chapter.ipynb", new_markdown_cell("# A chapter\n\nWith *prose*."),
                    new_code_cell("import os\n!ls\nos.getcwd()", execution_count=1, outputs=[
                        new_output("stream", name="stdout", text="a\n"),
                        new_output("execute_result", data={"text/plain": "'/tmp'"}, execution_count=1),
                        new_output("display_data", data=chart)]),
                    new_raw_cell("raw text"),
                    new_code_cell("1 / 0", execution_count=2, outputs=[
                        new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]))
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    downloads.write_script(nb, tmp_path / "chapter.py")
    assert (tmp_path / "chapter.py").read_text() == ScriptExporter().from_notebook_node(nbformat.read(path, 4))[0]
    assert nbformat.writes(nb) == before  # its outputs are still there, to be published


def test_a_notebook_whose_kernel_is_not_python_is_refused_rather_than_mislabelled(tmp_path):
    r = notebook(tmp_path / "chapter.ipynb", new_code_cell("x <- 1"), language={"name": "R", "file_extension": ".r"})
    with pytest.raises(BuildError, match=r"chapter.ipynb: nbconvert made a '.r' file, expected a Python script"):
        downloads.write_script(nbformat.read(r, as_version=4), tmp_path / "downloads" / "chapter.py")


def page(tmp_path, pagename, suffix=".ipynb"):
    buttons = [{"label": "download-source-button", "text": suffix}, {"label": "download-pdf-button", "text": ".pdf"}]
    context = {"page_source_suffix": suffix, "header_buttons": [{"label": "download-buttons", "buttons": buttons}],
               "pathto": lambda target, resource: f"../{target}"}
    sphinx_downloads.add_script_download(SimpleNamespace(srcdir=str(tmp_path)), pagename, "page.html", context, None)
    return [(b["label"], b.get("url")) for b in buttons]


def test_a_chapter_page_offers_its_script_after_its_notebook_by_a_relative_address(tmp_path):
    (tmp_path / "_static" / "downloads").mkdir(parents=True)
    (tmp_path / "_static" / "downloads" / "finance.py").write_text("x = 1\n")
    assert page(tmp_path, "notebooks/finance") == [
        ("download-source-button", None), ("download-script-button", "../_static/downloads/finance.py"),
        ("download-pdf-button", None)]
    # A prose page (markdown) has no script.
    assert [label for label, _ in page(tmp_path, "book/intro", ".md")] == ["download-source-button",
                                                                          "download-pdf-button"]


def test_a_chapter_page_without_its_script_is_a_warning(tmp_path, caplog):
    with caplog.at_level("WARNING"):
        labels = [label for label, _ in page(tmp_path, "notebooks/finance")]
    assert "download-script-button" not in labels
    assert "notebooks/finance: no script to download at _static/downloads/finance.py" in caplog.text
