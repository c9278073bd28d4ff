"""`ecoplane credential set|list|delete`: each store, the refusals and their exit codes, and the
password never on stdout, stderr or in a log line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.cli import main
from app.security.secrets.source_logins import MAX_PASSWORD_BYTES
from tests.jobs.kube_double import KubeDouble
from tests.security.aws import aws_environment, client, moto_endpoint
from tests.security.kube import NAMESPACE
from tests.security.test_source_logins import api_admission

__all__ = ["aws_environment", "moto_endpoint"]
PASSWORD = "pw-" + uuid.uuid4().hex


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The local store under a data directory of the test's own; returns its secrets folder."""
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ECOPLANE_SECRET_STORE", "local")
    return tmp_path / "data" / "secrets"


def _password_file(tmp_path: Path, content: bytes = PASSWORD.encode() + b"\n") -> str:
    path = tmp_path / "password"
    path.write_bytes(content)
    return str(path)


def _cli(
    args: list[str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> tuple[int, str, str]:
    """Run the command; the password must be nowhere in what it printed or logged."""
    with caplog.at_level(logging.INFO):
        try:
            status = main(args)
        except SystemExit as exit:  # argparse's usage errors
            status = int(exit.code or 0)
    out, err = capsys.readouterr()
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert PASSWORD not in out + err + logged
    return status, out, err


def test_set_stores_the_login_and_says_where_without_the_password(
    local: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    status, out, _ = _cli(
        ["credential", "set", "crm_reader", "--user", "crm", "--password-file",
         _password_file(tmp_path)], capsys, caplog,
    )  # fmt: skip
    assert status == 0
    secret = local / "ecoplane-source-crm-reader.json"
    assert out.strip() == (
        f"credential crm_reader: user crm stored in the local secret store ({secret})"
    )
    stored = json.loads(secret.read_text())
    assert (stored["user"], stored["password"]) == ("crm", PASSWORD)  # one newline dropped
    (line,) = [r for r in caplog.records if r.name == "ecoplane.credentials"]
    assert line.credential == "crm_reader" and "crm_reader" in line.getMessage()  # type: ignore[attr-defined]
    status, out, _ = _cli(["credential", "list"], capsys, caplog)
    assert status == 0 and out.split()[:4] == ["crm_reader", "crm", "local", str(secret)]
    status, out, _ = _cli(["credential", "list", "--format", "json"], capsys, caplog)
    (shown,) = json.loads(out)
    assert {k: shown[k] for k in ("credential", "user", "store")} == {
        "credential": "crm_reader", "user": "crm", "store": "local",
    }  # fmt: skip
    assert _cli(["credential", "delete", "crm_reader"], capsys, caplog)[0] == 0
    assert not secret.exists()
    caplog.clear()
    status, _, err = _cli(["credential", "delete", "crm_reader"], capsys, caplog)
    assert [r.levelname for r in caplog.records if "to delete" in r.getMessage()] == ["WARNING"]
    assert status == 1 and "no source login for credential 'crm_reader'" in err


def test_the_password_may_come_from_stdin(
    local: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    stdin = io.TextIOWrapper(io.BytesIO(PASSWORD.encode() + b"\r\n"))
    monkeypatch.setattr("sys.stdin", stdin)
    status, _, _ = _cli(
        ["credential", "set", "crm_reader", "--user", "crm", "--password-file", "-"], capsys, caplog
    )
    assert status == 0
    stored = json.loads((local / "ecoplane-source-crm-reader.json").read_text())
    assert stored["password"] == PASSWORD


@pytest.mark.parametrize(
    ("args", "content", "status", "message"),
    [
        (["bad name"], b"pw", 1, "credential 'bad name' is not a valid name"),
        (["../etc"], b"pw", 1, "credential '../etc' is not a valid name"),
        (["crm_reader"], b"\n", 1, "the password of credential 'crm_reader' is empty"),
        (["crm_reader"], b"x" * (MAX_PASSWORD_BYTES + 1), 1, f"over {MAX_PASSWORD_BYTES} bytes"),
        (["crm_reader", "--password-file", "/nonexistent/pw"], b"", 1,
         "cannot read the password file /nonexistent/pw: No such file or directory"),
        (["crm_reader", "--password", PASSWORD], b"pw", 2, "--password is not accepted"),
        (["crm_reader", f"--password={PASSWORD}"], b"pw", 2, "--password is not accepted"),
        (["crm_reader", "--passw", PASSWORD], b"pw", 2, "unrecognized arguments (not shown"),
    ],
)  # fmt: skip
def test_refusals_say_why_and_store_nothing(
    local: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture, args: list[str], content: bytes, status: int, message: str,
) -> None:  # fmt: skip
    given = args if "--password-file" in args else [*args, "--password-file"]
    if given[-1] == "--password-file":
        given.append(_password_file(tmp_path, content))
    code, out, err = _cli(["credential", "set", *given[:1], "--user", "crm", *given[1:]],
                          capsys, caplog)  # fmt: skip
    assert (code, out) == (status, "")
    assert message in err
    assert not local.exists() or list(local.iterdir()) == []
    if status == 1:  # a refusal (not a usage error) leaves its log line
        assert [r.levelname for r in caplog.records if message in r.getMessage()] == ["WARNING"]


def test_a_usage_error_is_exit_2_naming_the_missing_option(
    local: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    status, _, err = _cli(["credential", "set", "crm_reader", "--user", "crm"], capsys, caplog)
    assert status == 2 and "--password-file" in err


@pytest.mark.usefixtures("aws_environment")
def test_set_writes_secrets_manager_when_the_store_is_aws(
    moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    prefix = f"cli-{uuid.uuid4().hex[:8]}"
    for name, value in (("SECRET_STORE", "aws"), ("SECRET_PREFIX", prefix),
                        ("AWS_ENDPOINT_URL", moto_endpoint), ("AWS_REGION", "us-east-1"),
                        ("DATA_DIR", str(tmp_path / "data"))):  # fmt: skip
        monkeypatch.setenv(f"ECOPLANE_{name}", value)
    status, out, _ = _cli(
        ["credential", "set", "crm_reader", "--user", "crm", "--password-file",
         _password_file(tmp_path)], capsys, caplog,
    )  # fmt: skip
    assert status == 0 and f"aws secret store ({prefix}/sources/crm_reader)" in out
    value = client(moto_endpoint).get_secret_value(SecretId=f"{prefix}/sources/crm_reader")
    assert json.loads(value["SecretString"]) == {"user": "crm", "password": PASSWORD}
    status, out, _ = _cli(["credential", "list"], capsys, caplog)
    assert out.split()[:3] == ["crm_reader", "crm", "aws"]
    assert not (tmp_path / "data" / "secrets").exists()  # nothing written locally


@pytest.fixture
async def kube_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[KubeDouble]:
    """The Kubernetes double (as the API's account) and the settings reaching it."""
    double = KubeDouble(tmp_path, admission=api_admission())
    kubeconfig = await double.start()
    monkeypatch.setenv("ECOPLANE_SECRET_STORE", "kubernetes")
    monkeypatch.setenv("ECOPLANE_KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("ECOPLANE_JOBS_NAMESPACE", NAMESPACE)
    yield double
    await double.stop()


async def test_set_writes_a_kubernetes_secret_when_the_store_is_kubernetes(
    kube_env: KubeDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    args = ["credential", "set", "crm_reader", "--user", "crm", "--password-file",
            _password_file(tmp_path)]  # fmt: skip
    status, out, _ = await asyncio.to_thread(_cli, args, capsys, caplog)
    assert status == 0 and "kubernetes secret store (ecoplane-source-crm-reader)" in out
    assert kube_env.secret_values("ecoplane-source-crm-reader") == {
        "user": "crm", "password": PASSWORD,
    }  # fmt: skip
    status, out, _ = await asyncio.to_thread(_cli, ["credential", "list"], capsys, caplog)
    assert out.split()[:3] == ["crm_reader", "crm", "kubernetes"]
    kube_env.put_secret("ecoplane-source-erp", {"user": "u", "password": "p"})  # by hand
    refused = ["credential", "set", "erp", "--user", "erp", "--password-file",
               _password_file(tmp_path)]  # fmt: skip
    status, out, err = await asyncio.to_thread(_cli, refused, capsys, caplog)
    assert status == 1 and "ecoplane did not write it and leaves it alone" in err
    assert kube_env.secret_values("ecoplane-source-erp") == {"user": "u", "password": "p"}
