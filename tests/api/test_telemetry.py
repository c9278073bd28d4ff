"""FastAPI's own OpenTelemetry is off: ecoplane's metrics, logs and request ids are its own, and
no request looks for OpenTelemetry's global providers (a look that read the environment each
time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry import metrics, trace

from app.catalog.store import StoredVersion
from tests.api.conftest import api_settings, client_for


async def test_no_request_looks_for_opentelemetry_providers(
    database_url: str, tmp_path: Path, acme: StoredVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked: list[str] = []
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: looked.append("tracer"))
    monkeypatch.setattr(metrics, "get_meter_provider", lambda: looked.append("meter"))
    settings = api_settings(database_url, tmp_path).model_copy(update={"scheduler": False})
    async for api in client_for(settings):
        assert (await api.get("/healthz")).status_code == 200
        assert (await api.get("/api/v1/datastores?limit=1")).status_code == 200
        assert (await api.get("/api/v1/model-versions")).status_code == 200  # through FastAPI
    assert looked == []
