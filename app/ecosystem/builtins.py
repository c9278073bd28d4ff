"""What every loaded ecosystem gets: the ecoplane zone, the model datastore and its export."""

from __future__ import annotations

from typing import Any

BUILTIN_ZONE = "ecoplane"
BUILTIN_TEAM = "platform"
MODEL_DATASTORE = "ecoplane_model"
EXPORT_WORKSPACE = "ecoplane_model_export"
EXPORT_TRANSFORMER = "externalize_model"
BUILTIN_CODES = frozenset({"externalize-model"})

# The externalized model tables: name -> columns (name, type, primary key, nullable).
# The catalog writes these tables; the builtin datastore `ecoplane_model` exports them.
Column = tuple[str, str, bool, bool]
_TEXT_ARRAY = "array<text>"


def _pk(name: str, type_: str = "text") -> Column:
    return (name, type_, True, False)


def _col(name: str, type_: str = "text", nullable: bool = True) -> Column:
    return (name, type_, False, nullable)


MODEL_TABLES: dict[str, tuple[Column, ...]] = {
    "ecosystems": (_pk("name"), _col("description"), _col("classifications", _TEXT_ARRAY)),
    "vendors": (_pk("name"), _col("cloud", nullable=False), _col("description")),
    "locations": (
        _pk("vendor"),
        _pk("path"),
        _col("name", nullable=False),
        _col("parent_path"),
        _col("description"),
    ),
    "platform_providers": (_pk("name"), _col("description")),
    "data_platforms": (
        _pk("name"),
        _col("provider", nullable=False),
        _col("retention", nullable=False),
        _col("latency", nullable=False),
        _col("description"),
    ),
    "zones": (
        _pk("name"),
        _col("description"),
        _col("owners", _TEXT_ARRAY),
        _col("deny_classifications", _TEXT_ARRAY),
        _col("storage_vendors", _TEXT_ARRAY),
        _col("storage_locations", _TEXT_ARRAY),
        _col("builtin", "boolean", nullable=False),
    ),
    "teams": (
        _pk("zone"),
        _pk("name"),
        _col("description"),
        _col("owners", _TEXT_ARRAY),
        _col("builtin", "boolean", nullable=False),
    ),
    "datastores": (
        _pk("name"),
        _col("zone", nullable=False),
        _col("team", nullable=False),
        _col("description"),
        _col("production_status", nullable=False),
        _col("deprecated", "boolean", nullable=False),
        _col("deprecation_reason"),
        _col("ingestion_kind"),
        _col("trigger_kind"),
        _col("trigger_cron"),
        _col("approval_required", "boolean", nullable=False),
        _col("producer"),
        _col("labels", "json"),
        _col("builtin", "boolean", nullable=False),
    ),
    "datasets": (
        _pk("datastore"),
        _pk("name"),
        _col("description"),
        _col("classification", _TEXT_ARRAY),
        _col("deprecated", "boolean", nullable=False),
        _col("deprecation_reason"),
        _col("primary_key", _TEXT_ARRAY),
    ),
    "columns": (
        _pk("datastore"),
        _pk("dataset"),
        _pk("name"),
        _col("ordinal", "integer", nullable=False),
        _col("type", nullable=False),
        _col("nullable", "boolean", nullable=False),
        _col("primary_key", "boolean", nullable=False),
        _col("classification", _TEXT_ARRAY),
        _col("description"),
    ),
    "approvals": (_pk("datastore"), _pk("workspace"), _pk("dataset_group"), _pk("dataset")),
    "workspaces": (
        _pk("name"),
        _col("zone", nullable=False),
        _col("team", nullable=False),
        _col("description"),
        _col("production_status", nullable=False),
        _col("priority", nullable=False),
        _col("transformer"),
        _col("labels", "json"),
        _col("builtin", "boolean", nullable=False),
    ),
    "dataset_groups": (
        _pk("workspace"),
        _pk("name"),
        _col("platform"),
        _col("platform_status"),
        _col("required_retention"),
        _col("required_latency"),
    ),
    "sinks": (
        _pk("workspace"),
        _pk("dataset_group"),
        _pk("ordinal", "integer"),
        _col("datastore", nullable=False),
        _col("dataset", nullable=False),
        _col("columns", _TEXT_ARRAY),
        _col("allow_deprecated", "boolean", nullable=False),
    ),
    "transformers": (
        _pk("name"),
        _col("workspace", nullable=False),
        _col("description"),
        _col("trigger_kind", nullable=False),
        _col("trigger_cron"),
        _col("code_kind", nullable=False),
        _col("image"),
        _col("module"),
        _col("builtin_code"),
        _col("cpu"),
        _col("memory"),
        _col("timeout_seconds", "integer", nullable=False),
        _col("retries", "integer", nullable=False),
        _col("output_datastore", nullable=False),
        _col("builtin", "boolean", nullable=False),
    ),
    "problems": (
        _pk("ordinal", "integer"),
        _col("severity", nullable=False),
        _col("code", nullable=False),
        _col("message", nullable=False),
        _col("file", nullable=False),
        _col("line", "integer"),
        _col("column_number", "integer"),
        _col("path"),
    ),
}


def _dataset(table: str, columns: tuple[Column, ...]) -> dict[str, Any]:
    return {
        "name": table,
        "description": f"the {table.replace('_', ' ')} of the active model version",
        "columns": [
            {"name": n, "type": t, "primaryKey": pk, "nullable": nullable}
            for n, t, pk, nullable in columns
        ],
    }


def builtin_documents() -> list[dict[str, Any]]:
    """The builtin documents, written as a user would write them in YAML."""
    api = "ecoplane.io/v1"
    description = "the ecosystem model itself, exported by ecoplane"
    return [
        {
            "apiVersion": api,
            "kind": "GovernanceZone",
            "metadata": {"name": BUILTIN_ZONE, "description": "ecoplane's own zone"},
            "spec": {"teams": [{"name": BUILTIN_TEAM}]},
        },
        {
            "apiVersion": api,
            "kind": "Team",
            "metadata": {"name": BUILTIN_TEAM, "zone": BUILTIN_ZONE},
        },
        {
            "apiVersion": api,
            "kind": "Workspace",
            "metadata": {
                "name": EXPORT_WORKSPACE,
                "zone": BUILTIN_ZONE,
                "team": BUILTIN_TEAM,
                "description": "exports the active model version into the warehouse",
            },
            "spec": {
                "productionStatus": "production",
                "priority": "high",
                "transformer": {
                    "name": EXPORT_TRANSFORMER,
                    "description": "writes the active model version into its output schema",
                    "trigger": {"onModelChange": True},
                    "code": {"builtin": "externalize-model"},
                    "timeoutSeconds": 1800,
                    "output": {
                        "name": MODEL_DATASTORE,
                        "description": description,
                        "productionStatus": "production",
                        "datasets": [_dataset(t, c) for t, c in MODEL_TABLES.items()],
                    },
                },
            },
        },
    ]
