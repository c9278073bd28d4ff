"""The plan's privileges and drops: revoke drift, grant what is missing, drop what is obsolete."""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter

from app.security.actual import Actual
from app.security.desired import MEMBER, Desired, Grant
from app.security.operations import ObjectName, Phase, Plan, Privileges, RoleDrop, SchemaSpec

Key = tuple[str, str]


def _on_view(grant: Grant) -> Key | None:
    return (grant.schema, grant.name) if grant.on == "table" else None


def plan_grants(
    plan: Plan,
    desired: Desired,
    actual: Actual,
    blocked: set[str],
    fresh: set[Key],
    absent: set[Key],
) -> None:
    """Revoke what managed roles hold beyond the model; grant what the model asks and is missing.

    Grants of views made now start empty; grants of roles left alone (outside the marker) or
    about to be dropped, and of views that cannot exist yet, are not touched.
    """
    held = _held(actual, fresh)
    if held == desired.grants:  # one pass over ~32,000 grants: nothing to revoke or grant
        return
    skipped = blocked | set(obsolete_roles(desired, actual))
    dropped = dropped_views(desired, actual)
    revokes = [
        g for g in held - desired.grants if g.grantee not in skipped and _on_view(g) not in dropped
    ]
    grants = [
        g for g in desired.grants - held
        if g.grantee not in skipped and g.name not in skipped and _on_view(g) not in absent
    ]  # fmt: skip
    for group in _grouped(revokes):
        plan.add(Phase.REVOKE, "revoke", describe(group.grants[0]), "not in the model", group)
    for group in _grouped(grants):
        plan.add(Phase.GRANT, "grant", describe(group.grants[0]), "the model asks for it", group)


def _held(actual: Actual, fresh: set[Key]) -> set[Grant]:
    """The grants the plan compares: only those of managed roles are ever revoked, whatever
    the catalog reader returned; those of views made now start empty. The catalog's own set
    when that is all of it (a no-op: no copy of ~32,000 grants)."""
    managed = {name for name, role in actual.roles.items() if role.managed}
    if not fresh and managed.issuperset(map(_grantee, actual.grants)):
        return actual.grants
    return {
        g for g in actual.grants
        if g.grantee in managed and not (fresh and _on_view(g) in fresh)
    }  # fmt: skip


_grantee = attrgetter("grantee")


def _grouped(grants: list[Grant]) -> list[Privileges]:
    """Grants on one object to one grantee together: one operation each."""
    groups: dict[tuple[str, ...], list[Grant]] = defaultdict(list)
    for g in sorted(grants):
        key = (g.on, g.schema, g.name, g.grantee) + ((g.privilege,) if g.on == "role" else ())
        groups[key].append(g)
    return [Privileges(tuple(group)) for group in groups.values()]


def describe(grant: Grant) -> str:
    """A grant in words, for plans and the audit."""
    if grant.on == "role":
        return f"{grant.grantee} member of {grant.name}" if grant.privilege == MEMBER else ""
    where = f"{grant.schema}.{grant.name}" if grant.schema else grant.name or "(the warehouse)"
    column = f"({grant.column})" if grant.column else ""
    return f"{grant.privilege} on {grant.on} {where}{column} to {grant.grantee}"


def obsolete_roles(desired: Desired, actual: Actual) -> list[str]:
    """Managed roles the model no longer has (the marker itself stays)."""
    return sorted(
        name for name, role in actual.roles.items()
        if role.managed and name not in desired.roles and name != desired.marker
    )  # fmt: skip


def dropped_views(desired: Desired, actual: Actual) -> set[Key]:
    """Views in schemas the sync created that no sink asks for any more."""
    return {
        key for key, rel in actual.relations.items()
        if key not in desired.views and rel.kind == "view" and actual.managed_schema(key[0])
    }  # fmt: skip


def plan_drops(plan: Plan, desired: Desired, actual: Actual) -> None:
    """Drop obsolete views, then emptied workspace schemas, then obsolete roles (last)."""
    dropped = dropped_views(desired, actual)
    for key in sorted(dropped):
        plan.add(Phase.DROP, "drop view", ".".join(key), "no longer sunk", ObjectName(*key))
    for schema in sorted(actual.schemas):
        if actual.managed_schema(schema) and schema not in desired.schemas:
            left = [k for k in actual.relations if k[0] == schema and k not in dropped]
            if schema.startswith("ws_") and not left:
                plan.add(Phase.DROP, "drop schema", schema, "workspace removed", SchemaSpec(schema))
            else:
                plan.pending.append(f"{schema}: no longer in the model; kept because it holds data")
    for role in obsolete_roles(desired, actual):
        plan.add(
            Phase.DROP, "drop role", role, "no longer in the model", RoleDrop(role, actual.user)
        )
