"""Sphinx extension: each HTML template is compiled once a process, not once a book.

A process of the build builds book after book, each with a fresh Sphinx application (:mod:`sots.site.bookhtml`), and
each application's Jinja environment compiled the theme's thirty-odd templates again: about 0.2 s of CPU a book, of
every ICB's. The compiled code is kept here, for the life of the process, in Jinja's own bytecode cache, under the
template's name and file and checked against the sha1 of its source, so a template that changed is compiled again.
Every book of a process has the same theme and template settings, so the code is the same code it would compile.
"""

from __future__ import annotations

from typing import Any

import jinja2
from sphinx.application import Sphinx


class ProcessBytecodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates, in memory: a bucket's bytes under its key (the template's name and file)."""

    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.kept.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # Jinja drops it if the source's checksum is not the one it was made from

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.kept[bucket.key] = bucket.bytecode_to_string()


CACHE = ProcessBytecodeCache()


def use_cache(app: Sphinx) -> None:
    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if environment is not None:  # a builder with no Jinja templates (say, the linkcheck builder) has nothing to keep
        environment.bytecode_cache = CACHE


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", use_cache)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
