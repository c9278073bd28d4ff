"""A run's credentials: where a runner finds them, and the refusal when a transformer has none
(their values are masked in what a run printed: app/jobs/log_tail.py).

A transformer (or builtin) runs only as its own role, with the credentials the security sync
wrote to the secret store: when they are not there yet, the run is refused before anything
starts, never run with other credentials. The concrete source is built above this package
(app.security knows the stores: `app/security/secrets/run_secrets.py`) and injected into the runner.
"""

from __future__ import annotations

from typing import Protocol

from app.db.run_table import RunKind
from app.ecosystem.names import (
    credentials_secret,
    ingestion_credentials,
    ingestion_role,
    transformer_role,
)
from app.jobs.spec import SOURCE_CREDENTIAL, JobSpec


class RunSecrets(Protocol):
    """The secret values a local run is given: a transformer's own credentials, other secrets."""

    store: str  # local, aws or kubernetes: named when a transformer's credentials are missing

    async def credentials(self, transformer: str) -> dict[str, str] | None:
        """The transformer's current credentials as libpq variables, or None when it has none."""
        ...

    async def source_login(self, credential: str) -> dict[str, str] | None:
        """A data ingestion's source login (`user`, `password`), or None when it is not stored."""
        ...

    async def values(self, secret: str) -> dict[str, str] | None:
        """The keys of another secret (e.g. `ecoplane-dashboard`), or None when it is not there."""
        ...

    async def close(self) -> None:
        """Release the store's client, if it has one."""
        ...


def runs_as_transformer(spec: JobSpec) -> bool:
    """Whether the spec runs as a login role of its own (a transformer's, a builtin's, or a
    datastore's ingestion's `di_<datastore>`): everything but the security sync."""
    return spec.kind != RunKind.SECURITY_SYNC


def credentials_owner(spec: JobSpec) -> str:
    """The secret stores' key of the spec's own credentials: the transformer, or the
    datastore's ingestion (`datastore.<name>`)."""
    if spec.kind == RunKind.INGESTION:
        return ingestion_credentials(spec.target)
    return spec.target


def own_keys(spec: JobSpec) -> dict[str, str]:
    """The variables the spec takes from its own credentials secret: name → key."""
    secret = credentials_secret(credentials_owner(spec))
    return {name: ref.key for name, ref in spec.secret_env.items() if ref.secret == secret}


def missing_credentials(spec: JobSpec, role_prefix: str, store: str) -> str:
    """Why a run is refused when its own credentials are not in the store."""
    if spec.kind == RunKind.INGESTION:
        role, whose = ingestion_role(spec.target, role_prefix), "the ingestion of datastore"
    else:
        role, whose = transformer_role(spec.target, role_prefix), "transformer"
    return (
        f"security sync has not created role {role} yet: no credentials for {whose}"
        f" {spec.target} in the {store} secret store"
    )


def source_credential(spec: JobSpec) -> str | None:
    """The credential whose source login a data ingestion's run reads, if it is one."""
    return spec.env.get(SOURCE_CREDENTIAL) if spec.kind == RunKind.INGESTION else None


def missing_source_login(credential: str, store: str) -> str:
    """Why an ingestion's run is refused when its source login is not in the store."""
    return (
        f"no source login for credential {credential!r} in the {store} secret store: set it"
        f" with `ecoplane credential set {credential} --user USER --password-file FILE`"
    )
