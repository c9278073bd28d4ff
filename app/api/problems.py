"""Every error as application/problem+json with a stable type; never a bare 500."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from app.db.outage import RETRY_AFTER_SECONDS
from app.errors import AppError, DatabaseUnavailableError, InvalidParameterError

PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="ecoplane"'}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def refused(request: Request, status: int, detail: str) -> None:
    """The log line of a refused (4xx) or failed (5xx) request: what was asked and why; the
    request id is added to every record."""
    level, outcome = (logging.WARNING, "failed") if status >= 500 else (logging.INFO, "refused")
    log.log(
        level, "%s %s %r: %s %s", outcome, request.method, request.url.path, status, detail,
        extra={"status": status},
    )  # fmt: skip


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the app answers at the request's path."""
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    allowed = [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]
    return allowed or ["GET", "HEAD"]  # no route: the static files of the docs refused it


def _title(error: AppError) -> str:
    return error.type.replace("-", " ").capitalize()


def app_error_response(request: Request, error: AppError) -> JSONResponse:
    """The problem an AppError is answered with (logged): a database outage says when to ask
    again (`Retry-After`), and so does any error that knows when."""
    extra: dict[str, Any] = {}
    if isinstance(error, InvalidParameterError):
        extra["errors"] = [{"parameter": error.parameter, "message": error.detail}]
    retry = (
        RETRY_AFTER_SECONDS if isinstance(error, DatabaseUnavailableError) else error.retry_after
    )
    headers = None if retry is None else {"Retry-After": str(max(1, math.ceil(retry)))}
    refused(request, error.status, error.detail)
    return problem(error.status, error.type, _title(error), error.detail, headers, **extra)


async def _app_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)
    return app_error_response(request, error)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            "parameter": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
            "in": str(e["loc"][0]),
            "message": e["msg"],
        }
        for e in error.errors()
    ]
    names = ", ".join(e["parameter"] for e in errors)
    refused(request, 422, f"invalid parameter: {names}")
    return problem(
        422, "invalid-parameter", "Invalid parameter", f"invalid parameter: {names}", errors=errors
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:  # every method of the path, not those of the first route found
        headers["Allow"] = ", ".join(allowed_methods(request))
    refused(request, error.status_code, str(error.detail))
    return problem(
        error.status_code,
        f"http-{error.status_code}",
        str(error.detail),
        str(error.detail),
        headers=headers or None,
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(
        500, "internal-error", "Internal error", "an unexpected error occurred; it was logged"
    )


def install(app: FastAPI) -> None:
    """Register the handlers."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
