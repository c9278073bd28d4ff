"""The setting chooses the kind of warehouse; Postgres is the one there is."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.security.secrets.base import Credentials
from app.security.warehouses.factory import warehouse_kind
from app.security.warehouses.postgres import PostgresKind
from app.settings import Settings

UNUSED = "postgresql://unused"


def test_postgres_is_the_default_and_a_run_connects_with_libpq_variables() -> None:
    kind = warehouse_kind(Settings(database_url=UNUSED))
    assert isinstance(kind, PostgresKind)
    credentials = Credentials("dt_x", "pw", "db.internal", 6432, "warehouse")
    assert kind.connection_variables(credentials) == {
        "PGUSER": "dt_x",
        "PGPASSWORD": "pw",
        "PGHOST": "db.internal",
        "PGPORT": "6432",
        "PGDATABASE": "warehouse",
    }


def test_another_kind_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOPLANE_WAREHOUSE_KIND", "snowflake")
    with pytest.raises(ValidationError, match="warehouse_kind") as refused:
        Settings(database_url=UNUSED)
    assert "'postgres'" in str(refused.value)
