"""The sync: plan → apply (one transaction) → verify; credentials staged before the commit.

Warehouse-neutral: what is read, rendered and sent is the warehouse's (app/security/warehouses/)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.ecosystem.loader import collector_paused
from app.ecosystem.model import Model
from app.errors import AppError, ConflictError
from app.security.desired import MARKER, Desired, desired_state
from app.security.operations import Credentialing, Operation, Plan
from app.security.plan import build_plan
from app.security.secrets.base import Credentials, SecretInfo, SecretStore, new_password
from app.security.warehouses.base import Warehouse, WarehouseError

log = logging.getLogger(__name__)


class DropGuardError(ConflictError):
    """A sync would drop more roles than allowed."""

    type = "security-drop-guard"


class RawTablesRefusedError(ConflictError):
    """Raw tables that cannot follow the model: the rest was applied, these were not changed."""

    type = "raw-tables-refused"


def refusal(plan: Plan) -> str:
    """Why the sync fails when raw tables cannot follow the model, naming every column."""
    return (
        "the raw tables cannot follow the model (left as they are; the rest of the model was"
        " applied): " + "; ".join(plan.refused)
    )


class NotConvergedError(AppError):
    """Planning again right after apply still found changes."""

    status = 500
    type = "security-not-converged"


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """How the sync behaves: the marker, the drop guard, password age, connection limit."""

    marker: str = MARKER
    max_drops: int = 10
    max_age: timedelta | None = timedelta(days=90)
    connection_limit: int = 10
    role_prefix: str = ""


Committed = Callable[[Plan], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Applied:
    """What an applied sync did: its plan (already executed) and the verifying plan."""

    plan: Plan
    verified: Plan


class SecuritySync:
    """One warehouse (an admin session), one secret store, one configuration."""

    def __init__(self, warehouse: Warehouse, store: SecretStore, config: SyncConfig) -> None:
        self.warehouse = warehouse
        self.store = store
        self.config = config
        self._inventory: dict[str, SecretInfo] = {}

    def desired(self, target: Model | Desired) -> Desired:
        """The desired state of a model (a Desired is taken as it is)."""
        if isinstance(target, Desired):
            return target
        config = self.config
        return desired_state(target, config.marker, config.connection_limit, config.role_prefix)

    async def plan(self, target: Model | Desired) -> Plan:
        """The plan against the warehouse now; nothing is changed (a read-only transaction)."""
        async with self.warehouse.transaction("planning", readonly=True):
            return await self._plan(target)

    async def _plan(self, target: Model | Desired) -> Plan:
        # the ~300,000 objects of the desired and actual states are let go before the collector
        # resumes: resumed while they live, it would walk them all, and promote them to where
        # a full collection walks the whole model too
        with collector_paused():
            return await self._planned(target)

    async def _planned(self, target: Model | Desired) -> Plan:
        # the desired state is computed in a thread while the catalog queries wait; no task
        # holds a state as its result (a finished task lives on until the collector frees it)
        wanted = asyncio.get_running_loop().run_in_executor(None, self.desired, target)
        inventory = asyncio.ensure_future(self.store.inventory())  # small: its result may stay
        try:
            actual = await self.warehouse.inspect(self.config.marker)
        except BaseException:
            inventory.cancel()
            raise
        desired, self._inventory = await wanted, await inventory
        secrets = Credentialing(self._inventory, datetime.now(UTC), self.config.max_age)
        return build_plan(desired, actual, secrets, self.warehouse.column_type)

    async def apply(
        self, target: Model | Desired, *, force: bool = False, committed: Committed | None = None
    ) -> Applied:
        """Apply the plan in one transaction, promote and delete secrets after, then verify.

        `committed` is called with the plan right after its transaction commits (before the
        secrets are promoted, which may still fail): the audit records every committed change.
        """
        plan, verifiers = await self._apply(target, force)
        if not plan.changes:
            _refuse(plan)
            return Applied(plan, plan)  # nothing was sent: the plan itself is the verification
        if committed is not None and plan.operations:
            await committed(plan)
        for transformer in verifiers:
            await self.store.promote(transformer)
        for transformer in plan.obsolete_secrets:
            await self.store.delete(transformer)
        log.info("security sync applied %d operations", len(plan.operations))
        verified = await self.plan(target)
        if verified.changes:
            first = verified.operations[0] if verified.operations else None
            shown = self.warehouse.statement(first) if first is not None else "a secret"
            raise NotConvergedError(
                f"planning again after apply still finds {len(verified.operations)} operations,"
                f" the first: {shown}"
            )
        _refuse(plan)
        return Applied(plan, verified)

    async def _apply(self, target: Model | Desired, force: bool) -> tuple[Plan, dict[str, str]]:
        """Plan and execute inside one transaction; return the plan and the passwords set."""
        async with self.warehouse.transaction("applying"):
            await self.warehouse.lock(self.config.marker)
            plan = await self._plan(target)
            if plan.role_drops > self.config.max_drops and not force:
                raise DropGuardError(
                    f"the sync would drop {plan.role_drops} roles, more than the limit of "
                    f"{self.config.max_drops}; run it with force to drop them"
                )
            verifiers = await self._stage(plan.operations)
            if log.isEnabledFor(logging.DEBUG):  # as plans show them: a password only as ********
                for op in plan.operations:
                    shown = self.warehouse.statement(op)
                    log.debug("%s %s (%s): %s", op.action, op.target, op.reason, shown)
            await self.warehouse.execute(plan.operations, verifiers)
        return plan, verifiers

    async def _stage(self, operations: list[Operation]) -> dict[str, str]:
        """New (or interrupted) credentials kept as pending; their verifiers by transformer."""
        roles = {op.credential: op.target for op in operations if op.credential is not None}
        staged = await asyncio.gather(*(self._credentials(t, r) for t, r in roles.items()))
        passwords = dict(zip(roles, staged, strict=True))
        hashed = await asyncio.gather(
            *(asyncio.to_thread(self.warehouse.verifier, p) for p in passwords.values())
        )
        return dict(zip(passwords, hashed, strict=True))

    async def _credentials(self, transformer: str, role: str) -> str:
        known = self._inventory.get(transformer)
        pending = await self.store.pending(transformer) if known and known.pending else None
        if pending is not None and pending.username == role:
            return pending.password  # an interrupted change is finished with the same password
        place = self.warehouse.endpoint
        fresh = Credentials(role, new_password(), place.host, place.port, place.dbname)
        await self.store.stage(transformer, fresh)
        return fresh.password


def _refuse(plan: Plan) -> None:
    """Fail an applied sync whose plan refused raw tables (logged, with the columns)."""
    if plan.refused:
        log.error("security sync refused raw tables: %s", "; ".join(plan.refused))
        raise RawTablesRefusedError(refusal(plan))


__all__ = [
    "Applied",
    "DropGuardError",
    "NotConvergedError",
    "RawTablesRefusedError",
    "SecuritySync",
    "SyncConfig",
    "WarehouseError",
]
