"""Small pieces of English that the book's generated sentences share."""

from __future__ import annotations


def listed(items: list[str]) -> str:
    """Items as a sentence lists them: 'a', 'a and b', 'a, b and c'; '' for none."""
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""
