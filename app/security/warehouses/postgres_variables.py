"""The connection variables of a Postgres warehouse: what a run connects with (libpq's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the secret stores keep credentials in this layout: no import back at runtime
    from app.security.secrets.base import Credentials


def libpq_variables(credentials: Credentials) -> dict[str, str]:
    """The credentials as PGUSER, PGPASSWORD, PGHOST, PGPORT and PGDATABASE."""
    return {
        "PGUSER": credentials.username,
        "PGPASSWORD": credentials.password,
        "PGHOST": credentials.host,
        "PGPORT": str(credentials.port),
        "PGDATABASE": credentials.dbname,
    }
