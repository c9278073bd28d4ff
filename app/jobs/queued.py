"""A transformer run queued in one statement with the code it will run (no idempotency key).

A start asked without a key reads the active version's code and inserts the queued run in the
same statement: one round trip instead of two. The run's kind is `transformer_kind` written in
SQL (a test holds the two together); a start with a key goes the two-statement way, since the
key is looked up by kind.
"""

from __future__ import annotations

import asyncpg

from app.db.run_table import RunKind
from app.errors import NoActiveModelError, NotFoundError
from app.jobs.model import CODE_FIELDS, active_transformer_code, code_of
from app.jobs.runs import FIELDS, Run, active_conflict
from app.jobs.spec import TransformerCode, transformer_kind

RUN_COLUMNS = [field.strip() for field in FIELDS.split(",")]
KIND = (
    f"CASE WHEN code_kind = 'builtin' THEN coalesce(builtin_code, '{RunKind.TRANSFORMER}')"
    f" ELSE '{RunKind.TRANSFORMER}' END"
)
QUEUE = (
    "WITH code AS (SELECT v.id AS active_version, t.* FROM model_versions v"
    " LEFT JOIN model_transformers t ON t.version_id = v.id AND t.name = $1"
    " WHERE v.state = 'active'),"
    " made AS (INSERT INTO runs (kind, target, version_id, trigger, state, requested_by)"
    f" SELECT {KIND}, name, active_version, $2, 'queued', $3 FROM code WHERE name IS NOT NULL"
    f" RETURNING {FIELDS})"
    f" SELECT code.active_version, {', '.join(f'code.{c.strip()}' for c in CODE_FIELDS.split(','))},"
    f" {', '.join(f'made.{c}' for c in RUN_COLUMNS)} FROM code LEFT JOIN made ON true"
)


async def queue_transformer_run(
    connection: asyncpg.Connection, name: str, trigger: str, requested_by: str | None
) -> tuple[Run, TransformerCode]:
    """A queued run of the active version's transformer, and its code.

    Raises NoActiveModelError, NotFoundError, or ConflictError naming the active run.
    """
    try:
        row = await connection.fetchrow(QUEUE, name, trigger, requested_by)
    except asyncpg.UniqueViolationError as error:  # the target has an active run
        _, code = await active_transformer_code(connection, name)
        raise await active_conflict(connection, transformer_kind(code), name) from error
    if row is None:
        raise NoActiveModelError("no model version is active yet: load one first")
    if row["name"] is None:
        raise NotFoundError(
            f"transformer {name!r} does not exist in model version {row['active_version']}"
        )
    return Run.from_row({column: row[column] for column in RUN_COLUMNS}), code_of(row)
