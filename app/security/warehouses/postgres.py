"""The Postgres warehouse: its catalog read, a plan rendered as SQL and applied on one connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import asyncpg

from app.ecosystem.coltypes import ColumnType
from app.security.actual import Actual
from app.security.operations import Operation
from app.security.secrets.base import Credentials
from app.security.warehouses import postgres_sql
from app.security.warehouses.base import Endpoint, WarehouseError
from app.security.warehouses.postgres_catalog import read_catalog
from app.security.warehouses.postgres_connection import connect, endpoint, warehouse_url
from app.security.warehouses.postgres_scram import scram_verifier
from app.security.warehouses.postgres_types import render_type
from app.security.warehouses.postgres_variables import libpq_variables
from app.settings import Settings

BATCH = 200  # statements per round trip
# one sync at a time per installation (its marker): another installation's sync is not waited for
LOCK = "SELECT pg_advisory_xact_lock(hashtext('ecoplane security sync ' || $1::text))"
# for the rest of the sync's transaction (the passwords come last): no timeout cancels a password
# statement, and a superuser's session logs no failing statement (only a superuser may set that)
QUIET_PASSWORDS = (
    "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0;"
    " SELECT set_config('log_min_error_statement', 'panic', true)"
    " WHERE (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
)


class PostgresWarehouse:
    """A Warehouse on one asyncpg admin connection (the caller opens and closes it)."""

    def __init__(self, connection: asyncpg.Connection, where: Endpoint) -> None:
        self.connection = connection
        self.endpoint = where

    @asynccontextmanager
    async def transaction(self, doing: str, *, readonly: bool = False) -> AsyncIterator[None]:
        """A transaction; asyncpg's errors (a lost connection, a failed commit) as WarehouseError."""
        try:
            async with self.connection.transaction(readonly=readonly):
                yield
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            detail = f"{doing} failed on the warehouse: {type(error).__name__}"
            raise WarehouseError(detail) from None

    async def lock(self, marker: str) -> None:
        """An advisory lock of the installation, held until the transaction ends."""
        await self.connection.execute(LOCK, marker)

    async def inspect(self, marker: str) -> Actual:
        """The warehouse's state in five catalog queries, whatever the number of objects."""
        try:
            return await read_catalog(self.connection, marker)
        except asyncpg.PostgresError as error:
            raise WarehouseError(f"reading the warehouse catalog failed: {error}") from error

    def statement(self, operation: Operation) -> str:
        """The operation's SQL as shown: a password only as ********."""
        return postgres_sql.statement(operation)

    def verifier(self, password: str) -> str:
        """The SCRAM-SHA-256 verifier the server keeps (the password never reaches SQL)."""
        return scram_verifier(password)

    def column_type(self, type: ColumnType) -> str:
        """The Postgres type of a model type, spelled as the catalog read spells it."""
        return render_type(type)

    async def execute(self, operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        """The operations in order, sent in batches (one round trip per batch, not per statement),
        then the passwords, each alone.

        The server logs a statement that fails (log_min_error_statement): a batch, which may fail
        for the data it meets, never holds a SCRAM verifier. A password statement runs only once
        every other statement has succeeded, on a role that exists by then, with no statement or
        lock timeout, and (when the admin may) with failing statements kept out of the log.
        An error names the batch's operations and the server's message, never a password.
        """
        for first in range(0, len(operations), BATCH):
            batch = operations[first : first + BATCH]
            sent = [postgres_sql.sql(op) for op in batch if not _only_a_password(op)]
            await self._send(";\n".join(sent), batch, first)
        passwords = [op for op in operations if op.credential is not None]
        if passwords:
            await self.connection.execute(QUIET_PASSWORDS)
        for op in passwords:
            assert op.credential is not None
            await self._send(postgres_sql.password(op.target, verifiers[op.credential]), [op], 0)

    async def _send(self, statements: str, batch: list[Operation], first: int) -> None:
        """One round trip; a failure as a WarehouseError naming the operations it held."""
        if not statements:
            return
        try:
            await self.connection.execute(statements)
        except asyncpg.PostgresError as error:
            where = f"{batch[0].action} {batch[0].target}"
            if len(batch) > 1:
                where = f"one of operations {first + 1}-{first + len(batch)} (from {where})"
            raise WarehouseError(
                f"{where} failed: {type(error).__name__} ({error.sqlstate}):"
                f" {_message(error, batch)}"
            ) from None


class PostgresKind:
    """The Postgres kind of warehouse: ECOPLANE_WAREHOUSE_URL (or the default), libpq variables."""

    @asynccontextmanager
    async def open(self, settings: Settings) -> AsyncIterator[PostgresWarehouse]:
        """An admin connection to the configured warehouse, closed at the end."""
        url = await warehouse_url(settings)
        connection = await connect(url)
        try:
            yield PostgresWarehouse(connection, endpoint(url))
        finally:
            await connection.close()

    def connection_variables(self, credentials: Credentials) -> dict[str, str]:
        """PGUSER, PGPASSWORD, PGHOST, PGPORT and PGDATABASE."""
        return libpq_variables(credentials)


def _only_a_password(operation: Operation) -> bool:
    """A `set password` operation: its whole statement is the password, sent apart."""
    return operation.credential is not None and operation.action == "set password"


def _message(error: asyncpg.PostgresError, batch: list[Operation]) -> str:
    """The server's message, unless it could quote a statement holding a verifier."""
    text = str(error)
    secret = any(op.credential for op in batch) and "SCRAM" in text
    return "(message withheld)" if secret else text
