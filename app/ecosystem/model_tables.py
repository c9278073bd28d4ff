"""The externalized model: one table per entity, its columns, and what each one means.

This is the one description of the model as data. The catalog stores every model version in
these tables (plus a version id), dashboards read them, and the builtin datastore
`ecoplane_model` declares them as its datasets.
"""

from __future__ import annotations

from typing import NamedTuple


class ModelColumn(NamedTuple):
    """A column of a model table."""

    name: str
    type: str  # a model column type: text, boolean, integer, json, array<text>
    primary_key: bool
    nullable: bool
    description: str


class ModelTable(NamedTuple):
    """A model table and what one row of it is."""

    description: str
    columns: tuple[ModelColumn, ...]


TEXTS = "array<text>"


def key(name: str, description: str, type_: str = "text") -> ModelColumn:
    """A primary-key column."""
    return ModelColumn(name, type_, True, False, description)


def col(name: str, description: str, type_: str = "text", *, required: bool = False) -> ModelColumn:
    """A column; `required` makes it not null."""
    return ModelColumn(name, type_, False, not required, description)


BUILTIN = col("builtin", "true for what ecoplane adds to every model", "boolean", required=True)
DESCRIPTION = col("description", "the description written in the model")
LABELS = col("labels", "labels written in the model, as a JSON object", "json")
OWNERS = col("owners", "owners written in the model", TEXTS)

MODEL_TABLES: dict[str, ModelTable] = {
    "ecosystems": ModelTable(
        "The ecosystem: one row per model version.",
        (
            key("name", "the ecosystem's name"),
            DESCRIPTION,
            col("classifications", "the classification vocabulary", TEXTS),
            col("owners", "the Ecosystem's owners: they own its zones and itself", TEXTS),
        ),
    ),
    "vendors": ModelTable(
        "Infrastructure vendors where data may live.",
        (
            key("name", "vendor name"),
            col("cloud", "aws, azure, gcp, ibm, oracle, alibaba or private", required=True),
            DESCRIPTION,
        ),
    ),
    "locations": ModelTable(
        "Locations of a vendor, nested: regions, data centres, zones.",
        (
            key("vendor", "the vendor"),
            key("path", "the full path, names joined with '/'"),
            col("name", "the location's own name", required=True),
            col("parent_path", "the path of the enclosing location; null at the top"),
            DESCRIPTION,
        ),
    ),
    "platform_providers": ModelTable(
        "Platform services providers.",
        (key("name", "provider name"), DESCRIPTION),
    ),
    "data_platforms": ModelTable(
        "Data platforms that realise the pipelines of dataset groups.",
        (
            key("name", "data platform name"),
            col("provider", "its platform services provider", required=True),
            col("retention", "live-only or forensic", required=True),
            col("latency", "seconds, minutes, hours or days", required=True),
            DESCRIPTION,
        ),
    ),
    "zones": ModelTable(
        "Governance zones with their policies.",
        (
            key("name", "zone name"),
            DESCRIPTION,
            OWNERS,
            col(
                "deny_classifications", "classifications the zone's workspaces may not sink", TEXTS
            ),
            col("storage_vendors", "vendors the zone's data may be stored with", TEXTS),
            col(
                "storage_locations",
                "'Vendor:path' locations the zone's data may be stored in",
                TEXTS,
            ),
            BUILTIN,
        ),
    ),
    "teams": ModelTable(
        "Teams of a zone: they own datastores and workspaces.",
        (key("zone", "the zone"), key("name", "team name"), DESCRIPTION, OWNERS, BUILTIN),
    ),
    "datastores": ModelTable(
        "Datastores: ingested by a producer, or written by a transformer (producer set).",
        (
            key("name", "datastore name"),
            col("zone", "the owning zone", required=True),
            col("team", "the owning team", required=True),
            DESCRIPTION,
            col("production_status", "production or not-production", required=True),
            col("deprecated", "whether the datastore is deprecated", "boolean", required=True),
            col("deprecation_reason", "why it is deprecated"),
            col(
                "ingestion_kind",
                "sql-snapshot, sql-watermark, cdc, kafka or external; null for outputs",
            ),
            col(
                "ingestion_source",
                "where ingestion reads from (host, port, database, ...), as JSON",
                "json",
            ),
            col("ingestion_credential", "the name of the credential ingestion uses (not a secret)"),
            col("trigger_kind", "cron or external; null when not declared"),
            col("trigger_cron", "the cron expression of a cron trigger"),
            col("approval_required", "whether sinks need an approval", "boolean", required=True),
            col("producer", "the transformer writing it; null for ingested datastores"),
            LABELS,
            BUILTIN,
            col("ingestion_milestoning", "live or forensic; null for outputs"),
            col("ingestion_watermark", "the column sql-watermark ingestion follows"),
        ),
    ),
    "datasets": ModelTable(
        "Datasets (tables) of a datastore.",
        (
            key("datastore", "the datastore"),
            key("name", "dataset name"),
            DESCRIPTION,
            col("classification", "the dataset's own classifications", TEXTS),
            col("deprecated", "whether the dataset is deprecated", "boolean", required=True),
            col("deprecation_reason", "why it is deprecated"),
            col("primary_key", "the primary-key columns, in declaration order", TEXTS),
            col("source_table", "the table ingestion reads it from, when not its name"),
        ),
    ),
    "columns": ModelTable(
        "Columns of a dataset, in declaration order.",
        (
            key("datastore", "the datastore"),
            key("dataset", "the dataset"),
            key("name", "column name"),
            col("ordinal", "position in the dataset, from 1", "integer", required=True),
            col("type", "the column type, canonical (e.g. varchar(255))", required=True),
            col("nullable", "whether the column may hold nulls", "boolean", required=True),
            col(
                "primary_key",
                "whether the column is part of the primary key",
                "boolean",
                required=True,
            ),
            col("classification", "the column's own classifications; null when it has none", TEXTS),
            DESCRIPTION,
        ),
    ),
    "approvals": ModelTable(
        "Approvals of approval-required datastores: who may sink which dataset.",
        (
            key("datastore", "the datastore"),
            key("workspace", "the approved workspace"),
            key("dataset_group", "the approved dataset group"),
            key("dataset", "the approved dataset"),
        ),
    ),
    "workspaces": ModelTable(
        "Workspaces: a consumer's view of data.",
        (
            key("name", "workspace name"),
            col("zone", "the owning zone", required=True),
            col("team", "the owning team", required=True),
            DESCRIPTION,
            col("production_status", "production or not-production", required=True),
            col("priority", "critical, high, medium, low or unknown", required=True),
            col("transformer", "its transformer, if any"),
            LABELS,
            BUILTIN,
        ),
    ),
    "dataset_groups": ModelTable(
        "Dataset groups of a workspace, with their platform assignment or requirements.",
        (
            key("workspace", "the workspace"),
            key("name", "dataset group name"),
            col("platform", "the assigned data platform; null when chosen by requirements"),
            col("platform_status", "requested, provisioning, provisioned or decommissioned"),
            col("required_retention", "live-only or forensic, when chosen by requirements"),
            col("required_latency", "seconds, minutes, hours or days, when chosen by requirements"),
        ),
    ),
    "sinks": ModelTable(
        "Sinks: a workspace's reference to one dataset of a datastore.",
        (
            key("workspace", "the workspace"),
            key("dataset_group", "the dataset group"),
            key("ordinal", "position in the dataset group, from 1", "integer"),
            col("datastore", "the sunk datastore", required=True),
            col("dataset", "the sunk dataset", required=True),
            col("columns", "the sunk columns; null means every column", TEXTS),
            col(
                "allow_deprecated",
                "whether a deprecated dataset is accepted",
                "boolean",
                required=True,
            ),
            col(
                "history",
                "whether the workspace also gets a view of every version (forensic datasets)",
                "boolean",
                required=True,
            ),
        ),
    ),
    "transformers": ModelTable(
        "Data transformers: code that reads its workspace and writes its output datastore.",
        (
            key("name", "transformer name"),
            col("workspace", "the workspace it reads", required=True),
            DESCRIPTION,
            col(
                "trigger_kind", "cron, on-input-change, on-model-change or external", required=True
            ),
            col("trigger_cron", "the cron expression of a cron trigger"),
            col("code_kind", "container, python or builtin", required=True),
            col("image", "the container image"),
            col("command", "the container's command", TEXTS),
            col("args", "the container's arguments", TEXTS),
            col("env", "environment variables the model sets for the container, as JSON", "json"),
            col("module", "the Python module"),
            col("builtin_code", "the builtin it runs"),
            col("cpu", "CPU request (Kubernetes quantity)"),
            col("memory", "memory request (Kubernetes quantity)"),
            col("timeout_seconds", "how long a run may take", "integer", required=True),
            col("retries", "how often a failed run is retried", "integer", required=True),
            col("output_datastore", "the datastore it writes", required=True),
            BUILTIN,
        ),
    ),
    "problems": ModelTable(
        "Validation problems of the version.",
        (
            key("ordinal", "position in the sorted list, from 1", "integer"),
            col("severity", "error or warning", required=True),
            col("code", "the stable problem code", required=True),
            col("message", "what is wrong", required=True),
            col("file", "the file, relative to the model root", required=True),
            col("line", "line in the file, from 1", "integer"),
            col("column_number", "column in the line, from 1", "integer"),
            col("path", "the model path, e.g. Workspace/W/datasetGroups/main/sinks/0"),
        ),
    ),
}
