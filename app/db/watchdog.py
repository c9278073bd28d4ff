"""The embedded PostgreSQL's watchdog: when its postmaster is gone, the service starts it again.

The service checks every CHECK_SECONDS that the postmaster of its embedded server runs. When
it does not (killed, crashed, stopped by hand), one WARNING line says so and the server is
started again on the same data directory (Postgres recovers from its WAL, which takes seconds
to a minute), tried again on every check until it runs; one INFO line says when it accepts
connections again and after how long. The pools and
background loops reconnect by themselves (docs/deploy.md, Database outages).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from app.db.embedded import pgdata, postmaster_pid, postmaster_ready, restart_embedded
from app.errors import DatabaseUnavailableError

CHECK_SECONDS = 1.0
log = logging.getLogger("ecoplane.database")


class EmbeddedWatchdog:
    """Keeps the embedded server of `data_dir` running while the service runs."""

    def __init__(self, data_dir: Path, *, check_seconds: float = CHECK_SECONDS) -> None:
        self.data_dir = data_dir
        self.check_seconds = check_seconds
        self.hold = asyncio.Lock()  # held: no restart meanwhile (maintenance by hand, tests)
        self.restarts = 0  # how many times it started the server again
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Watch from now on."""
        self.task = asyncio.create_task(self._run(), name="embedded-watchdog")

    async def stop(self) -> None:
        """Stop watching (before the server is stopped on purpose)."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def _run(self) -> None:
        gone_at: float | None = None  # when it was found gone (monotonic)
        while True:
            await asyncio.sleep(self.check_seconds)
            async with self.hold:
                if postmaster_pid(self.data_dir) is None:
                    if gone_at is None:
                        gone_at = time.monotonic()
                        log.warning(
                            "the embedded Postgres under %s is not running: starting it again",
                            pgdata(self.data_dir), extra={"dataDirectory": str(self.data_dir)},
                        )  # fmt: skip
                    try:
                        await asyncio.to_thread(restart_embedded, self.data_dir)
                    except DatabaseUnavailableError as error:
                        log.warning(
                            "the embedded Postgres under %s did not start yet (tried again in"
                            " %g s): %s", pgdata(self.data_dir), self.check_seconds, error.detail,
                        )  # fmt: skip
                        continue
            if gone_at is not None and postmaster_ready(self.data_dir):  # its recovery is over
                self.restarts += 1
                log.info(
                    "the embedded Postgres under %s runs again, %.1f s after it was found stopped",
                    pgdata(self.data_dir), time.monotonic() - gone_at,
                    extra={"dataDirectory": str(self.data_dir)},
                )  # fmt: skip
                gone_at = None
