"""Storing model versions: round trip, rejection, reuse by content, retention, recovery."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.retention import INTERRUPTED, apply_retention, fail_interrupted
from app.catalog.store import LOCK_SPACE, store_model
from app.db.tables import VersionState
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_directory, load_texts
from app.ecosystem.model import Model
from tests.catalog.variants import variant
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import BASE

ACME = EXAMPLES / "acme"


async def _connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(database_url))


async def _row(connection: asyncpg.Connection, query: str, *args: object) -> asyncpg.Record:
    row = await connection.fetchrow(query, *args)
    assert row is not None, query
    return row


async def _pairs(connection: asyncpg.Connection, query: str) -> dict[object, object]:
    return {r[0]: r[1] for r in await connection.fetch(query)}


def _acme() -> Model:
    model = load_directory(ACME)
    assert model.errors == 0
    return model


async def test_acme_round_trip(engine: AsyncEngine, database_url: str) -> None:
    model = _acme()
    stored = await store_model(engine, model, source="examples/acme", commit_sha="c1")
    assert stored.state is VersionState.ACTIVE and stored.created
    db = await _connect(database_url)
    try:
        counts = {
            table: await db.fetchval(f"SELECT count(*) FROM current_{table}")
            for table in (
                "zones",
                "teams",
                "datastores",
                "datasets",
                "columns",
                "workspaces",
                "sinks",
                "transformers",
            )
        }
        # the model's own counts, builtins included
        assert counts["datastores"] == len(model.datastores) == 24
        assert counts["workspaces"] == len(model.workspaces) == 12
        assert counts["transformers"] == len(model.transformers) == 6
        assert counts["zones"] == len(model.zones) == 4
        assert counts["teams"] == sum(len(z.teams) for z in model.zones.values()) == 11
        assert counts["datasets"] == sum(len(s.body.datasets) for s in model.datastores.values())
        assert counts["sinks"] == 88
        # columns keep their order and canonical types
        rows = await db.fetch(
            "SELECT name, ordinal, type, nullable, primary_key, classification FROM current_columns"
            " WHERE datastore = 'CustomerSegments' AND dataset = 'cardholder_segments' ORDER BY ordinal"
        )
        assert [(r["name"], r["type"]) for r in rows] == [
            ("cardholder_id", "bigint"),
            ("segment_code", "varchar(16)"),
            ("previous_segment_code", "varchar(16)"),
            ("propensity_scores", "map<varchar(32),real>"),
            ("behaviour_embedding", "vector(64)"),
            ("scored_at", "timestamptz"),
        ]
        assert [r["ordinal"] for r in rows] == [1, 2, 3, 4, 5, 6]
        assert rows[0]["primary_key"] and not rows[0]["nullable"] and rows[2]["nullable"]
        # nested locations with full paths
        paths = await db.fetch(
            "SELECT path, parent_path FROM current_locations WHERE vendor = 'AcmeOnPrem'"
        )
        assert ("secaucus/hall-2", "secaucus") in {(r["path"], r["parent_path"]) for r in paths}
        # assignment statuses and requirements as declared
        groups = {
            (r["workspace"], r["name"]): (
                r["platform"],
                r["platform_status"],
                r["required_latency"],
            )
            for r in await db.fetch("SELECT * FROM current_dataset_groups")
        }
        assert groups[("CustomerSegmentation", "behaviour")] == (
            "EuWarehouseHistory",
            "provisioned",
            None,
        )
        assert groups[("FraudMonitoring", "realtime")] == (None, None, "seconds")
        builtin = await _row(
            db, "SELECT builtin, producer FROM current_datastores WHERE name = 'ecoplane_model'"
        )
        assert builtin["builtin"] and builtin["producer"] == "externalize_model"
        version = await _row(db, "SELECT * FROM current_model_version")
        assert (version["id"], version["commit_sha"], version["content_hash"]) == (
            stored.id,
            "c1",
            model.content_hash,
        )
    finally:
        await db.close()


async def test_rejected_model_keeps_its_problems_and_the_active_version(
    engine: AsyncEngine, database_url: str
) -> None:
    good = await store_model(engine, _acme(), source="acme")
    broken = load_texts({**BASE, "extra.yaml": "apiVersion: ecoplane.io/v1\nkind: Nope\n"})
    assert broken.errors == 1
    rejected = await store_model(engine, broken, source="broken")
    assert rejected.state is VersionState.REJECTED and rejected.counts == {"problems": 1}
    db = await _connect(database_url)
    try:
        assert await db.fetchval("SELECT id FROM current_model_version") == good.id
        problem = await _row(db, "SELECT * FROM model_problems WHERE version_id = $1", rejected.id)
        assert (problem["code"], problem["file"], problem["line"]) == (
            "unknown-kind",
            "extra.yaml",
            2,
        )
        assert (
            await db.fetchval(
                "SELECT count(*) FROM model_datastores WHERE version_id = $1", rejected.id
            )
            == 0
        )
        assert await db.fetchval("SELECT count(*) FROM current_datastores") == 24
    finally:
        await db.close()


async def test_same_content_is_stored_once_and_commits_are_recorded(
    engine: AsyncEngine, database_url: str
) -> None:
    first = await store_model(engine, _acme(), source="repo", commit_sha="aaa")
    other = await store_model(engine, load_texts(dict(BASE)), source="repo", commit_sha="bbb")
    again = await store_model(engine, _acme(), source="repo", commit_sha="ccc")
    assert not again.created and again.id == first.id
    assert (
        again.state is VersionState.ACTIVE
    )  # the old content came back: its version is active again
    assert again.counts == first.counts
    db = await _connect(database_url)
    try:
        states = await _pairs(db, "SELECT id, state FROM model_versions ORDER BY id")
        assert states == {first.id: "active", other.id: "superseded"}
        commits = await db.fetch(
            "SELECT commit_sha FROM model_version_commits WHERE version_id = $1", first.id
        )
        assert sorted(r["commit_sha"] for r in commits) == ["aaa", "ccc"]
    finally:
        await db.close()


async def test_retention_keeps_the_newest_and_the_active(
    engine: AsyncEngine, database_url: str
) -> None:
    ids = [(await store_model(engine, variant(n), source="repo")).id for n in range(5)]
    # bring the oldest content back: it is active again, but it is also the oldest id
    again = await store_model(engine, variant(0), source="repo")
    assert again.id == ids[0] and again.state is VersionState.ACTIVE
    removed = await apply_retention(engine, keep=2)
    assert removed == ids[1:4]
    db = await _connect(database_url)
    try:
        assert [r["id"] for r in await db.fetch("SELECT id FROM model_versions ORDER BY id")] == [
            ids[0],
            ids[4],
        ]
        kept = await db.fetchval("SELECT array_agg(DISTINCT version_id) FROM model_columns")
        assert sorted(kept) == [ids[0], ids[4]]
        partitions = await db.fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'model\\_columns\\_v%'"
        )
        assert sorted(r["relname"] for r in partitions) == [
            f"model_columns_v{ids[0]}",
            f"model_columns_v{ids[4]}",
        ]
        assert await db.fetchval("SELECT count(*) FROM current_datastores") == 3
    finally:
        await db.close()


async def test_interrupted_load_is_marked_failed_but_a_running_one_is_not(
    engine: AsyncEngine, database_url: str
) -> None:
    db = await _connect(database_url)
    holder = await _connect(database_url)
    try:
        insert = (
            "INSERT INTO model_versions (source, content_hash, state, counts, timings)"
            " VALUES ('x', $1, 'loading', '{}', '{}') RETURNING id"
        )
        dead = await db.fetchval(insert, "dead")
        running = await db.fetchval(insert, "running")
        await holder.execute("SELECT pg_advisory_lock($1, $2)", LOCK_SPACE, running)
        assert await fail_interrupted(engine) == [dead]
        rows = await _pairs(db, "SELECT id, state FROM model_versions")
        assert rows == {dead: "failed", running: "loading"}
        assert (
            await db.fetchval("SELECT failure FROM model_versions WHERE id = $1", dead)
            == INTERRUPTED
        )
    finally:
        await holder.close()
        await db.close()
