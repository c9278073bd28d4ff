"""A model whose Customers datastore is ingested from a test source, and a service running it."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from app.jobs.spec import source_secret
from app.security.command import run_security
from app.settings import Settings
from tests.api.conftest import client_for, token_entries
from tests.ecosystem.modeltext import files
from tests.ingestion.conftest import Source
from tests.jobs.model import python, workspace

READER = "MaskCustomers"  # the onInputChange transformer of the workspace reading Customers


def ingested_model(
    source: Source,
    kind: str = "sql-snapshot",
    cron: str | None = None,
    more_stores: tuple[str, ...] = (),
) -> Model:
    """Customers ingested from the source (credential crm_reader), on cron when given; its
    reader on input change; `more_stores`: datastores of the same shape under other names."""
    trigger = f'trigger: {{cron: "{cron}"}}' if cron else ""
    store = source.text(kind=kind, watermark=trigger)
    analytics = workspace(
        "CustomerAnalytics", [("Customers", "customers")], READER, "{onInputChange: true}",
        python("ok"), "MaskedCustomers",
    )  # fmt: skip
    texts: dict[str, str | None] = {
        "zones/usa/customers.yaml": store,
        "zones/usa/analytics.yaml": analytics,
    }
    for name in more_stores:
        texts[f"zones/usa/{name.lower()}.yaml"] = store.replace(
            "name: Customers,", f"name: {name},"
        )
    model = load_texts(files(texts))
    assert model.errors == 0, [p.as_line() for p in model.problems]
    return model


def give_source_login(settings: Settings, source: Source, credential: str = "crm_reader") -> None:
    """The source login in the local secret store, under the name the datastore gives."""
    secrets = settings.data_dir / "secrets"
    secrets.mkdir(parents=True, exist_ok=True)
    login = {"user": source.login.user, "password": source.login.password}
    (secrets / f"{source_secret(credential)}.json").write_text(json.dumps(login))


def settings_for(
    database_url: str, warehouse_url: str, data_dir: Path, prefix: str, **more: object
) -> Settings:
    """The service's settings: the test's warehouse, data directory and role prefix, no
    scheduler, no security sync after an activation (the test applies it: `secure`)."""
    return Settings(
        database_url=database_url,
        warehouse_url=warehouse_url,
        data_dir=data_dir,
        scheduler=False,
        security_sync_on_activation=False,
        role_prefix=prefix,
        managed_marker=f"{prefix}managed",
        **more,  # type: ignore[arg-type]
    )


async def secure(settings: Settings) -> None:
    """The security sync applied to the active model: the raw tables, di_customers and the
    reader's dt_ role made, their credentials in the local store (as after an activation)."""
    assert await run_security("apply", settings, out=io.StringIO()) == 0


async def served(
    engine: AsyncEngine, source: Source, database_url: str, warehouse_url: str, data_dir: Path,
    prefix: str, label: str, **more: object,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    """The service with Customers ingested from the source, its login given and the security
    sync applied (the raw table, di_customers and the reader's role made); `more` settings."""
    await store_model(engine, ingested_model(source), source=label)
    settings = settings_for(
        database_url, warehouse_url, data_dir, prefix, tokens=token_entries(), anonymous_read=True,
        **more,
    )  # fmt: skip
    give_source_login(settings, source)
    await secure(settings)
    async for client in client_for(settings):
        yield client
