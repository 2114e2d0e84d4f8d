"""Small pieces of English that the book's generated sentences share."""

from __future__ import annotations


def listed(items: list[str]) -> str:
    """Items as a sentence lists them: 'a', 'a and b', 'a, b and c'; '' for none."""
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 22 -> '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def clause(sentence: str) -> str:
    """A sentence as a clause inside another: no full stop, and a lower-case first letter unless it starts a name
    or an acronym ("The trust accounts ..." -> "the trust accounts ...", "NHS England ..." stays)."""
    text = sentence.strip().rstrip(".")
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text
