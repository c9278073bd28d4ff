"""The secret store interface: credentials staged as pending, promoted once the role has them."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.errors import AppError

# the stores keep credentials as the Postgres warehouse's connection variables (their layout)

PASSWORD_LENGTH = 40
ALPHABET = string.ascii_letters + string.digits


class SecretStoreError(AppError):
    """The secret store refused or failed a request."""

    status = 503
    type = "secret-store-unavailable"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A transformer's database login, in the libpq sense."""

    username: str
    password: str
    host: str
    port: int
    dbname: str

    def __repr__(self) -> str:  # never print the password, whatever prints this object
        return f"Credentials(username={self.username!r}, host={self.host!r}, port={self.port}, dbname={self.dbname!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What the store knows of a transformer's secret without reading the password."""

    current: bool  # credentials in use exist
    pending: bool  # a new password was staged and not yet promoted
    set_at: datetime | None  # when the current password was promoted


def new_password() -> str:
    """A random password of 40 letters and digits, from `secrets`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))


class SecretStore(Protocol):
    """Credentials of transformers: stage a new password, promote it, read, list, delete, close."""

    async def inventory(self) -> dict[str, SecretInfo]:
        """Every managed transformer secret, by transformer name."""
        ...

    async def stage(self, transformer: str, credentials: Credentials) -> None:
        """Keep new credentials as pending (the role does not have them yet)."""
        ...

    async def pending(self, transformer: str) -> Credentials | None:
        """The staged credentials, if a change was interrupted."""
        ...

    async def promote(self, transformer: str) -> None:
        """Make the pending credentials the current ones (the role now has them)."""
        ...

    async def current(self, transformer: str) -> Credentials | None:
        """The credentials in use."""
        ...

    async def delete(self, transformer: str) -> None:
        """Forget a transformer's credentials (its role was dropped)."""
        ...

    async def close(self) -> None:
        """Release the store's client, if it has one."""
        ...
