"""What every loaded ecosystem gets: the ecoplane zone, the model datastore and its export."""

from __future__ import annotations

from typing import Any

from app.ecosystem.model_tables import MODEL_TABLES, ModelTable

BUILTIN_ZONE = "ecoplane"
BUILTIN_TEAM = "platform"
MODEL_DATASTORE = "ecoplane_model"
EXPORT_WORKSPACE = "ecoplane_model_export"
EXPORT_TRANSFORMER = "externalize_model"
BUILTIN_CODES = frozenset({"externalize-model"})


def _dataset(name: str, table: ModelTable) -> dict[str, Any]:
    return {
        "name": name,
        "description": table.description,
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "primaryKey": c.primary_key,
                "nullable": c.nullable,
                "description": c.description,
            }
            for c in table.columns
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
