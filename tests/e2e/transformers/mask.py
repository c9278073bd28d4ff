"""Masks customers' emails into sha256 hashes, after proving it can read nothing else."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

FORBIDDEN = (
    sql.Identifier("raw", "customers__customers"),  # the raw table behind its own view
    sql.Identifier("ws_customeranalytics", "customers__customers"),  # another workspace's view
)


def _denied(connection: psycopg.Connection[Any], table: sql.Identifier) -> None:
    """Reading the table must be refused; a savepoint keeps the run's transaction usable."""
    try:
        with connection.transaction():
            connection.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
    except psycopg.errors.InsufficientPrivilege as error:
        print(f"denied as expected: {str(error).splitlines()[0]}")
        return
    raise AssertionError(f"{table.as_string(connection)} was readable: least privilege broken")


def run(connection: psycopg.Connection[Any], context: Any) -> None:
    """Replace the output with one hashed row per customer."""
    for table in FORBIDDEN:
        _denied(connection, table)
    output = context.output("customers_masked")
    connection.execute(sql.SQL("DELETE FROM {}").format(output))
    done = connection.execute(
        sql.SQL(
            "INSERT INTO {} (id, email_hash)"
            " SELECT id, encode(sha256(convert_to(email, 'UTF8')), 'hex') FROM {}"
        ).format(output, context.input("Customers", "customers"))
    )
    print(f"masked {done.rowcount} customers as {connection.info.user}")
