"""The Postgres rendering of neutral operations, quoting and SCRAM, as data: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.ecosystem.coltypes import parse_type
from app.ecosystem.model import Model
from app.security.actual import Actual
from app.security.desired import (
    MEMBER,
    ColumnSpec,
    Grant,
    RoleSpec,
    TableSpec,
    ViewSpec,
    desired_state,
)
from app.security.operations import (
    Credentialing,
    ObjectName,
    Operation,
    Phase,
    Privileges,
    RoleDrop,
    SchemaSpec,
    Subject,
)
from app.security.plan import build_plan
from app.security.warehouses.postgres_scram import scram_verifier
from app.security.warehouses.postgres_sql import quote_ident, quote_literal, sql, statement
from app.security.warehouses.postgres_types import postgres_type

LIMITS = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
VIEW = ViewSpec("ws_a", "s__t", "raw", "s__t", ("id", 'we"ird'), "s.t")
TABLE = TableSpec(
    "out_x",
    "t",
    (
        ColumnSpec("id", parse_type("bigint"), False, True),
        ColumnSpec("tags", parse_type("array<varchar(8)>"), True, False),
        ColumnSpec("extra", parse_type("map<text,integer>"), True, False),
    ),
)
DEFAULTS = (
    Grant("default", "out_x", "TABLES", "", "INSERT", "dt_x"),
    Grant("default", "out_x", "TABLES", "", "SELECT", "dt_x"),
)
CASES: list[tuple[str, Subject, str]] = [
    ("create role", RoleSpec("dt_x", True, 5, "x"), f'CREATE ROLE "dt_x" LOGIN CONNECTION LIMIT 5 {LIMITS}'),
    ("alter role", RoleSpec("ws_a_read", False), f'ALTER ROLE "ws_a_read" NOLOGIN {LIMITS}'),
    ("set password", RoleSpec("dt_x", True, 5, "x"), 'ALTER ROLE "dt_x"'),
    ("create schema", SchemaSpec("ws_a", "views of a's"), 'CREATE SCHEMA "ws_a"; COMMENT ON SCHEMA "ws_a" IS \'ecoplane: views of a\'\'s\''),
    ("create table", TABLE, 'CREATE TABLE "out_x"."t" ("id" bigint NOT NULL, "tags" varchar(8)[], "extra" jsonb, PRIMARY KEY ("id"))'),
    ("create view", VIEW, 'CREATE VIEW "ws_a"."s__t" AS SELECT "id", "we""ird" FROM "raw"."s__t"'),
    ("replace view", VIEW, 'DROP VIEW "ws_a"."s__t"; CREATE VIEW "ws_a"."s__t" AS SELECT "id", "we""ird" FROM "raw"."s__t"'),
    ("grant", Privileges(DEFAULTS), 'ALTER DEFAULT PRIVILEGES IN SCHEMA "out_x" GRANT INSERT, SELECT ON TABLES TO "dt_x"'),
    ("revoke", Privileges((Grant("role", "", "ws_a_read", "", MEMBER, "dt_x"),)), 'REVOKE "ws_a_read" FROM "dt_x"'),
    ("grant", Privileges((Grant("column", "raw", "t", "c", "SELECT", "dt_x"),)), 'GRANT SELECT ("c") ON TABLE "raw"."t" TO "dt_x"'),
    ("drop view", ObjectName("ws_a", "old"), 'DROP VIEW "ws_a"."old"'),
    ("drop schema", SchemaSpec("ws_gone"), 'DROP SCHEMA "ws_gone"'),
    ("drop role", RoleDrop("dt_gone", "admin"), 'REASSIGN OWNED BY "dt_gone" TO "admin"; DROP OWNED BY "dt_gone"; DROP ROLE "dt_gone"'),
]  # fmt: skip


@pytest.mark.parametrize(("action", "subject", "expected"), CASES)
def test_each_operation_renders_as_the_sql_the_sync_sends(
    action: str, subject: Subject, expected: str
) -> None:
    operation = Operation(Phase.ROLES, action, "target", "reason", subject)
    assert sql(operation) == statement(operation) == expected


def test_a_new_password_is_shown_only_as_stars() -> None:
    spec = RoleSpec("dt_x", True, 5, "x")
    created = Operation(Phase.ROLES, "create role", "dt_x", "new transformer", spec, "x")
    assert "PASSWORD" not in sql(created)
    assert statement(created) == f"{sql(created)} PASSWORD '********'"


def test_an_operation_the_warehouse_cannot_render_is_refused_by_name() -> None:
    wrong = Operation(Phase.DROP, "drop role", "dt_x", "reason", RoleSpec("dt_x", True))
    with pytest.raises(ValueError, match="no SQL for drop role of RoleSpec"):
        sql(wrong)


def test_the_acme_plan_renders_model_types_as_postgres_types(acme_model: Model) -> None:
    secrets = Credentialing({}, datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=90))
    plan = build_plan(desired_state(acme_model), Actual(user="admin"), secrets)
    tables = [op for op in plan.operations if op.action == "create table"]
    assert tables
    for op in tables:
        assert isinstance(op.subject, TableSpec)
        for column in op.subject.columns:
            assert f"{quote_ident(column.name)} {postgres_type(str(column.type))}" in sql(op)
    assert all("PASSWORD" not in sql(op) for op in plan.operations)


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("plain", '"plain"'),
        ('a"b', '"a""b"'),
        ("with space", '"with space"'),
        ('x"; DROP ROLE postgres; --', '"x""; DROP ROLE postgres; --"'),
        ('""', '""""""'),
    ],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert quote_ident(name) == quoted


def test_quote_literal_and_nul() -> None:
    assert quote_literal("it's") == "'it''s'"
    assert quote_literal("a\\b'") == "E'a\\\\b'''"
    with pytest.raises(ValueError, match="NUL"):
        quote_ident("a\x00b")


def test_scram_verifier_is_what_postgres_stores() -> None:
    # a verifier computed by PostgreSQL 15 for password 'secret' with this salt
    salt = bytes(range(16))
    verifier = scram_verifier("secret", salt)
    assert verifier.startswith("SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$")
    assert scram_verifier("secret", salt) == verifier != scram_verifier("other", salt)
