"""On acme with its raw tables: changes → apply → converged; a second apply sends no DDL."""

from __future__ import annotations

import asyncpg

from app.ecosystem.model import Model
from app.security.plan import Phase
from app.security.raw import ingested
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync
from tests.security.conftest import create_raw_tables
from tests.security.statements import ddl, recorded


async def test_acme_converges_and_a_second_apply_sends_no_ddl(
    warehouse: asyncpg.Connection, sync: SecuritySync, acme_model: Model, prefix: str
) -> None:
    await create_raw_tables(warehouse, acme_model)
    first = await sync.plan(acme_model)
    assert first.changes
    phases = [op.phase for op in first.operations]
    assert phases == sorted(phases)
    assert {op.action for op in first.operations} >= {
        "create role", "create schema", "create table", "create view", "grant"
    }  # fmt: skip
    assert first.pending == [] and first.problems == []

    applied = await sync.apply(acme_model)
    assert not applied.verified.changes
    assert not (await sync.plan(acme_model)).changes

    with recorded(warehouse) as sent:
        again = await sync.apply(acme_model)
    assert again.plan.operations == []
    assert sent and ddl(sent) == []


async def test_views_wait_for_their_raw_tables(
    warehouse: asyncpg.Connection, sync: SecuritySync, acme_model: Model
) -> None:
    applied = await sync.apply(acme_model)  # no raw tables yet: views pending, not failed
    assert applied.plan.pending
    assert all("does not exist yet" in p for p in applied.plan.pending)
    created = await create_raw_tables(warehouse, acme_model)
    later = await sync.plan(acme_model)
    assert {op.action for op in later.operations} == {"create view", "grant"}
    await sync.apply(acme_model)
    assert not (await sync.plan(acme_model)).pending
    assert created


async def test_a_raw_table_missing_a_declared_column_gets_no_view(
    warehouse: asyncpg.Connection, sync: SecuritySync, acme_model: Model
) -> None:
    await create_raw_tables(warehouse, acme_model)
    await warehouse.execute('ALTER TABLE raw."customers__customers" DROP COLUMN email')
    applied = await sync.apply(acme_model)
    assert any("lacks declared column(s) email" in p for p in applied.plan.problems)
    views = await warehouse.fetch(
        "SELECT schemaname FROM pg_views WHERE viewname = 'customers__customers'"
    )
    assert views == []
    assert not applied.verified.changes


async def test_plan_phases_and_every_statement_quoted(
    sync: SecuritySync, acme_model: Model
) -> None:
    plan = await sync.plan(acme_model)
    roles = [op for op in plan.operations if op.phase is Phase.ROLES]
    assert all('"' in sync.warehouse.statement(op) for op in roles)
    shown = [sync.warehouse.statement(op) for op in roles if op.credential]
    assert shown and all(s.endswith("PASSWORD '********'") for s in shown)


async def test_credentials_are_stored_for_every_transformer(
    sync: SecuritySync, store: LocalSecretStore, acme_model: Model, prefix: str
) -> None:
    await sync.apply(acme_model)
    inventory = await store.inventory()
    ingestions = {f"datastore.{s.name}": s.name for s in ingested(acme_model)}
    assert set(inventory) == set(acme_model.transformers) | set(ingestions)
    assert ingestions  # acme ingests some of its datastores: each has a di_ login of its own
    for transformer in acme_model.transformers:
        credentials = await store.current(transformer)
        assert credentials is not None and len(credentials.password) >= 32
        assert credentials.username == f"{prefix}dt_{transformer}"
    for key, datastore in ingestions.items():
        credentials = await store.current(key)
        assert credentials is not None and len(credentials.password) >= 32
        assert credentials.username == f"{prefix}di_{datastore.lower()}"
