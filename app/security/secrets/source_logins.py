"""Source logins: the user and password a data ingestion reads its source with, one per
`ingestion.credential` name, kept in the secret store in use (`ecoplane credential set`).

Every store keeps a login under the credential's exact name and refuses to write over a secret
that holds another credential (`crm_reader` and `crm-reader` share the secret
`ecoplane-source-crm-reader`) or that ecoplane did not write. The password is never in a
`repr`, a listing or a message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from app.ecosystem.names import credential_problem, source_secret
from app.security.secrets.base import SecretStoreError
from app.security.secrets.local import read_json, write_private_json

MAX_PASSWORD_BYTES = 4096  # a password file larger than this is not a password
MAX_USER_CHARS = 128
PREFIX = source_secret("")  # ecoplane-source-


class SourceLoginError(SecretStoreError):
    """A source login that cannot be stored as given (name, user or password)."""

    status = 422
    type = "invalid-source-login"


class SourceLoginTakenError(SecretStoreError):
    """The secret of a credential holds another credential's login, or is not ecoplane's."""

    status = 409
    type = "source-login-taken"


@dataclass(frozen=True, slots=True)
class SourceLogin:
    """The login of a source: the credential's name, the user and the password."""

    credential: str
    user: str
    password: str

    def __repr__(self) -> str:  # never print the password, whatever prints this object
        return f"SourceLogin(credential={self.credential!r}, user={self.user!r})"

    __str__ = __repr__

    def variables(self) -> dict[str, str]:
        """The keys of the secret a run reads: `user` and `password`."""
        return {"user": self.user, "password": self.password}


@dataclass(frozen=True, slots=True)
class StoredLogin:
    """What a listing says of a stored login: never its password."""

    credential: str
    user: str
    secret: str  # where it is: a file, a Secrets Manager name or a Kubernetes Secret
    set_at: datetime | None


class SourceLogins(Protocol):
    """The source logins of one secret store."""

    store: str  # local, aws or kubernetes

    def secret(self, credential: str) -> str:
        """Where the credential's login is kept."""
        ...

    async def put(self, login: SourceLogin) -> None:
        """Store the login (replacing the credential's earlier one)."""
        ...

    async def get(self, credential: str) -> SourceLogin | None:
        """The credential's login, or None when it has none."""
        ...

    async def logins(self) -> list[StoredLogin]:
        """Every stored login, by credential name."""
        ...

    async def delete(self, credential: str) -> bool:
        """Forget the credential's login; False when there was none."""
        ...

    async def close(self) -> None:
        """Release the store's client, if it has one."""
        ...


def checked_login(credential: str, user: str, password: bytes) -> SourceLogin:
    """A login from what an operator gave, one trailing newline of the password dropped;
    SourceLoginError naming what is wrong (never showing the password)."""
    if why := credential_problem(credential):
        raise SourceLoginError(why)
    if not user or len(user) > MAX_USER_CHARS or not user.isprintable() or user != user.strip():
        raise SourceLoginError(
            f"user {user[:MAX_USER_CHARS]!r} of credential {credential!r} must be 1 to"
            f" {MAX_USER_CHARS} printable characters without spaces at either end"
        )
    if password.endswith(b"\r\n"):
        password = password[:-2]
    elif password.endswith(b"\n"):
        password = password[:-1]
    if len(password) > MAX_PASSWORD_BYTES:
        raise SourceLoginError(
            f"the password of credential {credential!r} is over {MAX_PASSWORD_BYTES} bytes:"
            " give a file holding only the password"
        )
    try:
        text = password.decode()
    except UnicodeDecodeError:
        raise SourceLoginError(f"the password of credential {credential!r} is not UTF-8") from None
    if not text:
        raise SourceLoginError(f"the password of credential {credential!r} is empty")
    if "\0" in text or "\n" in text:
        raise SourceLoginError(
            f"the password of credential {credential!r} holds a NUL or a line break"
        )
    return SourceLogin(credential, user, text)


def now() -> str:
    """The time a password is set, as stored."""
    return datetime.now(UTC).isoformat()


class LocalSourceLogins:
    """`<data dir>/secrets/ecoplane-source-<name>.json` (0600, replaced atomically): `user`,
    `password`, and the exact `credential` and `setAt` beside them."""

    store = "local"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def secret(self, credential: str) -> str:
        """The file of the credential's login."""
        return str(self.directory / f"{source_secret(credential)}.json")

    async def put(self, login: SourceLogin) -> None:
        """Write the file, unless it holds another credential."""
        await asyncio.to_thread(self._put, login)

    def _put(self, login: SourceLogin) -> None:
        path = Path(self.secret(login.credential))
        found = read_json(path)
        if (
            isinstance(found, dict)
            and found.get("credential", login.credential) != login.credential
        ):
            raise SourceLoginTakenError(
                f"{path.name} holds the login of credential {found.get('credential')!r}, not"
                f" {login.credential!r}: one secret per source login (delete the other first)"
            )
        write_private_json(path, {"credential": login.credential, **login.variables(),
                                  "setAt": now()})  # fmt: skip

    async def get(self, credential: str) -> SourceLogin | None:
        """The file's login, when it is this credential's."""
        found = await asyncio.to_thread(read_json, Path(self.secret(credential)))
        return parsed_login(credential, found)

    async def logins(self) -> list[StoredLogin]:
        """Every `ecoplane-source-*.json` holding a login."""
        return await asyncio.to_thread(self._logins)

    def _logins(self) -> list[StoredLogin]:
        found: list[StoredLogin] = []
        for path in sorted(self.directory.glob(f"{PREFIX}*.json")):
            document = read_json(path)
            if not isinstance(document, dict):
                continue
            credential = document.get("credential") or path.stem.removeprefix(PREFIX)
            if isinstance(document.get("user"), str) and isinstance(credential, str):
                found.append(StoredLogin(credential, document["user"], str(path),
                                         parsed_time(document.get("setAt"))))  # fmt: skip
        return sorted(found, key=lambda s: s.credential)

    async def delete(self, credential: str) -> bool:
        """Remove the file; refused when it holds another credential's login."""
        return await asyncio.to_thread(self._delete, credential)

    def _delete(self, credential: str) -> bool:
        path = Path(self.secret(credential))
        found = read_json(path)
        if found is None:
            return False
        if isinstance(found, dict) and found.get("credential", credential) != credential:
            raise SourceLoginTakenError(
                f"{path.name} holds the login of credential {found.get('credential')!r}, not"
                f" {credential!r}: left alone"
            )
        path.unlink(missing_ok=True)
        return True

    async def close(self) -> None:
        """Nothing to release."""


def parsed_login(credential: str, document: dict[str, Any] | None) -> SourceLogin | None:
    """The login in a stored document, when it is this credential's and complete."""
    if not isinstance(document, dict) or document.get("credential", credential) != credential:
        return None
    user, password = document.get("user"), document.get("password")
    if not isinstance(user, str) or not isinstance(password, str) or not user:
        return None
    return SourceLogin(credential, user, password)


def parsed_time(text: object) -> datetime | None:
    """A stored time, None when there is none or it does not parse."""
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
