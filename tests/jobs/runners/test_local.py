"""The local runner through the job service: a real Python module succeeds, fails, times out, is cancelled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path

import asyncpg
import pytest

from app.errors import ConflictError, NotFoundError
from app.jobs.log_tail import LINE_CHARS
from app.jobs.runners.base import RunRefusedError
from app.jobs.runners.child_output import read_tail
from app.jobs.runners.local import LocalRunner, _missing
from app.jobs.service import JobService
from app.jobs.spec import TransformerCode, transformer_job
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings
from tests.jobs.conftest import run_of, until


async def test_a_python_transformer_runs_with_the_contract_environment(
    service: JobService, pool: asyncpg.Pool
) -> None:
    run, created = await service.start_transformer("chain_a", "manual", requested_by="test")
    assert created and run.state == "queued"
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "succeeded" and done.exit_code == 0
    assert (done.runner_ref or "").startswith("local:") and done.attempts == 1
    assert done.started_at is not None and done.finished_at is not None
    lines = (done.log_tail or "").splitlines()
    assert f"ECOPLANE_RUN_ID={run.id}" in lines
    assert "ECOPLANE_TRANSFORMER=chain_a" in lines and "ECOPLANE_WORKSPACE=ChainA" in lines
    assert "ECOPLANE_INPUT_SCHEMA=ws_chaina" in lines
    assert "ECOPLANE_OUTPUT_SCHEMA=out_chain_a" in lines
    assert lines[-1] == "done"


async def test_a_failing_transformer_records_its_exit_status_and_output(
    service: JobService, pool: asyncpg.Pool
) -> None:
    run, _ = await service.start_transformer("fail_a", "manual")
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "failed" and done.exit_code == 3
    assert done.reason == "exited with status 3"
    assert (done.log_tail or "").splitlines() == [
        "reading the workspace",
        "cannot write the output: out of luck",
    ]


async def test_a_run_past_its_timeout_is_killed_with_its_children(
    service: JobService, pool: asyncpg.Pool
) -> None:
    run, _ = await service.start_transformer("sleepy", "manual")
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "timed-out" and done.exit_code == -9
    assert "timeout of 5 s" in (done.reason or "") and (done.log_tail or "") == "started"


async def test_cancel_kills_the_process_group(service: JobService, pool: asyncpg.Pool) -> None:
    run, _ = await service.start_transformer("sleepy", "manual")

    async def running() -> bool:
        return bool((await run_of(pool, run.id)).state == "running")

    await until(running, "the run started")
    cancelled = await service.cancel(run.id)
    assert cancelled.state == "cancelled"
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "cancelled" and done.reason == "cancelled on request"
    with pytest.raises(ConflictError, match="already ended: it is cancelled"):
        await service.cancel(run.id)


async def test_one_active_run_per_transformer_and_the_idempotency_key(
    service: JobService, pool: asyncpg.Pool
) -> None:
    first, created = await service.start_transformer("sleepy", "manual", key="k1")
    again, created_again = await service.start_transformer("sleepy", "manual", key="k1")
    assert created and not created_again and again.id == first.id
    with pytest.raises(ConflictError, match=f"run {first.id} is"):
        await service.start_transformer("sleepy", "manual")
    await service.cancel(first.id)
    await service.settled(first.id)
    second, created = await service.start_transformer("sleepy", "manual")
    assert created and second.id != first.id
    await service.cancel(second.id)


async def test_an_unknown_transformer_is_not_found(service: JobService) -> None:
    with pytest.raises(NotFoundError, match="'nope' does not exist"):
        await service.start_transformer("nope", "manual")


async def test_container_code_is_refused_locally_with_the_reason(
    service: JobService, pool: asyncpg.Pool
) -> None:
    run, _ = await service.start_transformer("MaskCustomers", "manual")
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "failed" and done.exit_code is None
    assert "ECOPLANE_LOCAL_CONTAINER_COMMANDS=true" in (done.reason or "")


async def test_input_change_runs_after_success_and_not_after_failure(
    service: JobService, pool: asyncpg.Pool
) -> None:
    run, _ = await service.start_transformer("chain_a", "manual")
    await service.settled(run.id)
    failed, _ = await service.start_transformer("fail_a", "manual")
    await service.settled(failed.id)

    async def chained() -> list[asyncpg.Record]:
        return await pool.fetch(
            "SELECT * FROM runs WHERE target = 'chain_b' AND state = 'succeeded'"
        )

    (after,) = await until(chained, "chain_b ran after chain_a")
    assert after["trigger"] == "input-change" and after["idempotency_key"] == f"after-run-{run.id}"
    assert after["requested_by"] == f"run {run.id}"
    assert await pool.fetchval("SELECT count(*) FROM runs WHERE target = 'after_fail'") == 0


async def test_reconciliation_loses_runs_whose_process_is_gone(
    service: JobService, pool: asyncpg.Pool
) -> None:
    insert = (
        "INSERT INTO runs (kind, target, trigger, state, created_at)"
        " VALUES ('transformer', $1, 'manual', $2, now() - make_interval(secs => $3)) RETURNING id"
    )
    gone = await pool.fetchval(insert, "chain_a", "running", 1.0)
    alive = await pool.fetchval(insert, "fail_a", "running", 1.0)
    reused = await pool.fetchval(insert, "after_fail", "running", 1.0)
    unstarted = await pool.fetchval(insert, "sleepy", "queued", 600.0)
    fresh = await pool.fetchval(insert, "chain_b", "queued", 1.0)
    # a child another process started for `alive` (the environment names its run)
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"],
        env={**os.environ, "ECOPLANE_RUN_ID": str(alive)},
        start_new_session=True,
    )
    references = {
        gone: "local:999999999:1",
        alive: f"local:{child.pid}:{alive}",
        reused: f"local:{os.getpid()}:{reused}",  # a pid now used by something else: not ours
    }
    for run_id, reference in references.items():
        await pool.execute("UPDATE runs SET runner_ref = $2 WHERE id = $1", run_id, reference)
    try:
        assert sorted(await service.reconcile()) == sorted([gone, reused, unstarted])
        assert (await run_of(pool, gone)).state == "lost"
        assert "no trace of local:999999999:1" in ((await run_of(pool, gone)).reason or "")
        assert (await run_of(pool, reused)).state == "lost"
        assert (await run_of(pool, unstarted)).reason == "it was never started"
        assert (await run_of(pool, alive)).state == "running"
        assert (await run_of(pool, fresh)).state == "queued"
        await service.cancel(alive)  # another process's child, recognised: its group is killed
        assert await asyncio.to_thread(child.wait, 60) == -signal.SIGKILL
    finally:
        child.kill()
        child.wait()


async def test_the_model_export_without_its_model_url_fails_with_the_reason(
    service: JobService, pool: asyncpg.Pool
) -> None:
    run, _ = await service.start_transformer("externalize_model", "manual")
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.kind == "externalize-model" and done.state == "failed"
    assert done.exit_code == 2  # no secret ecoplane-dashboard in the data directory
    assert "ECOPLANE_MODEL_DATABASE_URL is not set" in (done.log_tail or "")


def test_a_module_whose_package_is_not_there_is_refused(settings: Settings) -> None:
    code = TransformerCode(name="t", workspace="W", code_kind="python", module="nosuch_pkg.run")
    with pytest.raises(RunRefusedError, match="no Python package 'nosuch_pkg' here"):
        LocalRunner(settings, run_secrets(settings)).argv(transformer_job(code, 1, settings))


def test_installed_packages_are_found_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` may start anywhere: the service's own workers come from the installed package
    (an editable install is found by its import hook, not on sys.path)."""

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p and Path(p).resolve() != root])
    assert not _missing("workers.security_sync")
    assert _missing("nosuch_pkg.worker")


LONG_LINE = "import sys; sys.stdout.write('pw hunter2 ' + 'x' * 300000 + '\\nafter\\n')"


async def _tail_of(code: str, lines: int) -> list[str]:
    """What the local runner's reader keeps of a real child's output (bounded: never blocked)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    tail: deque[str] = deque(maxlen=lines)
    await asyncio.wait_for(asyncio.gather(read_tail(child, tail, ("hunter2",)), child.wait()), 60)
    assert child.returncode == 0
    return list(tail)


async def test_a_line_longer_than_the_pipe_buffer_keeps_its_start_and_never_blocks_the_child() -> (
    None
):
    # ~300 KB on one line (asyncio's reader refused it and stopped: the child then blocked on
    # a full pipe until its timeout), then more than a pipe holds, then a line without newline
    more = "; [print(i) for i in range(50000)]; sys.stdout.write('last, no newline')"
    assert await _tail_of(LONG_LINE + more, 3) == ["49998", "49999", "last, no newline"]
    start = "pw *** " + "x" * (LINE_CHARS - len("pw *** "))
    assert await _tail_of(LONG_LINE, 3) == [start, "after"]  # the rest of the line: dropped
