"""Tokens of the database through /api/v1/tokens: made by admin tokens only, the secret shown
once, bad requests named, expiry and revocation enforced (on every replica within a second),
last use recorded once a minute at most."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from app.db.urls import asyncpg_dsn
from app.settings import token_digest
from tests.api.conftest import TOKENS, api_settings, client_for
from tests.api.tokens import ADMIN, bearer, made, resources_of
from tests.jobs.conftest import until


async def test_an_admin_makes_a_token_whose_secret_is_shown_once_and_works(
    api: httpx.AsyncClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    created = await made(api, name="nightly", scopes=["operate"], expiresIn="30d")
    secret = created.pop("secret")
    assert secret.startswith("ecp_") and len(secret) > 40
    assert created["createdBy"] == "admin" and created["scopes"] == ["operate"]
    assert created["teams"] == [] and created["expiresAt"] is not None
    listed = await api.get("/api/v1/tokens", headers=ADMIN)
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()["items"]] == ["nightly"]
    assert secret not in listed.text and token_digest(secret) not in listed.text
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:  # the database keeps the digest, never the secret
        row = await connection.fetchrow("SELECT * FROM api_tokens WHERE name = 'nightly'")
    finally:
        await connection.close()
    assert row is not None and row["sha256"] == token_digest(secret)
    assert secret not in str(dict(row))
    # operate includes read: the token reads, and an admin route is refused it by name
    assert (await api.get("/api/v1/runs", headers=bearer(secret))).status_code == 200
    with caplog.at_level(logging.WARNING, logger="ecoplane.auth"):
        refused = await api.get("/api/v1/tokens", headers=bearer(secret))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "token 'nightly' lacks the 'admin' scope"
    (line,) = [
        r for r in caplog.records if r.levelno == logging.WARNING and r.name == "ecoplane.auth"
    ]
    assert line.getMessage() == "refused nightly: it lacks the 'admin' scope"
    assert line.token == "nightly"  # type: ignore[attr-defined]  # the field of the JSON line


async def test_only_admin_tokens_manage_tokens(api: httpx.AsyncClient) -> None:
    operator = {"Authorization": f"Bearer {TOKENS['operator']}"}
    request = {"name": "x", "scopes": ["read"]}
    assert (await api.post("/api/v1/tokens", json=request)).status_code == 401
    assert (await api.post("/api/v1/tokens", json=request, headers=operator)).status_code == 403
    assert (await api.get("/api/v1/tokens")).status_code == 401  # reads are open, tokens are not
    assert (await api.delete("/api/v1/tokens/x", headers=operator)).status_code == 403


@pytest.mark.parametrize(
    ("request_", "parameter", "said"),
    [
        ({"name": "a", "scopes": ["write"]}, "scopes.0", "'read', 'operate' or 'admin'"),
        ({"name": "a", "scopes": []}, "scopes", "at least 1 item"),
        ({"name": "a b", "scopes": ["read"]}, "name", "is not a token name"),
        ({"name": "anonymous", "scopes": ["read"]}, "name", "is not a token name"),
        ({"name": "a", "scopes": ["read"], "expiresIn": "soon"}, "expiresIn", "not a duration"),
        ({"name": "a", "scopes": ["read"], "expiresIn": "0d"}, "expiresIn", "not a duration"),
        ({"name": "a", "scopes": ["read"], "teams": ["Risk"]}, "teams", "ZONE/TEAM, not 'Risk'"),
        ({"name": "a", "scopes": ["read"], "teams": ["USA/Nope"]}, "teams", "no team USA/Nope"),
        ({"name": "a", "scopes": ["admin"], "teams": ["USA/Risk"]}, "teams", "cannot be limited"),
        ({"name": "a", "scopes": ["read"], "colour": "red"}, "colour", "Extra inputs"),
    ],
)
async def test_a_bad_request_is_a_422_naming_the_field(
    api: httpx.AsyncClient,
    acme: object,
    request_: dict[str, object],
    parameter: str,
    said: str,
) -> None:
    answer = await api.post("/api/v1/tokens", json=request_, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert [e["parameter"] for e in problem["errors"]] == [parameter]
    assert said in problem["errors"][0]["message"]


async def test_a_taken_name_is_a_409(api: httpx.AsyncClient) -> None:
    clash = await api.post(
        "/api/v1/tokens", json={"name": "reader", "scopes": ["read"]}, headers=ADMIN
    )
    assert clash.status_code == 409
    assert clash.json()["detail"] == "a token named 'reader' is configured in ECOPLANE_TOKENS"
    await made(api, name="ci", scopes=["read"])
    again = await api.post("/api/v1/tokens", json={"name": "ci", "scopes": ["read"]}, headers=ADMIN)
    assert again.status_code == 409 and "exists already" in again.json()["detail"]


async def test_an_expired_token_is_refused_and_logged_by_name(
    api: httpx.AsyncClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = (await made(api, name="short", scopes=["read"], expiresIn="1m"))["secret"]
    assert (await api.get("/api/v1/runs", headers=bearer(secret))).status_code == 200
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:  # a minute later, without waiting one
        await connection.execute(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'short'"
        )
    finally:
        await connection.close()
    resources_of(api).tokens.forget()
    with caplog.at_level(logging.WARNING, logger="ecoplane.auth"):
        answer = await api.get("/api/v1/runs", headers=bearer(secret))
    assert answer.status_code == 401
    assert answer.json()["detail"].startswith("the token expired ('short', at ")
    assert any(r.levelno == logging.WARNING and "short" in r.getMessage() for r in caplog.records)
    assert not any(secret in r.getMessage() for r in caplog.records)


async def test_a_revoked_token_is_refused_here_at_once_and_on_another_replica_within_a_second(
    api: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    secret = (await made(api, name="leaving", scopes=["operate"]))["secret"]
    other_settings = api_settings(database_url, tmp_path / "other").model_copy(
        update={"scheduler": False}
    )
    async for other in client_for(other_settings):  # a second replica on the same database
        assert (await other.get("/api/v1/runs", headers=bearer(secret))).status_code == 200
        revoked = await api.delete("/api/v1/tokens/leaving", headers=ADMIN)
        assert revoked.status_code == 200
        started = time.monotonic()
        assert revoked.json()["revokedBy"] == "admin" and revoked.json()["revokedAt"]
        assert (await api.get("/api/v1/runs", headers=bearer(secret))).status_code == 401

        async def refused(other: httpx.AsyncClient = other) -> bool:
            answer = await other.get("/api/v1/runs", headers=bearer(secret))
            return answer.status_code == 401

        await until(refused, "the other replica refuses the revoked token")
        elapsed = time.monotonic() - started
        print(f"revocation effective on the other replica after {elapsed:.3f} s")
        assert elapsed < 1.5  # the map is at most a second old (and a request's time)
    answer = await api.get("/api/v1/runs", headers=bearer(secret))
    assert answer.json()["detail"].startswith("the token 'leaving' was revoked at ")
    listed = (await api.get("/api/v1/tokens", headers=ADMIN)).json()["items"]
    assert listed[0]["name"] == "leaving" and listed[0]["revokedAt"] is not None
    again = await api.delete("/api/v1/tokens/leaving", headers=ADMIN)
    assert again.status_code == 409 and "revoked already" in again.json()["detail"]
    missing = await api.delete("/api/v1/tokens/nobody", headers=ADMIN)
    assert missing.status_code == 404


async def test_last_use_is_recorded_once_a_minute_at_most(
    api: httpx.AsyncClient, database_url: str
) -> None:
    secret = (await made(api, name="busy", scopes=["read"]))["secret"]
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        last_used = "SELECT last_used_at FROM api_tokens WHERE name = 'busy'"
        assert await connection.fetchval(last_used) is None
        assert (await api.get("/api/v1/runs", headers=bearer(secret))).status_code == 200

        async def recorded() -> object:
            return await connection.fetchval(last_used)

        first = await until(recorded, "the first use is recorded")
        tokens = resources_of(api).tokens
        for _ in range(5):  # within the minute: no write is even started
            assert (await api.get("/api/v1/runs", headers=bearer(secret))).status_code == 200
            assert not tokens.writes
        await asyncio.gather(*tokens.writes)
        assert await connection.fetchval(last_used) == first
        listed = (await api.get("/api/v1/tokens", headers=ADMIN)).json()["items"]
        assert listed[0]["lastUsedAt"] is not None
    finally:
        await connection.close()
