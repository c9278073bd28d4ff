"""What a run that succeeds starts next.

After a security sync: the active version's `onModelChange` transformers (its roles exist now),
once per activation by its key (`model-change-<version>-<activation>`), unless an activation
while it ran marked it to be followed (the follow-up's success starts them). After a transformer: the `onInputChange`
transformers whose workspace sinks its output, by the key `after-run-<id>`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from importlib.util import find_spec

import asyncpg

from app.db.model_versions import active_version_id
from app.db.run_table import RunKind, RunState
from app.errors import AppError
from app.jobs.follow_up import activation_key
from app.jobs.model import Schedule, input_change_chains, schedules
from app.jobs.pooled import acquire
from app.jobs.runs import Run
from app.jobs.spec import worker_module
from app.settings import Settings

log = logging.getLogger("ecoplane.jobs")
CACHED_VERSIONS = 4  # versions whose onInputChange chains are kept
Start = Callable[[str, str, str, str], Awaitable[int | None]]  # name, trigger, key, by


class Dependents:
    """Starts, through `start` (the job service's start-or-skip), what a success leads to."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, start: Start) -> None:
        self.pool = pool
        self.settings = settings
        self.start = start
        self.chains: OrderedDict[int, dict[str, list[str]]] = OrderedDict()

    async def after(self, run: Run) -> None:
        """What a run that succeeded starts (a run-ended subscriber: other ends start nothing)."""
        if run.state != RunState.SUCCEEDED:
            return
        if run.kind == RunKind.SECURITY_SYNC:
            await self._after_security_sync(run)
        elif run.kind != RunKind.INGESTION and run.version_id is not None:
            await self._after_transformer(run, run.version_id)  # a batch: app/ingestion/followup.py

    async def model_changed(self, version_id: int, found: list[Schedule] | None = None) -> None:
        """Start a version's onModelChange transformers (builtins once their worker exists)."""
        async with acquire(self.pool) as connection:
            key = await activation_key(connection, version_id)
            if found is None:
                found = await schedules(connection, version_id)
        for entry in found:
            if entry.kind != "on-model-change":
                continue
            if entry.builtin_code and find_spec(worker_module(entry.builtin_code)) is None:
                log.info("%s not started: its worker is not in this release", entry.transformer)
                continue
            await self.start(entry.transformer, "model-change", key, "scheduler")

    async def _after_security_sync(self, run: Run) -> None:
        """The active version's roles exist now: its onModelChange transformers may run."""
        if not self.settings.security_sync_on_activation or run.follow_up_version is not None:
            return  # a sync follows this one, planned from the newer version: its success will
        async with acquire(self.pool) as connection:
            active = await active_version_id(connection)
        if active is not None:
            await self.model_changed(int(active))

    async def _after_transformer(self, run: Run, version_id: int) -> None:
        """Start the onInputChange transformers reading the output of a transformer's run."""
        chains = self.chains.get(version_id)
        if chains is None:  # a version never changes: its chains are read once
            async with acquire(self.pool) as connection:
                chains = await input_change_chains(connection, version_id)
            self.chains[version_id] = chains
            while len(self.chains) > CACHED_VERSIONS:
                self.chains.popitem(last=False)
        for name in chains.get(run.target, []):
            try:
                await self.start(name, "input-change", f"after-run-{run.id}", f"run {run.id}")
            except AppError as error:  # e.g. it left the model since
                log.warning("%s not started after run %s: %s", name, run.id, error.detail)
