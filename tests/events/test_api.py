"""GET /api/v1/events: recent events with their deliveries, filtered, paged; bad filters refused."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from app.events.outbox import emit
from app.main import create_app
from app.settings import Settings
from tests.api.conftest import api_settings, client_for
from tests.events.conftest import subscribe


async def test_events_are_listed_with_deliveries_and_never_a_url_path(
    database_url: str, tmp_path: Path
) -> None:
    notify = [
        {
            "url": "https://hooks.slack.com/services/T0/B0/SECRETPATH",
            "types": ["run.*"],
            "format": "slack",
        }
    ]
    settings = api_settings(database_url, tmp_path).model_copy(
        update={"notify": json.dumps(notify)}
    )
    async for api in client_for(settings):
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
        try:
            await subscribe(pool, settings)
            async with pool.acquire() as connection, connection.transaction():
                for n in range(3):
                    await emit(connection, "run.failed", f"run/{n}", {"runId": n})  # type: ignore[arg-type]
                await emit(connection, "model.version.activated", "model-version/1", {"version": 1})  # type: ignore[arg-type]
        finally:
            await pool.close()
        page = (await api.get("/api/v1/events", params={"type": "run.*", "limit": 2})).json()
        assert [e["subject"] for e in page["items"]] == ["run/2", "run/1"]
        delivery = page["items"][0]["deliveries"][0]
        assert delivery["url"] == "https://hooks.slack.com/…" and delivery["format"] == "slack"
        assert delivery["state"] in ("pending", "dead") and "SECRETPATH" not in json.dumps(page)
        rest = (
            await api.get("/api/v1/events", params={"type": "run.*", "cursor": page["nextCursor"]})
        ).json()
        assert [e["subject"] for e in rest["items"]] == ["run/0"] and rest["nextCursor"] is None
        one = (await api.get("/api/v1/events", params={"subject": "model-version/1"})).json()
        assert [(e["type"], e["deliveries"]) for e in one["items"]] == [
            ("model.version.activated", [])
        ]
        refused = await api.get("/api/v1/events", params={"type": "run.*;drop"})
        assert refused.status_code == 422 and "type" in refused.json()["detail"]
        metrics = (await api.get("/metrics")).text
        assert "ecoplane_outbox_pending" in metrics and "ecoplane_event_deliveries_dead" in metrics


@pytest.mark.parametrize(
    ("notify", "named"),
    [
        ("[{]", "is not JSON"),
        ('[{"url": "ftp://x", "types": ["*"]}]', "entry 1: url must be an http(s) URL"),
        ('[{"url": "http://x", "types": []}]', "entry 1 (http://x): types"),
        ('[{"url": "http://x", "types": ["*"], "format": "teams"}]', "format must be one of"),
        (
            '[{"url": "http://x", "types": ["*"], "secretEnv": "NOPE_UNSET_1"}]',
            "NOPE_UNSET_1, which is not set",
        ),
        ('[{"url": "http://x", "types": ["*"], "colour": "red"}]', "unknown field 'colour'"),
    ],
)
def test_a_bad_subscription_stops_the_start_naming_entry_and_field(notify: str, named: str) -> None:
    from app.events.subscriptions import NotifyConfigError

    with pytest.raises(NotifyConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        create_app(Settings(notify=notify))


def test_the_cli_says_what_is_wrong_with_ecoplane_notify(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import logging

    from app.cli import main

    monkeypatch.setattr(logging.getLogger(), "handlers", list(logging.getLogger().handlers))
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(
        "ECOPLANE_NOTIFY", '[{"url": "http://x", "types": ["*"], "format": "teams"}]'
    )
    assert main(["serve", "--port", "1"]) != 0
    assert "ECOPLANE_NOTIFY entry 1 (http://x): format must be one of" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # refused before the embedded server was started
