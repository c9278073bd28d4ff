"""`ecoplane token create|list|revoke` on a real database: the secret printed once and never
listed, the token accepted by the API until it is revoked, refusals exit 1 naming the field."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from app.cli import main
from app.settings import TokenEntry
from tests.api.conftest import api_settings, client_for


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI's settings: the test's database, and one ECOPLANE_TOKENS entry named `boot`."""
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    entry = TokenEntry.of("boot", "boot-secret", ["admin"]).model_dump()
    monkeypatch.setenv("ECOPLANE_TOKENS", json.dumps([entry]))
    return database_url


async def _status(database_url: str, tmp_path: Path, secret: str) -> int:
    """The status of a read of /api/v1/runs with this token, on a service of the database."""
    settings = api_settings(database_url, tmp_path).model_copy(
        update={"anonymous_read": False, "scheduler": False}
    )
    async for api in client_for(settings):
        answer = await api.get("/api/v1/runs", headers={"Authorization": f"Bearer {secret}"})
        return answer.status_code
    raise AssertionError("no client")


def test_create_list_revoke(
    cli_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    given = ["--name", "ci", "--scope", "read", "--expires-in", "30d", "--team", "USA/Risk"]
    assert main(["token", "create", *given]) == 1  # no active model: no team can be checked
    assert "the active model version has no team USA/Risk" in capsys.readouterr().err
    assert main(["token", "create", "--name", "ci", "--scope", "read", "--expires-in", "30d"]) == 0
    out, err = capsys.readouterr()
    (secret,) = out.splitlines()  # stdout holds the secret alone
    assert secret.startswith("ecp_") and "shown once" in err and secret not in err
    assert asyncio.run(_status(cli_database, tmp_path, secret)) == 200
    assert main(["token", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed] == ["ci"]
    assert listed[0]["created_by"].startswith("cli:")
    assert listed[0]["expires_at"] is not None and listed[0]["revoked_at"] is None
    assert secret not in json.dumps(listed) and "sha256" not in listed[0]
    assert main(["token", "list"]) == 0
    line = capsys.readouterr().out
    assert line.startswith("ci ") and " read " in line and " active " in line
    assert main(["token", "revoke", "ci"]) == 0
    assert capsys.readouterr().out.startswith("token ci revoked at ")
    assert asyncio.run(_status(cli_database, tmp_path / "again", secret)) == 401
    assert main(["token", "list"]) == 0
    assert " revoked " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["create", "--name", "boot", "--scope", "read"], "is configured in ECOPLANE_TOKENS"),
        (["create", "--name", "x", "--scope", "read", "--expires-in", "soon"], "--expires-in"),
        (["create", "--name", "x y", "--scope", "read"], "is not a token name"),
        (["revoke", "nobody"], "no token of the database is named 'nobody'"),
    ],
)
def test_refusals_exit_1_with_a_warning(
    cli_database: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    arguments: list[str],
    said: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ecoplane.auth"):
        assert main(["token", *arguments]) == 1
    assert said in capsys.readouterr().err
    assert any(said in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
