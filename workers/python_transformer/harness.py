"""Import a transformer module and run it: `run(connection, context)` in one transaction, or `main()`.

A `run` module gets a psycopg connection opened from the libpq variables of the run
(PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD: the transformer's own role) and the run's
`TransformerContext`. The harness owns the transaction: `run` returning commits everything it
wrote, an exception rolls all of it back, prints the traceback and exits 1, so a failed run
leaves its output tables as they were. Inside `run`, `connection.commit()` is refused by
psycopg; nested `connection.transaction()` blocks are savepoints.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from workers.python_transformer.context import ContextError, TransformerContext

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
USAGE = "usage: python -m workers.python_transformer MODULE"


def main(argv: Sequence[str] | None = None) -> int:
    """Run MODULE's `run(connection, context)` or `main()`; the exit status of the run."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    name = args[0]
    try:
        module = importlib.import_module(name)
    except Exception:
        traceback.print_exc()
        print(f"cannot import the transformer module {name}", file=sys.stderr)
        return EXIT_FAILED
    run = getattr(module, "run", None)
    if callable(run):
        return run_in_transaction(name, run)
    entry = getattr(module, "main", None)
    if callable(entry):
        return call_main(name, entry)
    print(
        f"{name} defines neither run(connection, context) nor main(): nothing to run"
        " (see docs/transformers.md)",
        file=sys.stderr,
    )
    return EXIT_USAGE


def call_main(name: str, entry: Callable[[], Any]) -> int:
    """`main()`'s int return is the exit status; None (or anything else) is 0."""
    try:
        result = entry()
    except Exception:
        traceback.print_exc()
        print(f"{name}.main() failed", file=sys.stderr)
        return EXIT_FAILED
    return result if isinstance(result, int) and not isinstance(result, bool) else EXIT_OK


def run_in_transaction(
    name: str, run: Callable[[psycopg.Connection[Any], TransformerContext], Any]
) -> int:
    """Connect as the run's role, call `run` in one transaction, commit; roll back on failure."""
    try:
        context = TransformerContext.from_environment()
    except ContextError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        connection = psycopg.connect(_conninfo(context))
    except psycopg.Error as error:
        print(f"cannot connect to the warehouse as {_login()}: {error}", file=sys.stderr)
        return EXIT_FAILED
    with connection:
        try:
            with connection.transaction():
                run(connection, context)
        except Exception:
            traceback.print_exc()
            print(f"{name}.run failed: everything it wrote was rolled back", file=sys.stderr)
            return EXIT_FAILED
    print(f"{name}.run committed (run {context.run_id})")
    return EXIT_OK


def _conninfo(context: TransformerContext) -> str:
    """Everything from the PG* variables; the run's name in pg_stat_activity unless PGAPPNAME."""
    if os.environ.get("PGAPPNAME"):
        return ""
    return make_conninfo(application_name=f"ecoplane-{context.transformer}-{context.run_id}"[:63])


def _login() -> str:
    """user@host:port/database from the libpq variables (never the password)."""
    env = os.environ
    where = f"{env.get('PGHOST', 'localhost')}:{env.get('PGPORT', '5432')}"
    return f"{env.get('PGUSER', '?')}@{where}/{env.get('PGDATABASE', '?')}"
