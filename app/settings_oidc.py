"""The OIDC settings checked together at start: what a token is verified with must be complete."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from app.settings import Settings

# signatures with a public key only: HS* would verify with a secret the issuer publishes as a key
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def check_oidc(settings: Settings) -> None:
    """Raise ValueError naming the first OIDC setting that cannot be used with the issuer."""
    issuer = settings.oidc_issuer or ""
    parts = urlsplit(issuer)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise ValueError(
            f"ECOPLANE_OIDC_ISSUER={issuer!r} must be an https URL (http only on 127.0.0.1)"
        )
    if not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"ECOPLANE_OIDC_ISSUER={issuer!r} must be a URL with a host, no query")
    if not settings.oidc_audience:
        raise ValueError(
            "ECOPLANE_OIDC_ISSUER needs ECOPLANE_OIDC_AUDIENCE: the `aud` of the tokens meant"
            " for ecoplane (the client id registered at the issuer)"
        )
    if not settings.oidc_scope_map:
        raise ValueError(
            "ECOPLANE_OIDC_ISSUER needs ECOPLANE_OIDC_SCOPE_MAP: without it no signed-in user"
            ' may do anything (e.g. {"ecoplane-readers": "read", "ecoplane-operators": "operate"})'
        )
    for algorithm in settings.oidc_algorithms:
        if algorithm.lower() == "none" or algorithm.upper().startswith("HS"):
            raise ValueError(
                f"ECOPLANE_OIDC_ALGORITHMS: {algorithm!r} is never accepted (no signature, or"
                " one made with a shared secret that anyone holding the issuer's public key has)"
            )
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise ValueError(
                f"ECOPLANE_OIDC_ALGORITHMS: {algorithm!r} is not one of "
                + ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            )
