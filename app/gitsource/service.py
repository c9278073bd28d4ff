"""What the service runs to follow the model repository: the ingest worker and the poll."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.gitsource.git import Repository
from app.gitsource.pipeline import Pipeline
from app.gitsource.poll import Poller
from app.gitsource.worker import IngestWorker
from app.settings import Settings


def repository_of(settings: Settings) -> Repository | None:
    """The configured model repository (its mirror under the data directory), or None."""
    if not settings.model_repo:
        return None
    return Repository(
        url=settings.model_repo,
        home=(settings.data_dir / "git").resolve(),
        timeout=settings.git_timeout_seconds,
        token=settings.git_token.get_secret_value() if settings.git_token else None,
        username=settings.git_username,
    )


@dataclass(slots=True)
class Ingestion:
    """The repository, the worker that ingests its commits, and the poll (when configured; the
    leader's scheduler runs it)."""

    repository: Repository | None
    worker: IngestWorker
    poller: Poller | None

    def start(self) -> None:
        """Start the worker."""
        self.worker.start()

    async def stop(self) -> None:
        """Stop the worker; an ingest cut short is recovered by the next worker."""
        await self.worker.stop()


def build_ingestion(engine: AsyncEngine, settings: Settings) -> Ingestion:
    """The ingestion of the configured repository (not started)."""
    repository = repository_of(settings)
    worker = IngestWorker(engine, Pipeline(engine, settings, repository))
    poller = None
    if repository is not None and settings.poll_seconds > 0:
        poller = Poller(engine, repository, settings.model_branch, worker.wake)
    return Ingestion(repository, worker, poller)
