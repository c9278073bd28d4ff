"""Tries to commit by itself: the one transaction belongs to the harness."""

from psycopg import Connection, sql

from workers.python_transformer import TransformerContext


def run(connection: Connection, context: TransformerContext) -> None:
    """Write, then commit (refused)."""
    connection.execute(
        sql.SQL("INSERT INTO {} (id, run_id) VALUES (998, %s)").format(context.output("copied")),
        (context.run_id,),
    )
    connection.commit()
