"""What an activation starts: the security sync, then the onModelChange transformers.

The runner here is a recording one: these tests are about which runs the service asks for and
in which order, not about running them (the local and Kubernetes runners have their own tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.run_table import RunState
from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from app.jobs.runners.base import Outcome
from app.jobs.scheduler import Scheduler
from app.jobs.service import JobService
from app.jobs.spec import JobSpec
from app.resources import with_run_subscribers
from app.settings import Settings
from tests.ecosystem.modeltext import files
from tests.jobs.model import python, workspace


class RecordingRunner:
    """Every spec succeeds at once, or fails when its target is listed in `failing`."""

    follows_elsewhere = False

    def __init__(self) -> None:
        self.started: list[JobSpec] = []
        self.failing: set[str] = set()

    async def reference(self, spec: JobSpec) -> str | None:
        return None

    async def launch(self, spec: JobSpec) -> str:
        self.started.append(spec)
        return f"recorded:{spec.run_id}"

    async def wait(self, spec: JobSpec, reference: str) -> Outcome:
        if spec.target in self.failing:
            return Outcome(RunState.FAILED, 1, "exited with status 1")
        return Outcome(RunState.SUCCEEDED, 0)

    async def cancel(self, reference: str) -> None:
        return None

    async def inspect(self, reference: str) -> Outcome | str | None:
        return None

    async def close(self) -> None:
        return None


def _model(trigger: str = "{onModelChange: true}") -> Model:
    model = load_texts(
        files(
            {
                "w.yaml": workspace(
                    "Exporter",
                    [("Customers", "customers")],
                    "on_change",
                    trigger,
                    python("ok"),
                    "ExporterOut",
                )
            }
        )
    )
    assert model.errors == 0
    return model


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
async def leading(
    pool: asyncpg.Pool, settings: Settings, runner: RecordingRunner
) -> AsyncIterator[tuple[Scheduler, JobService]]:
    """A leading scheduler whose service syncs after each activation."""
    on = settings.model_copy(update={"security_sync_on_activation": True})
    service = with_run_subscribers(JobService(pool, on, runner))
    scheduler = Scheduler(service, pool, on)
    await scheduler.lead()
    await service.idle()
    yield scheduler, service
    await scheduler.step_down()
    await service.close()


async def _activate(leading: tuple[Scheduler, JobService], engine: AsyncEngine, source: str) -> int:
    """Store and activate the model; wait until everything the activation started has ended
    (the service follows chained runs too, so `idle` covers the transformers after the sync)."""
    scheduler, service = leading
    stored = await store_model(engine, _model(), source=source)
    await scheduler.rebuild(stored.id)
    await service.idle()
    return stored.id


async def _runs(pool: asyncpg.Pool, version: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT kind, target, trigger, state, version_id, idempotency_key FROM runs"
        " WHERE idempotency_key LIKE $1 ORDER BY id",
        f"model-change-{version}-%",  # -<activation id>: once per activation
    )
    return [dict(r) for r in rows]


async def test_an_activation_syncs_first_and_then_starts_the_on_model_change_transformers(
    leading: tuple[Scheduler, JobService],
    engine: AsyncEngine,
    pool: asyncpg.Pool,
    runner: RecordingRunner,
) -> None:
    runner.started.clear()
    version = await _activate(leading, engine, "activation")
    order = [spec.target for spec in runner.started]
    assert order.index("security-sync") < order.index("on_change")
    runs = await _runs(pool, version)
    sync = next(r for r in runs if r["kind"] == "security-sync")
    assert (sync["trigger"], sync["state"], sync["version_id"]) == (
        "model-change", "succeeded", version,
    )  # fmt: skip
    transformer = next(r for r in runs if r["target"] == "on_change")
    assert (transformer["trigger"], transformer["state"]) == ("model-change", "succeeded")


async def test_what_an_activation_started_is_not_started_again(
    leading: tuple[Scheduler, JobService],
    engine: AsyncEngine,
    pool: asyncpg.Pool,
    runner: RecordingRunner,
) -> None:
    scheduler, service = leading
    version = await _activate(leading, engine, "once")
    before = len(runner.started)
    await scheduler.step_down()
    await scheduler.lead()  # a new leader announces the active version again
    await service.start_security_sync("manual")  # and any later sync succeeds
    await service.idle()
    assert [s.target for s in runner.started[before:]] == ["security-sync"]
    targets = [r["target"] for r in await _runs(pool, version)]
    assert sorted(targets) == ["externalize_model", "on_change", "security-sync"]  # once each


async def test_a_failed_sync_starts_no_transformer(
    leading: tuple[Scheduler, JobService],
    engine: AsyncEngine,
    pool: asyncpg.Pool,
    runner: RecordingRunner,
) -> None:
    runner.failing.add("security-sync")
    runs = await _runs(pool, await _activate(leading, engine, "failed sync"))
    assert [(r["kind"], r["state"]) for r in runs] == [("security-sync", "failed")]


async def test_without_the_sync_the_transformers_start_at_activation(
    pool: asyncpg.Pool, settings: Settings, engine: AsyncEngine, runner: RecordingRunner
) -> None:
    service = with_run_subscribers(
        JobService(pool, settings, runner)
    )  # the sync after activation: off in tests
    scheduler = Scheduler(service, pool, settings)
    await scheduler.lead()
    try:
        stored = await store_model(engine, _model(), source="no sync")
        await scheduler.rebuild(stored.id)
        await service.idle()
        runs = await _runs(pool, stored.id)
        assert {(r["target"], r["state"]) for r in runs} == {
            ("on_change", "succeeded"),
            ("externalize_model", "succeeded"),  # the builtin export: every model has it
        }
    finally:
        await scheduler.step_down()
        await service.close()
