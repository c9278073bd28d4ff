"""Errors that cross package boundaries: each names what is wrong, never with a secret in it."""

from __future__ import annotations


class AppError(Exception):
    """Base of ecoplane's errors; `status` is the HTTP status an API answers with."""

    status = 500
    type = "about:blank"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class DatabaseUnavailableError(AppError):
    """The database cannot be reached or started."""

    status = 503
    type = "database-unavailable"


class ConflictError(AppError):
    """The request conflicts with the current state."""

    status = 409
    type = "conflict"
