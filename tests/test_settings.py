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


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    missing = [
        name for name in Settings.model_fields if f"| `ECOPLANE_{name.upper()}` |" not in readme
    ]
    assert missing == []


def test_secrets_are_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOPLANE_GIT_TOKEN", "glpat-abcdefghijklmnop1234")
    monkeypatch.setenv("ECOPLANE_WEBHOOK_SECRET_GITHUB", "hook-secret-42")
    settings = Settings()
    assert settings.git_token is not None
    assert settings.git_token.get_secret_value() == "glpat-abcdefghijklmnop1234"
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "glpat-abcdefghijklmnop1234" not in shown and "hook-secret-42" not in shown


def test_the_repository_settings_have_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOPLANE_MODEL_REPO", raising=False)
    settings = Settings()
    assert (settings.model_repo, settings.model_branch, settings.model_subdir) == (
        None,
        "main",
        ".",
    )
    assert settings.poll_seconds == 300
    monkeypatch.setenv("ECOPLANE_POLL_SECONDS", "-1")
    with pytest.raises(ValidationError, match="poll_seconds"):
        Settings()


def test_the_jobs_image_is_this_release_not_latest() -> None:
    import tomllib

    from app.settings import RELEASE

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["version"] == RELEASE
    assert Settings().jobs_image.endswith(f":{RELEASE}")


def test_a_standby_retrying_too_rarely_for_the_failover_bound_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ECOPLANE_FAILOVER_SECONDS", "20")
    monkeypatch.setenv("ECOPLANE_LEADER_RETRY_SECONDS", "6")
    with pytest.raises(ValidationError) as refused:
        Settings()
    said = str(refused.value)
    assert "ECOPLANE_LEADER_RETRY_SECONDS (6)" in said and "ECOPLANE_FAILOVER_SECONDS (20)" in said
    monkeypatch.setenv("ECOPLANE_LEADER_RETRY_SECONDS", "5")  # a quarter: the bound holds
    assert Settings().failover_seconds == 20
