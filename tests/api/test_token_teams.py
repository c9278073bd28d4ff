"""A token limited to teams starts (and cancels) runs and ingestions only of its teams'
transformers and datastores, as the active model owns them; it reads everything."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.catalog.store import StoredVersion
from tests.api.conftest import TOKENS
from tests.api.tokens import bearer, made

OPERATOR = {"Authorization": f"Bearer {TOKENS['operator']}"}


async def test_a_team_token_starts_only_its_teams_work(
    api: httpx.AsyncClient, acme: StoredVersion, caplog: pytest.LogCaptureFixture
) -> None:
    risk = bearer(
        (await made(api, name="risk-ci", scopes=["operate"], teams=["USA/Risk"]))["secret"]
    )
    with caplog.at_level(logging.WARNING, logger="ecoplane.auth"):
        other = await api.post("/api/v1/transformers/mask_customers/runs", headers=risk)
    assert other.status_code == 403
    assert other.json()["detail"] == (
        "token 'risk-ci' may start only what teams USA/Risk own:"
        " transformer 'mask_customers' belongs to team USA/Compliance"
    )
    assert [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "ecoplane.auth"
    ] == [f"refused risk-ci: {other.json()['detail']}"]
    own = await api.post("/api/v1/transformers/compute_exposures/runs", headers=risk)
    assert own.status_code == 202, own.text  # the workspace RiskAnalytics is USA/Risk's
    assert own.json()["requestedBy"] == "risk-ci"
    cancelled = await api.post(f"/api/v1/runs/{own.json()['id']}/cancel", headers=risk)
    assert cancelled.status_code in (200, 409), cancelled.text  # its own run: not a 403

    theirs = await api.post("/api/v1/transformers/mask_customers/runs", headers=OPERATOR)
    assert theirs.status_code == 202  # a token of every team
    refused = await api.post(f"/api/v1/runs/{theirs.json()['id']}/cancel", headers=risk)
    assert refused.status_code == 403 and "belongs to team USA/Compliance" in refused.text
    await api.post(f"/api/v1/runs/{theirs.json()['id']}/cancel", headers=OPERATOR)


async def test_a_team_token_ingests_only_its_teams_datastores_and_reads_everything(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    risk = bearer(
        (await made(api, name="risk-ci", scopes=["operate"], teams=["USA/Risk"]))["secret"]
    )
    other = await api.post("/api/v1/datastores/Merchants/ingestions", headers=risk)
    assert other.status_code == 403
    assert other.json()["detail"].endswith("datastore 'Merchants' belongs to team EU/Payments")
    own = await api.post("/api/v1/datastores/MarketData/ingestions", headers=risk)
    assert own.status_code == 422  # past the team check: ecoplane does not run kafka ingestion
    assert "kafka" in own.json()["detail"]
    unknown = await api.post("/api/v1/datastores/Nope/ingestions", headers=risk)
    assert unknown.status_code == 404  # a name the model lacks is answered as for any token
    sync = await api.post("/api/v1/security/runs", headers=risk)
    assert sync.status_code == 403
    assert sync.json()["detail"] == (
        "token 'risk-ci' is limited to teams USA/Risk: the security sync belongs to no team"
    )
    for path in (
        "/api/v1/datastores/Merchants",
        "/api/v1/runs",
        "/api/v1/datastores/Merchants/batches",
    ):
        assert (await api.get(path, headers=risk)).status_code == 200, path
