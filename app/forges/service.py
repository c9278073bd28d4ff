"""The configured forge's client, and the worker that takes checks to their verdict."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import driver_connection
from app.forges import checks
from app.forges.api import ForgeApi
from app.forges.checker import Checker
from app.forges.forge import Forge
from app.forges.gitea import Gitea
from app.forges.github import API_URL as GITHUB_API
from app.forges.github import GitHub
from app.forges.gitlab import API_URL as GITLAB_API
from app.forges.gitlab import GitLab
from app.gitsource.git import Repository
from app.gitsource.worker import BackgroundWorker
from app.settings import Settings

CHECKS_LOCK = (0x45C1, 2)  # (space, key) of the advisory lock the check worker holds while it works
CLIENTS: dict[str, type[Forge]] = {"github": GitHub, "gitlab": GitLab, "gitea": Gitea}
log = logging.getLogger("ecoplane.checks")


def build_forge(settings: Settings, *, attempts: int = 3, backoff: float = 0.5) -> Forge | None:
    """The client of the configured forge for the followed repository, or None (not configured)."""
    if settings.forge is None or not settings.model_repo_name:
        return None
    token = settings.forge_token.get_secret_value() if settings.forge_token else ""
    if settings.forge == "gitlab":
        base, headers = settings.forge_api_url or GITLAB_API, {"PRIVATE-TOKEN": token}
    else:
        default = GITHUB_API if settings.forge == "github" else None
        base = settings.forge_api_url or default or ""
        scheme = "Bearer" if settings.forge == "github" else "token"
        headers = {"Authorization": f"{scheme} {token}", "Accept": "application/json"}
    headers = {name: value for name, value in headers.items() if token} | {"User-Agent": "ecoplane"}
    api = ForgeApi(
        base, headers, timeout=settings.forge_timeout_seconds, attempts=attempts, backoff=backoff
    )
    return CLIENTS[settings.forge](api, settings.model_repo_name)


class CheckWorker(BackgroundWorker):
    """Takes due checks (new, or pending and due again) one at a time across every replica."""

    name = "check-worker"

    def __init__(
        self, engine: AsyncEngine, checker: Checker, *, check_seconds: float = 2.0
    ) -> None:
        super().__init__(engine, check_seconds=check_seconds)
        self.checker = checker

    async def run_once(self) -> int | None:
        """Take the oldest due check to its verdict (or pending); its id, or None when idle."""
        async with self.engine.connect() as handle:
            connection = await driver_connection(handle)
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", *CHECKS_LOCK):
                return None
            try:
                for interrupted in await checks.recover_running(connection):
                    log.warning("check %s was interrupted: tried again", interrupted)
                check = await checks.claim_due(connection)
                if check is None:
                    return None
                await self.checker.run(connection, check)
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1, $2)", *CHECKS_LOCK)
        return int(check["id"])

    async def stop(self) -> None:
        """Stop working and release the forge's connections."""
        await super().stop()
        await self.checker.forge.close()


def build_check_worker(
    engine: AsyncEngine, settings: Settings, repository: Repository | None
) -> CheckWorker | None:
    """The check worker of the configured forge and repository (not started), or None."""
    forge = build_forge(settings)
    if forge is None or repository is None:
        return None
    return CheckWorker(engine, Checker(settings, repository, forge))
