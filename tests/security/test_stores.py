"""The secret layouts: local files 0600, Secrets Manager names, tags and JSON; the store setting
(the Kubernetes layout: test_kubernetes_store.py)."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest

from app.security.secrets.aws import AwsSecretStore
from app.security.secrets.base import Credentials, new_password
from app.security.secrets.factory import secret_store
from app.security.secrets.local import LocalSecretStore
from app.settings import Settings
from tests.security.aws import aws_environment, client, moto_endpoint

__all__ = ["aws_environment", "moto_endpoint"]
CREDENTIALS = Credentials("dt_mask", new_password(), "db.internal", 5432, "warehouse")


def test_passwords_are_long_and_random() -> None:
    passwords = {new_password() for _ in range(100)}
    assert len(passwords) == 100 and all(len(p) >= 32 and p.isalnum() for p in passwords)
    assert CREDENTIALS.password not in repr(CREDENTIALS) + str(CREDENTIALS)


async def test_local_files_are_private_and_promoted_by_rename(tmp_path: Path) -> None:
    store = LocalSecretStore(tmp_path / "transformers")
    await store.stage("mask", CREDENTIALS)
    assert (await store.inventory())["mask"].pending
    await store.promote("mask")
    folder = tmp_path / "transformers" / "mask"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "current.json").stat().st_mode) == 0o600
    assert not (folder / "pending.json").exists()
    document = json.loads((folder / "current.json").read_text())
    assert {"username", "password", "host", "port", "dbname", "setAt"} <= set(document)
    assert await store.current("mask") == CREDENTIALS
    runtime = tmp_path / "ecoplane-dt-mask.json"  # what the local runner hands to a run
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o600
    assert json.loads(runtime.read_text()) == {
        "PGUSER": "dt_mask", "PGPASSWORD": CREDENTIALS.password, "PGHOST": "db.internal",
        "PGPORT": "5432", "PGDATABASE": "warehouse",
    }  # fmt: skip
    await store.stage("../../escape", CREDENTIALS)  # a name below validation stays inside
    folders = sorted(p.parent.name for p in (tmp_path / "transformers").rglob("*.json"))
    assert folders[0].startswith("_")
    assert set(await store.inventory()) == {"mask", "../../escape"}
    await store.delete("mask")
    assert not runtime.exists() and "mask" not in await store.inventory()


@pytest.mark.usefixtures("aws_environment")
async def test_secrets_manager_layout_and_tags(moto_endpoint: str) -> None:
    prefix = f"layout-{uuid.uuid4().hex[:8]}"
    aws = client(moto_endpoint)
    store = AwsSecretStore(aws, prefix)
    await store.stage("mask", CREDENTIALS)
    await store.promote("mask")
    name = f"{prefix}/transformers/mask/credentials"
    described = aws.describe_secret(SecretId=name)
    tags = {t["Key"]: t["Value"] for t in described["Tags"]}
    assert tags["ecoplane:managed"] == "true" and tags["ecoplane:transformer"] == "mask"
    assert "ecoplane:password-set" in tags
    assert list(described["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
    value = json.loads(aws.get_secret_value(SecretId=name)["SecretString"])
    assert value == {"username": "dt_mask", "password": CREDENTIALS.password,
                     "host": "db.internal", "port": 5432, "dbname": "warehouse"}  # fmt: skip
    aws.create_secret(Name=f"{prefix}/transformers/other/credentials", SecretString="{}")
    assert set(await store.inventory()) == {"mask"}  # untagged secrets are not ours
    await store.delete("mask")
    assert await store.inventory() == {} and await store.current("mask") is None


def test_the_local_store_is_the_default(tmp_path: Path) -> None:
    assert isinstance(secret_store(Settings(data_dir=tmp_path)), LocalSecretStore)
