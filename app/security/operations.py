"""A plan as data: ordered operations with their reasons, pending views and problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from app.security.secrets.base import SecretInfo

REDACTED_PASSWORD = " PASSWORD '********'"


class Phase(IntEnum):
    ROLES = 1
    SCHEMAS = 2
    TABLES = 3
    VIEWS = 4
    REVOKE = 5
    GRANT = 6
    DROP = 7


@dataclass(frozen=True, slots=True)
class Operation:
    """One step of a plan: what, why, and its SQL (a password is added only when applied)."""

    phase: Phase
    action: str
    target: str
    reason: str
    sql: str
    credential: str | None = None  # the transformer whose new password this sets

    @property
    def statement(self) -> str:
        """The SQL as shown in plans, logs and the audit: a password only as ********."""
        return self.sql + (REDACTED_PASSWORD if self.credential else "")


@dataclass(slots=True)
class Plan:
    """Operations in order, plus what is pending, what is wrong, and secrets to delete."""

    operations: list[Operation] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    obsolete_secrets: list[str] = field(default_factory=list)

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
        sql: str,
        credential: str | None = None,
    ) -> None:
        """Append an operation."""
        self.operations.append(Operation(phase, action, target, reason, sql, credential))

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
