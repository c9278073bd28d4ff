"""moto in server mode on 127.0.0.1, reached by the real boto3 client over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from app.security.secrets.aws import secrets_manager


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server started for the session (stopped at its end)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials: moto accepts any, and no real account is ever reached."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def client(endpoint: str):  # type: ignore[no-untyped-def]
    """A Secrets Manager client on moto."""
    return secrets_manager("us-east-1", endpoint)
