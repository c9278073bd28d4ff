"""What the service's start made is kept out of the cyclic collector's scans while it runs
(`gc.freeze`), and handed back to it when the service stops."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.api.conftest import api_settings, client_for


async def test_the_start_is_frozen_while_the_service_runs(
    database_url: str, tmp_path: Path
) -> None:
    gc.unfreeze()  # whatever an earlier test left frozen
    settings = api_settings(database_url, tmp_path).model_copy(update={"scheduler": False})
    async for api in client_for(settings):
        assert gc.get_freeze_count() > 10_000  # the modules, routes and pools of the start
        assert (await api.get("/healthz")).status_code == 200
    assert gc.get_freeze_count() == 0  # collectable again once it stopped
