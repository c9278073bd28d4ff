"""One check: the head fetched and validated, diffed against the active version, the approvals
read from the forge, the verdict posted (status and comment) and stored.

A forge that cannot be reached or refuses leaves the check `pending`, tried again later with
a growing delay; a check whose pull request moved on (closed, a newer head) posts nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from app.catalog.rebuild import model_of_version
from app.db.model_versions import active_version_id
from app.ecosystem.approvals import Assessment, assess
from app.ecosystem.diff import diff_models
from app.ecosystem.model import Model
from app.ecosystem.owners import OwnerKind
from app.ecosystem.problems import Problem, Severity
from app.errors import AppError
from app.forges import checks
from app.forges.api import ForgeError
from app.forges.forge import Forge
from app.forges.verdict import Standing, Verdict, build_verdict
from app.gitsource.git import GitError, Repository
from app.gitsource.pipeline import UNREADABLE_COMMIT, load_commit
from app.settings import Settings

log = logging.getLogger("ecoplane.checks")
MAX_DELAY = 900.0  # a pending check is tried at least every 15 minutes


def retry_delay(attempts: int, first: float = 15.0) -> float:
    """Seconds before a pending check is tried again: doubling from `first`, at most 15 minutes."""
    return float(min(first * 2 ** max(attempts - 1, 0), MAX_DELAY))


class Checker:
    """Works out and posts the verdict of claimed checks."""

    def __init__(self, settings: Settings, repository: Repository, forge: Forge) -> None:
        self.settings, self.repository, self.forge = settings, repository, forge
        self.first_delay = 15.0

    async def run(self, connection: asyncpg.Connection, check: dict[str, Any]) -> None:
        """Take a claimed check to a verdict posted, or to pending; failures are recorded."""
        ids = (
            f"check {check['id']} (pull request {check['pull_request']}, {check['head_sha'][:12]})"
        )
        try:
            current = await self.forge.pull_request(check["pull_request"])
            if current is None or not current.open or current.head_sha != check["head_sha"]:
                why = "closed" if current is None or not current.open else "has a newer head"
                log.info("%s: the pull request %s: nothing posted", ids, why)
                await checks.finish(
                    connection, check["id"], "superseded", f"the pull request {why}", None
                )
                return
            verdict = await self._verdict(connection, check, current.author)
            if not await checks.is_current(connection, check["id"]):
                log.info("%s was superseded while it ran: nothing posted", ids)
                return
            await self.forge.upsert_comment(check["pull_request"], verdict.comment)
            description = verdict.description_within(self.forge.description_limit)
            await self.forge.set_status(
                check["head_sha"], verdict.state, self.url(check), description
            )
        except ForgeError as error:
            delay = retry_delay(check["attempts"], self.first_delay)
            log.warning("%s stays pending, tried again in %g s: %s", ids, delay, error.detail)
            await checks.postpone(connection, check["id"], error.detail, delay)
            return
        except (GitError, OSError) as error:
            detail = self.repository.redact(
                error.detail if isinstance(error, AppError) else str(error)
            )
            log.warning("%s stays pending: the head cannot be fetched: %s", ids, detail)
            await checks.postpone(
                connection, check["id"], detail, retry_delay(check["attempts"], self.first_delay)
            )
            return
        log.info("%s: %s: %s", ids, verdict.state, verdict.description)
        await checks.finish(
            connection, check["id"], verdict.state, verdict.description, verdict.report,
            current.author,
        )  # fmt: skip

    def url(self, check: dict[str, Any]) -> str:
        """The stored report of a check: the status's target."""
        return f"{self.settings.public_url.rstrip('/')}/api/v1/checks/{check['id']}"

    async def _verdict(
        self, connection: asyncpg.Connection, check: dict[str, Any], author: str
    ) -> Verdict:
        """The verdict on the head: its problems, changes, and approvals needed and given."""
        try:
            head = await self._load(check["head_sha"])
        except UNREADABLE_COMMIT as error:
            problem = Problem(
                Severity.ERROR, "model-unreadable", str(getattr(error, "detail", error)), "", ""
            )
            return build_verdict(Assessment([], [], [], []), [problem], {}, self.url(check))
        active_id = await active_version_id(connection)
        active = await model_of_version(connection, active_id) if active_id is not None else Model()
        changes = await asyncio.to_thread(diff_models, active, head)
        assessment = assess(changes, head, active)
        approvers = [*await self.forge.approvers(check["pull_request"], check["head_sha"]), author]
        standing = await self._standing(assessment, [a for a in approvers if a])
        return build_verdict(assessment, head.problems, standing, self.url(check))

    async def _load(self, commit: str) -> Model:
        await self.repository.fetch()
        return await load_commit(
            self.repository, await self.repository.resolve(commit), self.settings
        )

    async def _standing(self, assessment: Assessment, approvers: list[str]) -> Standing:
        """Which approver stands for each owner of the forge: the user, or a member of the team."""
        standing: dict[tuple[str, str, str], str] = {}
        for requirement in assessment.requirements:
            for owner in requirement.owning.owners:
                if owner.forge != self.forge.name or owner.key in standing:
                    continue
                for approver in approvers:
                    if owner.kind is OwnerKind.USER:
                        matched = owner.name.casefold() == approver.casefold()
                    else:
                        matched = await self.forge.is_member(owner, approver)
                    if matched:
                        standing[owner.key] = approver
                        break
        return standing
