"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from helpers import EDITIONS, copy_project
from sots.site import folders, publish


@pytest.fixture
def project(tmp_path):
    """A copy of the project (its data/, notebooks, registers) and a published site beside it, marked as a site sots
    made (its editions are too small to be recognised as one by what they hold)."""
    root = copy_project(tmp_path / "project")
    site = root / "_build" / "site"
    for edition in EDITIONS:
        (site / edition).mkdir(parents=True)
        (site / edition / "index.html").write_text(f"<p>the published {edition} edition</p>\n")
    (site / "switcher.json").write_text("[]\n")
    (site / "index.html").write_text("<p>front page</p>\n")
    folders.mark(site, publish.SITE)
    return root
