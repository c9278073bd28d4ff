"""Whether a transformer's credentials Secret exists, checked before its Job is created.

A Job whose secretKeyRef names a missing Secret (or key) never starts: its pod waits in
CreateContainerConfigError until the deadline. So the runner refuses such a run at once. It may
not list Secrets (its Role has no `list`); instead it reads the index Secret the Kubernetes
secret store keeps (the transformers whose Secrets it wrote) once, and remembers the names; a
name it does not know is read by itself before the run is refused, so a Secret created since
is found. One call for every transformer, then none per run.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.ecosystem.names import CREDENTIALS_INDEX, CREDENTIALS_INDEX_KEY, credentials_secret
from app.jobs.runners.credentials import (
    credentials_owner,
    missing_credentials,
    missing_source_login,
    own_keys,
    runs_as_transformer,
    source_credential,
)
from app.jobs.spec import MANAGED_BY, JobSpec, source_secret
from app.kube import KubeError

INDEX_SECONDS = 300.0  # the index is read again after this (a Secret deleted by hand is noticed)
log = logging.getLogger("ecoplane.kubernetes")

ReadSecret = Callable[[str], Awaitable[dict[str, Any] | None]]


class CredentialSecrets:
    """The credentials Secrets known to exist, from the index and from reads on a miss."""

    def __init__(self, read: ReadSecret) -> None:
        self.read = read  # a Secret by name, None when there is none (404)
        self.known: set[str] = set()
        self.loaded_at: float | None = None
        self.loading = asyncio.Lock()
        self.reads = 0  # Secrets read one by one (a miss of the index)

    async def refusal(self, spec: JobSpec, role_prefix: str) -> str | None:
        """Why the spec may not run (its transformer has no credentials Secret), or None."""
        keys = own_keys(spec)
        if not runs_as_transformer(spec) or not keys:
            return None
        if await self.exists(credentials_secret(credentials_owner(spec)), set(keys.values())):
            return None
        return missing_credentials(spec, role_prefix, "kubernetes")

    async def source_refusal(self, spec: JobSpec, store: str) -> str | None:
        """Why a data ingestion may not run (its source-login Secret is missing), or None.

        Read by name for every ingestion (one call): a Job referring to a missing Secret would
        wait in CreateContainerConfigError until its deadline."""
        credential = source_credential(spec)
        if not credential:
            return None
        found = await self.read(source_secret(credential))
        if found is not None and {"user", "password"} <= set((found.get("data") or {}).keys()):
            return None
        why = missing_source_login(credential, "kubernetes")
        if store != "kubernetes":  # the command would write the store in use, not the Secret
            why += (
                f" (the Kubernetes runner reads source logins from Secrets in its namespace:"
                f" run it with ECOPLANE_SECRET_STORE=kubernetes, not {store})"
            )
        return why

    async def exists(self, secret: str, keys: set[str]) -> bool:
        """Whether the Secret exists (with these keys, when it is read by itself)."""
        if self._stale():
            async with self.loading:
                if self._stale():
                    await self._load_index()
        if secret in self.known:
            return True
        self.reads += 1
        found = await self.read(secret)
        if found is None or not keys <= set((found.get("data") or {}).keys()):
            return False
        self.known.add(secret)
        return True

    def _stale(self) -> bool:
        return self.loaded_at is None or time.monotonic() - self.loaded_at > INDEX_SECONDS

    async def _load_index(self) -> None:
        """The Secrets the index lists (none without an index: each is then read on its own)."""
        try:
            index = await self.read(CREDENTIALS_INDEX)
        except KubeError as error:  # e.g. forbidden: every Secret is read on its own instead
            log.warning("cannot read Secret %s: %s", CREDENTIALS_INDEX, error.detail)
            index = None
        self.known = {credentials_secret(name) for name in _listed(index)}
        self.loaded_at = time.monotonic()


def _listed(index: dict[str, Any] | None) -> list[str]:
    """The transformer names in the index Secret; none when it is missing or unreadable."""
    labels = ((index or {}).get("metadata") or {}).get("labels") or {}
    encoded = ((index or {}).get("data") or {}).get(CREDENTIALS_INDEX_KEY)
    if not encoded or labels.get(MANAGED_BY) != "ecoplane":  # only the store's own index
        return []
    try:
        names = json.loads(base64.b64decode(encoded))
    except (binascii.Error, ValueError):
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        log.warning("Secret %s does not hold a JSON list of transformers", CREDENTIALS_INDEX)
        return []
    return names
