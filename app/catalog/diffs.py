"""Changes between stored versions, and a model validated against the active one (nothing stored)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from app.catalog.rebuild import model_of_version
from app.catalog.versions import VersionRef, resolve_version
from app.db.model_versions import active_version_id
from app.ecosystem.changes import Change, Impact
from app.ecosystem.diff import diff_models
from app.ecosystem.loader import ModelLimits, load_texts
from app.errors import InvalidParameterError


async def version_diff(connection: asyncpg.Connection, old: str, new: str) -> dict[str, Any]:
    """The changes from one stored version to another, each named by id or commit sha."""
    old_version = await _resolve(connection, old, "old")
    new_version = await _resolve(connection, new, "new")
    old_model = await model_of_version(connection, old_version.id)
    new_model = await model_of_version(connection, new_version.id)
    changes = await asyncio.to_thread(diff_models, old_model, new_model)
    return {
        "from": await _brief(connection, old_version.id),
        "to": await _brief(connection, new_version.id),
        **change_list(changes),
    }


async def validation_report(
    connection: asyncpg.Connection,
    files: dict[str, str | bytes],
    limits: ModelLimits | None = None,
) -> dict[str, Any]:
    """Problems of a model given as files, and its changes against the active version.

    Raises ModelUnreadableError when no model file is given, ModelTooLargeError past a limit.
    """
    model = await asyncio.to_thread(load_texts, files, limits)
    report: dict[str, Any] = {
        "errors": model.errors,
        "warnings": model.warnings,
        "problems": [problem.as_dict() for problem in model.problems],
        "diff": None,
    }
    active = await active_version_id(connection)
    if active is not None:
        old_model = await model_of_version(connection, active)
        changes = await asyncio.to_thread(diff_models, old_model, model)
        report["diff"] = {"from": await _brief(connection, active), **change_list(changes)}
    return report


def change_list(changes: list[Change]) -> dict[str, Any]:
    """The JSON shape of a change list: how many are breaking, and every change."""
    return {
        "breaking": sum(1 for change in changes if change.severity is Impact.BREAKING),
        "changes": [change.as_dict() for change in changes],
    }


async def _resolve(connection: asyncpg.Connection, ref: str, parameter: str) -> VersionRef:
    try:
        return await resolve_version(connection, ref)
    except InvalidParameterError as error:
        raise InvalidParameterError(parameter, error.detail) from error


async def _brief(connection: asyncpg.Connection, version_id: int) -> dict[str, Any]:
    row = await connection.fetchrow(
        "SELECT id, commit_sha AS commit, state, activated_at FROM model_versions WHERE id = $1",
        version_id,
    )
    return dict(row) if row is not None else {"id": version_id, "state": "removed"}
