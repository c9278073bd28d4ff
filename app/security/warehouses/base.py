"""What the security sync asks of a warehouse, and of a kind of warehouse (the seam a second
one, e.g. Snowflake, plugs into; Postgres is the one there is: postgres.py)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from app.ecosystem.coltypes import ColumnType
from app.errors import AppError
from app.security.actual import Actual
from app.security.operations import Operation
from app.security.secrets.base import Credentials
from app.settings import Settings


class WarehouseError(AppError):
    """The warehouse refused a statement or could not be read."""

    status = 503
    type = "warehouse-error"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a transformer connects: host, port and database of the warehouse."""

    host: str
    port: int
    dbname: str


class Warehouse(Protocol):
    """A warehouse on an admin session: read its state, render and apply neutral operations."""

    endpoint: Endpoint

    def transaction(
        self, doing: str, *, readonly: bool = False
    ) -> AbstractAsyncContextManager[None]:
        """A transaction; what fails in it comes out as a WarehouseError naming `doing`."""
        ...

    async def lock(self, marker: str) -> None:
        """Wait for another sync of the installation (its marker) until the transaction ends."""
        ...

    async def inspect(self, marker: str) -> Actual:
        """The roles, schemas, relations and privileges of managed roles, as they are."""
        ...

    async def execute(self, operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        """Run the operations in order (new passwords as verifiers, by transformer)."""
        ...

    def statement(self, operation: Operation) -> str:
        """The operation as plans, logs and the audit show it: a password only as ********."""
        ...

    def verifier(self, password: str) -> str:
        """What the warehouse is sent of a new password (never the password itself)."""
        ...

    def column_type(self, type: ColumnType) -> str:
        """A model column type as `inspect` reports a table column of it (raw tables are
        compared with the model by it)."""
        ...


class WarehouseKind(Protocol):
    """A kind of warehouse: how the service reaches one and what a run is given to connect."""

    def open(self, settings: Settings) -> AbstractAsyncContextManager[Warehouse]:
        """The configured warehouse on an admin session, closed at the end."""
        ...

    def connection_variables(self, credentials: Credentials) -> dict[str, str]:
        """A transformer's credentials as the environment variables its run connects with."""
        ...
