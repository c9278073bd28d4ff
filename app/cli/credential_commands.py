"""`ecoplane credential set|list|delete`: the source logins of data ingestions, kept in the secret
store in use (`ECOPLANE_SECRET_STORE`). A password is read from a file or stdin, never from the
command line (shell history, `ps`), and never printed or logged."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from app.cli.output import EXIT_OK, EXIT_PROBLEMS, Commands, QuietParser, fail, output
from app.logs import configure_logging
from app.security.secrets.base import SecretStoreError
from app.security.secrets.factory import source_logins
from app.security.secrets.source_logins import (
    MAX_PASSWORD_BYTES,
    SourceLoginError,
    SourceLogins,
    checked_login,
)
from app.settings import Settings

log = logging.getLogger("ecoplane.credentials")


class _NoPassword(argparse.Action):
    """`--password` is refused without echoing its value (argparse would print it)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            "--password is not accepted (shell history and `ps` would keep it): give"
            " --password-file FILE, or --password-file - to read it from stdin"
        )


def register(commands: Commands) -> None:
    """Add `credential set`, `credential list` and `credential delete`."""
    credential = commands.add_parser(
        "credential", help="source logins of data ingestions, in the secret store in use"
    )
    actions = credential.add_subparsers(
        dest="credential_command", required=True, parser_class=QuietParser
    )
    put = actions.add_parser(
        "set",
        allow_abbrev=False,  # `--password` must not pass for `--password-file`
        help="store the source login a datastore's ingestion.credential names",
    )
    put.add_argument("name", help="the credential's name, as ingestion.credential gives it")
    put.add_argument("--user", required=True, help="the user the source is read as")
    put.add_argument(
        "--password-file",
        required=True,
        help=f"a file holding the password (one trailing newline dropped, at most"
        f" {MAX_PASSWORD_BYTES} bytes), or - to read it from stdin",
    )
    put.add_argument("--password", nargs="?", action=_NoPassword, help=argparse.SUPPRESS)
    put.set_defaults(handler=lambda args: _run(lambda logins: _set(logins, args)))
    listed = actions.add_parser("list", help="the stored source logins: names, users, store")
    listed.add_argument("--format", choices=("text", "json"), default="text")
    listed.set_defaults(handler=lambda args: _run(lambda logins: _list(logins, args.format)))
    delete = actions.add_parser("delete", help="forget a source login")
    delete.add_argument("name", help="the credential's name")
    delete.set_defaults(handler=lambda args: _run(lambda logins: _delete(logins, args.name)))


def _run(command: Callable[[SourceLogins], Awaitable[int]]) -> int:
    """Run a command on the store in use; a refusal is exit 1 with its message."""
    if not logging.getLogger().handlers:
        configure_logging()

    async def run() -> int:
        logins = source_logins(Settings())
        try:
            return await command(logins)
        finally:
            await logins.close()

    try:
        return asyncio.run(run())
    except SecretStoreError as error:
        log.warning("credential command refused: %s", error.detail)
        return fail(error.detail, EXIT_PROBLEMS)


def _password(source: str) -> bytes:
    """At most the bound and a little more (so a larger file is found too large)."""
    limit = MAX_PASSWORD_BYTES + 3
    if source == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with Path(source).open("rb") as file:
            return file.read(limit)
    except OSError as error:
        raise SourceLoginError(
            f"cannot read the password file {source}: {error.strerror or type(error).__name__}"
        ) from None


async def _set(logins: SourceLogins, args: argparse.Namespace) -> int:
    name, user = args.name, args.user
    login = checked_login(name, user, _password(args.password_file))
    await logins.put(login)
    secret = logins.secret(name)
    log.info(
        "source login of credential %s stored in the %s secret store (%s, user %s)",
        name, logins.store, secret, user,
        extra={"credential": name, "store": logins.store, "secret": secret},
    )  # fmt: skip
    output([f"credential {name}: user {user} stored in the {logins.store} secret store ({secret})"])
    return EXIT_OK


async def _list(logins: SourceLogins, form: str) -> int:
    found = await logins.logins()
    if form == "json":
        shown = [
            {"credential": s.credential, "user": s.user, "store": logins.store,
             "secret": s.secret, "setAt": s.set_at.isoformat() if s.set_at else None}
            for s in found
        ]  # fmt: skip
        output([json.dumps(shown, indent=2)])
        return EXIT_OK
    output(
        f"{s.credential:<32} {s.user:<24} {logins.store:<10} {s.secret}  "
        + (f"{s.set_at:%Y-%m-%d %H:%M:%S}" if s.set_at else "-")
        for s in found
    )
    return EXIT_OK


async def _delete(logins: SourceLogins, name: str) -> int:
    if not await logins.delete(name):
        log.warning("no source login of credential %s to delete in the %s secret store", name,
                    logins.store, extra={"credential": name, "store": logins.store})  # fmt: skip
        return fail(f"no source login for credential {name!r} in the {logins.store} secret store",
                    EXIT_PROBLEMS)  # fmt: skip
    log.info("source login of credential %s deleted from the %s secret store", name,
             logins.store, extra={"credential": name, "store": logins.store})  # fmt: skip
    output([f"credential {name}: deleted from the {logins.store} secret store"])
    return EXIT_OK
