"""Postgres: a failed sync leaves no SCRAM verifier in the server's log (docs/security.md,
"Passwords and the server's log")."""

from __future__ import annotations

import asyncpg
import pytest

from app.ecosystem.coltypes import parse_type
from app.ecosystem.model import Model
from app.security.desired import ColumnSpec, Desired, RoleSpec, TableSpec, desired_state
from app.security.operations import Operation, Phase
from app.security.sync import SecuritySync
from app.security.warehouses.base import WarehouseError
from app.security.warehouses.postgres import PostgresWarehouse


async def _server_log(connection: asyncpg.Connection) -> tuple[str, int]:
    """The server's log file (embedded: `<data dir>/log`; a Debian cluster's) and its size."""
    major = int(await connection.fetchval("SHOW server_version_num")) // 10000
    for path in (
        await connection.fetchval("SELECT pg_current_logfile()"),
        f"{await connection.fetchval('SHOW data_directory')}/log",
        f"/var/log/postgresql/postgresql-{major}-main.log",
    ):
        if path and await connection.fetchval(
            "SELECT (pg_stat_file($1, true)).size IS NOT NULL", path
        ):
            return path, await connection.fetchval("SELECT (pg_stat_file($1)).size", path)
    raise AssertionError("the server's log file was not found")


async def _logged_since(connection: asyncpg.Connection, path: str, offset: int) -> list[str]:
    size = await connection.fetchval("SELECT (pg_stat_file($1)).size", path)
    text = await connection.fetchval("SELECT pg_read_file($1, $2, $3)", path, offset, size - offset)
    return str(text).splitlines()


def _failing(marker: str, prefix: str) -> Desired:
    """A new transformer role (with a password) and, in the same batch, a table that fails."""
    desired = desired_state(Model(), marker, 2, prefix)
    transformer = "leaky"
    role = f"{prefix}dt_{transformer}"
    desired.roles[role] = RoleSpec(role, login=True, connection_limit=2, transformer=transformer)
    desired.credentials[transformer] = role
    desired.schemas["out_leaky"] = "output of transformer leaky"
    twice = ColumnSpec(
        "no_such_column_twice", parse_type("text"), False, True
    )  # the server refuses it
    desired.tables[("out_leaky", "rows")] = TableSpec("out_leaky", "rows", (twice, twice))
    return desired


async def test_a_failed_batch_leaves_no_verifier_in_the_server_log(
    warehouse: asyncpg.Connection, sync: SecuritySync, prefix: str
) -> None:
    path, offset = await _server_log(warehouse)
    with pytest.raises(WarehouseError, match="no_such_column_twice"):
        await sync.apply(_failing(sync.config.marker, prefix))
    lines = await _logged_since(warehouse, path, offset)
    # the failing batch is logged (statements are), its role too, but never with a verifier
    statement = next(i for i, line in enumerate(lines) if "STATEMENT:" in line)
    assert any(f'CREATE ROLE "{prefix}dt_leaky" LOGIN' in line for line in lines[statement:])
    assert not [line for line in lines[statement:] if "SCRAM-SHA-256$" in line]


async def test_a_failed_password_statement_is_not_logged_with_its_verifier(
    warehouse: asyncpg.Connection, postgres: PostgresWarehouse, prefix: str
) -> None:
    path, offset = await _server_log(warehouse)
    role = f"{prefix}dt_gone"  # dropped by hand meanwhile: the password statement fails
    spec = RoleSpec(role, login=True, transformer="gone")
    password = Operation(Phase.ROLES, "set password", role, "test", spec, "gone")
    with pytest.raises(WarehouseError, match="does not exist"):
        async with postgres.transaction("applying"):
            await postgres.execute([password], {"gone": "SCRAM-SHA-256$4096:x"})
    lines = await _logged_since(warehouse, path, offset)
    assert any(f'role "{role}" does not exist' in line for line in lines)
    assert not any("SCRAM-SHA-256$" in line for line in lines)
