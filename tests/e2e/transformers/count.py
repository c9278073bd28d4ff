"""Counts the masked customers (the second step of the chain, onInputChange)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql


def run(connection: psycopg.Connection[Any], context: Any) -> None:
    """Replace the output with the number of masked customers."""
    output = context.output("counts")
    connection.execute(sql.SQL("DELETE FROM {}").format(output))
    connection.execute(
        sql.SQL("INSERT INTO {} (id, customers) SELECT 1, count(*) FROM {}").format(
            output, context.input("MaskedE2E", "customers_masked")
        )
    )
    print("counted")
