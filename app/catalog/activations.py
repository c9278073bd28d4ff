"""The flip that makes a version active, the record of each activation, and reading them back.

Every activation — by an ingest, by `ecoplane load`, or on purpose (an override or a rollback)
— goes through `flip`: the active version becomes superseded, the version active, the activation
is recorded (who, why, from which version) and announced to the activation hook, all in the
caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from app.catalog import version_events
from app.catalog.activation import notify_activated
from app.db.model_versions import active_version_id
from app.db.tables import ActivationKind


@dataclass(frozen=True, slots=True)
class Activation:
    """Who activates a version, and why."""

    by: str
    reason: str
    kind: ActivationKind = ActivationKind.AUTOMATIC


async def flip(connection: asyncpg.Connection, version_id: int, activation: Activation) -> None:
    """Make the version the active one and record why; call inside the activating transaction."""
    before = await active_version_id(connection)
    await connection.execute(
        "UPDATE model_versions SET state = 'superseded', superseded_at = now() WHERE state = 'active' AND id <> $1",
        version_id,
    )
    await connection.execute(
        "UPDATE model_versions SET state = 'active', activated_at = now(), superseded_at = NULL"
        " WHERE id = $1",
        version_id,
    )
    await connection.execute(
        "INSERT INTO model_version_activations (version_id, from_version_id, kind, activated_by, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        version_id, before, activation.kind.value, activation.by, activation.reason,
    )  # fmt: skip
    await notify_activated(connection, version_id)  # delivered when the transaction commits
    await version_events.activated(
        connection, version_id, before, activation.kind.value, activation.by, activation.reason
    )


async def activations_of(connection: asyncpg.Connection, version_id: int) -> list[dict[str, Any]]:
    """The activations of a version, newest first."""
    rows = await connection.fetch(
        "SELECT kind, activated_by AS by, activated_at AS at, reason, from_version_id AS from_version"
        " FROM model_version_activations WHERE version_id = $1 ORDER BY id DESC",
        version_id,
    )
    return [dict(row) for row in rows]
