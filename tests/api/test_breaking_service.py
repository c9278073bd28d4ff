"""End to end through `ecoplane serve`: a signed push that breaks a consumer is held back and the
old version keeps serving; the override activates it and the security sync follows; a rollback
to version 1 works."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.api.log_lines import told
from tests.api.server import running_service
from tests.api.test_ingest_service import SECRET, _finished
from tests.catalog.variants import without_email
from tests.gitsource.repo import ModelRepo, push_payload, signed_headers

ADMIN_TOKEN = "an-admin-token-of-this-test"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _push(base: str, commit: str, delivery: str) -> dict[str, Any]:
    """A signed push of the commit; the ingest once finished."""
    body = push_payload("github", commit)
    answer = httpx.post(
        f"{base}/api/v1/webhooks/github", content=body,
        headers=signed_headers("github", body, SECRET, delivery),
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    return _finished(base, answer.json()["ingest"]["id"])


def _sync_of(base: str, version: int) -> dict[str, Any]:
    """The security sync the activation of a version started, once ended (bounded wait)."""
    runs: list[dict[str, Any]] = []
    for _ in range(1200):
        runs = httpx.get(f"{base}/api/v1/runs", params={"kind": "security-sync"}).json()["items"]
        found = [r for r in runs if r["versionId"] == version and r["trigger"] == "model-change"]
        if found and found[0]["state"] not in ("queued", "running"):
            return dict(found[0])
        time.sleep(0.05)
    everything = httpx.get(f"{base}/api/v1/runs").json()
    raise AssertionError(f"no security sync ended for version {version}: {runs} {everything}")


def _serving(base: str) -> int:
    return int(httpx.get(f"{base}/api/v1/ecosystem").json()["version"]["id"])


def test_a_breaking_push_is_held_back_then_overridden_then_rolled_back(
    prefix: str, database_url: str, tmp_path: Path
) -> None:
    repo = ModelRepo(tmp_path / "origin")
    first_commit = repo.commit_base()
    digest = hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()
    env = {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true",
        "ECOPLANE_MODEL_REPO": str(repo.path), "ECOPLANE_DATA_DIR": str(tmp_path / "data"),
        "ECOPLANE_WEBHOOK_SECRET_GITHUB": SECRET, "ECOPLANE_POLL_SECONDS": "0",
        "ECOPLANE_TOKENS": json.dumps([{"name": "release-manager", "sha256": digest, "scopes": ["admin"]}]),
        "ECOPLANE_ACTIVE_VERSION_SECONDS": "0", "ECOPLANE_WAREHOUSE_URL": database_url,
        "ECOPLANE_ROLE_PREFIX": prefix, "ECOPLANE_SECURITY_MARKER": f"{prefix}managed",
        "ECOPLANE_SECURITY_SYNC_ON_ACTIVATION": "true",  # roles of this test's own, dropped after it
    }  # fmt: skip
    with running_service(env, tmp_path / "serve.log") as base:
        first = _push(base, first_commit, "d-1")
        assert first["state"] == "active"
        assert _sync_of(base, first["versionId"])["state"] == "succeeded"  # one sync at a time
        held = _push(base, repo.commit(without_email(), "drop email"), "d-2")
        assert held["state"] == "rejected" and "CustomerAnalytics" in held["detail"]
        assert _serving(base) == first["versionId"]  # the old version keeps serving
        url = f"{base}/api/v1/model-versions/{held['versionId']}/activate"
        assert httpx.post(url, json={"reason": "agreed"}).status_code == 401
        answer = httpx.post(url, headers=ADMIN, json={"reason": "CustomerAnalytics agreed"})
        assert answer.status_code == 200, answer.text
        latest = answer.json()["activations"][0]
        assert (latest["kind"], latest["by"], latest["fromVersion"]) == (
            "override", "release-manager", first["versionId"],
        )  # fmt: skip
        assert _serving(base) == held["versionId"]
        synced = _sync_of(base, held["versionId"])  # the security sync follows the override
        assert synced["state"] == "succeeded", synced["logTail"]
        back = httpx.post(
            f"{base}/api/v1/model-versions/{first['versionId']}/activate",
            headers=ADMIN, json={"reason": "roll back to version 1"},
        )  # fmt: skip
        assert back.status_code == 200 and back.json()["activations"][0]["kind"] == "rollback"
        assert _serving(base) == first["versionId"]
    log = tmp_path / "serve.log"  # one WARNING line each: the version held back, the override,
    [rejected] = told(log, versionId=held["versionId"], state="rejected")  # the rollback
    assert rejected["commit"] and "CustomerAnalytics" in rejected["reason"]
    [override, rollback] = told(log, by="release-manager")
    assert (override["level"], override["versionId"], override["activation"]) == (
        "warning", held["versionId"], "override",
    )  # fmt: skip
    assert (rollback["versionId"], rollback["activation"]) == (first["versionId"], "rollback")
    assert rollback["reason"] == "roll back to version 1"
