"""The Kubernetes runner: a `batch/v1` Job per run, followed by one watch over ecoplane's Jobs.

The Job's name is the run's idempotency key: a create answered 409 means it already started.
One watch (label `app.kubernetes.io/managed-by=ecoplane`) follows every run of the replica;
it resumes from the last resourceVersion after a disconnect and lists again after `410 Gone`,
so no final state is lost (kube_watch.py). A finished Job's pod gives the exit code and the
log tail (its termination message when the log tail's keeper wrote one, else its log: see
app/jobs/log_tail.py); the pods of Jobs that end together are found by one list.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kubernetes_asyncio import client

from app.db.run_table import RunState
from app.jobs.batched import Batched
from app.jobs.job_body import job_body
from app.jobs.log_tail import LOG_BYTES, kept_tail, tail_of
from app.jobs.runners.base import (
    RUNNING,
    MissingCredentialsError,
    MissingSourceLoginError,
    Outcome,
)
from app.jobs.runners.kube_credentials import CredentialSecrets
from app.jobs.runners.kube_watch import JobWatcher, finished
from app.jobs.spec import CONTAINER, JobSpec
from app.kube import KubeError, api_client, call, request, segment
from app.settings import Settings

log = logging.getLogger("ecoplane.kubernetes")  # as the Job watcher's: one logger per runner

PODS_PER_LIST = 50  # Jobs whose pods one list asks for (their names make the selector)


class KubernetesRunner:
    """Runs specs as Jobs in `ECOPLANE_JOBS_NAMESPACE`."""

    follows_elsewhere = True  # a Job outlives the replica that created it

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.namespace = settings.jobs_namespace
        self.client: client.ApiClient | None = None
        self.apis: tuple[client.BatchV1Api, client.CoreV1Api] | None = None
        self.watcher: JobWatcher | None = None
        self.connecting = asyncio.Lock()
        self.pods = Batched(self._newest_pods, PODS_PER_LIST)  # Jobs end in bursts
        self.credentials = CredentialSecrets(self._secret)

    async def _apis(self) -> tuple[client.BatchV1Api, client.CoreV1Api]:
        if self.apis is None:
            async with self.connecting:
                if self.client is None:
                    self.client = await api_client(self.settings.kubeconfig)
                    self.apis = client.BatchV1Api(self.client), client.CoreV1Api(self.client)
        assert self.apis is not None
        return self.apis

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
        """Create the Job (refused when a transformer has no credentials Secret, or an ingestion
        no source-login Secret); a 409 means
        this run's Job exists already, which is success."""
        if why := await self.credentials.refusal(spec, self.settings.role_prefix):
            raise MissingCredentialsError(why)
        if why := await self.credentials.source_refusal(spec, self.settings.secret_store):
            raise MissingSourceLoginError(why)
        await self._apis()
        assert self.client is not None
        body = job_body(
            spec, self.namespace, self.settings.jobs_ttl_seconds, self.settings.log_tail_lines
        )
        try:  # by path: the body is plain JSON already (app/kube.py `request`)
            await request(
                f"creating Job {spec.name}", self.client, "POST",
                f"/apis/batch/v1/namespaces/{segment(self.namespace)}/jobs",
                body=body, timeout=self.settings.kubernetes_timeout_seconds,
            )  # fmt: skip
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
            return Outcome(RunState.LOST, reason=f"Job {reference} was deleted before it ended")
        return await self._outcome(job)

    async def _outcome(self, job: dict[str, Any]) -> Outcome:
        state = finished(job) or RunState.LOST
        status = job.get("status") or {}
        attempts = int(status.get("failed") or 0) + int(status.get("succeeded") or 0)
        exit_code, tail = await self._pod(job["metadata"]["name"])
        reason = None
        if state != RunState.SUCCEEDED:
            conditions = [c for c in status.get("conditions") or [] if c.get("status") == "True"]
            reason = "; ".join(str(c.get("message") or c.get("reason")) for c in conditions) or None
        return Outcome(state, exit_code, reason, tail, max(attempts, 1))

    async def _pod(self, job_name: str) -> tuple[int | None, str | None]:
        """The exit code and log tail of the Job's newest pod (None, None without one)."""
        pod = await self.pods.get(job_name)
        if pod is None:
            return None, None
        exit_code, message = None, None
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (container.get("state") or {}).get("terminated") or {}
            if container.get("name") == CONTAINER and "exitCode" in terminated:
                exit_code, message = int(terminated["exitCode"]), terminated.get("message")
        lines = self.settings.log_tail_lines
        if (kept := kept_tail(message)) is not None:  # the keeper's: no call for the log
            return exit_code, tail_of(kept, lines)
        await self._apis()
        assert self.client is not None
        name = pod["metadata"]["name"]
        try:  # at most LOG_BYTES: a container may print lines of any length
            text = await request(
                f"reading the log of {name}", self.client, "GET",
                f"/api/v1/namespaces/{segment(self.namespace)}/pods/{segment(name)}/log",
                query=[("container", CONTAINER), ("tailLines", lines), ("limitBytes", LOG_BYTES)],
                timeout=self.settings.kubernetes_timeout_seconds,
            )  # fmt: skip
        except KubeError as error:  # the run is recorded all the same, saying so in its tail
            run_id = (pod["metadata"].get("labels") or {}).get("ecoplane.io/run-id")
            log.warning("no log tail for Job %s: %s", job_name, error.detail,
                        extra={"runId": run_id, "job": job_name})  # fmt: skip
            return exit_code, f"(no log: {error.detail})"
        return exit_code, tail_of(str(text), lines) if text is not None else None

    async def _newest_pods(self, job_names: list[str]) -> dict[str, dict[str, Any]]:
        """Per Job, its newest pod: one list for every Job that ended meanwhile."""
        _, core = await self._apis()
        what = job_names[0] if len(job_names) == 1 else f"{len(job_names)} Jobs"
        pods = await self._call(
            f"listing the pods of {what}",
            core.list_namespaced_pod,
            self.namespace,
            label_selector=f"job-name in ({','.join(job_names)})",
        )
        newest: dict[str, dict[str, Any]] = {}
        for pod in sorted(
            pods.get("items") or [], key=lambda p: p["metadata"].get("creationTimestamp") or ""
        ):
            newest[(pod["metadata"].get("labels") or {}).get("job-name", "")] = pod
        return newest

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
        await self.pods.close()
        if self.client is not None:
            await self.client.close()
