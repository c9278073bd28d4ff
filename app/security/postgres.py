"""Postgres behind DbSecurityOperations: the catalog read in a few queries, a plan applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import asyncpg

from app.errors import AppError
from app.security.actual import Actual, Relation, RoleState
from app.security.desired import RAW_SCHEMA, Grant
from app.security.names import quote_literal
from app.security.operations import Operation
from app.security.statements import set_password

BATCH = 200  # statements per round trip
# for the rest of the sync's transaction (the passwords come last): no timeout cancels a password
# statement, and a superuser's session logs no failing statement (only a superuser may set that)
QUIET_PASSWORDS = (
    "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0;"
    " SELECT set_config('log_min_error_statement', 'panic', true)"
    " WHERE (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
)


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
SELECT c.oid, n.nspname, c.relname, c.relkind = 'v' AS is_view, a.columns, a.numbers
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT array_agg(attname::text ORDER BY attnum) AS columns, array_agg(attnum ORDER BY attnum) AS numbers
  FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) a
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND (n.nspname = $1 OR n.nspname LIKE 'ws\_%' OR n.nspname LIKE 'out\_%')
"""
# a view is known by what it exposes and what its rule reads (pg_depend: relation oid and
# column number, packed as oid * 10000 + column); far cheaper than deparsing 10,000 views
VIEW_READS = r"""
SELECT r.ev_class AS view, array_agg(DISTINCT d.refobjid::bigint * 10000 + d.refobjsubid ORDER BY d.refobjid::bigint * 10000 + d.refobjsubid) AS reads
FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname LIKE 'ws\_%' AND d.refobjid <> r.ev_class
GROUP BY r.ev_class
"""
GRANTS = """
SELECT g.kind, g.schema, g.name, g.col, g.privilege, r.rolname::text
FROM (
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
) g JOIN pg_roles r ON r.oid = g.grantee
WHERE NOT (g.kind = 'role' AND r.rolname = $2)  -- the marker's own memberships are not ours
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
        await self._relations(actual)
        managed = [oid for oid, name in by_oid.items() if actual.roles[name].managed]
        # rows are (on, schema, name, column, privilege, grantee): Grant's own fields, in order
        actual.grants = set(map(Grant._make, await db.fetch(GRANTS, managed, marker)))
        return actual

    async def _relations(self, actual: Actual) -> None:
        """Tables and views of raw, ws_* and out_* schemas, with what each view reads."""
        rows = await self.connection.fetch(RELATIONS, RAW_SCHEMA)
        reads = {r["view"]: tuple(r["reads"]) for r in await self.connection.fetch(VIEW_READS)}
        for row in rows:
            actual.relations[(row["nspname"], row["relname"])] = Relation(
                "view" if row["is_view"] else "table",
                tuple(row["columns"] or ()),
                tuple(row["numbers"] or ()),
                row["oid"],
                reads.get(row["oid"], ()),
            )

    async def execute(self, operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        """The operations in order, sent in batches (one round trip per batch, not per statement),
        then the passwords, each alone.

        The server logs a statement that fails (log_min_error_statement): a batch, which may fail
        for the data it meets, never holds a SCRAM verifier. A password statement runs only once
        every other statement has succeeded, on a role that exists by then, with no statement or
        lock timeout, and (when the admin may) with failing statements kept out of the log.
        An error names the batch's operations and the server's message, never a password.
        """
        for first in range(0, len(operations), BATCH):
            batch = operations[first : first + BATCH]
            sent = [op.sql for op in batch if not _only_a_password(op)]
            await self._send(";\n".join(sent), batch, first)
        passwords = [op for op in operations if op.credential is not None]
        if passwords:
            await self.connection.execute(QUIET_PASSWORDS)
        for op in passwords:
            assert op.credential is not None
            await self._send(_password(op.target, verifiers[op.credential]), [op], 0)

    async def _send(self, statements: str, batch: list[Operation], first: int) -> None:
        """One round trip; a failure as a WarehouseError naming the operations it held."""
        if not statements:
            return
        try:
            await self.connection.execute(statements)
        except asyncpg.PostgresError as error:
            where = f"{batch[0].action} {batch[0].target}"
            if len(batch) > 1:
                where = f"one of operations {first + 1}-{first + len(batch)} (from {where})"
            raise WarehouseError(
                f"{where} failed: {type(error).__name__} ({error.sqlstate}):"
                f" {_message(error, batch)}"
            ) from None


def _only_a_password(operation: Operation) -> bool:
    """A `set password` operation: its whole statement is the password, sent apart."""
    return operation.credential is not None and operation.sql == set_password(operation.target)


def _password(role: str, verifier: str) -> str:
    return f"{set_password(role)} PASSWORD {quote_literal(verifier)}"


def _message(error: asyncpg.PostgresError, batch: list[Operation]) -> str:
    """The server's message, unless it could quote a statement holding a verifier."""
    text = str(error)
    secret = any(op.credential for op in batch) and "SCRAM" in text
    return "(message withheld)" if secret else text
