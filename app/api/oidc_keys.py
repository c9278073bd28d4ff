"""The OIDC issuer's signing keys: found through its discovery document, fetched and kept.

A token naming a key id that is not kept fetches the keys again (the issuer rotated them), but
never more often than ECOPLANE_OIDC_JWKS_REFETCH_SECONDS: a flood of made-up key ids costs the
issuer one fetch per interval. Kept keys outlive an issuer that stops answering; with none kept
yet, verification cannot happen and the caller gets a 503 to retry, not a 401 that would make
it drop a token that may well be valid.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx

from app.errors import AppError
from app.settings import Settings

log = logging.getLogger(__name__)
MAX_DOCUMENT_BYTES = 1024 * 1024  # a discovery document or a key set larger than this is refused
JWK = dict[str, Any]


class IssuerUnavailableError(AppError):
    """The issuer's keys could not be fetched and none are kept: retry later."""

    status = 503
    type = "oidc-issuer-unavailable"

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class IssuerAnswerError(Exception):
    """The issuer did not answer, or answered something that is not what was asked for."""


class IssuerKeys:
    """The signing keys of one issuer, by key id, fetched when needed."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer is not None
        self.issuer = settings.oidc_issuer
        self.discovery_url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        self.timeout = settings.oidc_timeout_seconds
        self.max_age = settings.oidc_jwks_cache_seconds
        self.interval = settings.oidc_jwks_refetch_seconds
        self.fetches = 0  # key sets fetched (tries included): what the issuer saw of us
        self._keys: dict[str | None, JWK] | None = None
        self._jwks_uri: str | None = None
        self._expires = 0.0  # when the kept keys are fetched again
        self._next_try = 0.0  # the earliest time of the next fetch
        self._last_error = ""
        self._lock = asyncio.Lock()
        self._ids = {"issuer": self.issuer}  # the log lines' fields

    async def key(self, kid: str | None) -> JWK | None:
        """The issuer's key of this id (None: a token without kid, if the issuer has one key);
        None if the issuer does not publish it. Raises IssuerUnavailableError."""
        keys = self._keys
        if keys is not None and time.monotonic() < self._expires and kid in keys:
            return keys[kid]
        async with self._lock:  # one fetch at a time; who waited for it uses its keys
            now = time.monotonic()
            if self._keys is None or now >= self._expires:
                await self._refresh(now, f"the keys are {'stale' if self._keys else 'not fetched'}")
            assert self._keys is not None
            rotated = kid not in self._keys and now >= self._next_try
            if rotated and not await self._refresh(now, f"a token names the unknown key {kid!r}"):
                raise IssuerUnavailableError(
                    self._unavailable(), self.interval
                )  # the key may be a new one
            return self._keys.get(kid)

    async def _refresh(self, now: float, why: str) -> bool:
        """Fetch the keys unless the last fetch was too recent; whether they were fetched."""
        if now < self._next_try:
            if self._keys is None:
                raise IssuerUnavailableError(self._unavailable(), self.interval)
            return False
        self._next_try = now + self.interval
        self.fetches += 1
        log.info("fetching the keys of OIDC issuer %s: %s", self.issuer, why, extra=self._ids)
        try:
            self._keys = await self._fetch()
            self._expires = now + self.max_age
            return True
        except IssuerAnswerError as error:
            self._last_error = str(error)
            self._jwks_uri = None  # discover again next time: the keys may have moved
            if self._keys is None:
                log.error("OIDC issuer %s: no keys: %s", self.issuer, error, extra=self._ids)
                raise IssuerUnavailableError(self._unavailable(), self.interval) from None
            self._expires = now + self.interval
            log.warning(
                "OIDC issuer %s: %s; keeping the %d keys fetched before",
                self.issuer, error, len(self._keys), extra=self._ids,
            )  # fmt: skip
            return False

    def _unavailable(self) -> str:
        return (
            f"the signing keys of the OIDC issuer {self.issuer} could not be fetched"
            f" ({self._last_error}); retry in {self.interval:g} s"
        )

    async def _fetch(self) -> dict[str | None, JWK]:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            if self._jwks_uri is None:
                discovery = await _document(client, self.discovery_url)
                if discovery.get("issuer") != self.issuer:
                    raise IssuerAnswerError(
                        f"{self.discovery_url} names the issuer {discovery.get('issuer')!r},"
                        f" not {self.issuer!r} (ECOPLANE_OIDC_ISSUER must be it exactly)"
                    )
                uri = discovery.get("jwks_uri")
                if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
                    raise IssuerAnswerError(f"{self.discovery_url} has no jwks_uri URL")
                self._jwks_uri = uri
            return signing_keys(await _document(client, self._jwks_uri), self._jwks_uri)


async def _document(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """The JSON object at this URL."""
    try:
        response = await client.get(url, headers={"Accept": "application/json"})
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise IssuerAnswerError(f"{url}: {type(error).__name__} {error}".rstrip()) from None
    if response.status_code != 200:
        raise IssuerAnswerError(f"{url} answered {response.status_code}")
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise IssuerAnswerError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = response.json()
    except ValueError:
        raise IssuerAnswerError(f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise IssuerAnswerError(f"{url} did not answer a JSON object")
    return document


def signing_keys(jwks: dict[str, Any], url: str) -> dict[str | None, JWK]:
    """The public signing keys of a JWKS by key id; a lone key also under None (tokens
    without kid). Encryption keys and shared secrets (`oct`) are left out."""
    listed = jwks.get("keys")
    if not isinstance(listed, list):
        raise IssuerAnswerError(f"{url} is not a JWKS (no 'keys' list)")
    keys: dict[str | None, JWK] = {
        key.get("kid"): key
        for key in listed
        if isinstance(key, dict)
        and key.get("kty") in {"RSA", "EC", "OKP"}
        and key.get("use", "sig") == "sig"
    }
    if not keys:
        raise IssuerAnswerError(f"{url} lists no public signing key")
    if len(keys) == 1:
        keys[None] = next(iter(keys.values()))
    return keys
