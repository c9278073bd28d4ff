"""The API's read pool: as configured; else four per core for the embedded database, else 20."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.db.engine import read_pool_size
from app.main import create_app
from tests.api.conftest import api_settings


@pytest.mark.parametrize(
    ("configured", "embedded", "cores", "size"),
    [(3, True, 2, 3), (3, False, 2, 3), (0, True, 2, 8), (0, True, 16, 20), (0, False, 2, 20)],
)
def test_the_read_pool_is_sized_by_the_setting_else_by_the_embedded_servers_cores(
    monkeypatch: pytest.MonkeyPatch, configured: int, embedded: bool, cores: int, size: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert read_pool_size(configured, embedded) == size


async def test_the_service_reads_on_as_many_connections_as_configured(
    database_url: str, tmp_path: Path
) -> None:
    settings = api_settings(database_url, tmp_path).model_copy(update={"read_pool_size": 3})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        reads = app.state.resources.reads
        assert reads.pool.get_max_size() == 3
        taken = [await reads.turns.acquire() for _ in range(3)]
        assert len(taken) == 3 and reads.turns.locked()  # a fourth request waits its turn
        for _ in taken:
            reads.turns.release()
