"""A forge's REST API through httpx: time limits, retries with backoff, pages followed by Link.

A 5xx, a 429 or a timeout is tried again (after Retry-After when the forge says, within a cap);
what still fails becomes a ForgeUnavailableError, and any other refusal a ForgeRefusedError. The
token travels in a header only: no message, log line or error here carries it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from app.errors import AppError

RETRIED = frozenset({429, 500, 502, 503, 504})
NEXT_PAGE = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
MAX_PAGES = 100  # 10,000 items at 100 a page: far past any pull request ecoplane reads
MAX_WAIT = 10.0  # the longest Retry-After honoured within one call
log = logging.getLogger("ecoplane.forge")


class ForgeError(AppError):
    """The forge could not be told or asked: the check stays pending and is tried again."""

    status = 502
    type = "forge-error"


class ForgeUnavailableError(ForgeError):
    """The forge answered 5xx or 429, or not in time, every time it was tried."""


class ForgeRefusedError(ForgeError):
    """The forge refused a call (a token without the rights, a repository it does not know)."""


class ForgeApi:
    """Calls to one forge's REST API with the configured token."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        timeout: float,
        attempts: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.attempts, self.backoff = attempts, backoff
        self.client = httpx.AsyncClient(headers=headers, timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        """Release the connections."""
        await self.client.aclose()

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call (a path under the API, or a full URL of a next page); 404 is answered, not raised."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        where = f"{method} {httpx.URL(url).path}"
        for attempt in range(1, self.attempts + 1):
            response: httpx.Response | None = None
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx.HTTPError as error:
                reason = f"{where}: {type(error).__name__}"
            else:
                if response.status_code < 400 or response.status_code == 404:
                    return response
                reason = f"{where} answered {response.status_code}"
                if response.status_code not in RETRIED:
                    raise ForgeRefusedError(f"the forge refused {reason}: {_message(response)}")
            if attempt < self.attempts:
                log.info("forge call %s failed (attempt %s), retried", reason, attempt)
                await asyncio.sleep(self._wait(attempt, response))
        raise ForgeUnavailableError(
            f"the forge is unavailable: {reason} ({self.attempts} attempts)"
        )

    def _wait(self, attempt: int, response: httpx.Response | None) -> float:
        after = response.headers.get("retry-after", "") if response is not None else ""
        if after.isdigit():
            return min(float(after), MAX_WAIT)
        return float(self.backoff * 2 ** (attempt - 1))

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON a call answers; None for 404."""
        response = await self.call(method, path, **kwargs)
        return None if response.status_code == 404 else response.json()

    async def pages(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        """Every item of a listed collection, page after page (the Link header's next)."""
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, "limit": 50, **(params or {})}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = await self.call("GET", url, params=query)
            if response.status_code == 404:
                return
            body = response.json()
            for item in body if isinstance(body, list) else body.get("data", []):
                yield item
            found = NEXT_PAGE.search(response.headers.get("link", ""))
            url, query = (found[1], None) if found else (None, None)


def _message(response: httpx.Response) -> str:
    """The forge's own reason, short."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message") or body)[:200] if isinstance(body, dict) else str(body)[:200]
