"""A plan as data: ordered warehouse-neutral operations with their reasons, pending views and problems.

An operation names what it does (`action`) to which object (`subject`); the warehouse renders it
(app/security/warehouses/): the plan itself holds no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from app.security.objects import ColumnSpec, Grant, RoleSpec, TableSpec, ViewSpec
from app.security.secrets.base import SecretInfo


class Phase(IntEnum):
    ROLES = 1
    SCHEMAS = 2
    TABLES = 3
    VIEWS = 4
    REVOKE = 5
    GRANT = 6
    DROP = 7


@dataclass(frozen=True, slots=True)
class SchemaSpec:
    """A schema, with what it is for (empty when it is dropped)."""

    name: str
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class ObjectName:
    """A table or view by schema and name."""

    schema: str
    name: str


@dataclass(frozen=True, slots=True)
class Privileges:
    """Grants on one object to one grantee (or one role membership), changed together."""

    grants: tuple[Grant, ...]


@dataclass(frozen=True, slots=True)
class RoleDrop:
    """A role to drop; what it owns goes to `heir` (the sync's admin) first."""

    role: str
    heir: str


@dataclass(frozen=True, slots=True)
class ColumnAdd:
    """A new nullable column of a raw table."""

    schema: str
    table: str
    column: ColumnSpec


# create/alter role and set password: RoleSpec; create/drop schema: SchemaSpec; create table:
# TableSpec; add column: ColumnAdd; create/replace view: ViewSpec; drop view: ObjectName;
# grant/revoke: Privileges; drop role: RoleDrop
Subject = (
    RoleSpec | SchemaSpec | TableSpec | ColumnAdd | ViewSpec | ObjectName | Privileges | RoleDrop
)


@dataclass(frozen=True, slots=True)
class Operation:
    """One step of a plan: what, to what, and why (a new password is set only when applied)."""

    phase: Phase
    action: str
    target: str
    reason: str
    subject: Subject
    credential: str | None = None  # the transformer whose new password this sets


@dataclass(slots=True)
class Plan:
    """Operations in order, plus what is pending, what is wrong, and secrets to delete.

    `refused`: raw tables that cannot follow the model (a type change, a new not-null column,
    a changed key, a change of milestoning...), each naming the columns: nothing of such a
    table changes, the rest of the plan is applied, and the sync then fails saying so.
    """

    operations: list[Operation] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    obsolete_secrets: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """Whether anything is to be done."""
        return bool(self.operations or self.obsolete_secrets)

    def add(
        self,
        phase: Phase,
        action: str,
        target: str,
        reason: str,
        subject: Subject,
        credential: str | None = None,
    ) -> None:
        """Append an operation."""
        self.operations.append(Operation(phase, action, target, reason, subject, credential))

    @property
    def role_drops(self) -> int:
        """How many roles the plan drops."""
        return sum(1 for op in self.operations if op.action == "drop role")


@dataclass(frozen=True, slots=True)
class Credentialing:
    """What the plan needs to know of secrets: the store's inventory, now and the maximum age."""

    inventory: dict[str, SecretInfo]
    now: datetime
    max_age: timedelta | None
