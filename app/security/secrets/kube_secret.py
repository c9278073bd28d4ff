"""The Kubernetes Secret of a transformer's credentials, as data (pure: no I/O).

`ecoplane-dt-<dns label>` holds the libpq keys a Job reads by secretKeyRef (PGUSER, PGPASSWORD,
PGHOST, PGPORT, PGDATABASE); a staged change sits beside them under the same keys suffixed
`_PENDING`, which no Job references. Labels mark it ecoplane's (the admission policy admits
writes of nothing else); annotations keep the transformer's exact name and the times.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from app.ecosystem.names import (
    CREDENTIALS_INDEX,
    CREDENTIALS_INDEX_KEY,
    credentials_secret,
    dns_label,
)
from app.security.secrets.base import Credentials, SecretInfo, SecretStoreError
from app.security.warehouses.postgres_variables import libpq_variables

MANAGED_BY, ECOPLANE = "app.kubernetes.io/managed-by", "ecoplane"
COMPONENT = "app.kubernetes.io/component"
TRANSFORMER = "ecoplane.io/transformer"  # a label (its DNS label) and an annotation (exact)
PASSWORD_SET = "ecoplane.io/password-set"  # when the current password was promoted
PASSWORD_STAGED = "ecoplane.io/password-staged"  # when the pending one was staged
PENDING = "_PENDING"
LIBPQ_KEYS = ("PGUSER", "PGPASSWORD", "PGHOST", "PGPORT", "PGDATABASE")
# the list of transformers whose Secrets ecoplane wrote (it may not list Secrets); the
# Kubernetes runner reads it too, to know which credentials exist without a call per run
INDEX, INDEX_KEY = CREDENTIALS_INDEX, CREDENTIALS_INDEX_KEY

Secret = dict[str, Any]


class SecretNotManagedError(SecretStoreError):
    """A Secret by ecoplane's name that ecoplane did not write: it is never changed or deleted."""

    status = 409
    type = "secret-not-managed"


def secret_name(transformer: str) -> str:
    """The transformer's Secret; refused when the name leaves nothing for a DNS label."""
    if not dns_label(transformer):
        raise SecretStoreError(f"transformer {transformer!r} cannot name a Kubernetes Secret")
    return credentials_secret(transformer)


def labels(component: str, transformer: str | None = None) -> dict[str, str]:
    """The labels of every Secret ecoplane writes."""
    found = {MANAGED_BY: ECOPLANE, COMPONENT: component}
    if transformer is not None:
        found[TRANSFORMER] = dns_label(transformer)[:63].strip("-")
    return found


def values(secret: Secret | None) -> dict[str, str]:
    """The Secret's data, decoded."""
    data = (secret or {}).get("data") or {}
    try:
        return {k: base64.b64decode(v).decode() for k, v in data.items()}
    except (binascii.Error, UnicodeDecodeError):
        name = (secret or {}).get("metadata", {}).get("name")
        raise SecretStoreError(f"Secret {name} holds data that is not base64 text") from None


def body(
    secret: Secret | None, name: str, labelled: dict[str, str], data: dict[str, str]
) -> Secret:
    """The Secret to write: its labels over those it had, its annotations kept, data encoded."""
    metadata = (secret or {}).get("metadata", {})
    written: dict[str, Any] = {
        "name": name,
        "labels": {**(metadata.get("labels") or {}), **labelled},
        "annotations": dict(metadata.get("annotations") or {}),
    }
    if secret is not None:  # a replace: refused with 409 if it changed since it was read
        written["resourceVersion"] = metadata["resourceVersion"]
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(data.items())}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": written,
            "data": encoded}  # fmt: skip


def not_ours(secret: Secret, transformer: str | None) -> str | None:
    """Why ecoplane may not write this Secret (for this transformer), or None when it may."""
    metadata = secret.get("metadata", {})
    name = metadata.get("name")
    if (metadata.get("labels") or {}).get(MANAGED_BY) != ECOPLANE:
        return (
            f"Secret {name} exists without the label {MANAGED_BY}={ECOPLANE}: ecoplane did not"
            " write it and leaves it alone (delete or rename it to let ecoplane use the name)"
        )
    owner = (metadata.get("annotations") or {}).get(TRANSFORMER)
    if transformer is not None and owner != transformer:
        return f"Secret {name} holds the credentials of transformer {owner!r}, not {transformer!r}"
    return None


def listed(index: Secret | None) -> set[str]:
    """The transformers the index Secret lists (none without one); refused if not ecoplane's."""
    if index is None:
        return set()
    if why := not_ours(index, None):
        raise SecretNotManagedError(why)
    try:
        names = json.loads(values(index).get(INDEX_KEY) or "[]")
    except ValueError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SecretStoreError(f"Secret {INDEX} does not hold a JSON list of transformers")
    return set(names)


def credentials(found: dict[str, str], suffix: str = "") -> Credentials | None:
    """The credentials under the libpq keys (current) or those suffixed `_PENDING`."""
    if "PGPASSWORD" + suffix not in found:
        return None
    user, password, host, port, dbname = (found.get(k + suffix, "") for k in LIBPQ_KEYS)
    try:
        return Credentials(user, password, host, int(port), dbname)
    except ValueError:
        raise SecretStoreError(f"the credentials' PGPORT{suffix} is not a number") from None


def staged(found: dict[str, str], new: Credentials) -> dict[str, str]:
    """The data with `new` as the pending credentials (the current ones kept)."""
    current = {k: v for k, v in found.items() if k in LIBPQ_KEYS}
    return {**current, **{k + PENDING: v for k, v in libpq_variables(new).items()}}


def promoted(found: dict[str, str]) -> dict[str, str]:
    """The data with the pending credentials as the current ones, and no pending keys."""
    return {k: found[k + PENDING] for k in LIBPQ_KEYS if k + PENDING in found}


def info(secret: Secret) -> SecretInfo:
    """What the inventory says of a Secret: current, pending, when the password was set."""
    found = values(secret)
    set_at = (secret["metadata"].get("annotations") or {}).get(PASSWORD_SET)
    return SecretInfo(
        current="PGPASSWORD" in found,
        pending="PGPASSWORD" + PENDING in found,
        set_at=datetime.fromisoformat(set_at) if set_at else None,
    )
