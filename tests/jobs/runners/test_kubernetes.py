"""The Kubernetes runner against the Kubernetes test double, through the real client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.jobs.log_tail import LINE_CHARS, LOG_BYTES, PUBLIC
from app.jobs.runners.kubernetes import KubernetesRunner
from app.jobs.runs import Run
from app.jobs.service import JobService
from app.jobs.spec import TransformerCode, transformer_job
from app.resources import with_run_subscribers
from app.security.secrets.kubernetes import KubernetesSecretStore
from app.settings import Settings
from tests.jobs.conftest import fake_credentials, run_of, until
from tests.jobs.kube_double import Fault, Finish, KubeDouble
from tests.jobs.model import jobs_model

MANAGED = "app.kubernetes.io/managed-by"


@pytest.fixture
async def double(tmp_path: Path) -> AsyncIterator[KubeDouble]:
    """The double, serving, with the credentials Secrets of the jobs model's transformers."""
    created = KubeDouble(tmp_path)
    created.put_credentials(list(jobs_model().transformers))
    await created.start()
    yield created
    await created.stop()


@pytest.fixture
def kube_settings(tmp_path: Path, double: KubeDouble) -> Settings:
    """Settings choosing the Kubernetes runner, configured by the double's kubeconfig."""
    return Settings(
        database_url="postgresql://unused",
        data_dir=tmp_path,
        runner="kubernetes",
        kubeconfig=tmp_path / "kubeconfig",
        jobs_namespace="ecoplane",
        scheduler=False,
    )


@pytest.fixture
async def kube(pool: asyncpg.Pool, kube_settings: Settings) -> AsyncIterator[JobService]:
    """A job service with the Kubernetes runner."""
    created = with_run_subscribers(JobService(pool, kube_settings, KubernetesRunner(kube_settings)))
    yield created
    await created.close()


async def _run(service: JobService, pool: asyncpg.Pool, name: str) -> Run:
    run, _ = await service.start_transformer(name, "manual")
    await service.settled(run.id)
    return await run_of(pool, run.id)


def _watcher(service: JobService) -> Any:
    runner = service.runner
    assert isinstance(runner, KubernetesRunner) and runner.watcher is not None
    return runner.watcher


async def test_a_job_runs_to_success_with_its_log_tail(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: Finish(0, "reading\nwriting\ndone")
    done = await _run(kube, pool, "chain_a")
    assert done.state == "succeeded" and done.exit_code == 0 and done.attempts == 1
    assert done.runner_ref == f"ecoplane-transformer-chain-a-{done.id}"
    assert done.log_tail == "reading\nwriting\ndone"
    assert "read-log" not in double.calls  # the tail came in the pod's termination message
    (body,) = [b for b in double.bodies if b["metadata"]["name"] == done.runner_ref]
    assert double.problems == []  # schema-valid, and no secret value in it
    assert double.secret_values("ecoplane-dt-chain-a")["PGPASSWORD"] not in json.dumps(body)
    pod = body["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "ecoplane-dt-chain-a",
        "key": "PGPASSWORD",
    }
    assert env["ECOPLANE_OUTPUT_SCHEMA"]["value"] == "out_chain_a"
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"] is True
    assert body["metadata"]["labels"]["ecoplane.io/run-id"] == str(done.id)


async def test_without_the_keepers_message_the_tail_is_read_from_the_log(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble, kube_settings: Settings
) -> None:
    lines = [f"line {i:03} " + "x" * 100 for i in range(kube_settings.log_tail_lines + 5)]
    double.rule = lambda job: Finish(0, "\n".join(lines))  # the last 50 pass 4096 bytes
    done = await _run(kube, pool, "sleepy")
    assert done.log_tail == "\n".join(lines[-kube_settings.log_tail_lines :])
    assert double.calls["read-log"] == 1
    double.rule = lambda job: Finish(1, "killed mid-line", killed=True)  # SIGKILL: no message
    failed = await _run(kube, pool, "sleepy")
    assert (failed.exit_code, failed.log_tail) == (1, "killed mid-line")
    assert double.calls["read-log"] == 2


async def test_a_log_of_very_long_lines_is_read_to_a_bound_and_each_line_cut(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: Finish(0, "c" * 5000 + "\nend", killed=True)  # read from the log
    done = await _run(kube, pool, "sleepy")
    assert done.log_tail == "c" * LINE_CHARS + "\nend"  # as the local runner cuts a line
    double.rule = lambda job: Finish(0, "b" * 3 * LOG_BYTES + "\nthe end", killed=True)
    done = await _run(kube, pool, "sleepy")  # 3 MiB: the server stops at limitBytes
    assert done.log_tail == "b" * LINE_CHARS


async def test_a_log_that_cannot_be_read_is_said_in_the_tail_and_logged(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble, caplog: pytest.LogCaptureFixture
) -> None:
    double.faults.append(Fault("read-log", 403, times=10))  # not retried: refused
    double.rule = lambda job: Finish(0, "never read", killed=True)
    done = await _run(kube, pool, "sleepy")
    assert done.state == "succeeded" and (done.log_tail or "").startswith("(no log: ")
    (line,) = [r for r in caplog.records if r.getMessage().startswith("no log tail for Job")]
    assert line.levelname == "WARNING" and line.runId == str(done.id)  # type: ignore[attr-defined]
    assert done.runner_ref and done.runner_ref in line.getMessage()


async def test_a_failed_job_records_the_exit_code(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: Finish(3, "cannot write")
    done = await _run(kube, pool, "fail_a")
    assert done.state == "failed" and done.exit_code == 3
    assert "backoff limit" in (done.reason or "") and (done.log_tail or "") == "cannot write"


async def test_a_job_past_its_deadline_is_timed_out(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: Finish(deadline=True)
    done = await _run(kube, pool, "sleepy")
    assert done.state == "timed-out" and "deadline" in (done.reason or "")
    (body,) = double.bodies
    assert body["spec"]["activeDeadlineSeconds"] == 5 and body["spec"]["backoffLimit"] == 0


async def test_cancel_deletes_the_job_in_the_background(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: None  # stays active
    run, _ = await kube.start_transformer("chain_a", "manual")

    async def running() -> bool:
        return bool((await run_of(pool, run.id)).state == "running")

    await until(running, "the Job was created")
    assert (await kube.cancel(run.id)).state == "cancelled"
    assert double.jobs == {} and double.calls.get("delete:Background") == 1
    await kube.settled(run.id)
    assert (await run_of(pool, run.id)).state == "cancelled"


async def test_a_create_answered_409_is_the_run_already_started(
    kube_settings: Settings, double: KubeDouble
) -> None:
    runner = KubernetesRunner(kube_settings)
    code = TransformerCode(name="chain_a", workspace="ChainA", code_kind="python", module="m")
    spec = transformer_job(code, 77, kube_settings)
    try:
        assert await runner.launch(spec) == spec.name
        assert await runner.launch(spec) == spec.name  # 409: the same Job, not an error
        assert list(double.jobs) == [spec.name] and double.calls["create-job"] == 2
    finally:
        await runner.close()


async def test_server_errors_are_retried(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.faults += [
        Fault("create-job", 500, times=2),
        Fault("list-pods", 503),
        Fault("read-log", 500),
    ]
    double.rule = lambda job: Finish(0, "ok", killed=True)  # no termination message: the log
    done = await _run(kube, pool, "chain_a")
    assert done.state == "succeeded" and done.log_tail == "ok"
    assert [f.times for f in double.faults] == [0, 0, 0]  # each fault was met and retried
    assert double.bodies[0]["metadata"]["name"] == done.runner_ref


async def test_a_dropped_watch_is_resumed_without_losing_the_end(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: None
    double.drop_watch_after = 0  # the first watch ends before it says anything
    run, _ = await kube.start_transformer("chain_a", "manual")
    name = f"ecoplane-transformer-chain-a-{run.id}"

    async def resumed() -> bool:
        runner = kube.runner
        return (
            isinstance(runner, KubernetesRunner)
            and runner.watcher is not None
            and runner.watcher.resumes >= 2
        )

    await until(resumed, "the watch was resumed")
    assert _watcher(kube).lists == 1  # resumed from its resourceVersion, not listed again
    await double.finish(name, Finish(0, "finished after the drop"))
    await kube.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "succeeded" and done.log_tail == "finished after the drop"


async def test_a_410_gone_lists_again_and_keeps_the_end(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: None
    double.gone_once = True  # the first watch is answered 410 Gone
    run, _ = await kube.start_transformer("chain_a", "manual")
    name = f"ecoplane-transformer-chain-a-{run.id}"

    async def listed_again() -> bool:
        runner = kube.runner
        return (
            isinstance(runner, KubernetesRunner)
            and runner.watcher is not None
            and runner.watcher.lists >= 2
        )

    await until(listed_again, "the Jobs were listed again after 410")
    await double.finish(name, Finish(0, "after 410"))
    await kube.settled(run.id)
    assert (await run_of(pool, run.id)).state == "succeeded"


async def test_reconciliation_records_ended_jobs_and_loses_vanished_ones(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble, kube_settings: Settings
) -> None:
    double.rule = lambda job: None
    version = await pool.fetchval("SELECT id FROM model_versions WHERE state = 'active'")
    ended, vanished, active = [
        await pool.fetchval(
            "INSERT INTO runs (kind, target, version_id, trigger, state, runner_ref, started_at)"
            " VALUES ('transformer', $1, $2, 'manual', 'running', $3, now()) RETURNING id",
            target, version, f"ecoplane-transformer-{target.replace('_', '-')}-9{i}",
        )
        for i, target in enumerate(("chain_a", "fail_a", "sleepy"))
    ]  # fmt: skip
    runner = KubernetesRunner(kube_settings)  # another replica started these Jobs
    try:
        for i, target in ((0, "chain_a"), (2, "sleepy")):
            code = TransformerCode(name=target, workspace="W", code_kind="python", module="m")
            await runner.launch(transformer_job(code, int(f"9{i}"), kube_settings))
    finally:
        await runner.close()
    await double.finish("ecoplane-transformer-chain-a-90", Finish(0, "ended meanwhile"))
    assert sorted(await kube.reconcile()) == sorted([ended, vanished])
    assert (await run_of(pool, ended)).state == "succeeded"
    assert (await run_of(pool, ended)).log_tail == "ended meanwhile"
    lost = await run_of(pool, vanished)
    assert lost.state == "lost" and "no trace" in (lost.reason or "")
    assert (await run_of(pool, active)).state == "running"  # followed from now on
    await double.finish("ecoplane-transformer-sleepy-92", Finish(0, "done"))
    await kube.settled(active)
    assert (await run_of(pool, active)).state == "succeeded"


async def test_a_slow_create_is_retried_and_its_409_is_success(
    pool: asyncpg.Pool, kube_settings: Settings, double: KubeDouble
) -> None:
    settings = kube_settings.model_copy(update={"kubernetes_timeout_seconds": 0.3})
    service = with_run_subscribers(JobService(pool, settings, KubernetesRunner(settings)))
    double.faults.append(Fault("create-job", delay=3.0))  # created, answered too late
    double.rule = lambda job: Finish(0, "once")
    try:
        done = await _run(service, pool, "sleepy")  # no onInputChange after it
    finally:
        await service.close()
    assert done.state == "succeeded" and done.log_tail == "once"
    assert double.calls["create-job"] == 2 and list(double.jobs) == [done.runner_ref]


async def test_no_kubernetes_configuration_fails_the_run_saying_so(
    pool: asyncpg.Pool, kube_settings: Settings, tmp_path: Path
) -> None:
    settings = kube_settings.model_copy(update={"kubeconfig": tmp_path / "missing"})
    service = with_run_subscribers(JobService(pool, settings, KubernetesRunner(settings)))
    try:
        done = await _run(service, pool, "chain_a")
    finally:
        await service.close()
    assert done.state == "failed" and "no Kubernetes configuration" in (done.reason or "")


async def test_jobs_ending_together_each_get_their_own_pod(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: None  # they end when the test says
    ends = {
        "chain_a": Finish(2, "a broke"),
        "fail_a": Finish(3, "f broke"),
        "sleepy": Finish(0, "s"),
    }
    runs = {name: (await kube.start_transformer(name, "manual"))[0].id for name in ends}

    async def all_running() -> bool:
        states = [(await run_of(pool, i)).state for i in runs.values()]
        return states == ["running"] * len(runs)

    await until(all_running, "the Jobs were created")
    for name, end in ends.items():
        await double.finish(f"ecoplane-transformer-{name.replace('_', '-')}-{runs[name]}", end)
    for name, run_id in runs.items():
        await kube.settled(run_id)
        done = await run_of(pool, run_id)
        assert (done.exit_code, done.log_tail) == (ends[name].exit_code, ends[name].log)
    assert double.calls["list-pods"] <= len(ends)  # one list may serve several Jobs


async def test_a_transformer_without_its_secret_is_refused_and_no_job_created(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.secrets.clear()
    double.put_credentials(["chain_a"])  # the index lists chain_a only
    done = await _run(kube, pool, "sleepy")
    assert done.state == "failed" and done.reason == (
        "security sync has not created role dt_sleepy yet: no credentials for transformer sleepy"
        " in the kubernetes secret store"
    )
    assert done.exit_code is None and done.started_at is None
    assert double.jobs == {} and "create-job" not in double.calls


async def test_a_secret_created_since_the_index_was_read_is_found(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble, kube_settings: Settings
) -> None:
    double.secrets.clear()
    double.put_credentials(["chain_a"])
    double.rule = lambda job: Finish(0, "ok")
    assert (await _run(kube, pool, "sleepy")).state == "failed"  # index read, then a miss
    runner = kube.runner
    assert isinstance(runner, KubernetesRunner)
    assert (double.calls["get-secret"], runner.credentials.reads) == (2, 1)
    store = KubernetesSecretStore("ecoplane", kube_settings.kubeconfig)
    try:  # the security sync writes sleepy's credentials (and lists them in the index)
        await store.stage("sleepy", fake_credentials("sleepy"))
        await store.promote("sleepy")
    finally:
        await store.close()
    calls = double.calls["get-secret"]
    done = await _run(kube, pool, "sleepy")  # not in the index as read: read by itself
    assert done.state == "succeeded" and double.calls["get-secret"] == calls + 1
    again = await _run(kube, pool, "sleepy")
    assert again.state == "succeeded"
    assert double.calls["get-secret"] == calls + 1  # known since: no call per run
    assert double.problems == []


async def test_a_secret_without_the_password_key_is_no_credentials(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.secrets.clear()  # no index: a staged Secret, never promoted
    double.put_secret("ecoplane-dt-sleepy", {"PGPASSWORD_PENDING": "x"}, {MANAGED: "ecoplane"})
    done = await _run(kube, pool, "sleepy")
    assert done.state == "failed" and "no credentials for transformer sleepy" in (done.reason or "")
    assert double.jobs == {}


async def test_job_bodies_carry_every_credential_by_reference_only(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: Finish(0, "ok")
    done = await _run(kube, pool, "chain_a")
    (body,) = [b for b in double.bodies if b["metadata"]["name"] == done.runner_ref]
    env = {e["name"]: e for e in body["spec"]["template"]["spec"]["containers"][0]["env"]}
    for key in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
        assert env[key] == {
            "name": key,
            "valueFrom": {"secretKeyRef": {"name": "ecoplane-dt-chain-a", "key": key}},
        }
    recorded = json.dumps(done, default=str)
    for value in double.secret_values("ecoplane-dt-chain-a").values():
        if len(value) > 8:  # the password (and no host or port look-alike)
            assert value not in recorded and value not in json.dumps(body)


async def test_an_ingestion_runs_as_a_job_of_the_ingest_worker(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.rule = lambda job: Finish(0, '{"datastore": "Customers", "state": "succeeded"}')
    double.put_secret("ecoplane-source-crm-reader", {"user": "reader_q7", "password": "pw-crm-7"},
                      {MANAGED: "ecoplane"})  # fmt: skip
    refused, _ = await kube.start_ingestion("Customers", "manual")  # no di_ Secret yet
    await kube.settled(refused.id)
    missing = await run_of(pool, refused.id)
    assert missing.state == "failed" and "no credentials for the ingestion of datastore" in (
        missing.reason or ""
    )
    login = {k: f"di-{k}-value" for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")}
    double.put_secret("ecoplane-di-customers", login, {MANAGED: "ecoplane"})
    run, _ = await kube.start_ingestion("Customers", "manual")
    await kube.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "succeeded" and done.kind == "ingestion"
    assert done.runner_ref == f"ecoplane-ingestion-customers-{done.id}"
    (body,) = [b for b in double.bodies if b["metadata"]["name"] == done.runner_ref]
    # schema-valid, no secret value; public ones may be met ('warehouse' in key warehouse-url)
    public = tuple(f"/{key} is in a Job body" for key in PUBLIC)
    assert [problem for problem in double.problems if not problem.endswith(public)] == []
    container = body["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-5:] == ["--", "python", "-m", "workers.ingest", "Customers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "ecoplane-di-customers"
    assert "ECOPLANE_WAREHOUSE_URL" not in env  # never the admin's warehouse URL
    assert env["ECOPLANE_SOURCE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "ecoplane-source-crm-reader",
        "key": "password",
    }


async def test_an_ingestion_without_its_source_login_secret_makes_no_job(
    kube: JobService, pool: asyncpg.Pool, double: KubeDouble
) -> None:
    double.put_secret("ecoplane-source-crm-reader", {"user": "crm"}, {MANAGED: "ecoplane"})
    login = {k: f"di-{k}-value" for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")}
    double.put_secret("ecoplane-di-customers", login, {MANAGED: "ecoplane"})  # its own role's
    run, _ = await kube.start_ingestion("Customers", "manual")
    await kube.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "failed" and double.jobs == {}
    assert done.reason == (
        "no source login for credential 'crm_reader' in the kubernetes secret store: set it with"
        " `ecoplane credential set crm_reader --user USER --password-file FILE` (the Kubernetes"
        " runner reads source logins from Secrets in its namespace: run it with"
        " ECOPLANE_SECRET_STORE=kubernetes, not local)"
    )  # these settings keep the local store: the command would not write the Secret
