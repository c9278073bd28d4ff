"""`--check`, `--plan` and `--apply`, shared by the worker and `ecoplane security`."""

from __future__ import annotations

import json
import logging
import sys
from typing import Literal, TextIO

import asyncpg

from app.db.engine import database_url
from app.db.urls import asyncpg_dsn
from app.errors import AppError, DatabaseUnavailableError
from app.security.service import Outcome, apply_sync, plan_document, plan_sync, warehouse_sync
from app.security.sync import refusal
from app.settings import Settings

EXIT_CONVERGED, EXIT_FAILED, EXIT_CHANGES = 0, 1, 2
Mode = Literal["check", "plan", "apply"]
log = logging.getLogger(__name__)


async def run_security(
    mode: Mode, settings: Settings, *, force: bool = False, out: TextIO = sys.stdout
) -> int:
    """Run one mode; 0 converged (or applied and verified), 1 failure, 2 check found changes."""
    try:
        outcome = await _outcome(mode, settings, force)
    except AppError as error:
        log.error("security sync failed: %s", error.detail)
        print(f"security sync failed: {error.detail}", file=sys.stderr)
        return EXIT_FAILED
    if mode == "check":
        changes = len(outcome.plan.operations) + len(outcome.plan.obsolete_secrets)
        print(f"{changes} change(s) to apply" if changes else "converged", file=out)
        if outcome.plan.refused:  # an apply would fail: the check says so
            print(refusal(outcome.plan), file=sys.stderr)
            return EXIT_FAILED
        return EXIT_CHANGES if outcome.plan.changes else EXIT_CONVERGED
    print(json.dumps(plan_document(outcome), indent=2), file=out)
    return EXIT_CONVERGED


async def _outcome(mode: Mode, settings: Settings, force: bool) -> Outcome:
    try:
        control = await asyncpg.connect(asyncpg_dsn(await database_url(settings)))
    except (OSError, asyncpg.PostgresError) as error:
        raise DatabaseUnavailableError(
            f"cannot connect to the control-plane database: {type(error).__name__}"
        ) from None
    try:
        async with warehouse_sync(settings) as sync:
            if mode == "apply":
                return await apply_sync(control, sync, force=force)
            return await plan_sync(control, sync)
    finally:
        await control.close()
