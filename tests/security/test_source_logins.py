"""Source logins in each secret store: local files (0600, atomic), Secrets Manager on moto,
Kubernetes Secrets on the test double (judged by the admission policy as the API's account);
one secret per credential, never another's or one ecoplane did not write."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.security.secrets.base import SecretStoreError
from app.security.secrets.factory import source_logins
from app.security.secrets.source_aws import AwsSourceLogins
from app.security.secrets.source_kube import KubernetesSourceLogins
from app.security.secrets.source_logins import (
    MAX_PASSWORD_BYTES,
    LocalSourceLogins,
    SourceLogin,
    SourceLoginError,
    SourceLogins,
    SourceLoginTakenError,
    checked_login,
)
from app.settings import Settings
from tests.deploy.admission import admits
from tests.jobs.kube_double import KubeDouble
from tests.security.aws import aws_environment, client, moto_endpoint
from tests.security.kube import NAMESPACE, POLICY

__all__ = ["aws_environment", "moto_endpoint"]
API_ACCOUNT = "system:serviceaccount:ecoplane:ecoplane-api"
PASSWORD = "s3cret-" + uuid.uuid4().hex
LOGIN = SourceLogin("crm_reader", "crm", PASSWORD)


def api_admission() -> Any:
    """The deployed admission policy judging writes as the API's account (where an operator
    runs `ecoplane credential set` with kubectl exec)."""
    policy = next(d for d in yaml.safe_load_all(POLICY.read_text()) if d["kind"].endswith("Policy"))
    return lambda operation, secret: admits(policy, operation, API_ACCOUNT, secret)


@pytest.fixture
async def double(tmp_path: Path) -> AsyncIterator[KubeDouble]:
    """The Kubernetes double, its admission the deployed policy as the API's account."""
    double = KubeDouble(tmp_path, admission=api_admission())
    await double.start()
    yield double
    await double.stop()


@pytest.fixture(params=["local", "aws", "kubernetes"])
async def logins(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SourceLogins]:
    """The source logins of each store."""
    store: SourceLogins
    double = KubeDouble(tmp_path, admission=api_admission())
    if request.param == "aws":
        request.getfixturevalue("aws_environment")
        endpoint = request.getfixturevalue("moto_endpoint")
        store = AwsSourceLogins(client(endpoint), f"t-{uuid.uuid4().hex[:8]}")
    elif request.param == "kubernetes":
        await double.start()
        store = KubernetesSourceLogins(NAMESPACE, tmp_path / "kubeconfig", timeout=10)
    else:
        store = LocalSourceLogins(tmp_path / "secrets")
    yield store
    await store.close()
    await double.stop()


async def test_a_login_is_stored_read_listed_replaced_and_deleted(logins: SourceLogins) -> None:
    assert await logins.get("crm_reader") is None and await logins.logins() == []
    await logins.put(LOGIN)
    assert await logins.get("crm_reader") == LOGIN
    await logins.put(SourceLogin("crm_reader", "crm2", PASSWORD + "x"))
    assert await logins.get("crm_reader") == SourceLogin("crm_reader", "crm2", PASSWORD + "x")
    await logins.put(SourceLogin("erp.reader", "erp", "other"))
    listed = await logins.logins()
    assert [(s.credential, s.user) for s in listed] == [
        ("crm_reader", "crm2"),
        ("erp.reader", "erp"),
    ]
    assert listed[0].secret == logins.secret("crm_reader") and listed[0].set_at is not None
    assert PASSWORD not in repr(listed) + repr(await logins.get("crm_reader"))
    assert await logins.delete("crm_reader") is True
    assert await logins.get("crm_reader") is None and await logins.delete("crm_reader") is False
    assert [s.credential for s in await logins.logins()] == ["erp.reader"]


async def test_a_secret_holding_another_credential_is_never_overwritten(
    logins: SourceLogins,
) -> None:
    await logins.put(LOGIN)
    if logins.store == "aws":  # one secret per exact name: no two names share one
        await logins.put(SourceLogin("crm-reader", "other", "x"))
        assert await logins.get("crm_reader") == LOGIN
        return
    with pytest.raises(SourceLoginTakenError, match="'crm_reader'"):
        await logins.put(SourceLogin("crm-reader", "other", "x"))
    assert await logins.get("crm_reader") == LOGIN and await logins.get("crm-reader") is None
    with pytest.raises(SourceLoginTakenError, match="'crm_reader'"):
        await logins.delete("crm-reader")
    assert await logins.get("crm_reader") == LOGIN
    assert [s.credential for s in await logins.logins()] == ["crm_reader"]


async def test_local_files_are_private_and_what_the_local_runner_reads(tmp_path: Path) -> None:
    logins = LocalSourceLogins(tmp_path / "secrets")
    await logins.put(LOGIN)
    path = tmp_path / "secrets" / "ecoplane-source-crm-reader.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    document = json.loads(path.read_text())
    assert {k: document[k] for k in ("credential", "user", "password")} == {
        "credential": "crm_reader", "user": "crm", "password": PASSWORD,
    }  # fmt: skip
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


async def test_a_file_written_by_hand_is_read_and_replaced(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "ecoplane-source-crm-reader.json").write_text('{"user": "u", "password": "p"}')
    logins = LocalSourceLogins(secrets)
    assert await logins.get("crm_reader") == SourceLogin("crm_reader", "u", "p")
    await logins.put(LOGIN)
    assert await logins.get("crm_reader") == LOGIN


@pytest.mark.usefixtures("aws_environment")
async def test_secrets_manager_names_tags_and_refuses_a_secret_it_did_not_write(
    moto_endpoint: str,
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    aws = client(moto_endpoint)
    logins = AwsSourceLogins(aws, prefix)
    await logins.put(LOGIN)
    name = f"{prefix}/sources/crm_reader"
    tags = {t["Key"]: t["Value"] for t in aws.describe_secret(SecretId=name)["Tags"]}
    assert tags["ecoplane:managed"] == "true" and tags["ecoplane:source-user"] == "crm"
    assert tags["ecoplane:source-credential"] == "crm_reader"
    assert PASSWORD not in json.dumps(tags)
    value = json.loads(aws.get_secret_value(SecretId=name)["SecretString"])
    assert value == {"user": "crm", "password": PASSWORD}
    aws.create_secret(Name=f"{prefix}/sources/erp", SecretString="{}")  # someone else's
    with pytest.raises(SourceLoginTakenError, match="ecoplane leaves it alone"):
        await logins.put(SourceLogin("erp", "erp", "x"))
    with pytest.raises(SourceLoginTakenError):
        await logins.delete("erp")
    assert aws.get_secret_value(SecretId=f"{prefix}/sources/erp")["SecretString"] == "{}"


async def test_kubernetes_secret_layout_index_and_a_secret_it_did_not_write(
    tmp_path: Path, double: KubeDouble
) -> None:
    logins = KubernetesSourceLogins(NAMESPACE, tmp_path / "kubeconfig", timeout=10)
    try:
        await logins.put(LOGIN)
        secret = double.secrets["ecoplane-source-crm-reader"]
        assert secret["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "ecoplane"
        assert secret["metadata"]["annotations"]["ecoplane.io/credential"] == "crm_reader"
        assert double.secret_values("ecoplane-source-crm-reader") == {
            "user": "crm", "password": PASSWORD,
        }  # fmt: skip
        index = json.loads(double.secret_values("ecoplane-source--index")["credentials"])
        assert index == ["crm_reader"]
        double.put_secret("ecoplane-source-erp", {"user": "u", "password": "p"})  # by hand
        with pytest.raises(SourceLoginTakenError, match="without the label"):
            await logins.put(SourceLogin("erp", "erp", "x"))
        assert await logins.get("erp") is None
        assert double.secret_values("ecoplane-source-erp") == {"user": "u", "password": "p"}
        await logins.delete("crm_reader")
        assert "ecoplane-source-crm-reader" not in double.secrets
        assert json.loads(double.secret_values("ecoplane-source--index")["credentials"]) == []
    finally:
        await logins.close()


def test_what_an_operator_gives_is_checked_and_one_newline_dropped() -> None:
    assert checked_login("crm_reader", "crm", b"pw\n") == SourceLogin("crm_reader", "crm", "pw")
    assert checked_login("crm_reader", "crm", b"pw\r\n").password == "pw"
    assert checked_login("crm_reader", "crm", b" pw \n").password == " pw "
    refusals = {
        ("crm reader", "crm", b"pw"): "credential 'crm reader' is not a valid name",
        ("../x", "crm", b"pw"): "is not a valid name",
        ("crm_reader", "", b"pw"): "user '' of credential 'crm_reader'",
        ("crm_reader", "crm\n", b"pw"): "printable characters",
        ("crm_reader", "crm", b""): "is empty",
        ("crm_reader", "crm", b"\n"): "is empty",
        ("crm_reader", "crm", b"pw\n\n"): "a NUL or a line break",
        ("crm_reader", "crm", b"p\0w"): "a NUL or a line break",
        ("crm_reader", "crm", b"\xff\xfe"): "is not UTF-8",
        ("crm_reader", "crm", b"x" * (MAX_PASSWORD_BYTES + 1)): f"over {MAX_PASSWORD_BYTES} bytes",
    }
    for (name, user, password), message in refusals.items():
        with pytest.raises(SourceLoginError, match=message) as caught:
            checked_login(name, user, password)
        assert password.decode(errors="replace") not in caught.value.detail or not password.strip()
    assert len(checked_login("c", "u", b"x" * MAX_PASSWORD_BYTES + b"\n").password) == 4096


def test_the_store_setting_chooses_the_source_logins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def settings(store: str, region: str | None = "eu-west-1") -> Settings:
        return Settings(
            database_url="postgresql://unused", data_dir=tmp_path, secret_store=store,
            aws_region=region,
        )  # fmt: skip

    chosen = [source_logins(settings(s)).store for s in ("local", "aws", "kubernetes")]
    assert chosen == ["local", "aws", "kubernetes"]
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(SecretStoreError, match=r"cannot reach Secrets Manager: .*region"):
        source_logins(settings("aws", None))


async def test_an_unreadable_local_file_is_a_store_error_not_a_login(tmp_path: Path) -> None:
    (tmp_path / "ecoplane-source-crm-reader.json").write_text("[1, 2]")
    logins = LocalSourceLogins(tmp_path)
    assert await logins.get("crm_reader") is None
    (tmp_path / "ecoplane-source-crm-reader.json").write_text("{not json")
    with pytest.raises(SecretStoreError, match="cannot read the local secret store"):
        await logins.get("crm_reader")
