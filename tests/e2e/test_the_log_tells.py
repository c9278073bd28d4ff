"""What a real `ecoplane serve` on the embedded default tells in its log and on /metrics.

A version rejected for its errors, a transformer run that fails and a security sync that fails
are one WARNING or ERROR line each, with their ids as fields; nothing in the output carries a
terminal colour code, the embedded database's initdb transcript or the scheduler's chatter.
/metrics counts the runs that ended by kind and state, and this replica leads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.api.log_lines import json_lines, told
from tests.api.server import running_service
from tests.e2e.test_loop import FINAL, _seed, _waited, _warehouse
from tests.ecosystem.modeltext import BASE
from tests.gitsource.repo import ModelRepo, push_payload, signed_headers
from tests.jobs.model import python, workspace

SECRET = "the-webhook-secret-of-the-log-test"
OK = "obs/ok.yaml"
MODEL: dict[str, str | None] = {
    **BASE,
    OK: workspace(
        "ObsOk", [("Customers", "customers")], "obs_ok", "{external: true}", python("ok"), "ObsOkOut"
    ),
    "obs/fail.yaml": workspace(
        "ObsFail", [("Customers", "customers")], "obs_fail", "{external: true}",
        python("failing"), "ObsFailOut",
    ),
}  # fmt: skip
BROKEN: dict[str, str | None] = {
    "obs/nope.yaml": "apiVersion: ecoplane.io/v1\nkind: Nope\nmetadata: {name: x}\n"
}
INITDB = ("initdb", "The files belonging to this database system", "Success. You can now start")


class Service:
    """The service's API as the test drives it."""

    def __init__(self, base: str, data: Path) -> None:
        self.base, self.api = base, f"{base}/api/v1"
        token = (data / "operator-token").read_text().strip()
        self.operator = {"Authorization": f"Bearer {token}"}

    def push(self, commit: str, delivery: str) -> dict[str, Any]:
        """A signed push of the commit; its ingest once it ended."""
        body = push_payload("github", commit)
        answer = httpx.post(
            f"{self.api}/webhooks/github", content=body, timeout=30,
            headers=signed_headers("github", body, SECRET, delivery),
        )  # fmt: skip
        assert answer.status_code == 202, answer.text
        url = f"{self.api}/ingests/{answer.json()['ingest']['id']}"
        ended: dict[str, Any] = _waited(
            f"ingest of {commit[:12]}",
            lambda: (
                (found := httpx.get(url, timeout=30).json())["state"]
                in ("active", "rejected", "superseded", "failed")
                and found
            ),
        )
        return ended

    def sync_of(self, version: int) -> dict[str, Any]:
        """The security sync the activation of a version started, once it ended."""

        def ended() -> dict[str, Any] | None:
            runs = httpx.get(f"{self.api}/runs", params={"kind": "security-sync"}, timeout=30)
            for run in runs.json()["items"]:
                if run["versionId"] == version and run["state"] in FINAL:
                    return dict(run)
            return None

        found: dict[str, Any] = _waited(f"the security sync of version {version}", ended)
        return found

    def run(self, transformer: str) -> dict[str, Any]:
        """A manual run of the transformer, once it ended."""
        answer = httpx.post(
            f"{self.api}/transformers/{transformer}/runs", headers=self.operator, timeout=30
        )
        assert answer.status_code == 202, answer.text
        url = f"{self.api}/runs/{answer.json()['id']}"
        found: dict[str, Any] = _waited(
            f"the run of {transformer}",
            lambda: (run := httpx.get(url, timeout=30).json())["state"] in FINAL and run,
        )
        return found

    def metric(self, series: str) -> float | None:
        """The value of one series of /metrics now, None when absent."""
        for line in httpx.get(f"{self.base}/metrics", timeout=30).text.splitlines():
            name, _, value = line.rpartition(" ")
            if name == series:
                return float(value)
        return None


def test_failures_are_one_line_each_and_counted(tmp_path: Path) -> None:
    """On a fresh embedded default (initdb runs), following a repository, reconciliation every
    second (the scheduler's job runs all the time), no role may be dropped."""
    repo = ModelRepo(tmp_path / "origin")
    env = {
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"), "ECOPLANE_LOAD_EXAMPLE": "false",
        "ECOPLANE_MODEL_REPO": str(repo.path), "ECOPLANE_WEBHOOK_SECRET_GITHUB": SECRET,
        "ECOPLANE_POLL_SECONDS": "0", "ECOPLANE_SECURITY_SYNC_ON_ACTIVATION": "true",
        "ECOPLANE_SECURITY_MAX_DROPS": "0", "ECOPLANE_RECONCILE_SECONDS": "1",
    }  # fmt: skip
    unset = ("ECOPLANE_DATABASE_URL", "ECOPLANE_WAREHOUSE_URL", "PGPASSWORD", "PGUSER")
    log = tmp_path / "serve.log"
    with running_service(env, log, unset=unset) as base:
        service = Service(base, tmp_path / "data")
        failed, rejected, broken_commit, refused = _fail_three_ways(service, repo, tmp_path)
        _the_metrics_count(service)
    _the_log_tells(log, failed, rejected, broken_commit, refused)  # read once it stopped


def _fail_three_ways(
    service: Service, repo: ModelRepo, tmp_path: Path
) -> tuple[dict[str, Any], dict[str, Any], str, dict[str, Any]]:
    """A transformer run that fails, a version rejected for its errors, a sync that fails."""
    with _warehouse(tmp_path / "data") as warehouse:
        _seed(warehouse)
    first = service.push(repo.commit(MODEL, "two transformers"), "d-1")
    assert first["state"] == "active", first
    synced = service.sync_of(first["versionId"])
    assert synced["state"] == "succeeded", synced["logTail"]
    assert service.run("obs_ok")["state"] == "succeeded"
    failed = service.run("obs_fail")
    assert (failed["state"], failed["exitCode"]) == ("failed", 3), failed
    broken_commit = repo.commit(BROKEN, "a document of no known kind")
    rejected = service.push(broken_commit, "d-2")
    assert rejected["state"] == "rejected" and rejected["versionId"], rejected
    fewer = repo.commit({"obs/nope.yaml": None, OK: None}, "obs_ok removed: its role goes")
    dropping = service.push(fewer, "d-3")
    assert dropping["state"] == "active", dropping
    refused = service.sync_of(dropping["versionId"])
    assert refused["state"] == "failed" and "drop" in refused["logTail"], refused
    return failed, rejected, broken_commit, refused


def _the_metrics_count(service: Service) -> None:
    """What this replica saw end, and what the database holds for the last 24 hours."""
    transformers, syncs = 'kind="transformer"', 'kind="security-sync"'
    assert service.metric(f'ecoplane_runs_total{{{transformers},state="succeeded"}}') == 1.0
    assert service.metric(f'ecoplane_runs_total{{{transformers},state="failed"}}') == 1.0
    assert service.metric(f'ecoplane_runs_total{{{syncs},state="succeeded"}}') == 1.0
    assert service.metric(f'ecoplane_runs_total{{{syncs},state="failed"}}') == 1.0
    assert service.metric(f"ecoplane_run_duration_seconds_count{{{transformers}}}") == 2.0
    assert service.metric("ecoplane_leader") == 1.0
    _waited(  # the database's counts are kept a few seconds: polled
        "the database's counts",
        lambda: (
            service.metric('ecoplane_ingests_last_24h{outcome="rejected"}') == 1.0
            and service.metric('ecoplane_ingests_last_24h{outcome="active"}') == 2.0
            and service.metric(f'ecoplane_runs_last_24h{{{syncs},state="failed"}}') == 1.0
        ),
    )


def _the_log_tells(
    log: Path, failed: dict[str, Any], rejected: dict[str, Any], commit: str, sync: dict[str, Any]
) -> None:
    """One line each, with the ids; no colour, initdb transcript or scheduler chatter."""
    [run] = told(log, runId=failed["id"])
    assert (run["level"], run["kind"], run["target"], run["exitCode"], run["state"]) == (
        "error", "transformer", "obs_fail", 3, "failed",
    )  # fmt: skip
    assert run["reason"] == failed["reason"]
    [version] = told(log, versionId=rejected["versionId"])
    assert (version["level"], version["commit"], version["ingestId"]) == (
        "warning", commit, rejected["id"],
    )  # fmt: skip
    assert f"/api/v1/model-versions/{rejected['versionId']}/problems" in version["reason"]
    [refused] = told(log, runId=sync["id"])
    assert (refused["level"], refused["kind"], refused["exitCode"]) == (
        "error", "security-sync", sync["exitCode"],
    )  # fmt: skip
    assert "would drop 2 roles" in refused["lastLogLine"]  # its login and read roles
    text = log.read_text()
    assert "\x1b[" not in text and "\\u001b[" not in text
    assert not [marker for marker in INITDB if marker in text]
    lines = json_lines(log)
    assert len(lines) == len(text.splitlines())  # every line is JSON
    chatter = [
        line
        for line in lines
        if line["logger"].startswith(("apscheduler", "pixeltable")) and line["level"] == "info"
    ]
    assert not chatter, chatter[:3]
