"""A runner that holds runs open until the test ends them (no sleeps: tests await its queue).

Runs of the targets in `held` stay running until `end(run_id, ...)`; a held security sync records
the model version active at its launch (the one the real sync plans from) and, when it succeeds,
gives the credentials that version grants (`grants`). Other runs succeed at once, or run with the
local runner when `local_transformers` is set.
"""

from __future__ import annotations

import asyncio

import asyncpg

from app.db.model_versions import active_version_id
from app.db.run_table import RunKind, RunState
from app.jobs.runners.base import Outcome
from app.jobs.runners.local import LocalRunner
from app.jobs.spec import JobSpec
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings
from tests.jobs.conftest import BOUND, give_credentials


class HeldRuns:
    """A test runner: held runs end when the test says so; the others at once (or locally)."""

    follows_elsewhere = False

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        held: frozenset[str] = frozenset({RunKind.SECURITY_SYNC.value}),
        local_transformers: bool = False,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.held = held
        self.local_transformers = local_transformers
        self.local = LocalRunner(settings, run_secrets(settings))
        self.ends: dict[int, asyncio.Future[Outcome]] = {}
        self.planned: dict[int, int] = {}  # held run id → the version active at its launch
        self.grants: dict[int, tuple[str, ...]] = {}  # version → transformers its sync gives roles
        self.launched: asyncio.Queue[int] = asyncio.Queue()

    async def next_launch(self) -> int:
        """The id of the next held run launched (bounded wait)."""
        return await asyncio.wait_for(self.launched.get(), BOUND)

    def end(self, run_id: int, state: RunState = RunState.SUCCEEDED) -> None:
        """End a held run."""
        self.ends[run_id].set_result(Outcome(state, 0 if state == RunState.SUCCEEDED else 1))

    async def reference(self, spec: JobSpec) -> str | None:
        return None

    async def launch(self, spec: JobSpec) -> str:
        if spec.target in self.held:
            active = await active_version_id(self.pool)
            assert active is not None
            self.planned[spec.run_id] = int(active)
            self.ends[spec.run_id] = asyncio.get_running_loop().create_future()
            self.launched.put_nowait(spec.run_id)
            return f"held:{spec.run_id}"
        if self.local_transformers and spec.kind != RunKind.SECURITY_SYNC:
            return await self.local.launch(spec)
        return f"done:{spec.run_id}"

    async def wait(self, spec: JobSpec, reference: str) -> Outcome:
        if reference.startswith("done:"):
            return Outcome(RunState.SUCCEEDED, 0)
        if not reference.startswith("held:"):
            return await self.local.wait(spec, reference)
        outcome = await asyncio.shield(self.ends[spec.run_id])
        granted = self.grants.get(self.planned[spec.run_id], ())
        if outcome.state == RunState.SUCCEEDED and spec.kind == RunKind.SECURITY_SYNC and granted:
            await give_credentials(self.settings, *granted)
        return outcome

    async def cancel(self, reference: str) -> None:
        return None

    async def inspect(self, reference: str) -> Outcome | str | None:
        return None

    async def close(self) -> None:
        await self.local.close()
