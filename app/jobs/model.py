"""What the jobs read of a stored model version: transformers' code, triggers and dependents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.errors import AppError, NoActiveModelError, NotFoundError
from app.jobs.spec import TransformerCode

CODE_FIELDS = (
    "name, workspace, code_kind, image, command, args, env, module, builtin_code, cpu, memory,"
    " timeout_seconds, retries"
)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A transformer's trigger: kind (cron, on-input-change, on-model-change, external) and cron."""

    transformer: str
    kind: str
    cron: str | None
    builtin_code: str | None = None


def code_of(row: asyncpg.Record) -> TransformerCode:
    """How to run a transformer, from a row with CODE_FIELDS."""
    env: Any = row["env"]
    if isinstance(env, str):  # a connection without the jsonb codec
        env = json.loads(env)
    return TransformerCode(
        name=row["name"],
        workspace=row["workspace"],
        code_kind=row["code_kind"],
        image=row["image"],
        command=tuple(row["command"] or ()),
        args=tuple(row["args"] or ()),
        env={str(k): str(v) for k, v in (env or {}).items()},
        module=row["module"],
        builtin_code=row["builtin_code"],
        cpu=row["cpu"],
        memory=row["memory"],
        timeout_seconds=row["timeout_seconds"],
        retries=row["retries"],
    )


async def transformer_code(
    connection: asyncpg.Connection, version_id: int, name: str
) -> TransformerCode:
    """How to run a transformer of a version; NotFoundError when it has none by that name."""
    row = await connection.fetchrow(
        f"SELECT {CODE_FIELDS} FROM model_transformers WHERE version_id = $1 AND name = $2",
        version_id, name,
    )  # fmt: skip
    if row is None:
        raise NotFoundError(f"transformer {name!r} does not exist in model version {version_id}")
    return code_of(row)


async def active_transformer_code(
    connection: asyncpg.Connection, name: str
) -> tuple[int, TransformerCode]:
    """The active version and how to run its transformer (one query); NotFound or NoActiveModel."""
    row = await connection.fetchrow(
        f"SELECT v.id AS version_id, {CODE_FIELDS} FROM model_versions v"
        " LEFT JOIN model_transformers t ON t.version_id = v.id AND t.name = $1"
        " WHERE v.state = 'active'",
        name,
    )
    if row is None:
        raise NoActiveModelError("no model version is active yet: load one first")
    if row["name"] is None:
        raise NotFoundError(
            f"transformer {name!r} does not exist in model version {row['version_id']}"
        )
    return int(row["version_id"]), code_of(row)


async def schedules(connection: asyncpg.Connection, version_id: int) -> list[Schedule]:
    """The trigger of every transformer of a version, by name."""
    rows = await connection.fetch(
        "SELECT name, trigger_kind, trigger_cron, builtin_code FROM model_transformers"
        " WHERE version_id = $1 ORDER BY name",
        version_id,
    )
    return [
        Schedule(r["name"], r["trigger_kind"], r["trigger_cron"], r["builtin_code"]) for r in rows
    ]


async def input_change_chains(
    connection: asyncpg.Connection, version_id: int
) -> dict[str, list[str]]:
    """Per transformer of a version, the onInputChange transformers that read its output."""
    rows = await connection.fetch(
        "SELECT DISTINCT t.name AS upstream, d.name AS downstream FROM model_transformers t"
        " JOIN model_sinks s ON s.version_id = $1 AND s.datastore = t.output_datastore"
        " JOIN model_transformers d ON d.version_id = $1 AND d.workspace = s.workspace"
        " WHERE t.version_id = $1 AND d.trigger_kind = 'on-input-change' AND d.name <> t.name"
        " ORDER BY 1, 2",
        version_id,
    )
    chains: dict[str, list[str]] = {}
    for row in rows:
        chains.setdefault(row["upstream"], []).append(row["downstream"])
    return chains


RUN_KINDS = ("sql-snapshot", "sql-watermark")  # the ingestion kinds ecoplane runs


class NotIngestedError(AppError):
    """The datastore's ingestion is not one ecoplane runs (cdc, kafka, external, or none)."""

    status = 422
    type = "ingestion-not-run"


@dataclass(frozen=True, slots=True)
class IngestionCode:
    """What the model says about running a datastore's ingestion."""

    datastore: str
    kind: str
    credential: str | None


async def ingestion_credential(
    connection: asyncpg.Connection, version_id: int, name: str
) -> str | None:
    """The source login a version's datastore names (`ingestion.credential`), if any."""
    found: str | None = await connection.fetchval(
        "SELECT ingestion_credential FROM model_datastores WHERE version_id = $1 AND name = $2",
        version_id,
        name,
    )
    return found


async def active_ingestion(connection: asyncpg.Connection, name: str) -> tuple[int, IngestionCode]:
    """The active version and its datastore's ingestion; NotFound, NoActiveModel, NotIngested."""
    row = await connection.fetchrow(
        "SELECT v.id AS version_id, d.name, d.ingestion_kind, d.ingestion_credential"
        " FROM model_versions v LEFT JOIN model_datastores d"
        " ON d.version_id = v.id AND d.name = $1 WHERE v.state = 'active'",
        name,
    )
    if row is None:
        raise NoActiveModelError("no model version is active yet: load one first")
    version = int(row["version_id"])
    if row["name"] is None:
        raise NotFoundError(f"datastore {name!r} does not exist in model version {version}")
    kind = row["ingestion_kind"]
    if kind is None:
        raise NotIngestedError(
            f"datastore {name!r} is not ingested: a transformer writes it (no ingestion.kind)"
        )
    if kind not in RUN_KINDS:
        raise NotIngestedError(
            f"datastore {name!r} is ingested by {kind}: ecoplane runs only"
            f" {' and '.join(RUN_KINDS)} ingestion, not {kind} (declared and validated only)"
        )
    return version, IngestionCode(name, kind, row["ingestion_credential"])


async def ingestion_schedules(
    connection: asyncpg.Connection, version_id: int
) -> list[tuple[str, str]]:
    """The datastores of a version whose ingestion runs on a cron trigger: (name, cron)."""
    rows = await connection.fetch(
        "SELECT name, trigger_cron FROM model_datastores WHERE version_id = $1"
        " AND trigger_kind = 'cron' AND trigger_cron IS NOT NULL"
        " AND ingestion_kind = ANY($2::text[]) ORDER BY name",
        version_id,
        list(RUN_KINDS),
    )
    return [(r["name"], r["trigger_cron"]) for r in rows]


async def input_change_readers(
    connection: asyncpg.Connection, version_id: int, datastore: str
) -> list[str]:
    """The onInputChange transformers of a version whose workspace reads the datastore."""
    rows = await connection.fetch(
        "SELECT DISTINCT d.name FROM model_sinks s JOIN model_transformers d"
        " ON d.version_id = s.version_id AND d.workspace = s.workspace"
        " WHERE s.version_id = $1 AND s.datastore = $2 AND d.trigger_kind = 'on-input-change'"
        " ORDER BY 1",
        version_id,
        datastore,
    )
    return [r["name"] for r in rows]
