"""The plan: the ordered operations that take the actual state to the desired one (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ecosystem.names import INGESTION_KEY
from app.security.actual import Actual, Relation
from app.security.desired import Desired, RoleSpec, ViewSpec
from app.security.operations import Credentialing, Operation, Phase, Plan, SchemaSpec
from app.security.plan_grants import plan_drops, plan_grants
from app.security.plan_tables import ColumnTypes, plan_tables
from app.security.views import expected_reads

__all__ = ["Credentialing", "Operation", "Phase", "Plan", "build_plan"]
Key = tuple[str, str]


def build_plan(
    desired: Desired, actual: Actual, secrets: Credentialing, column_type: ColumnTypes = str
) -> Plan:
    """The operations, in phase order: roles, schemas, tables, views, revokes, grants, drops.

    `column_type`: a model column type as the warehouse's catalog (`actual`) shows it, to
    compare raw tables with the model (the warehouse's `column_type`)."""
    plan = Plan(problems=list(desired.problems))
    blocked = _roles(plan, desired, actual, secrets)
    _schemas(plan, desired, actual)
    plan_tables(plan, desired, actual, column_type)
    fresh, absent = _views(plan, desired, actual)
    plan_grants(plan, desired, actual, blocked, fresh, absent)
    plan_drops(plan, desired, actual)
    plan.obsolete_secrets = sorted(set(secrets.inventory) - set(desired.credentials))
    plan.operations.sort(key=lambda op: op.phase)
    return plan


def _roles(plan: Plan, desired: Desired, actual: Actual, secrets: Credentialing) -> set[str]:
    """Create missing roles, repair drifted ones, set passwords; return roles left alone."""
    blocked: set[str] = set()
    for spec in desired.roles.values():
        found = actual.roles.get(spec.name)
        if found is None:
            reason = _new_role(spec)
            credential = spec.transformer if spec.login else None
            plan.add(Phase.ROLES, "create role", spec.name, reason, spec, credential)
        elif not found.managed and spec.name != desired.marker:
            plan.problems.append(
                f"role {spec.name} exists but is not managed by ecoplane: left alone"
            )
            blocked.add(spec.name)
        else:
            wanted = (spec.login, spec.connection_limit, False)
            if (found.login, found.connection_limit, found.powerful) != wanted:
                plan.add(Phase.ROLES, "alter role", spec.name, "attributes drifted", spec)
            why = _password_reason(spec, secrets)
            if why:
                plan.add(Phase.ROLES, "set password", spec.name, why, spec, spec.transformer)
    return blocked


def _new_role(spec: RoleSpec) -> str:
    if not spec.login:
        return "new managed role"
    return (
        "new ingestion" if (spec.transformer or "").startswith(INGESTION_KEY) else "new transformer"
    )


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
            plan.add(Phase.SCHEMAS, "create schema", name, purpose, SchemaSpec(name, purpose))


@dataclass(frozen=True, slots=True)
class _Source:
    """A view's source table as the plan sees it: its columns (None: not there, nor to be made)
    and, when it exists, the packed column numbers its views' reads are recorded by."""

    columns: frozenset[str] | None
    packed: dict[str, int] | None
    # worked out once for all its views alike (a source's views mostly expose the same
    # columns): the column tuples it has, and what a view exposing them must read
    fitting: set[tuple[str, ...]] = field(default_factory=set)
    reads: dict[tuple[tuple[str, ...], bool], tuple[int, ...] | None] = field(default_factory=dict)


def _source_of(desired: Desired, actual: Actual, key: Key) -> _Source:
    found = actual.relations.get(key)
    if found is not None:
        return _Source(frozenset(found.columns), found.packed())
    table = desired.tables.get(key)
    return _Source(frozenset(c.name for c in table.columns) if table else None, None)


def _views(plan: Plan, desired: Desired, actual: Actual) -> tuple[set[Key], set[Key]]:
    """Create or replace views; return the views made now and those that cannot exist yet.

    Each source table is looked at once (1,000 tables under 10,000 views)."""
    fresh: set[Key] = set()
    absent: set[Key] = set()
    sources: dict[Key, _Source] = {}
    for key, view in desired.views.items():
        at = (view.source_schema, view.source_table)
        source = sources.get(at)
        if source is None:
            source = sources[at] = _source_of(desired, actual, at)
        if not _can_exist(plan, source, view):
            absent.add(key)
            continue
        target, found = ".".join(key), actual.relations.get(key)
        if found is None:
            plan.add(Phase.VIEWS, "create view", target, f"sink {view.sink}", view)
            fresh.add(key)
        elif found.kind != "view":
            plan.problems.append(f"{target} exists and is not a view: left alone")
            absent.add(key)
        elif not _same_definition(found, source, view):
            plan.add(Phase.VIEWS, "replace view", target, "definition differs", view)
            fresh.add(key)
    return fresh, absent


def _same_definition(found: Relation, source: _Source, view: ViewSpec) -> bool:
    """Whether the view exposes the model's columns and reads only what it must (the rule is
    app/security/views.py's), what it must read worked out once per source and exposed
    columns (10,000 views of 1,000 sources)."""
    if found.columns != view.columns or source.packed is None:
        return False
    key = (view.columns, view.current)
    if key not in source.reads:
        source.reads[key] = expected_reads(source.packed, view)
    return found.reads == source.reads[key]


def _can_exist(plan: Plan, source: _Source, view: ViewSpec) -> bool:
    """Whether the view's source has its columns; if not, say why (pending or a problem)."""
    columns = source.columns
    if view.columns in source.fitting:
        return True
    if columns is not None and columns.issuperset(view.columns):
        source.fitting.add(view.columns)
        return True
    target, where = f"{view.schema}.{view.name}", f"{view.source_schema}.{view.source_table}"
    if columns is None:
        plan.pending.append(f"{target}: {where} does not exist yet")
        return False
    missing = [c for c in view.columns if c not in columns]
    plan.problems.append(
        f"{target}: {where} lacks declared column(s) {', '.join(missing)}; view not created"
    )
    return False
