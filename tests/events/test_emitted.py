"""Every state change emits its event in its own transaction; docs/events.md shows a real one of
each type (ECOPLANE_UPDATE_EXAMPLES=1 rewrites them from this test's events)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.breaking import breaking_changes, breaking_guard
from app.catalog.overrides import activate_on_purpose
from app.catalog.store import store_model
from app.db.engine import driver_connection
from app.db.run_table import RunKind, RunState
from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from app.events.formats import cloudevent
from app.events.outbox import EVENT_FIELDS, Event
from app.forges.checks import claim_due, finish, queue_check
from app.jobs.runners.base import Outcome
from app.jobs.runs import RunRequest, create_run, finish_runs, mark_many_running
from app.security.audit import record_sync
from app.security.operations import Phase, Plan, SchemaSpec
from tests.catalog.variants import changed_model, variant, without_email
from tests.ecosystem.modeltext import BASE

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
EXAMPLE = re.compile(r"(<!-- example: ([a-z_.]+) -->\n```json\n)(.*?)(\n```)", re.S)


async def _store_guarded(engine: AsyncEngine, model: Model, commit: str) -> int:
    async with engine.connect() as handle:
        found = await breaking_changes(await driver_connection(handle), model)
    guard = breaking_guard(model, found, commit)
    stored = await store_model(engine, model, source="repo", commit_sha=commit, guard=guard)
    return stored.id


async def _events(db: asyncpg.Connection) -> list[Event]:
    rows = await db.fetch(f"SELECT {EVENT_FIELDS} FROM events e ORDER BY e.position")
    return [Event.from_row(row) for row in rows]


async def test_state_changes_emit_their_events_and_the_doc_shows_each(
    engine: AsyncEngine, database_url: str
) -> None:
    first = await _store_guarded(engine, variant(1), "1f0e3a9c")
    held = await _store_guarded(engine, changed_model(without_email()), "2b7d4e1f")
    broken = load_texts({**BASE, "extra.yaml": "apiVersion: ecoplane.io/v1\nkind: Nope\n"})
    rejected = (await store_model(engine, broken, source="repo", commit_sha="3c9a0b2d")).id
    async with engine.connect() as handle:
        db = await driver_connection(handle)
        await activate_on_purpose(db, held, by="alice", reason="consumers told, migrating today")
        run, _ = await create_run(
            db, RunRequest(RunKind.TRANSFORMER, "DailySales", "schedule", held)
        )
        sync, _ = await create_run(
            db, RunRequest(RunKind.SECURITY_SYNC, "security", "model-change", held)
        )
        await mark_many_running(db, [(run.id, "local-41", 1), (sync.id, "local-42", 1)])
        tail = 'loading sales...\nERROR: relation "sales" does not exist\nPGPASSWORD=****'
        ended = await finish_runs(db, [
            (run.id, Outcome(RunState.FAILED, 1, "exit code 1", tail)),
            (sync.id, Outcome(RunState.FAILED, 2, "the warehouse refused: permission denied")),
        ])  # fmt: skip
        assert set(ended) == {run.id, sync.id}
        await record_sync(db, Plan(), [], held, forced=False)  # the version's sync: no drift
        plan = Plan()  # the next sync of the same version repairs drift
        plan.add(
            Phase.ROLES, "alter role", "acme_dailysales", "attributes drifted", SchemaSpec("x")
        )
        plan.add(
            Phase.SCHEMAS, "create schema", "ws_sales", "workspace Sales", SchemaSpec("ws_sales")
        )
        await record_sync(
            db, plan, ["ALTER ROLE ...", "CREATE SCHEMA ws_sales"], held, forced=False
        )
        queued, _ = await queue_check(
            db, forge="github", pull_request=12, head_sha="9fceb02d0ae5", author="bob",
            delivery_id="delivery-1",
        )  # fmt: skip
        check = queued["id"]
        claimed = await claim_due(db)
        assert claimed is not None and claimed["id"] == check
        await finish(db, check, "failure", "needs approval from github:carol", None)
        events = await _events(db)
    by_type: dict[str, list[Event]] = {}
    for event in events:
        by_type.setdefault(event.type, []).append(event)
    assert [e.data["version"] for e in by_type["model.version.activated"]] == [first, held]
    assert [e.data["activation"] for e in by_type["model.version.activated"]] == [
        "automatic",
        "override",
    ]
    assert by_type["model.version.overridden"][0].data["by"] == "alice"
    breaking, errors = by_type["model.version.rejected"]
    assert breaking.data["affectedWorkspaces"] == ["CustomerAnalytics"]
    assert errors.data["version"] == rejected and errors.data["problems"][0]["severity"] == "error"
    assert {e.subject for e in by_type["run.started"]} == {f"run/{run.id}", f"run/{sync.id}"}
    failed = {e.data["runId"]: e.data for e in by_type["run.failed"]}
    assert failed[run.id]["logTail"] == tail and failed[run.id]["exitCode"] == 1
    assert set(failed[run.id]) >= {"runId", "kind", "target", "state", "trigger", "startedAt",
                                   "endedAt", "exitCode", "reason", "modelVersion", "logTail"}  # fmt: skip
    assert by_type["security.sync.failed"][0].data["runId"] == sync.id
    assert by_type["security.sync.applied"][-1].data["byAction"] == {
        "alter role": 1,
        "create schema": 1,
    }
    [drift] = by_type["security.drift.detected"]
    assert drift.data["driftedCount"] == 2 and drift.data["drifted"][0]["action"] == "alter role"
    assert by_type["pull_request.checked"][0].data["state"] == "failure"
    _the_doc_shows(by_type)


def _the_doc_shows(by_type: dict[str, list[Event]]) -> None:
    """Each type's example in docs/events.md has the real event's shape (or is rewritten)."""
    real = {kind: cloudevent(events[-1]) for kind, events in by_type.items()}
    text = DOC.read_text()
    if os.environ.get("ECOPLANE_UPDATE_EXAMPLES"):

        def example(match: re.Match[str]) -> str:
            shown = json.dumps(real[match[2]], indent=2, default=str)
            return f"{match[1]}{shown}{match[4]}"

        DOC.write_text(EXAMPLE.sub(example, text))
        text = DOC.read_text()
    documented = {m[2]: json.loads(m[3]) for m in EXAMPLE.finditer(text)}
    assert sorted(documented) == sorted(real), "docs/events.md: an example per emitted type"
    for kind, event in real.items():
        shown: dict[str, Any] = documented[kind]
        assert shown["type"] == f"io.ecoplane.{kind}" and set(shown) == set(event)
        assert set(shown["data"]) == set(event["data"]), f"docs/events.md: the data of {kind}"
