"""Checks against the forge double: the verdict, the one comment, faults retried, superseding."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import driver_connection
from app.forges import checks
from app.forges.forge import MARKER
from app.forges.service import CheckWorker
from tests.ecosystem.modeltext import BASE
from tests.forges.conftest import BREAKING, TOKEN, branch
from tests.forges.forge_double import ForgeDouble
from tests.gitsource.repo import ModelRepo

NEEDS = "needs approval from github:alice (team USA/FrontOffice); github:bob (team USA/Analytics)"


async def ask(engine: AsyncEngine, number: int, head: str, delivery: str) -> int:
    """Queue a check as a webhook delivery would; its id."""
    async with engine.connect() as handle:
        check, _ = await checks.queue_check(
            await driver_connection(handle), forge="github", pull_request=number,
            head_sha=head, author=None, delivery_id=delivery,
        )  # fmt: skip
    return int(check["id"])


async def stored(engine: AsyncEngine, check_id: int) -> dict[str, Any]:
    async with engine.connect() as handle:
        return await checks.get_check(await driver_connection(handle), check_id)


async def test_a_non_owner_gets_failure_then_success_once_the_owners_approve(
    repo: ModelRepo, double: ForgeDouble, worker: CheckWorker, engine: AsyncEngine
) -> None:
    head = branch(repo, "feature", BREAKING)
    double.open(7, head, "mallory")
    first = await ask(engine, 7, head, "d-1")
    assert await worker.drain() == [first]
    check = await stored(engine, first)
    assert (check["state"], check["detail"], check["author"]) == ("failure", NEEDS, "mallory")
    [status] = double.statuses
    assert status == {
        "sha": head, "state": "failure", "context": "ecoplane/model", "description": NEEDS,
        "target_url": f"https://ecoplane.example/api/v1/checks/{first}",
    }  # fmt: skip
    [comment] = double.created
    assert comment["body"].startswith(MARKER)
    assert (
        "column 'email' removed; affects CustomerAnalytics (team USA/Analytics)" in comment["body"]
    )
    assert f"Needs approval from {NEEDS.removeprefix('needs approval from ')}." in comment["body"]
    breaking = check["report"]["breaking"][0]
    assert breaking["teams"] == [{"workspace": "CustomerAnalytics", "team": "USA/Analytics"}]
    assert check["report"]["changedTeams"] == ["team USA/FrontOffice"]

    double.review(7, "alice")  # the owner of what changes; the consumer's owner still missing
    second = await ask(engine, 7, head, "d-2")
    await worker.drain()
    assert (await stored(engine, second))["detail"] == (
        "needs approval from github:bob (team USA/Analytics)"
    )
    assert (await stored(engine, first))["superseded_by"] == second
    double.review(7, "bob")
    third = await ask(engine, 7, head, "d-3")
    await worker.drain()
    assert (await stored(engine, third))["state"] == "success"
    assert [s["state"] for s in double.statuses] == ["failure", "failure", "success"]
    assert len(double.created) == 1 and len(double.edited) == 2  # edited in place, never again
    assert "approved by bob" in double.pulls[7].comments[0]["body"]
    assert double.review_reads == 3


async def test_a_team_owner_approves_through_membership_and_the_author_counts(
    repo: ModelRepo, double: ForgeDouble, worker: CheckWorker, engine: AsyncEngine
) -> None:
    zone = BASE["zones/usa/zone.yaml"].replace("description: x", "")
    head = branch(
        repo, "teams", {"zones/usa/zone.yaml": zone.replace('"github:bob"', '"github:mallory"')}
    )
    double.open(8, head, "alice")  # alice changes who owns Analytics: bob and the zone must agree
    first = await ask(engine, 8, head, "d-1")
    await worker.drain()
    detail = (await stored(engine, first))["detail"]
    assert "github:bob (team USA/Analytics)" in detail
    assert "github:@acme/usa-governance (zone USA)" in detail
    double.members["acme/usa-governance"] = {"carol"}
    double.review(8, "carol")
    double.review(8, "bob")
    second = await ask(engine, 8, head, "d-2")
    await worker.drain()
    assert (await stored(engine, second))["state"] == "success"


async def test_a_forge_that_fails_leaves_the_check_pending_and_it_is_retried(
    repo: ModelRepo, double: ForgeDouble, worker: CheckWorker, engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    head = branch(repo, "feature", BREAKING)
    double.open(7, head, "mallory")
    double.fail(500, times=3)  # every attempt of the first call
    check_id = await ask(engine, 7, head, "d-1")
    with caplog.at_level(logging.INFO):
        await worker.drain()
    pending = await stored(engine, check_id)
    assert pending["state"] == "pending" and "answered 500 (3 attempts)" in pending["detail"]
    assert pending["next_attempt_at"] > pending["created_at"] and double.statuses == []
    assert f"check {check_id} (pull request 7" in caplog.text
    assert await worker.drain() == []  # not due yet
    async with engine.connect() as handle:
        await (await driver_connection(handle)).execute("UPDATE checks SET next_attempt_at = now()")
    double.fail(503, times=2)  # two failures, then an answer: retried within the call
    assert await worker.drain() == [check_id]
    done = await stored(engine, check_id)
    assert (done["state"], done["attempts"]) == ("failure", 2)
    assert [s["state"] for s in double.statuses] == ["failure"]
    assert TOKEN not in caplog.text


async def test_a_newer_head_supersedes_and_a_closed_pull_request_gets_nothing(
    repo: ModelRepo, double: ForgeDouble, worker: CheckWorker, engine: AsyncEngine
) -> None:
    old = branch(repo, "feature", BREAKING)
    new = branch(repo, "feature", {"zones/usa/extra.yaml": "# nothing\n", **BREAKING})
    double.open(7, new, "mallory")
    older, newer = await ask(engine, 7, old, "d-1"), await ask(engine, 7, new, "d-2")
    assert (await stored(engine, older))["state"] == "superseded"
    assert await worker.drain() == [newer]
    assert [s["sha"] for s in double.statuses] == [new]
    stale = await ask(engine, 7, old, "d-3")  # a late delivery of the old head: the forge moved on
    await worker.drain()
    assert (await stored(engine, stale))["state"] == "superseded"
    double.pulls[7].open = False
    closed = await ask(engine, 7, new, "d-4")
    await worker.drain()
    assert (await stored(engine, closed))["detail"] == "the pull request closed"
    assert len(double.statuses) == 1 and len(double.created) == 1


async def test_a_pull_request_of_500_files_and_long_conversations_is_read_page_by_page(
    repo: ModelRepo, double: ForgeDouble, worker: CheckWorker, engine: AsyncEngine
) -> None:
    files: dict[str, str | None] = {f"notes/n{i:03}.yaml": f"# note {i}\n" for i in range(499)}
    head = branch(repo, "big", {**files, **BREAKING})
    double.open(9, head, "mallory")
    for n in range(230):  # the marker comment is written after 230 others: on page 3
        double.comment(9, f"user{n}", f"comment {n} {MARKER if n == 5 else ''}")  # not ecoplane's
    first = await ask(engine, 9, head, "d-1")
    await worker.drain()
    assert len(double.created) == 1  # someone else's comment with the marker is not ecoplane's
    for n in range(150):
        double.review(9, f"reviewer{n}", "COMMENTED")
    double.review(9, "alice")
    double.review(9, "bob")  # the approvals are on the second page of reviews
    second = await ask(engine, 9, head, "d-2")
    await worker.drain()
    assert [(await stored(engine, i))["state"] for i in (first, second)] == ["failure", "success"]
    assert len(double.created) == 1 and len(double.edited) == 1
    assert double.pulls[9].comments[-1]["body"].startswith(MARKER)
