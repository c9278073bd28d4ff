"""The examples in the OpenAPI document are real answers of the service, recorded from acme.

Each operation's example is what the service answers for `examples/acme` (lists cut to two
items, times and timings fixed). When an answer changes, the test fails; to record the
examples again after a deliberate change:

    ECOPLANE_UPDATE_EXAMPLES=1 .venv/bin/pytest tests/api/test_examples.py
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import httpx
import jsonschema_rs
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.openapi_docs import EXAMPLES_FILE
from app.catalog.store import store_model
from app.ecosystem.loader import load_directory, load_texts
from app.main import create_app
from tests.api.conftest import TOKENS
from tests.api.test_diffs import acme_files
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import BASE
from tests.jobs.conftest import until

V1 = "/api/v1"
GET = {
    "ecosystem": f"{V1}/ecosystem",
    "zones": f"{V1}/zones?limit=2",
    "zone": f"{V1}/zones/EU",
    "teams": f"{V1}/teams?limit=2",
    "team": f"{V1}/zones/EU/teams/Analytics",
    "datastores": f"{V1}/datastores?limit=2",
    "datastore": f"{V1}/datastores/Customers",
    "dataset": f"{V1}/datastores/Customers/datasets/customers",
    "datastore_consumers": f"{V1}/datastores/Customers/consumers?limit=2",
    "workspaces": f"{V1}/workspaces?limit=2",
    "workspace": f"{V1}/workspaces/CustomerSegmentation",
    "transformers": f"{V1}/transformers?limit=2",
    "transformer": f"{V1}/transformers/segment_customers",
    "lineage_graph": f"{V1}/lineage?node=datastore:Customers&direction=downstream",
    "versions": f"{V1}/model-versions?limit=2",
    "version": f"{V1}/model-versions/2",
    "problems": f"{V1}/model-versions/3/problems?limit=2",
    "diff": f"{V1}/model-versions/1/diff/2",
    "security_plan": f"{V1}/security/plan",
    "security_audit": f"{V1}/security/audit?limit=2",
    "events": f"{V1}/events?limit=2",
    "healthz": "/healthz",
    "readyz": "/readyz",
}
FIXED_TIME = "2026-11-26T09:30:00Z"
TIMES = {
    "createdAt",
    "activatedAt",
    "supersededAt",
    "recordedAt",
    "at",
    "time",
    "startedAt",
    "endedAt",
    "expiresAt",
    "revokedAt",
    "lastUsedAt",
}
FIXED_LATER = "2026-12-26T09:30:00Z"  # a token's expiry, 30 days on
FIXED_SECRET = "ecp_q3Zl0Jm1v9UeY7f0mR2tN8wXc4KpH6sB5aDgLiEo1Tc"  # a new token's is random
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FIXED_UUID = "0b8e4c3e-5d4f-4a51-9f1e-2f6c1f8d9a10"  # an event's id is random: the example's is not


def _example(value: Any) -> Any:
    """An answer as an example: lists cut to two items, times and timings fixed."""
    if isinstance(value, list):
        return [_example(item) for item in value[:2]]
    if isinstance(value, dict):
        return {
            key: FIXED_LATER if key == "expiresAt" and item else
            FIXED_TIME if key in TIMES and item else
            FIXED_SECRET if key == "secret" else
            dict.fromkeys(item, 0.25) if key == "timings" else _example(item)
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, str) and UUID.match(value):
        return FIXED_UUID
    return value


async def _record(api: httpx.AsyncClient, engine: AsyncEngine) -> dict[str, Any]:
    await store_model(
        engine, load_directory(EXAMPLES / "acme"), source="acme", commit_sha="a1b2c3d4"
    )
    edited = load_texts(dict(acme_files(without_phone=True)))
    await store_model(engine, edited, source="acme", commit_sha="e5f6a7b8")

    async def both_exports_ended() -> bool:  # each activation's export fails (no sync yet)
        ended = await api.get(f"{V1}/events?type=run.failed")
        return len(ended.json()["items"]) == 2

    # before the rejected version: the events example is the same newest two every time
    await until(both_exports_ended, "the exports started by versions 1 and 2 ended")
    broken = load_texts({**BASE, "extra.yaml": "apiVersion: ecoplane.io/v1\nkind: Nonsense\n"})
    await store_model(engine, broken, source="acme", commit_sha="0badc0de")
    recorded: dict[str, Any] = {}
    for operation, url in GET.items():
        response = await api.get(url)
        assert response.status_code == 200, (url, response.text)
        recorded[operation] = _example(response.json())
    files = acme_files(without_phone=False)
    response = await api.post(f"{V1}/validate", json={"files": files})
    assert response.status_code == 200, response.text
    recorded["validate"] = _example(response.json())
    response = await api.post(
        f"{V1}/model-versions/1/activate",
        headers={"Authorization": f"Bearer {TOKENS['admin']}"},
        json={"reason": "roll back: mask_customers still reads phone"},
    )  # a rollback, last: the answers above are of version 2 active
    assert response.status_code == 200, response.text
    recorded["activate"] = _example(response.json())
    return {**recorded, **await _tokens(api)}


async def _tokens(api: httpx.AsyncClient) -> dict[str, Any]:
    """A token made, listed and revoked by the admin token."""
    admin = {"Authorization": f"Bearer {TOKENS['admin']}"}
    request = {"name": "risk-ci", "scopes": ["operate"], "teams": ["USA/Risk"], "expiresIn": "30d"}
    made = await api.post(f"{V1}/tokens", json=request, headers=admin)
    assert made.status_code == 201, made.text
    listed = await api.get(f"{V1}/tokens", headers=admin)
    revoked = await api.delete(f"{V1}/tokens/risk-ci", headers=admin)
    assert revoked.status_code == 200, revoked.text
    answers = {"create_token": made, "tokens": listed, "revoke_token": revoked}
    return {name: _example(answer.json()) for name, answer in answers.items()}


async def test_the_recorded_examples_are_the_answers_of_today(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    recorded = await _record(api, engine)
    committed = json.loads(EXAMPLES_FILE.read_text())
    if os.environ.get("ECOPLANE_UPDATE_EXAMPLES"):
        committed.update(recorded)
        EXAMPLES_FILE.write_text(json.dumps(committed, indent=2, ensure_ascii=False) + "\n")
    assert {name: committed.get(name) for name in recorded} == recorded
    metrics = (await api.get("/metrics")).text
    for line in committed["metrics"].splitlines():  # the metrics example names real metrics
        if line.startswith("# TYPE"):
            assert line in metrics, line


def test_every_operation_has_an_example_that_fits_its_answer() -> None:
    """Examples not recorded here (answers that need a repository or a runner) are written by
    hand; each must still be valid by its operation's schema in the document."""
    committed = json.loads(EXAMPLES_FILE.read_text())
    document = create_app().openapi()
    operations = {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
    }
    assert set(operations) == set(committed)
    for operation in operations.values():
        success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
        for media in success["content"].values():
            schema = {"components": document["components"], **media.get("schema", {})}
            jsonschema_rs.validator_for(schema).validate(media["example"])


async def test_the_document_shows_examples_and_problem_answers() -> None:
    document = create_app().openapi()
    workspace = document["paths"]["/api/v1/workspaces/{name}"]["get"]["responses"]
    assert workspace["200"]["content"]["application/json"]["example"]["name"] == (
        "CustomerSegmentation"
    )
    missing = workspace["404"]["content"]["application/problem+json"]
    assert missing["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert missing["example"]["type"] == "not-found"
    assert set(workspace) == {"200", "304", "401", "403", "404", "422", "503"}
    upload = document["paths"]["/api/v1/validate"]["post"]["responses"]
    assert {"413", "415"} <= set(upload)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_operation_and_parameter_is_described() -> None:
    undescribed = [
        (path, method, parameter["name"])
        for path, operations in create_app().openapi()["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert undescribed == []
    for path, operations in create_app().openapi()["paths"].items():
        for operation in operations.values():
            assert operation.get("summary") and operation.get("description"), path
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert all("example" in media for media in success["content"].values()), path
