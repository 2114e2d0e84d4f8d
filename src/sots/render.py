"""HTML the build writes itself (the redirect pages, the footer), rendered from Jinja2 templates.

The pages live as templates in ``sots/templates/``, shipped with the package, so their markup is read and changed as
HTML rather than assembled in Python strings. Autoescaping is on, so a value (an edition id, a commit, a target URL)
can never break out of its attribute or element; an undefined value is an error rather than an empty string, so a
misspelt name in a template fails the build instead of publishing a page with a hole in it.
"""

from __future__ import annotations

from functools import cache

import jinja2

TEMPLATES = "templates"  # the folder of templates inside the sots package


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sots", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,  # a page ends with a line break, as the file does
    )


def render(template: str, **values: str) -> str:
    """The template ``template`` (a file name in ``sots/templates/``) filled with ``values``, each escaped."""
    return _environment().get_template(template).render(**values)
