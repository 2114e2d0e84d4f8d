"""Paths and a command runner shared by the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
# The upstream raw data sit beside the project, as in CI; SOTS_RAW points elsewhere.
RAW = Path(os.environ.get("SOTS_RAW", ROOT.parent / "shared" / "data" / "raw"))


def sots(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the installed `sots` command as a user would."""
    exe = shutil.which("sots", path=str(Path(sys.executable).parent)) or "sots"
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True)
