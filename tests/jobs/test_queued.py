"""A run queued with its code in one statement: the kind SQL writes is transformer_kind's."""

from __future__ import annotations

import asyncpg
import pytest

from app.db.run_table import RunKind
from app.ecosystem.builtins import BUILTIN_CODES
from app.errors import ConflictError
from app.jobs.pooled import acquire
from app.jobs.queued import KIND, queue_transformer_run
from app.jobs.spec import TransformerCode, transformer_kind

CASES = [("python", None), ("container", None), ("builtin", "externalize-model"), ("builtin", None)]


@pytest.mark.parametrize(("code_kind", "builtin_code"), CASES)
async def test_the_kind_in_sql_is_the_kind_in_python(
    pool: asyncpg.Pool, code_kind: str, builtin_code: str | None
) -> None:
    code = TransformerCode("t", "W", code_kind, builtin_code=builtin_code)
    in_sql = await pool.fetchval(
        f"SELECT {KIND} FROM (VALUES ($1::text, $2::text)) AS t(code_kind, builtin_code)",
        code_kind, builtin_code,
    )  # fmt: skip
    assert in_sql == transformer_kind(code)


async def test_a_queued_run_comes_with_its_code_and_a_second_is_refused(
    pool: asyncpg.Pool,
) -> None:
    async with acquire(pool) as connection:
        run, code = await queue_transformer_run(connection, "chain_a", "manual", "ops")
        assert (run.kind, run.target, run.state) == ("transformer", "chain_a", "queued")
        assert (run.trigger, run.requested_by, run.runner_ref) == ("manual", "ops", None)
        assert code.name == "chain_a" and code.workspace == "ChainA" and code.code_kind == "python"
        with pytest.raises(ConflictError, match=f"run {run.id} is queued"):
            await queue_transformer_run(connection, "chain_a", "manual", None)


@pytest.mark.parametrize("builtin", sorted(BUILTIN_CODES))
def test_every_builtin_the_model_admits_is_a_run_kind(builtin: str) -> None:
    code = TransformerCode("t", "W", "builtin", builtin_code=builtin)
    assert transformer_kind(code) == RunKind(builtin)
