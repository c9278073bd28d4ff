"""the model versions and the model tables

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# the views over the active version (frozen here: a later change needs a new migration)
VIEWS = [
    "CREATE SCHEMA model_partitions",
    "COMMENT ON SCHEMA model_partitions IS 'One partition per model table and version; read them through the model_<name> tables.'",
    "CREATE VIEW current_model_version AS SELECT * FROM model_versions WHERE state = 'active'",
    "COMMENT ON VIEW current_model_version IS 'The active model version (one row, or none).'",
    "COMMENT ON COLUMN current_model_version.id IS 'the version id'",
    "COMMENT ON COLUMN current_model_version.commit_sha IS 'git commit it was read from'",
    "COMMENT ON COLUMN current_model_version.source IS 'where it was read from (a directory or a repository)'",
    "COMMENT ON COLUMN current_model_version.content_hash IS 'sha256 of the model files; equal content, equal hash'",
    "COMMENT ON COLUMN current_model_version.state IS 'loading, active, superseded, rejected or failed'",
    "COMMENT ON COLUMN current_model_version.errors IS 'validation errors'",
    "COMMENT ON COLUMN current_model_version.warnings IS 'validation warnings'",
    "COMMENT ON COLUMN current_model_version.counts IS 'rows per model table'",
    "COMMENT ON COLUMN current_model_version.timings IS 'seconds per phase'",
    "COMMENT ON COLUMN current_model_version.failure IS 'why a failed version failed'",
    "COMMENT ON COLUMN current_model_version.created_at IS 'when reading it began'",
    "COMMENT ON COLUMN current_model_version.activated_at IS 'when it became active'",
    "COMMENT ON COLUMN current_model_version.superseded_at IS 'when another version replaced it'",
    "CREATE VIEW current_ecosystems AS SELECT name, description, classifications FROM model_ecosystems WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_ecosystems IS 'The ecosystem: one row per model version. Rows of the active model version.'",
    "COMMENT ON COLUMN current_ecosystems.name IS 'the ecosystem''s name'",
    "COMMENT ON COLUMN current_ecosystems.description IS 'the description written in the model'",
    "COMMENT ON COLUMN current_ecosystems.classifications IS 'the classification vocabulary'",
    "CREATE VIEW current_vendors AS SELECT name, cloud, description FROM model_vendors WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_vendors IS 'Infrastructure vendors where data may live. Rows of the active model version.'",
    "COMMENT ON COLUMN current_vendors.name IS 'vendor name'",
    "COMMENT ON COLUMN current_vendors.cloud IS 'aws, azure, gcp, ibm, oracle, alibaba or private'",
    "COMMENT ON COLUMN current_vendors.description IS 'the description written in the model'",
    "CREATE VIEW current_locations AS SELECT vendor, path, name, parent_path, description FROM model_locations WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_locations IS 'Locations of a vendor, nested: regions, data centres, zones. Rows of the active model version.'",
    "COMMENT ON COLUMN current_locations.vendor IS 'the vendor'",
    "COMMENT ON COLUMN current_locations.path IS 'the full path, names joined with ''/'''",
    "COMMENT ON COLUMN current_locations.name IS 'the location''s own name'",
    "COMMENT ON COLUMN current_locations.parent_path IS 'the path of the enclosing location; null at the top'",
    "COMMENT ON COLUMN current_locations.description IS 'the description written in the model'",
    "CREATE VIEW current_platform_providers AS SELECT name, description FROM model_platform_providers WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_platform_providers IS 'Platform services providers. Rows of the active model version.'",
    "COMMENT ON COLUMN current_platform_providers.name IS 'provider name'",
    "COMMENT ON COLUMN current_platform_providers.description IS 'the description written in the model'",
    "CREATE VIEW current_data_platforms AS SELECT name, provider, retention, latency, description FROM model_data_platforms WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_data_platforms IS 'Data platforms that realise the pipelines of dataset groups. Rows of the active model version.'",
    "COMMENT ON COLUMN current_data_platforms.name IS 'data platform name'",
    "COMMENT ON COLUMN current_data_platforms.provider IS 'its platform services provider'",
    "COMMENT ON COLUMN current_data_platforms.retention IS 'live-only or forensic'",
    "COMMENT ON COLUMN current_data_platforms.latency IS 'seconds, minutes, hours or days'",
    "COMMENT ON COLUMN current_data_platforms.description IS 'the description written in the model'",
    "CREATE VIEW current_zones AS SELECT name, description, owners, deny_classifications, storage_vendors, storage_locations, builtin FROM model_zones WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_zones IS 'Governance zones with their policies. Rows of the active model version.'",
    "COMMENT ON COLUMN current_zones.name IS 'zone name'",
    "COMMENT ON COLUMN current_zones.description IS 'the description written in the model'",
    "COMMENT ON COLUMN current_zones.owners IS 'owners written in the model'",
    "COMMENT ON COLUMN current_zones.deny_classifications IS 'classifications the zone''s workspaces may not sink'",
    "COMMENT ON COLUMN current_zones.storage_vendors IS 'vendors the zone''s data may be stored with'",
    "COMMENT ON COLUMN current_zones.storage_locations IS '''Vendor:path'' locations the zone''s data may be stored in'",
    "COMMENT ON COLUMN current_zones.builtin IS 'true for what ecoplane adds to every model'",
    "CREATE VIEW current_teams AS SELECT zone, name, description, owners, builtin FROM model_teams WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_teams IS 'Teams of a zone: they own datastores and workspaces. Rows of the active model version.'",
    "COMMENT ON COLUMN current_teams.zone IS 'the zone'",
    "COMMENT ON COLUMN current_teams.name IS 'team name'",
    "COMMENT ON COLUMN current_teams.description IS 'the description written in the model'",
    "COMMENT ON COLUMN current_teams.owners IS 'owners written in the model'",
    "COMMENT ON COLUMN current_teams.builtin IS 'true for what ecoplane adds to every model'",
    "CREATE VIEW current_datastores AS SELECT name, zone, team, description, production_status, deprecated, deprecation_reason, ingestion_kind, ingestion_source, ingestion_credential, trigger_kind, trigger_cron, approval_required, producer, labels, builtin FROM model_datastores WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_datastores IS 'Datastores: ingested by a producer, or written by a transformer (producer set). Rows of the active model version.'",
    "COMMENT ON COLUMN current_datastores.name IS 'datastore name'",
    "COMMENT ON COLUMN current_datastores.zone IS 'the owning zone'",
    "COMMENT ON COLUMN current_datastores.team IS 'the owning team'",
    "COMMENT ON COLUMN current_datastores.description IS 'the description written in the model'",
    "COMMENT ON COLUMN current_datastores.production_status IS 'production or not-production'",
    "COMMENT ON COLUMN current_datastores.deprecated IS 'whether the datastore is deprecated'",
    "COMMENT ON COLUMN current_datastores.deprecation_reason IS 'why it is deprecated'",
    "COMMENT ON COLUMN current_datastores.ingestion_kind IS 'sql-snapshot, sql-watermark, cdc, kafka or external; null for outputs'",
    "COMMENT ON COLUMN current_datastores.ingestion_source IS 'where ingestion reads from (host, port, database, ...), as JSON'",
    "COMMENT ON COLUMN current_datastores.ingestion_credential IS 'the name of the credential ingestion uses (not a secret)'",
    "COMMENT ON COLUMN current_datastores.trigger_kind IS 'cron or external; null when not declared'",
    "COMMENT ON COLUMN current_datastores.trigger_cron IS 'the cron expression of a cron trigger'",
    "COMMENT ON COLUMN current_datastores.approval_required IS 'whether sinks need an approval'",
    "COMMENT ON COLUMN current_datastores.producer IS 'the transformer writing it; null for ingested datastores'",
    "COMMENT ON COLUMN current_datastores.labels IS 'labels written in the model, as a JSON object'",
    "COMMENT ON COLUMN current_datastores.builtin IS 'true for what ecoplane adds to every model'",
    "CREATE VIEW current_datasets AS SELECT datastore, name, description, classification, deprecated, deprecation_reason, primary_key FROM model_datasets WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_datasets IS 'Datasets (tables) of a datastore. Rows of the active model version.'",
    "COMMENT ON COLUMN current_datasets.datastore IS 'the datastore'",
    "COMMENT ON COLUMN current_datasets.name IS 'dataset name'",
    "COMMENT ON COLUMN current_datasets.description IS 'the description written in the model'",
    "COMMENT ON COLUMN current_datasets.classification IS 'the dataset''s own classifications'",
    "COMMENT ON COLUMN current_datasets.deprecated IS 'whether the dataset is deprecated'",
    "COMMENT ON COLUMN current_datasets.deprecation_reason IS 'why it is deprecated'",
    "COMMENT ON COLUMN current_datasets.primary_key IS 'the primary-key columns, in declaration order'",
    "CREATE VIEW current_columns AS SELECT datastore, dataset, name, ordinal, type, nullable, primary_key, classification, description FROM model_columns WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_columns IS 'Columns of a dataset, in declaration order. Rows of the active model version.'",
    "COMMENT ON COLUMN current_columns.datastore IS 'the datastore'",
    "COMMENT ON COLUMN current_columns.dataset IS 'the dataset'",
    "COMMENT ON COLUMN current_columns.name IS 'column name'",
    "COMMENT ON COLUMN current_columns.ordinal IS 'position in the dataset, from 1'",
    "COMMENT ON COLUMN current_columns.type IS 'the column type, canonical (e.g. varchar(255))'",
    "COMMENT ON COLUMN current_columns.nullable IS 'whether the column may hold nulls'",
    "COMMENT ON COLUMN current_columns.primary_key IS 'whether the column is part of the primary key'",
    "COMMENT ON COLUMN current_columns.classification IS 'the column''s own classifications; null when it has none'",
    "COMMENT ON COLUMN current_columns.description IS 'the description written in the model'",
    "CREATE VIEW current_approvals AS SELECT datastore, workspace, dataset_group, dataset FROM model_approvals WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_approvals IS 'Approvals of approval-required datastores: who may sink which dataset. Rows of the active model version.'",
    "COMMENT ON COLUMN current_approvals.datastore IS 'the datastore'",
    "COMMENT ON COLUMN current_approvals.workspace IS 'the approved workspace'",
    "COMMENT ON COLUMN current_approvals.dataset_group IS 'the approved dataset group'",
    "COMMENT ON COLUMN current_approvals.dataset IS 'the approved dataset'",
    "CREATE VIEW current_workspaces AS SELECT name, zone, team, description, production_status, priority, transformer, labels, builtin FROM model_workspaces WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_workspaces IS 'Workspaces: a consumer''s view of data. Rows of the active model version.'",
    "COMMENT ON COLUMN current_workspaces.name IS 'workspace name'",
    "COMMENT ON COLUMN current_workspaces.zone IS 'the owning zone'",
    "COMMENT ON COLUMN current_workspaces.team IS 'the owning team'",
    "COMMENT ON COLUMN current_workspaces.description IS 'the description written in the model'",
    "COMMENT ON COLUMN current_workspaces.production_status IS 'production or not-production'",
    "COMMENT ON COLUMN current_workspaces.priority IS 'critical, high, medium, low or unknown'",
    "COMMENT ON COLUMN current_workspaces.transformer IS 'its transformer, if any'",
    "COMMENT ON COLUMN current_workspaces.labels IS 'labels written in the model, as a JSON object'",
    "COMMENT ON COLUMN current_workspaces.builtin IS 'true for what ecoplane adds to every model'",
    "CREATE VIEW current_dataset_groups AS SELECT workspace, name, platform, platform_status, required_retention, required_latency FROM model_dataset_groups WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_dataset_groups IS 'Dataset groups of a workspace, with their platform assignment or requirements. Rows of the active model version.'",
    "COMMENT ON COLUMN current_dataset_groups.workspace IS 'the workspace'",
    "COMMENT ON COLUMN current_dataset_groups.name IS 'dataset group name'",
    "COMMENT ON COLUMN current_dataset_groups.platform IS 'the assigned data platform; null when chosen by requirements'",
    "COMMENT ON COLUMN current_dataset_groups.platform_status IS 'requested, provisioning, provisioned or decommissioned'",
    "COMMENT ON COLUMN current_dataset_groups.required_retention IS 'live-only or forensic, when chosen by requirements'",
    "COMMENT ON COLUMN current_dataset_groups.required_latency IS 'seconds, minutes, hours or days, when chosen by requirements'",
    "CREATE VIEW current_sinks AS SELECT workspace, dataset_group, ordinal, datastore, dataset, columns, allow_deprecated FROM model_sinks WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_sinks IS 'Sinks: a workspace''s reference to one dataset of a datastore. Rows of the active model version.'",
    "COMMENT ON COLUMN current_sinks.workspace IS 'the workspace'",
    "COMMENT ON COLUMN current_sinks.dataset_group IS 'the dataset group'",
    "COMMENT ON COLUMN current_sinks.ordinal IS 'position in the dataset group, from 1'",
    "COMMENT ON COLUMN current_sinks.datastore IS 'the sunk datastore'",
    "COMMENT ON COLUMN current_sinks.dataset IS 'the sunk dataset'",
    "COMMENT ON COLUMN current_sinks.columns IS 'the sunk columns; null means every column'",
    "COMMENT ON COLUMN current_sinks.allow_deprecated IS 'whether a deprecated dataset is accepted'",
    "CREATE VIEW current_transformers AS SELECT name, workspace, description, trigger_kind, trigger_cron, code_kind, image, command, args, env, module, builtin_code, cpu, memory, timeout_seconds, retries, output_datastore, builtin FROM model_transformers WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_transformers IS 'Data transformers: code that reads its workspace and writes its output datastore. Rows of the active model version.'",
    "COMMENT ON COLUMN current_transformers.name IS 'transformer name'",
    "COMMENT ON COLUMN current_transformers.workspace IS 'the workspace it reads'",
    "COMMENT ON COLUMN current_transformers.description IS 'the description written in the model'",
    "COMMENT ON COLUMN current_transformers.trigger_kind IS 'cron, on-input-change, on-model-change or external'",
    "COMMENT ON COLUMN current_transformers.trigger_cron IS 'the cron expression of a cron trigger'",
    "COMMENT ON COLUMN current_transformers.code_kind IS 'container, python or builtin'",
    "COMMENT ON COLUMN current_transformers.image IS 'the container image'",
    "COMMENT ON COLUMN current_transformers.command IS 'the container''s command'",
    "COMMENT ON COLUMN current_transformers.args IS 'the container''s arguments'",
    "COMMENT ON COLUMN current_transformers.env IS 'environment variables the model sets for the container, as JSON'",
    "COMMENT ON COLUMN current_transformers.module IS 'the Python module'",
    "COMMENT ON COLUMN current_transformers.builtin_code IS 'the builtin it runs'",
    "COMMENT ON COLUMN current_transformers.cpu IS 'CPU request (Kubernetes quantity)'",
    "COMMENT ON COLUMN current_transformers.memory IS 'memory request (Kubernetes quantity)'",
    "COMMENT ON COLUMN current_transformers.timeout_seconds IS 'how long a run may take'",
    "COMMENT ON COLUMN current_transformers.retries IS 'how often a failed run is retried'",
    "COMMENT ON COLUMN current_transformers.output_datastore IS 'the datastore it writes'",
    "COMMENT ON COLUMN current_transformers.builtin IS 'true for what ecoplane adds to every model'",
    "CREATE VIEW current_problems AS SELECT ordinal, severity, code, message, file, line, column_number, path FROM model_problems WHERE version_id = (SELECT id FROM model_versions WHERE state = 'active')",
    "COMMENT ON VIEW current_problems IS 'Validation problems of the version. Rows of the active model version.'",
    "COMMENT ON COLUMN current_problems.ordinal IS 'position in the sorted list, from 1'",
    "COMMENT ON COLUMN current_problems.severity IS 'error or warning'",
    "COMMENT ON COLUMN current_problems.code IS 'the stable problem code'",
    "COMMENT ON COLUMN current_problems.message IS 'what is wrong'",
    "COMMENT ON COLUMN current_problems.file IS 'the file, relative to the model root'",
    "COMMENT ON COLUMN current_problems.line IS 'line in the file, from 1'",
    "COMMENT ON COLUMN current_problems.column_number IS 'column in the line, from 1'",
    "COMMENT ON COLUMN current_problems.path IS 'the model path, e.g. Workspace/W/datasetGroups/main/sinks/0'",
]
DROP_VIEWS = [
    "DROP VIEW IF EXISTS current_model_version",
    "DROP VIEW IF EXISTS current_ecosystems",
    "DROP VIEW IF EXISTS current_vendors",
    "DROP VIEW IF EXISTS current_locations",
    "DROP VIEW IF EXISTS current_platform_providers",
    "DROP VIEW IF EXISTS current_data_platforms",
    "DROP VIEW IF EXISTS current_zones",
    "DROP VIEW IF EXISTS current_teams",
    "DROP VIEW IF EXISTS current_datastores",
    "DROP VIEW IF EXISTS current_datasets",
    "DROP VIEW IF EXISTS current_columns",
    "DROP VIEW IF EXISTS current_approvals",
    "DROP VIEW IF EXISTS current_workspaces",
    "DROP VIEW IF EXISTS current_dataset_groups",
    "DROP VIEW IF EXISTS current_sinks",
    "DROP VIEW IF EXISTS current_transformers",
    "DROP VIEW IF EXISTS current_problems",
    "DROP SCHEMA model_partitions CASCADE",
]


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "model_approvals",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("datastore", sa.Text(collation="C"), nullable=False, comment="the datastore"),
        sa.Column(
            "workspace", sa.Text(collation="C"), nullable=False, comment="the approved workspace"
        ),
        sa.Column(
            "dataset_group",
            sa.Text(collation="C"),
            nullable=False,
            comment="the approved dataset group",
        ),
        sa.Column(
            "dataset", sa.Text(collation="C"), nullable=False, comment="the approved dataset"
        ),
        sa.PrimaryKeyConstraint(
            "version_id",
            "datastore",
            "workspace",
            "dataset_group",
            "dataset",
            name="model_approvals_pkey",
        ),
        comment="Approvals of approval-required datastores: who may sink which dataset.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_columns",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("datastore", sa.Text(collation="C"), nullable=False, comment="the datastore"),
        sa.Column("dataset", sa.Text(collation="C"), nullable=False, comment="the dataset"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="column name"),
        sa.Column(
            "ordinal", sa.Integer(), nullable=False, comment="position in the dataset, from 1"
        ),
        sa.Column(
            "type",
            sa.Text(),
            nullable=False,
            comment="the column type, canonical (e.g. varchar(255))",
        ),
        sa.Column(
            "nullable", sa.Boolean(), nullable=False, comment="whether the column may hold nulls"
        ),
        sa.Column(
            "primary_key",
            sa.Boolean(),
            nullable=False,
            comment="whether the column is part of the primary key",
        ),
        sa.Column(
            "classification",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="the column's own classifications; null when it has none",
        ),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "datastore", "dataset", "name", name="model_columns_pkey"
        ),
        comment="Columns of a dataset, in declaration order.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_data_platforms",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="data platform name"),
        sa.Column("provider", sa.Text(), nullable=False, comment="its platform services provider"),
        sa.Column("retention", sa.Text(), nullable=False, comment="live-only or forensic"),
        sa.Column("latency", sa.Text(), nullable=False, comment="seconds, minutes, hours or days"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_data_platforms_pkey"),
        comment="Data platforms that realise the pipelines of dataset groups.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_dataset_groups",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("workspace", sa.Text(collation="C"), nullable=False, comment="the workspace"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="dataset group name"),
        sa.Column(
            "platform",
            sa.Text(),
            nullable=True,
            comment="the assigned data platform; null when chosen by requirements",
        ),
        sa.Column(
            "platform_status",
            sa.Text(),
            nullable=True,
            comment="requested, provisioning, provisioned or decommissioned",
        ),
        sa.Column(
            "required_retention",
            sa.Text(),
            nullable=True,
            comment="live-only or forensic, when chosen by requirements",
        ),
        sa.Column(
            "required_latency",
            sa.Text(),
            nullable=True,
            comment="seconds, minutes, hours or days, when chosen by requirements",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "workspace", "name", name="model_dataset_groups_pkey"
        ),
        comment="Dataset groups of a workspace, with their platform assignment or requirements.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_datasets",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("datastore", sa.Text(collation="C"), nullable=False, comment="the datastore"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="dataset name"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.Column(
            "classification",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="the dataset's own classifications",
        ),
        sa.Column(
            "deprecated", sa.Boolean(), nullable=False, comment="whether the dataset is deprecated"
        ),
        sa.Column("deprecation_reason", sa.Text(), nullable=True, comment="why it is deprecated"),
        sa.Column(
            "primary_key",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="the primary-key columns, in declaration order",
        ),
        sa.PrimaryKeyConstraint("version_id", "datastore", "name", name="model_datasets_pkey"),
        comment="Datasets (tables) of a datastore.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_datastores",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="datastore name"),
        sa.Column("zone", sa.Text(), nullable=False, comment="the owning zone"),
        sa.Column("team", sa.Text(), nullable=False, comment="the owning team"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.Column(
            "production_status", sa.Text(), nullable=False, comment="production or not-production"
        ),
        sa.Column(
            "deprecated",
            sa.Boolean(),
            nullable=False,
            comment="whether the datastore is deprecated",
        ),
        sa.Column("deprecation_reason", sa.Text(), nullable=True, comment="why it is deprecated"),
        sa.Column(
            "ingestion_kind",
            sa.Text(),
            nullable=True,
            comment="sql-snapshot, sql-watermark, cdc, kafka or external; null for outputs",
        ),
        sa.Column(
            "ingestion_source",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="where ingestion reads from (host, port, database, ...), as JSON",
        ),
        sa.Column(
            "ingestion_credential",
            sa.Text(),
            nullable=True,
            comment="the name of the credential ingestion uses (not a secret)",
        ),
        sa.Column(
            "trigger_kind",
            sa.Text(),
            nullable=True,
            comment="cron or external; null when not declared",
        ),
        sa.Column(
            "trigger_cron",
            sa.Text(),
            nullable=True,
            comment="the cron expression of a cron trigger",
        ),
        sa.Column(
            "approval_required",
            sa.Boolean(),
            nullable=False,
            comment="whether sinks need an approval",
        ),
        sa.Column(
            "producer",
            sa.Text(),
            nullable=True,
            comment="the transformer writing it; null for ingested datastores",
        ),
        sa.Column(
            "labels",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="labels written in the model, as a JSON object",
        ),
        sa.Column(
            "builtin",
            sa.Boolean(),
            nullable=False,
            comment="true for what ecoplane adds to every model",
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_datastores_pkey"),
        comment="Datastores: ingested by a producer, or written by a transformer (producer set).",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_index(
        "model_datastores_by_zone_team",
        "model_datastores",
        ["version_id", "zone", "team"],
        unique=False,
    )
    op.create_table(
        "model_ecosystems",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="the ecosystem's name"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.Column(
            "classifications",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="the classification vocabulary",
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_ecosystems_pkey"),
        comment="The ecosystem: one row per model version.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_locations",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("vendor", sa.Text(collation="C"), nullable=False, comment="the vendor"),
        sa.Column(
            "path",
            sa.Text(collation="C"),
            nullable=False,
            comment="the full path, names joined with '/'",
        ),
        sa.Column("name", sa.Text(), nullable=False, comment="the location's own name"),
        sa.Column(
            "parent_path",
            sa.Text(),
            nullable=True,
            comment="the path of the enclosing location; null at the top",
        ),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.PrimaryKeyConstraint("version_id", "vendor", "path", name="model_locations_pkey"),
        comment="Locations of a vendor, nested: regions, data centres, zones.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_platform_providers",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="provider name"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_platform_providers_pkey"),
        comment="Platform services providers.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_problems",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column(
            "ordinal", sa.Integer(), nullable=False, comment="position in the sorted list, from 1"
        ),
        sa.Column("severity", sa.Text(), nullable=False, comment="error or warning"),
        sa.Column("code", sa.Text(), nullable=False, comment="the stable problem code"),
        sa.Column("message", sa.Text(), nullable=False, comment="what is wrong"),
        sa.Column(
            "file", sa.Text(), nullable=False, comment="the file, relative to the model root"
        ),
        sa.Column("line", sa.Integer(), nullable=True, comment="line in the file, from 1"),
        sa.Column(
            "column_number", sa.Integer(), nullable=True, comment="column in the line, from 1"
        ),
        sa.Column(
            "path",
            sa.Text(),
            nullable=True,
            comment="the model path, e.g. Workspace/W/datasetGroups/main/sinks/0",
        ),
        sa.PrimaryKeyConstraint("version_id", "ordinal", name="model_problems_pkey"),
        comment="Validation problems of the version.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_index(
        "model_problems_by_code", "model_problems", ["version_id", "code"], unique=False
    )
    op.create_table(
        "model_sinks",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("workspace", sa.Text(collation="C"), nullable=False, comment="the workspace"),
        sa.Column(
            "dataset_group", sa.Text(collation="C"), nullable=False, comment="the dataset group"
        ),
        sa.Column(
            "ordinal", sa.Integer(), nullable=False, comment="position in the dataset group, from 1"
        ),
        sa.Column("datastore", sa.Text(), nullable=False, comment="the sunk datastore"),
        sa.Column("dataset", sa.Text(), nullable=False, comment="the sunk dataset"),
        sa.Column(
            "columns",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="the sunk columns; null means every column",
        ),
        sa.Column(
            "allow_deprecated",
            sa.Boolean(),
            nullable=False,
            comment="whether a deprecated dataset is accepted",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "workspace", "dataset_group", "ordinal", name="model_sinks_pkey"
        ),
        comment="Sinks: a workspace's reference to one dataset of a datastore.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_index(
        "model_sinks_by_datastore_dataset",
        "model_sinks",
        ["version_id", "datastore", "dataset"],
        unique=False,
    )
    op.create_table(
        "model_teams",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("zone", sa.Text(collation="C"), nullable=False, comment="the zone"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="team name"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.Column(
            "owners",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="owners written in the model",
        ),
        sa.Column(
            "builtin",
            sa.Boolean(),
            nullable=False,
            comment="true for what ecoplane adds to every model",
        ),
        sa.PrimaryKeyConstraint("version_id", "zone", "name", name="model_teams_pkey"),
        comment="Teams of a zone: they own datastores and workspaces.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_transformers",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="transformer name"),
        sa.Column("workspace", sa.Text(), nullable=False, comment="the workspace it reads"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.Column(
            "trigger_kind",
            sa.Text(),
            nullable=False,
            comment="cron, on-input-change, on-model-change or external",
        ),
        sa.Column(
            "trigger_cron",
            sa.Text(),
            nullable=True,
            comment="the cron expression of a cron trigger",
        ),
        sa.Column("code_kind", sa.Text(), nullable=False, comment="container, python or builtin"),
        sa.Column("image", sa.Text(), nullable=True, comment="the container image"),
        sa.Column(
            "command", postgresql.ARRAY(sa.Text()), nullable=True, comment="the container's command"
        ),
        sa.Column(
            "args", postgresql.ARRAY(sa.Text()), nullable=True, comment="the container's arguments"
        ),
        sa.Column(
            "env",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="environment variables the model sets for the container, as JSON",
        ),
        sa.Column("module", sa.Text(), nullable=True, comment="the Python module"),
        sa.Column("builtin_code", sa.Text(), nullable=True, comment="the builtin it runs"),
        sa.Column("cpu", sa.Text(), nullable=True, comment="CPU request (Kubernetes quantity)"),
        sa.Column(
            "memory", sa.Text(), nullable=True, comment="memory request (Kubernetes quantity)"
        ),
        sa.Column(
            "timeout_seconds", sa.Integer(), nullable=False, comment="how long a run may take"
        ),
        sa.Column(
            "retries", sa.Integer(), nullable=False, comment="how often a failed run is retried"
        ),
        sa.Column("output_datastore", sa.Text(), nullable=False, comment="the datastore it writes"),
        sa.Column(
            "builtin",
            sa.Boolean(),
            nullable=False,
            comment="true for what ecoplane adds to every model",
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_transformers_pkey"),
        comment="Data transformers: code that reads its workspace and writes its output datastore.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_index(
        "model_transformers_by_output_datastore",
        "model_transformers",
        ["version_id", "output_datastore"],
        unique=False,
    )
    op.create_index(
        "model_transformers_by_workspace",
        "model_transformers",
        ["version_id", "workspace"],
        unique=False,
    )
    op.create_table(
        "model_vendors",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="vendor name"),
        sa.Column(
            "cloud",
            sa.Text(),
            nullable=False,
            comment="aws, azure, gcp, ibm, oracle, alibaba or private",
        ),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_vendors_pkey"),
        comment="Infrastructure vendors where data may live.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="the version id"),
        sa.Column("commit_sha", sa.Text(), nullable=True, comment="git commit it was read from"),
        sa.Column(
            "source",
            sa.Text(),
            nullable=False,
            comment="where it was read from (a directory or a repository)",
        ),
        sa.Column(
            "content_hash",
            sa.Text(),
            nullable=False,
            comment="sha256 of the model files; equal content, equal hash",
        ),
        sa.Column(
            "state",
            sa.Text(),
            nullable=False,
            comment="loading, active, superseded, rejected or failed",
        ),
        sa.Column(
            "errors",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="validation errors",
        ),
        sa.Column(
            "warnings",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="validation warnings",
        ),
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
            comment="rows per model table",
        ),
        sa.Column(
            "timings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
            comment="seconds per phase",
        ),
        sa.Column("failure", sa.Text(), nullable=True, comment="why a failed version failed"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="when reading it began",
        ),
        sa.Column(
            "activated_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when it became active",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when another version replaced it",
        ),
        sa.CheckConstraint(
            "state IN ('loading', 'active', 'superseded', 'rejected', 'failed')", name="state_known"
        ),
        sa.PrimaryKeyConstraint("id"),
        comment="Every model version ecoplane has read: at most one is active.",
    )
    op.create_index("model_versions_content_hash", "model_versions", ["content_hash"], unique=False)
    op.create_index(
        "one_active_version",
        "model_versions",
        [sa.literal_column("(true)")],
        unique=True,
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_table(
        "model_workspaces",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="workspace name"),
        sa.Column("zone", sa.Text(), nullable=False, comment="the owning zone"),
        sa.Column("team", sa.Text(), nullable=False, comment="the owning team"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.Column(
            "production_status", sa.Text(), nullable=False, comment="production or not-production"
        ),
        sa.Column(
            "priority", sa.Text(), nullable=False, comment="critical, high, medium, low or unknown"
        ),
        sa.Column("transformer", sa.Text(), nullable=True, comment="its transformer, if any"),
        sa.Column(
            "labels",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="labels written in the model, as a JSON object",
        ),
        sa.Column(
            "builtin",
            sa.Boolean(),
            nullable=False,
            comment="true for what ecoplane adds to every model",
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_workspaces_pkey"),
        comment="Workspaces: a consumer's view of data.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_index(
        "model_workspaces_by_zone_team",
        "model_workspaces",
        ["version_id", "zone", "team"],
        unique=False,
    )
    op.create_table(
        "model_zones",
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the model version"),
        sa.Column("name", sa.Text(collation="C"), nullable=False, comment="zone name"),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="the description written in the model"
        ),
        sa.Column(
            "owners",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="owners written in the model",
        ),
        sa.Column(
            "deny_classifications",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="classifications the zone's workspaces may not sink",
        ),
        sa.Column(
            "storage_vendors",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="vendors the zone's data may be stored with",
        ),
        sa.Column(
            "storage_locations",
            postgresql.ARRAY(sa.Text()),
            nullable=True,
            comment="'Vendor:path' locations the zone's data may be stored in",
        ),
        sa.Column(
            "builtin",
            sa.Boolean(),
            nullable=False,
            comment="true for what ecoplane adds to every model",
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name="model_zones_pkey"),
        comment="Governance zones with their policies.",
        postgresql_partition_by="LIST (version_id)",
    )
    op.create_table(
        "model_version_commits",
        sa.Column(
            "version_id", sa.BigInteger(), nullable=False, comment="the version holding the content"
        ),
        sa.Column("commit_sha", sa.Text(), nullable=False, comment="a commit with this content"),
        sa.Column("source", sa.Text(), nullable=False, comment="where the commit was read from"),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="when it was read",
        ),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "commit_sha"),
        comment="Commits recorded against the version holding their content.",
    )
    # ### end Alembic commands ###
    for statement in VIEWS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_VIEWS:
        op.execute(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("model_version_commits")
    op.drop_table("model_zones")
    op.drop_index("model_workspaces_by_zone_team", table_name="model_workspaces")
    op.drop_table("model_workspaces")
    op.drop_index(
        "one_active_version",
        table_name="model_versions",
        postgresql_where=sa.text("state = 'active'"),
    )
    op.drop_index("model_versions_content_hash", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("model_vendors")
    op.drop_index("model_transformers_by_workspace", table_name="model_transformers")
    op.drop_index("model_transformers_by_output_datastore", table_name="model_transformers")
    op.drop_table("model_transformers")
    op.drop_table("model_teams")
    op.drop_index("model_sinks_by_datastore_dataset", table_name="model_sinks")
    op.drop_table("model_sinks")
    op.drop_index("model_problems_by_code", table_name="model_problems")
    op.drop_table("model_problems")
    op.drop_table("model_platform_providers")
    op.drop_table("model_locations")
    op.drop_table("model_ecosystems")
    op.drop_index("model_datastores_by_zone_team", table_name="model_datastores")
    op.drop_table("model_datastores")
    op.drop_table("model_datasets")
    op.drop_table("model_dataset_groups")
    op.drop_table("model_data_platforms")
    op.drop_table("model_columns")
    op.drop_table("model_approvals")
    # ### end Alembic commands ###
