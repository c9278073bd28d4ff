"""`ecoplane token create|list|revoke`: the API tokens of the database (beside ECOPLANE_TOKENS).

`create` prints the secret once (stdout, its one line) and stores only its sha256;
`create --entry` makes an ECOPLANE_TOKENS entry instead, without a database (the first token of
a deployment). Refusals (a name taken, a bad scope, team or lifetime) exit 1 with a WARNING line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import asyncpg

from app.catalog.owning_teams import checked_teams
from app.cli.output import EXIT_OK, EXIT_PROBLEMS, Commands, fail, note, output
from app.db.engine import create_engine, create_pool, database_url
from app.db.migrate import upgrade
from app.db.tokens import checked_request, create_token, list_tokens, revoke_token
from app.errors import AppError
from app.jobs.pooled import acquire
from app.logs import configure_logging
from app.settings import Settings, TokenEntry, new_token

log = logging.getLogger("ecoplane.auth")
LISTED = 10_000  # `token list` shows this many at most


def register(commands: Commands) -> None:
    """Add `token create`, `token list` and `token revoke`."""
    token = commands.add_parser("token", help="API tokens of the database (and ECOPLANE_TOKENS)")
    actions = token.add_subparsers(dest="token_command", required=True)
    create = actions.add_parser(
        "create", help="a new token in the database; its secret is printed once"
    )
    create.add_argument("--name", required=True, help="unique, never reused")
    create.add_argument(
        "--scope", action="append", choices=("read", "operate", "admin"), required=True
    )
    create.add_argument("--expires-in", help="e.g. 30d, 12h, 90m, 2w; default: never expires")
    create.add_argument(
        "--team", action="append", default=[], metavar="ZONE/TEAM",
        help="may start runs and ingestions only of this team's (repeat for several)",
    )  # fmt: skip
    create.add_argument(
        "--entry", action="store_true",
        help="print an ECOPLANE_TOKENS entry instead of storing it (no database: a first token)",
    )  # fmt: skip
    create.set_defaults(handler=_create)
    listed = actions.add_parser("list", help="the database's tokens (never a secret)")
    listed.add_argument("--format", choices=("text", "json"), default="text")
    listed.set_defaults(handler=lambda args: _run(lambda db: _list(db, args.format)))
    revoke = actions.add_parser("revoke", help="refuse a token from now on (every replica)")
    revoke.add_argument("name", help="the token's name")
    revoke.set_defaults(handler=lambda args: _run(lambda db: _revoke(db, args.name)))


def _by() -> str:
    return f"cli:{getpass.getuser()}"


def _run(command: Callable[[asyncpg.Connection], Awaitable[int]]) -> int:
    """Run a command on the migrated database; a refusal is exit 1 with its message."""
    if not logging.getLogger().handlers:
        configure_logging()

    async def run() -> int:
        url = await database_url(Settings())
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        pool = await create_pool(url, size=1)
        try:
            async with acquire(pool) as connection:
                return await command(connection)
        finally:
            await pool.close()

    try:
        return asyncio.run(run())
    except AppError as error:
        log.warning("token command refused: %s", error.detail)
        return fail(error.detail, EXIT_PROBLEMS)


def _create(args: argparse.Namespace) -> int:
    if args.entry:
        if args.team or args.expires_in:
            return fail("--entry makes an ECOPLANE_TOKENS entry: it has no --team or --expires-in")
        return _entry(args.name, args.scope)
    return _run(lambda db: _store(db, args))


def _entry(name: str, scopes: list[Any]) -> int:
    token = new_token()
    note("the token (shown once; keep it secret):")
    output([token])
    note("its entry for ECOPLANE_TOKENS (a JSON list of such entries):")
    output([json.dumps(TokenEntry.of(name, token, scopes).model_dump())])
    return EXIT_OK


async def _store(db: asyncpg.Connection, args: argparse.Namespace) -> int:
    request = checked_request(args.name, args.scope, args.team, args.expires_in)
    await checked_teams(db, request.teams)
    configured = {entry.name for entry in Settings().tokens}
    token, secret = await create_token(db, request, _by(), configured)
    log.info("token %s created by %s", token.name, _by(), extra={"token": token.name})
    note(f"token {token.name} created; its secret (shown once, keep it secret):")
    output([secret])
    note(_text(asdict(token)))
    return EXIT_OK


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _when(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M}"


def _text(row: dict[str, Any]) -> str:
    """One token on one line: name, scopes, teams, state, expiry, last use, creator."""
    now = datetime.now(UTC)
    if row["revoked_at"] is not None:
        state = "revoked"
    elif row["expires_at"] is not None and row["expires_at"] <= now:
        state = "expired"
    else:
        state = "active"
    return (
        f"{row['name']:<28} {','.join(row['scopes']):<20} {','.join(row['teams']) or '*':<28}"
        f" {state:<8} expires {_when(row['expires_at']):<16} used {_when(row['last_used_at']):<16}"
        f" by {row['created_by']}"
    )


async def _list(db: asyncpg.Connection, form: str) -> int:
    found = (await list_tokens(db, None, LISTED))[:LISTED]
    if form == "json":
        output([json.dumps([{k: _shown(v) for k, v in row.items()} for row in found], indent=2)])
        return EXIT_OK
    output(_text(row) for row in found)
    return EXIT_OK


async def _revoke(db: asyncpg.Connection, name: str) -> int:
    token = await revoke_token(db, name, _by())
    log.info("token %s revoked by %s", name, _by(), extra={"token": name})
    output([f"token {name} revoked at {token.revoked_at:%Y-%m-%d %H:%M:%S%z}"])
    return EXIT_OK
