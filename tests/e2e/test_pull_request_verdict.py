"""End to end through a real `ecoplane serve`: a pull request on examples/acme by a non-owner that
removes a column TradeSurveillance reads gets the status `ecoplane/model` `failure` ("needs
approval from …") and one comment; the owners' review events turn it to `success`, the same
comment edited. The forge is the test double of tests/forges, served on 127.0.0.1 by the test's
event loop, so the service process reaches it as it would reach github.com (the loop waits only
while the service starts and stops, when it calls no forge).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.server import running_service
from tests.api.test_diffs import CUSTOMERS, PHONE, acme_files
from tests.forges.conftest import SECRET, TOKEN
from tests.forges.events import EVENT, REVIEW_ACTION, REVIEW_EVENT, pull_request_event
from tests.forges.forge_double import ForgeDouble
from tests.gitsource.repo import ModelRepo, push_payload, signed_headers
from tests.jobs.conftest import until

PUBLIC_URL = "https://ecoplane.example"  # the link of a status: the service as users reach it
FRONT_OFFICE = "(team USA/FrontOffice)"  # owns Customers: the pull request changes it
COMPLIANCE = "(team USA/Compliance)"  # owns TradeSurveillance: the change breaks it
FINAL = ("success", "failure")
# GitHub and Gitea take 140 characters of a status description: the owning teams stand for their
# owners (cut, the description named "email:sarah.o"); GitLab takes 255: the owners, whole
TEAMS_ONLY = "needs approval from owners of team USA/FrontOffice, team USA/Compliance"


@pytest.fixture(params=["github", "gitlab", "gitea"])
async def double(request: pytest.FixtureRequest) -> AsyncIterator[ForgeDouble]:
    """The forge's API double; the Compliance team's group has one member, sarah-oconnor."""
    made = ForgeDouble(request.param)
    made.members["acme/compliance-tech"] = {"sarah-oconnor"}
    await made.start()
    yield made
    await made.stop()


def _acme_owned_on(forge: str, repo: ModelRepo) -> dict[str, str]:
    """Commit examples/acme on main, its owners identities of this forge; the files committed."""
    files = {name: text.replace("github:", f"{forge}:") for name, text in acme_files().items()}
    repo.commit(dict(files), "acme")
    return files


def _service_env(double: ForgeDouble, repo: ModelRepo, database: str, data: Path) -> dict[str, str]:
    """The service follows the repository and checks its pull requests on the double."""
    forge = double.forge
    return {
        "ECOPLANE_DATABASE_URL": database, "ECOPLANE_ANONYMOUS_READ": "true",
        "ECOPLANE_MODEL_REPO": str(repo.path), "ECOPLANE_MODEL_REPO_NAME": "acme/data-model",
        "ECOPLANE_DATA_DIR": str(data), "ECOPLANE_POLL_SECONDS": "0",
        f"ECOPLANE_WEBHOOK_SECRET_{forge.upper()}": SECRET, "ECOPLANE_FORGE": forge,
        "ECOPLANE_FORGE_API_URL": double.url, "ECOPLANE_FORGE_TOKEN": TOKEN,
        "ECOPLANE_PUBLIC_URL": PUBLIC_URL,
    }  # fmt: skip


async def _deliver(
    api: httpx.AsyncClient, forge: str, body: bytes, event: str | None, delivery: str
) -> dict[str, Any]:
    """A signed delivery of the forge; the queued ingest or check it answers."""
    headers = signed_headers(forge, body, SECRET, delivery, event)
    answer = await api.post(f"/api/v1/webhooks/{forge}", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    found: dict[str, Any] = answer.json()["check"] or answer.json()["ingest"]
    return found


async def _finished(api: httpx.AsyncClient, path: str, states: tuple[str, ...]) -> Any:
    """What the API answers at path once its state is one of `states` (bounded wait)."""

    async def ended() -> dict[str, Any] | None:
        found: dict[str, Any] = (await api.get(path)).json()
        return found if found["state"] in states else None

    return await until(ended, f"{path} in a state of {states}")


async def _verdict(
    api: httpx.AsyncClient, double: ForgeDouble, body: bytes, event: str, delivery: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Deliver a pull-request event; the check once it has its verdict, and the status posted."""
    queued = await _deliver(api, double.forge, body, event, delivery)
    check = await _finished(api, f"/api/v1/checks/{queued['id']}", FINAL)
    status = double.statuses[-1]  # posted before the check is recorded as finished
    assert status["sha"] == check["headSha"]
    assert status["target_url"] == f"{PUBLIC_URL}/api/v1/checks/{check['id']}"
    assert status.get("context", status.get("name")) == "ecoplane/model"
    return check, status


async def test_a_breaking_pull_request_by_a_non_owner_fails_until_its_owners_approve(
    double: ForgeDouble, database_url: str, tmp_path: Path
) -> None:
    forge, repo = double.forge, ModelRepo(tmp_path / "origin")
    files = _acme_owned_on(forge, repo)
    env = _service_env(double, repo, database_url, tmp_path / "data")
    with running_service(env, tmp_path / "serve.log") as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as api:
            await _breaking_pull_request_is_reviewed(api, double, repo, files)
    assert TOKEN not in (tmp_path / "serve.log").read_text()


async def _breaking_pull_request_is_reviewed(
    api: httpx.AsyncClient, double: ForgeDouble, repo: ModelRepo, files: dict[str, str]
) -> None:
    forge = double.forge
    main = repo.git("rev-parse", "HEAD")
    pushed = await _deliver(api, forge, push_payload(forge, main), None, "push-1")
    assert (await _finished(api, f"/api/v1/ingests/{pushed['id']}", ("active",)))["versionId"]
    repo.git("checkout", "-q", "-b", "drop-phone")  # mallory owns nothing in acme
    head = repo.commit({CUSTOMERS: files[CUSTOMERS].replace(PHONE, "")}, "drop customers.phone")
    repo.git("checkout", "-q", "main")
    double.open(7, head, "mallory")

    opened = pull_request_event(forge, 7, head)
    check, status = await _verdict(api, double, opened, EVENT[forge], "pr-1")
    assert (check["state"], status["state"]) == ("failure", _state(forge, "failure"))
    assert len(check["detail"]) > 140 and f"{forge}:daniel-kim" in check["detail"]
    assert status["description"] == (check["detail"] if forge == "gitlab" else TEAMS_ONLY)
    assert f"{forge}:@acme/compliance-tech" in check["detail"] and COMPLIANCE in check["detail"]
    linked = (await api.get(status["target_url"].removeprefix(PUBLIC_URL))).json()
    assert linked["id"] == check["id"] and linked["report"]["needsApprovalFrom"] in check["detail"]
    [breaking] = linked["report"]["breaking"]
    assert breaking["path"] == "Datastore/Customers/datasets/customers/columns/phone"
    assert {"workspace": "TradeSurveillance", "team": "USA/Compliance"} in breaking["teams"]
    [comment] = double.pulls[7].comments
    assert comment["id"] == double.created[0]["id"] and comment["author"] == double.me
    assert "TradeSurveillance (team USA/Compliance)" in comment["body"]
    assert "Needs approval from" in comment["body"] and check["detail"] in comment["body"]

    await _approved_by_the_owners(api, double, head, check["id"])


async def _approved_by_the_owners(
    api: httpx.AsyncClient, double: ForgeDouble, head: str, failed: int
) -> None:
    """FrontOffice's owner approves: Compliance is still needed; a member of its group approves:
    `success`. Each review event edits the one comment."""
    forge, comment_id = double.forge, double.created[0]["id"]
    review = pull_request_event(forge, 7, head, REVIEW_ACTION[forge], review=True)
    double.review(7, "daniel-kim")
    check, status = await _verdict(api, double, review, REVIEW_EVENT[forge], "review-1")
    assert check["state"] == "failure" and FRONT_OFFICE not in check["detail"]
    assert COMPLIANCE in check["detail"] and status["state"] == _state(forge, "failure")
    assert "✅ approved by daniel-kim" in double.pulls[7].comments[0]["body"]
    double.review(7, "sarah-oconnor")
    check, status = await _verdict(api, double, review, REVIEW_EVENT[forge], "review-2")
    assert (check["state"], status["state"]) == ("success", _state(forge, "success"))
    approvals = {a["owning"]: a["approvedBy"] for a in check["report"]["approvals"]}
    assert approvals == {
        "team USA/FrontOffice": "daniel-kim",
        "team USA/Compliance": "sarah-oconnor",
    }
    assert len(double.created) == 1 and [c["id"] for c in double.pulls[7].comments] == [comment_id]
    assert [e["id"] for e in double.edited] == [comment_id, comment_id]
    assert "✅ success" in double.pulls[7].comments[0]["body"]
    assert [s["state"] for s in double.statuses] == [_state(forge, "failure")] * 2 + ["success"]
    page = (await api.get("/api/v1/checks", params={"pr": 7})).json()
    assert [c["id"] for c in page["items"]][-1] == failed and len(page["items"]) == 3
    assert [c["state"] for c in page["items"]] == ["success", "failure", "failure"]


def _state(forge: str, state: str) -> str:
    """The state of a commit status as the forge spells it (GitLab: `failed`)."""
    return "failed" if forge == "gitlab" and state == "failure" else state
