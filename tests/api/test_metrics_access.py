"""/metrics follows the read rule (anonymous only when reads are open), or its own setting
ECOPLANE_METRICS_OPEN either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import TOKENS, api_settings, client_for

READER = {"Authorization": f"Bearer {TOKENS['reader']}"}


@pytest.mark.parametrize(
    ("reads_open", "metrics_open", "anonymous"),
    [(True, None, 200), (False, None, 401), (False, True, 200), (True, False, 401)],
)
async def test_metrics_follow_reads_or_their_own_setting(
    database_url: str,
    tmp_path: Path,
    reads_open: bool,
    metrics_open: bool | None,
    anonymous: int,
) -> None:
    settings = api_settings(database_url, tmp_path).model_copy(
        update={"anonymous_read": reads_open, "metrics_open": metrics_open, "scheduler": False}
    )
    async for api in client_for(settings):
        answer = await api.get("/metrics")
        assert answer.status_code == anonymous, answer.text
        if anonymous == 401:
            assert answer.json()["detail"] == "/metrics needs a token with the 'read' scope"
        else:
            assert "ecoplane_http_requests_total" in answer.text or "# HELP" in answer.text
        read = await api.get("/metrics", headers=READER)  # a reader's token always does
        assert read.status_code == 200 and "# HELP" in read.text
        bad = await api.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401  # a token that is not valid is never anonymous
