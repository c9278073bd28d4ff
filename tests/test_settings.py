"""Settings come from ECOPLANE_ environment variables, with defaults that need none."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ECOPLANE_DATABASE_URL", "ECOPLANE_DATA_DIR", "ECOPLANE_KEEP_VERSIONS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url is None
    assert settings.data_dir == Path(".ecoplane")
    assert settings.keep_versions == 20


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", "postgresql://u@db/x")
    monkeypatch.setenv("ECOPLANE_KEEP_VERSIONS", "3")
    settings = Settings()
    assert (settings.database_url, settings.keep_versions) == ("postgresql://u@db/x", 3)


def test_keep_versions_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOPLANE_KEEP_VERSIONS", "0")
    with pytest.raises(ValidationError, match="keep_versions"):
        Settings()
