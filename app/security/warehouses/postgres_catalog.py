"""The Postgres warehouse as its catalog tells it: its state in a few queries, whatever its size."""

from __future__ import annotations

import asyncpg

from app.security.actual import Actual, Relation, RoleState
from app.security.desired import RAW_SCHEMA, Grant
from app.security.warehouses.postgres_types import model_spelling

ROLES = """
SELECT r.oid, r.rolname, r.rolcanlogin, r.rolconnlimit, r.rolname = current_user AS me,
       r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls AS powerful,
       r.rolname = $1 OR EXISTS (
         SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
         WHERE m.member = r.oid AND g.rolname = $1) AS managed
FROM pg_roles r
"""
# the comments joined, not looked up by obj_description once per schema (2,000 schemas)
SCHEMAS = """
SELECT n.nspname, d.description AS comment
FROM pg_namespace n LEFT JOIN pg_description d
  ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
"""
# a table's types, not-null flags and primary key only where the sync compares them (the raw
# tables): half the array elements to decode, and no format_type for the ~100,000 columns of
# views and output tables. The key is read from the table's primary index in the same pass
# (asked per column, it was half of this query's time; as a query of its own, a round trip)
RELATIONS = r"""
SELECT c.oid, n.nspname, c.relname, c.relkind = 'v' AS is_view, a.columns, a.numbers,
       a.types, a.not_null, a.keys
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary AND n.nspname = $1
CROSS JOIN LATERAL (
  SELECT array_agg(attname::text ORDER BY attnum) AS columns,
         array_agg(attnum ORDER BY attnum) AS numbers,
         array_agg(format_type(atttypid, atttypmod) ORDER BY attnum) FILTER (WHERE n.nspname = $1) AS types,
         array_agg(attnotnull ORDER BY attnum) FILTER (WHERE n.nspname = $1) AS not_null,
         array_agg(attname::text) FILTER (WHERE attnum = ANY(i.indkey)) AS keys
  FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) a
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND (n.nspname = $1 OR n.nspname LIKE 'ws\_%' OR n.nspname LIKE 'out\_%')
"""
# a view is known by what it exposes and what its rule reads (pg_depend: relation oid and
# column number, packed as oid * 10000 + column); far cheaper than deparsing 10,000 views.
# Each view's few reads (of all its rules) are sorted apart: one sort of all 80,000 spilled
# to disk (work_mem)
VIEW_READS = r"""
SELECT c.oid AS view, ARRAY(
  SELECT DISTINCT d.refobjid::bigint * 10000 + d.refobjsubid
  FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
  WHERE r.ev_class = c.oid AND d.refobjid <> c.oid ORDER BY 1) AS reads
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relhasrules AND n.nspname LIKE 'ws\_%'
"""
# the managed roles' oids come as an array and are joined as a set: tested with `= ANY($1)`,
# a prepared statement's generic plan (from its sixth run on a connection) compared each of
# ~40,000 privileges with the ~2,000 oids one by one (85 ms against 55)
GRANTS = """
WITH managed AS (SELECT unnest($1::oid[]) AS oid)
SELECT g.kind, g.schema, g.name, g.col, g.privilege, r.rolname::text
FROM (
SELECT 'role' AS kind, '' AS schema, g.rolname::text AS name, '' AS col, 'MEMBER' AS privilege, m.member AS grantee
  FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member IN (SELECT oid FROM managed)
UNION ALL
SELECT 'database', '', '', '', a.privilege_type, a.grantee  -- '': the warehouse's own
  FROM pg_database d, aclexplode(d.datacl) a
  WHERE d.datname = current_database() AND a.grantee IN (SELECT oid FROM managed) AND a.grantee <> d.datdba
UNION ALL
SELECT 'schema', '', n.nspname, '', a.privilege_type, a.grantee
  FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.grantee IN (SELECT oid FROM managed) AND a.grantee <> n.nspowner
UNION ALL
SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, n.nspname, c.relname, '',
       a.privilege_type, a.grantee
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
  WHERE c.relacl IS NOT NULL AND a.grantee IN (SELECT oid FROM managed) AND a.grantee <> c.relowner
UNION ALL
SELECT 'column', n.nspname, c.relname, t.attname, a.privilege_type, a.grantee
  FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(t.attacl) a
  WHERE t.attacl IS NOT NULL AND a.grantee IN (SELECT oid FROM managed)
UNION ALL
SELECT 'default', coalesce(n.nspname, ''),
       CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                            WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
       '', a.privilege_type, a.grantee
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
  WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND a.grantee IN (SELECT oid FROM managed)
) g JOIN pg_roles r ON r.oid = g.grantee
WHERE NOT (g.kind = 'role' AND r.rolname = $2)  -- the marker's own memberships are not ours
"""
GRANT_FIELDS = f"""
SELECT array_agg(kind), array_agg(schema), array_agg(name), array_agg(col), array_agg(privilege),
       array_agg(rolname)
FROM ({GRANTS}) grants
"""


async def read_catalog(connection: asyncpg.Connection, marker: str) -> Actual:
    """The roles, schemas, relations (with what each view reads) and grants of managed roles."""
    actual = Actual(user="")
    by_oid: dict[int, str] = {}
    for row in await connection.fetch(ROLES, marker):
        by_oid[row["oid"]] = row["rolname"]
        if row["me"]:
            actual.user = row["rolname"]
        actual.roles[row["rolname"]] = RoleState(
            row["rolname"], row["rolcanlogin"], row["rolconnlimit"],
            row["managed"], row["powerful"],
        )  # fmt: skip
    managed = [oid for oid, name in by_oid.items() if actual.roles[name].managed]
    # (on, schema, name, column, privilege, grantee), Grant's own fields, as six arrays: tens
    # of thousands of grants are decoded in half the time of as many rows. Read before the
    # relations: its one row comes when the server is done, so a sync's desired state, made
    # in a thread meanwhile, keeps the GIL while the server works; the relations stream in
    # as they are read, and each piece of a stream waited for the GIL
    fields = await connection.fetchrow(GRANT_FIELDS, managed, marker)
    assert fields is not None  # an aggregate gives one row
    columns = (values or () for values in fields)  # no grants: six nulls
    actual.grants = set(map(Grant._make, zip(*columns, strict=True)))
    actual.schemas = {r["nspname"]: r["comment"] for r in await connection.fetch(SCHEMAS)}
    await _relations(connection, actual)
    return actual


async def _relations(connection: asyncpg.Connection, actual: Actual) -> None:
    """Tables and views of raw, ws_* and out_* schemas, with what each view reads."""
    rows = await connection.fetch(RELATIONS, RAW_SCHEMA)
    reads = {r["view"]: tuple(r["reads"]) for r in await connection.fetch(VIEW_READS)}
    none: frozenset[str] = frozenset()
    relations = actual.relations
    for oid, schema, name, is_view, columns, numbers, types, not_null, keys in rows:
        relations[(schema, name)] = Relation(
            "view" if is_view else "table",
            tuple(columns or ()),
            tuple(numbers or ()),
            oid,
            reads.get(oid, ()),
            tuple(map(model_spelling, types)) if types else (),
            tuple(not_null or ()),
            frozenset(keys) if keys else none,
        )
