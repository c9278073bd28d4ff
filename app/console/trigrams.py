"""Trigram similarity as pg_trgm computes it, for a server without the extension (pure).

A text's trigrams are those of each of its words (runs of letters and digits, lowercased),
padded with two spaces before and one after; similarity is shared trigrams over all trigrams.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of a text, lowercased, as pg_trgm splits them."""
    return WORD.findall(text.lower())


def trigrams(text: str) -> frozenset[str]:
    """The set of trigrams of a text."""
    found: set[str] = set()
    for word in words(text):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(found)


def similarity(one: frozenset[str], other: frozenset[str]) -> float:
    """pg_trgm's similarity of two trigram sets: 0 (nothing shared) to 1 (the same)."""
    if not one or not other:
        return 0.0
    shared = len(one & other)
    return shared / (len(one) + len(other) - shared)
