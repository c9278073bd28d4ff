"""OIDC sign-in through the API: the service, its database and the issuer test double, all
real; bearer JWTs signed in the test go to the verifier, other tokens to the token lookup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.catalog.store import StoredVersion
from app.settings import Settings
from tests.api.conftest import TOKENS, client_for, token_entries
from tests.api.oidc_issuer import (
    KEY,
    IssuerDouble,
    SigningKey,
    hs256_with_public_key,
    oidc_settings,
    unsigned_token,
)

DATASTORES = "/api/v1/datastores"
INGEST = "/api/v1/model-versions"  # needs operate; 409 without a model repository


def _settings(database_url: str, issuer: IssuerDouble) -> Settings:
    return oidc_settings(
        issuer,
        database_url=database_url,
        anonymous_read=False,
        tokens=token_entries(),
        active_version_seconds=0,
    )


@pytest.fixture
async def signed(database_url: str, issuer: IssuerDouble) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a service that trusts the issuer double; reads need a token."""
    async for client in client_for(_settings(database_url, issuer)):
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_claims_give_the_scopes_of_the_routes(
    signed: httpx.AsyncClient, issuer: IssuerDouble, acme: StoredVersion
) -> None:
    reader = _bearer(issuer.token(KEY))
    read = await signed.get(DATASTORES, headers=reader)
    assert read.status_code == 200 and read.json()["items"]
    assert "etag" in read.headers  # the kept-answer path let the signed-in reader through
    refused = await signed.post(INGEST, json={"ref": "main"}, headers=reader)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "token 'oidc:alice' lacks the 'operate' scope"
    operator = _bearer(issuer.token(KEY, groups=["ecoplane-operators"]))
    allowed = await signed.post(INGEST, json={"ref": "main"}, headers=operator)
    assert allowed.status_code == 409  # past the scope check: no repository to ingest from
    assert "no model repository" in allowed.json()["detail"]
    static = await signed.get(DATASTORES, headers=_bearer(TOKENS["reader"]))
    assert static.status_code == 200  # the configured tokens still work beside OIDC
    assert issuer.jwks_fetches == 1


REFUSED: dict[str, tuple[Any, str]] = {
    "expired": (lambda i: i.token(KEY, iat=1, exp=2), "the token has expired"),
    "wrong audience": (lambda i: i.token(KEY, aud="other"), "not meant for this service"),
    "alg none": (lambda i: unsigned_token(i.claims(), "key-1"), "'none' is refused"),
    "HS256": (lambda i: hs256_with_public_key(i.claims(), KEY), "'HS256' is refused"),
    "unknown key": (lambda i: i.token(SigningKey("stranger")), "unknown key ('stranger')"),
}


async def test_refused_tokens_are_401_problems_saying_why(
    signed: httpx.AsyncClient, issuer: IssuerDouble, acme: StoredVersion
) -> None:
    for case, (forge, reason) in REFUSED.items():
        answer = await signed.get(DATASTORES, headers=_bearer(forge(issuer)))
        assert answer.status_code == 401, case
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["type"] == "unauthorized" and reason in answer.json()["detail"], case


async def test_an_issuer_that_cannot_be_reached_is_a_503_problem(
    signed: httpx.AsyncClient, issuer: IssuerDouble, acme: StoredVersion
) -> None:
    token = issuer.token(KEY)
    await issuer.stop()  # before the service has fetched any key
    answer = await signed.get(DATASTORES, headers=_bearer(token))
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"  # the refetch interval (0.2 s), in whole seconds
    body = answer.json()
    assert body["type"] == "oidc-issuer-unavailable"
    assert f"signing keys of the OIDC issuer {issuer.url} could not be fetched" in body["detail"]
    assert (await signed.get(DATASTORES, headers=_bearer(TOKENS["reader"]))).status_code == 200


async def test_without_an_issuer_a_jwt_is_looked_up_as_a_token(
    database_url: str, issuer: IssuerDouble
) -> None:
    settings = Settings(database_url=database_url, anonymous_read=False, tokens=token_entries())
    async for client in client_for(settings):
        answer = await client.get(DATASTORES, headers=_bearer(issuer.token(KEY)))
        assert answer.status_code == 401 and answer.json()["detail"] == "the token is not valid"
    assert issuer.jwks_fetches == 0
