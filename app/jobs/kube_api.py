"""The Kubernetes boundary: a client (in-cluster config first, kubeconfig second), calls that
answer plain JSON, retries of 5xx, 429 and timeouts with backoff, and errors wrapped.

Nothing above this module sees kubernetes-asyncio's exceptions or models: responses are read
raw (`_preload_content=False`) and parsed as JSON, which skips building model objects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config.config_exception import ConfigException

from app.errors import RunnerUnavailableError

RETRIED = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 5
FIRST_BACKOFF = 0.05  # seconds; doubled after each failed attempt
log = logging.getLogger("ecoplane.kubernetes")


class KubeError(RunnerUnavailableError):
    """Kubernetes refused or failed a call; `status` of its answer (0: no answer)."""

    def __init__(self, what: str, code: int, reason: str) -> None:
        super().__init__(f"Kubernetes answered {code or 'nothing'} {reason} to {what}".strip())
        self.code = code


async def api_client(kubeconfig: Path | None) -> client.ApiClient:
    """A client with the pod's service account, or else the kubeconfig's current context."""
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except ConfigException:
        try:
            await config.load_kube_config(
                config_file=str(kubeconfig) if kubeconfig else None,
                client_configuration=configuration,
            )
        except (ConfigException, OSError) as error:
            raise RunnerUnavailableError(f"no Kubernetes configuration: {error}") from error
    return client.ApiClient(configuration)


Call = Callable[..., Awaitable[Any]]


async def _once(what: str, call: Call, *args: Any, **kwargs: Any) -> Any:
    try:
        response = await call(*args, _preload_content=False, **kwargs)
    except ApiException as error:  # raised before an answer (e.g. a bad request body)
        raise KubeError(what, error.status or 0, str(error.reason)) from error
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise KubeError(what, 0, f"({type(error).__name__})") from error
    try:
        body = await response.read()
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise KubeError(what, 0, f"({type(error).__name__})") from error
    finally:
        response.release()
    if response.status >= 400:
        raise KubeError(what, response.status, _status_message(body, response.reason))
    if not body:
        return None
    content_type = response.headers.get("content-type", "")
    return json.loads(body) if "json" in content_type else body.decode(errors="replace")


def _status_message(body: bytes, reason: str | None) -> str:
    try:
        found = json.loads(body)
    except ValueError:
        return reason or ""
    message = found.get("message") if isinstance(found, dict) else None
    return f"{reason or ''}: {message}" if message else reason or ""


async def call(what: str, method: Call, *args: Any, **kwargs: Any) -> Any:
    """One API call answered as JSON (or text); 5xx, 429 and timeouts retried with backoff."""
    delay = FIRST_BACKOFF
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _once(what, method, *args, **kwargs)
        except KubeError as error:
            if attempt == ATTEMPTS or not (error.code in RETRIED or error.code == 0):
                raise
            log.info("%s (attempt %d), retrying in %.2f s", error.detail, attempt, delay)
        await asyncio.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


async def stream_lines(
    what: str, method: Call, *args: Any, **kwargs: Any
) -> AsyncGenerator[Any, None]:
    """The JSON lines of a watch, until the server ends it; KubeError when it cannot start."""
    try:
        response = await method(*args, _preload_content=False, **kwargs)
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise KubeError(what, 0, f"({type(error).__name__})") from error
    try:
        if response.status >= 400:
            raise KubeError(what, response.status, _status_message(await response.read(), None))
        while line := await _readline(what, response):
            if line.strip():
                yield json.loads(line)
    finally:
        response.release()


async def _readline(what: str, response: Any) -> bytes:
    try:
        line: bytes = await response.content.readline()
    except (aiohttp.ClientError, TimeoutError, OSError) as error:  # the watch was dropped
        raise KubeError(what, 0, f"({type(error).__name__})") from error
    return line
