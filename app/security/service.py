"""A sync end to end: the active model, the warehouse, the store; plan or apply, then audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from app.catalog.rebuild import model_of_version
from app.catalog.versions import resolve_version
from app.ecosystem.model import Model
from app.security.audit import record_sync
from app.security.operations import Plan
from app.security.secrets.factory import secret_store
from app.security.sync import SecuritySync, SyncConfig
from app.security.warehouses.factory import warehouse_kind
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Outcome:
    """A plan (applied or not) with its statements, the model version it follows, the audit's id."""

    version_id: int
    plan: Plan
    statements: list[str]  # of each operation, as the warehouse shows it (no password)
    applied: bool = False
    sync_id: int | None = None


def sync_config(settings: Settings) -> SyncConfig:
    """The sync's configuration from the settings."""
    days = settings.password_max_age_days
    return SyncConfig(
        marker=settings.managed_marker,
        max_drops=settings.security_max_drops,
        max_age=timedelta(days=days) if days is not None else None,
        connection_limit=settings.transformer_connection_limit,
        role_prefix=settings.role_prefix,
    )


@asynccontextmanager
async def warehouse_sync(settings: Settings) -> AsyncIterator[SecuritySync]:
    """A sync on an admin session of the configured warehouse; session and store closed at the end."""
    async with warehouse_kind(settings).open(settings) as warehouse:
        store = secret_store(settings)
        try:
            yield SecuritySync(warehouse, store, sync_config(settings))
        finally:
            await store.close()


async def active_model(control: asyncpg.Connection) -> tuple[int, Model]:
    """The active model version's id and its model."""
    version = await resolve_version(control, None)
    return version.id, await model_of_version(control, version.id)


async def plan_sync(control: asyncpg.Connection, sync: SecuritySync) -> Outcome:
    """The plan for the active model against the warehouse now (a dry run)."""
    version_id, model = await active_model(control)
    plan = await sync.plan(model)
    return Outcome(version_id, plan, shown(sync, plan))


async def apply_sync(
    control: asyncpg.Connection, sync: SecuritySync, *, force: bool = False
) -> Outcome:
    """Apply the active model and verify; what committed is audited (a no-op sync is not)."""
    version_id, model = await active_model(control)
    recorded: list[int] = []

    async def audit(plan: Plan) -> None:
        statements = shown(sync, plan)
        recorded.append(await record_sync(control, plan, statements, version_id, forced=force))

    applied = await sync.apply(model, force=force, committed=audit)
    sync_id = recorded[0] if recorded else None
    return Outcome(version_id, applied.plan, shown(sync, applied.plan), True, sync_id)


def shown(sync: SecuritySync, plan: Plan) -> list[str]:
    """The statement of each operation of the plan, as the sync's warehouse shows it."""
    return [sync.warehouse.statement(op) for op in plan.operations]


def plan_document(outcome: Outcome) -> dict[str, Any]:
    """A plan as JSON: operations with reasons, pending views, problems; never a password."""
    plan = outcome.plan
    return {
        "modelVersion": outcome.version_id,
        "changes": plan.changes,
        "applied": outcome.applied,
        "syncId": outcome.sync_id,
        "roleDrops": plan.role_drops,
        "operations": [
            {
                "phase": op.phase.name.lower(),
                "action": op.action,
                "target": op.target,
                "reason": op.reason,
                "statement": statement,
            }
            for op, statement in zip(plan.operations, outcome.statements, strict=True)
        ],
        "pending": plan.pending,
        "problems": plan.problems,
        "refused": plan.refused,
        "obsoleteSecrets": plan.obsolete_secrets,
    }
