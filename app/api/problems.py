"""Every error as application/problem+json with a stable type; never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.errors import AppError, InvalidParameterError, UnauthorizedError

PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, type_: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="ecoplane"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _title(error: AppError) -> str:
    return error.type.replace("-", " ").capitalize()


async def _app_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)
    extra: dict[str, Any] = {}
    if isinstance(error, InvalidParameterError):
        extra["errors"] = [{"parameter": error.parameter, "message": error.detail}]
    if isinstance(error, UnauthorizedError):
        extra = {}
    return problem(error.status, error.type, _title(error), error.detail, **extra)


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
    return problem(
        422, "invalid-parameter", "Invalid parameter", f"invalid parameter: {names}", errors=errors
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return problem(
        error.status_code, f"http-{error.status_code}", str(error.detail), str(error.detail)
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
