"""Acme's python-code transformers: each module exposes `run(connection, context)`.

The harness (`python -m workers.python_transformer <module>`) calls `run` inside one
transaction on a psycopg 3 connection logged in as the transformer's own role; `context`
names the transformer's inputs (`context.input(datastore, dataset)`, a view of its workspace)
and outputs (`context.output(dataset)`, a table of its output schema).
"""
