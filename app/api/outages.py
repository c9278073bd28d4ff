"""The API through a database outage: one retry of a read, then a 503 problem with Retry-After.

A route that fails on a connection-level error (app/db/outage.py) did not fail because of the
request. Its pooled connections are expired (each is replaced by a fresh one when next taken:
after a restart or `pg_terminate_backend`, every pooled connection is dead, and the pool only
notices one at a time); a GET or HEAD is then tried once more, which answers normally when only
the connections were lost; anything else, or a retry that fails too, is answered `503
database-unavailable` with `Retry-After`, and `/readyz` says why and since when.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import app_error_response
from app.db.outage import connection_lost, describe, unavailable
from app.resources import Resources

RETRIED_METHODS = frozenset({"GET", "HEAD"})  # safe to ask twice
log = logging.getLogger("ecoplane.database")


class DatabaseOutages:
    """The middleware, inside the others: it sees the route's exception before the 500 handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
            return
        except Exception as error:
            if started or not connection_lost(error):
                raise
            failure: Exception = error
        res: Resources | None = getattr(scope["app"].state, "resources", None)
        if res is not None:
            await res.connections_lost()  # the others are probably dead too: fresh ones next
        if scope["method"] in RETRIED_METHODS:
            log.warning(
                "%s %s lost its database connection, tried once more: %s",
                scope["method"], scope["path"], describe(failure),
            )  # fmt: skip
            try:
                await self.app(scope, _empty_body(receive), sending)
                return
            except Exception as error:
                if started or not connection_lost(error):
                    raise
                failure = error
        if res is not None:
            res.outage.failed(failure, f"{scope['method']} {scope['path']}")
        response = app_error_response(Request(scope), unavailable(failure))
        await response(scope, receive, send)


def _empty_body(receive: Receive) -> Receive:
    """The request again for a retry: its (empty) body once, then the client's messages."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return again
