"""The example's source database: acme's ReferenceData as its producer holds it, so that the
embedded default moves real data (`make run`).

On the embedded server, a database named as the model's `ingestion.source.database` (`refdata`,
schema `golden`) holds the datastore's source tables, filled once with the seeder's rows; a
login role of its own (the datastore's `ingestion.credential`, `refdata_reader`) may only read
them, and its credential is written to the local store (`<data dir>/secrets/
ecoplane-source-refdata-reader.json`). The model's host is mapped to the embedded server by
ECOPLANE_SOURCE_HOSTS (`with_example_source`). The warehouse's raw tables are left to the
ingestion runs: the seeder only creates them, empty.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url

from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.model import Model
from app.examples.rows import Row, Table
from app.ingestion.source import Endpoint
from app.ingestion.tables import raw_tables
from app.jobs.spec import source_secret
from app.security.secrets.local import write_private_json
from app.security.warehouses.postgres_scram import scram_verifier
from app.security.warehouses.postgres_sql import qualified, quote_ident
from app.security.warehouses.postgres_types import postgres_type
from app.settings import Settings

EXAMPLE_DATASTORE = "ReferenceData"  # acme's datastore ingested for real on the embedded default
log = logging.getLogger("ecoplane")


@dataclass(frozen=True, slots=True)
class ExampleSource:
    """Where the example's source is: the model's endpoint, and the embedded server's."""

    endpoint: Endpoint  # as the model says it
    credential: str
    server_host: str  # the embedded server's socket directory
    server_port: int

    @property
    def mapping(self) -> dict[str, str]:
        """The ECOPLANE_SOURCE_HOSTS entry reaching it."""
        return {self.endpoint.host: f"{self.server_host}:{self.server_port}"}


def example_source(model: Model, server_url: str) -> ExampleSource | None:
    """The example datastore's source on the embedded server (None when the model lacks it)."""
    store = model.datastores.get(EXAMPLE_DATASTORE)
    if store is None or store.ingestion is None or not store.ingestion.credential:
        return None
    url = make_url(server_url)
    host = str(url.host or url.query.get("host") or "localhost")
    endpoint = Endpoint.of(store.name, store.ingestion)
    return ExampleSource(endpoint, store.ingestion.credential, host, url.port or 5432)


def with_example_source(settings: Settings, source: ExampleSource) -> Settings:
    """The settings with the example's source host mapped to the embedded server, unless the
    operator mapped that host already."""
    if source.endpoint.host in settings.source_hosts:
        return settings
    hosts = {**settings.source_hosts, **source.mapping}
    return settings.model_copy(update={"source_hosts": hosts})


async def seed_example_source(
    settings: Settings,
    server_url: str,
    model: Model,
    source: ExampleSource,
    content: Callable[[], list[tuple[Table, list[Row]]]],
) -> bool:
    """Create and fill the source database once (True then); an existing one is left as is.

    `content` makes the rows: only when the database is new (making them costs a start ~0.3 s
    of CPU, every start after the first would throw them away)."""
    server = await asyncpg.connect(asyncpg_dsn(server_url))
    database = source.endpoint.database
    try:
        if await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            return False
        password = secrets.token_urlsafe(24)
        role = quote_ident(source.credential)
        exists = await server.fetchval(
            "SELECT 1 FROM pg_roles WHERE rolname = $1", source.credential
        )
        verb = "ALTER" if exists else "CREATE"
        verifier = scram_verifier(password).replace("'", "''")
        await server.execute(f"{verb} ROLE {role} LOGIN PASSWORD '{verifier}'")
        await server.execute(f"CREATE DATABASE {quote_ident(database)}")
    finally:
        await server.close()
    connection = await asyncpg.connect(asyncpg_dsn(with_database(server_url, database)))
    try:
        async with connection.transaction():
            await _fill(connection, model, source, content())
    finally:
        await connection.close()
    login = {"user": source.credential, "password": password}
    write_private_json(
        settings.data_dir / "secrets" / f"{source_secret(source.credential)}.json", login
    )
    log.info("created the example's source database %s (login %s)", database, source.credential)
    return True


async def _fill(
    connection: asyncpg.Connection,
    model: Model,
    source: ExampleSource,
    content: list[tuple[Table, list[Row]]],
) -> None:
    schema, role = source.endpoint.schema, quote_ident(source.credential)
    await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
    rows = {t.dataset.name: r for t, r in content if t.datastore == EXAMPLE_DATASTORE}
    tables = {t.dataset: t.source_table for t in raw_tables(model.datastores[EXAMPLE_DATASTORE])}
    for table, _ in content:
        if table.datastore != EXAMPLE_DATASTORE:
            continue
        name = tables[table.dataset.name]
        columns = [
            f"{quote_ident(c.name)} {postgres_type(c.type)}"
            + ("" if c.is_nullable else " NOT NULL")
            for c in table.dataset.columns
        ]
        keys = ", ".join(quote_ident(c) for c in table.primary_key)
        await connection.execute(
            f"CREATE TABLE {qualified(schema, name)} ({', '.join(columns)}, PRIMARY KEY ({keys}))"
        )
        names = list(table.types)
        await connection.copy_records_to_table(
            name,
            schema_name=schema,
            columns=names,
            records=[tuple(row.get(c) for c in names) for row in rows[table.dataset.name]],
        )
    await connection.execute(
        f"GRANT USAGE ON SCHEMA {quote_ident(schema)} TO {role};"
        f" GRANT SELECT ON ALL TABLES IN SCHEMA {quote_ident(schema)} TO {role}"
    )
