"""Request ids, access logs and Prometheus metrics for every request (a plain ASGI middleware)."""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.work_metrics import WorkMetrics
from app.logs import request_id

log = logging.getLogger("ecoplane.access")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The service's metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ecoplane_http_requests", "HTTP requests by route template", ["method", "route", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "ecoplane_http_request_duration_seconds", "HTTP request latency by route template",
            ["method", "route"], buckets=BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.answers = Counter(
            "ecoplane_version_answers", "reads of a version's answer: kept (hit) or made (miss)",
            ["outcome"], registry=self.registry,
        )  # fmt: skip
        self.active_version = Gauge(
            "ecoplane_active_model_version",
            "id of the active model version (0: none)",
            registry=self.registry,
        )
        self.versions = Gauge(
            "ecoplane_model_versions",
            "model versions stored, by state",
            ["state"],
            registry=self.registry,
        )
        self.work = WorkMetrics(self.registry)  # runs, ingests, the security sync, the leader


PREFIXES = frozenset({"", "/api/v1"})  # where routers are included


def route_template(scope: Scope) -> str:
    """The matched route's path template, prefix included; "unmatched" when none matched.

    An included router's route knows only its own path, so the prefix is what precedes it in
    the request path (path parameters are single segments). Only known prefixes are accepted:
    a label must never carry what a caller sent.
    """
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    segments = path.count("/")
    prefix = "/".join(scope["path"].split("/")[:-segments]) if segments else scope["path"]
    return prefix + path if prefix in PREFIXES else "unmatched"


class Observe:
    """Gives each request an id (X-Request-ID, echoed), logs it, and counts it by route template.

    Cheap by construction (it runs for every request): the metric children of a (method, route,
    status) are bound once and kept, the access record is made without looking up its caller's
    frame, and the request id is a random per-process prefix and a counter (unique, unguessable
    across processes) rather than fresh random bytes each time.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics
        self.bound: dict[tuple[str, int, int], tuple[Any, Any, str, Any]] = {}
        self.prefix = secrets.token_hex(8)
        self.count = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _given_id(scope["headers"]) or f"{self.prefix}{next(self.count):016x}"
        token = request_id.set(rid)
        status = 500
        started = time.perf_counter()
        echoed = (b"x-request-id", rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        route = scope.get("route")
        key = (method, id(route), status)  # routes are not hashable; each lives as long as the app
        bound = self.bound.get(key)
        if bound is None:
            template = route_template(scope)
            bound = (
                self.metrics.requests.labels(method, template, str(status)),
                self.metrics.latency.labels(method, template),
                template,
                route,  # held: its id is not reused
            )
            if len(self.bound) < MAX_BOUND:  # routes x methods x statuses: few, but bounded
                self.bound[key] = bound
        requests, latency, template, _ = bound
        requests.inc()
        latency.observe(seconds)
        if log.isEnabledFor(logging.INFO):
            extra = {
                "method": method,
                "route": template,
                "status": status,
                "durationMs": round(seconds * 1000, 2),
            }
            log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %s", (method, scope["path"], status), None, extra=extra))  # fmt: skip


MAX_BOUND = 4096


def _given_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The caller's X-Request-ID, if it is printable (at most 64 characters of it)."""
    for name, value in headers:
        if name == b"x-request-id":
            given = value.decode("latin-1")[:64]
            return given if given and given.isprintable() else None
    return None
