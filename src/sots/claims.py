"""The claims register (``claims.yml``): what the report stated, for chapters to compare with what the data give."""

from __future__ import annotations

from pathlib import Path

import yaml

from sots.data import project_root
from sots.errors import InputError

REGISTER = "claims.yml"
REQUIRED = ("id", "claim", "stated", "unit", "figures", "tolerance", "chapter")


def _read(path: Path | None) -> tuple[Path, dict]:
    path = Path(path) if path else project_root() / REGISTER
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected the claims register)")
    return path, yaml.safe_load(path.read_text()) or {}


def report(path: Path | None = None) -> dict:
    """Which report the claims are from: ``edition``, ``icb_code``, ``title``, ``publisher``, ``period``."""
    path, doc = _read(path)
    block = doc.get("report") or {}
    missing = [f for f in ("edition", "icb_code", "title", "publisher", "period") if f not in block]
    if missing:
        raise InputError(f"{path}: report: missing field '{missing[0]}'")
    return block


def load(path: Path | None = None) -> dict[str, dict]:
    """Every claim by id, each checked for its required fields; InputError naming the claim and field otherwise."""
    path, doc = _read(path)
    entries = doc.get("claims") or []
    claims: dict[str, dict] = {}
    for i, entry in enumerate(entries, 1):
        cid = entry.get("id", f"entry {i}")
        missing = [f for f in REQUIRED if f not in entry]
        if missing:
            raise InputError(f"{path}: claim {cid}: missing field '{missing[0]}'")
        if cid in claims:
            raise InputError(f"{path}: claim {cid}: appears twice")
        claims[cid] = entry
    return claims


def stated(claim_id: str, path: Path | None = None) -> float:
    """The value the report stated for a claim, in the claim's unit."""
    claims = load(path)
    if claim_id not in claims:
        raise InputError(f"claims register: no claim '{claim_id}' (have {', '.join(claims)})")
    return claims[claim_id]["stated"]
