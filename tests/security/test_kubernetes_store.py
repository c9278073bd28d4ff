"""The Kubernetes secret store against the double (real client): layout, sync, faults, safety."""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from app.ecosystem.model import Model
from app.security import names
from app.security.raw import ingested
from app.security.secrets.base import Credentials, SecretStoreError, new_password
from app.security.secrets.factory import secret_store
from app.security.secrets.kube_secret import INDEX, SecretNotManagedError
from app.security.secrets.kubernetes import KubernetesSecretStore
from app.security.sync import SecuritySync, SyncConfig
from app.security.warehouses.postgres import PostgresWarehouse
from app.settings import Settings
from tests.jobs.kube_double import Fault, KubeDouble
from tests.security.conftest import create_raw_tables
from tests.security.kube import kube
from tests.security.logins import login

__all__ = ["kube"]
Kube = tuple[KubernetesSecretStore, KubeDouble]
LIBPQ = {"PGUSER", "PGPASSWORD", "PGHOST", "PGPORT", "PGDATABASE"}
CREDENTIALS = Credentials("dt_mask", new_password(), "db.internal", 5432, "warehouse")


def _listed(double: KubeDouble) -> list[str]:
    listed: list[str] = json.loads(double.secret_values(INDEX)["transformers"])
    return listed


async def test_a_secret_holds_exactly_the_libpq_keys_and_the_managed_labels(kube: Kube) -> None:
    store, double = kube
    await store.stage("mask", CREDENTIALS)
    staged = double.secret_values("ecoplane-dt-mask")
    assert set(staged) == {f"{k}_PENDING" for k in LIBPQ}  # a Job finds no PGPASSWORD yet
    assert await store.current("mask") is None and await store.pending("mask") == CREDENTIALS
    info = (await store.inventory())["mask"]
    assert (info.current, info.pending, info.set_at) == (False, True, None)
    await store.promote("mask")
    secret = double.secrets["ecoplane-dt-mask"]
    assert secret["type"] == "Opaque" and "stringData" not in secret
    assert base64.b64decode(secret["data"]["PGPASSWORD"]).decode() == CREDENTIALS.password
    assert double.secret_values("ecoplane-dt-mask") == {
        "PGUSER": "dt_mask", "PGPASSWORD": CREDENTIALS.password, "PGHOST": "db.internal",
        "PGPORT": "5432", "PGDATABASE": "warehouse",
    }  # fmt: skip
    meta = secret["metadata"]
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "ecoplane"
    assert meta["labels"]["ecoplane.io/transformer"] == "mask"
    assert meta["annotations"]["ecoplane.io/transformer"] == "mask"
    set_at = datetime.fromisoformat(meta["annotations"]["ecoplane.io/password-set"])
    assert (await store.inventory())["mask"] == type(info)(True, False, set_at)
    assert await store.current("mask") == CREDENTIALS and await store.pending("mask") is None
    assert _listed(double) == ["mask"]
    assert double.secrets[INDEX]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "ecoplane"


async def test_the_sync_writes_what_jobs_read_and_deletes_obsolete_secrets(
    kube: Kube,
    warehouse: asyncpg.Connection,
    postgres: PostgresWarehouse,
    config: SyncConfig,
    acme_model: Model,
) -> None:
    store, double = kube
    sync = SecuritySync(postgres, store, config)
    await create_raw_tables(warehouse, acme_model)
    await sync.apply(acme_model)
    ingestions = {f"datastore.{s.name}": s.name for s in ingested(acme_model)}
    assert sorted(_listed(double)) == sorted([*acme_model.transformers, *ingestions])
    for key, datastore in ingestions.items():  # what an ingestion Job reads: ecoplane-di-<name>
        found = double.secret_values(f"ecoplane-di-{datastore.lower()}")
        assert (
            set(found) == LIBPQ and found["PGUSER"] == f"{config.role_prefix}di_{datastore.lower()}"
        )
        assert await store.current(key) == Credentials(found["PGUSER"], found["PGPASSWORD"],
            found["PGHOST"], int(found["PGPORT"]), found["PGDATABASE"])  # fmt: skip
    for transformer in acme_model.transformers.values():
        found = double.secret_values(f"ecoplane-dt-{transformer.name.replace('_', '-')}")
        assert set(found) == LIBPQ  # as a Job gets them by secretKeyRef
        job = Credentials(found["PGUSER"], found["PGPASSWORD"], found["PGHOST"],
                          int(found["PGPORT"]), found["PGDATABASE"])  # fmt: skip
        assert job == await store.current(transformer.name)
        connection = await login(job)
        try:
            schema = names.workspace_schema(transformer.workspace)
            views = await connection.fetch(
                "SELECT table_name FROM information_schema.views WHERE table_schema = $1", schema
            )
            for view in views:
                await connection.fetch(f'SELECT * FROM "{schema}"."{view["table_name"]}"')
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("CREATE SCHEMA intruder")
        finally:
            await connection.close()
    assert not (await sync.plan(acme_model)).changes
    smaller = copy.deepcopy(acme_model)
    del smaller.transformers["compute_revenue"]
    del smaller.datastores["Experiments"]  # no longer ingested: its di_ role and Secret go
    applied = await sync.apply(smaller)
    assert applied.plan.obsolete_secrets == ["compute_revenue", "datastore.Experiments"]
    assert "ecoplane-dt-compute-revenue" not in double.secrets
    assert "ecoplane-di-experiments" not in double.secrets
    assert "compute_revenue" not in _listed(double)
    dropped = [op.target for op in applied.plan.operations if op.action == "drop role"]
    assert f"{config.role_prefix}di_experiments" in dropped
    assert not await warehouse.fetchval(
        "SELECT 1 FROM pg_roles WHERE rolname = $1", f"{config.role_prefix}di_experiments"
    )
    del ingestions["datastore.Experiments"]
    assert set(await store.inventory()) == set(smaller.transformers) | set(ingestions)


async def test_server_errors_and_conflicts_are_retried(kube: Kube) -> None:
    store, double = kube
    double.faults += [Fault("get-secret", 500, 2), Fault("create-secret", 503, 1),
                      Fault("replace-secret", 500, 1), Fault("replace-secret", 409, 1)]  # fmt: skip
    await store.stage("mask", CREDENTIALS)
    await store.promote("mask")
    assert await store.current("mask") == CREDENTIALS
    assert all(f.times == 0 for f in double.faults)
    assert double.calls["create-secret"] >= 3  # the index and the Secret, one of them again
    double.faults.append(Fault("get-secret", 500, 5))  # every attempt fails: an error, wrapped
    with pytest.raises(SecretStoreError, match="500"):
        await store.current("mask")


async def test_many_stages_at_once_share_index_writes(kube: Kube) -> None:
    store, double = kube
    everyone = [f"t{i}" for i in range(20)]
    await asyncio.gather(*(store.stage(t, CREDENTIALS) for t in everyone))
    assert sorted(_listed(double)) == sorted(everyone)
    assert double.calls.get("create-secret", 0) + double.calls.get("replace-secret", 0) < 40


async def test_a_secret_written_by_hand_is_never_overwritten_or_deleted(
    kube: Kube,
    warehouse: asyncpg.Connection,
    postgres: PostgresWarehouse,
    config: SyncConfig,
    acme_model: Model,
) -> None:
    store, double = kube
    by_hand = {"PGUSER": "someone", "PGPASSWORD": "theirs"}
    double.put_secret("ecoplane-dt-mask", by_hand)
    with pytest.raises(SecretNotManagedError, match=r"without the label app\.kubernetes\.io/"):
        await store.stage("mask", CREDENTIALS)
    with pytest.raises(SecretNotManagedError, match="leaves it alone"):
        await store.delete("mask")
    assert await store.current("mask") is None and "mask" not in await store.inventory()
    assert double.secret_values("ecoplane-dt-mask") == by_hand
    await store.stage("Sales_", CREDENTIALS)  # another transformer, the same Secret name...
    with pytest.raises(SecretNotManagedError, match="transformer 'Sales_', not 'sales'"):
        await store.stage("sales", CREDENTIALS)  # ...is refused, not mixed up
    double.put_secret("ecoplane-dt-compute-revenue", by_hand)
    with pytest.raises(SecretNotManagedError):
        await SecuritySync(postgres, store, config).apply(acme_model)
    assert double.secret_values("ecoplane-dt-compute-revenue") == by_hand
    role = config.role_prefix + "dt_compute_revenue"  # the transaction rolled back
    assert await warehouse.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role) is None
    del double.secrets[INDEX]
    double.put_secret(INDEX, {"transformers": '["mask"]'})  # nor is the index by hand trusted
    with pytest.raises(SecretNotManagedError, match=INDEX):
        await store.inventory()


async def test_no_password_in_logs_or_errors(
    kube: Kube,
    postgres: PostgresWarehouse,
    config: SyncConfig,
    acme_model: Model,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store, double = kube
    double.faults += [Fault("replace-secret", 500, 2), Fault("get-secret", 502, 2)]
    sync = SecuritySync(postgres, store, config)
    await sync.apply(acme_model)
    passwords = {double.secret_values(n)["PGPASSWORD"] for n in double.secrets if n != INDEX}
    sync.config = dataclasses.replace(config, max_age=timedelta(0))

    async def committed(plan: object) -> None:  # new passwords staged and set: now
        double.faults.append(Fault("replace-secret", 500, 50))  # the promotion fails for good

    with pytest.raises(SecretStoreError) as failure:
        await sync.apply(acme_model, committed=committed)
    logins = [*acme_model.transformers, *(f"datastore.{s.name}" for s in ingested(acme_model))]
    passwords |= {(await store.pending(t)).password for t in logins}  # type: ignore[union-attr]
    assert len(passwords) == 2 * len(logins)
    assert "retrying" in caplog.text  # the faults were met and logged
    for text in (caplog.text, str(failure.value), repr(failure.value)):
        assert not any(p in text for p in passwords)  # (a failure must not print them)


async def test_the_setting_chooses_kubernetes_without_connecting(tmp_path: Path) -> None:
    settings = Settings(secret_store="kubernetes", data_dir=tmp_path, jobs_namespace="data",
                        kubeconfig=tmp_path / "missing")  # fmt: skip
    store = secret_store(settings)
    assert isinstance(store, KubernetesSecretStore) and store.namespace == "data"
    with pytest.raises(SecretStoreError, match="Kubernetes configuration"):
        await store.inventory()
    await store.close()
