"""The `ecoplane` command line.

Commands are registered lazily: `ecoplane --help` lists them from COMMANDS (a light table), and
only the module of the command that runs is imported -- `ecoplane validate` does not pay for
the server stack (FastAPI, SQLAlchemy, the Kubernetes client) that `serve` or `db` need.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from app.cli.output import ENDING, EXIT_UNREADABLE, Commands, QuietParser, fail
from app.errors import AppError

# Every command: the module under app.cli that registers it, and its one-line help (the same
# text the module gives; tests/test_cli_commands.py checks both). In `--help` order.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("model_commands", "load and validate a model directory"),
    "diff": ("model_commands", "list the changes between two model directories"),
    "schema": ("model_commands", "print the JSON Schema of model documents"),
    "example": ("model_commands", "example models"),
    "db": ("database_commands", "the control-plane database"),
    "load": ("database_commands", "validate, store and activate the model in a directory"),
    "activate": (
        "database_commands",
        "activate a stored version on purpose: one held back for breaking changes (override) "
        "or a superseded one (rollback)",
    ),
    "serve": ("service_commands", "run the service (embedded database by default)"),
    "openapi": ("service_commands", "write the OpenAPI document (default openapi/openapi.json)"),
    "ingest": (
        "ingest_commands",
        "ingest a branch, tag or commit of the model repository (ECOPLANE_MODEL_REPO)",
    ),
    "run": (
        "run_commands",
        "run a transformer of the active model now, with the configured runner",
    ),
    "ingestion": (
        "run_commands",
        "ingest a datastore of the active model now (one batch), with the configured runner",
    ),
    "runs": ("run_commands", "the recorded runs, newest first"),
    "security": ("security_commands", "warehouse roles, views, grants, credentials"),
    "codeowners": (
        "codeowners_commands",
        "print a CODEOWNERS file mapping each model file to the owners of its entities",
    ),
    "credential": (
        "credential_commands",
        "source logins of data ingestions, in the secret store in use",
    ),
    "token": ("token_commands", "API tokens of the database (and ECOPLANE_TOKENS)"),
}


def command() -> NoReturn:
    """The `ecoplane` process: run the command line, then end (see output.Ending)."""
    ENDING.whole_process = True
    ENDING.exit(main())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    given = list(sys.argv[1:] if argv is None else argv)
    quiet = given[:1] == ["credential"]  # its arguments may hold a password: never echoed
    parser = (QuietParser if quiet else argparse.ArgumentParser)(
        prog="ecoplane", description="The control plane of a data ecosystem."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    register_commands(commands, chosen_command(given))
    args = parser.parse_args(given)
    # The loader's error, imported once the command's module is (light: no model types).
    from app.ecosystem.model_files import ModelUnreadableError

    try:
        status: int = args.handler(args)
    except ModelUnreadableError as error:
        return fail(f"cannot read the model: {error}")
    except AppError as error:
        return fail(error.detail, EXIT_UNREADABLE)
    return status


def chosen_command(given: Sequence[str]) -> str | None:
    """The command the arguments name (the first one that is not an option), if it is one."""
    word = next((arg for arg in given if not arg.startswith("-")), None)
    return word if word in COMMANDS else None


def register_commands(commands: Commands, chosen: str | None) -> None:
    """Add every command: the chosen one's module registers its commands in full (its module
    imported now), every other command is a name with its help, enough for `--help`."""
    module = COMMANDS[chosen][0] if chosen is not None else None
    for name, (owner, help_text) in COMMANDS.items():
        if owner != module:
            commands.add_parser(name, help=help_text, add_help=False)
        elif name == chosen_first(owner):
            importlib.import_module(f"app.cli.{owner}").register(commands)


def chosen_first(module: str) -> str:
    """The first command of a module in COMMANDS: where its commands are registered."""
    return next(name for name, (owner, _) in COMMANDS.items() if owner == module)
