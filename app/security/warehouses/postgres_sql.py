"""The Postgres SQL of each kind of operation, every identifier quoted."""

from __future__ import annotations

from app.security.actual import SCHEMA_COMMENT
from app.security.objects import Grant, RoleSpec, TableSpec, ViewSpec
from app.security.operations import (
    ColumnAdd,
    ObjectName,
    Operation,
    Privileges,
    RoleDrop,
    SchemaSpec,
)
from app.security.raw import BATCH_OUT
from app.security.warehouses.postgres_types import render_type

ROLE_LIMITS = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
REDACTED_PASSWORD = " PASSWORD '********'"


def quote_ident(name: str) -> str:
    """An SQL identifier, always double-quoted, embedded quotes doubled; NUL is refused."""
    if "\x00" in name:
        raise ValueError("an SQL identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """schema.name, both quoted."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def quote_literal(value: str) -> str:
    """An SQL string literal (standard_conforming_strings: only quotes are doubled)."""
    if "\x00" in value:
        raise ValueError("an SQL literal cannot contain a NUL character")
    if "\\" in value:  # E'' form: backslashes doubled too, whatever the server's setting
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"


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
    """CREATE TABLE of an output dataset or a raw table, with its primary key (and a raw
    table's fillfactor)."""
    columns = [
        f"{quote_ident(c.name)} {render_type(c.type)}{'' if c.nullable else ' NOT NULL'}"
        for c in table.columns
    ]
    keys = [quote_ident(c.name) for c in table.columns if c.primary_key]
    if keys:
        columns.append(f"PRIMARY KEY ({', '.join(keys)})")
    storage = f" WITH (fillfactor = {int(table.fillfactor)})" if table.fillfactor != 100 else ""
    return f"CREATE TABLE {qualified(table.schema, table.name)} ({', '.join(columns)}){storage}"


def add_column(change: ColumnAdd) -> str:
    """ALTER TABLE ... ADD COLUMN of a new nullable column of a raw table."""
    column = change.column
    return (
        f"ALTER TABLE {qualified(change.schema, change.table)}"
        f" ADD COLUMN {quote_ident(column.name)} {render_type(column.type)}"
    )


def create_view(view: ViewSpec) -> str:
    """CREATE VIEW selecting exactly the declared columns (of current rows, when asked)."""
    columns = ", ".join(quote_ident(c) for c in view.columns)
    source = qualified(view.source_schema, view.source_table)
    where = f" WHERE {quote_ident(BATCH_OUT)} IS NULL" if view.current else ""
    return (
        f"CREATE VIEW {qualified(view.schema, view.name)} AS SELECT {columns} FROM {source}{where}"
    )


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


def _privileges(grants: tuple[Grant, ...]) -> str:
    first = grants[0]
    if first.on == "column":
        return ", ".join(f"{g.privilege} ({quote_ident(g.column)})" for g in grants)
    return ", ".join(g.privilege for g in grants)


def _on_this_database(verb: str, grants: tuple[Grant, ...], grantee: str) -> str:
    """A grant on the warehouse's own database (named ''): its name is the server's to say."""
    to = "TO" if verb == "GRANT" else "FROM"
    statement = f"{verb} {_privileges(grants)} ON DATABASE %I {to} %I"
    arguments = f"{quote_literal(statement)}, current_database(), {quote_literal(grantee)}"
    return f"DO $ecoplane$ BEGIN EXECUTE format({arguments}); END $ecoplane$"


def grant(grants: tuple[Grant, ...]) -> str:
    """GRANT privileges on one object to one grantee (or a role membership)."""
    first = grants[0]
    grantee = quote_ident(first.grantee)
    if first.on == "database" and not first.name:
        return _on_this_database("GRANT", grants, first.grantee)
    if first.on == "role":
        return f"GRANT {quote_ident(first.name)} TO {grantee}"
    if first.on == "default":
        return f"ALTER DEFAULT PRIVILEGES{_in(first)} GRANT {_privileges(grants)} ON {first.name} TO {grantee}"
    return f"GRANT {_privileges(grants)} ON {_target(first)} TO {grantee}"


def revoke(grants: tuple[Grant, ...]) -> str:
    """REVOKE privileges on one object from one grantee (or a role membership)."""
    first = grants[0]
    grantee = quote_ident(first.grantee)
    if first.on == "database" and not first.name:
        return _on_this_database("REVOKE", grants, first.grantee)
    if first.on == "role":
        return f"REVOKE {quote_ident(first.name)} FROM {grantee}"
    if first.on == "default":
        return f"ALTER DEFAULT PRIVILEGES{_in(first)} REVOKE {_privileges(grants)} ON {first.name} FROM {grantee}"
    return f"REVOKE {_privileges(grants)} ON {_target(first)} FROM {grantee}"


def _in(grant: Grant) -> str:
    return f" IN SCHEMA {quote_ident(grant.schema)}" if grant.schema else ""


def sql(operation: Operation) -> str:
    """The operation's SQL, without a password (one is set apart, when applied)."""
    match (operation.action, operation.subject):
        case ("create role", RoleSpec() as spec):
            return create_role(spec)
        case ("alter role", RoleSpec() as spec):
            return alter_role(spec)
        case ("set password", RoleSpec() as spec):
            return set_password(spec.name)
        case ("create schema", SchemaSpec() as schema):
            return create_schema(schema.name, schema.purpose)
        case ("create table", TableSpec() as table):
            return create_table(table)
        case ("add column", ColumnAdd() as change):
            return add_column(change)
        case ("create view", ViewSpec() as view):
            return create_view(view)
        case ("replace view", ViewSpec() as view):
            return f"{drop_view(view.schema, view.name)}; {create_view(view)}"
        case ("grant", Privileges() as privileges):
            return grant(privileges.grants)
        case ("revoke", Privileges() as privileges):
            return revoke(privileges.grants)
        case ("drop view", ObjectName() as view):
            return drop_view(view.schema, view.name)
        case ("drop schema", SchemaSpec() as schema):
            return f"DROP SCHEMA {quote_ident(schema.name)}"
        case ("drop role", RoleDrop() as drop):
            return drop_role(drop.role, drop.heir)
    raise ValueError(f"no SQL for {operation.action} of {type(operation.subject).__name__}")


def statement(operation: Operation) -> str:
    """The SQL as shown in plans, logs and the audit: a password only as ********."""
    return sql(operation) + (REDACTED_PASSWORD if operation.credential else "")


def password(role: str, verifier: str) -> str:
    """ALTER ROLE ... PASSWORD with the SCRAM verifier (never the password itself)."""
    return f"{set_password(role)} PASSWORD {quote_literal(verifier)}"
