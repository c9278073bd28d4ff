"""A TEST DOUBLE of an OpenID Connect issuer: discovery and JWKS over real HTTP on 127.0.0.1.

An aiohttp server (random port, kept across a stop and a start) answers
`/.well-known/openid-configuration` and `/jwks`; the test generates its signing keys with
`cryptography`, chooses which are published (`publish`, a key rotation), signs tokens with them
(`token`, each with a jti of its own), and counts the key-set fetches it answered. Forged
tokens (`alg: none`, HS256 made with the public key) are built by hand, as an attacker would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.settings import Settings

AUDIENCE = "ecoplane-api"


@dataclass
class SigningKey:
    """A key pair of the issuer, its key id and algorithm."""

    kid: str
    alg: str = "RS256"
    names_alg: bool = True  # whether the JWKS says the key's alg (it need not)
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(init=False)

    def __post_init__(self) -> None:
        if self.alg.startswith("ES"):
            self.private = ec.generate_private_key(ec.SECP256R1())
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        """The public key as the JWKS publishes it."""
        public = self.private.public_key()
        algorithm = jwt.algorithms.get_default_algorithms()[self.alg]
        jwk = json.loads(algorithm.to_jwk(public))
        return {**jwk, "kid": self.kid, "use": "sig"} | (
            {"alg": self.alg} if self.names_alg else {}
        )

    def public_pem(self) -> bytes:
        """The public key in PEM, what an attacker feeds an HMAC."""
        public = self.private.public_key()
        return public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


KEY = SigningKey("key-1")  # the key the `issuer` fixture publishes


class IssuerDouble:
    """The issuer: its URL, published keys, and the fetches of its key set."""

    def __init__(self) -> None:
        self.published: list[SigningKey] = []
        self.issued = itertools.count(1)  # each token's jti: no two tokens are equal
        self.jwks_fetches = 0
        self.port = 0
        self.runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The issuer (`iss` of its tokens)."""
        return f"http://127.0.0.1:{self.port}/realms/acme"

    async def start(self) -> None:
        """Serve, on the port of the last start if there was one."""
        app = web.Application()
        app.router.add_get("/realms/acme/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/realms/acme/jwks", self._jwks)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop answering (connections are refused)."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def publish(self, *keys: SigningKey) -> None:
        """Publish these keys, and only these, from now on."""
        self.published = list(keys)

    async def _discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.url,
                "jwks_uri": f"{self.url}/jwks",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response({"keys": [key.jwk() for key in self.published]})

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Valid claims of a token for ecoplane; an override of None leaves the claim out."""
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "u-1234",
            "preferred_username": "alice",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "groups": ["ecoplane-readers"],
            "jti": f"t-{next(self.issued)}",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, key: SigningKey, **overrides: Any) -> str:
        """A token signed with this key (published or not)."""
        return jwt.encode(
            self.claims(**overrides), key.private, algorithm=key.alg, headers={"kid": key.kid}
        )


def _part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    """A forged token with `alg: none` and no signature."""
    return f"{_part({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_part(claims)}."


def hs256_with_public_key(claims: dict[str, Any], key: SigningKey) -> str:
    """A forged token: HS256 whose secret is the issuer's public key (the algorithm confusion
    attack on verifiers that take the algorithm from the token)."""
    signing_input = f"{_part({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{_part(claims)}"
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def oidc_settings(issuer: IssuerDouble, **overrides: Any) -> Settings:
    """Settings that trust the double: its groups claim gives the scopes, names by username."""
    values: dict[str, Any] = {
        "database_url": "postgresql://unused/x",
        "oidc_issuer": issuer.url,
        "oidc_audience": AUDIENCE,
        "oidc_scopes_claim": "groups",
        "oidc_scope_map": {
            "ecoplane-readers": "read",
            "ecoplane-operators": "operate",
            "ecoplane-admins": "admin",
        },
        "oidc_name_claim": "preferred_username",
        "oidc_jwks_refetch_seconds": 0.2,
        **overrides,
    }
    return Settings(**values)
