"""Source logins as Kubernetes Secrets `ecoplane-source-<credential as a DNS label>` in the jobs'
namespace, keys `user` and `password`: the Secret an ingestion Job maps by `secretKeyRef`.

Labelled as ecoplane's (`app.kubernetes.io/component: source-login`), the exact credential in the
annotation `ecoplane.io/credential`. ecoplane may not list Secrets, so the credentials it wrote
are kept in the index Secret `ecoplane-source--index` (key `credentials`), added before a Secret
is written and removed after it is deleted. Writes are replaces at the resourceVersion read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from app.ecosystem.names import SOURCE_INDEX, SOURCE_INDEX_KEY, source_secret
from app.security.secrets import kube_secret as ks
from app.security.secrets.base import SecretStoreError
from app.security.secrets.kubernetes import CONFLICT_ATTEMPTS, KubernetesSecretStore
from app.security.secrets.source_logins import (
    SourceLogin,
    SourceLoginTakenError,
    StoredLogin,
    parsed_login,
    parsed_time,
)

CREDENTIAL = "ecoplane.io/credential"  # the annotation with the exact credential name
COMPONENT = "source-login"


def _not_ours(secret: ks.Secret, credential: str) -> str | None:
    """Why ecoplane may not use this Secret for the credential, or None."""
    metadata = secret.get("metadata", {})
    labels, annotations = metadata.get("labels") or {}, metadata.get("annotations") or {}
    if labels.get(ks.MANAGED_BY) != ks.ECOPLANE:
        return (
            f"Secret {metadata.get('name')} exists without the label {ks.MANAGED_BY}="
            f"{ks.ECOPLANE}: ecoplane did not write it and leaves it alone"
        )
    if annotations.get(CREDENTIAL) != credential:
        return (
            f"Secret {metadata.get('name')} holds the login of credential"
            f" {annotations.get(CREDENTIAL)!r}, not {credential!r}"
        )
    return None


class KubernetesSourceLogins:
    """Source logins in Kubernetes Secrets (the client of a KubernetesSecretStore, made on use)."""

    store = "kubernetes"

    def __init__(self, namespace: str, kubeconfig: Path | None, timeout: float = 30.0) -> None:
        self.namespace = namespace
        self.api = KubernetesSecretStore(namespace, kubeconfig, timeout)  # reads and writes

    def secret(self, credential: str) -> str:
        """The Secret's name."""
        return source_secret(credential)

    async def put(self, login: SourceLogin) -> None:
        """List the credential in the index, then create or replace its Secret."""
        name = self.secret(login.credential)
        found = await self.api._read(name)
        if found is not None and (why := _not_ours(found, login.credential)):
            raise SourceLoginTakenError(why)  # before the index lists a name it cannot have
        await self._update_index(lambda names: names | {login.credential})
        for _ in range(CONFLICT_ATTEMPTS):
            found = await self.api._read(name)
            if found is not None and (why := _not_ours(found, login.credential)):
                raise SourceLoginTakenError(why)
            labels = {ks.MANAGED_BY: ks.ECOPLANE, ks.COMPONENT: COMPONENT}
            body = ks.body(found, name, labels, login.variables())
            body["metadata"]["annotations"][CREDENTIAL] = login.credential
            body["metadata"]["annotations"][ks.PASSWORD_SET] = datetime.now(UTC).isoformat()
            if await self.api._write(name, found, body):
                return
        raise SecretStoreError(f"Secret {name} kept changing while ecoplane wrote it")

    async def get(self, credential: str) -> SourceLogin | None:
        """The login in the credential's Secret, when it is ecoplane's and this credential's."""
        found = await self.api._read(self.secret(credential))
        if found is None or _not_ours(found, credential) is not None:
            return None
        return parsed_login(credential, ks.values(found))

    async def logins(self) -> list[StoredLogin]:
        """The credentials of the index whose Secret exists (read one by one)."""
        stored: list[StoredLogin] = []
        for credential in sorted(await self._index()):
            found = await self.api._read(self.secret(credential))
            if found is None or _not_ours(found, credential) is not None:
                continue
            set_at = (found["metadata"].get("annotations") or {}).get(ks.PASSWORD_SET)
            user = ks.values(found).get("user", "")
            stored.append(StoredLogin(credential, user, self.secret(credential),
                                      parsed_time(set_at)))  # fmt: skip
        return stored

    async def delete(self, credential: str) -> bool:
        """Delete the Secret (only ecoplane's, as read), then take it off the index."""
        name, deleted = self.secret(credential), False
        for _ in range(CONFLICT_ATTEMPTS):
            found = await self.api._read(name)
            if found is None:
                break
            if why := _not_ours(found, credential):
                raise SourceLoginTakenError(why)
            if await self.api._delete(name, found["metadata"]["resourceVersion"]):
                deleted = True
                break
        else:
            raise SecretStoreError(f"Secret {name} kept changing while ecoplane deleted it")
        await self._update_index(lambda names: names - {credential})
        return deleted

    async def close(self) -> None:
        """Close the client."""
        await self.api.close()

    async def _index(self) -> set[str]:
        """The credentials the index Secret lists (none without one)."""
        return _names(await self.api._read(SOURCE_INDEX))

    async def _update_index(self, change: Callable[[set[str]], set[str]]) -> None:
        """Read the index, change its names, write it; again after a conflict."""
        for _ in range(CONFLICT_ATTEMPTS):
            index = await self.api._read(SOURCE_INDEX)
            names = _names(index)
            wanted = change(names)
            if wanted == names:
                return
            data = {SOURCE_INDEX_KEY: json.dumps(sorted(wanted))}
            labels = {ks.MANAGED_BY: ks.ECOPLANE, ks.COMPONENT: "source-login-index"}
            if await self.api._write(
                SOURCE_INDEX, index, ks.body(index, SOURCE_INDEX, labels, data)
            ):
                return
        raise SecretStoreError(f"Secret {SOURCE_INDEX} kept changing while ecoplane wrote it")


def _names(index: ks.Secret | None) -> set[str]:
    """The credentials an index Secret lists (none without one); refused if not ecoplane's."""
    if index is None:
        return set()
    if why := ks.not_ours(index, None):
        raise SourceLoginTakenError(why)
    try:
        names = json.loads(ks.values(index).get(SOURCE_INDEX_KEY) or "[]")
    except ValueError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SecretStoreError(f"Secret {SOURCE_INDEX} does not hold a JSON list of names")
    return set(names)
