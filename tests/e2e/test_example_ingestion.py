"""`make run`'s example moves real data: a real `ecoplane serve` on the embedded default.

The embedded default creates acme's ReferenceData source (database `refdata` on its own server,
its reader's login in the local store), the security sync runs, the first batch fills the raw
tables by a real ingestion run, and CapitalReporting's onInputChange transformer follows. A
changed source row then shows in the next batch's counts. Everything through the API, polled
with a deadline.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.server import running_service

FINAL = ("succeeded", "failed", "cancelled", "timed-out", "lost")
STORE = "ReferenceData"
TABLES = ("countries", "currencies", "holiday_calendars", "legal_entities", "exchanges")


def _waited(what: str, found: Callable[[], Any], seconds: float = 600) -> Any:
    """What `found()` returns once it is truthy (polled, bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _database(data: Path, name: str) -> psycopg.Connection[Any]:
    """The superuser on a database of the embedded server (its socket: postmaster.pid)."""
    lines = (data / "postgres" / "postmaster.pid").read_text().splitlines()
    return psycopg.connect(
        host=lines[4], port=int(lines[3]), user="postgres", dbname=name, autocommit=True
    )


class Api:
    """The service's API with the embedded default's operator token."""

    def __init__(self, base: str, data: Path) -> None:
        self.base = f"{base}/api/v1"
        token = (data / "operator-token").read_text().strip()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.base}{path}", params=params, headers=self.headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def batch(self, number: int) -> dict[str, Any]:
        def ended() -> dict[str, Any] | None:
            items = self.get(f"/datastores/{STORE}/batches")["items"]
            done = [b for b in items if b["number"] == number and b["state"] != "running"]
            return done[0] if done else None

        found: dict[str, Any] = _waited(f"batch {number} of {STORE}", ended)
        return found

    def ended(self, key: str, target: str) -> dict[str, Any]:
        def run() -> dict[str, Any] | None:
            items = self.get("/runs", target=target, limit=50)["items"]
            done = [r for r in items if r["idempotencyKey"] == key and r["state"] in FINAL]
            return done[0] if done else None

        found: dict[str, Any] = _waited(f"the run {key} of {target}", run)
        return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Api, Path]]:
    """`make run`: the service on the embedded default with the example, a sync at start."""
    env = {
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"), "ECOPLANE_POLL_SECONDS": "0",
        "ECOPLANE_SECURITY_SYNC_ON_ACTIVATION": "true",
    }  # fmt: skip
    unset = (
        "ECOPLANE_DATABASE_URL", "ECOPLANE_WAREHOUSE_URL", "ECOPLANE_LOAD_EXAMPLE",
        "ECOPLANE_INGESTION_SCHEDULE", "PGPASSWORD", "PGUSER",
    )  # fmt: skip
    with running_service(env, tmp_path / "serve.log", unset=unset) as base:
        yield Api(base, tmp_path / "data"), tmp_path / "data"


def test_make_run_ingests_the_example_and_its_reader_follows(served: tuple[Api, Path]) -> None:
    api, data = served
    login = json.loads((data / "secrets" / "ecoplane-source-refdata-reader.json").read_text())
    assert login["user"] == "refdata_reader" and login["password"]

    first = api.batch(1)
    assert first["state"] == "succeeded", first
    with _database(data, "refdata") as source, _database(data, "warehouse") as warehouse:
        for table in TABLES:
            held = source.execute(f"SELECT count(*) FROM golden.{table}").fetchone()
            raw = warehouse.execute(f"SELECT count(*) FROM raw.referencedata__{table}").fetchone()
            assert held == raw and raw is not None and raw[0] > 0, table
            assert first["tables"][table]["inserted"] == raw[0]
        run = api.get(f"/runs/{first['runId']}")
        assert (run["kind"], run["idempotencyKey"]) == ("ingestion", "example-first-batch")
        assert login["password"] not in (run["logTail"] or "")

        follow = api.ended(f"after-run-{first['runId']}", "build_capital_report")
        assert (follow["trigger"], follow["state"]) == ("input-change", "succeeded"), follow

        source.execute(
            "UPDATE golden.currencies SET currency_name = currency_name || ' (touched)'"
            " WHERE currency_code = (SELECT min(currency_code) FROM golden.currencies)"
        )
        started = httpx.post(
            f"{api.base}/datastores/{STORE}/ingestions", headers=api.headers, timeout=30
        )
        assert started.status_code == 202, started.text
        second = api.batch(2)
        assert second["state"] == "succeeded", second
        assert (second["inserted"], second["updated"], second["deleted"]) == (0, 1, 0)
        assert second["tables"]["currencies"]["updated"] == 1
        touched = warehouse.execute(
            "SELECT count(*) FROM raw.referencedata__currencies WHERE currency_name LIKE '%(touched)'"
        ).fetchone()
        assert touched == (1,)
    assert login["password"] not in (data.parent / "serve.log").read_text()
