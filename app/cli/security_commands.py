"""`ecoplane security plan|apply`: the security sync from the command line."""

from __future__ import annotations

import asyncio

from app.cli.output import Commands
from app.security.command import run_security
from app.settings import Settings


def register(commands: Commands) -> None:
    """Add `security plan` and `security apply`."""
    security = commands.add_parser("security", help="warehouse roles, views, grants, credentials")
    actions = security.add_subparsers(dest="security_command", required=True)
    plan = actions.add_parser("plan", help="what a sync would change now (JSON; nothing applied)")
    plan.set_defaults(handler=lambda args: asyncio.run(run_security("plan", Settings())))
    apply = actions.add_parser("apply", help="apply the plan in one transaction, then verify")
    apply.add_argument("--force", action="store_true", help="drop more roles than the guard allows")
    apply.set_defaults(
        handler=lambda args: asyncio.run(run_security("apply", Settings(), force=args.force))
    )
