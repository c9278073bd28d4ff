"""`ecoplane codeowners`: the CODEOWNERS file that gives each model file to its owners."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE, Commands, fail, output
from app.ecosystem.codeowners import RootPrefixError, codeowners, root_prefix
from app.ecosystem.loader import load_directory
from app.ecosystem.owners import FORGES


def register(commands: Commands) -> None:
    """Add codeowners."""
    command = commands.add_parser(
        "codeowners",
        help="print a CODEOWNERS file mapping each model file to the owners of its entities",
        description="Each model file is owned by the owners of the entities in it: a datastore "
        "or workspace by its team, a Team document by its zone, a GovernanceZone and the "
        "Ecosystem document by the Ecosystem. The model must validate without errors.",
    )
    command.add_argument("directory", type=Path, help="the model root")
    command.add_argument("--forge", choices=FORGES, default=None,
                         help="keep only this forge's identities and write its syntax "
                         "(default: every identity, in GitHub/GitLab syntax)")  # fmt: skip
    command.add_argument("--root-prefix", default="", metavar="PATH",
                         help="the model's folder in the repository (default: the root)")  # fmt: skip
    command.set_defaults(handler=_codeowners)


def _codeowners(args: argparse.Namespace) -> int:
    try:
        prefix = root_prefix(args.root_prefix)
    except RootPrefixError as error:
        return fail(str(error), EXIT_UNREADABLE)
    model = load_directory(args.directory)
    if model.errors:
        output(p.as_line() for p in model.problems if p.severity == "error")
        return fail(
            f"{args.directory} has {model.errors} validation error(s); no CODEOWNERS is written "
            "for a model that does not validate",
            EXIT_PROBLEMS,
        )
    output([codeowners(model, args.forge, prefix).rstrip("\n")])
    return EXIT_OK
