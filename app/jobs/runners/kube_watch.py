"""One watch over ecoplane's Jobs in a namespace: it hands each waiter its Job once it ends.

It lists once, then watches from that resourceVersion; after a disconnect it resumes from the
last resourceVersion seen, and lists again after `410 Gone`, so no final state is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Any

from kubernetes_asyncio import client

from app.db.run_table import RunState
from app.jobs.spec import MANAGED_BY
from app.kube import KubeError, call, stream_lines

SELECTOR = f"{MANAGED_BY}=ecoplane"
WATCH_SECONDS = 300  # the server ends a watch after this; it is resumed
REMEMBERED = 10_000  # finished Jobs kept for waiters that come late
log = logging.getLogger("ecoplane.kubernetes")


def finished(job: dict[str, Any]) -> RunState | None:
    """succeeded, failed or timed-out once the Job has ended; None while it runs."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return RunState.SUCCEEDED
        if condition.get("type") in ("Failed", "FailureTarget"):
            return (
                RunState.TIMED_OUT
                if condition.get("reason") == "DeadlineExceeded"
                else RunState.FAILED
            )
    return None


class JobWatcher:
    """One watch over ecoplane's Jobs in a namespace; hands each waiter its Job once it ends."""

    def __init__(self, batch: client.BatchV1Api, namespace: str, timeout: float) -> None:
        self.batch = batch
        self.namespace = namespace
        self.timeout = timeout
        self.waiters: dict[str, list[asyncio.Future[dict[str, Any] | None]]] = {}
        self.ended: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
        self.task: asyncio.Task[None] | None = None
        self.lists = 0  # how often it listed (at the start, and after a 410)
        self.resumes = 0  # how often it resumed a watch from a resourceVersion

    async def wait(self, name: str) -> dict[str, Any] | None:
        """The Job once it has ended, or None when it was deleted before."""
        if name in self.ended:
            return self.ended[name]
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(name, []).append(future)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="job-watch")
        try:
            return await future
        finally:
            waiting = self.waiters.get(name, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self.waiters.pop(name, None)

    async def stop(self) -> None:
        """Stop watching."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    def _settle(self, name: str, job: dict[str, Any] | None) -> None:
        self.ended[name] = job
        while len(self.ended) > REMEMBERED:
            self.ended.popitem(last=False)
        for future in self.waiters.pop(name, []):
            if not future.done():
                future.set_result(job)

    async def _list(self) -> str:
        """List every Job, settle the ended ones, and return where a watch starts."""
        found = await call(
            "listing Jobs",
            self.batch.list_namespaced_job,
            self.namespace,
            label_selector=SELECTOR,
            _request_timeout=self.timeout,
        )
        self.lists += 1
        for job in found.get("items") or []:
            if finished(job):
                self._settle(job["metadata"]["name"], job)
        return str(found["metadata"]["resourceVersion"])

    async def _run(self) -> None:
        """Watch until stopped: one list at the start (and after 410), then resumes."""
        version: str | None = None
        delay = 0.05
        while True:
            try:
                if version is None:
                    version = await self._list()
                version = await self._follow(version)
                delay = 0.05
            except KubeError as error:
                if error.code == 410:
                    version = None  # too old: list again
                    continue
                log.warning("watching Jobs: %s; resuming", error.detail)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _follow(self, version: str) -> str:
        """Watch from a resourceVersion until the server ends; the version to resume from."""
        self.resumes += 1
        events = stream_lines(
            "watching Jobs",
            self.batch.list_namespaced_job,
            self.namespace,
            label_selector=SELECTOR,
            watch=True,
            resource_version=version,
            allow_watch_bookmarks=True,
            timeout_seconds=WATCH_SECONDS,
            _request_timeout=WATCH_SECONDS + self.timeout,  # a silent connection is noticed
        )
        async with contextlib.aclosing(events):
            async for event in events:
                version = self._event(event, version)
        return version

    def _event(self, event: dict[str, Any], version: str) -> str:
        kind, job = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            raise KubeError(
                "watching Jobs", int(job.get("code") or 0), str(job.get("reason") or "")
            )
        metadata = job.get("metadata") or {}
        version = str(metadata.get("resourceVersion") or version)
        name = metadata.get("name")
        if kind == "DELETED" and name and not finished(job):
            self._settle(name, None)
        elif kind in ("ADDED", "MODIFIED", "DELETED") and name and finished(job):
            self._settle(name, job)
        return version
