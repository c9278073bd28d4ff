"""Request ids, Prometheus metrics by route template, JSON logs."""

from __future__ import annotations

import json
import logging

import httpx

from app.catalog.store import StoredVersion
from app.logs import JsonFormatter, RequestIdFilter, request_id


async def test_request_id_is_echoed_or_made(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    given = await api.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = (await api.get("/healthz")).headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0


async def test_metrics_count_by_route_template(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    for name in ("Customers", "Orders", "Nope"):
        await api.get(f"/api/v1/datastores/{name}")
    text = (await api.get("/metrics")).text
    assert (
        'ecoplane_http_requests_total{method="GET",route="/api/v1/datastores/{name}",status="200"} 2.0'
        in text
    )
    assert (
        'ecoplane_http_requests_total{method="GET",route="/api/v1/datastores/{name}",status="404"} 1.0'
        in text
    )
    assert (
        'ecoplane_http_request_duration_seconds_count{method="GET",route="/api/v1/datastores/{name}"} 3.0'
        in text
    )
    assert f"ecoplane_active_model_version {float(acme.id)}" in text
    assert 'ecoplane_model_versions{state="active"} 1.0' in text


def test_json_log_lines_carry_the_request_id() -> None:
    token = request_id.set("req-42")
    try:
        record = logging.LogRecord(
            "ecoplane.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None
        )
        record.status = 200
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert (line["message"], line["requestId"], line["status"], line["level"]) == (
        "GET /x",
        "req-42",
        200,
        "info",
    )
