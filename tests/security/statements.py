"""Recording the statements a connection sends, to tell DDL from catalog reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg

DDL = ("CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "REASSIGN")


@contextmanager
def recorded(connection: asyncpg.Connection) -> Iterator[list[str]]:
    """Every query the connection sends inside the block."""
    sent: list[str] = []

    def logger(record: Any) -> None:
        sent.append(record.query)

    connection.add_query_logger(logger)
    try:
        yield sent
    finally:
        connection.remove_query_logger(logger)


def ddl(sent: list[str]) -> list[str]:
    """The statements among them that change the catalog."""
    return [q for q in sent if q.lstrip().upper().startswith(DDL)]
