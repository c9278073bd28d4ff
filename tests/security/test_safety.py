"""One transaction, quoted names, and no password anywhere but the secret store."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from app.ecosystem.coltypes import parse_type
from app.ecosystem.model import Model
from app.security.desired import MEMBER, ColumnSpec, Desired, Grant, RoleSpec, TableSpec, ViewSpec
from app.security.operations import ObjectName, Operation, Phase
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync, SyncConfig
from app.security.warehouses.base import WarehouseError
from app.security.warehouses.postgres import PostgresWarehouse
from app.security.warehouses.postgres_connection import endpoint
from tests.security.conftest import create_raw_tables

HOSTILE = 'we"ird name; DROP ROLE postgres; --'


async def test_a_failure_in_the_middle_of_apply_leaves_the_warehouse_as_it_was(
    warehouse: asyncpg.Connection,
    sync: SecuritySync,
    acme_model: Model,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await create_raw_tables(warehouse, acme_model)
    before = await sync.warehouse.inspect(sync.config.marker)
    real = sync.warehouse.execute

    async def half_then_fail(operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        await real(operations[: len(operations) // 2], verifiers)
        raise WarehouseError("injected failure")

    monkeypatch.setattr(sync.warehouse, "execute", half_then_fail)
    with pytest.raises(WarehouseError, match="injected"):
        await sync.apply(acme_model)
    after = await sync.warehouse.inspect(sync.config.marker)
    assert (after.roles, after.schemas, after.relations, after.grants) == (
        before.roles, before.schemas, before.relations, before.grants
    )  # fmt: skip
    monkeypatch.undo()
    assert not (await sync.apply(acme_model)).verified.changes


def _hostile(marker: str, prefix: str) -> Desired:
    """A desired state with names no model validation would let through."""
    role, reader = f"{prefix}dt_{HOSTILE}", f"{prefix}ws_{HOSTILE}_read"
    workspace, output = f"ws_{HOSTILE}", f"out_{HOSTILE}"
    column = 'co"l; DROP TABLE x'
    desired = Desired(marker, prefix)
    desired.roles = {
        marker: RoleSpec(marker, login=False),
        reader: RoleSpec(reader, login=False),
        role: RoleSpec(role, login=True, connection_limit=2, transformer=HOSTILE),
    }
    desired.schemas = {workspace: "views; of 'a' hostile workspace", output: "output"}
    desired.tables[(output, "ta ble")] = TableSpec(
        output, "ta ble", (ColumnSpec(column, parse_type("text"), False, True),)
    )
    desired.views[(workspace, "vi'ew")] = ViewSpec(
        workspace, "vi'ew", output, "ta ble", (column,), "s"
    )
    desired.grants = {
        Grant("role", "", marker, "", MEMBER, reader),
        Grant("role", "", marker, "", MEMBER, role),
        Grant("role", "", reader, "", MEMBER, role),
        Grant("schema", "", workspace, "", "USAGE", reader),
        Grant("table", workspace, "vi'ew", "", "SELECT", reader),
        Grant("schema", "", output, "", "CREATE", role),
        Grant("table", output, "ta ble", "", "INSERT", role),
        Grant("default", output, "TABLES", "", "SELECT", role),
    }
    desired.credentials = {HOSTILE: role}
    return desired


async def test_hostile_names_below_validation_are_quoted_and_converge(
    warehouse: asyncpg.Connection, sync: SecuritySync, prefix: str, store: LocalSecretStore
) -> None:
    desired = _hostile(sync.config.marker, prefix)
    applied = await sync.apply(desired)
    assert not applied.verified.changes
    roles = {r["rolname"] for r in await warehouse.fetch("SELECT rolname FROM pg_roles")}
    assert {f"{prefix}dt_{HOSTILE}", f"{prefix}ws_{HOSTILE}_read", "postgres"} <= roles
    assert await warehouse.fetchval(
        "SELECT count(*) FROM pg_views WHERE schemaname = $1 AND viewname = $2",
        f"ws_{HOSTILE}", "vi'ew",
    ) == 1  # fmt: skip
    assert await warehouse.fetchval(
        "SELECT has_table_privilege($1, format('%I.%I', $2::text, 'ta ble'), 'INSERT')",
        f"{prefix}dt_{HOSTILE}", f"out_{HOSTILE}",
    )  # fmt: skip
    assert await store.current(HOSTILE) is not None
    assert (await store.inventory()).keys() == {HOSTILE}


async def test_no_password_in_logs_plans_or_errors(
    warehouse: asyncpg.Connection,
    sync: SecuritySync,
    store: LocalSecretStore,
    acme_model: Model,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    await create_raw_tables(warehouse, acme_model)
    applied = await sync.apply(acme_model)
    outputs = [repr(applied), *(sync.warehouse.statement(op) for op in applied.plan.operations)]
    outputs += [repr(op) for op in applied.plan.operations]

    async def broken(operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        await real(
            [*operations[:1], Operation(Phase.DROP, "drop view", "x", "y", ObjectName("no", "x"))],
            verifiers,
        )

    real = sync.warehouse.execute
    monkeypatch.setattr(sync.warehouse, "execute", broken)
    sync.config = dataclasses.replace(sync.config, max_age=None)
    await store.delete("compute_revenue")  # a password is set again: it is in the failing run
    with pytest.raises(WarehouseError) as failure:
        await sync.apply(acme_model)
    outputs += [str(failure.value), repr(failure.value), caplog.text]
    passwords = [(await store.current(t)) for t in acme_model.transformers]
    staged = await store.pending("compute_revenue")
    secrets = [c.password for c in [*passwords, staged] if c is not None]
    assert len(secrets) == len(acme_model.transformers)
    for text in outputs:
        for secret in secrets:
            assert secret not in text
        assert "SCRAM-SHA-256$" not in text


async def test_a_lost_warehouse_connection_is_a_warehouse_error(
    warehouse_url: str, store: LocalSecretStore, config: SyncConfig, acme_model: Model
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    sync = SecuritySync(PostgresWarehouse(connection, endpoint(warehouse_url)), store, config)
    await connection.close()
    with pytest.raises(WarehouseError, match="planning failed on the warehouse"):
        await sync.plan(acme_model)
    with pytest.raises(WarehouseError, match="applying failed on the warehouse"):
        await sync.apply(acme_model)
