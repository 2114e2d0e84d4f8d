"""The HTML the build writes itself: rendered from the package's templates, every value escaped."""

import fnmatch
import tomllib
from importlib import resources

import jinja2
import pytest

from helpers import ROOT
from sots.render import TEMPLATES, render
from sots.site import publish

pytestmark = pytest.mark.unit


def test_the_redirect_page_escapes_its_target_and_names_the_icon():
    page = publish.redirect_page('2024-25/a"b<c>.html', "2024-25/_static/favicon.svg")
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")
    assert '<meta http-equiv="refresh" content="0; url=2024-25/a&#34;b&lt;c&gt;.html">' in page
    assert '<link rel="icon" href="2024-25/_static/favicon.svg">' in page
    assert '"b<c>' not in page


def test_a_value_a_template_names_but_is_not_given_is_an_error_not_an_empty_string():
    with pytest.raises(jinja2.UndefinedError, match="icon"):
        render("redirect.html", target="x.html")


def test_every_template_ships_with_the_package():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["sots"]
    names = [p.name for p in resources.files("sots").joinpath(TEMPLATES).iterdir() if p.name.endswith(".html")]
    assert {"redirect.html", "footer.html"} <= set(names)
    for name in names:
        assert any(fnmatch.fnmatch(f"{TEMPLATES}/{name}", p) for p in patterns), name
