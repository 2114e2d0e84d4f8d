"""The vendored axe-core is the file its record says: the npm release it names, byte for byte."""

import hashlib
import json
import re

import pytest

from helpers import AXE, AXE_VENDOR

pytestmark = pytest.mark.unit


def test_vendored_axe_core_matches_its_record():
    record = json.loads((AXE_VENDOR / "axe-core.json").read_text())
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in AXE_VENDOR.iterdir() if p.name not in ("axe-core.json", "README.md")}
    assert on_disk == record["files"]
    assert record["package"] == "axe-core" and record["license"] == "MPL-2.0"
    assert record["version"].startswith("4.")
    assert record["tarball"] == f"https://registry.npmjs.org/axe-core/-/axe-core-{record['version']}.tgz"
    assert record["tarball_integrity"].startswith("sha512-") and re.fullmatch(r"[0-9a-f]{64}", record["tarball_sha256"])
    # The script states its own version in its banner, and the licence is the MPL's text.
    assert AXE.read_text()[:40].startswith(f"/*! axe v{record['version']}\n")
    assert (AXE_VENDOR / "LICENSE").read_text().startswith("Mozilla Public License, version 2.0")
    assert f"axe-core {record['version']}" in (AXE_VENDOR / "README.md").read_text()
