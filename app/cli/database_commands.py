"""Commands on the database: migrations, the dashboard role, and loading a model version."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from app.catalog.breaking import breaking_changes, breaking_guard
from app.catalog.dashboard import grant_dashboard, refresh_dashboard_grants
from app.catalog.overrides import activate_on_purpose
from app.catalog.retention import apply_retention, fail_interrupted
from app.catalog.schema import ENTITY_TABLES
from app.catalog.store import ActivationGuard, store_model
from app.cli.output import EXIT_OK, EXIT_PROBLEMS, Commands, fail, note, output
from app.db.engine import create_engine, database_url, driver_connection, open_engine
from app.db.migrate import current_revision, downgrade, new_revision, upgrade
from app.db.tables import VersionState
from app.ecosystem.limits import limits_of
from app.ecosystem.loader import Timings, load_directory
from app.ecosystem.model import Model
from app.security.dashboard import DASHBOARD_SECRET, dashboard_url, write_dashboard_secret
from app.settings import Settings


def register(commands: Commands) -> None:
    """Add `db ...` and `load`."""
    db = commands.add_parser("db", help="the control-plane database")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    up = db_commands.add_parser("upgrade", help="apply migrations (default: up to the newest)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=lambda args: _run(_upgrade(args.revision)))
    down = db_commands.add_parser("downgrade", help="revert migrations, e.g. `-1` or `base`")
    down.add_argument("revision")
    down.set_defaults(handler=lambda args: _run(_downgrade(args.revision)))
    revision = db_commands.add_parser(
        "revision", help="write a migration for what the table definitions changed (developers)"
    )
    revision.add_argument("--message", "-m", required=True)
    revision.set_defaults(handler=lambda args: _run(_revision(args.message)))
    grant = db_commands.add_parser(
        "grant-dashboard",
        help="create the read-only role for dashboards and the model export"
        " (ECOPLANE_DASHBOARD_ROLE, default ecoplane_dashboard)",
    )
    grant.add_argument(
        "--password-file", type=Path, required=True, help="file holding its password"
    )
    grant.set_defaults(handler=lambda args: _run(_grant(args.password_file)))
    load = commands.add_parser("load", help="validate, store and activate the model in a directory")
    load.add_argument("directory", type=Path, help="the model root")
    load.add_argument("--source", help="where the model comes from (default: the directory)")
    load.add_argument("--commit", help="the git commit of the model")
    load.add_argument(
        "--allow-breaking",
        action="store_true",
        help="activate it even when it breaks a consumer of the active version",
    )
    load.set_defaults(handler=lambda args: _run(_load(args)))
    activate = commands.add_parser(
        "activate",
        help="activate a stored version on purpose: one held back for breaking changes"
        " (override) or a superseded one (rollback)",
    )
    activate.add_argument("version", type=int, help="the model version id")
    activate.add_argument("--reason", required=True, help="why: recorded with the activation")
    activate.set_defaults(handler=lambda args: _run(_activate(args.version, args.reason)))


def _run(work: object) -> int:
    status: int = asyncio.run(work)  # type: ignore[arg-type]
    return status


async def _upgrade(revision: str) -> int:
    settings = Settings()
    async with open_engine(settings) as engine:
        await upgrade(engine, revision)
        note(f"database at revision {await current_revision(engine)}")
        if revision == "head" and await refresh_dashboard_grants(engine, settings.dashboard_role):
            note(f"role {settings.dashboard_role} can read the model and the records of the work")
    return EXIT_OK


async def _downgrade(revision: str) -> int:
    async with open_engine(Settings()) as engine:
        await downgrade(engine, revision)
        note(f"database at revision {await current_revision(engine)}")
    return EXIT_OK


async def _revision(message: str) -> int:
    async with open_engine(Settings()) as engine:
        await new_revision(engine, message, ENTITY_TABLES["columns"].metadata)
    note("wrote a migration under app/db/migrations/versions: review it before committing")
    return EXIT_OK


async def _grant(password_file: Path) -> int:
    try:
        password = password_file.read_text().strip()
    except OSError as error:
        return fail(f"cannot read {password_file}: {error.strerror}")
    if not password:
        return fail(f"{password_file} is empty")
    settings = Settings()
    url = await database_url(settings)
    if settings.secret_store == "local":  # where the local runner finds the model export's
        path = write_dashboard_secret(
            settings.data_dir, dashboard_url(url, settings.dashboard_role, password)
        )
        note(f"wrote the secret {DASHBOARD_SECRET} to {path}")
    engine = create_engine(url)
    try:
        await upgrade(engine)  # the role is granted the tables of the newest schema
        await grant_dashboard(engine, settings.dashboard_role, password)
    finally:
        await engine.dispose()
    note(f"role {settings.dashboard_role} can read the model and the records of the work")
    return EXIT_OK


async def _load(args: argparse.Namespace) -> int:
    settings = Settings()
    timings = Timings()
    directory: Path = args.directory
    note(f"reading {directory} ...")
    model = load_directory(directory, limits_of(settings), timings=timings)
    note(f"read {directory}: {model.errors} error(s), {model.warnings} warning(s)")
    allow = args.allow_breaking or settings.breaking_changes == "allow"
    async with open_engine(settings) as engine:
        await upgrade(engine)
        await fail_interrupted(engine)
        guard = None if allow or model.errors else await _breaking_guard(engine, model, args.commit)
        with tqdm(desc="storing", unit=" rows", unit_scale=True, disable=None, leave=False) as bar:

            def progress(table: str, rows: int) -> None:
                bar.set_postfix_str(table, refresh=False)
                bar.update(rows)

            stored = await store_model(
                engine, model, source=args.source or str(directory.resolve()),
                commit_sha=args.commit, progress=progress, guard=guard,
                activated_by="ecoplane load" + (" --allow-breaking" if args.allow_breaking else ""),
            )  # fmt: skip
        removed = await apply_retention(engine, settings.keep_versions)
    report = {
        "version": stored.id,
        "state": stored.state.value,
        "new": stored.created,
        "errors": model.errors,
        "warnings": model.warnings,
        "heldBack": stored.held_back,
        "counts": stored.counts,
        "timings": {**{k: round(v, 3) for k, v in timings.items()}, **stored.timings},
        "removedVersions": removed,
    }
    output([json.dumps(report, indent=2)])
    if stored.held_back:
        note(f"ecoplane: version {stored.id} is {stored.state.value}: {stored.held_back}")
        if stored.state is VersionState.REJECTED:
            note("to activate it anyway: ecoplane load --allow-breaking, or ecoplane activate")
    return EXIT_PROBLEMS if model.errors or stored.held_back else EXIT_OK


async def _breaking_guard(engine: AsyncEngine, model: Model, commit: str | None) -> ActivationGuard:
    """The guard that holds the model back when it breaks a consumer of the active version."""
    async with engine.connect() as handle:
        found = await breaking_changes(await driver_connection(handle), model)
    return breaking_guard(model, found, commit)


async def _activate(version_id: int, reason: str) -> int:
    async with open_engine(Settings()) as engine:
        await upgrade(engine)
        async with engine.connect() as handle:
            connection = await driver_connection(handle)
            kind = await activate_on_purpose(connection, version_id, by=_operator(), reason=reason)
    note(f"model version {version_id} is active ({kind.value})")
    return EXIT_OK


def _operator() -> str:
    """Who runs `ecoplane activate`: the user of this machine, as far as it is known."""
    try:
        return f"{getpass.getuser()} (ecoplane activate)"
    except (OSError, KeyError):
        return "ecoplane activate"
