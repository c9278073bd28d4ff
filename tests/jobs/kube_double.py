"""A TEST DOUBLE of the Kubernetes API server: Jobs, Pods, pod logs and Secrets, in-process.

An aiohttp server on 127.0.0.1 (random port) that the real kubernetes-asyncio client reaches
through a kubeconfig the test writes. It keeps Jobs (create, get, list with label selectors of
`=` and `in` terms, delete, watch with resourceVersion and bookmarks), makes a pod per finished
Job (with the termination message the log tail's keeper writes: `Finish`), serves its log
(`tailLines`, `limitBytes`), and holds Secrets (get, create, replace, delete: kube_secrets.py;
`put_credentials` writes a transformer's as the Kubernetes secret store does, and lists it in the
index). Jobs move active → succeeded/failed by the `rule` the test sets (or by `finish`).
Faults: answers by status (409, 500) for a verb, slow answers, a watch dropped after some events,
a resourceVersion expired (410). Every Job body is validated against the official
schemas (kubernetes-validate, Kubernetes `K8S_VERSION`) and searched for the Secrets' values.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kubernetes_validate
from aiohttp import web

from app.jobs.log_tail import KEEPER, termination_message
from tests.jobs.kube_secrets import Admission, SecretsApi

K8S_VERSION = "1.33"


@dataclass(frozen=True)
class Finish:
    """How a Job ends: exit code, log text, or the deadline (activeDeadlineSeconds) passing.

    A container that runs the log tail's keeper (`python -m workers.log_tail LINES ...`, as every
    worker of the jobs image does) leaves the last lines of its log in its termination message,
    as the keeper writes them (`termination_message`), unless `killed`: then, as after a
    SIGKILL or the deadline, it wrote none."""

    exit_code: int = 0
    log: str = ""
    deadline: bool = False
    killed: bool = False


@dataclass
class Fault:
    """Answer `status` to the next `times` calls of a verb (e.g. create-job), or delay them."""

    verb: str
    status: int = 500
    times: int = 1
    delay: float = 0.0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _matches(selector: str | None, labels: dict[str, str]) -> bool:
    """Equality (`key=value`) and set (`key in (a,b)`) terms, all of which must hold."""
    for term in filter(None, re.split(r",(?![^(]*\))", selector or "")):
        if found := re.fullmatch(r"\s*([^\s=]+)\s+in\s+\(([^)]*)\)\s*", term):
            if labels.get(found[1]) not in {v.strip() for v in found[2].split(",")}:
                return False
            continue
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


@dataclass
class KubeDouble(SecretsApi):
    """The double's state; `start()` serves it and writes `kubeconfig`."""

    directory: Path
    rule: Callable[[dict[str, Any]], Finish | None] = lambda job: Finish()
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)  # as the server keeps them
    admission: Admission | None = None
    secret_version: int = 0
    faults: list[Fault] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    drop_watch_after: int | None = None  # end the next watch after this many events
    gone_once: bool = False  # answer the next watch with 410 Gone (history compacted)
    validate: bool = True  # the benchmark turns the schema check off (it is not the server's cost)
    version: int = 1
    compacted: int = 0  # a watch from a resourceVersion below this gets 410 Gone
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    runner: web.AppRunner | None = None
    pending: set[asyncio.Task[None]] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)

    async def start(self) -> Path:
        """Serve on 127.0.0.1 and write a kubeconfig pointing at it; returns its path."""
        app = web.Application()
        batch, core = "/apis/batch/v1/namespaces/{ns}", "/api/v1/namespaces/{ns}"
        app.router.add_post(f"{batch}/jobs", self._create_job)
        app.router.add_get(f"{batch}/jobs", self._list_jobs)
        app.router.add_get(f"{batch}/jobs/{{name}}", self._get_job)
        app.router.add_delete(f"{batch}/jobs/{{name}}", self._delete_job)
        app.router.add_get(f"{core}/pods", self._list_pods)
        app.router.add_get(f"{core}/pods/{{name}}/log", self._log)
        self.add_secret_routes(app, core)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        path = self.directory / "kubeconfig"
        path.write_text(json.dumps(_kubeconfig(f"http://127.0.0.1:{port}")))
        return path

    async def stop(self) -> None:
        """Stop serving."""
        if self.runner is not None:
            await self.runner.cleanup()

    async def _fault(self, verb: str) -> web.Response | None:
        """An injected answer for this call, if any; a slow fault delays the answer instead."""
        self.calls[verb] = self.calls.get(verb, 0) + 1
        for fault in self.faults:
            if fault.verb == verb and fault.times > 0:
                fault.times -= 1
                if fault.delay:
                    self.slow[verb] = fault.delay
                    return None
                return _status(fault.status, "Injected", f"injected fault on {verb}")
        return None

    async def _answer(self, verb: str, response: web.Response) -> web.Response:
        """The answer, late when a slow fault says so (the work itself is already done)."""
        delay = self.slow.pop(verb, 0.0)
        if delay:
            await asyncio.sleep(delay)
        return response

    async def _record(self, kind: str, job: dict[str, Any]) -> None:
        self.version += 1
        job["metadata"]["resourceVersion"] = str(self.version)
        self.events.append((self.version, kind, json.loads(json.dumps(job))))
        async with self.changed:
            self.changed.notify_all()

    def expire(self) -> None:
        """Compact history: watches from any resourceVersion seen so far get 410 Gone."""
        self.compacted = self.version + 1

    async def _create_job(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("create-job")) is not None:
            return fault
        body = await request.json()
        if self.validate:
            self.bodies.append(body)
            self._check(body)
        name = body["metadata"]["name"]
        if name in self.jobs:
            return _status(409, "AlreadyExists", f'jobs.batch "{name}" already exists')
        meta = body["metadata"]
        meta.update(uid=f"uid-{name}", creationTimestamp=_now(), namespace=request.match_info["ns"])
        body["status"] = {"active": 1, "startTime": _now()}
        self.jobs[name] = body
        await self._record("ADDED", body)
        outcome = self.rule(body)
        if outcome is not None:  # after this answer, as a real cluster would
            task = asyncio.get_running_loop().create_task(self.finish(name, outcome))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
        return await self._answer("create-job", web.json_response(body, status=201))

    def _check(self, body: dict[str, Any]) -> None:
        try:
            kubernetes_validate.validate(body, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            self.problems.append(f"{body['metadata'].get('name')}: {error.message}")
        text = json.dumps(body)
        for secret in self.secrets:
            for key, value in self.secret_values(secret).items():
                if value in text:
                    self.problems.append(f"the value of {secret}/{key} is in a Job body")

    async def finish(self, name: str, outcome: Finish) -> None:
        """End a Job as the outcome says: status, a terminated pod, its log."""
        job = self.jobs.get(name)
        if job is None:
            return
        failed = outcome.deadline or outcome.exit_code != 0
        tries = 1 if not failed or outcome.deadline else job["spec"].get("backoffLimit", 6) + 1
        condition = {"type": "Failed" if failed else "Complete", "status": "True"}
        if outcome.deadline:
            condition.update(
                reason="DeadlineExceeded", message="Job was active longer than specified deadline"
            )
        elif failed:
            condition.update(
                reason="BackoffLimitExceeded", message="Job has reached the specified backoff limit"
            )
        job["status"] = {
            "active": 0,
            ("failed" if failed else "succeeded"): tries,
            "conditions": [condition],
        }
        pod_name = f"{name}-pod"
        terminated: dict[str, Any] = {"exitCode": 137 if outcome.deadline else outcome.exit_code}
        template = job["spec"]["template"]
        command = template["spec"]["containers"][0].get("command") or []
        if command[:3] == ["python", "-m", KEEPER] and not (outcome.deadline or outcome.killed):
            message = termination_message(outcome.log.splitlines()[-int(command[3]) :])
            if message is not None:
                terminated["message"] = message
        labels = {**template["metadata"]["labels"], "job-name": name}
        self.pods[pod_name] = {
            "metadata": {"name": pod_name, "labels": labels, "creationTimestamp": _now()},
            "spec": template["spec"],
            "status": {"containerStatuses": [{"name": "run", "state": {"terminated": terminated}}]},
        }
        self.logs[pod_name] = outcome.log
        await self._record("MODIFIED", job)

    async def _get_job(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("get-job")) is not None:
            return fault
        job = self.jobs.get(request.match_info["name"])
        if job is None:
            return _status(404, "NotFound", f'jobs.batch "{request.match_info["name"]}" not found')
        return await self._answer("get-job", web.json_response(job))

    async def _delete_job(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("delete-job")) is not None:
            return fault
        name = request.match_info["name"]
        self.calls[f"delete:{request.query.get('propagationPolicy')}"] = 1
        job = self.jobs.pop(name, None)
        if job is None:
            return _status(404, "NotFound", f'jobs.batch "{name}" not found')
        await self._record("DELETED", job)
        return web.json_response(_status_body(200, "Success", "deleted"))

    async def _list_jobs(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") in ("true", "1", "True"):
            return await self._watch(request)
        if (fault := await self._fault("list-jobs")) is not None:
            return fault
        selector = request.query.get("labelSelector")
        items = [
            j for j in self.jobs.values() if _matches(selector, j["metadata"].get("labels", {}))
        ]
        return web.json_response(
            {
                "kind": "JobList",
                "apiVersion": "batch/v1",
                "metadata": {"resourceVersion": str(self.version)},
                "items": items,
            }
        )

    async def _watch(self, request: web.Request) -> web.StreamResponse:
        if (fault := await self._fault("watch-jobs")) is not None:
            return fault
        since = int(request.query.get("resourceVersion") or self.version)
        selector = request.query.get("labelSelector")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        if since < self.compacted or self.gone_once:
            self.gone_once = False
            gone = _status_body(410, "Expired", f"too old resource version: {since}")
            await response.write(json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n")
            return response
        if request.query.get("allowWatchBookmarks") == "true":
            mark = {
                "kind": "Job",
                "apiVersion": "batch/v1",
                "metadata": {"resourceVersion": str(self.version)},
            }
            await response.write(json.dumps({"type": "BOOKMARK", "object": mark}).encode() + b"\n")
        sent, budget = since, self.drop_watch_after
        self.drop_watch_after = None
        deadline = asyncio.get_running_loop().time() + int(
            request.query.get("timeoutSeconds") or 1800
        )
        try:
            while asyncio.get_running_loop().time() < deadline:
                for version, kind, job in [e for e in self.events if e[0] > sent]:
                    if budget == 0:
                        break
                    sent = version
                    if not _matches(selector, job["metadata"].get("labels", {})):
                        continue
                    budget = None if budget is None else budget - 1
                    await response.write(json.dumps({"type": kind, "object": job}).encode() + b"\n")
                if budget == 0:
                    return response  # dropped: the client must resume
                async with self.changed:
                    try:
                        async with asyncio.timeout_at(deadline):
                            await self.changed.wait_for(lambda s=sent: self.version > s)  # type: ignore[misc]
                    except TimeoutError:
                        break
        except ConnectionResetError:  # the watcher went away: its watch ends, quietly
            pass
        return response

    async def _list_pods(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("list-pods")) is not None:
            return fault
        selector = request.query.get("labelSelector")
        items = [p for p in self.pods.values() if _matches(selector, p["metadata"]["labels"])]
        return web.json_response(
            {
                "kind": "PodList",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(self.version)},
                "items": items,
            }
        )

    async def _log(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("read-log")) is not None:
            return fault
        text = self.logs.get(request.match_info["name"])
        if text is None:
            return _status(404, "NotFound", "no such pod")
        lines = int(request.query.get("tailLines") or 10**6)
        body = "".join(f"{line}\n" for line in text.splitlines()[-lines:]).encode()
        if limit := request.query.get("limitBytes"):  # the server stops sending there
            body = body[: int(limit)]
        return web.Response(body=body, content_type="text/plain")


def _status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure" if code >= 400 else "Success",
        "code": code,
        "reason": reason,
        "message": message,
    }


def _status(code: int, reason: str, message: str) -> web.Response:
    return web.json_response(_status_body(code, reason, message), status=code)


def _kubeconfig(server: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "double", "cluster": {"server": server}}],
        "users": [{"name": "double", "user": {"token": "double-token"}}],
        "contexts": [
            {
                "name": "double",
                "context": {"cluster": "double", "user": "double", "namespace": "ecoplane"},
            }
        ],
        "current-context": "double",
    }


async def serve_forever(directory: Path, transformers: list[str]) -> None:
    """Serve a double whose Jobs all succeed with a line of log, unvalidated (for bench/jobs.py's
    child process), with the credentials Secrets (and their index) of these transformers."""
    double = KubeDouble(directory, validate=False)
    double.rule = lambda job: Finish(0, f"run {job['metadata']['name']} committed")  # as python
    double.put_credentials(transformers)
    await double.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    # python -m tests.jobs.kube_double DIRECTORY [TRANSFORMER ...]
    asyncio.run(serve_forever(Path(sys.argv[1]), sys.argv[2:]))
