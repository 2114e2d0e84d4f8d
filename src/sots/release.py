"""What a build records about itself: the release version, the commit, and a build time that never varies.

The release version is the package's calendar version (``YYYY.N``: the N-th release of year YYYY). The commit is the
project's git commit, with ``-dirty`` when tracked files differ from it. The build time is deterministic, so two
builds of the same commit and inputs are byte-identical: ``SOURCE_DATE_EPOCH`` if set (the reproducible-builds
convention), else the commit time of HEAD. Outside a git checkout the commit is ``unknown`` and the build time is
``SOURCE_DATE_EPOCH``'s, or ``unknown``.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sots.errors import InputError

UNKNOWN = "unknown"
CALVER = re.compile(r"^\d{4}\.[1-9]\d*$")  # YYYY.N


@dataclass(frozen=True)
class Release:
    """The version, commit and build time of one build."""

    version: str
    commit: str
    build_time: str
    build_time_source: str  # where build_time came from: SOURCE_DATE_EPOCH, commit time, or unknown

    @property
    def short_commit(self) -> str:
        """The commit's first 12 hex digits (with any ``-dirty``), or ``unknown``."""
        if self.commit == UNKNOWN:
            return UNKNOWN
        sha, _, dirty = self.commit.partition("-")
        return sha[:12] + (f"-{dirty}" if dirty else "")


def version() -> str:
    """The installed package's calendar version, e.g. ``2026.1``."""
    return metadata.version("sots")


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _in_own_checkout(root: Path) -> bool:
    """Whether ``root`` is the top of a git work tree (not a folder inside some other repository)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    return top is not None and Path(top).resolve() == root.resolve()


def commit(root: Path) -> str:
    """HEAD's full hash, with ``-dirty`` if tracked files differ from it; ``unknown`` outside a git checkout."""
    if not _in_own_checkout(root):
        return UNKNOWN
    sha = _git(root, "rev-parse", "HEAD")
    if not sha:
        return UNKNOWN
    changed = _git(root, "status", "--porcelain", "--untracked-files=no")
    return f"{sha}-dirty" if changed else sha


def iso_utc(epoch_seconds: int) -> str:
    """Seconds since 1970 (UTC) as ISO 8601, e.g. ``2026-01-31T12:00:00+00:00``."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).isoformat()


def build_time(root: Path, environ: dict[str, str] | None = None) -> tuple[str, str]:
    """The build time and its source, never the clock.

    ``SOURCE_DATE_EPOCH`` (ISO 8601, UTC) if set; else HEAD's commit time (UTC); else ``unknown``.
    """
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise InputError(f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, got {epoch!r}")
        return iso_utc(int(epoch)), "SOURCE_DATE_EPOCH"
    if _in_own_checkout(root) and (when := _git(root, "log", "-1", "--format=%ct")):
        return iso_utc(int(when)), "commit time"
    return UNKNOWN, UNKNOWN


def current(root: Path) -> Release:
    """The release facts for a build of the project at ``root``."""
    when, source = build_time(root)
    return Release(version=version(), commit=commit(root), build_time=when, build_time_source=source)
