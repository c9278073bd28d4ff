"""One search over the active version's datastores, datasets, columns, workspaces, transformers,
teams and zones: ranked by trigram similarity of the name, a name containing the words, and
Postgres full-text on the description; typo-tolerant.

Migration 0013 makes the view searched, model_search_entities (every version's named entities).
Descriptions are matched by Postgres full-text. With pg_trgm in the database (0013 creates it
where the server has it, as PostgreSQL 15's contrib does), Postgres ranks the names too. Without
it (the embedded server ships no pg_trgm), the names of the version are read once and ranked
here with pg_trgm's similarity (`trigrams.py`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.console.trigrams import similarity, trigrams, words

log = logging.getLogger("ecoplane.console")
THRESHOLD = 0.3  # pg_trgm's default similarity_threshold
DESCRIBED = "to_tsvector('simple', coalesce(description, '')) @@ plainto_tsquery('simple', $2)"
MATCHED = f"(lower(name) % $2 OR strpos(lower(name), $2) > 0 OR {DESCRIBED})"
TEXT_RANK = (
    "ts_rank(to_tsvector('simple', coalesce(description, '')), plainto_tsquery('simple', $2))"
)
RANK = (
    "similarity(lower(name), $2)"
    " + CASE WHEN lower(name) = $2 THEN 1 WHEN strpos(lower(name), $2) > 0 THEN 0.5 ELSE 0 END"
    f" + 0.3 * {TEXT_RANK}"
)


def _entities(where: str) -> str:
    return (
        "SELECT kind, name, owner, description FROM model_search_entities"
        f" WHERE version_id = $1 AND {where}"
    )


TRGM_SEARCH = (
    f"SELECT kind, name, owner, description, {RANK} AS score FROM ({_entities(MATCHED)}) e"
    " ORDER BY score DESC, kind, name LIMIT $3"
)
ALL_NAMES = _entities("TRUE")
DESCRIPTION_SEARCH = (
    f"SELECT kind, name, owner, description, 0.3 * {TEXT_RANK} AS score"
    f" FROM ({_entities(DESCRIBED)}) e ORDER BY score DESC LIMIT $3"
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One searchable entity of a version, with what ranks it here."""

    kind: str
    name: str
    owner: str | None
    description: str | None
    grams: frozenset[str]

    def as_hit(self, score: float) -> dict[str, Any]:
        """The hit as the page shows it."""
        return {"kind": self.kind, "name": self.name, "owner": self.owner,
                "description": self.description, "score": score}  # fmt: skip


class Search:
    """Searches one database: by pg_trgm when it is there, else over names held here."""

    def __init__(self) -> None:
        self.trgm: bool | None = None
        self.names: dict[int, tuple[list[Entry], dict[str, list[int]]]] = {}
        self.lock = asyncio.Lock()

    async def find(
        self, connection: asyncpg.Connection, version_id: int, text: str, limit: int
    ) -> list[dict[str, Any]]:
        """The best `limit` hits for `text`, best first."""
        query = text.strip().lower()[:200]
        if not words(query):
            return []
        if self.trgm is None:
            self.trgm = bool(
                await connection.fetchval("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            )
            if not self.trgm:
                log.warning("console search: pg_trgm is not installed; ranking names in memory")
        if self.trgm:
            rows = await connection.fetch(TRGM_SEARCH, version_id, query, limit)
            return [dict(row) for row in rows]
        return await self._in_memory(connection, version_id, query, limit)

    async def _in_memory(
        self, connection: asyncpg.Connection, version_id: int, query: str, limit: int
    ) -> list[dict[str, Any]]:
        entries, index = await self._names(connection, version_id)
        grams = trigrams(query)
        found: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        for i in {i for gram in grams for i in index.get(gram, ())}:
            entry = entries[i]
            lowered = entry.name.lower()
            score = similarity(grams, entry.grams)
            score += 1 if lowered == query else 0.5 if query in lowered else 0
            if score >= THRESHOLD:
                found[(entry.kind, entry.name, entry.owner)] = entry.as_hit(score)
        for row in await connection.fetch(DESCRIPTION_SEARCH, version_id, query, limit):
            key = (row["kind"], row["name"], row["owner"])
            if key in found:
                found[key]["score"] += row["score"]
            else:
                found[key] = dict(row)
        ranked = sorted(found.values(), key=lambda h: (-h["score"], h["kind"], h["name"]))
        return ranked[:limit]

    async def _names(
        self, connection: asyncpg.Connection, version_id: int
    ) -> tuple[list[Entry], dict[str, list[int]]]:
        async with self.lock:  # one read per version, whoever asks meanwhile
            if version_id not in self.names:
                rows = await connection.fetch(ALL_NAMES, version_id)
                entries = [
                    Entry(r["kind"], r["name"], r["owner"], r["description"], trigrams(r["name"]))
                    for r in rows
                ]
                index: dict[str, list[int]] = {}
                for i, entry in enumerate(entries):
                    for gram in entry.grams:
                        index.setdefault(gram, []).append(i)
                self.names = {version_id: (entries, index)}  # the active version's only
            return self.names[version_id]
