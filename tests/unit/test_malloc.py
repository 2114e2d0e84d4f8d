"""Freed memory handed back to the system: what a kernel starts with, and what the build's own process imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import ROOT
from sots import malloc

pytestmark = pytest.mark.unit


def test_a_kernel_starts_with_the_settings_unless_the_user_set_them():
    env = malloc.child_environment({"PATH": "/bin", "MALLOC_TRIM_THRESHOLD_": "0"})
    assert env == {"PATH": "/bin", "MALLOC_TRIM_THRESHOLD_": "0",  # the user's own value wins
                   "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}


def test_trimming_this_process_is_safe_to_repeat():
    for _ in range(2):
        malloc.trim()


def test_the_builds_own_process_imports_neither_altair_nor_vl_convert():
    # Each holds memory for the whole build (Altair about 30 MB, vl-convert's runtime over 100 MB once it runs), and the
    # build's own process draws no chart: the chapters do, in their kernels, and the vega bundle is made apart.
    code = ("import sys; from sots import cli; from sots.site import build, execcache; "
            "print(sorted(m for m in ('altair', 'vl_convert') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "[]"
