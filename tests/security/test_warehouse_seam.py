"""The sync is warehouse-neutral: a warehouse that is not Postgres plugs into the protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from app.ecosystem.coltypes import ColumnType
from app.ecosystem.model import Model
from app.security.actual import Actual
from app.security.desired import RoleSpec
from app.security.operations import Operation
from app.security.raw import ingested
from app.security.secrets.local import LocalSecretStore
from app.security.sync import NotConvergedError, SecuritySync, SyncConfig
from app.security.warehouses.base import Endpoint, Warehouse


class Elsewhere:
    """A warehouse of another kind: it records what it is asked and renders in its own words."""

    def __init__(self) -> None:
        self.endpoint = Endpoint("wh.example", 443, "analytics")
        self.events: list[tuple[str, ...]] = []
        self.sent: list[tuple[list[Operation], dict[str, str]]] = []

    @asynccontextmanager
    async def transaction(self, doing: str, *, readonly: bool = False) -> AsyncIterator[None]:
        self.events.append(("begin", doing, "readonly" if readonly else "write"))
        yield
        self.events.append(("commit", doing))

    async def lock(self, marker: str) -> None:
        self.events.append(("lock", marker))

    async def inspect(self, marker: str) -> Actual:
        return Actual(user="admin")  # it never changes: a sync never converges here

    async def execute(self, operations: list[Operation], verifiers: Mapping[str, str]) -> None:
        self.sent.append((list(operations), dict(verifiers)))

    def statement(self, operation: Operation) -> str:
        return f"elsewhere: {operation.action} {operation.target}"

    def verifier(self, password: str) -> str:
        return f"kept-{len(password)}"

    def column_type(self, type: ColumnType) -> str:
        return f"elsewhere {type}"  # its own spelling: raw tables are compared in it


def _sync(warehouse: Warehouse, tmp_path: Path) -> SecuritySync:
    return SecuritySync(warehouse, LocalSecretStore(tmp_path / "secrets"), SyncConfig())


async def test_a_plan_is_neutral_operations_read_in_a_readonly_transaction(
    acme_model: Model, tmp_path: Path
) -> None:
    elsewhere = Elsewhere()
    plan = await _sync(elsewhere, tmp_path).plan(acme_model)
    assert elsewhere.events == [("begin", "planning", "readonly"), ("commit", "planning")]
    created = [op for op in plan.operations if op.action == "create role"]
    assert created and all(isinstance(op.subject, RoleSpec) for op in created)
    assert not hasattr(created[0], "sql")  # the plan holds no SQL: the warehouse renders it


async def test_apply_sends_the_plan_with_the_warehouses_verifiers_and_shows_its_statements(
    acme_model: Model, tmp_path: Path
) -> None:
    elsewhere = Elsewhere()
    sync = _sync(elsewhere, tmp_path)
    with pytest.raises(NotConvergedError, match="the first: elsewhere: create role "):
        await sync.apply(acme_model)
    assert elsewhere.events[:2] == [("begin", "applying", "write"), ("lock", "ecoplane_managed")]
    [(operations, verifiers)] = elsewhere.sent
    logins = set(acme_model.transformers) | {f"datastore.{s.name}" for s in ingested(acme_model)}
    assert verifiers == dict.fromkeys(logins, "kept-40")
    assert {op.credential for op in operations if op.credential} == logins
    current = await sync.store.current("compute_revenue")
    assert current is not None
    assert (current.host, current.port, current.dbname) == ("wh.example", 443, "analytics")
