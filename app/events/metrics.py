"""The outbox on /metrics: its depth, the dead letters it holds, and how attempts went."""

from __future__ import annotations

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge

from app.events.outbox import pending_count


class OutboxMetrics:
    """The outbox's metrics, in the service's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.pending = Gauge(
            "ecoplane_outbox_pending", "event deliveries still to be made (the outbox's depth)",
            registry=registry,
        )  # fmt: skip
        self.dead = Gauge(
            "ecoplane_event_deliveries_dead", "event deliveries given up (dead letters kept)",
            registry=registry,
        )  # fmt: skip
        self.attempts = Counter(
            "ecoplane_event_deliveries",
            "delivery attempts of this replica by outcome: delivered, retried, dead",
            ["outcome"], registry=registry,
        )  # fmt: skip

    async def measure(self, connection: asyncpg.Connection) -> None:
        """Read the depth and the dead letters from the database."""
        counts = await pending_count(connection)
        self.pending.set(counts.get("pending", 0))
        self.dead.set(counts.get("dead", 0))
