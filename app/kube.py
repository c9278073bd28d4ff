"""The Kubernetes boundary: a client (in-cluster config first, kubeconfig second), calls that
answer plain JSON, retries of 5xx, 429 and timeouts with backoff, and errors wrapped.

Nothing above this module sees kubernetes-asyncio's exceptions or models: responses are read
raw (`_preload_content=False`) and parsed as JSON (orjson), which skips building model objects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import orjson
from aiohttp.helpers import get_env_proxy_for_url
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config.config_exception import ConfigException
from yarl import URL

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
    created = client.ApiClient(configuration)
    _environment_read_once(created.rest_client, URL(str(configuration.host)))
    return created


def _environment_read_once(rest: Any, server: URL) -> None:
    """The proxy the environment names for the server, looked up now instead of per request.

    kubernetes-asyncio's session trusts the environment, so aiohttp reads the proxy variables
    and ~/.netrc in a worker thread for every request: two thread hops that cost about as much
    CPU as the request itself. The proxy (and its netrc credentials) cannot change while the
    service runs; netrc credentials for the API server itself never apply (the client sends its
    own Authorization).
    """
    if not rest.proxy:
        try:
            proxy, auth = get_env_proxy_for_url(server)
        except LookupError:  # no proxy, or the server is in NO_PROXY
            pass
        else:  # aiohttp sends a proxy URL's credentials as Proxy-Authorization
            if auth is not None:
                proxy = proxy.with_user(auth.login).with_password(auth.password)
            rest.proxy = str(proxy)
    trusting: aiohttp.ClientSession = rest.pool_manager
    rest.pool_manager = aiohttp.ClientSession(
        connector=trusting.connector, trust_env=False, read_bufsize=2**21
    )  # the read buffer kubernetes-asyncio chose: a watch event can be that large
    trusting.detach()  # its connector (TLS context, connection pool) now serves the new session


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
    return orjson.loads(body) if "json" in content_type else body.decode(errors="replace")


def _status_message(body: bytes, reason: str | None) -> str:
    try:
        found = orjson.loads(body)
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


async def request(
    what: str,
    api: client.ApiClient,
    method: str,
    path: str,
    *,
    query: list[tuple[str, str | int]] | None = None,
    body: Any = None,
    timeout: float | None = None,
) -> Any:
    """One call by its path (`call`'s answers, retries and errors), for the calls made once per
    run: through the client's own session, proxy, TLS and token, without the generated API's
    per-call work (every parameter, and every node of a Job's body, walked and copied by
    `sanitize_for_serialization`: about a third of a create's CPU), and with the body encoded
    by orjson (the REST client's `json.dumps` of a Job took ~6 % of a run's CPU). `path` is
    quoted already.
    """
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    headers.update(api.default_headers)
    params: list[Any] = list(query or ())
    await api.update_params_for_auth(headers, params, ["BearerToken"])
    url = f"{api.configuration.host}{path}"
    if params:
        url = f"{url}?{urlencode(params)}"
    data = orjson.dumps(body) if body is not None else None
    return await call(what, _send, api.rest_client, method, url, headers, data, timeout)


async def _send(
    rest: Any, method: str, url: str, headers: dict[str, str], data: bytes | None,
    timeout: float | None, *, _preload_content: bool = False,
) -> aiohttp.ClientResponse:  # fmt: skip
    """The request on the REST client's session, with its proxy and TLS server name, as its
    `request` would send it (answered unread: `_once` reads it)."""
    extra: dict[str, Any] = {}
    if rest.proxy:
        extra["proxy"] = rest.proxy
    if rest.proxy_headers:
        extra["proxy_headers"] = rest.proxy_headers
    if rest.server_hostname:
        extra["server_hostname"] = rest.server_hostname
    session: aiohttp.ClientSession = rest.pool_manager
    return await session.request(
        method, url, headers=headers, data=data,
        timeout=aiohttp.ClientTimeout(total=timeout), **extra,
    )  # fmt: skip


def segment(name: str) -> str:
    """A name as one segment of a path."""
    return quote(name, safe="")


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
                yield orjson.loads(line)
    finally:
        response.release()


async def _readline(what: str, response: Any) -> bytes:
    try:
        line: bytes = await response.content.readline()
    except (aiohttp.ClientError, TimeoutError, OSError) as error:  # the watch was dropped
        raise KubeError(what, 0, f"({type(error).__name__})") from error
    return line
