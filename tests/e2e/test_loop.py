"""The whole loop through a real `ecoplane serve` on the embedded default, driven by the API.

A model in a real git repository; a signed push; then, through the API only: the version is
active, the security sync it triggered succeeds, the builtin export holds the model, a python
transformer runs as its own role (and is refused everything else), the onInputChange step after
it runs, a failing transformer leaves its output as it was, and no password shows anywhere.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.server import running_service
from tests.e2e.model import CHAIN
from tests.ecosystem.modeltext import BASE
from tests.gitsource.repo import ModelRepo, push_payload, signed_headers

SECRET = "the-webhook-secret"
EMAILS = {1: "ada@example.com", 2: "grace@example.org", 3: "edsger@example.net"}
FINAL = ("succeeded", "failed", "cancelled", "timed-out", "lost")


def _waited(what: str, found: Callable[[], Any]) -> Any:
    """What `found()` returns once it is truthy (polled; bounded at 180 s)."""
    for _ in range(1800):
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def _warehouse(data: Path) -> psycopg.Connection[Any]:
    """The superuser on the embedded server's warehouse database (its socket: postmaster.pid)."""
    lines = (data / "postgres" / "postmaster.pid").read_text().splitlines()
    host, port = lines[4], int(lines[3])
    with psycopg.connect(host=host, port=port, user="postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = 'warehouse'").fetchone():
            admin.execute("CREATE DATABASE warehouse")
    return psycopg.connect(
        host=host, port=port, user="postgres", dbname="warehouse", autocommit=True
    )


def _seed(warehouse: psycopg.Connection[Any]) -> None:
    """The raw table of Customers.customers, as ingestion would have written it."""
    warehouse.execute("CREATE SCHEMA raw")
    warehouse.execute(
        "CREATE TABLE raw.customers__customers (id bigint PRIMARY KEY, email varchar(255),"
        " country char(2), balance numeric(18,4))"
    )
    for key, email in EMAILS.items():
        warehouse.execute(
            "INSERT INTO raw.customers__customers VALUES (%s, %s, 'US', 10)", (key, email)
        )


class Api:
    """The service's API as the test uses it."""

    def __init__(self, base: str, data: Path) -> None:
        self.base = f"{base}/api/v1"
        token = (data / "operator-token").read_text().strip()  # the embedded default's own
        self.operator = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.base}{path}", params=params, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def start(self, transformer: str) -> int:
        answer = httpx.post(
            f"{self.base}/transformers/{transformer}/runs", headers=self.operator, timeout=30
        )
        assert answer.status_code == 202, answer.text
        return int(answer.json()["id"])

    def finished(self, run_id: int) -> dict[str, Any]:
        run: dict[str, Any] = _waited(
            f"run {run_id} to end",
            lambda: (found := self.get(f"/runs/{run_id}"))["state"] in FINAL and found,
        )
        return run

    def run_of(self, target: str, trigger: str) -> dict[str, Any]:
        def ended() -> dict[str, Any] | None:
            for run in self.get("/runs", target=target, limit=50)["items"]:
                if run["trigger"] == trigger and run["state"] in FINAL:
                    return dict(run)
            return None

        found: dict[str, Any] = _waited(f"a {trigger} run of {target}", ended)
        return found


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[tuple[Api, Path, ModelRepo]]:
    """The service on the embedded default, following a repository, nothing active yet."""
    repo = ModelRepo(tmp_path / "origin")
    env = {
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"), "ECOPLANE_LOAD_EXAMPLE": "false",
        "ECOPLANE_MODEL_REPO": str(repo.path), "ECOPLANE_WEBHOOK_SECRET_GITHUB": SECRET,
        "ECOPLANE_POLL_SECONDS": "0", "ECOPLANE_SECURITY_SYNC_ON_ACTIVATION": "true",
    }  # fmt: skip
    unset = ("ECOPLANE_DATABASE_URL", "ECOPLANE_WAREHOUSE_URL", "PGPASSWORD", "PGUSER")
    with running_service(env, tmp_path / "serve.log", unset=unset) as base:
        yield Api(base, tmp_path / "data"), tmp_path, repo


def test_a_push_runs_the_whole_loop_as_least_privileged_roles(
    loop: tuple[Api, Path, ModelRepo],
) -> None:
    api, tmp_path, repo = loop
    data = tmp_path / "data"
    with _warehouse(data) as warehouse:
        _seed(warehouse)
        commit = repo.commit({**BASE, **CHAIN}, "a model with a chain of transformers")
        body = push_payload("github", commit)
        pushed = httpx.post(
            f"{api.base}/webhooks/github", content=body,
            headers=signed_headers("github", body, SECRET, "delivery-1"), timeout=30,
        )  # fmt: skip
        assert pushed.status_code == 202, pushed.text
        version = _waited(
            "the pushed version to be active",
            lambda: api.get("/ecosystem")["version"] if httpx.get(
                f"{api.base}/ecosystem", timeout=30).status_code == 200 else None,
        )  # fmt: skip
        assert version["commit"] == commit

        sync = api.run_of("security-sync", "model-change")
        assert (sync["state"], sync["versionId"]) == ("succeeded", version["id"]), sync
        export = api.run_of("externalize_model", "model-change")
        assert export["state"] == "succeeded", export
        exported = warehouse.execute("SELECT name FROM out_externalize_model.datastores")
        assert {"Customers", "MaskedE2E", "CountsE2E", "ecoplane_model"} <= {
            row[0] for row in exported
        }

        masked = api.finished(api.start("mask_customers"))
        assert masked["state"] == "succeeded", masked
        assert masked["logTail"].count("denied as expected") == 2, masked["logTail"]
        assert "masked 3 customers as dt_mask_customers" in masked["logTail"]
        rows = warehouse.execute("SELECT id, email_hash FROM out_mask_customers.customers_masked")
        assert dict(rows.fetchall()) == {
            key: hashlib.sha256(email.encode()).hexdigest() for key, email in EMAILS.items()
        }

        chained = api.run_of("count_masked", "input-change")
        assert chained["state"] == "succeeded", chained
        counts = warehouse.execute("SELECT id, customers FROM out_count_masked.counts")
        assert counts.fetchall() == [(1, 3)]

        assert api.finished(api.start("break_counts"))["state"] == "succeeded"
        broken = api.finished(api.start("break_counts"))
        assert (broken["state"], broken["exitCode"]) == ("failed", 1), broken
        assert "the source looked wrong: giving up" in broken["logTail"]
        kept = warehouse.execute("SELECT id, customers FROM out_break_counts.counts")
        assert kept.fetchall() == [(1, 0)]  # the failed run's delete was rolled back

    passwords = [
        json.loads(path.read_text())["PGPASSWORD"]
        for path in (data / "secrets").glob("ecoplane-dt-*.json")
    ]
    assert len(passwords) >= 4  # every transformer of the model has its own
    recorded = json.dumps(api.get("/runs", limit=100)) + (tmp_path / "serve.log").read_text()
    assert not [p for p in passwords if p in recorded]
