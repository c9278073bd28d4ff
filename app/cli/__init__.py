"""The `ecoplane` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import (
    codeowners_commands,
    credential_commands,
    database_commands,
    ingest_commands,
    model_commands,
    run_commands,
    security_commands,
    service_commands,
    token_commands,
)
from app.cli.output import EXIT_UNREADABLE, QuietParser, fail
from app.ecosystem.loader import ModelUnreadableError
from app.errors import AppError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    given = list(sys.argv[1:] if argv is None else argv)
    quiet = given[:1] == ["credential"]  # its arguments may hold a password: never echoed
    parser = (QuietParser if quiet else argparse.ArgumentParser)(
        prog="ecoplane", description="The control plane of a data ecosystem."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    model_commands.register(commands)
    database_commands.register(commands)
    service_commands.register(commands)
    ingest_commands.register(commands)
    run_commands.register(commands)
    security_commands.register(commands)
    codeowners_commands.register(commands)
    credential_commands.register(commands)
    token_commands.register(commands)
    args = parser.parse_args(given)
    try:
        status: int = args.handler(args)
    except ModelUnreadableError as error:
        return fail(f"cannot read the model: {error}")
    except AppError as error:
        return fail(error.detail, EXIT_UNREADABLE)
    return status
