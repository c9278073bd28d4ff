"""The issuer's keys as the verifier fetches them from the issuer test double: kept, fetched
again for a rotated key or once stale, at most once per interval however many unknown key ids
come, kept through an outage, and a 503 when none can be had."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from app.api.oidc import OidcVerifier, SignedIn, TokenRefusedError
from app.api.oidc_keys import IssuerAnswerError, IssuerUnavailableError, signing_keys
from tests.api.oidc_issuer import KEY, IssuerDouble, SigningKey, oidc_settings
from tests.jobs.conftest import until


def test_only_public_signing_keys_are_kept() -> None:
    published = KEY.jwk()
    encryption = {**SigningKey("enc-1").jwk(), "use": "enc"}
    secret = {"kty": "oct", "k": "c2VjcmV0", "kid": "hs-1"}
    keys = signing_keys({"keys": [published, encryption, secret, "junk"]}, "jwks")
    assert keys == {"key-1": published, None: published}  # a lone key serves tokens without kid
    two = signing_keys({"keys": [published, SigningKey("key-2").jwk()]}, "jwks")
    assert set(two) == {"key-1", "key-2"}
    with pytest.raises(IssuerAnswerError, match="jwks lists no public signing key"):
        signing_keys({"keys": [secret]}, "jwks")
    with pytest.raises(IssuerAnswerError, match=r"jwks is not a JWKS \(no 'keys' list\)"):
        signing_keys({"issuer": "x"}, "jwks")


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
