"""What every runner offers: start a spec, wait for its outcome, stop it, look at it later."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.db.run_table import RunState
from app.jobs.spec import JobSpec


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: a final state, the exit status, why, and the end of its output."""

    state: RunState  # a final one
    exit_code: int | None = None
    reason: str | None = None
    log_tail: str | None = None
    attempts: int = 1


RUNNING = "running"  # what `inspect` answers for a run that has not ended


class Runner(Protocol):
    """Starts job specs and follows them; `launch` is idempotent for the same spec."""

    follows_elsewhere: bool  # a run outlives this process (a Job): any replica may follow it

    async def reference(self, spec: JobSpec) -> str | None:
        """The handle a spec will have before it starts (a Job name), if the runner knows it."""
        ...

    async def launch(self, spec: JobSpec) -> str:
        """Start the spec; returns the runner's handle. Raises RunRefusedError or AppError."""
        ...

    async def wait(self, spec: JobSpec, reference: str) -> Outcome:
        """Follow a started run until it ends."""
        ...

    async def cancel(self, reference: str) -> None:
        """Stop a run (nothing happens when it has already ended or is gone)."""
        ...

    async def inspect(self, reference: str) -> Outcome | str | None:
        """A run's outcome, RUNNING while it runs, or None when the runner has no trace of it."""
        ...

    async def close(self) -> None:
        """Release what the runner holds."""
        ...


class RunRefusedError(Exception):
    """The runner will not run this spec (e.g. a container on the local runner); says why."""


class MissingCredentialsError(RunRefusedError):
    """A transformer's credentials are not in the secret store (its role is not made yet)."""


class MissingSourceLoginError(RunRefusedError):
    """A data ingestion's source login is not in the secret store (`ecoplane credential set`)."""
