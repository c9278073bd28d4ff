"""OIDC bearer JWTs verified against the issuer test double: what is refused and why, what the
claims give, key rotation, a flood of unknown key ids, and an issuer that stops answering."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from app.api.oidc import OidcVerifier, SignedIn, TokenRefusedError
from app.api.oidc_keys import IssuerUnavailableError
from tests.api.oidc_issuer import (
    IssuerDouble,
    SigningKey,
    hs256_with_public_key,
    oidc_settings,
    unsigned_token,
)
from tests.jobs.conftest import until

KEY = SigningKey("key-1")


@pytest.fixture
async def issuer() -> AsyncIterator[IssuerDouble]:
    """The issuer double, serving with KEY published."""
    double = IssuerDouble()
    double.publish(KEY)
    await double.start()
    yield double
    await double.stop()


async def test_a_valid_token_names_the_user_with_the_mapped_scopes(issuer: IssuerDouble) -> None:
    verifier = OidcVerifier(oidc_settings(issuer))
    reader = await verifier.verify(issuer.token(KEY))
    assert reader == SignedIn("oidc:alice", "u-1234", frozenset({"read"}), frozenset())
    operator = await verifier.verify(issuer.token(KEY, groups=["x", "ecoplane-operators"]))
    assert operator.scopes == {"read", "operate"}  # operate includes read
    admin = await verifier.verify(issuer.token(KEY, groups=["ecoplane-admins"]))
    assert admin.scopes == {"read", "operate", "admin"}
    nobody = await verifier.verify(issuer.token(KEY, groups=["unmapped"]))
    assert nobody.scopes == frozenset()
    ec_key = SigningKey("ec-1", "ES256")
    issuer.publish(KEY, ec_key)
    verifier = OidcVerifier(oidc_settings(issuer))
    assert (await verifier.verify(issuer.token(ec_key))).scopes == {"read"}


Forge = Callable[[IssuerDouble], str]
STRANGER = SigningKey("stranger")  # never published
NOW = int(time.time())
REFUSED: dict[str, tuple[Forge, str]] = {
    "expired": (lambda i: i.token(KEY, iat=NOW - 900, exp=NOW - 600), "expired"),
    "wrong audience": (lambda i: i.token(KEY, aud="another-api"), "wrong audience"),
    "wrong issuer": (lambda i: i.token(KEY, iss="https://evil.example"), "issued by"),
    "unknown key": (lambda i: i.token(STRANGER), "unknown key ('stranger')"),
    "known kid, other key": (
        lambda i: i.token(SigningKey("key-1")),  # same kid, another key pair
        "signature does not verify",
    ),
    "alg none": (lambda i: unsigned_token(i.claims(), "key-1"), "algorithm 'none' is refused"),
    "HS256 with the public key": (
        lambda i: hs256_with_public_key(i.claims(), KEY),
        "algorithm 'HS256' is refused",
    ),
    "not yet valid": (lambda i: i.token(KEY, nbf=NOW + 600), "not valid yet"),
    "no exp": (
        lambda i: i.token(KEY, exp=None),
        'lacks a required claim: Token is missing the "exp"',
    ),
    "no name": (lambda i: i.token(KEY, preferred_username=None), "no 'preferred_username'"),
    "not a JWT": (lambda i: "abc.def.ghi", "not a readable JWT"),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_refused_tokens_say_why_in_a_warning_without_the_token(
    issuer: IssuerDouble, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    forge, reason = REFUSED[case]
    token = forge(issuer)
    with caplog.at_level(logging.WARNING), pytest.raises(TokenRefusedError) as refused:
        await OidcVerifier(oidc_settings(issuer)).verify(token)
    assert refused.value.status == 401 and reason in refused.value.detail
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and refused.value.detail in warnings[0].getMessage()
    if case != "not a JWT":
        assert warnings[0].subject == "u-1234"  # type: ignore[attr-defined]
    signature = token.rpartition(".")[2]
    assert token not in caplog.text and (not signature or signature not in caplog.text)


async def test_an_algorithm_outside_the_allow_list_is_refused(issuer: IssuerDouble) -> None:
    ec_key = SigningKey("ec-1", "ES256")
    issuer.publish(KEY, ec_key)
    verifier = OidcVerifier(oidc_settings(issuer, oidc_algorithms=["RS256"]))
    with pytest.raises(TokenRefusedError, match=r"algorithm 'ES256' is refused \(RS256\)"):
        await verifier.verify(issuer.token(ec_key))


async def test_claims_by_path_and_teams(issuer: IssuerDouble) -> None:
    keycloak = oidc_settings(
        issuer,
        oidc_scopes_claim="realm_access.roles",
        oidc_teams_claim="groups",
        oidc_teams_prefix="/teams/",
    )
    verifier = OidcVerifier(keycloak)
    groups = ["/teams/Sales/Orders", "/teams/bad", "/other/x/y", "/teams/Ops/Platform"]
    token = issuer.token(KEY, realm_access={"roles": ["ecoplane-operators"]}, groups=groups)
    who = await verifier.verify(token)
    assert who.teams == {"Sales/Orders", "Ops/Platform"}
    assert who.scopes == {"read", "operate"}
    teamless = await verifier.verify(
        issuer.token(KEY, realm_access={"roles": ["ecoplane-operators"]}, groups=["/other/x"])
    )
    assert teamless.scopes == {"read"}  # operate needs a team when teams are claimed
    admin = await verifier.verify(
        issuer.token(KEY, realm_access={"roles": ["ecoplane-admins"]}, groups=[])
    )
    assert admin.scopes == {"read", "operate", "admin"}
    scope_string = OidcVerifier(
        oidc_settings(issuer, oidc_scopes_claim="scope", oidc_name_claim="sub")
    )
    who = await scope_string.verify(issuer.token(KEY, scope="openid ecoplane-operators email"))
    assert (who.name, who.scopes) == ("oidc:u-1234", frozenset({"read", "operate"}))


async def test_a_rotated_key_is_fetched_once_its_token_comes(issuer: IssuerDouble) -> None:
    verifier = OidcVerifier(oidc_settings(issuer))
    await verifier.verify(issuer.token(KEY))
    assert issuer.jwks_fetches == 1
    for _ in range(5):  # kept: no fetch per token
        await verifier.verify(issuer.token(KEY))
    assert issuer.jwks_fetches == 1
    rotated = SigningKey("key-2")
    issuer.publish(rotated)

    async def accepted() -> SignedIn | None:
        try:
            return await verifier.verify(issuer.token(rotated))
        except TokenRefusedError:  # within the refetch interval of the first fetch
            return None

    assert (await until(accepted, "the rotated key accepted")).name == "oidc:alice"
    assert issuer.jwks_fetches == 2
    with pytest.raises(TokenRefusedError, match="unknown key"):  # the old key is gone now
        await verifier.verify(issuer.token(KEY))


async def test_a_flood_of_unknown_key_ids_fetches_at_most_once_per_interval(
    issuer: IssuerDouble,
) -> None:
    interval = 0.5
    verifier = OidcVerifier(oidc_settings(issuer, oidc_jwks_refetch_seconds=interval))
    await verifier.verify(issuer.token(KEY))
    started = time.monotonic()
    for wave in range(5):
        bogus = [issuer.token(SigningKey(f"bogus-{wave}-{n}")) for n in range(3)]
        outcomes = await asyncio.gather(
            *(verifier.verify(token) for token in bogus * 10), return_exceptions=True
        )
        assert all(isinstance(o, TokenRefusedError) for o in outcomes)
    elapsed = time.monotonic() - started
    # 150 tokens naming 15 unknown key ids: the first fetch, then one per interval at most
    assert issuer.jwks_fetches <= 2 + elapsed / interval, (issuer.jwks_fetches, elapsed)
    assert verifier.keys.fetches == issuer.jwks_fetches


async def test_an_issuer_that_stops_answering(
    issuer: IssuerDouble, caplog: pytest.LogCaptureFixture
) -> None:
    kept = OidcVerifier(oidc_settings(issuer))
    await kept.verify(issuer.token(KEY))
    await issuer.stop()
    cold = OidcVerifier(oidc_settings(issuer))
    with caplog.at_level(logging.WARNING), pytest.raises(IssuerUnavailableError) as down:
        await cold.verify(issuer.token(KEY))
    assert down.value.status == 503
    assert f"keys of the OIDC issuer {issuer.url} could not be fetched" in down.value.detail
    assert "ConnectError" in down.value.detail
    assert any(r.levelno == logging.ERROR and issuer.url in r.getMessage() for r in caplog.records)
    assert (await kept.verify(issuer.token(KEY))).name == "oidc:alice"  # kept keys still verify
    with pytest.raises(IssuerUnavailableError):  # a new key cannot be told from a forged one
        await _after_interval(kept, issuer.token(SigningKey("key-new")))
    await issuer.start()

    async def recovered() -> SignedIn | None:
        try:
            return await cold.verify(issuer.token(KEY))
        except IssuerUnavailableError:
            return None

    assert (await until(recovered, "verified once the issuer answers")).scopes == {"read"}


async def _after_interval(verifier: OidcVerifier, token: str) -> Any:
    """Verify once the refetch interval has passed (refused with 'unknown key' until then)."""

    async def attempt() -> Exception | None:
        try:
            await verifier.verify(token)
        except TokenRefusedError:
            return None
        except IssuerUnavailableError as error:
            return error
        return None

    raise await until(attempt, "the refetch tried")


async def test_a_discovery_document_naming_another_issuer_is_named(issuer: IssuerDouble) -> None:
    slash = f"{issuer.url}/"  # the issuer says it without the trailing slash
    verifier = OidcVerifier(oidc_settings(issuer, oidc_issuer=slash))
    with pytest.raises(IssuerUnavailableError) as wrong:
        await verifier.verify(issuer.token(KEY, iss=slash))
    assert f"names the issuer '{issuer.url}', not '{slash}'" in wrong.value.detail
    assert issuer.jwks_fetches == 0


async def test_kept_keys_are_fetched_again_once_stale(issuer: IssuerDouble) -> None:
    verifier = OidcVerifier(
        oidc_settings(issuer, oidc_jwks_cache_seconds=0.3, oidc_jwks_refetch_seconds=0.1)
    )
    await verifier.verify(issuer.token(KEY))
    issuer.publish(SigningKey("key-2"))  # KEY withdrawn: refused once the keys are fetched again

    async def withdrawn() -> bool:
        try:
            await verifier.verify(issuer.token(KEY))
        except TokenRefusedError as refused:
            return "unknown key ('key-1')" in refused.detail
        return False

    await until(withdrawn, "the withdrawn key refused after the keys went stale")
    assert issuer.jwks_fetches == 2


async def test_what_a_token_says_is_shown_short(
    issuer: IssuerDouble, caplog: pytest.LogCaptureFixture
) -> None:
    token = issuer.token(KEY, iss="https://" + "x" * 5000, sub="s" * 5000)
    with caplog.at_level(logging.WARNING), pytest.raises(TokenRefusedError) as refused:
        await OidcVerifier(oidc_settings(issuer)).verify(token)
    assert "issued by 'https://xxx" in refused.value.detail and len(refused.value.detail) < 200
    assert len(caplog.records[0].getMessage()) < 400


async def test_a_remembered_token_is_not_accepted_past_its_expiry(issuer: IssuerDouble) -> None:
    verifier = OidcVerifier(oidc_settings(issuer, oidc_leeway_seconds=0))
    token = issuer.token(KEY, exp=int(time.time()) + 2)
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # answered from memory: parsed and checked once

    async def expired() -> bool:
        try:
            await verifier.verify(token)
        except TokenRefusedError as refused:
            return "expired" in refused.detail
        return False

    await until(expired, "the remembered token refused once expired")
