"""The warehouse's OpenLineage namespace and database, from the settings: never a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.events.lineage_datasets import WarehouseAddress, address_of_url, warehouse_address
from app.events.openlineage import warehouse_namespace
from app.settings import Settings


def settings(**values: str) -> Settings:
    """Settings with only these values (none taken from the environment's ECOPLANE_*)."""
    given: dict[str, str | None] = {"warehouse_url": None, "database_url": None, **values}
    return Settings(data_dir=Path("/nonexistent/ecoplane"), **given)  # type: ignore[arg-type]


def test_the_warehouse_url_gives_host_port_and_database_without_the_password() -> None:
    url = "postgresql+asyncpg://admin:s3cr3t-Pa55@WH.Acme.Internal:6432/analytics"
    found = warehouse_address(settings(warehouse_url=url))
    assert found == WarehouseAddress("postgres://wh.acme.internal:6432", "analytics")
    assert "s3cr3t" not in repr(found)
    assert warehouse_namespace(settings(warehouse_url=url)) == "postgres://wh.acme.internal:6432"


def test_without_a_warehouse_url_it_is_database_warehouse_beside_the_control_plane() -> None:
    control = settings(database_url="postgresql://ecoplane:pw@db.internal/ecoplane")
    assert warehouse_address(control) == WarehouseAddress(
        "postgres://db.internal:5432", "warehouse"
    )


def test_the_embedded_warehouse_is_local() -> None:
    assert warehouse_address(settings()) == WarehouseAddress(
        "postgres://localhost:5432", "warehouse"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://u@/wh?host=/tmp/pg.sock",
            WarehouseAddress("postgres://localhost:5432", "wh"),
        ),
        (
            "postgresql://u@/wh?host=wh.example",
            WarehouseAddress("postgres://wh.example:5432", "wh"),
        ),
        ("postgresql://u@[::1]:5433/wh", WarehouseAddress("postgres://[::1]:5433", "wh")),
        ("postgresql://u@wh.example", WarehouseAddress("postgres://wh.example:5432", "postgres")),
    ],
)
def test_sockets_query_hosts_ipv6_and_defaults(url: str, expected: WarehouseAddress) -> None:
    assert address_of_url(url) == expected


@pytest.mark.parametrize("url", ["not a url", "postgresql://admin:s3cr3t@wh:port/db"])
def test_an_unreadable_url_is_refused_naming_the_setting_not_the_url(url: str) -> None:
    with pytest.raises(ValueError, match="ECOPLANE_WAREHOUSE_URL is not a Postgres URL") as refused:
        warehouse_address(settings(warehouse_url=url))
    assert "s3cr3t" not in str(refused.value)
