"""Errors that cross package boundaries: each names what is wrong, never with a secret in it."""

from __future__ import annotations


class AppError(Exception):
    """Base of ecoplane's errors; `status` is the HTTP status an API answers with."""

    status = 500
    type = "about:blank"
    retry_after: float | None = None  # seconds to wait before asking again (a 503's Retry-After)

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


class NotFoundError(AppError):
    """A name or version that does not exist."""

    status = 404
    type = "not-found"


class InvalidParameterError(AppError):
    """A request parameter that cannot be used; `parameter` names it."""

    status = 422
    type = "invalid-parameter"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter = parameter


class PayloadTooLargeError(AppError):
    """A request body over the configured size."""

    status = 413
    type = "payload-too-large"


class NoActiveModelError(AppError):
    """No model version is active yet."""

    status = 503
    type = "no-active-model"


class UnauthorizedError(AppError):
    """No credentials, or credentials that match no token."""

    status = 401
    type = "unauthorized"


class ForbiddenError(AppError):
    """Valid credentials without the scope a route needs."""

    status = 403
    type = "forbidden"


class UnsupportedMediaTypeError(AppError):
    """A request body in a media type the route does not read."""

    status = 415
    type = "unsupported-media-type"


class RunnerUnavailableError(AppError):
    """The job runner (Kubernetes API, local process start) failed or cannot be reached."""

    status = 502
    type = "runner-unavailable"
