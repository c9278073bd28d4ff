"""Kubernetes Secrets `ecoplane-dt-<name>` in the jobs' namespace, through kubernetes-asyncio.

A new password is staged under the `_PENDING` keys before the role gets it; once the role's
change commits, promotion moves it over the libpq keys the Jobs read. A sync that finds the
pending keys (a crash between the steps) finishes the change with that same password. Every
write is a replace at the resourceVersion just read, so a concurrent change is read again,
never overwritten. ecoplane may not list Secrets: the transformers it wrote are kept in the
index Secret (`kube_secret.INDEX`), added before a Secret is created and removed after it is
deleted, and the inventory reads each of them by name.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from app.errors import AppError
from app.kube import KubeError, api_client, call
from app.security.secrets import kube_secret as ks
from app.security.secrets.base import Credentials, SecretInfo, SecretStoreError

CONFLICT_ATTEMPTS = 5  # reads and writes again after a 409 (a concurrent change)
READERS = 16  # Secrets the inventory reads at once
log = logging.getLogger(__name__)

Change = Callable[[dict[str, str]], dict[str, str] | None]


class KubernetesCallError(SecretStoreError):
    """The Kubernetes API refused or failed a call on a Secret; `code` is its status (0: none)."""

    def __init__(self, detail: str, code: int) -> None:
        super().__init__(detail)
        self.code = code


class KubernetesSecretStore:
    """Transformer credentials in Kubernetes Secrets (the client is made on first use)."""

    def __init__(self, namespace: str, kubeconfig: Path | None, timeout: float = 30.0) -> None:
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.timeout = timeout
        self.client: client.ApiClient | None = None
        self._connecting = asyncio.Lock()
        self._indexing = asyncio.Lock()
        self._indexed: set[str] = set()  # known to be in the index
        self._unindexed: set[str] = set()  # waiting to be added (one write adds them all)

    async def close(self) -> None:
        """Close the client."""
        if self.client is not None:
            await self.client.close()
            self.client = None

    async def _call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One CoreV1Api call (5xx, 429 and timeouts retried by app.kube), errors wrapped."""
        async with self._connecting:
            if self.client is None:
                try:
                    self.client = await api_client(self.kubeconfig)
                except AppError as error:  # no in-cluster config, no kubeconfig
                    raise SecretStoreError(error.detail) from None
        api = getattr(client.CoreV1Api(self.client), method)
        try:
            return await call(what, api, *args, _request_timeout=self.timeout, **kwargs)
        except KubeError as error:
            raise KubernetesCallError(error.detail, error.code) from None

    async def _read(self, name: str) -> ks.Secret | None:
        """The Secret, or None when there is none."""
        try:
            found: ks.Secret = await self._call(
                f"read Secret {name}", "read_namespaced_secret", name, self.namespace
            )
        except KubernetesCallError as error:
            if error.code == 404:
                return None
            raise
        return found

    async def _write(self, name: str, secret: ks.Secret | None, body: ks.Secret) -> bool:
        """Create the Secret or replace it as read; False when it changed meanwhile (409)."""
        try:
            if secret is None:
                what = f"create Secret {name}"
                await self._call(what, "create_namespaced_secret", self.namespace, body)
            else:
                what = f"replace Secret {name}"
                await self._call(what, "replace_namespaced_secret", name, self.namespace, body)
        except KubernetesCallError as error:
            if error.code == 409:  # created or changed by someone else since it was read
                return False
            raise
        return True

    async def _change(self, transformer: str, change: Change, stamp: str) -> None:
        """Read the transformer's Secret, change its data, write it; again after a conflict."""
        name = ks.secret_name(transformer)
        for _ in range(CONFLICT_ATTEMPTS):
            secret = await self._read(name)
            if secret is not None and (why := ks.not_ours(secret, transformer)):
                raise ks.SecretNotManagedError(why)
            data = change(ks.values(secret))
            if data is None:
                return
            written = ks.body(secret, name, ks.labels("transformer-credentials", transformer), data)
            annotations = written["metadata"]["annotations"]
            annotations[ks.TRANSFORMER] = transformer
            annotations[stamp] = datetime.now(UTC).isoformat()
            if stamp == ks.PASSWORD_SET:
                annotations.pop(ks.PASSWORD_STAGED, None)
            if await self._write(name, secret, written):
                return
        raise SecretStoreError(f"Secret {name} kept changing while ecoplane wrote it")

    async def inventory(self) -> dict[str, SecretInfo]:
        """Every transformer of the index whose Secret exists and is ecoplane's."""
        names = await self._index()
        self._indexed = set(names)
        limit = asyncio.Semaphore(READERS)

        async def read(transformer: str) -> ks.Secret | None:
            async with limit:
                return await self._read(ks.secret_name(transformer))

        found = await asyncio.gather(*(read(t) for t in names))
        return {
            t: ks.info(secret)
            for t, secret in zip(names, found, strict=True)
            if secret is not None and ks.not_ours(secret, t) is None
        }

    async def stage(self, transformer: str, credentials: Credentials) -> None:
        """Put the credentials under the `_PENDING` keys (the Secret is made when missing)."""
        await self._remember(transformer)
        await self._change(
            transformer, lambda found: ks.staged(found, credentials), ks.PASSWORD_STAGED
        )

    async def pending(self, transformer: str) -> Credentials | None:
        """The staged credentials, if a change was interrupted."""
        return ks.credentials(await self._values(transformer), ks.PENDING)

    async def current(self, transformer: str) -> Credentials | None:
        """The credentials the Jobs read."""
        return ks.credentials(await self._values(transformer))

    async def _values(self, transformer: str) -> dict[str, str]:
        """The data of the transformer's Secret; nothing when it is missing or not ecoplane's."""
        secret = await self._read(ks.secret_name(transformer))
        if secret is None or ks.not_ours(secret, transformer) is not None:
            return {}
        return ks.values(secret)

    async def promote(self, transformer: str) -> None:
        """The pending credentials replace the libpq keys; the time is stamped."""

        def change(found: dict[str, str]) -> dict[str, str] | None:
            return ks.promoted(found) if "PGPASSWORD" + ks.PENDING in found else None

        await self._change(transformer, change, ks.PASSWORD_SET)

    async def delete(self, transformer: str) -> None:
        """Delete the Secret (only as read: ecoplane's, unchanged since), then unlist it."""
        name = ks.secret_name(transformer)
        for _ in range(CONFLICT_ATTEMPTS):
            secret = await self._read(name)
            if secret is None:
                break
            if why := ks.not_ours(secret, transformer):
                raise ks.SecretNotManagedError(why)
            if await self._delete(name, secret["metadata"]["resourceVersion"]):
                break
        else:
            raise SecretStoreError(f"Secret {name} kept changing while ecoplane deleted it")
        await self._update_index(lambda names: names - {transformer})
        self._indexed.discard(transformer)

    async def _delete(self, name: str, version: str) -> bool:
        """Delete at this resourceVersion; False when it changed meanwhile."""
        options = {"apiVersion": "v1", "kind": "DeleteOptions",
                   "preconditions": {"resourceVersion": version}}  # fmt: skip
        try:
            await self._call(
                f"delete Secret {name}", "delete_namespaced_secret", name, self.namespace,
                body=options,
            )  # fmt: skip
        except KubernetesCallError as error:
            if error.code == 409:
                return False
            if error.code != 404:
                raise
        return True

    async def _index(self) -> list[str]:
        """The transformers listed in the index Secret."""
        return sorted(ks.listed(await self._read(ks.INDEX)))

    async def _remember(self, transformer: str) -> None:
        """List the transformer in the index before its Secret is written (batched)."""
        if transformer in self._indexed:
            return
        self._unindexed.add(transformer)
        async with self._indexing:
            batch = set(self._unindexed)
            if transformer not in batch:
                return  # added with an earlier batch
            await self._update_index(lambda names: names | batch)
            self._indexed |= batch
            self._unindexed -= batch

    async def _update_index(self, change: Callable[[set[str]], set[str]]) -> None:
        """Read the index, change its names, write it; again after a conflict."""
        for _ in range(CONFLICT_ATTEMPTS):
            secret = await self._read(ks.INDEX)
            names = ks.listed(secret)
            wanted = change(names)
            if wanted == names:
                return
            data = {ks.INDEX_KEY: json.dumps(sorted(wanted))}
            written = ks.body(secret, ks.INDEX, ks.labels("transformer-credentials-index"), data)
            if await self._write(ks.INDEX, secret, written):
                log.debug("the index of transformer Secrets lists %d transformers", len(wanted))
                return
        raise SecretStoreError(f"Secret {ks.INDEX} kept changing while ecoplane wrote it")
