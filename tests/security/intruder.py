"""A transformer that reads what it was not given (context.target): a least-privilege probe."""

from __future__ import annotations

from typing import Any

from psycopg import sql


def run(connection: Any, context: Any) -> None:
    """Read one row of the target."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT * FROM {} LIMIT 1").format(context.target))
