"""Rotation: the old password stops working, the new one works; interrupted changes resume."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from app.ecosystem.model import Model
from app.security.plan import Operation
from app.security.secrets.aws import AwsSecretStore
from app.security.secrets.base import SecretStore, SecretStoreError
from app.security.secrets.local import LocalSecretStore
from app.security.sync import NotConvergedError, SecuritySync, SyncConfig
from app.security.warehouses.base import WarehouseError
from app.security.warehouses.postgres import PostgresWarehouse
from tests.security.aws import aws_environment, client, moto_endpoint
from tests.security.kube import kube_store_on
from tests.security.logins import login, password_matches

__all__ = ["aws_environment", "moto_endpoint"]
TRANSFORMER = "compute_revenue"


@pytest.fixture(params=["local", "aws", "kubernetes"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SecretStore]:
    """Each secret store in turn (AWS: a prefix of the test's own on moto; Kubernetes: the double)."""
    if request.param == "local":
        yield LocalSecretStore(tmp_path / "secrets")
    elif request.param == "aws":
        request.getfixturevalue("aws_environment")
        endpoint = request.getfixturevalue("moto_endpoint")
        yield AwsSecretStore(client(endpoint), f"test-{uuid.uuid4().hex[:8]}")
    else:
        async with kube_store_on(tmp_path) as (store, _):
            yield store


@pytest.fixture
def rotating(
    postgres: PostgresWarehouse, any_store: SecretStore, config: SyncConfig
) -> SecuritySync:
    """A sync on the chosen store."""
    return SecuritySync(postgres, any_store, config)


async def _works(warehouse: asyncpg.Connection, store: SecretStore, logins: bool) -> str:
    """The transformer's current password, checked against the server."""
    credentials = await store.current(TRANSFORMER)
    assert credentials is not None
    assert await password_matches(warehouse, credentials.username, credentials.password)
    if logins:
        connection = await login(credentials)
        await connection.close()
    return credentials.password


async def _fails(warehouse: asyncpg.Connection, role: str, password: str, logins: bool) -> None:
    assert not await password_matches(warehouse, role, password)
    if logins:
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(
                user=role, password=password, host=rotating_host(warehouse), database=_db(warehouse)
            )


def rotating_host(connection: asyncpg.Connection) -> str:
    address = connection._addr  # type: ignore[attr-defined]  # where the admin connected
    return address if isinstance(address, str) else str(address[0])


def _db(connection: asyncpg.Connection) -> str:
    return str(connection._params.database)  # type: ignore[attr-defined]


async def test_old_passwords_stop_working_after_rotation(
    warehouse: asyncpg.Connection,
    rotating: SecuritySync,
    any_store: SecretStore,
    acme_model: Model,
    password_logins: bool,
) -> None:
    await rotating.apply(acme_model)
    old = await _works(warehouse, any_store, password_logins)
    role = rotating.config.role_prefix + "dt_" + TRANSFORMER
    assert not (await rotating.plan(acme_model)).changes  # young passwords stay
    rotating.config = dataclasses.replace(rotating.config, max_age=timedelta(0))
    plan = await rotating.plan(acme_model)
    assert {op.reason for op in plan.operations if op.action == "set password"} == {
        "password older than 0 days"
    }
    await _apply_once(rotating, acme_model)
    new = await _works(warehouse, any_store, password_logins)
    assert new != old
    await _fails(warehouse, role, old, password_logins)


async def _apply_once(sync: SecuritySync, model: Model) -> None:
    """Apply the rotation; with a maximum age of 0 the verifying plan wants to rotate again."""
    with pytest.raises(NotConvergedError, match="still finds"):
        await sync.apply(model)


async def test_a_crash_before_the_commit_is_resumed_with_the_staged_password(
    warehouse: asyncpg.Connection,
    rotating: SecuritySync,
    any_store: SecretStore,
    acme_model: Model,
    monkeypatch: pytest.MonkeyPatch,
    password_logins: bool,
) -> None:
    await rotating.apply(acme_model)
    old = await _works(warehouse, any_store, password_logins)
    await any_store.delete(TRANSFORMER)  # no stored credentials: a new password is set
    real = rotating.warehouse.execute

    async def crash(operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        await real(operations, verifiers)
        raise WarehouseError("crash before the commit")

    monkeypatch.setattr(rotating.warehouse, "execute", crash)
    with pytest.raises(WarehouseError):
        await rotating.apply(acme_model)
    staged = await any_store.pending(TRANSFORMER)
    assert staged is not None
    role = staged.username
    assert await password_matches(warehouse, role, old)  # rolled back: the role kept its password
    monkeypatch.undo()
    plan = await rotating.plan(acme_model)
    assert [op.reason for op in plan.operations] == ["resume an interrupted password change"]
    await rotating.apply(acme_model)
    assert await _works(warehouse, any_store, password_logins) == staged.password
    await _fails(warehouse, role, old, password_logins)


async def test_a_crash_after_the_commit_is_finished_by_the_next_sync(
    warehouse: asyncpg.Connection,
    rotating: SecuritySync,
    any_store: SecretStore,
    acme_model: Model,
    monkeypatch: pytest.MonkeyPatch,
    password_logins: bool,
) -> None:
    await rotating.apply(acme_model)
    old = await _works(warehouse, any_store, password_logins)
    rotating.config = dataclasses.replace(rotating.config, max_age=timedelta(0))

    async def crash(transformer: str) -> None:
        raise SecretStoreError("crash between the commit and the promotion")

    monkeypatch.setattr(any_store, "promote", crash)
    with pytest.raises(SecretStoreError):
        await rotating.apply(acme_model)
    staged = await any_store.pending(TRANSFORMER)
    assert staged is not None
    assert await password_matches(warehouse, staged.username, staged.password)
    assert (await any_store.current(TRANSFORMER)).password == old  # type: ignore[union-attr]
    monkeypatch.undo()
    rotating.config = dataclasses.replace(rotating.config, max_age=timedelta(days=90))
    await rotating.apply(acme_model)
    assert await _works(warehouse, any_store, password_logins) == staged.password
    assert await any_store.pending(TRANSFORMER) is None
    await _fails(warehouse, staged.username, old, password_logins)


@pytest.mark.usefixtures("aws_environment")
async def test_a_crash_inside_the_aws_promotion_is_finished_too(
    warehouse: asyncpg.Connection,
    postgres: PostgresWarehouse,
    config: SyncConfig,
    acme_model: Model,
    moto_endpoint: str,
) -> None:
    aws = client(moto_endpoint)
    store = AwsSecretStore(aws, f"test-{uuid.uuid4().hex[:8]}")
    sync = SecuritySync(postgres, store, config)
    await sync.apply(acme_model)
    old = await store.current(TRANSFORMER)
    assert old is not None
    staged = dataclasses.replace(old, password="P" * 40)  # a change staged, then set, then:
    await store.stage(TRANSFORMER, staged)
    secret = store.secret_id(TRANSFORMER)
    versions = aws.describe_secret(SecretId=secret)["VersionIdsToStages"]
    pending = next(v for v, s in versions.items() if "AWSPENDING" in s)
    current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
    aws.update_secret_version_stage(  # AWSCURRENT moved, AWSPENDING not yet removed: crash
        SecretId=secret,
        VersionStage="AWSCURRENT",
        MoveToVersionId=pending,
        RemoveFromVersionId=current,
    )
    plan = await sync.plan(acme_model)
    assert [op.reason for op in plan.operations] == ["resume an interrupted password change"]
    await sync.apply(acme_model)
    assert await password_matches(warehouse, old.username, staged.password)
    assert (await store.current(TRANSFORMER)) == staged
    assert await store.pending(TRANSFORMER) is None
