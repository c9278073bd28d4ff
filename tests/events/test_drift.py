"""security.drift.detected and the drift gauge on /metrics mean the same thing: the operations
of a sync of the version the sync before it applied, with no activation between them."""

from __future__ import annotations

import json
from collections import Counter

import asyncpg
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.work_metrics import WorkMetrics
from app.catalog.store import store_model
from app.db.engine import driver_connection
from app.security.audit import record_sync
from app.security.operations import Phase, Plan, SchemaSpec
from tests.catalog.variants import variant


def plan_of(*phases: Phase) -> Plan:
    plan = Plan()
    for number, phase in enumerate(phases):
        plan.add(phase, "act", f"target_{number}", "the model asks for it", SchemaSpec("s"))
    return plan


async def _sync(db: asyncpg.Connection, version: int, *phases: Phase) -> int:
    plan = plan_of(*phases)
    return await record_sync(db, plan, ["-- sql"] * len(phases), version, forced=False)


async def test_the_event_and_the_metric_count_the_same_drift(
    engine: AsyncEngine, pool: asyncpg.Pool
) -> None:
    first = (await store_model(engine, variant(1), source="repo")).id
    async with engine.connect() as handle:
        db = await driver_connection(handle)
        await _sync(db, first, Phase.ROLES, Phase.GRANT)  # the version's first sync: its change
        repaired = await _sync(db, first, Phase.REVOKE, Phase.ROLES)  # the warehouse drifted
        await _sync(db, first)  # nothing to repair
    second = (await store_model(engine, variant(2), source="repo")).id
    async with engine.connect() as handle:
        db = await driver_connection(handle)
        await _sync(db, second, Phase.VIEWS)  # after an activation: the model changed
        again = await _sync(db, second, Phase.GRANT)  # drifted again
    rows = await pool.fetch(
        "SELECT subject, data FROM events WHERE type = 'security.drift.detected' ORDER BY position"
    )
    assert [r["subject"] for r in rows] == [f"security-sync/{repaired}", f"security-sync/{again}"]
    registry = CollectorRegistry()
    metrics = WorkMetrics(registry)
    await metrics.refresh(pool, leading=False)
    gauge = "ecoplane_security_drift_operations_last_24h"
    counted = {
        phase.name.lower(): registry.get_sample_value(gauge, {"kind": phase.name.lower()})
        for phase in Phase
    }
    assert {k: v for k, v in counted.items() if v} == {"revoke": 1.0, "roles": 1.0, "grant": 1.0}
    drifted = Counter(op["phase"] for r in rows for op in json.loads(r["data"])["drifted"])
    assert drifted == {k: int(v) for k, v in counted.items() if v}  # the same, phase by phase
