"""Search without pg_trgm: a version's names and description words held in memory.

Names are ranked by pg_trgm's similarity (`trigrams.py`), each distinct name once (a large model
repeats its column names thousands of times), with a bonus for a name equal to or containing
what was typed; an entity whose description has every word typed is found too (as Postgres
full-text's `simple` configuration matches words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.console.trigrams import similarity, trigrams, words

THRESHOLD = 0.3  # pg_trgm's default similarity_threshold
SAID = 0.1  # what a description holding every word typed adds
Entity = tuple[str, str, str | None, str | None]  # kind, name, owner, description


@dataclass(frozen=True, slots=True)
class Named:
    """The entities sharing one name (lower-cased), in order, and the name's trigrams."""

    name: str
    grams: frozenset[str]
    entities: list[Entity]


@dataclass(slots=True)
class HeldNames:
    """One version's names and description words."""

    names: list[Named] = field(default_factory=list)
    said: dict[str, set[int]] = field(default_factory=dict)  # word -> ids into `described`
    described: list[Entity] = field(default_factory=list)

    @classmethod
    def of(cls, rows: list[Entity]) -> HeldNames:
        """Held names of (kind, name, owner, description) rows."""
        held, by_name = cls(), dict[str, list[Entity]]()
        for row in sorted(rows, key=lambda r: (r[0], r[1], r[2] or "")):
            by_name.setdefault(row[1].lower(), []).append(row)
            if row[3]:
                for word in set(words(row[3])):
                    held.said.setdefault(word, set()).add(len(held.described))
                held.described.append(row)
        held.names = [Named(name, trigrams(name), found) for name, found in by_name.items()]
        return held

    def find(self, query: str, limit: int) -> list[dict[str, Any]]:
        """The best `limit` entities for a query (lower-cased), best first."""
        grams = trigrams(query)
        scored: list[tuple[float, Named]] = []
        for named in self.names:
            score = similarity(grams, named.grams)
            score += 1 if named.name == query else 0.5 if query in named.name else 0
            if score >= THRESHOLD:
                scored.append((score, named))
        scored.sort(key=lambda hit: (-hit[0], hit[1].name))
        hits: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        for score, named in scored:
            for kind, name, owner, description in named.entities[: limit - len(hits)]:
                hits[(kind, name, owner)] = _hit(kind, name, owner, description, score)
            if len(hits) >= limit:
                break
        for kind, name, owner, description in self._described(query):
            key = (kind, name, owner)
            if key in hits:
                hits[key]["score"] += SAID
            else:
                hits[key] = _hit(kind, name, owner, description, SAID)
        ranked = sorted(hits.values(), key=lambda h: (-h["score"], h["kind"], h["name"]))
        return ranked[:limit]

    def _described(self, query: str) -> list[Entity]:
        asked = words(query)
        if not asked:
            return []
        ids = set.intersection(*(self.said.get(word, set()) for word in asked))
        return [self.described[i] for i in sorted(ids)]


def _hit(
    kind: str, name: str, owner: str | None, description: str | None, score: float
) -> dict[str, Any]:
    return {"kind": kind, "name": name, "owner": owner, "description": description, "score": score}
