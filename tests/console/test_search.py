"""Search: ranked, typo-tolerant, over every kind of entity of the active version."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from app.catalog.store import StoredVersion
from app.console.search import Search
from app.console.search_memory import Entity, HeldNames
from app.console.trigrams import similarity, trigrams
from app.db.urls import asyncpg_dsn

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
