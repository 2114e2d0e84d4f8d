"""Freed memory handed back to the system, so that a build's long-lived processes stay small.

glibc's allocator keeps what a process frees for its own reuse, and it raises the size above which it maps a block on
its own each time such a block is freed. A process that has read and validated the population projection (half a
million rows; pandas and pandera make and drop copies of its columns) therefore keeps about 35 MB of freed memory
resident for the rest of its life: in each warm kernel and in the build's own process. :data:`SETTINGS` stop that:
every block over 128 KiB is mapped on its own and unmapped when it is freed (a fixed threshold, which glibc then leaves
alone), and the top of the heap goes back to the system once 128 KiB of it is free.

They are given to the kernels a build starts, not set in the build's own process: a test suite that runs builds
in its own process would run every later test under them. That process trims instead (:func:`trim`), once it has
dropped the tables. Only glibc reads these; on another C library they, and :func:`trim`, do nothing.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Mapping

# The environment variables glibc reads its allocator's settings from when a process starts (mallopt(3)).
THRESHOLD_BYTES = 128 * 1024
SETTINGS = {"MALLOC_TRIM_THRESHOLD_": THRESHOLD_BYTES, "MALLOC_MMAP_THRESHOLD_": THRESHOLD_BYTES}


@functools.cache
def _libc():
    """The C library's functions as ctypes sees them in this process, or None where there is no glibc."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with :data:`SETTINGS` for a child process, such as a kernel;
    a value already set there is kept, so a user's own setting wins."""
    env = dict(os.environ if base is None else base)
    for name, value in SETTINGS.items():
        env.setdefault(name, str(value))
    return env


def trim() -> None:
    """Hand the memory this process has freed back to the system now (``malloc_trim(3)``), for a process that has just
    dropped something large and lives on."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
