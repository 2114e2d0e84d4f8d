"""The catalogue of bad input and failures, shared by its modules (tests/integration/test_catalogue*.py): the register
of its cases, and how a case checks that a command was refused with nothing changed.

Each case is a test named once in :data:`CASES`, by :func:`case` or :func:`cases`; the ``project`` fixture
(tests/integration/conftest.py) gives it a copy of the project with a small published site.
"""

from __future__ import annotations

import pytest

from helpers import assert_refused, cli, snapshot
from sots.inputs import prepare

CASES: list[str] = []  # every case's id, in the order the catalogue's modules are collected


def cases(names: str, params: list) -> pytest.MarkDecorator:
    """pytest.mark.parametrize over ``params`` (each a pytest.param with an id), each one a case of the catalogue."""
    CASES.extend(p.id for p in params)
    return pytest.mark.parametrize(names, params)


def case(name: str):
    """A test that is one case of the catalogue."""
    CASES.append(name)
    return lambda test: test


class Unchanged:
    """Snapshots of the project's data/ and site, to compare after a refused command."""

    def __init__(self, root):
        self.root = root
        self.before = self.now()

    def now(self):
        return {name: snapshot(self.root / name) for name in ("data", "_build/site")}

    def check(self):
        assert self.now() == self.before
        assert not list((self.root / "_build").glob(".sots-staging-*")), "a staging folder is left"
        assert not list((self.root / "data").glob(prepare.SCRATCH_PREFIX + "*")), "a scratch folder is left"


def refused(project, *args, expected, shown=0):
    """Run `sots *args` in ``project``: refused in one line holding each of ``expected``, nothing changed."""
    unchanged = Unchanged(project)
    result = cli(*args, cwd=project)
    line = assert_refused(result, *expected, shown=shown)
    assert "building edition" not in result.stdout and "published" not in result.stdout
    unchanged.check()
    return line
