"""The `current_<table>` views over the active model version, with comments for BI tools."""

from __future__ import annotations

from app.catalog.schema import ENTITY_PREFIX, PARTITION_SCHEMA, VIEW_PREFIX
from app.db.model_versions import ACTIVE_VERSION_ID
from app.db.tables import ModelVersion
from app.ecosystem.model_tables import MODEL_TABLES

ACTIVE = f"({ACTIVE_VERSION_ID})"


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def view_statements() -> list[str]:
    """CREATE VIEW and COMMENT statements for every model table, and the active version view."""
    statements = [
        f"CREATE SCHEMA {PARTITION_SCHEMA}",
        f"COMMENT ON SCHEMA {PARTITION_SCHEMA} IS 'One partition per model table and version;"
        " read them through the model_<name> tables.'",
        "CREATE VIEW current_model_version AS SELECT * FROM model_versions WHERE state = 'active'",
        "COMMENT ON VIEW current_model_version IS 'The active model version (one row, or none).'",
    ]
    statements += [
        f"COMMENT ON COLUMN current_model_version.{column.name} IS {literal(column.comment or '')}"
        for column in ModelVersion.__table__.columns  # type: ignore[attr-defined]
    ]
    for name, table in MODEL_TABLES.items():
        view = f"{VIEW_PREFIX}{name}"
        columns = ", ".join(c.name for c in table.columns)
        statements.append(
            f"CREATE VIEW {view} AS SELECT {columns} FROM {ENTITY_PREFIX}{name} WHERE version_id = {ACTIVE}"
        )
        statements.append(
            f"COMMENT ON VIEW {view} IS {literal(table.description + ' Rows of the active model version.')}"
        )
        statements += [
            f"COMMENT ON COLUMN {view}.{c.name} IS {literal(c.description)}" for c in table.columns
        ]
    return statements


def drop_statements() -> list[str]:
    """DROP VIEW statements for every view of `view_statements`."""
    names = ["current_model_version", *(f"{VIEW_PREFIX}{name}" for name in MODEL_TABLES)]
    return [f"DROP VIEW IF EXISTS {name}" for name in names] + [
        f"DROP SCHEMA {PARTITION_SCHEMA} CASCADE"
    ]
