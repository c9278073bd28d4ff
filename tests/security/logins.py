"""Logging in as a transformer with the credentials read back from a secret store."""

from __future__ import annotations

import base64

import asyncpg

from app.security.secrets.base import Credentials
from app.security.warehouses.postgres_scram import scram_verifier


async def login(credentials: Credentials) -> asyncpg.Connection:
    """A connection as the transformer's role."""
    return await asyncpg.connect(
        user=credentials.username,
        password=credentials.password,
        host=credentials.host,
        port=credentials.port,
        database=credentials.dbname,
    )


async def password_matches(admin: asyncpg.Connection, role: str, password: str) -> bool:
    """Whether the role's stored SCRAM verifier is that of this password (as the server checks it)."""
    stored = await admin.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", role)
    if not stored:
        return False
    salt = base64.b64decode(stored.split("$")[1].split(":")[1])
    return bool(scram_verifier(password, salt) == stored)
