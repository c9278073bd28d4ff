"""OIDC bearer JWTs verified against the issuer test double: what is refused and why (a
WARNING line without the token), what the claims give, and the memory of verified tokens."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import jwt
import pytest

from app.api.oidc import OidcVerifier, SignedIn, TokenRefusedError
from tests.api.oidc_issuer import (
    KEY,
    IssuerDouble,
    SigningKey,
    hs256_with_public_key,
    oidc_settings,
    unsigned_token,
)
from tests.jobs.conftest import until


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


async def test_a_key_serves_only_the_algorithm_it_is_published_for(issuer: IssuerDouble) -> None:
    verifier = OidcVerifier(oidc_settings(issuer, oidc_algorithms=["RS256", "RS512"]))
    other_alg = jwt.encode(
        issuer.claims(), KEY.private, algorithm="RS512", headers={"kid": "key-1"}
    )
    with pytest.raises(TokenRefusedError, match="the key 'key-1' is for RS256"):
        await verifier.verify(other_alg)
    silent = SigningKey("ec-1", "ES256", names_alg=False)  # an EC key that does not say ES256
    issuer.publish(KEY, silent)
    verifier = OidcVerifier(oidc_settings(issuer))
    confused = jwt.encode(issuer.claims(), KEY.private, algorithm="RS256", headers={"kid": "ec-1"})
    with pytest.raises(TokenRefusedError, match="the issuer's key cannot verify this token"):
        await verifier.verify(confused)


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
    namespaced = "https://acme.example/roles"  # Auth0's custom claims are URLs, dots and all
    auth0 = OidcVerifier(oidc_settings(issuer, oidc_scopes_claim=namespaced))
    who = await auth0.verify(issuer.token(KEY, **{namespaced: ["ecoplane-admins"]}))
    assert who.scopes == {"read", "operate", "admin"}


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
