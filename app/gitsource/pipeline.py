"""One ingest: fetch → load → validate → store → activate, each step recorded on the ingest.

An older commit never replaces a newer active one: before storing, the commits that descend
from the ingested one are listed from the mirror, and the catalog's activation guard (asked
under the activation lock) keeps the version back when the active version's commit is one of
them. The same guard marks the ingest active in the activating transaction itself.

A failure that the commit itself causes (no model directory, a model too large, content the
database cannot hold) ends the ingest `rejected`: an ingest of that commit fails the same way
every time, so the poll does not queue it again. Other failures (git or the database out of
reach) end it `failed`, and the poll tries the branch head again.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.breaking import breaking_changes, breaking_guard
from app.catalog.store import (
    ActivationGuard,
    HeldBack,
    ModelNotStorableError,
    StoredVersion,
    store_model,
)
from app.db.ingest_table import IngestState
from app.db.model_versions import active_version_id
from app.ecosystem.limits import limits_of
from app.ecosystem.loader import (
    ModelTooLargeError,
    ModelUnreadableError,
    Timings,
    load_directory,
)
from app.ecosystem.model import Model
from app.errors import AppError
from app.gitsource import queue
from app.gitsource.git import CommitUnusableError, Repository
from app.settings import Settings

log = logging.getLogger("ecoplane.ingest")
# what a commit's model itself causes when it is read: reading it again fails the same way
UNREADABLE_COMMIT = (ModelUnreadableError, ModelTooLargeError, CommitUnusableError)
# ... or when it is stored: ingesting it again fails the same way
DETERMINISTIC = (*UNREADABLE_COMMIT, ModelNotStorableError)


async def load_commit(repository: Repository, commit: str, settings: Settings) -> Model:
    """The model of a fetched commit: its model directory checked out within the commit's size
    limit and loaded within the model limits, in a thread. Raises UNREADABLE_COMMIT's errors."""
    async with repository.checkout(
        commit, settings.model_subdir, settings.max_commit_bytes
    ) as directory:
        return await asyncio.to_thread(load_directory, directory, limits_of(settings))


class Pipeline:
    """Runs claimed ingests against the repository and the catalog."""

    def __init__(
        self, engine: AsyncEngine, settings: Settings, repository: Repository | None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.repository = repository

    async def run(self, connection: asyncpg.Connection, ingest: queue.Ingest) -> None:
        """Take a claimed ingest to its final state; failures are recorded, never raised."""
        timings = Timings()
        try:
            with timings.phase("total"):
                await self._run(connection, ingest, timings)
        except (AppError, ModelUnreadableError, OSError) as error:
            detail = _failure(error)
            if self.repository is not None:
                detail = self.repository.redact(detail)
            state = IngestState.REJECTED if isinstance(error, DETERMINISTIC) else IngestState.FAILED
            log.warning(
                "ingest %s %s: %s", ingest.id, state.value, detail,
                extra={"ingestId": ingest.id, "state": state.value, "commit": ingest.commit_sha,
                       "revision": ingest.revision, "reason": detail},
            )  # fmt: skip
            await queue.advance(connection, ingest.id, state, detail=detail)
        await queue.advance_timings(connection, ingest.id, timings)

    async def _run(
        self, connection: asyncpg.Connection, ingest: queue.Ingest, timings: Timings
    ) -> None:
        repository = self.repository
        if repository is None:
            raise NotConfiguredError("no model repository is configured (ECOPLANE_MODEL_REPO)")
        with timings.phase("fetch"):
            await repository.fetch()
            commit = await repository.resolve(ingest.revision)
        await queue.advance(connection, ingest.id, IngestState.FETCHING, commit_sha=commit)
        await self._supersede_older(connection, ingest.id, commit)
        if commit in await queue.active_commits(connection):
            version = await active_version_id(connection)
            await queue.advance(
                connection, ingest.id, IngestState.ACTIVE,
                version_id=version, detail=f"commit {commit[:12]} is already active: nothing new",
            )  # fmt: skip
            return
        await queue.advance(connection, ingest.id, IngestState.VALIDATING)
        with timings.phase("load"):
            model = await self._load(repository, commit)
        await queue.advance(
            connection,
            ingest.id,
            IngestState.STORING,
            errors=model.errors,
            warnings=model.warnings,
        )
        newer = await repository.descendants(commit)
        with timings.phase("breaking"):
            breaking = await self._breaking(connection, model, commit)
        with timings.phase("store"):
            stored = await store_model(
                self.engine, model, source=repository.redact(repository.url), commit_sha=commit,
                guard=_guard(ingest.id, commit, newer, breaking),
                activated_by=_requester(ingest),
            )  # fmt: skip
        await _finish(connection, ingest.id, stored, commit)

    async def _load(self, repository: Repository, commit: str) -> Model:
        return await load_commit(repository, commit, self.settings)

    async def _breaking(
        self, connection: asyncpg.Connection, model: Model, commit: str
    ) -> ActivationGuard | None:
        """The guard holding back breaking changes (ECOPLANE_BREAKING_CHANGES=reject), or None."""
        if self.settings.breaking_changes == "allow" or model.errors:
            return None
        found = await breaking_changes(connection, model)
        return breaking_guard(model, found, commit)

    async def _supersede_older(
        self, connection: asyncpg.Connection, ingest_id: int, commit: str
    ) -> None:
        """Queued requests for this commit or one of its ancestors are replaced by this ingest."""
        assert self.repository is not None
        older = [
            queued.id
            for queued in await queue.queued_before(connection, ingest_id)
            if queued.commit_sha and await self.repository.is_ancestor(queued.commit_sha, commit)
        ]
        if older:
            await queue.supersede(connection, older, ingest_id)


def _failure(error: Exception) -> str:
    """What an ingest's failure says."""
    if isinstance(error, AppError):
        return error.detail
    if isinstance(error, ModelUnreadableError):
        return f"the model cannot be read: {error}"
    return f"the model could not be materialised: {type(error).__name__}: {error}"


class NotConfiguredError(AppError):
    """Ingesting needs a model repository, and none is configured."""

    status = 409
    type = "no-model-repository"


def _requester(ingest: queue.Ingest) -> str:
    """Who an ingest activates a version for: the ingest, its trigger and who asked."""
    asked = f", requested by {ingest.requested_by}" if ingest.requested_by else ""
    return f"ingest {ingest.id} ({ingest.trigger}{asked})"


def _guard(
    ingest_id: int, commit: str, newer: set[str], breaking: ActivationGuard | None
) -> ActivationGuard:
    """Keep the version back when the active one holds a newer commit, or (asked next) when it
    breaks a consumer; else mark the ingest active."""

    async def mark_active(connection: asyncpg.Connection, version_id: int) -> HeldBack | None:
        await queue.advance(connection, ingest_id, IngestState.ACTIVE, version_id=version_id)
        return None

    async def guard(connection: asyncpg.Connection, version_id: int) -> HeldBack | None:
        """Why the version must not be activated, or None after marking the ingest active."""
        descendant = sorted(newer & await queue.active_commits(connection))
        if descendant:
            return HeldBack(
                f"commit {commit[:12]} is older than the active commit {descendant[0][:12]}"
            )
        held = await breaking(connection, version_id) if breaking else None
        return held or await mark_active(connection, version_id)

    return guard


async def _finish(
    connection: asyncpg.Connection, ingest_id: int, stored: StoredVersion, commit: str
) -> None:
    """Record how storing ended: active, rejected, superseded (held back), or the same content."""
    if stored.state == "rejected":
        detail = stored.held_back or (
            f"the model has errors: see /api/v1/model-versions/{stored.id}/problems"
        )
        log.warning(  # the one line of a rejected version (its breaking changes: the detail)
            "ingest %s rejected: version %s, commit %s: %s", ingest_id, stored.id, commit, detail,
            extra={"ingestId": ingest_id, "versionId": stored.id, "commit": commit,
                   "state": "rejected", "reason": detail},
        )  # fmt: skip
        await queue.advance(
            connection, ingest_id, IngestState.REJECTED, version_id=stored.id, detail=detail
        )
    elif stored.state == "superseded":
        await queue.advance(
            connection,
            ingest_id,
            IngestState.SUPERSEDED,
            version_id=stored.id,
            detail=stored.held_back,
        )
    elif not stored.created:  # the same content as the active version: its commit is recorded
        detail = f"same content as the active version {stored.id}: the commit was recorded"
        await queue.advance(
            connection, ingest_id, IngestState.ACTIVE, version_id=stored.id, detail=detail
        )
