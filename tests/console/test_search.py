"""Search: ranked, typo-tolerant, over every kind of entity of the active version."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from app.catalog.schema import PARTITION_SCHEMA, SEARCH_INDEXES, SEARCHED
from app.catalog.store import StoredVersion
from app.console.search import TRGM_SEARCH, Search, containing
from app.console.search_memory import Entity, HeldNames
from app.console.trigrams import similarity, trigrams
from app.db.urls import asyncpg_dsn
from app.ecosystem.model_tables import MODEL_TABLES

Console = tuple[httpx.AsyncClient, StoredVersion]


def test_trigram_similarity_is_pg_trgms() -> None:
    # PostgreSQL's documentation of pg_trgm: similarity('word', 'two words') = 0.36363637
    assert similarity(trigrams("word"), trigrams("two words")) == pytest.approx(0.363636, abs=1e-5)
    assert trigrams("cat") == {"  c", " ca", "cat", "at "}
    assert similarity(trigrams("Client_ID"), trigrams("client id")) == 1


async def test_a_misspelled_column_is_found_first(console: Console) -> None:
    client, _ = console
    page = (await client.get("/ui/search", params={"q": "nationl_idd"})).text
    hits = page.split('<ol class="hits">')[1]
    first = hits.split("</li>")[0]
    assert '<span class="kind">column</span>' in first
    assert "national_id</a>" in first
    assert "/ui/datastores/ApacClients/datasets/clients#column-national_id" in first


async def test_each_kind_is_searched_and_descriptions_by_their_words(
    console: Console, database_url: str
) -> None:
    _, stored = console
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        search = Search()
        kinds = set()
        for text in ("ApacClients", "AsiaTrading", "APAC", "clients", "client_id"):
            hits = await search.find(connection, stored.id, text, 5)
            assert hits, text
            assert hits[0]["name"].lower() == text.lower(), (text, hits[0])
            kinds.add(hits[0]["kind"])
        assert {"datastore", "team", "zone", "dataset", "column"} <= kinds
        described = await search.find(connection, stored.id, "NRIC", 5)
        assert [(h["kind"], h["name"]) for h in described] == [("column", "national_id")]
        assert await search.find(connection, stored.id, "zzqqxx", 5) == []
        assert await search.find(connection, stored.id, "  ", 5) == []
    finally:
        await connection.close()


def test_names_held_in_memory_rank_each_name_once_and_match_description_words() -> None:
    rows: list[Entity] = [("column", "client_id", f"S{i}.d", None) for i in range(1000)]
    rows += [
        ("datastore", "Clients", None, "Who our clients are"),
        ("column", "national_id", "Clients.clients", "NRIC or My Number"),
        ("zone", "USA", None, None),
    ]
    held = HeldNames.of(rows)
    assert len(held.names) == 4  # one per distinct name
    hits = held.find("client_idd", 5)
    assert [(h["kind"], h["name"], h["owner"]) for h in hits] == [
        ("column", "client_id", f"S{i}.d") for i in (0, 1, 10, 100, 101)
    ]  # the best name first, its entities in order, no more than asked
    assert [h["name"] for h in held.find("nric number", 5)] == ["national_id"]
    assert held.find("clients", 5)[0]["name"] == "Clients"
    assert held.find("qqqq", 5) == []


async def test_where_the_server_has_pg_trgm_each_version_has_search_indexes_that_search_uses(
    console: Console, database_url: str
) -> None:
    """On PostgreSQL with pg_trgm (make test-pg) the store indexes each searched partition and
    the search's plan reads them; on the embedded server (no pg_trgm) the store makes none."""
    _, stored = console
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        trgm = await connection.fetchval("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        indexes = await connection.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE $2",
            PARTITION_SCHEMA, f"%\\_v{stored.id}\\_%",
        )  # fmt: skip
        made = {r["indexname"] for r in indexes} - {
            f"model_{t}_v{stored.id}_pkey" for t in MODEL_TABLES
        }
        if not trgm:
            assert not {i for i in made if i.endswith(("_name_trgm", "_words"))}
            return
        expected = {f"model_{t}_v{stored.id}_{i}" for t in SEARCHED for i in SEARCH_INDEXES}
        assert expected <= made
        await connection.execute("SET enable_seqscan = off")  # acme's partitions are tiny
        query = "client_idd"
        lines = "\n".join(
            r[0]
            for r in await connection.fetch(
                f"EXPLAIN {TRGM_SEARCH}", stored.id, query, 5, containing(query)
            )
        )
        assert f"Bitmap Index Scan on model_columns_v{stored.id}_name_trgm" in lines, lines
        assert f"Bitmap Index Scan on model_columns_v{stored.id}_words" in lines, lines
    finally:
        await connection.close()
