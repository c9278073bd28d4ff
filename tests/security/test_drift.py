"""Drift is repaired: hand grants revoked, dropped views re-created, unmanaged roles untouched."""

from __future__ import annotations

import copy
import dataclasses

import asyncpg
import pytest

from app.ecosystem.model import Model
from app.security.secrets.local import LocalSecretStore
from app.security.sync import DropGuardError, SecuritySync
from tests.security.conftest import create_raw_tables


async def _grants_of(warehouse: asyncpg.Connection, role: str) -> set[tuple[str, str]]:
    rows = await warehouse.fetch(
        "SELECT table_schema || '.' || table_name AS t, privilege_type FROM"
        " information_schema.role_table_grants WHERE grantee = $1",
        role,
    )
    return {(r["t"], r["privilege_type"]) for r in rows}


async def test_hand_made_privileges_are_revoked_and_dropped_views_come_back(
    warehouse: asyncpg.Connection, sync: SecuritySync, acme_model: Model, prefix: str
) -> None:
    await create_raw_tables(warehouse, acme_model)
    await sync.apply(acme_model)
    role = f'"{prefix}dt_compute_revenue"'
    await warehouse.execute(f"GRANT SELECT ON raw.customers__customers TO {role}")
    await warehouse.execute(
        f"GRANT SELECT (undeclared_note) ON raw.customers__account_holders TO {role}"
    )
    await warehouse.execute(f"GRANT USAGE ON SCHEMA raw TO {role}")
    await warehouse.execute(f"GRANT CREATE ON DATABASE {await _database(warehouse)} TO {role}")
    await warehouse.execute(f"GRANT pg_read_all_data TO {role}")
    await warehouse.execute(f"ALTER ROLE {role} CREATEROLE CONNECTION LIMIT 100")
    await warehouse.execute("DROP VIEW ws_financereporting.cardpayments__card_transactions")
    plan = await sync.plan(acme_model)
    actions = [op.action for op in plan.operations]
    assert actions.count("revoke") == 5
    assert "alter role" in actions and "create view" in actions
    await sync.apply(acme_model)
    assert not await warehouse.fetchval(
        "SELECT has_table_privilege($1, 'raw.customers__customers', 'SELECT')", role.strip('"')
    )
    assert not await warehouse.fetchval(
        "SELECT pg_has_role($1, 'pg_read_all_data', 'MEMBER')", role.strip('"')
    )
    assert (
        await warehouse.fetchval(
            "SELECT rolcreaterole FROM pg_roles WHERE rolname = $1", role.strip('"')
        )
        is False
    )
    assert (
        await warehouse.fetchval(
            "SELECT count(*) FROM pg_views WHERE schemaname = 'ws_financereporting'"
            " AND viewname = 'cardpayments__card_transactions'"
        )
        == 1
    )
    assert not (await sync.plan(acme_model)).changes


async def _database(warehouse: asyncpg.Connection) -> str:
    return '"' + str(await warehouse.fetchval("SELECT current_database()")) + '"'


async def test_a_role_outside_the_marker_is_never_touched(
    warehouse: asyncpg.Connection, sync: SecuritySync, acme_model: Model, prefix: str
) -> None:
    await create_raw_tables(warehouse, acme_model)
    hand = f"{prefix}analyst"
    await warehouse.execute(f'CREATE ROLE "{hand}" LOGIN CREATEROLE')
    await warehouse.execute(f'GRANT SELECT ON raw.customers__customers TO "{hand}"')
    taken = f"{prefix}dt_compute_revenue"  # a transformer's name, but made by hand
    await warehouse.execute(f'CREATE ROLE "{taken}" LOGIN')
    applied = await sync.apply(acme_model)
    assert any(taken in p and "not managed" in p for p in applied.plan.problems)
    shown = [sync.warehouse.statement(op) for op in applied.plan.operations]
    assert all(hand not in s and f'"{taken}"' not in s for s in shown)
    assert await warehouse.fetchval(
        "SELECT has_table_privilege($1, 'raw.customers__customers', 'SELECT')", hand
    )
    assert await warehouse.fetchval("SELECT rolcreaterole FROM pg_roles WHERE rolname = $1", hand)


async def test_a_removed_transformer_loses_its_role_and_secret_within_the_guard(
    warehouse: asyncpg.Connection,
    sync: SecuritySync,
    store: LocalSecretStore,
    acme_model: Model,
    prefix: str,
) -> None:
    await create_raw_tables(warehouse, acme_model)
    await sync.apply(acme_model)
    role = f"{prefix}dt_compute_revenue"
    connection = await warehouse.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    assert connection == 1
    smaller = copy.deepcopy(acme_model)
    del smaller.transformers["compute_revenue"]
    sync.config = dataclasses.replace(sync.config, max_drops=0)
    with pytest.raises(DropGuardError, match="drop 1 roles"):
        await sync.apply(smaller)
    assert await warehouse.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role) == 1
    applied = await sync.apply(smaller, force=True)
    assert [op.target for op in applied.plan.operations if op.action == "drop role"] == [role]
    assert await warehouse.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role) is None
    assert "compute_revenue" not in await store.inventory()
    assert await store.current("compute_revenue") is None


async def test_a_view_edited_by_hand_is_replaced_and_an_unchanged_one_is_not(
    warehouse: asyncpg.Connection, sync: SecuritySync, acme_model: Model
) -> None:
    await create_raw_tables(warehouse, acme_model)
    await sync.apply(acme_model)
    view = "ws_riskanalytics.kycscreening__kyc_cases"
    names = await warehouse.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum",
        view,
    )
    columns = ", ".join(r["attname"] for r in names)
    leaking = columns.replace(
        "case_status", "(case_status || undeclared_note)::varchar(16) AS case_status"
    )
    await warehouse.execute(  # same columns, but one of them now leaks an undeclared one
        f"CREATE OR REPLACE VIEW {view} AS SELECT {leaking} FROM raw.kycscreening__kyc_cases"
    )
    plan = await sync.plan(acme_model)
    assert [(op.action, op.target) for op in plan.operations if op.phase.name == "VIEWS"] == [
        ("replace view", view)
    ]
    await sync.apply(acme_model)
    reads = await warehouse.fetch(
        "SELECT DISTINCT a.attname FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid"
        " JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
        " WHERE r.ev_class = $1::regclass AND d.refobjid <> r.ev_class",
        view,
    )
    assert sorted(r["attname"] for r in reads) == sorted(columns.split(", "))
    assert not (await sync.plan(acme_model)).changes
