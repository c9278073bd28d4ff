"""Physical names in the warehouse (their SQL quoting is the warehouse's: warehouses/postgres_sql.py)."""

from __future__ import annotations

from app.ecosystem.names import history_view as history_view
from app.ecosystem.names import ingestion_credentials as ingestion_credentials
from app.ecosystem.names import ingestion_role as ingestion_role
from app.ecosystem.names import output_schema as output_schema  # the names a run is given too
from app.ecosystem.names import physical as physical
from app.ecosystem.names import raw_table as raw_table
from app.ecosystem.names import read_role as read_role
from app.ecosystem.names import transformer_role as transformer_role
from app.ecosystem.names import workspace_schema as workspace_schema

MAX_IDENTIFIER_BYTES = 63
HASH_LENGTH = 8
