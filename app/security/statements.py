"""The SQL of each kind of operation, every identifier quoted."""

from __future__ import annotations

from app.security.actual import SCHEMA_COMMENT
from app.security.desired import MEMBER, Grant, RoleSpec, TableSpec, ViewSpec
from app.security.names import qualified, quote_ident, quote_literal

ROLE_LIMITS = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def role_attributes(spec: RoleSpec) -> str:
    """LOGIN or NOLOGIN, the connection limit and no special powers."""
    login = f"LOGIN CONNECTION LIMIT {spec.connection_limit}" if spec.login else "NOLOGIN"
    return f"{login} {ROLE_LIMITS}"


def create_role(spec: RoleSpec) -> str:
    """CREATE ROLE (a login role's password is added at apply time, never shown)."""
    return f"CREATE ROLE {quote_ident(spec.name)} {role_attributes(spec)}"


def alter_role(spec: RoleSpec) -> str:
    """ALTER ROLE back to the managed attributes."""
    return f"ALTER ROLE {quote_ident(spec.name)} {role_attributes(spec)}"


def set_password(role: str) -> str:
    """ALTER ROLE ... (the password is added at apply time)."""
    return f"ALTER ROLE {quote_ident(role)}"


def create_schema(name: str, purpose: str) -> str:
    """CREATE SCHEMA with the comment that marks it managed."""
    return (
        f"CREATE SCHEMA {quote_ident(name)}; COMMENT ON SCHEMA {quote_ident(name)}"
        f" IS {quote_literal(SCHEMA_COMMENT + purpose)}"
    )


def create_table(table: TableSpec) -> str:
    """CREATE TABLE of an output dataset, with its primary key."""
    columns = [
        f"{quote_ident(c.name)} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in table.columns
    ]
    keys = [quote_ident(c.name) for c in table.columns if c.primary_key]
    if keys:
        columns.append(f"PRIMARY KEY ({', '.join(keys)})")
    return f"CREATE TABLE {qualified(table.schema, table.name)} ({', '.join(columns)})"


def create_view(view: ViewSpec) -> str:
    """CREATE VIEW selecting exactly the declared columns."""
    columns = ", ".join(quote_ident(c) for c in view.columns)
    source = qualified(view.source_schema, view.source_table)
    return f"CREATE VIEW {qualified(view.schema, view.name)} AS SELECT {columns} FROM {source}"


def drop_view(schema: str, name: str) -> str:
    """DROP VIEW."""
    return f"DROP VIEW {qualified(schema, name)}"


def drop_role(role: str, admin: str) -> str:
    """Objects the role owns go to the admin, its privileges are revoked, then it is dropped."""
    quoted = quote_ident(role)
    return (
        f"REASSIGN OWNED BY {quoted} TO {quote_ident(admin)}; DROP OWNED BY {quoted};"
        f" DROP ROLE {quoted}"
    )


def _target(grant: Grant) -> str:
    if grant.on == "database":
        return f"DATABASE {quote_ident(grant.name)}"
    if grant.on == "schema":
        return f"SCHEMA {quote_ident(grant.name)}"
    if grant.on == "sequence":
        return f"SEQUENCE {qualified(grant.schema, grant.name)}"
    return f"TABLE {qualified(grant.schema, grant.name)}"


def _privileges(grants: list[Grant]) -> str:
    first = grants[0]
    if first.on == "column":
        return ", ".join(f"{g.privilege} ({quote_ident(g.column)})" for g in grants)
    return ", ".join(g.privilege for g in grants)


def grant(grants: list[Grant]) -> str:
    """GRANT privileges on one object to one grantee (or a role membership)."""
    first = grants[0]
    grantee = quote_ident(first.grantee)
    if first.on == "role":
        return f"GRANT {quote_ident(first.name)} TO {grantee}"
    if first.on == "default":
        return f"ALTER DEFAULT PRIVILEGES{_in(first)} GRANT {_privileges(grants)} ON {first.name} TO {grantee}"
    return f"GRANT {_privileges(grants)} ON {_target(first)} TO {grantee}"


def revoke(grants: list[Grant]) -> str:
    """REVOKE privileges on one object from one grantee (or a role membership)."""
    first = grants[0]
    grantee = quote_ident(first.grantee)
    if first.on == "role":
        return f"REVOKE {quote_ident(first.name)} FROM {grantee}"
    if first.on == "default":
        return f"ALTER DEFAULT PRIVILEGES{_in(first)} REVOKE {_privileges(grants)} ON {first.name} FROM {grantee}"
    return f"REVOKE {_privileges(grants)} ON {_target(first)} FROM {grantee}"


def _in(grant: Grant) -> str:
    return f" IN SCHEMA {quote_ident(grant.schema)}" if grant.schema else ""


def describe(grant: Grant) -> str:
    """A grant in words, for plans and the audit."""
    if grant.on == "role":
        return f"{grant.grantee} member of {grant.name}" if grant.privilege == MEMBER else ""
    where = f"{grant.schema}.{grant.name}" if grant.schema else grant.name
    column = f"({grant.column})" if grant.column else ""
    return f"{grant.privilege} on {grant.on} {where}{column} to {grant.grantee}"
