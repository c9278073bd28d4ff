"""Activating a stored version on purpose: an override or a rollback, recorded with who and why.

An **override** activates a version held back (`rejected`) for its breaking changes alone; a
**rollback** activates a `superseded` version again, older commit or not: the guard that keeps
an ingest of an older commit from replacing a newer active one is the ingest's, not this. A
version with validation errors is never activated (its model is not even stored). The flip is
the one every activation takes (`app.catalog.activations.flip`), so the activation hook's
subscribers (the security sync, then the onModelChange transformers) follow as after an ingest.
"""

from __future__ import annotations

import logging

import asyncpg

from app.catalog.activations import Activation, flip
from app.catalog.store import ACTIVATION_LOCK_TIMEOUT, LOCK_SPACE, CatalogError
from app.db.tables import ActivationKind, VersionState
from app.errors import AppError, InvalidParameterError, NotFoundError

REASON_MAX = 1000  # characters of an activation's reason
log = logging.getLogger("ecoplane.catalog")


class NotActivatableError(AppError):
    """The version cannot be activated in its state: active already, with errors, or not stored."""

    status = 409
    type = "version-not-activatable"


def checked_reason(reason: str) -> str:
    """The reason of an activation, trimmed; refused when empty or longer than REASON_MAX."""
    trimmed = reason.strip()
    if not trimmed:
        raise InvalidParameterError("reason", "say why the version is activated: reason is empty")
    if len(trimmed) > REASON_MAX:
        raise InvalidParameterError(
            "reason", f"reason has {len(trimmed)} characters; at most {REASON_MAX} are kept"
        )
    return trimmed


async def activate_on_purpose(
    connection: asyncpg.Connection, version_id: int, *, by: str, reason: str
) -> ActivationKind:
    """Activate a stored version (override or rollback) and record who, why and from which."""
    reason = checked_reason(reason)
    try:
        async with connection.transaction():
            # one load, retention or activation at a time; then lock the readers out for the flip
            await connection.execute("SELECT pg_advisory_xact_lock($1, 0)", LOCK_SPACE)
            await connection.execute(f"SET LOCAL lock_timeout = '{ACTIVATION_LOCK_TIMEOUT}'")
            await connection.execute("LOCK TABLE model_versions IN ACCESS EXCLUSIVE MODE")
            row = await connection.fetchrow(
                "SELECT state, errors FROM model_versions WHERE id = $1", version_id
            )
            kind = _kind(version_id, row)
            await flip(connection, version_id, Activation(by, reason, kind))
    except AppError as refused:
        log.warning(
            "activation of model version %s by %s refused: %s", version_id, by, refused,
            extra={"versionId": version_id, "by": by, "reason": str(refused)},
        )  # fmt: skip
        raise
    except asyncpg.PostgresError as error:
        log.warning(
            "activation of model version %s by %s failed: %s", version_id, by, error,
            extra={"versionId": version_id, "by": by, "reason": str(error)},
        )  # fmt: skip
        raise CatalogError(f"activating model version {version_id} failed: {error}") from error
    log.warning(  # an override of the checks, or a step back: the log says so, once
        "model version %s activated on purpose (%s) by %s: %s", version_id, kind.value, by, reason,
        extra={"versionId": version_id, "activation": kind.value, "by": by, "reason": reason},
    )  # fmt: skip
    return kind


def _kind(version_id: int, row: asyncpg.Record | None) -> ActivationKind:
    """Override or rollback, or why the version cannot be activated."""
    if row is None:
        raise NotFoundError(f"model version {version_id} does not exist")
    state, errors = VersionState(row["state"]), row["errors"]
    if state is VersionState.SUPERSEDED:
        return ActivationKind.ROLLBACK
    if state is VersionState.REJECTED and errors == 0:
        return ActivationKind.OVERRIDE
    if state is VersionState.ACTIVE:
        raise NotActivatableError(f"model version {version_id} is already active")
    if state is VersionState.REJECTED:
        raise NotActivatableError(
            f"model version {version_id} has {errors} validation error(s) and is never activated: "
            f"see /api/v1/model-versions/{version_id}/problems"
        )
    raise NotActivatableError(
        f"model version {version_id} is {state.value}: its model is not stored"
    )
