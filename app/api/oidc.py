"""Sign-in with OpenID Connect: a bearer JWT from the configured issuer names a caller.

`OidcVerifier.verify` checks a token with PyJWT (signature with the issuer's key of the token's
`kid`, the algorithm allow-list, `iss`, `aud`, `exp`, `nbf`, `iat`) and maps its claims to a
`SignedIn`: the name `oidc:<name claim>`, the scopes the scope map gives, the teams. It knows
no HTTP framework, so the console can verify its ID tokens with it too. `signed_in` is the
API's hook: the caller a JWT-shaped bearer token names, when OIDC is configured.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import Request

from app.api.oidc_keys import IssuerKeys
from app.errors import AppError, UnauthorizedError
from app.settings import Settings, implied_scopes

log = logging.getLogger(__name__)
JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
TEAM = re.compile(r"[^/\s]+/[^/\s]+")  # ZONE/TEAM
REQUIRED = ["exp", "iat", "iss", "aud", "sub"]
REMEMBER_SECONDS = 60.0  # a verified token is answered from memory this long at most
REMEMBERED = 4096  # verified tokens remembered at most (the oldest out first)
# what each refusal of PyJWT says to the caller (the first class that matches)
REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (nbf or iat in the future)"),
    (jwt.InvalidAudienceError, "the token is not meant for this service (wrong audience)"),
    (jwt.InvalidIssuerError, "the token was issued by another issuer"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is refused"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.InvalidKeyError, "the issuer's key cannot verify this token"),
]


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a verified token names and what they may do."""

    name: str
    subject: str
    scopes: frozenset[str]
    teams: frozenset[str]


class TokenRefusedError(UnauthorizedError):
    """A JWT that does not verify; the detail says why, naming no part of the token but ids."""


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token has the shape of a JWT (three base64url parts)."""
    return JWT_SHAPE.fullmatch(token) is not None


class Remembered:
    """Tokens verified lately, by digest, until their `exp` (REMEMBER_SECONDS at most): a client
    sends its token with every call, and parsing and checking it again costs ~0.7 ms."""

    def __init__(self) -> None:
        self._entries: OrderedDict[bytes, tuple[SignedIn, float]] = OrderedDict()

    def get(self, digest: bytes) -> SignedIn | None:
        """The caller of a token verified lately; None if unknown or expired."""
        entry = self._entries.get(digest)
        if entry is not None and time.time() < entry[1]:
            return entry[0]
        self._entries.pop(digest, None)
        return None

    def keep(self, digest: bytes, who: SignedIn, expires: float) -> None:
        """Remember a verified token until it expires, or REMEMBER_SECONDS from now."""
        self._entries[digest] = (who, min(expires, time.time() + REMEMBER_SECONDS))
        if len(self._entries) > REMEMBERED:
            self._entries.popitem(last=False)


class OidcVerifier:
    """Verifies the bearer JWTs of one issuer."""

    def __init__(self, settings: Settings, keys: IssuerKeys | None = None) -> None:
        assert settings.oidc_issuer is not None and settings.oidc_audience is not None
        self.settings = settings
        self.issuer, self.audience = settings.oidc_issuer, settings.oidc_audience
        self.keys = keys or IssuerKeys(settings)
        self.remembered = Remembered()

    async def verify(self, token: str) -> SignedIn:
        """The signed-in caller of a token; TokenRefusedError (401) saying why, or
        IssuerUnavailableError (503) when the issuer's keys cannot be had."""
        digest = hashlib.sha256(token.encode()).digest()
        known = self.remembered.get(digest)
        if known is not None:
            return known
        claims, kid = await self._verified(token)
        who = self._signed_in(claims, kid)
        self.remembered.keep(digest, who, float(claims["exp"]))
        return who

    async def _verified(self, token: str) -> tuple[dict[str, Any], Any]:
        """The claims of a token that verifies, and its key id."""
        try:
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise self._refused("-", "-", "the token is not a readable JWT") from None
        header, payload = unverified["header"], unverified["payload"]
        kid, alg, iss = header.get("kid"), header.get("alg"), payload.get("iss")
        subject = shown(payload.get("sub", "-"))
        if alg not in self.settings.oidc_algorithms:
            allowed = ", ".join(self.settings.oidc_algorithms)
            raise self._refused(
                subject, kid, f"the token's algorithm {shown(alg)!r} is refused ({allowed})"
            )
        if iss != self.issuer:  # before any fetch: not this issuer's token
            raise self._refused(
                subject, kid, f"the token was issued by {shown(iss)!r}, not {self.issuer}"
            )
        found = await self.keys.key(kid if isinstance(kid, str) else None)
        if found is None:
            raise self._refused(
                subject, kid, f"the token is signed by an unknown key ({shown(kid)!r})"
            )
        if found.get("alg", alg) != alg:  # a key published for one algorithm serves only it
            raise self._refused(subject, kid, f"the key {shown(kid)!r} is for {found['alg']}")
        try:
            key = jwt.PyJWK(found, algorithm=alg)  # refuses a key of another type than alg's
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.settings.oidc_leeway_seconds,
                options={"require": REQUIRED, "enforce_minimum_key_length": True},
            )
        except (jwt.PyJWTError, jwt.PyJWKError) as error:
            raise self._refused(subject, kid, _reason(error)) from None
        return claims, kid

    def _signed_in(self, claims: dict[str, Any], kid: Any) -> SignedIn:
        settings = self.settings
        subject = str(claims["sub"])
        named = claim(claims, settings.oidc_name_claim)
        if not isinstance(named, str | int) or named == "":
            raise self._refused(subject, kid, f"the token has no {settings.oidc_name_claim!r}")
        values = claim_values(claims, settings.oidc_scopes_claim)
        scopes = implied_scopes(
            settings.oidc_scope_map[v] for v in values if v in settings.oidc_scope_map
        )
        name = f"oidc:{named}"
        teams = frozenset[str]()
        if settings.oidc_teams_claim is not None:
            teams = self._teams(name, claim_values(claims, settings.oidc_teams_claim))
            if not teams and "operate" in scopes and "admin" not in scopes:
                log.warning("OIDC caller %s names no team: it may read but not operate", name)
                scopes = frozenset({"read"})
        return SignedIn(name, subject, scopes, teams)

    def _teams(self, name: str, values: list[str]) -> frozenset[str]:
        prefix = self.settings.oidc_teams_prefix or ""
        named = [value.removeprefix(prefix) for value in values if value.startswith(prefix)]
        malformed = [value for value in named if not TEAM.fullmatch(value)]
        if malformed:
            log.warning(
                "OIDC caller %s: teams not of the form ZONE/TEAM ignored: %s", name, malformed
            )
        return frozenset(value for value in named if TEAM.fullmatch(value))

    def _refused(self, subject: str, kid: Any, reason: str) -> TokenRefusedError:
        kid = shown(kid)
        log.warning(
            "OIDC token refused (sub %s, kid %s): %s", subject, kid, reason,
            extra={"subject": subject, "kid": kid, "reason": reason},
        )  # fmt: skip
        return TokenRefusedError(reason)


def shown(value: Any, limit: int = 80) -> str:
    """A value of an unverified token as logs and answers show it: never long."""
    text = str(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _reason(error: Exception) -> str:
    for kind, reason in REASONS:
        if isinstance(error, kind):
            return f"{reason}: {error}"
    return f"the token does not verify: {error}"


def claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by its name (`https://acme.example/roles`), or a nested one by a dotted path
    (`realm_access.roles`); None if absent."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def claim_values(claims: dict[str, Any], path: str) -> list[str]:
    """The values of a claim: a space-separated string (`scope`) or a list of strings."""
    value = claim(claims, path)
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


async def signed_in(request: Request, header: str | None) -> SignedIn | None:
    """The caller of a bearer JWT when OIDC is configured (verified once per request); None
    for any other header, which the token lookup reads."""
    settings: Settings = request.app.state.resources.settings
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if settings.oidc_issuer is None or scheme.lower() != "bearer" or not looks_like_jwt(token):
        return None
    kept: tuple[str, SignedIn | AppError] | None = getattr(request.state, "oidc_verdict", None)
    verdict = kept[1] if kept is not None and kept[0] == token else None
    if verdict is None:
        verifier: OidcVerifier | None = getattr(request.app.state, "oidc_verifier", None)
        if verifier is None:  # one per app: its keys are kept for every request
            verifier = request.app.state.oidc_verifier = OidcVerifier(settings)
        try:
            verdict = await verifier.verify(token)
        except AppError as error:  # refused once, logged once, however often it is asked
            verdict = error
        request.state.oidc_verdict = (token, verdict)
    if isinstance(verdict, AppError):
        raise verdict
    return verdict
