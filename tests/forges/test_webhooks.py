"""Pull-request webhooks of the three forges through the service, signed as they sign them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import client_for
from tests.forges.conftest import BREAKING, SECRET, branch, forge_settings
from tests.forges.events import CLOSE_ACTION, EVENT, REVIEW_ACTION, REVIEW_EVENT, pull_request_event
from tests.forges.forge_double import ForgeDouble
from tests.gitsource.repo import ModelRepo, signed_headers
from tests.jobs.conftest import until

FORGES = ["github", "gitlab", "gitea"]


@pytest.fixture
async def api(
    double: ForgeDouble, repo: ModelRepo, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The service following the repository, with checks posted to the double."""
    settings = forge_settings(double.forge, double, repo, database_url, tmp_path / "data")
    settings = settings.model_copy(
        update={"anonymous_read": True, "poll_seconds": 0, "scheduler": False}
    )
    async for client in client_for(settings):
        yield client


async def deliver(
    api: httpx.AsyncClient, forge: str, body: bytes, event: str, delivery: str
) -> httpx.Response:
    headers = signed_headers(forge, body, SECRET, delivery, event)
    return await api.post(f"/api/v1/webhooks/{forge}", content=body, headers=headers)


async def finished(api: httpx.AsyncClient, check_id: int) -> dict[str, Any] | None:
    check: dict[str, Any] = (await api.get(f"/api/v1/checks/{check_id}")).json()
    return check if check["state"] in ("success", "failure") else None


@pytest.mark.parametrize("double", FORGES, indirect=True)
async def test_a_pull_request_by_a_non_owner_fails_until_the_owners_review(
    api: httpx.AsyncClient, double: ForgeDouble, repo: ModelRepo
) -> None:
    forge = double.forge
    head = branch(repo, "feature", BREAKING)
    double.open(7, head, "mallory")
    answer = await deliver(api, forge, pull_request_event(forge, 7, head), EVENT[forge], "d-1")
    assert answer.status_code == 202, answer.text
    first = answer.json()["check"]["id"]
    check = await until(lambda: finished(api, first), "the first check's verdict")
    assert check["state"] == "failure" and "needs approval from github:alice" in check["detail"]
    if (
        forge != "github"
    ):  # the model's owners are GitHub identities: other forges cannot approve them
        assert "github:bob" in double.statuses[-1]["description"]
        return
    double.review(7, "alice")
    double.review(7, "bob")
    body = pull_request_event(forge, 7, head, REVIEW_ACTION[forge], review=True)
    answer = await deliver(api, forge, body, REVIEW_EVENT[forge], "d-2")
    second = answer.json()["check"]["id"]
    assert (await until(lambda: finished(api, second), "the verdict after review"))[
        "state"
    ] == "success"
    page = (await api.get("/api/v1/checks", params={"pr": 7, "limit": 1})).json()
    assert [c["id"] for c in page["items"]] == [second] and page["nextCursor"]
    assert len(double.created) == 1 and [s["state"] for s in double.statuses] == [
        "failure",
        "success",
    ]


@pytest.mark.parametrize("double", FORGES, indirect=True)
async def test_deliveries_that_ask_for_no_check_say_why(
    api: httpx.AsyncClient, double: ForgeDouble, engine: AsyncEngine
) -> None:
    forge, head = double.forge, "c" * 40
    closed = pull_request_event(forge, 7, head, CLOSE_ACTION[forge])
    answer = await deliver(api, forge, closed, EVENT[forge], "d-1")
    assert answer.json() == {
        "status": "ignored",
        "reason": "pull request 7 is closed",
        "ingest": None,
        "check": None,
    }
    other = pull_request_event(forge, 7, head, repo="someone/else")
    assert (
        "someone/else" in (await deliver(api, forge, other, EVENT[forge], "d-2")).json()["reason"]
    )
    into = pull_request_event(forge, 7, head, base="develop")
    assert "'develop'" in (await deliver(api, forge, into, EVENT[forge], "d-3")).json()["reason"]
    body = pull_request_event(forge, 7, head)
    wrong = signed_headers(forge, body, "not the secret", "d-4", EVENT[forge])
    assert (
        await api.post(f"/api/v1/webhooks/{forge}", content=body, headers=wrong)
    ).status_code == 401
    broken = body.replace(head.encode(), b"--upload-pack=evil")
    answer = await deliver(api, forge, broken, EVENT[forge], "d-5")
    assert answer.status_code == 422 and "not a pull-request event" in answer.json()["detail"]
    assert (await api.get("/api/v1/checks")).json()["items"] == []


async def test_a_redelivery_records_nothing_new_and_closing_supersedes_waiting_checks(
    api: httpx.AsyncClient, double: ForgeDouble, repo: ModelRepo
) -> None:
    head = "d" * 40  # the forge does not know this pull request: the check stays waiting
    double.fail(500, times=1000)
    first = await deliver(
        api, "github", pull_request_event("github", 8, head), "pull_request", "d-1"
    )
    again = await deliver(
        api, "github", pull_request_event("github", 8, head), "pull_request", "d-1"
    )
    assert again.json()["status"] == "duplicate"
    assert again.json()["check"]["id"] == first.json()["check"]["id"]
    closed = pull_request_event("github", 8, head, "closed")
    await deliver(api, "github", closed, "pull_request", "d-2")
    check = (await api.get(f"/api/v1/checks/{first.json()['check']['id']}")).json()
    assert check["state"] == "superseded" and "closed" in check["detail"]
    double.faults.clear()
