"""Runs moved together by one statement: each gets its own move, a run ended stays ended."""

from __future__ import annotations

import asyncpg

from app.db.run_table import RunKind, RunState
from app.jobs.pooled import acquire
from app.jobs.runners.base import Outcome
from app.jobs.runs import (
    RunRequest,
    cancel_run,
    create_run,
    finish_runs,
    mark_many_running,
    set_references,
)
from tests.jobs.conftest import run_of


async def test_runs_move_together_and_a_cancelled_one_is_left_alone(pool: asyncpg.Pool) -> None:
    async with acquire(pool) as connection:
        ids = [
            (await create_run(connection, RunRequest(RunKind.TRANSFORMER, name, "manual")))[0].id
            for name in ("chain_a", "fail_a", "sleepy")
        ]
        a, b, c = ids
        await cancel_run(connection, c)
        refs = [(i, f"job-{i}") for i in ids]
        assert await set_references(connection, refs) == {a, b}
        assert await mark_many_running(connection, [(i, f"job-{i}", 2) for i in ids]) == {a, b}
        ended = await finish_runs(
            connection,
            [
                (a, Outcome(RunState.SUCCEEDED, 0, None, "a done", 1)),
                (b, Outcome(RunState.FAILED, 3, "broke", None, 2)),
                (c, Outcome(RunState.SUCCEEDED, 0)),
                (a, Outcome(RunState.LOST, reason="a second end of the same run")),
            ],
        )
    assert sorted(ended) == [a, b]
    first, second, cancelled = [await run_of(pool, i) for i in ids]
    assert (first.state, first.exit_code, first.log_tail) == ("succeeded", 0, "a done")
    assert (second.state, second.exit_code, second.reason) == ("failed", 3, "broke")
    assert first.runner_ref == f"job-{a}" and second.attempts == 2
    assert first.started_at is not None and first.finished_at is not None
    assert cancelled.state == "cancelled" and cancelled.runner_ref is None
    assert ended[a].state == "succeeded" and ended[b].log_tail is None
