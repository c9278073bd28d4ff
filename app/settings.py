"""Settings of ecoplane, from environment variables prefixed ECOPLANE_ (see README)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting with its default; the embedded default needs none of them."""

    model_config = SettingsConfigDict(env_prefix="ECOPLANE_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="Postgres URL of the control-plane database; unset: an embedded server",
    )
    data_dir: Path = Field(
        default=Path(".ecoplane"),
        description="where the embedded Postgres and local state live",
    )
    keep_versions: int = Field(
        default=20, ge=1, description="how many model versions to keep (the active one always)"
    )
