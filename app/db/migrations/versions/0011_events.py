"""events: the outbox of events and their deliveries to the configured subscriptions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, comment: str, *, now: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if now else None,
        nullable=not now,
        comment=comment,
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.Uuid(),
            nullable=False,
            comment="the CloudEvents id: receivers deduplicate by it",
        ),
        sa.Column(
            "position",
            sa.BigInteger(),
            sa.Identity(always=True),
            nullable=False,
            comment="the order events were written in (paging)",
        ),
        sa.Column(
            "type", sa.Text(), nullable=False, comment="e.g. run.failed (io.ecoplane. is added)"
        ),
        sa.Column("source", sa.Text(), nullable=False, comment="the CloudEvents source"),
        sa.Column("subject", sa.Text(), nullable=False, comment="what it is about, e.g. run/42"),
        _when("time", "when the state change committed", now=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="the event's data",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("position", name="events_position"),
        comment="The outbox: one row per event, written in the transaction of its state change.",
    )
    op.create_index("events_by_type", "events", ["type", "position"])
    op.create_index("events_by_time", "events", ["time"])  # retention
    op.create_table(
        "event_subscriptions",
        sa.Column(
            "key", sa.Text(), nullable=False, comment="sha256 of the url (16 hex) and the format"
        ),
        sa.Column(
            "url",
            sa.Text(),
            nullable=False,
            comment="where deliveries are posted (may hold a secret: never shown)",
        ),
        sa.Column("shown", sa.Text(), nullable=False, comment="the url as shown: scheme and host"),
        sa.Column("format", sa.Text(), nullable=False, comment="cloudevents, slack or openlineage"),
        sa.Column(
            "patterns",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            comment="the type globs as regular expressions",
        ),
        sa.Column(
            "secret_env", sa.Text(), nullable=True, comment="the variable holding its HMAC secret"
        ),
        _when("updated_at", "when a replica last configured it", now=True),
        sa.PrimaryKeyConstraint("key"),
        comment="The subscriptions of ECOPLANE_NOTIFY (and ECOPLANE_OPENLINEAGE_URL), as the service configured them.",
    )
    op.create_table(
        "deliveries",
        sa.Column("event_id", sa.Uuid(), nullable=False, comment="the event delivered"),
        sa.Column("subscription", sa.Text(), nullable=False, comment="the subscription's key"),
        sa.Column(
            "state",
            sa.Text(),
            server_default="pending",
            nullable=False,
            comment="pending, delivered or dead",
        ),
        sa.Column(
            "attempts",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="attempts claimed",
        ),
        _when("next_attempt_at", "when it is tried (again)", now=True),
        _when("leased_until", "a replica is posting it until then; after, it may be claimed again"),
        sa.Column(
            "last_status", sa.Integer(), nullable=True, comment="the receiver's last HTTP status"
        ),
        sa.Column("last_error", sa.Text(), nullable=True, comment="why the last attempt failed"),
        _when("delivered_at", "when the receiver accepted it"),
        sa.CheckConstraint(
            "state IN ('pending', 'delivered', 'dead')", name="delivery_state_known"
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "subscription"),
        comment="One row per event and subscription whose types match it: delivered at least once.",
    )
    op.create_index(
        "deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("event_subscriptions")
    op.drop_table("events")
