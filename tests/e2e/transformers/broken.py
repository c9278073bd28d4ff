"""Counts like count.py the first time; once its output has rows, it empties it and fails.

The second run must fail and leave the output as it was: the run is one transaction.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql


def run(connection: psycopg.Connection[Any], context: Any) -> None:
    """The first time: write one row. Later: delete the rows, then fail."""
    output = context.output("counts")
    had = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(output)).fetchone()
    connection.execute(sql.SQL("DELETE FROM {}").format(output))
    if had and had[0]:
        raise RuntimeError("the source looked wrong: giving up")
    connection.execute(sql.SQL("INSERT INTO {} (id, customers) VALUES (1, 0)").format(output))
