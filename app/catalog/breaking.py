"""Breaking changes are held back: a version that breaks a consumer of the active one is rejected.

The change list comes from the diff (`app.ecosystem.diff`): a change is breaking when a
workspace that reads what it removes or narrows still reads it in the new model, so a commit
that also removes or adapts the affected sinks is not breaking. The first version (nothing
active) is never breaking.

The diff is made before the version is stored, against the version active then (rebuilding the
active model takes a while: not under the activation lock). The guard, asked under that lock,
uses it when the same version is still active, and diffs again otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from app.catalog.rebuild import model_of_version
from app.catalog.store import ActivationGuard, HeldBack
from app.db.model_versions import active_version_id
from app.db.tables import VersionState
from app.ecosystem.changes import Change, Impact
from app.ecosystem.diff import diff_models
from app.ecosystem.model import Model

log = logging.getLogger("ecoplane.catalog")


@dataclass(frozen=True, slots=True)
class BreakingChanges:
    """The breaking changes of a model against one version (None: nothing was active)."""

    against: int | None
    changes: tuple[Change, ...] = ()

    def reason(self) -> str:
        """Why the model is held back: each breaking change and the workspaces it affects."""
        lines = "; ".join(change.as_line() for change in self.changes)
        return (
            f"{len(self.changes)} breaking change(s) against the active version {self.against}: "
            f"{lines}. Adapt or remove the affected sinks in the same commit, or activate it "
            "on purpose (POST /api/v1/model-versions/<id>/activate, ecoplane activate)"
        )


async def breaking_changes(connection: asyncpg.Connection, model: Model) -> BreakingChanges:
    """The breaking changes of a model against the active version."""
    active = await active_version_id(connection)
    if active is None or model.errors:
        return BreakingChanges(active)
    old = await model_of_version(connection, active)
    changes = await asyncio.to_thread(diff_models, old, model)
    return BreakingChanges(active, tuple(c for c in changes if c.severity is Impact.BREAKING))


def breaking_guard(
    model: Model,
    found: BreakingChanges,
    commit: str | None,
    then: ActivationGuard | None = None,
) -> ActivationGuard:
    """Hold the version back, rejected, when it breaks a consumer; otherwise ask `then`."""

    async def guard(connection: asyncpg.Connection, version_id: int) -> HeldBack | None:
        """Why the version must not be activated: its breaking changes, or what `then` says."""
        judged = found
        if await active_version_id(connection) != found.against:  # activated meanwhile
            judged = await breaking_changes(connection, model)
        if judged.changes:
            log.info(  # its ingest's WARNING line says why: app/gitsource/pipeline.py
                "model version %s (commit %s) held back: %s",
                version_id, commit or "none", judged.reason(),
            )  # fmt: skip
            return HeldBack(
                judged.reason(),
                VersionState.REJECTED,
                [change.as_dict() for change in judged.changes],
            )
        return await then(connection, version_id) if then else None

    return guard
