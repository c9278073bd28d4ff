"""Reading workspaces (dataset groups, sinks) and transformers of a version, with the API's filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from app.catalog.json_sql import fetch_json, json_object
from app.errors import NotFoundError

WORKSPACE_FIELDS = (
    "w.name, w.zone, w.team, w.description, w.production_status, w.priority, w.transformer,"
    " coalesce(w.labels, '{}') AS labels, w.builtin"
)
TRANSFORMER_FIELDS = (
    "t.name, t.workspace, w.zone, w.team, t.description, t.trigger_kind, t.trigger_cron,"
    " t.code_kind, t.output_datastore, t.builtin"
)
TRANSFORMER_DETAIL_FIELDS = (
    f"{TRANSFORMER_FIELDS}, t.image, t.module, t.builtin_code, t.cpu, t.memory,"
    " t.timeout_seconds, t.retries"
)


@dataclass(frozen=True, slots=True)
class WorkspaceFilter:
    """The filters of GET /workspaces; None means no filter."""

    zone: str | None = None
    team: str | None = None
    production_status: str | None = None
    priority: str | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class TransformerFilter:
    """The filters of GET /transformers (zone and team are its workspace's); None means no filter."""

    zone: str | None = None
    team: str | None = None
    trigger_kind: str | None = None


async def list_workspaces(
    connection: asyncpg.Connection,
    version_id: int,
    where: WorkspaceFilter,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Workspaces by name after a name, with counts of dataset groups and sinks (limit+1 rows)."""
    rows = await connection.fetch(
        f"SELECT {WORKSPACE_FIELDS},"
        " (SELECT count(*) FROM model_dataset_groups g WHERE g.version_id = $1"
        "   AND g.workspace = w.name) AS dataset_groups,"
        " (SELECT count(*) FROM model_sinks s WHERE s.version_id = $1 AND s.workspace = w.name) AS sinks"
        " FROM model_workspaces w WHERE w.version_id = $1"
        " AND ($2::text IS NULL OR w.zone = $2) AND ($3::text IS NULL OR w.team = $3)"
        " AND ($4::text IS NULL OR w.production_status = $4) AND ($5::text IS NULL OR w.priority = $5)"
        " AND ($6::text IS NULL OR strpos(lower(w.name), lower($6)) > 0"
        "   OR strpos(lower(coalesce(w.description, '')), lower($6)) > 0)"
        " AND ($7::text IS NULL OR w.name > $7) ORDER BY w.name LIMIT $8",
        version_id, where.zone, where.team, where.production_status, where.priority, where.q,
        after, limit + 1,
    )  # fmt: skip
    return [dict(row) for row in rows]


SINK_JSON = json_object("s", ("datastore", "dataset", "columns", "allow_deprecated", "history"))
GROUP_JSON = json_object(
    "g",
    ("name",),
    platform="CASE WHEN g.platform IS NOT NULL"
    " THEN json_build_object('name', g.platform, 'status', g.platform_status) END",
    requirements="CASE WHEN g.platform IS NULL"
    " THEN json_build_object('retention', g.required_retention, 'latency', g.required_latency) END",
    sinks=f"coalesce((SELECT json_agg({SINK_JSON} ORDER BY s.ordinal) FROM model_sinks s"
    " WHERE s.version_id = $1 AND s.workspace = g.workspace AND s.dataset_group = g.name), '[]')",
)
# a workspace with its dataset groups and their sinks: one query, the JSON of the answer
WORKSPACE_DETAIL = (
    "SELECT "
    + json_object(
        "w",
        ("name", "zone", "team", "description", "production_status", "priority", "transformer"),
        labels="coalesce(w.labels, '{}')",
        builtin="w.builtin",
        dataset_groups=f"coalesce((SELECT json_agg({GROUP_JSON} ORDER BY g.name)"
        " FROM model_dataset_groups g WHERE g.version_id = $1 AND g.workspace = w.name), '[]')",
    )
    + "::text FROM model_workspaces w WHERE w.version_id = $1 AND w.name = $2"
)


# a transformer with its workspace's zone and team, resources and limits: the JSON of the API's
# answer (without its latest run, which the jobs hold), of `model_transformers t` joined to `w`
TRANSFORMER_JSON = json_object(
    "t", ("name", "workspace"), zone="w.zone", team="w.team", description="t.description",
    trigger_kind="t.trigger_kind", trigger_cron="t.trigger_cron", code_kind="t.code_kind",
    output_datastore="t.output_datastore", builtin="t.builtin", image="t.image",
    module="t.module", builtin_code="t.builtin_code",
    resources="json_build_object('cpu', t.cpu, 'memory', t.memory)",
    timeout_seconds="t.timeout_seconds", retries="t.retries",
)  # fmt: skip
TRANSFORMER_FROM = (
    "model_transformers t JOIN model_workspaces w ON w.version_id = $1 AND w.name = t.workspace"
)


def transformer_detail(beside: str, joined: str) -> str:
    """The query of a transformer's JSON (`found`, $1 the version, $2 the name) with the
    columns `beside` of a lateral subquery `joined` (of `t`), or nulls without its row."""
    return (
        f"SELECT {TRANSFORMER_JSON}::text AS found, {beside} FROM {TRANSFORMER_FROM}"
        f" LEFT JOIN LATERAL ({joined}) r ON true WHERE t.version_id = $1 AND t.name = $2"
    )


async def get_workspace(connection: asyncpg.Connection, version_id: int, name: str) -> str:
    """The JSON of a workspace with its dataset groups (platform or requirements) and sinks."""
    return await fetch_json(
        connection, WORKSPACE_DETAIL, version_id, name,
        missing=f"workspace {name!r} does not exist in model version {version_id}",
    )  # fmt: skip


async def list_transformers(
    connection: asyncpg.Connection,
    version_id: int,
    where: TransformerFilter,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Transformers by name after a name, with their workspace's zone and team (limit+1 rows)."""
    rows = await connection.fetch(
        f"SELECT {TRANSFORMER_FIELDS} FROM model_transformers t"
        " JOIN model_workspaces w ON w.version_id = $1 AND w.name = t.workspace"
        " WHERE t.version_id = $1 AND ($2::text IS NULL OR w.zone = $2)"
        " AND ($3::text IS NULL OR w.team = $3) AND ($4::text IS NULL OR t.trigger_kind = $4)"
        " AND ($5::text IS NULL OR t.name > $5) ORDER BY t.name LIMIT $6",
        version_id, where.zone, where.team, where.trigger_kind, after, limit + 1,
    )  # fmt: skip
    return [dict(row) for row in rows]


async def get_transformer(
    connection: asyncpg.Connection, version_id: int, name: str
) -> dict[str, Any]:
    """A transformer with its code, trigger, resources, limits and output datastore."""
    row = await connection.fetchrow(
        f"SELECT {TRANSFORMER_DETAIL_FIELDS} FROM model_transformers t"
        " JOIN model_workspaces w ON w.version_id = $1 AND w.name = t.workspace"
        " WHERE t.version_id = $1 AND t.name = $2",
        version_id, name,
    )  # fmt: skip
    if row is None:
        raise NotFoundError(f"transformer {name!r} does not exist in model version {version_id}")
    found = dict(row)
    found["resources"] = {"cpu": found.pop("cpu"), "memory": found.pop("memory")}
    return found
