"""`ecoplane serve` as a real process following a real repository: a push, then a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import main
from tests.api.server import running_service
from tests.gitsource.repo import ModelRepo, labelled, push_payload, signed_headers

SECRET = "a-secret-only-the-host-knows"


def _finished(base: str, ingest_id: int) -> dict[str, Any]:
    """The ingest once the service finished it (bounded wait on its state)."""
    for _ in range(1200):
        found: dict[str, Any] = httpx.get(f"{base}/api/v1/ingests/{ingest_id}").json()
        if found["state"] in ("active", "rejected", "superseded", "failed"):
            return found
        time.sleep(0.05)
    raise AssertionError(f"ingest {ingest_id} did not finish: {found}")


def test_the_service_ingests_a_push_and_resumes_queued_ingests_after_a_restart(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = ModelRepo(tmp_path / "origin")
    first = repo.commit_base()
    env = {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true",
        "ECOPLANE_MODEL_REPO": str(repo.path), "ECOPLANE_DATA_DIR": str(tmp_path / "data"),
        "ECOPLANE_WEBHOOK_SECRET_GITHUB": SECRET, "ECOPLANE_POLL_SECONDS": "0",
    }  # fmt: skip
    with running_service(env, tmp_path / "serve.log") as base:
        body = push_payload("github", first)
        answer = httpx.post(
            f"{base}/api/v1/webhooks/github", content=body,
            headers=signed_headers("github", body, SECRET, "delivery-1"),
        )  # fmt: skip
        assert answer.status_code == 202, answer.text
        assert _finished(base, answer.json()["ingest"]["id"])["state"] == "active"
        assert httpx.get(f"{base}/api/v1/ecosystem").json()["version"]["commit"] == first
    # while the service is down a request is recorded (as a delivery would be)...
    second = repo.commit(labelled(2))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["ingest", second, "--queue-only"]) == 0
    with running_service(env, tmp_path / "serve-again.log") as base:  # ...and the restart runs it
        queued = httpx.get(f"{base}/api/v1/ingests", params={"limit": 1}).json()["items"][0]
        assert _finished(base, queued["id"])["state"] == "active"
        assert httpx.get(f"{base}/api/v1/ecosystem").json()["version"]["commit"] == second
    assert SECRET not in (tmp_path / "serve.log").read_text()
