"""The console signs in with an OIDC JWT as the API does: the sign-in form takes the token, the
cookie keeps it, and every page verifies it through the same verifier (the issuer test double)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.catalog.store import StoredVersion
from tests.api.conftest import client_for, token_entries
from tests.api.oidc_issuer import KEY, IssuerDouble, oidc_settings
from tests.console.test_acting import csrf_of


@pytest.fixture
async def closed(
    database_url: str,
    issuer: IssuerDouble,
    acme: StoredVersion,
) -> AsyncIterator[httpx.AsyncClient]:
    """A console on a service that trusts the issuer double, with reads closed to anonymous."""
    settings = oidc_settings(
        issuer, database_url=database_url, anonymous_read=False, tokens=token_entries()
    )
    async for client in client_for(settings):
        yield client


async def test_a_jwt_signs_in_and_its_cookie_reads_the_pages(
    closed: httpx.AsyncClient,
    issuer: IssuerDouble,
) -> None:
    assert (await closed.get("/ui/runs")).status_code == 303  # anonymous: to the sign-in page
    csrf = await csrf_of(closed)
    token = issuer.token(KEY, groups=["ecoplane-operators"])
    answer = await closed.post("/ui/sign-in", data={"csrf": csrf, "token": token, "next": "/ui/"})
    assert answer.status_code == 303, answer.text[:500]
    assert closed.cookies["ecoplane_console_token"] == token
    page = await closed.get("/ui/runs")
    assert page.status_code == 200 and "Runs" in page.text
    assert issuer.jwks_fetches == 1  # the keys are kept across the pages


async def test_a_jwt_for_another_audience_is_refused_at_sign_in(
    closed: httpx.AsyncClient,
    issuer: IssuerDouble,
    caplog: pytest.LogCaptureFixture,
) -> None:
    csrf = await csrf_of(closed)
    token = issuer.token(KEY, aud="someone-else")
    answer = await closed.post("/ui/sign-in", data={"csrf": csrf, "token": token})
    assert answer.status_code == 401
    assert "ecoplane_console_token" not in closed.cookies
    assert "audience" in caplog.text
