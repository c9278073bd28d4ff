"""Postgres behind DbSecurityOperations: the catalog read in a few queries, a plan applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import asyncpg

from app.errors import AppError
from app.security.actual import Actual, Relation, RoleState
from app.security.desired import MEMBER, RAW_SCHEMA, Grant
from app.security.names import quote_literal
from app.security.plan import Operation


class WarehouseError(AppError):
    """The warehouse refused a statement or could not be read."""

    status = 503
    type = "warehouse-error"


class DbSecurityOperations(Protocol):
    """What the sync needs of a database: read its state, apply operations (in a transaction)."""

    async def inspect(self, marker: str) -> Actual:
        """The roles, schemas, relations and privileges of managed roles, as they are."""
        ...

    async def execute(self, operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        """Run the operations in order (passwords as SCRAM verifiers, by transformer)."""
        ...


ROLES = """
SELECT r.oid, r.rolname, r.rolcanlogin, r.rolconnlimit,
       r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls AS powerful,
       r.rolname = $1 OR EXISTS (
         SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
         WHERE m.member = r.oid AND g.rolname = $1) AS managed
FROM pg_roles r
"""
SCHEMAS = "SELECT nspname, obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace"
RELATIONS = r"""
SELECT n.nspname, c.relname, c.relkind = 'v' AS is_view,
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS definition,
       array(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND (n.nspname = $1 OR n.nspname LIKE 'ws\_%' OR n.nspname LIKE 'out\_%')
"""
GRANTS = """
SELECT 'role' AS kind, '' AS schema, g.rolname::text AS name, '' AS col, 'MEMBER' AS privilege, m.member AS grantee
  FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = ANY($1)
UNION ALL
SELECT 'database', '', d.datname, '', a.privilege_type, a.grantee
  FROM pg_database d, aclexplode(d.datacl) a
  WHERE d.datname = current_database() AND a.grantee = ANY($1) AND a.grantee <> d.datdba
UNION ALL
SELECT 'schema', '', n.nspname, '', a.privilege_type, a.grantee
  FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.grantee = ANY($1) AND a.grantee <> n.nspowner
UNION ALL
SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, n.nspname, c.relname, '',
       a.privilege_type, a.grantee
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
  WHERE c.relacl IS NOT NULL AND a.grantee = ANY($1) AND a.grantee <> c.relowner
UNION ALL
SELECT 'column', n.nspname, c.relname, t.attname, a.privilege_type, a.grantee
  FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(t.attacl) a
  WHERE t.attacl IS NOT NULL AND a.grantee = ANY($1)
UNION ALL
SELECT 'default', coalesce(n.nspname, ''),
       CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                            WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
       '', a.privilege_type, a.grantee
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
  WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND a.grantee = ANY($1)
"""


class PostgresSecurity:
    """DbSecurityOperations on one asyncpg connection (the caller holds the transaction)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def inspect(self, marker: str) -> Actual:
        """The warehouse's state in five catalog queries, whatever the number of objects."""
        try:
            return await self._inspect(marker)
        except asyncpg.PostgresError as error:
            raise WarehouseError(f"reading the warehouse catalog failed: {error}") from error

    async def _inspect(self, marker: str) -> Actual:
        db = self.connection
        actual = Actual(user=await db.fetchval("SELECT current_user"))
        by_oid: dict[int, str] = {}
        for row in await db.fetch(ROLES, marker):
            by_oid[row["oid"]] = row["rolname"]
            actual.roles[row["rolname"]] = RoleState(
                row["rolname"], row["rolcanlogin"], row["rolconnlimit"],
                row["managed"], row["powerful"],
            )  # fmt: skip
        actual.schemas = {r["nspname"]: r["comment"] for r in await db.fetch(SCHEMAS)}
        for row in await db.fetch(RELATIONS, RAW_SCHEMA):
            kind = "view" if row["is_view"] else "table"
            actual.relations[(row["nspname"], row["relname"])] = Relation(
                kind, tuple(row["columns"]), row["definition"]
            )
        managed = [oid for oid, name in by_oid.items() if actual.roles[name].managed]
        for row in await db.fetch(GRANTS, managed):
            actual.grants.add(
                Grant(row["kind"], row["schema"], row["name"], row["col"], row["privilege"],
                      by_oid[row["grantee"]])
            )  # fmt: skip
        actual.grants = {g for g in actual.grants if not _marker_itself(g, marker)}
        return actual

    async def execute(self, operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        """Each operation's SQL in order; an error names the operation, never a password."""
        for operation in operations:
            statement = operation.sql
            if operation.credential is not None:
                verifier = verifiers[operation.credential]
                statement += f" PASSWORD {quote_literal(verifier)}"
            try:
                await self.connection.execute(statement)
            except asyncpg.PostgresError as error:
                raise WarehouseError(
                    f"{operation.action} {operation.target} failed: {type(error).__name__}"
                    f" ({error.sqlstate}): {_message(error, operation)}"
                ) from None


def _marker_itself(grant: Grant, marker: str) -> bool:
    return grant.on == "role" and grant.grantee == marker and grant.privilege == MEMBER


def _message(error: asyncpg.PostgresError, operation: Operation) -> str:
    """The server's message, unless it could quote the statement (it may hold a verifier)."""
    text = str(error)
    return "(message withheld)" if operation.credential and "SCRAM" in text else text
