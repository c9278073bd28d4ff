"""Copies its workspace view into its output table, with the run's context on every row."""

from psycopg import Connection, sql

from workers.python_transformer import TransformerContext


def run(connection: Connection, context: TransformerContext) -> None:
    """One INSERT ... SELECT: the harness commits it."""
    connection.execute(
        sql.SQL(
            "INSERT INTO {} (id, run_id, transformer, workspace) SELECT id, %s, %s, %s FROM {}"
        ).format(context.output("Copied"), context.input("Things", "things")),
        (context.run_id, context.transformer, context.workspace),
    )
    print(f"copied into {context.output_schema}")
