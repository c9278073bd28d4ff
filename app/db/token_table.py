"""API tokens kept in the database (beside ECOPLANE_TOKENS): the sha256 of each secret, never
the secret, with its scopes, teams, expiry and revocation."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel


def _when(name: str, comment: str, *, now: bool = False) -> sa.Column[object]:
    default = sa.text("now()") if now else None
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=default, nullable=not now, comment=comment
    )


api_tokens = sa.Table(
    "api_tokens",
    SQLModel.metadata,
    sa.Column("name", sa.Text(), primary_key=True, comment="the token's name (never reused)"),
    sa.Column(
        "sha256",
        sa.Text(),
        nullable=False,
        comment="the sha256 hex digest of the secret (the secret is never stored)",
    ),
    sa.Column(
        "scopes", postgresql.ARRAY(sa.Text()), nullable=False, comment="read, operate and/or admin"
    ),
    sa.Column(
        "teams",
        postgresql.ARRAY(sa.Text()),
        server_default=sa.text("'{}'::text[]"),
        nullable=False,
        comment="ZONE/TEAM whose transformers and datastores it may start; empty: every team",
    ),
    _when("created_at", "when it was created", now=True),
    sa.Column("created_by", sa.Text(), nullable=False, comment="who created it"),
    _when("expires_at", "when it stops being accepted; null: never"),
    _when("revoked_at", "when it was revoked; null: not revoked"),
    sa.Column("revoked_by", sa.Text(), nullable=True, comment="who revoked it"),
    _when("last_used_at", "when it was last accepted (recorded once a minute at most)"),
    sa.UniqueConstraint("sha256", name="api_tokens_sha256_key"),
    sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="api_tokens_sha256_hex"),
    sa.CheckConstraint(
        "scopes <@ ARRAY['read', 'operate', 'admin']::text[] AND cardinality(scopes) > 0",
        name="api_tokens_scopes_known",
    ),
    comment="API tokens made with `ecoplane token create` or POST /api/v1/tokens (digests only).",
)
