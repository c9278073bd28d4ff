"""One search over the active version's datastores, datasets, columns, workspaces, transformers,
teams and zones: ranked by trigram similarity of the name, a name containing the words, and
Postgres full-text on the description; typo-tolerant.

Migration 0013 makes the view of every version's named entities, model_search_entities.
Descriptions are matched by Postgres full-text. With pg_trgm in the database (0013 creates it
where the server has it, as PostgreSQL 15's contrib does), Postgres ranks the names too, reading
the view's tables one by one over each partition's search indexes (app/catalog/schema.py). Without
it (the embedded server ships no pg_trgm), the version's names and description words are read
once and searched in memory (`search_memory.py`, pg_trgm's similarity in `trigrams.py`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from app.catalog.schema import SEARCHED, SEARCHED_NAME, SEARCHED_WORDS
from app.console.search_memory import HeldNames
from app.console.trigrams import words

log = logging.getLogger("ecoplane.console")
DESCRIBED = f"{SEARCHED_WORDS} @@ plainto_tsquery('simple', $2)"
# each branch can use an index of the partition's (app/catalog/schema.py: search_index_statements):
# the names' trigrams answer % and LIKE, the descriptions' words @@; $4 is $2 as a LIKE pattern
MATCHED = f"({SEARCHED_NAME} % $2 OR {SEARCHED_NAME} LIKE $4 OR {DESCRIBED})"
TEXT_RANK = f"ts_rank({SEARCHED_WORDS}, plainto_tsquery('simple', $2))"
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


# model_search_entities' branches (migration 0013): searched one by one, each kind's matches are
# capped, so that a name shared by thousands (a column `id` in every dataset) costs a bounded
# read; every entity named exactly as typed is a candidate too (up to the page's limit)
CANDIDATES = 500  # per kind: the matches ranked
# A name like most of a large kind's (`col_00` among 300,000 columns named col_000..col_076) is
# found in the kind's first SAMPLE rows: then CANDIDATES of those are its candidates, and the
# trigram index, which would hand over every similar row (~90 ms each for % and LIKE), is not read
SAMPLED, SAMPLE = ("datasets", "columns"), 1000
NAMED = f"({SEARCHED_NAME} % $2 OR {SEARCHED_NAME} LIKE $4)"


def _select(table: str, source: str, where: str, limit: str) -> str:
    kind, owner = SEARCHED[table]
    return (
        f"SELECT '{kind}'::text AS kind, name::text, {owner} AS owner, description"
        f" FROM {source} WHERE {where} LIMIT {limit}"
    )


def _exact(table: str) -> str:
    return f"({_select(table, f'model_{table}', 'version_id = $1 AND lower(name) = $2', '$3')})"


def _sample(table: str) -> str:
    rows = f"(SELECT * FROM model_{table} WHERE version_id = $1 LIMIT {SAMPLE}) s"
    return f"sample_{table} AS ({_select(table, rows, NAMED, str(CANDIDATES))})"


def _matched(table: str) -> str:
    gate = "(SELECT count(*) FROM exact) < $3"
    if table not in SAMPLED:
        return f"({_select(table, f'model_{table}', f'version_id = $1 AND {gate} AND {MATCHED}', str(CANDIDATES))})"
    common = f"(SELECT count(*) FROM sample_{table}) >= {CANDIDATES}"
    return (
        f"(SELECT * FROM sample_{table} WHERE {common}) UNION"
        f" ({_select(table, f'model_{table}', f'version_id = $1 AND {gate} AND NOT {common} AND {MATCHED}', str(CANDIDATES))})"
    )


# when the entities named exactly as typed fill the page, they are its best (a score of 2 or
# more; any other name's is below): then the similar names are not looked for at all
TRGM_SEARCH = (
    f"WITH exact AS ({' UNION '.join(_exact(t) for t in SEARCHED)}),"
    f" {', '.join(_sample(t) for t in SAMPLED)}"
    f" SELECT kind, name, owner, description, {RANK} AS score FROM (TABLE exact UNION"
    f" {' UNION '.join(_matched(t) for t in SEARCHED)}) e"
    " ORDER BY score DESC, kind, name LIMIT $3"
)
ALL_NAMES = _entities("TRUE")


def containing(text: str) -> str:
    """The LIKE pattern of a name containing `text` (its %, _ and \\ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Search:
    """Searches one database: by pg_trgm when it is there, else over names held here."""

    def __init__(self) -> None:
        self.trgm: bool | None = None
        self.held: dict[int, HeldNames] = {}
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
            rows = await connection.fetch(TRGM_SEARCH, version_id, query, limit, containing(query))
            return [dict(row) for row in rows]
        return await self._in_memory(connection, version_id, query, limit)

    async def _in_memory(
        self, connection: asyncpg.Connection, version_id: int, query: str, limit: int
    ) -> list[dict[str, Any]]:
        async with self.lock:  # one read per version, whoever asks meanwhile
            if version_id not in self.held:
                rows = await connection.fetch(ALL_NAMES, version_id)
                held = HeldNames.of(
                    [(r["kind"], r["name"], r["owner"], r["description"]) for r in rows]
                )
                self.held = {version_id: held}  # the active version's only
        return self.held[version_id].find(query, limit)
