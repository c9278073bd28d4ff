"""Writes a row, then fails: the harness must roll the row back."""

from psycopg import Connection, sql

from workers.python_transformer import TransformerContext


def run(connection: Connection, context: TransformerContext) -> None:
    """Write, then raise."""
    connection.execute(
        sql.SQL("INSERT INTO {} (id, run_id) VALUES (999, %s)").format(context.output("copied")),
        (context.run_id,),
    )
    raise RuntimeError("the second step broke")
