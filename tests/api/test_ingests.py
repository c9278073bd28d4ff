"""Webhooks and ingests through the API: signed deliveries of real payload shapes, a real repository."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.api.conftest import TOKENS, client_for, token_entries
from tests.gitsource.repo import BROKEN, ModelRepo, payload, push_payload, signed_headers

SECRET = "webhook-secret-for-tests"
FINISHED = {"active", "rejected", "superseded", "failed"}


@pytest.fixture
def repo(tmp_path: Path) -> ModelRepo:
    made = ModelRepo(tmp_path / "origin")
    made.commit_base()
    return made


@pytest.fixture
async def hooked(
    database_url: str, repo: ModelRepo, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The service following the repository, with a secret for each host; its worker runs."""
    settings = Settings(
        database_url=database_url, anonymous_read=True, tokens=token_entries(),
        active_version_seconds=0, data_dir=tmp_path / "data", model_repo=str(repo.path),
        model_repo_name="acme/data-model", poll_seconds=0, webhook_max_bytes=64 * 1024,
        webhook_secret_github=SECRET, webhook_secret_gitlab=SECRET, webhook_secret_gitea=SECRET,
    )  # fmt: skip
    async for client in client_for(settings):
        yield client


async def deliver(
    api: httpx.AsyncClient, host: str, body: bytes, delivery: str, event: str | None = None
) -> httpx.Response:
    """Post a delivery signed as the host signs it."""
    headers = signed_headers(host, body, SECRET, delivery, event)
    return await api.post(f"/api/v1/webhooks/{host}", content=body, headers=headers)


async def finished(api: httpx.AsyncClient, ingest_id: int) -> dict[str, Any]:
    """The ingest once the service's worker finished it (bounded wait on its state)."""
    for _ in range(1200):
        found: dict[str, Any] = (await api.get(f"/api/v1/ingests/{ingest_id}")).json()
        if found["state"] in FINISHED:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"ingest {ingest_id} did not finish: {found}")


@pytest.mark.parametrize("host", ["github", "gitlab", "gitea"])
async def test_a_push_makes_the_commit_active_and_the_api_answers_from_it(
    hooked: httpx.AsyncClient, repo: ModelRepo, host: str
) -> None:
    head = repo.git("rev-parse", "HEAD")
    answer = await deliver(hooked, host, push_payload(host, head), f"{host}-1")
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "queued"
    assert (body["ingest"]["trigger"], body["ingest"]["commitSha"]) == (host, head)
    assert body["ingest"]["deliveryId"] == f"{host}-1"
    done = await finished(hooked, body["ingest"]["id"])
    assert done["state"] == "active", done
    ecosystem = (await hooked.get("/api/v1/ecosystem")).json()
    assert ecosystem["version"] == {**ecosystem["version"], "id": done["versionId"], "commit": head}
    assert (await hooked.get("/api/v1/datastores/Customers")).status_code == 200


async def test_a_broken_push_is_rejected_and_the_previous_version_keeps_serving(
    hooked: httpx.AsyncClient, repo: ModelRepo
) -> None:
    good = repo.git("rev-parse", "HEAD")
    first = (await deliver(hooked, "github", push_payload("github", good), "g-1")).json()
    serving = (await finished(hooked, first["ingest"]["id"]))["versionId"]
    broken_sha = repo.commit(BROKEN, "break the model")
    second = (await deliver(hooked, "github", push_payload("github", broken_sha), "g-2")).json()
    rejected = await finished(hooked, second["ingest"]["id"])
    assert rejected["state"] == "rejected" and rejected["errors"] >= 1
    problems = (await hooked.get(f"/api/v1/model-versions/{rejected['versionId']}/problems")).json()
    assert any(p["file"] == "zones/usa/broken.yaml" for p in problems["items"])
    ecosystem = (await hooked.get("/api/v1/ecosystem")).json()
    assert (ecosystem["version"]["id"], ecosystem["version"]["commit"]) == (serving, good)


@pytest.mark.parametrize("host", ["github", "gitlab", "gitea"])
async def test_a_bad_signature_is_refused_and_records_nothing(
    hooked: httpx.AsyncClient, repo: ModelRepo, host: str
) -> None:
    body = push_payload(host, repo.git("rev-parse", "HEAD"))
    headers = signed_headers(host, body, "not the secret", "d-1")
    answer = await hooked.post(f"/api/v1/webhooks/{host}", content=body, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert "does not match the configured secret" in answer.json()["detail"]
    unsigned = {
        k: v for k, v in headers.items() if not k.startswith(("X-Hub", "X-Gitea-S", "X-Gitlab-T"))
    }
    assert (
        await hooked.post(f"/api/v1/webhooks/{host}", content=body, headers=unsigned)
    ).status_code == 401
    assert (await hooked.get("/api/v1/ingests")).json()["items"] == []


async def test_the_same_delivery_twice_makes_one_ingest(
    hooked: httpx.AsyncClient, repo: ModelRepo
) -> None:
    body = push_payload("gitea", repo.git("rev-parse", "HEAD"))
    first = await deliver(hooked, "gitea", body, "5f1c-redelivered")
    again = await deliver(hooked, "gitea", body, "5f1c-redelivered")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    assert again.json()["ingest"]["id"] == first.json()["ingest"]["id"]
    assert len((await hooked.get("/api/v1/ingests")).json()["items"]) == 1


async def test_ping_other_branches_repositories_and_events(hooked: httpx.AsyncClient) -> None:
    import json

    ping = await deliver(
        hooked, "github", json.dumps(payload("github_ping")).encode(), "p-1", "ping"
    )
    assert (ping.status_code, ping.json()["status"]) == (200, "pong")
    sha = "b" * 40
    branch = await deliver(hooked, "github", push_payload("github", sha, branch="dev"), "o-1")
    assert (branch.status_code, branch.json()["status"]) == (200, "ignored")
    assert "refs/heads/dev" in branch.json()["reason"]
    other = await deliver(hooked, "gitlab", push_payload("gitlab", sha, repo="evil/model"), "o-2")
    assert other.json()["status"] == "ignored" and "evil/model" in other.json()["reason"]
    issue = await deliver(hooked, "gitea", b"{}", "o-3", "issues")
    assert issue.json() == {**issue.json(), "status": "ignored"}
    assert (await hooked.get("/api/v1/ingests")).json()["items"] == []


async def test_bodies_over_the_limit_and_unreadable_pushes(hooked: httpx.AsyncClient) -> None:
    huge = b"{" + b" " * (64 * 1024) + b"}"
    answer = await deliver(hooked, "github", huge, "big-1")
    assert answer.status_code == 413 and answer.json()["type"] == "payload-too-large"
    bad = await deliver(hooked, "github", b'{"ref": "refs/heads/main"}', "bad-1")
    assert bad.status_code == 422 and bad.json()["errors"][0]["parameter"] == "body"
    form = b"payload=%7B%7D"
    headers = {
        **signed_headers("github", form, SECRET, "form-1"),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    answer = await hooked.post("/api/v1/webhooks/github", content=form, headers=headers)
    assert answer.status_code == 415 and "application/json" in answer.json()["detail"]


async def test_a_manual_ingest_needs_operate_and_is_followed_to_its_end(
    hooked: httpx.AsyncClient, repo: ModelRepo
) -> None:
    request = {"ref": "main"}
    assert (await hooked.post("/api/v1/model-versions", json=request)).status_code == 401
    reader = {"Authorization": f"Bearer {TOKENS['reader']}"}
    assert (
        await hooked.post("/api/v1/model-versions", json=request, headers=reader)
    ).status_code == 403
    operator = {"Authorization": f"Bearer {TOKENS['operator']}"}
    answer = await hooked.post("/api/v1/model-versions", json=request, headers=operator)
    assert answer.status_code == 202
    queued = answer.json()
    assert (queued["trigger"], queued["ref"], queued["requestedBy"]) == (
        "manual",
        "main",
        "operator",
    )
    done = await finished(hooked, queued["id"])
    assert (done["state"], done["commitSha"]) == ("active", repo.git("rev-parse", "HEAD"))
    bad = await hooked.post(
        "/api/v1/model-versions", json={"ref": "--upload-pack=x"}, headers=operator
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["parameter"] == "ref"


async def test_ingests_are_listed_newest_first_in_pages(
    hooked: httpx.AsyncClient, repo: ModelRepo
) -> None:
    operator = {"Authorization": f"Bearer {TOKENS['operator']}"}
    made = [
        (
            await hooked.post("/api/v1/model-versions", json={"ref": f"v{n}"}, headers=operator)
        ).json()["id"]
        for n in range(3)
    ]
    for ingest_id in made:
        await finished(hooked, ingest_id)
    first = (await hooked.get("/api/v1/ingests", params={"limit": 2})).json()
    assert [i["id"] for i in first["items"]] == made[::-1][:2]
    rest = (
        await hooked.get("/api/v1/ingests", params={"limit": 2, "cursor": first["nextCursor"]})
    ).json()
    assert [i["id"] for i in rest["items"]] == [made[0]] and rest["nextCursor"] is None
    failed = (await hooked.get("/api/v1/ingests", params={"state": "failed"})).json()["items"]
    assert {i["id"] for i in failed} <= set(made)
    assert (await hooked.get("/api/v1/ingests/999999")).status_code == 404


async def test_without_a_repository_manual_ingests_are_refused(api: httpx.AsyncClient) -> None:
    operator = {"Authorization": f"Bearer {TOKENS['operator']}"}
    answer = await api.post("/api/v1/model-versions", json={"ref": "main"}, headers=operator)
    assert answer.status_code == 409 and "ECOPLANE_MODEL_REPO" in answer.json()["detail"]
    unsigned = await api.post("/api/v1/webhooks/github", content=b"{}")
    assert (
        unsigned.status_code == 401
        and "ECOPLANE_WEBHOOK_SECRET_GITHUB" in unsigned.json()["detail"]
    )


async def test_two_pushes_in_quick_succession_end_with_the_newer_commit_active(
    hooked: httpx.AsyncClient, repo: ModelRepo
) -> None:
    from tests.gitsource.repo import labelled

    older, newer = repo.commit(labelled(1)), repo.commit(labelled(2))
    answers = [
        await deliver(hooked, "github", push_payload("github", sha), f"quick-{n}")
        for n, sha in enumerate((older, newer))
    ]
    states = [await finished(hooked, a.json()["ingest"]["id"]) for a in answers]
    assert states[1]["state"] == "active"
    assert states[0]["state"] in ("active", "superseded")  # ran first, or was replaced
    assert (await hooked.get("/api/v1/ecosystem")).json()["version"]["commit"] == newer
