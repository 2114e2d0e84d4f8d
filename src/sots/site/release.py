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
# A version as PEP 440 writes it canonically (its appendix B): the footer and the build's first line print it.
PEP440 = re.compile(r"^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?"
                    r"(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?$")
PYPROJECT = "pyproject.toml"
# The build times SOURCE_DATE_EPOCH may give, in seconds since 1970 (UTC): from 1980-01-01 (the earliest time a zip
# file, such as a wheel, can record) to the last second of 9999, the last year an ISO 8601 date writes in four digits.
EARLIEST_EPOCH, LATEST_EPOCH = 315_532_800, 253_402_300_799


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


def version(root: Path | None = None) -> str:
    """The release version, e.g. ``2026.1``: ``project.version`` in the ``pyproject.toml`` of the project at ``root``
    if it has one, else the installed package's; InputError naming the file if it is not a PEP 440 version."""
    path = root / PYPROJECT if root is not None else None
    if path is None or not path.is_file():
        return check_version(metadata.version("sots"), "the installed sots package's metadata")
    import tomllib

    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid TOML ({err})") from None
    found = project.get("version") if isinstance(project, dict) else None
    return check_version(found, f"{path}: field 'project.version'")


def check_version(found: object, where: str) -> str:
    """``found`` if it is a PEP 440 version (as a string); else InputError naming ``where`` it came from."""
    if not isinstance(found, str) or not PEP440.match(found):
        got = "nothing" if found is None else repr(found)
        raise InputError(f"{where}: expected a PEP 440 version such as 2026.1 (the year, then the release), got {got}")
    return found


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
        # isdecimal, not isdigit: "²" is a digit int() refuses. A huge value would fail in the clock's own terms.
        if not (epoch.isascii() and epoch.isdecimal() and EARLIEST_EPOCH <= int(epoch) <= LATEST_EPOCH):
            raise InputError(f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, from {EARLIEST_EPOCH} (1980) to "
                             f"{LATEST_EPOCH} (the end of 9999), got {epoch!r}")
        return iso_utc(int(epoch)), "SOURCE_DATE_EPOCH"
    if _in_own_checkout(root) and (when := _git(root, "log", "-1", "--format=%ct")):
        return iso_utc(int(when)), "commit time"
    return UNKNOWN, UNKNOWN


def current(root: Path) -> Release:
    """The release facts for a build of the project at ``root``."""
    when, source = build_time(root)
    return Release(version=version(root), commit=commit(root), build_time=when, build_time_source=source)
