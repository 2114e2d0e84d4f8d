"""Hashing every wing shares: the sha256 of a file's bytes, and of a value as canonical JSON (the execution cache's
and the build key's digests alike).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def digest(value: object) -> str:
    """``sha256:<hex>`` of ``value`` as canonical JSON (sorted keys)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def file_sha256(path: Path | str) -> str:
    """Hex sha256 of a file's bytes, read in blocks so a large file is never held in memory."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
