"""The plan: the ordered operations that take the actual state to the desired one (pure)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from app.security import statements as sql
from app.security.actual import Actual
from app.security.desired import Desired, Grant, RoleSpec, ViewSpec
from app.security.names import quote_ident
from app.security.secrets.base import SecretInfo
from app.security.views import same_definition

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


def build_plan(desired: Desired, actual: Actual, secrets: Credentialing) -> Plan:
    """The operations, in phase order: roles, schemas, tables, views, revokes, grants, drops."""
    plan = Plan(problems=list(desired.problems))
    blocked = _roles(plan, desired, actual, secrets)
    _schemas(plan, desired, actual)
    _tables(plan, desired, actual)
    fresh, absent = _views(plan, desired, actual)
    _grants(plan, desired, actual, blocked | set(_obsolete_roles(desired, actual)), fresh, absent)
    _drops(plan, desired, actual)
    plan.obsolete_secrets = sorted(set(secrets.inventory) - set(desired.credentials))
    plan.operations.sort(key=lambda op: op.phase)
    return plan


def _roles(plan: Plan, desired: Desired, actual: Actual, secrets: Credentialing) -> set[str]:
    """Create missing roles, repair drifted ones, set passwords; return roles left alone."""
    blocked: set[str] = set()
    for spec in desired.roles.values():
        found = actual.roles.get(spec.name)
        if found is None:
            reason = "new transformer" if spec.login else "new managed role"
            plan.operations.append(
                Operation(
                    Phase.ROLES,
                    "create role",
                    spec.name,
                    reason,
                    sql.create_role(spec),
                    spec.transformer if spec.login else None,
                )
            )
            continue
        if not found.managed and spec.name != desired.marker:
            plan.problems.append(
                f"role {spec.name} exists but is not managed by ecoplane: left alone"
            )
            blocked.add(spec.name)
            continue
        if (found.login, found.connection_limit, found.powerful) != (
            spec.login,
            spec.connection_limit,
            False,
        ):
            plan.operations.append(
                Operation(
                    Phase.ROLES, "alter role", spec.name, "attributes drifted", sql.alter_role(spec)
                )
            )
        why = _password_reason(spec, secrets)
        if why and spec.transformer:
            plan.operations.append(
                Operation(
                    Phase.ROLES,
                    "set password",
                    spec.name,
                    why,
                    sql.set_password(spec.name),
                    spec.transformer,
                )
            )
    return blocked


def _password_reason(spec: RoleSpec, secrets: Credentialing) -> str | None:
    if not spec.login or spec.transformer is None:
        return None
    info = secrets.inventory.get(spec.transformer)
    if info is None or not (info.current or info.pending):
        return "no stored credentials"
    if info.pending:
        return "resume an interrupted password change"
    if secrets.max_age is not None and (
        info.set_at is None or secrets.now - info.set_at > secrets.max_age
    ):
        return f"password older than {secrets.max_age.days} days"
    return None


def _schemas(plan: Plan, desired: Desired, actual: Actual) -> None:
    for name, purpose in desired.schemas.items():
        if name not in actual.schemas:
            plan.operations.append(
                Operation(
                    Phase.SCHEMAS, "create schema", name, purpose, sql.create_schema(name, purpose)
                )
            )


def _tables(plan: Plan, desired: Desired, actual: Actual) -> None:
    for key, table in desired.tables.items():
        if key not in actual.relations:
            plan.operations.append(
                Operation(
                    Phase.TABLES,
                    "create table",
                    ".".join(key),
                    "output dataset",
                    sql.create_table(table),
                )
            )


def _source_columns(desired: Desired, actual: Actual, view: ViewSpec) -> tuple[str, ...] | None:
    key = (view.source_schema, view.source_table)
    if key in actual.relations:
        return actual.relations[key].columns
    table = desired.tables.get(key)
    return tuple(c.name for c in table.columns) if table else None


def _views(
    plan: Plan, desired: Desired, actual: Actual
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Create or replace views; return the views made now and those that cannot exist yet."""
    fresh: set[tuple[str, str]] = set()
    absent: set[tuple[str, str]] = set()
    for key, view in desired.views.items():
        target = ".".join(key)
        columns = _source_columns(desired, actual, view)
        missing = [c for c in view.columns if columns is not None and c not in columns]
        if columns is None or missing:
            absent.add(key)
            if columns is None:
                plan.pending.append(
                    f"{target}: {view.source_schema}.{view.source_table} does not exist yet"
                )
            else:
                plan.problems.append(
                    f"{target}: {view.source_schema}.{view.source_table} lacks declared column(s) {', '.join(missing)}; view not created"
                )
            continue
        found = actual.relations.get(key)
        if found is None:
            plan.operations.append(
                Operation(
                    Phase.VIEWS, "create view", target, f"sink {view.sink}", sql.create_view(view)
                )
            )
            fresh.add(key)
        elif found.kind != "view":
            plan.problems.append(f"{target} exists and is not a view: left alone")
            absent.add(key)
        elif not same_definition(
            found, actual.relations.get((view.source_schema, view.source_table)), view
        ):
            statement = f"{sql.drop_view(*key)}; {sql.create_view(view)}"
            plan.operations.append(
                Operation(Phase.VIEWS, "replace view", target, "definition differs", statement)
            )
            fresh.add(key)
    return fresh, absent


def _grants(
    plan: Plan,
    desired: Desired,
    actual: Actual,
    skipped_roles: set[str],
    fresh: set[tuple[str, str]],
    absent: set[tuple[str, str]],
) -> None:
    def on_view(grant: Grant) -> tuple[str, str] | None:
        return (grant.schema, grant.name) if grant.on == "table" else None

    # only grants held by managed roles are ever revoked, whatever the catalog reader returned
    held = {g for g in actual.grants if on_view(g) not in fresh and _managed(actual, g.grantee)}
    revokes = [
        g
        for g in held - desired.grants
        if g.grantee not in skipped_roles and on_view(g) not in _dropped_views(desired, actual)
    ]
    grants = [
        g
        for g in desired.grants - held
        if g.grantee not in skipped_roles
        and on_view(g) not in absent
        and g.name not in skipped_roles
    ]
    for group in _grouped(revokes):
        plan.operations.append(
            Operation(
                Phase.REVOKE,
                "revoke",
                sql.describe(group[0]),
                "not in the model",
                sql.revoke(group),
            )
        )
    for group in _grouped(grants):
        plan.operations.append(
            Operation(
                Phase.GRANT,
                "grant",
                sql.describe(group[0]),
                "the model asks for it",
                sql.grant(group),
            )
        )


def _managed(actual: Actual, role: str) -> bool:
    found = actual.roles.get(role)
    return found is not None and found.managed


def _grouped(grants: list[Grant]) -> list[list[Grant]]:
    """Grants on one object to one grantee together: one statement each."""
    groups: dict[tuple[str, ...], list[Grant]] = defaultdict(list)
    for g in sorted(grants):
        key = (g.on, g.schema, g.name, g.grantee) + ((g.privilege,) if g.on == "role" else ())
        groups[key].append(g)
    return list(groups.values())


def _obsolete_roles(desired: Desired, actual: Actual) -> list[str]:
    return sorted(
        name
        for name, role in actual.roles.items()
        if role.managed and name not in desired.roles and name != desired.marker
    )


def _dropped_views(desired: Desired, actual: Actual) -> set[tuple[str, str]]:
    return {
        key
        for key, rel in actual.relations.items()
        if rel.kind == "view" and actual.managed_schema(key[0]) and key not in desired.views
    }


def _drops(plan: Plan, desired: Desired, actual: Actual) -> None:
    dropped = _dropped_views(desired, actual)
    for key in sorted(dropped):
        plan.operations.append(
            Operation(Phase.DROP, "drop view", ".".join(key), "no longer sunk", sql.drop_view(*key))
        )
    for schema in sorted(actual.schemas):
        if actual.managed_schema(schema) and schema not in desired.schemas:
            left = [k for k in actual.relations if k[0] == schema and k not in dropped]
            if schema.startswith("ws_") and not left:
                plan.operations.append(
                    Operation(
                        Phase.DROP,
                        "drop schema",
                        schema,
                        "workspace removed",
                        f"DROP SCHEMA {quote_ident(schema)}",
                    )
                )
            else:
                plan.pending.append(f"{schema}: no longer in the model; kept because it holds data")
    for role in _obsolete_roles(desired, actual):
        plan.operations.append(
            Operation(
                Phase.DROP,
                "drop role",
                role,
                "no longer in the model",
                sql.drop_role(role, actual.user),
            )
        )
