"""Each transformer, logged in with its stored password, reads its workspace and writes its output only."""

from __future__ import annotations

import asyncpg
import pytest

from app.ecosystem.model import Model
from app.security import names
from app.security.desired import desired_state
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync
from tests.security.conftest import UNDECLARED, create_raw_tables
from tests.security.logins import login, password_matches

DENIED = (asyncpg.InsufficientPrivilegeError,)


async def _denied(connection: asyncpg.Connection, statement: str) -> None:
    with pytest.raises(DENIED):
        await connection.execute(statement)


async def test_every_transformer_reads_its_views_and_writes_its_output_only(
    warehouse: asyncpg.Connection,
    sync: SecuritySync,
    store: LocalSecretStore,
    acme_model: Model,
    password_logins: bool,
) -> None:
    raw = await create_raw_tables(warehouse, acme_model)
    await sync.apply(acme_model)
    desired = desired_state(acme_model, sync.config.marker, role_prefix=sync.config.role_prefix)
    for transformer in acme_model.transformers.values():
        credentials = await store.current(transformer.name)
        assert credentials is not None
        assert await password_matches(warehouse, credentials.username, credentials.password)
        mine = names.workspace_schema(transformer.workspace)
        output = names.output_schema(transformer.name)
        connection = await login(credentials)
        try:
            for (schema, view), spec in desired.views.items():
                statement = f'SELECT * FROM "{schema}"."{view}" LIMIT 1'
                if schema == mine:
                    await connection.fetch(statement)
                    with pytest.raises(asyncpg.UndefinedColumnError):
                        await connection.fetch(f'SELECT {UNDECLARED} FROM "{schema}"."{view}"')
                    for column in spec.columns:
                        await connection.fetch(f'SELECT "{column}" FROM "{schema}"."{view}"')
                else:
                    await _denied(connection, statement)
            for table in raw[:5]:
                await _denied(connection, f'SELECT 1 FROM raw."{table}"')
            await connection.execute(f'CREATE TABLE "{output}".scratch (id int)')
            await connection.execute(f'INSERT INTO "{output}".scratch VALUES (1)')
            for dataset in transformer.spec.output.datasets:
                table = f'"{output}"."{names.physical(dataset.name)}"'
                await connection.execute(f"DELETE FROM {table}")
                await connection.execute(f"TRUNCATE {table}")
            for schema in (mine, "raw", "public"):
                await _denied(connection, f'CREATE TABLE "{schema}".intruder (id int)')
            others = {names.output_schema(t) for t in acme_model.transformers} - {output}
            for schema in others:
                await _denied(connection, f'CREATE TABLE "{schema}".intruder (id int)')
            await _denied(connection, "CREATE SCHEMA intruder")
            await _denied(connection, f'CREATE ROLE "{sync.config.role_prefix}intruder"')
        finally:
            await connection.close()


async def test_a_sink_with_a_column_subset_shows_only_those_columns(
    warehouse: asyncpg.Connection, sync: SecuritySync, acme_model: Model
) -> None:
    await create_raw_tables(warehouse, acme_model)
    await sync.apply(acme_model)
    columns = await warehouse.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'ws_riskanalytics' AND table_name = 'kycscreening__kyc_cases'"
        " ORDER BY ordinal_position"
    )
    sunk = ["case_id", "customer_id", "risk_rating", "case_status", "next_review_on"]
    assert sorted(c["column_name"] for c in columns) == sorted(sunk)  # in the dataset's order
    raw = await warehouse.fetchval(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_schema = 'raw' AND table_name = 'kycscreening__kyc_cases'"
    )
    assert raw > len(sunk)
