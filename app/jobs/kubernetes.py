"""The Kubernetes runner: a `batch/v1` Job per run, followed by one watch over ecoplane's Jobs.

The Job's name is the run's idempotency key: a create answered 409 means it already started.
One watch (label `app.kubernetes.io/managed-by=ecoplane`) follows every run of the replica;
it resumes from the last resourceVersion after a disconnect and lists again after `410 Gone`,
so no final state is lost. A finished Job's pod gives the exit code and the log tail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Any

from kubernetes_asyncio import client

from app.jobs.kube_api import KubeError, api_client, call, stream_lines
from app.jobs.kube_credentials import CredentialSecrets
from app.jobs.runner import RUNNING, Outcome, RunRefusedError
from app.jobs.spec import CONTAINER, MANAGED_BY, JobSpec, job_body
from app.settings import Settings

SELECTOR = f"{MANAGED_BY}=ecoplane"
WATCH_SECONDS = 300  # the server ends a watch after this; it is resumed
REMEMBERED = 10_000  # finished Jobs kept for waiters that come late
log = logging.getLogger("ecoplane.kubernetes")


def finished(job: dict[str, Any]) -> str | None:
    """succeeded, failed or timed-out once the Job has ended; None while it runs."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "succeeded"
        if condition.get("type") in ("Failed", "FailureTarget"):
            return "timed-out" if condition.get("reason") == "DeadlineExceeded" else "failed"
    return None


class KubernetesRunner:
    """Runs specs as Jobs in `ECOPLANE_JOBS_NAMESPACE`."""

    follows_elsewhere = True  # a Job outlives the replica that created it

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.namespace = settings.jobs_namespace
        self.client: client.ApiClient | None = None
        self.watcher: JobWatcher | None = None
        self.connecting = asyncio.Lock()
        self.credentials = CredentialSecrets(self._secret)

    async def _apis(self) -> tuple[client.BatchV1Api, client.CoreV1Api]:
        async with self.connecting:
            if self.client is None:
                self.client = await api_client(self.settings.kubeconfig)
        return client.BatchV1Api(self.client), client.CoreV1Api(self.client)

    async def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        """One API call, bounded by ECOPLANE_KUBERNETES_TIMEOUT_SECONDS (then retried)."""
        timeout = self.settings.kubernetes_timeout_seconds
        return await call(what, method, *args, _request_timeout=timeout, **kwargs)

    async def reference(self, spec: JobSpec) -> str | None:
        """The Job name, known before the Job exists."""
        return spec.name

    async def _secret(self, name: str) -> dict[str, Any] | None:
        """A Secret of the namespace, None when there is none."""
        _, core = await self._apis()
        try:
            found: dict[str, Any] = await self._call(
                f"reading Secret {name}", core.read_namespaced_secret, name, self.namespace
            )
        except KubeError as error:
            if error.code == 404:
                return None
            raise
        return found

    async def launch(self, spec: JobSpec) -> str:
        """Create the Job (refused when a transformer has no credentials Secret); a 409 means
        this run's Job exists already, which is success."""
        if why := await self.credentials.refusal(spec, self.settings.role_prefix):
            raise RunRefusedError(why)
        batch, _ = await self._apis()
        body = job_body(spec, self.namespace, self.settings.jobs_ttl_seconds)
        try:
            await self._call(
                f"creating Job {spec.name}", batch.create_namespaced_job, self.namespace, body
            )
        except KubeError as error:
            if error.code != 409:
                raise
        return spec.name

    async def wait(self, spec: JobSpec, reference: str) -> Outcome:
        """Follow the Job by the shared watch until it ends; then read its pod."""
        if self.watcher is None:
            batch, _ = await self._apis()
            self.watcher = JobWatcher(
                batch, self.namespace, self.settings.kubernetes_timeout_seconds
            )
        job = await self.watcher.wait(reference)
        if job is None:
            return Outcome("lost", reason=f"Job {reference} was deleted before it ended")
        return await self._outcome(job)

    async def _outcome(self, job: dict[str, Any]) -> Outcome:
        state = finished(job) or "lost"
        status = job.get("status") or {}
        attempts = int(status.get("failed") or 0) + int(status.get("succeeded") or 0)
        exit_code, tail = await self._pod(job["metadata"]["name"])
        reason = None
        if state != "succeeded":
            conditions = [c for c in status.get("conditions") or [] if c.get("status") == "True"]
            reason = "; ".join(str(c.get("message") or c.get("reason")) for c in conditions) or None
        return Outcome(state, exit_code, reason, tail, max(attempts, 1))

    async def _pod(self, job_name: str) -> tuple[int | None, str | None]:
        """The exit code and log tail of the Job's newest pod (None, None without one)."""
        _, core = await self._apis()
        pods = await self._call(
            f"listing the pods of {job_name}",
            core.list_namespaced_pod,
            self.namespace,
            label_selector=f"job-name={job_name}",
        )
        items = sorted(
            pods.get("items") or [], key=lambda p: p["metadata"].get("creationTimestamp") or ""
        )
        if not items:
            return None, None
        pod = items[-1]
        exit_code = None
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (container.get("state") or {}).get("terminated") or {}
            if container.get("name") == CONTAINER and "exitCode" in terminated:
                exit_code = int(terminated["exitCode"])
        try:
            tail = await self._call(
                f"reading the log of {pod['metadata']['name']}",
                core.read_namespaced_pod_log,
                pod["metadata"]["name"],
                self.namespace,
                container=CONTAINER,
                tail_lines=self.settings.log_tail_lines,
            )
        except KubeError as error:
            tail = f"(no log: {error.detail})"
        return exit_code, (str(tail).rstrip("\n") or None) if tail is not None else None

    async def cancel(self, reference: str) -> None:
        """Delete the Job and, in the background, its pods."""
        batch, _ = await self._apis()
        try:
            await self._call(
                f"deleting Job {reference}",
                batch.delete_namespaced_job,
                reference,
                self.namespace,
                propagation_policy="Background",
            )
        except KubeError as error:
            if error.code != 404:
                raise

    async def inspect(self, reference: str) -> Outcome | str | None:
        """The Job's outcome, RUNNING, or None when no Job has this name."""
        batch, _ = await self._apis()
        try:
            job = await self._call(
                f"reading Job {reference}", batch.read_namespaced_job, reference, self.namespace
            )
        except KubeError as error:
            if error.code == 404:
                return None
            raise
        return await self._outcome(job) if finished(job) else RUNNING

    async def close(self) -> None:
        """Stop the watch and close the client."""
        if self.watcher is not None:
            await self.watcher.stop()
        if self.client is not None:
            await self.client.close()


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
