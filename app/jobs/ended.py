"""The run-ended hook: the one place to subscribe to "a run reached a final state".

The job service announces every run it records in a final state, whichever way it got there:
its runner's outcome, reconciliation, a cancel, a skipped start, a run failed because the
security sync it waited for did not succeed, a run lost as the service stops. Each subscriber
gets the recorded `Run` once; one that fails is logged with the run's id and never stops the
others nor undoes the record. Subscribers are wired in app/resources.py's with_run_subscribers
(what a success starts next, app/jobs/dependents.py, is one; `log_failure`, the log's one line
for a run that failed, timed out or was lost, is another).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from app.db.run_table import RunState
from app.jobs.runs import Run

log = logging.getLogger("ecoplane.jobs")
FAILURES = (RunState.FAILED, RunState.TIMED_OUT, RunState.LOST)
LAST_LINE_CHARACTERS = 500
RunEndedSubscriber = Callable[[Run], Awaitable[None]]


class RunEnded:
    """Calls its subscribers, in the order they subscribed, with each run that ended."""

    def __init__(self) -> None:
        self.subscribers: list[RunEndedSubscriber] = []

    def subscribe(self, subscriber: RunEndedSubscriber) -> None:
        """Call `subscriber(run)` whenever a run reaches a final state."""
        self.subscribers.append(subscriber)

    async def announce(self, run: Run) -> None:
        """Tell every subscriber that the run ended; a failing one is logged, not raised."""
        for subscriber in list(self.subscribers):
            try:
                await subscriber(run)
            except Exception:  # one subscriber's failure must not silence the others
                log.exception(
                    "run-ended subscriber %r failed for run %s (%s)", subscriber, run.id, run.state
                )


async def log_failure(run: Run) -> None:
    """One ERROR line for a run that failed, timed out or was lost, with its ids as fields."""
    if run.state not in FAILURES:
        return
    code = f" with exit code {run.exit_code}" if run.exit_code is not None else ""
    what = run.kind.value if run.target == run.kind.value else f"{run.kind.value} {run.target}"
    log.error(
        "run %s (%s) %s%s: %s", run.id, what, run.state.value, code,
        run.reason or "no reason recorded",
        extra={
            "runId": run.id, "kind": run.kind.value, "target": run.target,
            "state": run.state.value, "exitCode": run.exit_code, "reason": run.reason,
            "trigger": run.trigger, "versionId": run.version_id, "attempts": run.attempts,
            "lastLogLine": _last_line(run.log_tail),
        },
    )  # fmt: skip


def _last_line(tail: str | None) -> str | None:
    """The last line the run wrote (its recorded tail has secrets masked), bounded."""
    lines = [line for line in (tail or "").splitlines() if line.strip()]
    return lines[-1][:LAST_LINE_CHARACTERS] if lines else None
