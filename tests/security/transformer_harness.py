"""A stand-in for `python -m workers.python_transformer` (contract A), in-process, for tests.

It builds a context with the attributes and methods of TransformerContext and calls the
module's `run(connection, context)` inside one transaction on a psycopg 3 connection logged in
with the transformer's own credentials from the secret store.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.security import names
from app.security.secrets.base import Credentials
from tests.conftest import EXAMPLES

if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # acme_transformers, as ECOPLANE_PYTHON_PATH would


@dataclass(frozen=True, slots=True)
class Context:
    """What contract A's TransformerContext carries."""

    run_id: int
    transformer: str
    workspace: str
    input_schema: str
    output_schema: str
    target: sql.Identifier | None = None  # only the test intruder reads this

    def input(self, datastore: str, dataset: str) -> sql.Identifier:
        """The workspace view of a sunk dataset."""
        return sql.Identifier(self.input_schema, names.raw_table(datastore, dataset))

    def output(self, dataset: str) -> sql.Identifier:
        """The output table of a dataset."""
        return sql.Identifier(self.output_schema, names.physical(dataset))


def context_of(transformer: str, workspace: str, target: sql.Identifier | None = None) -> Context:
    """The context a run of this transformer gets."""
    return Context(
        1, transformer, workspace, names.workspace_schema(workspace),
        names.output_schema(transformer), target,
    )  # fmt: skip


def run_module(module: str, credentials: Credentials, context: Context) -> None:
    """Call module.run(connection, context) in one transaction as the transformer's role."""
    code = importlib.import_module(module)
    with (
        psycopg.connect(
            host=credentials.host,
            port=credentials.port,
            dbname=credentials.dbname,
            user=credentials.username,
            password=credentials.password,
        ) as connection,
        connection.transaction(),
    ):  # commits when run returns, else rolls back
        code.run(connection, context)
